/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VM-to-VM vsock: two virtio-vsock devices (guest CIDs 3 and 4) joined by a vsock_link pair over
 * one netq link in plain memory, each with a fake guest; plus a hostile peer writing the shared
 * rings by hand.
 */
#include <stdlib.h>
#include <svmm/le.h>
#include <svmm/virtio_vsock.h>
#include <svmm/vsock_link.h>
#include "fake_guest.h"
#include "test.h"

#define NB 8u  /* link buffers per direction: small, so the tests can fill a link */
#define BS VSOCK_LINK_BUF_SIZE
#define RXBUF 4096u

struct tvm {
    struct fake_guest rxg, txg;
    struct virtio_vsock vs;
    struct vsock_link link;
    uint16_t tx_desc, rx_seen;
    unsigned notified; /* the peer signalled us */
};

static struct tvm a, b;
static void *queues;
static uint8_t *data_a, *data_b; /* a's send region (b reads it), b's send region */

static int be_connect(void *ctx, unsigned id, uint32_t port) { (void)ctx; (void)id; (void)port; return -1; }
static void be_connected(void *ctx, unsigned id, bool ok) { (void)ctx; (void)id; (void)ok; }
static long be_send(void *ctx, unsigned id, const struct virtio_vsock_buf *bf, unsigned n, size_t len)
{
    (void)ctx; (void)id; (void)bf; (void)n;
    return (long)len;
}
static long be_recv(void *ctx, unsigned id, const struct virtio_vsock_buf *bf, unsigned n, size_t len)
{
    (void)ctx; (void)id; (void)bf; (void)n; (void)len;
    return VIRTIO_VSOCK_RECV_AGAIN;
}
static void be_shutdown(void *ctx, unsigned id, uint32_t f) { (void)ctx; (void)id; (void)f; }
static void be_close(void *ctx, unsigned id) { (void)ctx; (void)id; }
static void tr_irq(void *ctx, uint32_t bits) { (void)ctx; (void)bits; }
static void tr_needs_reset(void *ctx) { (void)ctx; }
static void notify_peer(void *ctx) { ((struct tvm *)ctx)->notified++; }

static void post_rx(struct tvm *t, unsigned count)
{
    for (unsigned k = 0; k < count; k++) {
        uint16_t i = (uint16_t)(t->rxg.avail_idx % 16);
        fg_desc(&t->rxg, FG_DESC, i, FG_BUF + 0x2000ull * i, VIRTIO_VSOCK_HDR_SIZE + RXBUF, VIRTQ_DESC_F_WRITE, 0);
        fg_publish(&t->rxg, i);
    }
    t->vs.dev.ops->queue_notify(&t->vs.dev, VIRTIO_VSOCK_RXQ);
}

static void vm_init(struct tvm *t, uint64_t cid)
{
    const struct virtio_vsock_backend be = { NULL, 1000, be_connect, be_connected, be_send, be_recv,
                                             be_shutdown, be_close, NULL };
    uint64_t f = 1ull << VIRTIO_F_VERSION_1;

    memset(t, 0, sizeof(*t));
    fg_init(&t->rxg, 16);
    fg_init(&t->txg, 16);
    virtio_vsock_init(&t->vs, cid, &be);
    t->vs.dev.transport = (struct virtio_transport){ tr_irq, tr_needs_reset, NULL };
    t->vs.dev.driver_features = f;
    t->vs.dev.driver_ok = true;
    CHECK_EQ(fg_enable(&t->rxg, &t->vs.dev.queues[VIRTIO_VSOCK_RXQ], f), 0);
    CHECK_EQ(fg_enable(&t->txg, &t->vs.dev.queues[VIRTIO_VSOCK_TXQ], f), 0);
}

