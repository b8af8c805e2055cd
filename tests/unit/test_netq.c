/* SPDX-License-Identifier: BSD-2-Clause */
/* netq: the inter-component frame rings, with an honest and a hostile peer. */
#include <stdlib.h>
#include <svmm/netq.h>
#include "test.h"

#define NB 8u
#define BS 256u

struct pair {
    void *q;
    uint8_t *data;
    struct netq_link_rings r;
    struct netq_sender s;
    struct netq_receiver rx;
};

static void pair_init(struct pair *p)
{
    p->q = calloc(1, netq_link_queue_bytes(NB));
    p->data = calloc(NB, BS);
    netq_link_rings(p->q, NB, &p->r);
    CHECK_EQ(netq_sender_init(&p->s, p->r.tx_active, p->r.tx_free, p->data, NB, BS), 0);
    CHECK_EQ(netq_receiver_init(&p->rx, p->r.tx_active, p->r.tx_free, p->data, NB, BS), 0);
}

static void pair_free(struct pair *p)
{
    free(p->q);
    free(p->data);
}

static void send_byte(struct pair *p, uint8_t v, uint32_t len)
{
    uint32_t idx;
    uint8_t *b = netq_sender_get(&p->s, &idx);
    CHECK(b != NULL);
    if (b == NULL)
        return;
    memset(b, v, len);
    netq_send(&p->s, idx, len);
}

TEST(netq_geometry)
{
    CHECK(netq_geometry_ok(2, 64));
    CHECK(netq_geometry_ok(512, 65562));
    CHECK(!netq_geometry_ok(0, 2048));
    CHECK(!netq_geometry_ok(1, 2048));
    CHECK(!netq_geometry_ok(6, 2048));      /* not a power of two */
    CHECK(!netq_geometry_ok(1024, 2048));   /* above NETQ_MAX_BUFS */
    CHECK(!netq_geometry_ok(8, 63));
    CHECK(!netq_geometry_ok(8, NETQ_MAX_BUF_SIZE + 1));
    CHECK_EQ(sizeof(struct netq_desc), 16);
    CHECK_EQ(offsetof(struct netq_ring, desc), 16);
    CHECK_EQ(netq_link_queue_bytes(NB) % 4096, 0);
}

TEST(netq_round_trip_and_exhaustion)
{
    struct pair p;
    uint32_t len, idx;
    const uint8_t *f;

    pair_init(&p);
    CHECK(netq_recv_peek(&p.rx, &len) == NULL);
    for (unsigned i = 0; i < NB; i++)
        send_byte(&p, (uint8_t)(i + 1), 10 + i);
    CHECK(netq_sender_get(&p.s, &idx) == NULL); /* every buffer is with the receiver */
    for (unsigned i = 0; i < NB; i++) {
        f = netq_recv_peek(&p.rx, &len);
        CHECK(f != NULL);
        CHECK_EQ(len, 10 + i);
        if (f)
            CHECK_EQ(f[0], i + 1);
        netq_recv_done(&p.rx);
    }
    CHECK(netq_recv_peek(&p.rx, &len) == NULL);
    CHECK_EQ(netq_sender_room(&p.s), NB);
    CHECK_EQ(p.rx.stats.received, NB);
    CHECK_EQ(p.s.stats.bad_return, 0);
    pair_free(&p);
}

TEST(netq_indices_wrap_at_2_32)
{
    struct pair p;
    uint32_t len;
    const uint32_t start = 0xfffffffcu;

    pair_init(&p);
    p.s.active_tail = p.rx.active_head = p.r.tx_active->tail = p.r.tx_active->head = start;
    p.s.free_head = p.rx.free_tail = p.r.tx_free->tail = p.r.tx_free->head = start;
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned i = 0; i < NB; i++)
            send_byte(&p, (uint8_t)i, 64);
        for (unsigned i = 0; i < NB; i++) {
            CHECK(netq_recv_peek(&p.rx, &len) != NULL);
            netq_recv_done(&p.rx);
        }
        CHECK_EQ(netq_sender_room(&p.s), NB);
    }
    CHECK(p.s.active_tail < start); /* it wrapped */
    CHECK_EQ(p.s.stats.bad_return + p.rx.stats.bad_desc + p.rx.stats.bad_index, 0);
    pair_free(&p);
}

