/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz virtio-net's tx chain parsing and rx delivery (src/virtio/net.c) behind the virtio-mmio
 * transport, on the fake guest memory of fuzz_vdev.h, with a backend whose verdicts the input picks.
 *
 * Input: u8 initial link state (bit 0), u16 send verdicts (2 bits per send, rotating: 0/1 OK,
 * 2 DROPPED, 3 BUSY), then ops. op & 8 clear: fuzz_vdev.h's common ops (queue 0 = rx, 1 = tx);
 * set: (op >> 4) & 7 picks
 *   0 receive  u8 size [u16]   one frame from the host: bit 7 set = explicit u16 length, else a
 *                              table (1, 14, 60, 1514, 4000, 9000, 65550, 65551, 0, ...)
 *   1 kick     -               virtio_net_tx_kick (the backend can send again)
 *   2 link     u8              virtio_net_set_link(bit 0)
 *   3 verdicts u16             new send verdicts
 *   4 burst    u8 n            n + 1 small frames
 *   5 config   -               MAC and status must match
 *   6 reset    -               device reset (status 0)
 *   7 retry    -               the last frame that found no buffers, again
 *
 * Invariants (besides fuzz_vdev.h's, which include: rx data lands only in offered device-writable
 * buffers): send() only with the link up and the device working, with 1..65550 bytes in 1..256
 * fragments inside guest RAM that sum to the length; after BUSY the next send() is the same frame
 * (unless the device was reset); tx_pending matches the backend's view; receive results follow the
 * rules (DROPPED for bad length / link down / broken device; NO_BUFFERS leaves the ring exactly as
 * it was; DELIVERED pushes exactly one chain without MRG_RXBUF, whose used lengths sum to the frame
 * plus the 12-byte header, with num_buffers equal to the chains used); statistics match.
 */
#include <svmm/virtio_net.h>
#include "fuzz_vdev.h"

#define MAX_OPS 512
#define RXQ VIRTIO_NET_RXQ
#define TXQ VIRTIO_NET_TXQ

static uint8_t frame[VIRTIO_NET_MAX_FRAME + 16];

static struct {
    struct virtio_net net;
    uint16_t verdicts;
    unsigned sends;
    uint64_t ok, busy, delivered, rx_ready_calls, config_irqs;
    bool held;            /* the backend answered BUSY and waits for the same frame */
    size_t held_len;
    unsigned held_n;
    const void *held_base;
    size_t retry_len;     /* last frame that found no buffers */
    void (*interrupt)(void *t, uint32_t bits);
} ns;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    vd_global_init();
    for (size_t i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)(i * 7 + 3);
    return 0;
}

static enum virtio_net_tx_result be_send(void *ctx, const struct virtio_net_frag *fr, unsigned n, size_t len)
{
    static const enum virtio_net_tx_result v[4] = { VIRTIO_NET_TX_OK, VIRTIO_NET_TX_OK, VIRTIO_NET_TX_DROPPED,
                                                    VIRTIO_NET_TX_BUSY };
    enum virtio_net_tx_result r;
    size_t sum = 0;

    FUZZ_CHECK(ctx == &ns);
    FUZZ_CHECK((ns.net.status & VIRTIO_NET_S_LINK_UP) && !ns.net.broken);
    FUZZ_CHECK(len >= 1 && len <= VIRTIO_NET_MAX_FRAME);
    FUZZ_CHECK(n >= 1 && n <= VIRTQ_MAX_SIZE);
    for (unsigned i = 0; i < n; i++) {
        FUZZ_CHECK(fr[i].len > 0);
        FUZZ_CHECK(vd_in_ram(fr[i].base, fr[i].len) || vd_in_ro(fr[i].base, fr[i].len));
        sum += fr[i].len;
    }
    FUZZ_CHECK(sum == len);
    /*
     * A retry of the frame held after BUSY happens while tx_pending is still set. The device may
     * also drop the held frame without asking (link down, the guest rewrote its header to ask for
     * offloads): tx_pending is then clear and this is the next frame.
     */
    if (ns.held && ns.net.tx_pending)
        FUZZ_CHECK(len == ns.held_len && n == ns.held_n && fr[0].base == ns.held_base);
    r = v[(ns.verdicts >> (2 * (ns.sends++ % 8))) & 3];
    ns.held = r == VIRTIO_NET_TX_BUSY;
    ns.held_len = len;
    ns.held_n = n;
    ns.held_base = fr[0].base;
    if (r == VIRTIO_NET_TX_OK)
        ns.ok++;
    else if (r == VIRTIO_NET_TX_BUSY)
        ns.busy++;
    return r;
}

