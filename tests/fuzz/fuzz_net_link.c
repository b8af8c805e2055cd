/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz a VMM's end of a switch port (src/net/net_link.c over src/ipc/netq.c) from a hostile switch,
 * with a fuzzed guest driving the virtio-net device in front of it (tests/fuzz/fuzz_vdev.h). The
 * switch side writes anything into the link: the rx ring (indices, descriptors, flags), the rx data
 * region (frames with any virtio_net_hdr), returns on the tx free ring. Each link region is its own
 * heap block of the exact size, so ASan reports any access outside one.
 *
 * Invariants, after every operation: the guest-memory invariants of fuzz_vdev.h (the device writes
 * only into buffers the guest offered device-writable); the VMM never writes the switch's rx data
 * region (compared with a shadow only the harness updates); the VMM's tx ring never describes a
 * buffer outside its tx region or longer than a buffer; the VMM notifies and wakes only through its
 * callbacks.
 *
 * Input: a header byte, then operations (fuzz_vdev.h's common guest operations, op & 8 = ours):
 *   op >> 4 == 0  the switch publishes an rx descriptor {offset, len} (tail++), optionally a frame
 *            1  the switch sets the rx tail outright
 *            2  the switch writes bytes into its rx data region
 *            3  the switch returns a tx descriptor (any offset) on the free ring
 *            4  the switch consumes the VMM's tx ring (honestly: returns what it got)
 *            5  net_link_service (a notification from the switch, or the VMM's own wake-up)
 *            6  the switch flips the consumer_signalled flags
 */
#include <svmm/net_link.h>
#include "fuzz_vdev.h"

#define MAX_OPS 384
#define NB 8u
#define BS 2048u

static struct {
    struct net_link l;
    void *q;
    uint8_t *tx, *rx, *rx_shadow;
    struct netq_link_rings r;
    uint32_t sw_tx_head, sw_free_tail; /* the switch's private indices */
    uint64_t notifies, wakes;
} ls;

static void on_notify(void *ctx)
{
    FUZZ_CHECK(ctx == &ls);
    ls.notifies++;
}

static void on_wake(void *ctx)
{
    FUZZ_CHECK(ctx == &ls);
    ls.wakes++;
}

static void on_reset(void)
{
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    vd_global_init();
    ls.q = malloc(netq_link_queue_bytes(NB));
    ls.tx = malloc((size_t)NB * BS);
    ls.rx = malloc((size_t)NB * BS);
    ls.rx_shadow = malloc((size_t)NB * BS);
    return 0;
}

/* The switch takes what the VMM sent and returns it, checking each descriptor the VMM wrote. */
static void switch_consume_tx(void)
{
    uint32_t tail = ls.r.tx_active->tail;

    FUZZ_CHECK(tail - ls.sw_tx_head <= NB); /* the VMM never publishes more than it has buffers */
    while (ls.sw_tx_head != tail) {
        struct netq_desc d = ls.r.tx_active->desc[ls.sw_tx_head % NB];
        FUZZ_CHECK(d.offset % BS == 0 && d.offset / BS < NB && d.len <= BS && d.len >= VIRTIO_NET_HDR_SIZE);
        ls.r.tx_free->desc[ls.sw_free_tail % NB] = d;
        ls.r.tx_free->tail = ++ls.sw_free_tail;
        ls.sw_tx_head++;
    }
    ls.r.tx_active->head = ls.sw_tx_head;
}

static void rx_write(uint32_t off, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ls.rx[(off + i) % (NB * BS)] = b[i];
        ls.rx_shadow[(off + i) % (NB * BS)] = b[i];
    }
}

static void link_op(uint8_t op, struct fin *f)
{
    uint32_t a = fin_u16(f), b = fin_u16(f), slot;
    uint8_t bytes[64];

    switch ((op >> 4) & 7) {
    case 0:
        slot = ls.r.rx_active->tail;
        ls.r.rx_active->desc[slot % NB].offset = a % 4 ? a : (uint64_t)(a / 4 % (NB + 2)) * BS;
        ls.r.rx_active->desc[slot % NB].len = b % (BS + 32);
        if (op & 0x80) { /* with a frame: a header (any offload request) and an Ethernet header */
            for (unsigned i = 0; i < 32; i++)
                bytes[i] = fin_u8(f);
            rx_write((uint32_t)(a / 4 % NB) * BS, bytes, 32);
        }
        ls.r.rx_active->tail = slot + 1;
        break;
    case 1:
        ls.r.rx_active->tail = a | b << 16;
        break;
    case 2: {
        unsigned n = fin_u8(f) % sizeof(bytes);
        for (unsigned i = 0; i < n; i++)
            bytes[i] = fin_u8(f);
        rx_write(a | (b & 0xf) << 16, bytes, n);
        break;
    }
    case 3:
        ls.r.tx_free->desc[ls.sw_free_tail % NB].offset = a % 4 ? a : (uint64_t)(a / 4 % (NB + 2)) * BS;
        ls.r.tx_free->tail = ++ls.sw_free_tail;
        break;
    case 4:
        switch_consume_tx();
        break;
    case 5:
        for (unsigned i = 0; i < 4 && net_link_service(&ls.l); i++)
            ;
        break;
    case 6:
        ls.r.rx_active->consumer_signalled = a & 1;
        ls.r.tx_free->consumer_signalled = b & 1;
        break;
    default:
        virtio_net_tx_kick(&ls.l.net);
        break;
    }
}

static void check(void)
{
    vd_check();
    FUZZ_CHECK(memcmp(ls.rx, ls.rx_shadow, (size_t)NB * BS) == 0); /* the VMM only reads rx */
    FUZZ_CHECK(ls.r.tx_active->tail - ls.sw_tx_head <= NB);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned feats[6] = { VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_STATUS, VIRTIO_NET_F_GUEST_TSO4,
                                       VIRTIO_NET_F_CSUM, VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_GUEST_CSUM };
    struct fin f = fin_make(data, size);
    uint8_t mac[6] = { 2, 0, 0, 0, 0, fin_u8(&f) & 0xfe };

    memset(ls.q, 0, netq_link_queue_bytes(NB));
    memset(ls.tx, 0, (size_t)NB * BS);
    memset(ls.rx, 0, (size_t)NB * BS);
    memset(ls.rx_shadow, 0, (size_t)NB * BS);
    ls.sw_tx_head = ls.sw_free_tail = 0;
    ls.notifies = ls.wakes = 0;
    netq_link_rings(ls.q, NB, &ls.r);
    FUZZ_CHECK(net_link_init(&ls.l, mac, ls.q, ls.tx, ls.rx, NB, BS, on_notify, on_wake, &ls) == 0);
    vd_setup(&ls.l.net.dev, on_reset, feats);
    FUZZ_CHECK(vd_rd32(0x008) == VIRTIO_ID_NET);
    vd_run_ops(&f, MAX_OPS, link_op, check);
    return 0;
}