TEST(netq_receiver_refuses_bad_descriptors)
{
    struct pair p;
    uint32_t len;
    const uint8_t *f;
    const struct { uint64_t off; uint32_t len; } bad[] = {
        { 1, 10 },                 /* not a buffer start */
        { (uint64_t)NB * BS, 10 }, /* just past the region */
        { ~0ull - 5, 10 },         /* wraps */
        { 0, BS + 1 },             /* longer than a buffer */
        { BS, 0 },                 /* empty */
    };
    unsigned n = sizeof(bad) / sizeof(bad[0]);

    pair_init(&p);
    for (unsigned i = 0; i < n; i++) {
        p.r.tx_active->desc[i].offset = bad[i].off;
        p.r.tx_active->desc[i].len = bad[i].len;
    }
    p.r.tx_active->desc[n].offset = 2 * BS; /* then a good one */
    p.r.tx_active->desc[n].len = 7;
    p.data[2 * BS] = 0x5a;
    p.r.tx_active->tail = n + 1;
    f = netq_recv_peek(&p.rx, &len);
    CHECK(f == p.data + 2 * BS);
    CHECK_EQ(len, 7);
    CHECK_EQ(p.rx.stats.bad_desc, n);
    CHECK_EQ(p.r.tx_free->tail, n); /* the bad ones went back at once */
    netq_recv_done(&p.rx);
    CHECK_EQ(p.r.tx_free->tail, n + 1);
    pair_free(&p);
}

TEST(netq_receiver_stops_on_a_wild_tail)
{
    struct pair p;
    uint32_t len;

    pair_init(&p);
    p.r.tx_active->tail = NB + 1; /* more entries than the ring holds */
    CHECK(netq_recv_peek(&p.rx, &len) == NULL);
    CHECK(p.rx.broken);
    CHECK_EQ(p.rx.stats.bad_index, 1);
    p.r.tx_active->tail = 1;    /* no way back once broken (a reset will re-initialise) */
    CHECK(netq_recv_peek(&p.rx, &len) == NULL);
    CHECK_EQ(p.r.tx_active->head, 0); /* nothing consumed */
    pair_free(&p);
}

TEST(netq_sender_ignores_forged_returns)
{
    struct pair p;
    uint32_t len;

    pair_init(&p);
    send_byte(&p, 1, 10); /* buffer 0 is with the peer */
    /* The peer returns buffer 0 twice, buffer 3 (never sent), and a misaligned and an outside offset. */
    const uint64_t forged[] = { 0, 0, 3 * BS, 5, (uint64_t)NB * BS };
    for (unsigned i = 0; i < 5; i++)
        p.r.tx_free->desc[i].offset = forged[i];
    p.r.tx_free->tail = 5;
    CHECK_EQ(netq_sender_room(&p.s), NB);       /* only the real one came back */
    CHECK_EQ(p.s.stats.bad_return, 4);
    CHECK(netq_recv_peek(&p.rx, &len) != NULL);  /* the receiver still sees the frame */
    /* A free-ring tail running ahead by more than the ring: the sender stops reclaiming. */
    p.r.tx_free->tail = 5 + NB + 1;
    send_byte(&p, 2, 10);
    for (unsigned i = 0; i < NB; i++) {
        uint32_t idx;
        if (netq_sender_get(&p.s, &idx) == NULL)
            break;
    }
    CHECK(p.s.broken);
    CHECK_EQ(p.s.stats.bad_index, 1);
    pair_free(&p);
}

TEST(netq_notification_handshake)
{
    struct pair p;
    uint32_t len;

    pair_init(&p);
    /* Zeroed memory: the consumer starts out asking to be told. */
    send_byte(&p, 1, 10);
    CHECK(netq_must_notify(p.r.tx_active));
    send_byte(&p, 2, 10);
    CHECK(!netq_must_notify(p.r.tx_active)); /* one notification per batch */
    /* The consumer re-arms with work still pending: told to go on instead of sleeping. */
    CHECK(netq_ask_notify(p.r.tx_active, p.rx.active_head));
    while (netq_recv_peek(&p.rx, &len))
        netq_recv_done(&p.rx);
    CHECK(!netq_ask_notify(p.r.tx_active, p.rx.active_head));
    send_byte(&p, 3, 10);
    CHECK(netq_must_notify(p.r.tx_active));
    pair_free(&p);
}
