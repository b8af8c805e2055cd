/* SPDX-License-Identifier: BSD-2-Clause */
/* The virtual switch: learning, flooding, source filter, ACLs, ageing, full and hostile ports. */
#include <stdlib.h>
#include <svmm/vswitch.h>
#include "test.h"

#define NB 8u
#define BS 4096u
#define HDR 12u

/* One VMM's end of a port, driven by hand. */
struct vmm_end {
    void *q;
    uint8_t *tx, *rx;
    struct netq_link_rings r;
    struct netq_sender s;   /* its tx */
    struct netq_receiver in;/* its rx */
};

static const uint8_t MAC_A[6] = { 0x52, 0x54, 0, 0, 0, 0xa };
static const uint8_t MAC_B[6] = { 0x52, 0x54, 0, 0, 0, 0xb };
static const uint8_t MAC_C[6] = { 0x52, 0x54, 0, 0, 0, 0xc };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void end_init(struct vswitch *sw, struct vmm_end *e, const char *name, const uint8_t *mac, bool filter)
{
    int port = vswitch_add_port(sw, name, mac, filter);

    CHECK(port >= 0);
    e->q = calloc(1, netq_link_queue_bytes(NB));
    e->tx = calloc(NB, BS);
    e->rx = calloc(NB, BS);
    netq_link_rings(e->q, NB, &e->r);
    CHECK_EQ(vswitch_attach(sw, (unsigned)port, e->q, e->tx, e->rx, NB, BS), 0);
    netq_sender_init(&e->s, e->r.tx_active, e->r.tx_free, e->tx, NB, BS);
    netq_receiver_init(&e->in, e->r.rx_active, e->r.rx_free, e->rx, NB, BS);
}

static void end_free(struct vmm_end *e)
{
    free(e->q);
    free(e->tx);
    free(e->rx);
}

/* Send a frame dst <- src with a one-byte payload `tag`; false if the VMM had no tx buffer. */
static bool send_frame(struct vmm_end *e, const uint8_t *dst, const uint8_t *src, uint8_t tag)
{
    uint32_t idx;
    uint8_t *b = netq_sender_get(&e->s, &idx);

    if (b == NULL)
        return false;
    memset(b, 0, HDR);
    memcpy(b + HDR, dst, 6);
    memcpy(b + HDR + 6, src, 6);
    b[HDR + 12] = 0x08;
    b[HDR + 13] = 0x00;
    b[HDR + 14] = tag;
    netq_send(&e->s, idx, HDR + 60);
    return true;
}

/* Frames waiting for this VMM: their tags, consumed and returned; returns how many. */
static unsigned recv_all(struct vmm_end *e, uint8_t *tags, unsigned max)
{
    unsigned n = 0;
    uint32_t len;
    const uint8_t *f;

    while ((f = netq_recv_peek(&e->in, &len)) != NULL) {
        if (n < max)
            tags[n] = f[HDR + 14];
        n++;
        netq_recv_done(&e->in);
    }
    return n;
}

static uint32_t poll_all(struct vswitch *sw, uint64_t now)
{
    uint32_t notify = 0, all = 0;
    while (vswitch_poll(sw, now, &notify))
        all |= notify;
    return all | notify;
}

TEST(vswitch_floods_then_learns)
{
    static struct vswitch sw;
    struct vmm_end a, b, c;
    uint8_t tags[NB];
    const uint8_t unknown[6] = { 0x52, 0x54, 0, 0, 0, 0xd };
    uint32_t notify;

    vswitch_init(&sw, 0);
    end_init(&sw, &a, "a", NULL, false); /* no static MACs: everything is learned */
    end_init(&sw, &b, "b", NULL, false);
    end_init(&sw, &c, "c", NULL, false);
    CHECK(send_frame(&a, BCAST, MAC_A, 1));
    notify = poll_all(&sw, 1000);
    CHECK_EQ(notify, 0x6);              /* b and c asked to be told; a does not wait for tx buffers */
    CHECK_EQ(recv_all(&b, tags, NB), 1);
    CHECK_EQ(tags[0], 1);
    CHECK_EQ(recv_all(&c, tags, NB), 1);
    CHECK_EQ(recv_all(&a, tags, NB), 0); /* never back to the sender */
    CHECK_EQ(vswitch_lookup(&sw, MAC_A, 1000), 0);
    /* b answers a: unicast, only a sees it. */
    CHECK(send_frame(&b, MAC_A, MAC_B, 2));
    poll_all(&sw, 2000);
    CHECK_EQ(recv_all(&a, tags, NB), 1);
    CHECK_EQ(tags[0], 2);
    CHECK_EQ(recv_all(&c, tags, NB), 0);
    /* An unknown unicast destination floods. */
    CHECK(send_frame(&a, unknown, MAC_A, 3));
    poll_all(&sw, 3000);
    CHECK_EQ(recv_all(&b, tags, NB) + recv_all(&c, tags, NB), 2);
    CHECK_EQ(sw.ports[0].stats.in_frames, 2);
    CHECK_EQ(sw.ports[1].stats.out_frames, 2);
    /* The tx buffers all came back to the senders. */
    CHECK_EQ(netq_sender_room(&a.s), NB);
    CHECK_EQ(netq_sender_room(&b.s), NB);
    end_free(&a), end_free(&b), end_free(&c);
}