/* a (cid 3, the server side) and b (cid 4) on one link; `up`: initialise the link memory. */
static void setup(bool up)
{
    queues = calloc(1, netq_link_queue_bytes(NB));
    data_a = calloc(NB, BS);
    data_b = calloc(NB, BS);
    vm_init(&a, 3);
    vm_init(&b, 4);
    a.link.peer_cid = 4;
    b.link.peer_cid = 3;
    if (up) {
        CHECK_EQ(vsock_link_init(&a.link, 3, 4, true, queues, data_a, data_b, NB, BS, notify_peer, &b), 0);
        CHECK_EQ(vsock_link_init(&b.link, 4, 3, false, queues, data_b, data_a, NB, BS, notify_peer, &a), 0);
    }
    CHECK_EQ(virtio_vsock_add_link(&a.vs, &a.link), 0);
    CHECK_EQ(virtio_vsock_add_link(&b.vs, &b.link), 0);
    post_rx(&a, 8);
    post_rx(&b, 8);
}

static void teardown(void)
{
    fg_free(&a.rxg); fg_free(&a.txg); fg_free(&b.rxg); fg_free(&b.txg);
    free(queues); free(data_a); free(data_b);
}

/* Deliver the peers' signals until nobody signals any more (what the platforms' hooks do). */
static void pump(void)
{
    for (int i = 0; i < 16 && (a.notified || b.notified); i++) {
        if (a.notified) { a.notified = 0; virtio_vsock_links_notified(&a.vs); }
        if (b.notified) { b.notified = 0; virtio_vsock_links_notified(&b.vs); }
    }
}

static void put_hdr(uint8_t *h, const struct virtio_vsock_hdr *p)
{
    virtio_vsock_hdr_put(h, p);
}

static void guest_send(struct tvm *t, const struct virtio_vsock_hdr *p, const void *payload, uint32_t len)
{
    uint16_t d = (uint16_t)(t->tx_desc % 8 * 2);
    uint64_t buf = FG_BUF + 0x10000ull * (d / 2);

    t->tx_desc++;
    put_hdr(fg_ptr(&t->txg, buf), p);
    if (len) {
        memcpy(fg_ptr(&t->txg, buf + 64), payload, len);
        fg_desc(&t->txg, FG_DESC, d, buf, VIRTIO_VSOCK_HDR_SIZE, VIRTQ_DESC_F_NEXT, (uint16_t)(d + 1));
        fg_desc(&t->txg, FG_DESC, (uint16_t)(d + 1), buf + 64, len, 0, 0);
    } else {
        fg_desc(&t->txg, FG_DESC, d, buf, VIRTIO_VSOCK_HDR_SIZE, 0, 0);
    }
    fg_publish(&t->txg, d);
    t->vs.dev.ops->queue_notify(&t->vs.dev, VIRTIO_VSOCK_TXQ);
}

static bool rx_next(struct tvm *t, struct virtio_vsock_hdr *p, uint8_t *payload)
{
    uint8_t *e, *h;
    uint32_t id, len;

    if (fg_used_idx(&t->rxg) == t->rx_seen)
        return false;
    e = fg_ptr(&t->rxg, FG_USED + 4 + 8u * (t->rx_seen % 16));
    id = (uint32_t)le_get(e, 4);
    len = (uint32_t)le_get(e + 4, 4);
    t->rx_seen++;
    h = fg_ptr(&t->rxg, FG_BUF + 0x2000ull * id);
    virtio_vsock_hdr_get(p, h);
    CHECK_EQ(len, VIRTIO_VSOCK_HDR_SIZE + p->len);
    if (payload)
        memcpy(payload, h + VIRTIO_VSOCK_HDR_SIZE, p->len);
    return true;
}

static struct virtio_vsock_hdr pk(uint64_t src, uint64_t dst, uint16_t op, uint32_t sport, uint32_t dport)
{
    return (struct virtio_vsock_hdr){ .src_cid = src, .dst_cid = dst, .src_port = sport, .dst_port = dport,
                                      .type = VIRTIO_VSOCK_TYPE_STREAM, .op = op, .buf_alloc = 262144 };
}