static void be_rx_ready(void *ctx)
{
    FUZZ_CHECK(ctx == &ns);
    ns.rx_ready_calls++;
}

static void on_reset(void)
{
    ns.held = false;
    FUZZ_CHECK(!ns.net.tx_pending && !ns.net.broken);
}

static void count_interrupt(void *t, uint32_t bits)
{
    if (bits & VIRTIO_ISR_CONFIG)
        ns.config_irqs++;
    ns.interrupt(t, bits);
}

/*
 * Host pointer to the buffer of chain `head`'s descriptor, when it is a direct one the device has
 * not overwritten (a guest may alias buffers and rings; then the check is skipped).
 */
static const uint8_t *first_buffer(const struct virtq *q, uint16_t head, uint32_t *len)
{
    const uint8_t *d = q->desc + 16u * head;
    uint64_t addr = fz_get(d, 8);
    uint16_t flags = (uint16_t)fz_get(d + 12, 2);

    if (vd_in_ram(d, 16) && memcmp(d, vd_shadow + (d - VD_RAM), 16) != 0)
        return NULL;
    *len = (uint32_t)fz_get(d + 8, 4);
    if (flags & VIRTQ_DESC_F_INDIRECT)
        return NULL;
    return *len ? vd_drv_ptr(addr, *len) : NULL;
}

/* The used entries pushed after the header was written may overwrite a header aliasing a used ring. */
static bool overlaps_used(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (vd_in_used_ring((size_t)(p + i - VD_RAM)))
            return true;
    return false;
}

static void receive(size_t len)
{
    struct virtq *q = &ns.net.dev.queues[RXQ];
    bool mrg = virtio_has_feature(&ns.net.dev, VIRTIO_NET_F_MRG_RXBUF);
    bool up = ns.net.status & VIRTIO_NET_S_LINK_UP, broken = ns.net.broken;
    uint16_t used = q->used_idx, last = q->last_avail, in_flight = q->in_flight;
    bool ok_before = q->ready && q->error == VIRTQ_OK;
    uint64_t rx = ns.net.stats.rx_packets;
    int r = virtio_net_receive(&ns.net, frame, len);

    FUZZ_CHECK(r == VIRTIO_NET_RX_DELIVERED || r == VIRTIO_NET_RX_NO_BUFFERS || r == VIRTIO_NET_RX_DROPPED);
    if (len == 0 || len > VIRTIO_NET_MAX_FRAME || !up || broken)
        FUZZ_CHECK(r == VIRTIO_NET_RX_DROPPED);
    if (r != VIRTIO_NET_RX_DELIVERED) {
        FUZZ_CHECK(q->used_idx == used && ns.net.stats.rx_packets == rx);
        /* Unless the ring or device broke meanwhile, unused chains went back exactly. */
        if (ok_before && q->error == VIRTQ_OK && !ns.net.broken)
            FUZZ_CHECK(q->last_avail == last && q->in_flight == in_flight);
        if (r == VIRTIO_NET_RX_NO_BUFFERS) {
            FUZZ_CHECK(ns.net.rx_waiting);
            ns.retry_len = len;
        }
        return;
    }
    {
        uint16_t k = (uint16_t)(q->used_idx - used);
        uint64_t sum = 0;
        uint32_t first_id = 0, blen;
        const uint8_t *hdr;

        FUZZ_CHECK(up && !broken && ok_before);
        FUZZ_CHECK(k >= 1 && k <= q->num && (mrg || k == 1));
        FUZZ_CHECK(ns.net.stats.rx_packets == rx + 1);
        for (uint16_t i = 0; i < k; i++) {
            const uint8_t *e = q->used + 4 + 8u * ((uint16_t)(used + i) % q->num);
            uint32_t id = (uint32_t)fz_get(e, 4), l = (uint32_t)fz_get(e + 4, 4);
            FUZZ_CHECK(id < q->num);
            FUZZ_CHECK(l >= (i == 0 ? VIRTIO_NET_HDR_SIZE : 1u));
            if (i == 0)
                first_id = id;
            sum += l;
        }
        FUZZ_CHECK(sum == len + VIRTIO_NET_HDR_SIZE);
        ns.delivered++;
        /* num_buffers, when the header sits in one buffer the harness can find again */
        hdr = first_buffer(q, (uint16_t)first_id, &blen);
        if (hdr != NULL && blen >= VIRTIO_NET_HDR_SIZE && vd_in_ram(hdr, blen) && !overlaps_used(hdr, VIRTIO_NET_HDR_SIZE))
            FUZZ_CHECK(fz_get(hdr, 8) == 0 && fz_get(hdr + 8, 2) == 0 && fz_get(hdr + 10, 2) == k);
    }
}