TEST(vswitch_learned_entries_age_out_static_ones_do_not)
{
    static struct vswitch sw;
    struct vmm_end a, b;
    const uint64_t age = 1000000;

    vswitch_init(&sw, age);
    end_init(&sw, &a, "a", MAC_A, true);
    end_init(&sw, &b, "b", NULL, false);
    CHECK(send_frame(&b, BCAST, MAC_B, 1));
    poll_all(&sw, 10);
    CHECK_EQ(vswitch_lookup(&sw, MAC_B, 10), 1);
    CHECK_EQ(vswitch_lookup(&sw, MAC_B, 10 + age - 1), 1);
    CHECK_EQ(vswitch_lookup(&sw, MAC_B, 10 + age), -1);
    CHECK_EQ(vswitch_lookup(&sw, MAC_A, 10 + 100 * age), 0); /* static */
    CHECK_EQ(vswitch_lookup(&sw, MAC_C, 10), -1);
    end_free(&a), end_free(&b);
}

TEST(vswitch_drops_and_counts_spoofed_sources)
{
    static struct vswitch sw;
    struct vmm_end a, b;
    uint8_t tags[NB];
    const uint8_t mcast_src[6] = { 0x01, 0, 0x5e, 0, 0, 1 };

    vswitch_init(&sw, 0);
    end_init(&sw, &a, "a", MAC_A, true);
    end_init(&sw, &b, "b", MAC_B, true);
    CHECK(send_frame(&a, MAC_B, MAC_B, 1)); /* a pretends to be b */
    CHECK(send_frame(&a, BCAST, MAC_C, 2)); /* a made-up MAC */
    CHECK(send_frame(&a, BCAST, mcast_src, 3));
    CHECK(send_frame(&a, MAC_B, MAC_A, 4)); /* honest */
    poll_all(&sw, 1);
    CHECK_EQ(recv_all(&b, tags, NB), 1);
    CHECK_EQ(tags[0], 4);
    CHECK_EQ(sw.ports[0].stats.drop_spoof, 2);
    CHECK_EQ(sw.ports[0].stats.drop_malformed, 1);
    CHECK_EQ(vswitch_lookup(&sw, MAC_B, 1), 1); /* b's entry did not move to a */
    CHECK_EQ(vswitch_lookup(&sw, MAC_C, 1), -1);
    CHECK_EQ(netq_sender_room(&a.s), NB);        /* dropped frames' buffers came back too */
    end_free(&a), end_free(&b);
}

TEST(vswitch_acl_limits_reach)
{
    static struct vswitch sw;
    struct vmm_end a, b, c;
    uint8_t tags[NB];

    vswitch_init(&sw, 0);
    end_init(&sw, &a, "a", MAC_A, true);
    end_init(&sw, &b, "b", MAC_B, true);
    end_init(&sw, &c, "c", MAC_C, true);
    vswitch_set_reach(&sw, 0, 1u << 1); /* a may only talk to b */
    CHECK(send_frame(&a, BCAST, MAC_A, 1));
    CHECK(send_frame(&a, MAC_C, MAC_A, 2));
    CHECK(send_frame(&c, MAC_A, MAC_C, 3)); /* c may not reach a either: both ends must allow */
    poll_all(&sw, 1);
    CHECK_EQ(recv_all(&b, tags, NB), 1);
    CHECK_EQ(recv_all(&c, tags, NB), 0);
    CHECK_EQ(recv_all(&a, tags, NB), 0);
    CHECK_EQ(sw.ports[0].stats.drop_acl, 1);
    CHECK_EQ(sw.ports[2].stats.drop_acl, 1);
    end_free(&a), end_free(&b), end_free(&c);
}

