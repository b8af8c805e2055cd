/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hosted virtio-net backend: a Linux tap device (IFF_TAP | IFF_NO_PI, no offloads). Guest frames
 * are written to the tap from the vCPU that notified; a receive thread per device reads the tap
 * and delivers frames under the host's device lock, holding one frame while the guest has no
 * receive buffers (the tap's own queue absorbs, then drops, the rest).
 */
#ifndef SVMM_KVM_NET_TAP_H
#define SVMM_KVM_NET_TAP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <svmm/virtio_net.h>
#include "kvm.h"

struct net_tap {
    struct virtio_net net; /* the device, attached to a virtio slot by the caller */
    char ifname[16];
    int fd, wake_fd;
    struct kvm_host *host;
    pthread_t thread;
    bool started;
    uint64_t tx_errors;
};

/* Open tap `ifname` and initialise t->net (MAC `mac`, or the default when NULL); -1 + err. */
int net_tap_open(struct net_tap *t, const char *ifname, const uint8_t *mac, char *err, size_t errlen);

/*
 * Use `fd`, already open, as the tap: any descriptor that moves one Ethernet frame per read() and
 * writev() (a tap opened by someone else and passed in, or one end of a SOCK_SEQPACKET socketpair in
 * tests/tsan, which need no CAP_NET_ADMIN). It is made non-blocking; `name` is used in messages.
 * Takes ownership of fd (closed on failure, and by net_tap_join). Initialises t->net; -1 + err.
 */
int net_tap_attach_fd(struct net_tap *t, int fd, const char *name, const uint8_t *mac, char *err, size_t errlen);

/* Start the receive thread (after kvm_host_start); it ends when the VM stops. */
int net_tap_start(struct net_tap *t, struct kvm_host *h, char *err, size_t errlen);

/* Wait for the receive thread (after the vCPUs), close the tap and log the device's counters. */
void net_tap_join(struct net_tap *t);

#endif
