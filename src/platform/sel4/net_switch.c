/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net on a port of a virtual switch PD (sel4_devices.h): net_link over regions the SDF maps
 * here, a channel to the switch. Notifications from the switch and the device's own wake-ups (the
 * guest posted receive buffers) both run net_link_service; the PD is single-threaded, so that is
 * the device serialisation net_link needs.
 */
#include <microkit.h>
#include <stdio.h>
#include <string.h>
#include <svmm/log.h>
#include <svmm/net_link.h>
#include "sel4_devices.h"
#include "sel4_vm.h"

/* Mappings of each link, patched in by the Microkit tool (setvar_vaddr in the SDF). */
#define LINK_VARS(k) uintptr_t net_link##k##_queues, net_link##k##_tx, net_link##k##_rx;
LINK_VARS(0)
LINK_VARS(1)
LINK_VARS(2)
LINK_VARS(3)
_Static_assert(SEL4_MAX_NET_LINKS == 4, "one LINK_VARS line per link");

static const uintptr_t *const link_vaddrs[SEL4_MAX_NET_LINKS][3] = {
    { &net_link0_queues, &net_link0_tx, &net_link0_rx }, { &net_link1_queues, &net_link1_tx, &net_link1_rx },
    { &net_link2_queues, &net_link2_tx, &net_link2_rx }, { &net_link3_queues, &net_link3_tx, &net_link3_rx },
};

static struct sel4_net_link {
    struct net_link link;
    unsigned channel;
} links[SEL4_MAX_NET_LINKS];

static void service(void *ctx)
{
    struct sel4_net_link *l = ctx;

    /* Bounded: each call moves at most a ring's worth; the next notification resumes the rest. */
    for (unsigned i = 0; i < 4 && net_link_service(&l->link); i++)
        ;
}

static void notify_switch(void *ctx)
{
    struct sel4_net_link *l = ctx;
    microkit_notify(l->channel);
}

static void wake(void *ctx)
{
    if (sel4_defer(service, ctx) < 0)
        svmm_warn("virtio-net: cannot schedule receive work (deferred-work table full)");
}

int sel4_attach_switch_net(struct svmm_vm *vm, unsigned slot, char *err, size_t errlen)
{
    static const uint8_t none[6];
    unsigned k = svmm_sel4_vm.net_link[slot].link;
    struct sel4_net_link *l;
    const uint8_t *mac = NULL;

    if (k >= SEL4_MAX_NET_LINKS || *link_vaddrs[k][0] == 0 || *link_vaddrs[k][1] == 0 || *link_vaddrs[k][2] == 0) {
        snprintf(err, errlen, "virtio slot %u: switch link %u is not mapped into this VMM", slot, k);
        return -1;
    }
    l = &links[k];
    l->channel = svmm_sel4_vm.net_link[slot].channel;
    if (memcmp(svmm_sel4_vm.net_mac[slot], none, sizeof(none)) != 0)
        mac = svmm_sel4_vm.net_mac[slot];
    if (net_link_init(&l->link, mac, (void *)*link_vaddrs[k][0], (void *)*link_vaddrs[k][1],
                      (const void *)*link_vaddrs[k][2], svmm_sel4_vm.net_link[slot].nbufs,
                      svmm_sel4_vm.net_link[slot].buf_size, notify_switch, wake, l) < 0) {
        snprintf(err, errlen, "virtio slot %u: bad switch link geometry", slot);
        return -1;
    }
    if (sel4_on_notify(l->channel, service, l) < 0) {
        snprintf(err, errlen, "virtio slot %u: too many channel hooks", slot);
        return -1;
    }
    return svmm_vm_attach_virtio(vm, slot, &l->link.net.dev, err, errlen);
}