TEST(vswitch_full_port_drops_its_own_frames_only)
{
    static struct vswitch sw;
    struct vmm_end a, b, c;
    uint8_t tags[NB];
    unsigned sent = 0;

    vswitch_init(&sw, 0);
    end_init(&sw, &a, "a", MAC_A, true);
    end_init(&sw, &b, "b", MAC_B, true);
    end_init(&sw, &c, "c", MAC_C, true);
    /* b never consumes; a floods 3 rings' worth. a must never run out of tx buffers. */
    for (unsigned i = 0; i < 3 * NB; i++) {
        if (send_frame(&a, BCAST, MAC_A, (uint8_t)i))
            sent++;
        poll_all(&sw, 1);
        CHECK_EQ(recv_all(&c, tags, NB), 1);
    }
    CHECK_EQ(sent, 3 * NB);
    CHECK_EQ(sw.ports[1].stats.out_frames, NB);
    CHECK_EQ(sw.ports[1].stats.drop_full, 2 * NB);
    CHECK_EQ(recv_all(&b, tags, NB), NB); /* b catches up: it gets the first NB */
    CHECK_EQ(tags[0], 0);
    CHECK(send_frame(&a, MAC_B, MAC_A, 99));
    poll_all(&sw, 1);
    CHECK_EQ(recv_all(&b, tags, NB), 1);
    end_free(&a), end_free(&b), end_free(&c);
}

TEST(vswitch_hostile_port_cannot_disturb_others)
{
    static struct vswitch sw;
    struct vmm_end a, b, c;
    uint8_t tags[NB];

    vswitch_init(&sw, 0);
    end_init(&sw, &a, "a", MAC_A, true);
    end_init(&sw, &b, "b", MAC_B, true);
    end_init(&sw, &c, "c", MAC_C, true);
    /* a writes garbage descriptors, a runt, then an absurd tail. */
    a.r.tx_active->desc[0].offset = (uint64_t)NB * BS;
    a.r.tx_active->desc[0].len = 60;
    a.r.tx_active->desc[1].offset = 0;
    a.r.tx_active->desc[1].len = 5; /* shorter than the headers */
    a.r.tx_active->tail = 2;
    /* a returns an rx "buffer" that is no buffer. (A premature return of a real one cannot be told
     * from an honest one: it only lets the switch overwrite a frame a has not read yet.) */
    a.r.rx_free->desc[0].offset = 3 * BS + 1;
    a.r.rx_free->tail = 1;
    CHECK(send_frame(&b, MAC_C, MAC_B, 7));
    poll_all(&sw, 1);
    CHECK_EQ(sw.ports[0].in.stats.bad_desc, 1);
    CHECK_EQ(sw.ports[0].stats.drop_malformed, 1);
    CHECK_EQ(recv_all(&c, tags, NB), 1);
    a.r.tx_active->tail = 1000;
    CHECK(send_frame(&b, BCAST, MAC_B, 8));
    poll_all(&sw, 1);
    CHECK(sw.ports[0].in.broken);
    CHECK_EQ(recv_all(&c, tags, NB), 1);
    CHECK_EQ(tags[0], 8);
    /* Frames to a still go out until its rx buffers are gone; forged returns do not add any. */
    for (unsigned i = 0; i < 2 * NB; i++)
        CHECK(send_frame(&b, MAC_A, MAC_B, 9) || recv_all(&b, tags, NB) == 0);
    poll_all(&sw, 1);
    CHECK_EQ(sw.ports[0].stats.out_frames, NB);
    CHECK_EQ(sw.ports[0].out.stats.bad_return, 1);
    end_free(&a), end_free(&b), end_free(&c);
}

TEST(vswitch_detached_port_gets_nothing_and_is_forgotten)
{
    static struct vswitch sw;
    struct vmm_end a, b;
    uint8_t tags[NB];

    vswitch_init(&sw, 0);
    end_init(&sw, &a, "a", NULL, false);
    end_init(&sw, &b, "b", NULL, false);
    CHECK(send_frame(&b, BCAST, MAC_B, 1));
    poll_all(&sw, 1);
    CHECK_EQ(recv_all(&a, tags, NB), 1);
    CHECK_EQ(vswitch_lookup(&sw, MAC_B, 1), 1);
    vswitch_detach(&sw, 1);
    CHECK_EQ(vswitch_lookup(&sw, MAC_B, 1), -1);
    CHECK(send_frame(&a, MAC_B, MAC_A, 2));
    poll_all(&sw, 1);
    CHECK_EQ(sw.ports[1].stats.out_frames, 0);
    end_free(&a), end_free(&b);
}

