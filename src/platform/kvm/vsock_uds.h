/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hosted virtio-vsock backend: Unix sockets on the host, Firecracker style.
 *   guest connects to host port N  -> svmm connects to the Unix socket "PATH_N"
 *   host connects to "PATH", writes "CONNECT <port>\n" -> svmm connects to guest port <port> and,
 *   once the guest accepts, answers "OK <host port>\n"; after that the socket is the stream.
 * One thread polls every socket; it and the device callbacks run under the host's device lock.
 */
#ifndef SVMM_KVM_VSOCK_UDS_H
#define SVMM_KVM_VSOCK_UDS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>
#include <svmm/virtio_vsock.h>
#include "kvm.h"

#define VSOCK_UDS_HANDSHAKES 16 /* accepted host connections still sending their CONNECT line */

struct vsock_uds_conn {
    int fd;           /* -1: unused */
    uint8_t *buf;     /* guest data not yet written to fd (ring of buf_alloc bytes) */
    size_t head, len;
    bool shut_wr;     /* the guest will send no more: SHUT_WR once buf is empty */
    bool dead;        /* failed inside a device callback: reset it from the socket thread */
};

struct vsock_uds_handshake {
    int fd;
    unsigned len;
    char line[32];
};

struct vsock_uds {
    struct virtio_vsock vsock; /* the device, attached to a virtio slot by the caller */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int listen_fd, wake_fd;
    struct kvm_host *host;
    pthread_t thread;
    bool started;
    struct vsock_uds_conn conns[VIRTIO_VSOCK_MAX_CONNS];
    struct vsock_uds_handshake hs[VSOCK_UDS_HANDSHAKES];
};

/* Listen on `path` (an existing socket there is replaced) and initialise the device for `cid`. */
int vsock_uds_open(struct vsock_uds *u, uint64_t cid, const char *path, char *err, size_t errlen);

/* Start the socket thread (after kvm_host_start); it ends when the VM stops. */
int vsock_uds_start(struct vsock_uds *u, struct kvm_host *h, char *err, size_t errlen);

/* Wait for the thread, close every socket and remove `path`. */
void vsock_uds_join(struct vsock_uds *u);

#endif
