/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hosted transport of a netq link between two processes (the `svmm switch` process and an `svmm run`
 * VMM), over shm_link.h: three sealed memfds (queues, tx data, rx data) and two eventfds (to the
 * switch, to the VMM). The switch creates every memfd; the rx data region is sealed with
 * F_SEAL_FUTURE_WRITE, so a VMM can map the switch's buffers read-only and no other way.
 *
 * Handshake on the socket (both directions little-endian host structs, one message each way):
 *   VMM -> switch: struct netq_shm_hello (port name);
 *   switch -> VMM: struct netq_shm_welcome (status, geometry, the port's MAC) + 5 fds when status 0,
 *                  else an error text in `error`.
 * The socket stays open: its hangup tells each side the other is gone.
 */
#ifndef SVMM_KVM_NETQ_SHM_H
#define SVMM_KVM_NETQ_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shm_link.h"

#define NETQ_SHM_MAGIC 0x716e6d73u /* "smnq" */
#define NETQ_SHM_VERSION 1u
#define NETQ_SHM_NAME_MAX 23

struct netq_shm_hello {
    uint32_t magic, version;
    char port[NETQ_SHM_NAME_MAX + 1];
};

struct netq_shm_welcome {
    uint32_t magic, version;
    int32_t status;             /* 0, or the link is refused and `error` says why */
    uint32_t nbufs, buf_size;
    uint8_t mac[6];
    uint8_t has_mac;
    uint8_t reserved;
    char error[160];
};

/* One side's view of a link: a shm_link with three regions (queues, tx data, rx data). */
struct netq_shm_link {
    struct shm_link shm;
    int to_switch, to_vmm;        /* eventfds (shm.to_server, shm.to_client) */
    void *queues, *tx, *rx;       /* mappings (the rx region read-only on the VMM side, tx on the switch side) */
    uint32_t nbufs, buf_size;
};

/* A link with no resources (every fd -1, nothing mapped). */
void netq_shm_link_clear(struct netq_shm_link *l);

/* Switch side: create and map a fresh link for `nbufs` x `buf_size`; -1 + err. */
int netq_shm_create(struct netq_shm_link *l, uint32_t nbufs, uint32_t buf_size, char *err, size_t errlen);

/* Switch side: send the welcome (with the link's fds when w->status is 0). */
int netq_shm_send_welcome(int sock, const struct netq_shm_welcome *w, const struct netq_shm_link *l);

/* VMM side: connect to `path`, ask for port `port`, receive, check and map the link; -1 + err. */
int netq_shm_connect(struct netq_shm_link *l, const char *path, const char *port, uint8_t mac[6], bool *has_mac,
                     int *sock, char *err, size_t errlen);

/* Unmap and close everything (safe on a cleared or half-built link). */
void netq_shm_destroy(struct netq_shm_link *l);

/* Notify through an eventfd (shm_link_kick). */
static inline void netq_shm_kick(int efd)
{
    shm_link_kick(efd);
}

/* Read an eventfd to zero (shm_link_drain). */
static inline void netq_shm_drain(int efd)
{
    shm_link_drain(efd);
}

#endif
