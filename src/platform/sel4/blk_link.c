/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-blk on a partition of a block server PD (sel4_devices.h): blk_link over a queue region and
 * a data region the SDF maps here and into the server, and a channel to the server. The server's
 * notifications run blk_link_service from the VMM's channel hook; signals to the server are deferred
 * to the end of the exit or notification that produced them, so one handled exit costs at most one
 * signal however many requests it published.
 */
#include <microkit.h>
#include <stdio.h>
#include <svmm/blk_link.h>
#include <svmm/log.h>
#include "sel4_devices.h"
#include "sel4_vm.h"

/* Mappings of each link, patched in by the Microkit tool (setvar_vaddr in the SDF). */
#define BLK_LINK_VARS(k) uintptr_t blk_link##k##_queues, blk_link##k##_data;
BLK_LINK_VARS(0)
BLK_LINK_VARS(1)
BLK_LINK_VARS(2)
BLK_LINK_VARS(3)
_Static_assert(SEL4_MAX_BLK_LINKS == 4, "one BLK_LINK_VARS line per link");

static const uintptr_t *const link_vaddrs[SEL4_MAX_BLK_LINKS][2] = {
    { &blk_link0_queues, &blk_link0_data }, { &blk_link1_queues, &blk_link1_data },
    { &blk_link2_queues, &blk_link2_data }, { &blk_link3_queues, &blk_link3_data },
};

/*
 * How many times attach yields to let the server PD write the storage info. The composer gives the
 * server a priority no lower than its clients', so on one core it is normally ready at once.
 */
#define READY_YIELDS 1000u

static struct sel4_blk_link {
    struct blk_link link;
    unsigned channel;
    bool used;
} links[SEL4_MAX_BLK_LINKS];

static void service(void *ctx)
{
    struct sel4_blk_link *l = ctx;

    /* Bounded: each call takes at most a ring's worth of answers; the next notification resumes. */
    for (unsigned i = 0; i < 4 && blk_link_service(&l->link); i++)
        ;
}

static void kick(void *ctx)
{
    struct sel4_blk_link *l = ctx;
    microkit_notify(l->channel);
}

static void notify_server(void *ctx)
{
    if (sel4_defer(kick, ctx) < 0)
        kick(ctx); /* the deferred-work table is full: signal now rather than lose it */
}

/* Wait (bounded) for the server PD to publish the link's storage info. */
static bool server_ready(const void *queues)
{
    for (unsigned i = 0; i < READY_YIELDS; i++) {
        if (blkq_client_info_ready(queues))
            return true;
        seL4_Yield();
    }
    return blkq_client_info_ready(queues);
}

int sel4_attach_blk_link(struct svmm_vm *vm, unsigned slot, char *err, size_t errlen)
{
    unsigned k = svmm_sel4_vm.blk_link[slot].link;
    struct sel4_blk_link *l;
    void *queues;

    if (k >= SEL4_MAX_BLK_LINKS || *link_vaddrs[k][0] == 0 || *link_vaddrs[k][1] == 0) {
        snprintf(err, errlen, "virtio slot %u: block link %u is not mapped into this VMM", slot, k);
        return -1;
    }
    l = &links[k];
    if (l->used) {
        snprintf(err, errlen, "virtio slot %u: block link %u is already in use", slot, k);
        return -1;
    }
    queues = (void *)*link_vaddrs[k][0];
    if (!server_ready(queues)) {
        snprintf(err, errlen, "virtio slot %u: the block server never published link %u's storage info", slot, k);
        return -1;
    }
    l->channel = svmm_sel4_vm.blk_link[slot].channel;
    if (blk_link_init(&l->link, queues, (void *)*link_vaddrs[k][1], svmm_sel4_vm.blk_link[slot].depth,
                      svmm_sel4_vm.blk_link[slot].slot_size, svmm_sel4_vm.blk_link[slot].read_only, notify_server,
                      l) < 0) {
        snprintf(err, errlen, "virtio slot %u: bad block link geometry or storage info", slot);
        return -1;
    }
    if (sel4_on_notify(l->channel, service, l) < 0) {
        snprintf(err, errlen, "virtio slot %u: too many channel hooks", slot);
        return -1;
    }
    l->used = true;
    /* The serial is the server's text: it goes to the guest, not into our log. */
    svmm_info("virtio-blk on block server link %u: %llu MiB%s, %u requests of up to %u bytes in flight", k,
              (unsigned long long)(l->link.blk.be.capacity >> 20), l->link.blk.be.read_only ? ", read-only" : "",
              svmm_sel4_vm.blk_link[slot].depth, svmm_sel4_vm.blk_link[slot].slot_size);
    return svmm_vm_attach_virtio(vm, slot, &l->link.blk.dev, err, errlen);
}
