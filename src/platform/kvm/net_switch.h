/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hosted virtio-net backend on a port of an `svmm switch` process (--net switch=PATH,port=NAME):
 * the platform-free net_link over a netq_shm link, and one service thread per device that waits
 * on the switch's eventfd and the device's own wake-up eventfd and runs net_link_service under the
 * host's device lock.
 */
#ifndef SVMM_KVM_NET_SWITCH_H
#define SVMM_KVM_NET_SWITCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <svmm/net_link.h>
#include "kvm.h"
#include "link_thread.h"
#include "netq_shm.h"

struct net_switch {
    struct net_link link;   /* link.net is the device, attached to a virtio slot by the caller */
    struct netq_shm_link shm;
    int sock, wake_fd;
    char name[64];
    struct link_thread thread;
};

/*
 * Connect to the switch at `path`, port `port`. The NIC's MAC is the port's MAC when the switch has
 * one (a different `mac` is an error), else `mac`. -1 + err.
 */
int net_switch_open(struct net_switch *s, const char *path, const char *port, const uint8_t *mac, bool mac_given,
                    char *err, size_t errlen);

/* Start the service thread (after kvm_host_start); it ends when the VM stops. */
int net_switch_start(struct net_switch *s, struct kvm_host *h, char *err, size_t errlen);

/* Wait for the thread (after the vCPUs), disconnect, and log the device's and link's counters. */
void net_switch_join(struct net_switch *s);

#endif
