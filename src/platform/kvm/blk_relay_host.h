/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A driver VM's VMM on Linux KVM (`svmm run --serve-disk ...`): the block relay (blk_relay.h)
 * between the VMMs that connect as blkq clients (the server side shared with svmm blk-server,
 * blk_serve_shm.h) and the agent in this VM, reached through the virtio-console port named
 * BLK_AGENT_PORT.
 *
 * Threads: the port's queue notifications are KVM ioeventfds that the relay's thread waits on, so
 * the driver VM's vCPU does not stop for them (the exit stays in KVM) and the agent's bytes are
 * taken off the port, READ data copied into the clients' regions, while the vCPU runs on. The
 * port's backend runs in whichever thread calls into the console, under the device lock (the
 * relay's for the port's queues; a vCPU's for the control queue, or for the port's queues where
 * KVM has no ioeventfds): the agent's bytes go straight to blk_relay_input and the answered
 * clients are kicked. The relay's thread waits on those eventfds, the listening socket, the
 * clients' sockets and eventfds and its wake-up eventfd; under the device lock it pumps client
 * requests into the relay and pushes the relay's output into the port as far as the guest has
 * receive buffers (when it has none the console asks the driver for a notification, which wakes
 * the thread again).
 *
 * Agent restarts (blk_relay.h): the port's closed callback (the agent's process closed the port or
 * died, or the guest reset its console) tells the relay, which keeps what the agent held; the next
 * open (rx_ready with the port open) starts a new stream. If no agent opens the port within
 * BLK_RELAY_AGENT_GRACE_MS, the thread (its poll timeout) has the relay fail what it kept.
 */
#ifndef SVMM_KVM_BLK_RELAY_HOST_H
#define SVMM_KVM_BLK_RELAY_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <svmm/blk_relay.h>
#include <svmm/virtio_console.h>
#include "blk_serve_shm.h"
#include "cli.h"
#include "kvm.h"

struct blk_relay_host {
    struct blk_relay relay;
    struct blk_serve serve;
    struct virtio_console *con;
    unsigned port;       /* the svmm-blk port's number on con */
    int wake_fd;         /* eventfd: the port's backend wakes the relay's thread */
    /* The port's receive and transmit queue notifications (KVM ioeventfds; -1 without) */
    int rx_kick_fd, tx_kick_fd;
    struct virtio_mmio *transport; /* the console's, for those notifications */
    bool on_thread;      /* the relay's thread is inside the console (device lock): no wake-up needed */
    char listen[108];
    struct kvm_host *host;
    pthread_t thread;
    bool started;
    uint64_t wakeups;    /* times the thread ran the relay */
    uint64_t rx_readies, port_writes; /* the port's rx_ready and write callbacks (device lock) */
    uint64_t rx_kicks, tx_kicks; /* notifications taken by the thread through the ioeventfds */
    uint64_t away_since_ms; /* CLOCK_MONOTONIC when the agent last closed the port (under the device lock) */
};

/*
 * Set up the relay for the command line's --serve-disk clients: add the svmm-blk port to `con`
 * (before the VM starts), queue the clients' HELLOs and listen. Returns 0 (nothing to do without
 * --serve-disk), or -1 with a one-line message in err.
 */
int blk_relay_host_open(struct blk_relay_host *b, const struct svmm_cli *cli, struct virtio_console *con, char *err,
                        size_t errlen);

/* Start the relay's thread (after kvm_host_start); it ends when the VM stops. -1 + err. */
int blk_relay_host_start(struct blk_relay_host *b, struct kvm_host *h, char *err, size_t errlen);

/* Wait for the thread (after the vCPUs), disconnect every client, stop listening, log the counters. */
void blk_relay_host_join(struct blk_relay_host *b);

#endif