TEST(vsock_link_request_response_and_data_between_guests)
{
    struct virtio_vsock_hdr p;
    static uint8_t data[10000], got[10000];
    uint32_t off = 0;

    setup(true);
    /* a's guest port 1000 connects to b's guest port 5000: b sees it come from cid 3. */
    p = pk(3, 4, VIRTIO_VSOCK_OP_REQUEST, 1000, 5000);
    guest_send(&a, &p, NULL, 0);
    CHECK_EQ(b.notified, 1); /* b asked to hear about packets */
    pump();
    CHECK(rx_next(&b, &p, NULL));
    CHECK_EQ(p.op, VIRTIO_VSOCK_OP_REQUEST);
    CHECK_EQ(p.src_cid, 3);
    CHECK_EQ(p.dst_cid, 4);
    CHECK_EQ(p.src_port, 1000);
    CHECK_EQ(p.dst_port, 5000);
    CHECK_EQ(p.buf_alloc, 262144);
    p = pk(4, 3, VIRTIO_VSOCK_OP_RESPONSE, 5000, 1000);
    guest_send(&b, &p, NULL, 0);
    pump();
    CHECK(rx_next(&a, &p, NULL));
    CHECK_EQ(p.op, VIRTIO_VSOCK_OP_RESPONSE);
    CHECK_EQ(p.src_cid, 4);
    /* 10,000 bytes a -> b: two link packets (4 KiB payload each at most), three guest buffers. */
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + 1);
    p = pk(3, 4, VIRTIO_VSOCK_OP_RW, 1000, 5000);
    p.len = sizeof(data);
    guest_send(&a, &p, data, sizeof(data));
    CHECK_EQ(a.link.stats.sent, 4); /* REQUEST + 3 pieces */
    pump();
    while (rx_next(&b, &p, got + off)) {
        CHECK_EQ(p.op, VIRTIO_VSOCK_OP_RW);
        CHECK_EQ(p.src_cid, 3);
        CHECK(p.len <= RXBUF);
        off += p.len;
    }
    CHECK_EQ(off, sizeof(data));
    CHECK(memcmp(data, got, sizeof(data)) == 0);
    CHECK_EQ(b.link.stats.bad_packets, 0);
    CHECK_EQ(a.vs.stats.peer_packets, 2);
    teardown();
}

TEST(vsock_link_cid_without_link_gets_rst_from_that_cid)
{
    struct virtio_vsock_hdr p = pk(3, 7, VIRTIO_VSOCK_OP_REQUEST, 1000, 5000);

    setup(true);
    guest_send(&a, &p, NULL, 0);
    CHECK(rx_next(&a, &p, NULL));
    CHECK_EQ(p.op, VIRTIO_VSOCK_OP_RST);
    CHECK_EQ(p.src_cid, 7);
    CHECK_EQ(p.src_port, 5000);
    CHECK_EQ(p.dst_port, 1000);
    CHECK_EQ(a.vs.stats.refused_cid, 1);
    CHECK_EQ(a.link.stats.sent, 0);
    /* Its own CID is no peer either; an RST to nowhere is not answered. */
    p = pk(3, 3, VIRTIO_VSOCK_OP_REQUEST, 1000, 5000);
    guest_send(&a, &p, NULL, 0);
    CHECK(rx_next(&a, &p, NULL));
    CHECK_EQ(p.op, VIRTIO_VSOCK_OP_RST);
    p = pk(3, 9, VIRTIO_VSOCK_OP_RST, 1000, 5000);
    guest_send(&a, &p, NULL, 0);
    CHECK(!rx_next(&a, &p, NULL));
    teardown();
}

TEST(vsock_link_down_gets_rst)
{
    struct virtio_vsock_hdr p = pk(3, 4, VIRTIO_VSOCK_OP_REQUEST, 1000, 5000);

    setup(false);
    guest_send(&a, &p, NULL, 0);
    CHECK(rx_next(&a, &p, NULL));
    CHECK_EQ(p.op, VIRTIO_VSOCK_OP_RST);
    CHECK_EQ(p.src_cid, 4);
    CHECK_EQ(a.vs.stats.refused_cid, 0);
    teardown();
}

TEST(vsock_link_add_refuses_host_own_and_duplicate_cids)
{
    struct vsock_link l = { .peer_cid = VIRTIO_VSOCK_HOST_CID };

    setup(true);
    CHECK_EQ(virtio_vsock_add_link(&a.vs, &l), -1);
    l.peer_cid = 3;
    CHECK_EQ(virtio_vsock_add_link(&a.vs, &l), -1);
    l.peer_cid = 4;
    CHECK_EQ(virtio_vsock_add_link(&a.vs, &l), -1);
    teardown();
}

