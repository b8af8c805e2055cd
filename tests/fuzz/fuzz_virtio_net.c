/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz virtio-net's tx chain parsing and rx delivery (src/virtio/net.c) behind the virtio-mmio
 * transport, on the fake guest memory of fuzz_vdev.h, with a backend whose verdicts the input picks.
 *
 * Input: u8 initial link state (bit 0) and backend offloads (bits 1-2: all, none, transmit only,
 * receive only), u16 send verdicts (2 bits per send, rotating: 0/1 OK, 2 DROPPED, 3 BUSY), then ops.
 * op & 8 clear: fuzz_vdev.h's common ops (queue 0 = rx, 1 = tx); set: (op >> 4) & 7 picks
 *   0 receive  u8 size [u16]   one frame from the host: bit 7 set = explicit u16 length, else a
 *      [hdr]                   table (1, 14, 60, 1514, 4000, 9000, 65593, 65594, 0, ...); op bit 7
 *                              set: with a header, u8 sel: < 0x80 one of a table of realistic
 *                              offload headers, else 10 raw bytes (flags, gso_type, 4 x le16)
 *   1 kick     -               virtio_net_tx_kick (the backend can send again)
 *   2 link     u8              virtio_net_set_link(bit 0)
 *   3 verdicts u16             new send verdicts
 *   4 burst    u8 n            n + 1 small frames
 *   5 config   -               MAC and status must match
 *   6 reset    -               device reset (status 0)
 *   7 retry    -               the last frame that found no buffers, again
 *
 * Invariants (besides fuzz_vdev.h's, which include: rx data lands only in offered device-writable
 * buffers): send() only with the link up and the device working, with 1..VIRTIO_NET_MAX_FRAME
 * bytes in 1..256 fragments inside guest RAM that sum to the length, and a header that asks only
 * for negotiated offloads the backend offered, consistently with the frame (checked here without
 * the device's own check function) and already normalised; after BUSY the next send() is the same
 * frame (unless the device was reset); tx_pending matches the backend's view; the device never
 * offers an offload the backend did not list; receive results follow the rules (DROPPED for bad
 * length / link down / broken device / a header the guest did not negotiate; NO_BUFFERS leaves the
 * ring exactly as it was; DELIVERED pushes exactly one chain without MRG_RXBUF, whose used lengths
 * sum to the frame plus the 12-byte header, with the header as given (DATA_VALID cleared without
 * GUEST_CSUM) and num_buffers equal to the chains used); statistics match.
 */
#include <svmm/virtio_net.h>
#include "fuzz_vdev.h"

#define MAX_OPS 512
#define RXQ VIRTIO_NET_RXQ
#define TXQ VIRTIO_NET_TXQ

static uint8_t frame[VIRTIO_NET_MAX_FRAME + 16];

#define B(f) VIRTIO_NET_BIT(VIRTIO_NET_F_##f)

static struct {
    struct virtio_net net;
    uint64_t offloads;    /* the backend's */
    uint16_t verdicts;
    unsigned sends;
    uint64_t ok, busy, delivered, rx_ready_calls, config_irqs;
    bool held;            /* the backend answered BUSY and waits for the same frame */
    size_t held_len;
    unsigned held_n;
    const void *held_base;
    size_t retry_len;     /* last frame that found no buffers */
    struct virtio_net_hdr retry_hdr;
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

/* The negotiated features (the transport lets only offered ones through; checked in vd_check). */
static uint64_t negotiated(void)
{
    return ns.net.dev.driver_features;
}

/* The feature a segmentation type needs, or 0 (unknown); UDP_L4 on receive needs both USO bits. */
static uint64_t gso_needs(uint8_t type, bool tx)
{
    switch (type) {
    case 1: return tx ? B(HOST_TSO4) : B(GUEST_TSO4);
    case 3: return tx ? B(HOST_UFO) : B(GUEST_UFO);
    case 4: return tx ? B(HOST_TSO6) : B(GUEST_TSO6);
    case 5: return tx ? B(HOST_USO) : B(GUEST_USO4) | B(GUEST_USO6);
    default: return 0;
    }
}

/* The harness's own reading of VirtIO 1.2 5.1.6: may a header with these fields go this way? */
static bool hdr_allowed(const struct virtio_net_hdr *h, size_t len, uint64_t f, bool tx)
{
    uint8_t type = h->gso_type & 0x7f;
    bool ecn = h->gso_type & 0x80, nc = h->flags & 1;

    if (nc && !(f & (tx ? B(CSUM) : B(GUEST_CSUM))))
        return false;
    if (nc && (size_t)h->csum_start + h->csum_offset + 2 > len)
        return false;
    if (h->hdr_len > len)
        return false;
    if (type == 0)
        return !ecn;
    if (gso_needs(type, tx) == 0 || (f & gso_needs(type, tx)) != gso_needs(type, tx) || h->gso_size == 0)
        return false;
    if (ecn && ((type != 1 && type != 4) || !(f & (tx ? B(HOST_ECN) : B(GUEST_ECN)))))
        return false;
    return !tx || nc;
}

static enum virtio_net_tx_result be_send(void *ctx, const struct virtio_net_hdr *hdr,
                                         const struct virtio_net_frag *fr, unsigned n, size_t len)
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
    /* The header: normalised (only NEEDS_CSUM, unused fields zero), within what was negotiated. */
    FUZZ_CHECK(hdr != NULL && (hdr->flags & ~1u) == 0);
    FUZZ_CHECK(hdr->flags || (hdr->csum_start == 0 && hdr->csum_offset == 0));
    FUZZ_CHECK(hdr->gso_type || hdr->gso_size == 0);
    FUZZ_CHECK(hdr_allowed(hdr, len, negotiated(), true));
    FUZZ_CHECK((negotiated() & VIRTIO_NET_OFFLOADS & ~ns.offloads) == 0);
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

static void receive(size_t len, const struct virtio_net_hdr *h)
{
    static const struct virtio_net_hdr plain;
    struct virtq *q = &ns.net.dev.queues[RXQ];
    bool mrg = virtio_has_feature(&ns.net.dev, VIRTIO_NET_F_MRG_RXBUF);
    bool up = ns.net.status & VIRTIO_NET_S_LINK_UP, broken = ns.net.broken;
    uint16_t used = q->used_idx, last = q->last_avail, in_flight = q->in_flight;
    bool ok_before = q->ready && q->error == VIRTQ_OK;
    uint64_t rx = ns.net.stats.rx_packets, f = negotiated();
    struct virtio_net_hdr want = h ? *h : plain;
    int r = virtio_net_receive(&ns.net, h, frame, len);

    FUZZ_CHECK(r == VIRTIO_NET_RX_DELIVERED || r == VIRTIO_NET_RX_NO_BUFFERS || r == VIRTIO_NET_RX_DROPPED);
    if (len == 0 || len > VIRTIO_NET_MAX_FRAME || !up || broken)
        FUZZ_CHECK(r == VIRTIO_NET_RX_DROPPED);
    if (!(f & B(GUEST_CSUM)))
        want.flags &= (uint8_t)~VIRTIO_NET_HDR_F_DATA_VALID;
    if (r == VIRTIO_NET_RX_DELIVERED)
        FUZZ_CHECK((want.flags & ~3u) == 0 && hdr_allowed(&want, len, f, false));
    if (r != VIRTIO_NET_RX_DELIVERED) {
        FUZZ_CHECK(q->used_idx == used && ns.net.stats.rx_packets == rx);
        /* Unless the ring or device broke meanwhile, unused chains went back exactly. */
        if (ok_before && q->error == VIRTQ_OK && !ns.net.broken)
            FUZZ_CHECK(q->last_avail == last && q->in_flight == in_flight);
        if (r == VIRTIO_NET_RX_NO_BUFFERS) {
            FUZZ_CHECK(ns.net.rx_waiting);
            ns.retry_len = len;
            ns.retry_hdr = h ? *h : plain;
        }
        return;
    }
    {
        uint16_t k = (uint16_t)(q->used_idx - used);
        uint64_t sum = 0;
        uint32_t first_id = 0, blen;
        const uint8_t *hdr;
        uint8_t wire[VIRTIO_NET_HDR_SIZE];

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
        /* The header as given and num_buffers, when it sits in one buffer the harness can find again */
        hdr = first_buffer(q, (uint16_t)first_id, &blen);
        virtio_net_hdr_put(wire, &want, k);
        if (hdr != NULL && blen >= VIRTIO_NET_HDR_SIZE && vd_in_ram(hdr, blen) && !overlaps_used(hdr, VIRTIO_NET_HDR_SIZE))
            FUZZ_CHECK(memcmp(hdr, wire, sizeof(wire)) == 0);
    }
}

static size_t frame_len(struct fin *f)
{
    static const size_t lens[16] = { 1, 14, 60, 64, 1514, 1518, 4000, 9000, VIRTIO_NET_MAX_FRAME,
                                     VIRTIO_NET_MAX_FRAME + 1, 0, 100, 200, 2048, 65000, 3 };
    uint8_t b = fin_u8(f);

    return (b & 0x80) ? fin_u16(f) : lens[b % 16];
}

/* A receive header: realistic offload headers from a table, or raw fields. */
static struct virtio_net_hdr rx_hdr(struct fin *f)
{
    static const struct virtio_net_hdr table[] = {
        { 0, 0, 0, 0, 0, 0 },          { 1, 0, 0, 0, 34, 16 },       { 2, 0, 0, 0, 0, 0 },
        { 1, 1, 66, 1448, 34, 16 },    { 2, 1, 66, 1448, 0, 0 },     { 1, 4, 86, 1428, 54, 16 },
        { 1, 0x81, 66, 1448, 34, 16 }, { 1, 3, 42, 1472, 34, 6 },    { 1, 5, 42, 1472, 34, 6 },
        { 1, 1, 66, 0, 34, 16 },       { 1, 0, 0, 0, 1500, 16 },     { 1, 1, 0xffff, 1448, 34, 16 },
    };
    uint8_t sel = fin_u8(f);
    struct virtio_net_hdr h;

    if (sel < 0x80)
        return table[sel % (sizeof(table) / sizeof(table[0]))];
    h.flags = fin_u8(f);
    h.gso_type = fin_u8(f);
    h.hdr_len = fin_u16(f);
    h.gso_size = fin_u16(f);
    h.csum_start = fin_u16(f);
    h.csum_offset = fin_u16(f);
    return h;
}

static void net_op(uint8_t op, struct fin *f)
{
    switch ((op >> 4) & 7) {
    case 0: {
        size_t len = frame_len(f);
        if (op & 0x80) {
            struct virtio_net_hdr h = rx_hdr(f);
            receive(len, &h);
        } else {
            receive(len, NULL);
        }
        break;
    }
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
            receive(60 + 97 * i, NULL);
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
            receive(ns.retry_len, &ns.retry_hdr);
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
    /* MAC (a config field only) gave its slot to an offload; the others come with raw feature writes. */
    static const unsigned feats[6] = { VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_STATUS, VIRTIO_NET_F_GUEST_TSO4,
                                       VIRTIO_NET_F_CSUM, VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_GUEST_CSUM };
    static const uint64_t offloads[4] = { VIRTIO_NET_OFFLOADS, 0, VIRTIO_NET_TX_OFFLOADS,
                                          VIRTIO_NET_RX_OFFLOADS | B(CSUM) };
    struct virtio_net_backend be = { &ns, 0, be_send, be_rx_ready };
    struct fin f = fin_make(data, size);
    uint8_t hdr = fin_u8(&f);

    memset(&ns, 0, sizeof(ns));
    ns.offloads = be.offloads = offloads[(hdr >> 1) & 3];
    ns.verdicts = fin_u16(&f);
    virtio_net_init(&ns.net, NULL, &be);
    FUZZ_CHECK((ns.net.dev.device_features & VIRTIO_NET_OFFLOADS & ~ns.offloads) == 0);
    vd_setup(&ns.net.dev, on_reset, feats);
    ns.interrupt = ns.net.dev.transport.interrupt;
    ns.net.dev.transport.interrupt = count_interrupt;
    if (hdr & 1)
        virtio_net_set_link(&ns.net, false);
    FUZZ_CHECK(vd_rd32(0x000) == 0x74726976u && vd_rd32(0x008) == VIRTIO_ID_NET);
    vd_run_ops(&f, MAX_OPS, net_op, check);
    return 0;
}
