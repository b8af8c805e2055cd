/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-vsock on seL4 (sel4_devices.h): VM-to-VM only. Each peer VM is a vsock_link over regions
 * the SDF maps into this VMM and the peer's (vsock_link<k>_queues/_send/_recv) and a channel
 * between the two VMMs. There is no host (CID 2) on seL4: the guest's connections to it are
 * refused with RST, and nothing connects to the guest from it.
 */
#include <microkit.h>
#include <stdio.h>
#include <svmm/log.h>
#include <svmm/virtio_vsock.h>
#include <svmm/vsock_link.h>
#include "sel4_devices.h"
#include "sel4_vm.h"

/* Mappings of each link, patched in by the Microkit tool (setvar_vaddr in the SDF). */
#define VSOCK_LINK_VARS(k) uintptr_t vsock_link##k##_queues, vsock_link##k##_send, vsock_link##k##_recv;
VSOCK_LINK_VARS(0)
VSOCK_LINK_VARS(1)
VSOCK_LINK_VARS(2)
VSOCK_LINK_VARS(3)
_Static_assert(SEL4_MAX_VSOCK_LINKS == 4, "one VSOCK_LINK_VARS line per link");

static const uintptr_t *const link_vaddrs[SEL4_MAX_VSOCK_LINKS][3] = {
    { &vsock_link0_queues, &vsock_link0_send, &vsock_link0_recv },
    { &vsock_link1_queues, &vsock_link1_send, &vsock_link1_recv },
    { &vsock_link2_queues, &vsock_link2_send, &vsock_link2_recv },
    { &vsock_link3_queues, &vsock_link3_send, &vsock_link3_recv },
};

static struct virtio_vsock vsock;
static struct sel4_vsock_link {
    struct vsock_link link;
    unsigned channel;
} links[SEL4_MAX_VSOCK_LINKS];

/* ---- the host side: there is none on seL4 ---- */

static int no_host_connect(void *ctx, unsigned id, uint32_t port)
{
    (void)ctx, (void)id, (void)port;
    return -1; /* the guest gets RST */
}

static void no_host_connected(void *ctx, unsigned id, bool ok)
{
    (void)ctx, (void)id, (void)ok;
}

static long no_host_io(void *ctx, unsigned id, const struct virtio_vsock_buf *b, unsigned n, size_t len)
{
    (void)ctx, (void)id, (void)b, (void)n, (void)len;
    return -1; /* unreachable: no connection to the host is ever established */
}

static void no_host_shutdown(void *ctx, unsigned id, uint32_t flags)
{
    (void)ctx, (void)id, (void)flags;
}

static void no_host_close(void *ctx, unsigned id)
{
    (void)ctx, (void)id;
}

/* ---- links ---- */

static void notify_peer(void *ctx)
{
    struct sel4_vsock_link *l = ctx;
    microkit_notify(l->channel);
}

/* A peer VMM signalled: deliver what the guest can take, return buffers, re-arm. */
static void service(void *ctx)
{
    (void)ctx;
    virtio_vsock_links_notified(&vsock);
}

static int attach_link(unsigned k, char *err, size_t errlen)
{
    const struct svmm_sel4_vm *c = &svmm_sel4_vm;
    struct sel4_vsock_link *l = &links[k];

    if (*link_vaddrs[k][0] == 0 || *link_vaddrs[k][1] == 0 || *link_vaddrs[k][2] == 0) {
        snprintf(err, errlen, "virtio-vsock: link %u is not mapped into this VMM", k);
        return -1;
    }
    l->channel = c->vsock.links[k].channel;
    if (vsock_link_init(&l->link, c->vsock.cid, c->vsock.links[k].peer_cid, c->vsock.links[k].server,
                        (void *)*link_vaddrs[k][0], (void *)*link_vaddrs[k][1], (const void *)*link_vaddrs[k][2],
                        c->vsock.nbufs, c->vsock.buf_size, notify_peer, l) < 0 ||
        virtio_vsock_add_link(&vsock, &l->link) < 0) {
        snprintf(err, errlen, "virtio-vsock: link %u (peer cid %llu): bad geometry or peer", k,
                 (unsigned long long)c->vsock.links[k].peer_cid);
        return -1;
    }
    if (sel4_on_notify(l->channel, service, l) < 0) {
        snprintf(err, errlen, "virtio-vsock: link %u: too many channel hooks", k);
        return -1;
    }
    svmm_info("virtio-vsock: guest cid %llu, link %u to cid %llu on channel %u", (unsigned long long)c->vsock.cid, k,
              (unsigned long long)c->vsock.links[k].peer_cid, l->channel);
    return 0;
}

int sel4_attach_vsock(struct svmm_vm *vm, unsigned slot, char *err, size_t errlen)
{
    static const struct virtio_vsock_backend none = {
        .ctx = NULL, .buf_alloc = 0, .connect = no_host_connect, .connected = no_host_connected,
        .send = no_host_io, .recv = no_host_io, .shutdown = no_host_shutdown, .close = no_host_close, .wake = NULL,
    };
    const struct svmm_sel4_vm *c = &svmm_sel4_vm;

    if (c->vsock.nlinks > SEL4_MAX_VSOCK_LINKS) {
        snprintf(err, errlen, "virtio-vsock: %u links, at most %u", c->vsock.nlinks, SEL4_MAX_VSOCK_LINKS);
        return -1;
    }
    virtio_vsock_init(&vsock, c->vsock.cid, &none);
    for (unsigned k = 0; k < c->vsock.nlinks; k++)
        if (attach_link(k, err, errlen) < 0)
            return -1;
    return svmm_vm_attach_virtio(vm, slot, &vsock.dev, err, errlen);
}