TEST(vswitch_delivers_the_headers_it_checked)
{
    static struct vswitch sw;
    struct vmm_end a, b;
    uint32_t idx, len;
    uint8_t *buf;
    const uint8_t *f;

    vswitch_init(&sw, 0);
    end_init(&sw, &a, "a", MAC_A, true);
    end_init(&sw, &b, "b", MAC_B, true);
    b.r.info->rx_features = VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_CSUM); /* b's guest takes partial checksums */
    buf = netq_sender_get(&a.s, &idx);
    memset(buf, 0, 100);
    buf[0] = 1; /* NEEDS_CSUM: offload metadata travels untouched */
    buf[6] = 34;
    memcpy(buf + HDR, MAC_B, 6);
    memcpy(buf + HDR + 6, MAC_A, 6);
    buf[HDR + 40] = 0x77;
    netq_send(&a.s, idx, 100);
    poll_all(&sw, 1);
    f = netq_recv_peek(&b.in, &len);
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ(len, 100);
        CHECK(memcmp(f, buf, 100) == 0);
    }
    end_free(&a), end_free(&b);
}

/* ---- offloads the receiving guest did not negotiate: converted in software ---- */

/* RFC 1071 sum, written here independently of src/net/net_offload.c. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i < n; i++)
        s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
    return s;
}

static uint16_t fold16(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* A frame (after the 12-byte virtio header) whose IPv4 header and TCP checksum verify. */
static bool tcp4_frame_ok(const uint8_t *f, size_t len)
{
    size_t tcp_len = len - 34;
    uint8_t pseudo[12];

    if (len < 54 || (size_t)(f[16] << 8 | f[17]) != len - 14 || fold16(sum16(f + 14, 20, 0)) != 0xffff)
        return false;
    memcpy(pseudo, f + 26, 8);
    pseudo[8] = 0, pseudo[9] = 6, pseudo[10] = (uint8_t)(tcp_len >> 8), pseudo[11] = (uint8_t)tcp_len;
    return fold16(sum16(f + 34, tcp_len, sum16(pseudo, 12, 0))) == 0xffff;
}

/* An Ethernet + IPv4 + TCP frame (20-byte headers) with `payload` bytes, in buf after a zeroed vnet header. */
static size_t build_tcp4(uint8_t *buf, size_t payload, uint8_t tcp_flags)
{
    uint8_t *f = buf + HDR;
    size_t len = 54 + payload;

    memset(buf, 0, HDR);
    memcpy(f, MAC_B, 6);
    memcpy(f + 6, MAC_A, 6);
    f[12] = 0x08, f[13] = 0x00;
    memset(f + 14, 0, 40);
    f[14] = 0x45, f[16] = (uint8_t)((len - 14) >> 8), f[17] = (uint8_t)(len - 14);
    f[18] = 0x12, f[19] = 0x34; /* IP id */
    f[22] = 64, f[23] = 6;
    memcpy(f + 26, (const uint8_t[]){ 10, 0, 0, 1, 10, 0, 0, 2 }, 8);
    f[34] = 0x13, f[35] = 0x89, f[36] = 0x00, f[37] = 0x50;
    f[38] = 0x01, f[39] = 0x02, f[40] = 0x03, f[41] = 0x04; /* seq */
    f[46] = 0x50, f[47] = tcp_flags;
    for (size_t i = 0; i < payload; i++)
        f[54 + i] = (uint8_t)(i * 7 + 3);
    {
        uint16_t c = (uint16_t)~fold16(sum16(f + 14, 20, 0));
        f[24] = (uint8_t)(c >> 8), f[25] = (uint8_t)c;
    }
    return HDR + len;
}