TEST(vsock_link_guest_header_checked_before_relaying)
{
    struct virtio_vsock_hdr p;

    setup(true);
    /* Spoofed source: dropped, not relayed, not answered. */
    p = pk(5, 4, VIRTIO_VSOCK_OP_REQUEST, 1000, 5000);
    guest_send(&a, &p, NULL, 0);
    CHECK_EQ(a.vs.stats.dropped_bad_cid, 1);
    /* A datagram type, a control op with a payload, a len past the payload, bad shutdown flags. */
    p = pk(3, 4, VIRTIO_VSOCK_OP_REQUEST, 1000, 5000);
    p.type = 2;
    guest_send(&a, &p, NULL, 0);
    p = pk(3, 4, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 1000, 5000);
    p.len = 4;
    guest_send(&a, &p, "abcd", 4);
    p = pk(3, 4, VIRTIO_VSOCK_OP_RW, 1000, 5000);
    p.len = 100;
    guest_send(&a, &p, "abcd", 4);
    p = pk(3, 4, VIRTIO_VSOCK_OP_SHUTDOWN, 1000, 5000);
    p.flags = 4;
    guest_send(&a, &p, NULL, 0);
    p = pk(3, 4, 99, 1000, 5000);
    guest_send(&a, &p, NULL, 0);
    CHECK_EQ(a.link.stats.sent, 0);
    for (int i = 0; i < 5; i++) {
        CHECK(rx_next(&a, &p, NULL));
        CHECK_EQ(p.op, VIRTIO_VSOCK_OP_RST);
        CHECK_EQ(p.src_cid, 4);
    }
    CHECK(!rx_next(&a, &p, NULL));
    teardown();
}

/* The hostile peer: publish `len` bytes at b's buffer `idx` on the ring b sends on (client tx). */
static void hostile_publish(uint32_t idx, const struct virtio_vsock_hdr *h, uint32_t len, uint32_t desc_len,
                            uint64_t offset)
{
    struct netq_link_rings r;
    uint32_t t;

    netq_link_rings(queues, NB, &r);
    put_hdr(data_b + (size_t)idx * BS, h);
    (void)len;
    t = r.tx_active->tail;
    r.tx_active->desc[t % NB].offset = offset;
    r.tx_active->desc[t % NB].len = desc_len;
    r.tx_active->tail = t + 1;
}

TEST(vsock_link_hostile_peer_packets_dropped_and_counted)
{
    struct virtio_vsock_hdr p, good = pk(4, 3, VIRTIO_VSOCK_OP_REQUEST, 5000, 1000);
    struct virtio_vsock_hdr bad[8];
    uint32_t H = VIRTIO_VSOCK_HDR_SIZE;

    setup(true);
    for (int i = 0; i < 8; i++)
        bad[i] = good;
    bad[0].src_cid = 5;                     /* another VM's CID: not this link's to use */
    bad[1].src_cid = VIRTIO_VSOCK_HOST_CID; /* the host's */
    bad[2].dst_cid = 9;                     /* not our guest */
    bad[3].type = 2;
    bad[4].op = 0;
    bad[5].op = VIRTIO_VSOCK_OP_CREDIT_UPDATE, bad[5].len = 8; /* control op with payload */
    bad[6].op = VIRTIO_VSOCK_OP_RW, bad[6].len = 5000;       /* len says more than the buffer holds */
    bad[7].op = VIRTIO_VSOCK_OP_SHUTDOWN, bad[7].flags = 8;
    for (uint32_t i = 0; i < 8; i++)
        hostile_publish(i % NB, &bad[i], 0, H + (i == 5 ? 8 : 0) + (i == 6 ? 100 : 0), (uint64_t)(i % NB) * BS);
    virtio_vsock_links_notified(&a.vs);
    CHECK(!rx_next(&a, &p, NULL));
    CHECK_EQ(a.link.stats.bad_packets, 8);
    /* A descriptor shorter than a header, and one outside the region (netq's check). */
    netq_recv_peek(&a.link.rx, &(uint32_t){ 0 }); /* nothing pending */
    hostile_publish(0, &good, 0, 10, 0);
    hostile_publish(1, &good, 0, H, (uint64_t)NB * BS);
    virtio_vsock_links_notified(&a.vs);
    CHECK(!rx_next(&a, &p, NULL));
    CHECK_EQ(a.link.stats.bad_packets, 9);
    CHECK_EQ(a.link.rx.stats.bad_desc, 1);
    /* What its own CID may send still arrives. */
    hostile_publish(2, &good, 0, H, 2ull * BS);
    virtio_vsock_links_notified(&a.vs);
    CHECK(rx_next(&a, &p, NULL));
    CHECK_EQ(p.op, VIRTIO_VSOCK_OP_REQUEST);
    CHECK_EQ(p.src_cid, 4);
    CHECK_EQ(p.src_port, 5000);
    teardown();
}