static size_t frame_len(struct fin *f)
{
    static const size_t lens[16] = { 1, 14, 60, 64, 1514, 1518, 4000, 9000, 65550, 65551, 0, 100, 200, 2048, 500, 3 };
    uint8_t b = fin_u8(f);

    return (b & 0x80) ? fin_u16(f) : lens[b % 16];
}

static void net_op(uint8_t op, struct fin *f)
{
    switch ((op >> 4) & 7) {
    case 0: receive(frame_len(f)); break;
    case 1: virtio_net_tx_kick(&ns.net); break;
    case 2: {
        bool up = fin_u8(f) & 1, was = ns.net.status & VIRTIO_NET_S_LINK_UP;
        uint64_t irqs = ns.config_irqs;
        virtio_net_set_link(&ns.net, up);
        FUZZ_CHECK(ns.config_irqs ==
                   irqs + (up != was && virtio_has_feature(&ns.net.dev, VIRTIO_NET_F_STATUS) ? 1 : 0));
        break;
    }
    case 3: ns.verdicts = fin_u16(f); break;
    case 4: {
        unsigned n = fin_u8(f) % 16 + 1;
        for (unsigned i = 0; i < n; i++)
            receive(60 + 97 * i);
        break;
    }
    case 5: {
        uint32_t lo = vd_rd32(0x100), hi = vd_rd32(0x104);
        FUZZ_CHECK(lo == 0x6d767302u && (hi & 0xffff) == 0);
        FUZZ_CHECK((uint16_t)(hi >> 16) == (ns.net.status & VIRTIO_NET_S_LINK_UP));
        FUZZ_CHECK(vd_mmio(0x108, false, 2, 0) == 1);
        break;
    }
    case 6: vd_wr32(0x070, 0); break;
    case 7:
        if (ns.retry_len)
            receive(ns.retry_len);
        break;
    }
}

static void check(void)
{
    vd_check();
    /* The device may drop a held frame without asking the backend (link down, offload bits). */
    FUZZ_CHECK(!ns.net.tx_pending || ns.held);
    ns.held = ns.net.tx_pending;
    FUZZ_CHECK(ns.net.stats.tx_packets == ns.ok && ns.net.stats.tx_busy == ns.busy);
    FUZZ_CHECK(ns.net.stats.rx_packets == ns.delivered);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned feats[6] = { VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_STATUS, VIRTIO_NET_F_MAC,
                                       VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_STATUS, VIRTIO_NET_F_MAC };
    const struct virtio_net_backend be = { &ns, be_send, be_rx_ready };
    struct fin f = fin_make(data, size);
    uint8_t hdr = fin_u8(&f);

    memset(&ns, 0, sizeof(ns));
    ns.verdicts = fin_u16(&f);
    virtio_net_init(&ns.net, NULL, &be);
    vd_setup(&ns.net.dev, on_reset, feats);
    ns.interrupt = ns.net.dev.transport.interrupt;
    ns.net.dev.transport.interrupt = count_interrupt;
    if (hdr & 1)
        virtio_net_set_link(&ns.net, false);
    FUZZ_CHECK(vd_rd32(0x000) == 0x74726976u && vd_rd32(0x008) == VIRTIO_ID_NET);
    vd_run_ops(&f, MAX_OPS, net_op, check);
    return 0;
}