TEST(vswitch_completes_checksums_for_guests_without_guest_csum)
{
    static struct vswitch sw;
    struct vmm_end a, b;
    uint32_t idx, len;
    uint8_t *buf;
    const uint8_t *f;
    size_t n;

    vswitch_init(&sw, 0);
    end_init(&sw, &a, "a", MAC_A, true);
    end_init(&sw, &b, "b", MAC_B, true); /* b publishes no offloads */
    buf = netq_sender_get(&a.s, &idx);
    n = build_tcp4(buf, 100, 0x18);
    buf[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    buf[6] = 34, buf[8] = 16; /* csum_start (TCP header), csum_offset (its checksum field) */
    /* The sender leaves the pseudo-header sum in the field, as Linux does. */
    {
        uint8_t pseudo[12];
        uint16_t ps;
        memcpy(pseudo, buf + HDR + 26, 8);
        pseudo[8] = 0, pseudo[9] = 6, pseudo[10] = 0, pseudo[11] = 120;
        ps = fold16(sum16(pseudo, 12, 0));
        buf[HDR + 50] = (uint8_t)(ps >> 8), buf[HDR + 51] = (uint8_t)ps;
    }
    netq_send(&a.s, idx, (uint32_t)n);
    poll_all(&sw, 1);
    f = netq_recv_peek(&b.in, &len);
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ(len, n);
        CHECK_EQ(f[0], 0); /* a plain frame now */
        CHECK(tcp4_frame_ok(f + HDR, len - HDR));
    }
    CHECK_EQ(sw.ports[1].stats.sw_csum, 1);
    end_free(&a), end_free(&b);
}

TEST(vswitch_segments_tso_for_guests_without_guest_tso)
{
    static struct vswitch sw;
    static uint8_t orig[HDR + 54 + 2500];
    struct vmm_end a, b, c;
    uint32_t idx, len;
    uint8_t *buf;
    const uint8_t *f;
    size_t n, got = 0;
    unsigned segs = 0;

    vswitch_init(&sw, 0);
    end_init(&sw, &a, "a", MAC_A, true);
    end_init(&sw, &b, "b", MAC_B, true);
    end_init(&sw, &c, "c", MAC_C, true);
    c.r.info->rx_features = VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_CSUM) | VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO4);
    buf = netq_sender_get(&a.s, &idx);
    n = build_tcp4(buf, 2500, 0x19); /* FIN|PSH|ACK: only the last segment keeps FIN and PSH */
    buf[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    buf[1] = VIRTIO_NET_HDR_GSO_TCPV4;
    buf[2] = 54, buf[4] = 0xe8, buf[5] = 0x03; /* hdr_len 54, gso_size 1000 */
    buf[6] = 34, buf[8] = 16;
    memcpy(orig, buf, n);
    memcpy(buf + HDR, BCAST, 6); /* flood: c takes it as is, b needs segments */
    memcpy(orig + HDR, BCAST, 6);
    netq_send(&a.s, idx, (uint32_t)n);
    poll_all(&sw, 1);
    while ((f = netq_recv_peek(&b.in, &len)) != NULL) {
        const uint8_t *p = f + HDR;
        size_t plen = len - HDR - 54;
        uint32_t seq = (uint32_t)p[38] << 24 | (uint32_t)p[39] << 16 | (uint32_t)p[40] << 8 | p[41];
        CHECK(tcp4_frame_ok(p, len - HDR));
        CHECK_EQ(f[1], 0);
        CHECK_EQ(seq, 0x01020304u + got);
        CHECK_EQ(p[47] & 0x09, segs == 2 ? 0x09 : 0);
        CHECK_EQ(p[18] << 8 | p[19], 0x1234 + segs);
        CHECK(memcmp(p + 54, orig + HDR + 54 + got, plen) == 0);
        got += plen;
        segs++;
        netq_recv_done(&b.in);
    }
    CHECK_EQ(segs, 3);
    CHECK_EQ(got, 2500);
    CHECK_EQ(sw.ports[1].stats.sw_segmented, 3);
    f = netq_recv_peek(&c.in, &len); /* c negotiated TSO: one frame, untouched */
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ(len, n);
        CHECK(memcmp(f, orig, n) == 0);
    }
    CHECK_EQ(sw.ports[2].stats.sw_segmented, 0);
    end_free(&a), end_free(&b), end_free(&c);
}

