/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The thread that serves one inter-component link of a VMM device (a switch port, a disk on a block
 * server): it waits for the peer's notification (an eventfd), the device's own wake-up (an eventfd,
 * optional), the peer's socket hanging up, or the VM stopping, and calls the device back under the
 * host's device lock. One thread per link; the device code itself never blocks.
 */
#ifndef SVMM_KVM_LINK_THREAD_H
#define SVMM_KVM_LINK_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include "kvm.h"

struct link_thread {
    struct kvm_host *host;
    const char *name;            /* for messages */
    int peer_efd;                /* the peer's notifications */
    int wake_efd;                /* the device's own wake-ups, or -1 */
    int sock;                    /* the peer's socket: readable or hung up = the peer is gone */
    void *ctx;
    bool (*service)(void *ctx);  /* under the device lock; true: there is more to do at once */
    void (*peer_gone)(void *ctx);/* under the device lock, once, when the peer's socket hangs up */
    pthread_t thread;
    bool started;
};

/* Start the thread (fields above filled in; after kvm_host_start). -1 + err. */
int link_thread_start(struct link_thread *t, char *err, size_t errlen);

/* Wait for the thread to end (it ends when the VM stops). */
void link_thread_join(struct link_thread *t);

#endif
