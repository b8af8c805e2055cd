/* SPDX-License-Identifier: BSD-2-Clause */
/* The virtual switch: learning, flooding, source filter, ACLs, ageing, full and hostile ports. */
#include <stdlib.h>
#include <svmm/vswitch.h>
#include "test.h"

#define NB 8u
#define BS 2048u
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