TEST(vsock_link_hostile_peer_changing_header_after_check)
{
    struct virtio_vsock_hdr p, good = pk(4, 3, VIRTIO_VSOCK_OP_RW, 5000, 1000);
    uint8_t payload[16];

    setup(true);
    good.len = 16;
    memset(data_b + VIRTIO_VSOCK_HDR_SIZE, 'x', 16);
    hostile_publish(0, &good, 0, VIRTIO_VSOCK_HDR_SIZE + 16, 0);
    CHECK(vsock_link_peek(&a.link) != NULL);
    /* The peer rewrites the header after validation: the private copy is what counts. */
    good.len = 60000;
    good.src_cid = 7;
    put_hdr(data_b, &good);
    virtio_vsock_links_notified(&a.vs);
    CHECK(rx_next(&a, &p, payload));
    CHECK_EQ(p.len, 16);
    CHECK_EQ(p.src_cid, 4);
    teardown();
}

TEST(vsock_link_full_resets_only_that_connection)
{
    struct virtio_vsock_hdr p;
    uint8_t d[64] = { 0 };
    unsigned rst = 0;

    setup(true);
    /* b's VMM never consumes: a's NB buffers fill, then a's guest gets an RST for that connection. */
    for (unsigned i = 0; i < NB + 1; i++) {
        p = pk(3, 4, VIRTIO_VSOCK_OP_RW, 1000, 5000);
        p.len = sizeof(d);
        guest_send(&a, &p, d, sizeof(d));
    }
    CHECK_EQ(a.link.stats.sent, NB);
    CHECK_EQ(a.vs.stats.link_full, 1);
    while (rx_next(&a, &p, NULL))
        if (p.op == VIRTIO_VSOCK_OP_RST && p.src_cid == 4 && p.src_port == 5000 && p.dst_port == 1000)
            rst++;
    CHECK_EQ(rst, 1);
    /* The host path is untouched: a connection to cid 2 is still answered (refused by this backend). */
    p = pk(3, VIRTIO_VSOCK_HOST_CID, VIRTIO_VSOCK_OP_REQUEST, 1001, 6000);
    guest_send(&a, &p, NULL, 0);
    CHECK(rx_next(&a, &p, NULL));
    CHECK_EQ(p.src_cid, VIRTIO_VSOCK_HOST_CID);
    teardown();
}

TEST(vsock_link_waits_for_guest_rx_buffers)
{
    struct virtio_vsock_hdr p;
    static uint8_t data[3 * RXBUF];
    unsigned n = 0;

    setup(true);
    p = pk(3, 4, VIRTIO_VSOCK_OP_RW, 1000, 5000);
    p.len = sizeof(data);
    /* b's guest has 8 buffers for 9 pieces (each send is 3 link packets; the link has 8 buffers). */
    for (int i = 0; i < 3; i++) {
        guest_send(&a, &p, data, sizeof(data));
        pump();
    }
    CHECK_EQ(a.vs.stats.link_full, 0);
    while (rx_next(&b, &p, NULL))
        n++;
    CHECK_EQ(n, 8);
    CHECK(b.link.have_pkt); /* the ninth piece waits on the ring */
    post_rx(&b, 8);
    while (rx_next(&b, &p, NULL))
        n++;
    CHECK_EQ(n, 9);
    CHECK_EQ(b.link.stats.bad_packets, 0);
    teardown();
}