TEST(vswitch_refuses_offloads_it_cannot_convert)
{
    static struct vswitch sw;
    struct vmm_end a, b;
    uint32_t idx, len;
    uint8_t *buf;
    size_t n;

    vswitch_init(&sw, 0);
    end_init(&sw, &a, "a", MAC_A, true);
    end_init(&sw, &b, "b", MAC_B, true);
    /* TSO on a frame whose IP protocol is UDP; then a checksum field past the end. */
    buf = netq_sender_get(&a.s, &idx);
    n = build_tcp4(buf, 200, 0x10);
    buf[HDR + 23] = 17;
    buf[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM, buf[1] = VIRTIO_NET_HDR_GSO_TCPV4, buf[4] = 100, buf[6] = 34, buf[8] = 16;
    netq_send(&a.s, idx, (uint32_t)n);
    buf = netq_sender_get(&a.s, &idx);
    n = build_tcp4(buf, 10, 0x10);
    buf[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM, buf[6] = 60, buf[8] = 200;
    netq_send(&a.s, idx, (uint32_t)n);
    poll_all(&sw, 1);
    CHECK(netq_recv_peek(&b.in, &len) == NULL);
    CHECK_EQ(sw.ports[1].stats.drop_offload, 2);
    end_free(&a), end_free(&b);
}

/*
 * A checksum field inside the Ethernet header: completing it would rewrite the source MAC after
 * the source filter passed the frame (a spoof past the filter, found by fuzz_vswitch). Refused.
 */
TEST(vswitch_checksum_cannot_rewrite_the_ethernet_header)
{
    static struct vswitch sw;
    struct vmm_end a, b;
    uint32_t idx, len;
    uint8_t *buf;
    size_t n;

    vswitch_init(&sw, 0);
    end_init(&sw, &a, "a", MAC_A, true);
    end_init(&sw, &b, "b", MAC_B, true); /* b takes no offloads: the switch would complete the sum */
    buf = netq_sender_get(&a.s, &idx);
    n = build_tcp4(buf, 100, 0x18);
    buf[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    buf[6] = 0, buf[8] = 6; /* csum_start 0, the field at byte 6: the source MAC */
    netq_send(&a.s, idx, (uint32_t)n);
    poll_all(&sw, 1);
    CHECK(netq_recv_peek(&b.in, &len) == NULL);
    CHECK_EQ(sw.ports[1].stats.drop_offload, 1);
    CHECK_EQ(sw.ports[1].stats.sw_csum, 0);
    end_free(&a), end_free(&b);
}

/* ---- an uplink port (hosted: a tap behind the switch process) ---- */

static uint8_t uplink_got[4][128];
static unsigned uplink_n;

static bool uplink_send(void *ctx, const uint8_t *frame, uint32_t len)
{
    (void)ctx;
    if (uplink_n < 4)
        memcpy(uplink_got[uplink_n], frame, len < 128 ? len : 128);
    uplink_n++;
    return true;
}

TEST(vswitch_uplink_learns_floods_and_is_not_filtered)
{
    static struct vswitch sw;
    const struct vswitch_uplink up = { .ctx = NULL, .accepts = 0, .send = uplink_send };
    const uint8_t far_mac[6] = { 0x52, 0x54, 0, 0, 0x99, 0x01 };
    struct vmm_end a;
    uint8_t frame[HDR + 60] = { 0 }, tags[NB];
    uint32_t notify;
    int u;

    uplink_n = 0;
    vswitch_init(&sw, 0);
    end_init(&sw, &a, "a", MAC_A, true);
    u = vswitch_add_uplink(&sw, "tap0", &up);
    CHECK_EQ(u, 1);
    /* From the uplink: any source MAC (a whole network may be behind it), learned there. */
    memcpy(frame + HDR, BCAST, 6);
    memcpy(frame + HDR + 6, far_mac, 6);
    frame[HDR + 14] = 5;
    vswitch_input(&sw, (unsigned)u, frame, sizeof(frame), 1, &notify);
    CHECK_EQ(notify, 1u << 0);
    CHECK_EQ(recv_all(&a, tags, NB), 1);
    CHECK_EQ(tags[0], 5);
    CHECK_EQ(vswitch_lookup(&sw, far_mac, 1), u);
    /* To it: a's unicast to far_mac goes to the uplink only, as a private copy. */
    CHECK(send_frame(&a, far_mac, MAC_A, 6));
    poll_all(&sw, 2);
    CHECK_EQ(uplink_n, 1);
    CHECK_EQ(uplink_got[0][HDR + 14], 6);
    CHECK(memcmp(uplink_got[0] + HDR + 6, MAC_A, 6) == 0);
    /* An offload the uplink did not say it takes is dropped, not converted. */
    {
        uint32_t idx;
        uint8_t *b = netq_sender_get(&a.s, &idx);
        size_t n = build_tcp4(b, 100, 0x10);
        memcpy(b + HDR, far_mac, 6);
        b[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM, b[6] = 34, b[8] = 16;
        netq_send(&a.s, idx, (uint32_t)n);
    }
    poll_all(&sw, 3);
    CHECK_EQ(uplink_n, 1);
    CHECK_EQ(sw.ports[u].stats.drop_offload, 1);
    end_free(&a);
}
