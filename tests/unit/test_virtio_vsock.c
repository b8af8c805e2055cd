/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <svmm/virtio_vsock.h>
#include "fake_guest.h"
#include "test.h"
#include <svmm/le.h>

#define CID 3u
#define HBUF 1000u /* the fake backend's buf_alloc */

static struct fake_guest rxg, txg;
static struct virtio_vsock vs;
static unsigned needs_reset_calls, connects, closes, wakes, shutdowns, connected_ok, connected_fail;
static uint32_t last_port, last_shutdown;
static int connect_result;
static long send_consume; /* < 0: consume everything */
static uint8_t to_host[100000];
static size_t to_host_len;
static uint8_t host_data[100000];
static size_t host_data_len, host_data_off;
static bool host_eof;
static uint16_t tx_desc, rx_seen;

static int be_connect(void *ctx, unsigned id, uint32_t port) { (void)ctx; (void)id; connects++; last_port = port; return connect_result; }
static void be_connected(void *ctx, unsigned id, bool ok) { (void)ctx; (void)id; if (ok) connected_ok++; else connected_fail++; }
static long be_send(void *ctx, unsigned id, const struct virtio_vsock_buf *b, unsigned n, size_t len)
{
    size_t tot = 0;
    (void)ctx; (void)id;
    for (unsigned i = 0; i < n; i++) {
        memcpy(to_host + to_host_len, b[i].base, b[i].len);
        to_host_len += b[i].len;
        tot += b[i].len;
    }
    CHECK_EQ(tot, len);
    return send_consume < 0 ? (long)len : send_consume;
}
static long be_recv(void *ctx, unsigned id, const struct virtio_vsock_buf *b, unsigned n, size_t len)
{
    size_t done = 0;
    (void)ctx; (void)id;
    if (host_data_off == host_data_len)
        return host_eof ? VIRTIO_VSOCK_RECV_EOF : VIRTIO_VSOCK_RECV_AGAIN;
    for (unsigned i = 0; i < n && done < len && host_data_off < host_data_len; i++) {
        size_t k = b[i].len;
        if (k > host_data_len - host_data_off)
            k = host_data_len - host_data_off;
        memcpy(b[i].base, host_data + host_data_off, k);
        host_data_off += k;
        done += k;
    }
    return (long)done;
}
static void be_shutdown(void *ctx, unsigned id, uint32_t f) { (void)ctx; (void)id; shutdowns++; last_shutdown = f; }
static void be_close(void *ctx, unsigned id) { (void)ctx; (void)id; closes++; }
static void be_wake(void *ctx) { (void)ctx; wakes++; }
static void tr_irq(void *ctx, uint32_t bits) { (void)ctx; (void)bits; }
static void tr_needs_reset(void *ctx) { (void)ctx; needs_reset_calls++; }

struct pkt {
    uint64_t src_cid, dst_cid;
    uint32_t src_port, dst_port, len;
    uint16_t type, op;
    uint32_t flags, buf_alloc, fwd_cnt;
};

static void post_rx_buffers(unsigned count)
{
    for (unsigned k = 0; k < count; k++) {
        uint16_t i = (uint16_t)(rxg.avail_idx % 16);
        fg_desc(&rxg, FG_DESC, i, FG_BUF + 0x2000ull * i, VIRTIO_VSOCK_HDR_SIZE + 4096, VIRTQ_DESC_F_WRITE, 0);
        fg_publish(&rxg, i);
    }
}

static void setup(void)
{
    const struct virtio_vsock_backend be = { NULL, HBUF, be_connect, be_connected, be_send, be_recv,
                                             be_shutdown, be_close, be_wake };
    uint64_t f = 1ull << VIRTIO_F_VERSION_1;

    fg_init(&rxg, 16);
    fg_init(&txg, 16);
    needs_reset_calls = connects = closes = wakes = shutdowns = connected_ok = connected_fail = 0;
    last_port = last_shutdown = 0;
    connect_result = 0;
    send_consume = -1;
    to_host_len = host_data_len = host_data_off = 0;
    host_eof = false;
    tx_desc = rx_seen = 0;
    virtio_vsock_init(&vs, CID, &be);
    vs.dev.transport = (struct virtio_transport){ tr_irq, tr_needs_reset, NULL };
    vs.dev.driver_features = f;
    vs.dev.driver_ok = true; /* as the transport sets it at DRIVER_OK */
    CHECK_EQ(fg_enable(&rxg, &vs.dev.queues[VIRTIO_VSOCK_RXQ], f), 0);
    CHECK_EQ(fg_enable(&txg, &vs.dev.queues[VIRTIO_VSOCK_TXQ], f), 0);
    post_rx_buffers(8);
}

static void teardown(void) { fg_free(&rxg); fg_free(&txg); }

/* The guest sends one packet (header and payload in separate descriptors). */
static void guest_send(const struct pkt *p, const void *payload, uint32_t payload_len)
{
    uint16_t d = (uint16_t)(tx_desc % 8 * 2);
    uint64_t buf = FG_BUF + 0x10000ull * (d / 2);
    uint8_t *h = fg_ptr(&txg, buf);

    tx_desc++;
    le_put(h, p->src_cid, 8);
    le_put(h + 8, p->dst_cid, 8);
    le_put(h + 16, p->src_port, 4);
    le_put(h + 20, p->dst_port, 4);
    le_put(h + 24, p->len, 4);
    le_put(h + 28, p->type, 2);
    le_put(h + 30, p->op, 2);
    le_put(h + 32, p->flags, 4);
    le_put(h + 36, p->buf_alloc, 4);
    le_put(h + 40, p->fwd_cnt, 4);
    if (payload_len) {
        memcpy(fg_ptr(&txg, buf + 64), payload, payload_len);
        fg_desc(&txg, FG_DESC, d, buf, VIRTIO_VSOCK_HDR_SIZE, VIRTQ_DESC_F_NEXT, (uint16_t)(d + 1));
        fg_desc(&txg, FG_DESC, (uint16_t)(d + 1), buf + 64, payload_len, 0, 0);
    } else {
        fg_desc(&txg, FG_DESC, d, buf, VIRTIO_VSOCK_HDR_SIZE, 0, 0);
    }
    fg_publish(&txg, d);
    vs.dev.ops->queue_notify(&vs.dev, VIRTIO_VSOCK_TXQ);
}

static struct pkt gp(uint16_t op, uint32_t sport, uint32_t dport)
{
    return (struct pkt){ CID, VIRTIO_VSOCK_HOST_CID, sport, dport, 0, VIRTIO_VSOCK_TYPE_STREAM, op, 0, 4096, 0 };
}

/* Next packet the device put in the rx queue; false if none. */
static bool rx_next(struct pkt *p, uint8_t *payload)
{
    uint8_t *e, *h;
    uint32_t id, len;

    if (fg_used_idx(&rxg) == rx_seen)
        return false;
    e = fg_ptr(&rxg, FG_USED + 4 + 8u * (rx_seen % 16));
    id = (uint32_t)le_get(e, 4);
    len = (uint32_t)le_get(e + 4, 4);
    rx_seen++;
    h = fg_ptr(&rxg, FG_BUF + 0x2000ull * id);
    *p = (struct pkt){ le_get(h, 8), le_get(h + 8, 8), (uint32_t)le_get(h + 16, 4), (uint32_t)le_get(h + 20, 4),
                       (uint32_t)le_get(h + 24, 4), (uint16_t)le_get(h + 28, 2), (uint16_t)le_get(h + 30, 2),
                       (uint32_t)le_get(h + 32, 4), (uint32_t)le_get(h + 36, 4), (uint32_t)le_get(h + 40, 4) };
    CHECK_EQ(len, VIRTIO_VSOCK_HDR_SIZE + p->len);
    if (payload)
        memcpy(payload, h + VIRTIO_VSOCK_HDR_SIZE, p->len);
    return true;
}

static uint16_t rx_op(void)
{
    struct pkt p;
    return rx_next(&p, NULL) ? p.op : 0xffff;
}

/* Guest port 1000 connects to host port 5000; the device answers RESPONSE. */
static void connect_1000_5000(void)
{
    struct pkt p = gp(VIRTIO_VSOCK_OP_REQUEST, 1000, 5000);
    guest_send(&p, NULL, 0);
    CHECK(rx_next(&p, NULL));
    CHECK_EQ(p.op, VIRTIO_VSOCK_OP_RESPONSE);
}

TEST(vsock_config_has_guest_cid)
{
    setup();
    CHECK_EQ(vs.dev.device_id, VIRTIO_ID_VSOCK);
    CHECK_EQ(vs.dev.ops->config_read(&vs.dev, 0, 4), CID);
    CHECK_EQ(vs.dev.ops->config_read(&vs.dev, 4, 4), 0);
    teardown();
}

TEST(vsock_guest_connect_accepted_gets_response)
{
    struct pkt p = gp(VIRTIO_VSOCK_OP_REQUEST, 1000, 5000);

    setup();
    guest_send(&p, NULL, 0);
    CHECK_EQ(connects, 1);
    CHECK_EQ(last_port, 5000);
    CHECK(rx_next(&p, NULL));
    CHECK_EQ(p.op, VIRTIO_VSOCK_OP_RESPONSE);
    CHECK_EQ(p.src_cid, VIRTIO_VSOCK_HOST_CID);
    CHECK_EQ(p.dst_cid, CID);
    CHECK_EQ(p.src_port, 5000);
    CHECK_EQ(p.dst_port, 1000);
    CHECK_EQ(p.type, VIRTIO_VSOCK_TYPE_STREAM);
    CHECK_EQ(p.buf_alloc, HBUF);
    CHECK(virtio_vsock_wants_recv(&vs, 0));
    teardown();
}

TEST(vsock_guest_connect_refused_gets_rst)
{
    struct pkt p = gp(VIRTIO_VSOCK_OP_REQUEST, 1000, 5000);

    setup();
    connect_result = -1;
    guest_send(&p, NULL, 0);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RST);
    CHECK_EQ(closes, 0);
    CHECK(!virtio_vsock_wants_recv(&vs, 0));
    teardown();
}

TEST(vsock_bad_src_cid_dropped_silently)
{
    struct pkt p = gp(VIRTIO_VSOCK_OP_REQUEST, 1000, 5000);

    setup();
    p.src_cid = 4;
    guest_send(&p, NULL, 0);
    CHECK_EQ(connects, 0);
    CHECK_EQ(fg_used_idx(&rxg), 0);
    CHECK_EQ(vs.stats.dropped_bad_cid, 1);
    CHECK_EQ(fg_used_idx(&txg), 1); /* the tx buffer is still returned */
    teardown();
}

TEST(vsock_bad_dst_cid_gets_rst)
{
    struct pkt p = gp(VIRTIO_VSOCK_OP_REQUEST, 1000, 5000);

    setup();
    p.dst_cid = 7;
    guest_send(&p, NULL, 0);
    CHECK_EQ(connects, 0);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RST);
    teardown();
}

TEST(vsock_unknown_op_and_type_get_rst_and_end_connection)
{
    struct pkt p;

    setup();
    p = gp(99, 1000, 5000);
    guest_send(&p, NULL, 0);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RST);
    p = gp(VIRTIO_VSOCK_OP_INVALID, 1000, 5000);
    guest_send(&p, NULL, 0);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RST);
    connect_1000_5000();
    p = gp(VIRTIO_VSOCK_OP_RW, 1000, 5000);
    p.type = 2; /* SEQPACKET, not negotiated */
    guest_send(&p, NULL, 0);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RST);
    CHECK_EQ(closes, 1);
    CHECK(!virtio_vsock_wants_recv(&vs, 0));
    teardown();
}

TEST(vsock_len_beyond_payload_or_limit_gets_rst)
{
    struct pkt p;

    setup();
    connect_1000_5000();
    p = gp(VIRTIO_VSOCK_OP_RW, 1000, 5000);
    p.len = 10;
    guest_send(&p, "12345", 5); /* claims 10, carries 5 */
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RST);
    CHECK_EQ(to_host_len, 0);
    connect_1000_5000();
    p = gp(VIRTIO_VSOCK_OP_CREDIT_REQUEST, 1000, 5000);
    p.len = 3; /* only RW carries data */
    guest_send(&p, "abc", 3);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RST);
    teardown();
}

TEST(vsock_short_tx_header_needs_reset)
{
    setup();
    fg_desc(&txg, FG_DESC, 0, FG_BUF, VIRTIO_VSOCK_HDR_SIZE - 1, 0, 0);
    fg_publish(&txg, 0);
    vs.dev.ops->queue_notify(&vs.dev, VIRTIO_VSOCK_TXQ);
    CHECK_EQ(needs_reset_calls, 1);
    CHECK(vs.broken);
    vs.dev.ops->reset(&vs.dev);
    CHECK(!vs.broken);
    teardown();
}

TEST(vsock_host_connect_waits_for_driver_ok)
{
    uint32_t hport;

    setup();
    vs.dev.driver_ok = false;
    CHECK(virtio_vsock_host_connect(&vs, 52, &hport) < 0);
    CHECK_EQ(fg_used_idx(&rxg), 0);
    vs.dev.driver_ok = true;
    CHECK(virtio_vsock_host_connect(&vs, 52, &hport) >= 0);
    teardown();
}

TEST(vsock_read_only_rx_buffer_needs_reset)
{
    struct pkt p = gp(VIRTIO_VSOCK_OP_REQUEST, 1000, 5000);

    setup();
    rx_seen = 0;
    fg_free(&rxg);
    /* Replace the posted buffers: a fresh queue whose only buffer is device-readable. */
    fg_init(&rxg, 16);
    CHECK_EQ(fg_enable(&rxg, &vs.dev.queues[VIRTIO_VSOCK_RXQ], 1ull << VIRTIO_F_VERSION_1), 0);
    fg_desc(&rxg, FG_DESC, 0, FG_BUF, 200, 0, 0);
    fg_publish(&rxg, 0);
    guest_send(&p, NULL, 0);
    CHECK_EQ(needs_reset_calls, 1);
    CHECK_EQ(fg_used_idx(&rxg), 0);
    teardown();
}

TEST(vsock_guest_data_reaches_host_with_credit_accounting)
{
    struct pkt p;

    setup();
    connect_1000_5000();
    p = gp(VIRTIO_VSOCK_OP_RW, 1000, 5000);
    p.len = 600;
    send_consume = 100; /* the host end takes 100 now, buffers 500 */
    guest_send(&p, host_data, 600);
    CHECK_EQ(to_host_len, 600);
    CHECK_EQ(vs.conns[0].rx_cnt, 600);
    CHECK_EQ(vs.conns[0].fwd_cnt, 100);
    /* The guest's view of our space fell below half and some was consumed: credit update. */
    CHECK(rx_next(&p, NULL));
    CHECK_EQ(p.op, VIRTIO_VSOCK_OP_CREDIT_UPDATE);
    CHECK_EQ(p.fwd_cnt, 100);
    /* 500 bytes of credit are left; 501 is more than we granted: RST. */
    p = gp(VIRTIO_VSOCK_OP_RW, 1000, 5000);
    p.len = 501;
    guest_send(&p, host_data, 501);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RST);
    CHECK_EQ(to_host_len, 600);
    CHECK_EQ(closes, 1);
    teardown();
}

TEST(vsock_credit_update_after_host_consumes)
{
    struct pkt p;

    setup();
    connect_1000_5000();
    p = gp(VIRTIO_VSOCK_OP_RW, 1000, 5000);
    p.len = 900;
    send_consume = 0;
    guest_send(&p, host_data, 900);
    CHECK(!rx_next(&p, NULL)); /* nothing consumed: no update */
    virtio_vsock_host_consumed(&vs, 0, 900);
    CHECK(rx_next(&p, NULL));
    CHECK_EQ(p.op, VIRTIO_VSOCK_OP_CREDIT_UPDATE);
    CHECK_EQ(p.fwd_cnt, 900);
    CHECK_EQ(p.buf_alloc, HBUF);
    p = gp(VIRTIO_VSOCK_OP_RW, 1000, 5000);
    p.len = 1000; /* the whole buffer again */
    guest_send(&p, host_data, 1000);
    CHECK(!rx_next(&p, NULL));
    CHECK_EQ(closes, 0);
    teardown();
}

TEST(vsock_credit_request_answered)
{
    struct pkt p;

    setup();
    connect_1000_5000();
    p = gp(VIRTIO_VSOCK_OP_CREDIT_REQUEST, 1000, 5000);
    guest_send(&p, NULL, 0);
    CHECK(rx_next(&p, NULL));
    CHECK_EQ(p.op, VIRTIO_VSOCK_OP_CREDIT_UPDATE);
    teardown();
}

TEST(vsock_host_data_respects_guest_credit)
{
    struct pkt p;
    uint8_t got[4096];

    setup();
    for (unsigned i = 0; i < 100; i++)
        host_data[i] = (uint8_t)i;
    host_data_len = 100;
    p = gp(VIRTIO_VSOCK_OP_REQUEST, 1000, 5000);
    p.buf_alloc = 30; /* the guest buffers only 30 bytes */
    guest_send(&p, NULL, 0);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RESPONSE);
    virtio_vsock_host_readable(&vs, 0);
    CHECK(rx_next(&p, got));
    CHECK_EQ(p.op, VIRTIO_VSOCK_OP_RW);
    CHECK_EQ(p.len, 30);
    CHECK(memcmp(got, host_data, 30) == 0);
    CHECK(!rx_next(&p, NULL)); /* no credit left */
    CHECK(!virtio_vsock_wants_recv(&vs, 0)); /* still readable: the backend need not poll */
    p = gp(VIRTIO_VSOCK_OP_CREDIT_UPDATE, 1000, 5000);
    p.buf_alloc = 30;
    p.fwd_cnt = 30; /* the guest application read it */
    guest_send(&p, NULL, 0);
    CHECK(rx_next(&p, got));
    CHECK_EQ(p.len, 30);
    CHECK(memcmp(got, host_data + 30, 30) == 0);
    /* A fwd_cnt beyond what we sent is impossible: RST. */
    p = gp(VIRTIO_VSOCK_OP_CREDIT_UPDATE, 1000, 5000);
    p.buf_alloc = 30;
    p.fwd_cnt = 61;
    guest_send(&p, NULL, 0);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RST);
    teardown();
}

TEST(vsock_host_eof_sends_shutdown_then_guest_close_gets_rst)
{
    struct pkt p;

    setup();
    connect_1000_5000();
    host_eof = true;
    virtio_vsock_host_readable(&vs, 0);
    CHECK(rx_next(&p, NULL));
    CHECK_EQ(p.op, VIRTIO_VSOCK_OP_SHUTDOWN);
    CHECK_EQ(p.flags, VIRTIO_VSOCK_SHUTDOWN_SEND);
    CHECK(!virtio_vsock_wants_recv(&vs, 0));
    p = gp(VIRTIO_VSOCK_OP_SHUTDOWN, 1000, 5000);
    p.flags = VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND;
    guest_send(&p, NULL, 0);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RST);
    CHECK_EQ(closes, 1);
    teardown();
}

TEST(vsock_guest_half_close_and_rst)
{
    struct pkt p;

    setup();
    connect_1000_5000();
    p = gp(VIRTIO_VSOCK_OP_SHUTDOWN, 1000, 5000);
    p.flags = VIRTIO_VSOCK_SHUTDOWN_SEND;
    guest_send(&p, NULL, 0);
    CHECK_EQ(shutdowns, 1);
    CHECK_EQ(last_shutdown, VIRTIO_VSOCK_SHUTDOWN_SEND);
    CHECK(!rx_next(&p, NULL));
    /* Data after SHUTDOWN_SEND is a violation. */
    p = gp(VIRTIO_VSOCK_OP_RW, 1000, 5000);
    p.len = 3;
    guest_send(&p, "abc", 3);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RST);
    CHECK_EQ(to_host_len, 0);
    /* An RST from the guest ends a connection without an answer. */
    connect_1000_5000();
    p = gp(VIRTIO_VSOCK_OP_RST, 1000, 5000);
    guest_send(&p, NULL, 0);
    CHECK_EQ(closes, 2);
    CHECK(!rx_next(&p, NULL));
    /* Unknown shutdown flags: RST. */
    connect_1000_5000();
    p = gp(VIRTIO_VSOCK_OP_SHUTDOWN, 1000, 5000);
    p.flags = 4;
    guest_send(&p, NULL, 0);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RST);
    teardown();
}

TEST(vsock_packet_for_unknown_connection_gets_rst)
{
    struct pkt p = gp(VIRTIO_VSOCK_OP_RW, 1000, 5000);

    setup();
    p.len = 3;
    guest_send(&p, "abc", 3);
    CHECK(rx_next(&p, NULL));
    CHECK_EQ(p.op, VIRTIO_VSOCK_OP_RST);
    CHECK_EQ(p.src_port, 5000);
    CHECK_EQ(p.dst_port, 1000);
    CHECK_EQ(to_host_len, 0);
    p = gp(VIRTIO_VSOCK_OP_RESPONSE, 1000, 5000);
    guest_send(&p, NULL, 0);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RST);
    teardown();
}

TEST(vsock_connection_table_full_gets_rst)
{
    struct pkt p;

    setup();
    for (uint32_t i = 0; i < VIRTIO_VSOCK_MAX_CONNS; i++) {
        p = gp(VIRTIO_VSOCK_OP_REQUEST, 2000 + i, 5000);
        guest_send(&p, NULL, 0);
        CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RESPONSE);
        post_rx_buffers(1);
    }
    CHECK_EQ(connects, VIRTIO_VSOCK_MAX_CONNS);
    p = gp(VIRTIO_VSOCK_OP_REQUEST, 9999, 5000);
    guest_send(&p, NULL, 0);
    CHECK_EQ(connects, VIRTIO_VSOCK_MAX_CONNS);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RST);
    CHECK_EQ(vs.stats.table_full, 1);
    CHECK_EQ(virtio_vsock_host_connect(&vs, 80, &last_port), -1);
    /* A duplicate REQUEST for a live connection resets it and frees its entry. */
    p = gp(VIRTIO_VSOCK_OP_REQUEST, 2000, 5000);
    guest_send(&p, NULL, 0);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RST);
    CHECK(virtio_vsock_host_connect(&vs, 80, &last_port) >= 0);
    teardown();
}

TEST(vsock_host_initiated_connection)
{
    struct pkt p;
    uint32_t hport = 0;
    int id;

    setup();
    id = virtio_vsock_host_connect(&vs, 52, &hport);
    CHECK(id >= 0);
    CHECK(hport >= VIRTIO_VSOCK_LOCAL_PORT_BASE);
    CHECK(rx_next(&p, NULL));
    CHECK_EQ(p.op, VIRTIO_VSOCK_OP_REQUEST);
    CHECK_EQ(p.src_port, hport);
    CHECK_EQ(p.dst_port, 52);
    CHECK(!virtio_vsock_wants_recv(&vs, (unsigned)id)); /* not before the guest accepts */
    p = gp(VIRTIO_VSOCK_OP_RESPONSE, 52, hport);
    guest_send(&p, NULL, 0);
    CHECK_EQ(connected_ok, 1);
    CHECK(virtio_vsock_wants_recv(&vs, (unsigned)id));
    /* A second RESPONSE is out of place: RST. */
    guest_send(&p, NULL, 0);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RST);
    /* The guest refusing: RST answers the REQUEST. */
    id = virtio_vsock_host_connect(&vs, 53, &hport);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_REQUEST);
    p = gp(VIRTIO_VSOCK_OP_RST, 53, hport);
    guest_send(&p, NULL, 0);
    CHECK_EQ(connected_fail, 1);
    CHECK(!virtio_vsock_wants_recv(&vs, (unsigned)id));
    teardown();
}

TEST(vsock_control_packets_wait_for_rx_buffers)
{
    struct pkt p;

    setup();
    for (uint32_t i = 0; i < 10; i++) { /* 8 buffers posted: the last two answers wait */
        p = gp(VIRTIO_VSOCK_OP_REQUEST, 3000 + i, 5000);
        guest_send(&p, NULL, 0);
    }
    CHECK_EQ(fg_used_idx(&rxg), 8);
    post_rx_buffers(4);
    vs.dev.ops->queue_notify(&vs.dev, VIRTIO_VSOCK_RXQ);
    CHECK_EQ(fg_used_idx(&rxg), 10);
    for (unsigned i = 0; i < 10; i++)
        CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_RESPONSE);
    teardown();
}

TEST(vsock_device_reset_closes_every_connection)
{
    setup();
    connect_1000_5000();
    virtio_vsock_host_connect(&vs, 52, &last_port);
    vs.dev.ops->reset(&vs.dev);
    CHECK_EQ(closes, 2);
    CHECK(!virtio_vsock_wants_recv(&vs, 0));
    teardown();
}

/* ---- the hosted CLI: --vsock ---- */
#include "cli.h"

static int parse_cli(struct svmm_cli *cli, char *err, size_t errlen, int argc, const char *const *argv)
{
    return svmm_cli_parse(argc, (char *const *)argv, cli, err, errlen);
}

#define CLI(...) ({ const char *const v_[] = { "svmm", "run", "--kernel", "Image", __VA_ARGS__ }; \
                    parse_cli(&cli, err, sizeof(err), sizeof(v_) / sizeof(v_[0]), v_); })

TEST(cli_vsock_parses_cid_and_path)
{
    static struct svmm_cli cli;
    char err[256];

    CHECK_EQ(CLI("--vsock", "cid=3,uds=/tmp/v.sock"), 0);
    CHECK(cli.has_vsock);
    CHECK_EQ(cli.vsock.cid, 3);
    CHECK_EQ(cli.vsock.uds_len, strlen("/tmp/v.sock"));
    CHECK(!strncmp(cli.vsock.uds, "/tmp/v.sock", cli.vsock.uds_len));
    CHECK_EQ(cli.vsock.slot, 1);
    CHECK_EQ(cli.cfg.virtio_ids[1], VIRTIO_ID_VSOCK);
    CHECK_EQ(CLI("--vsock=uds=/x,cid=4294967294"), 0);
    CHECK_EQ(cli.vsock.cid, 4294967294ull);
}

TEST(cli_vsock_bad_arguments_are_one_line_errors)
{
    static struct svmm_cli cli;
    char err[256];

    CHECK_EQ(CLI("--vsock", "cid=2,uds=/tmp/v"), -1);
    CHECK_STR_CONTAINS(err, "--vsock: cid '2' is not a number between 3 and 4294967294");
    CHECK_EQ(CLI("--vsock", "cid=4294967295,uds=/tmp/v"), -1);
    CHECK_STR_CONTAINS(err, "--vsock: cid");
    CHECK_EQ(CLI("--vsock", "cid=-3,uds=/tmp/v"), -1);
    CHECK_STR_CONTAINS(err, "--vsock: cid");
    CHECK_EQ(CLI("--vsock", "cid=3x,uds=/tmp/v"), -1);
    CHECK_STR_CONTAINS(err, "--vsock: cid");
    CHECK_EQ(CLI("--vsock", "cid=3"), -1);
    CHECK_STR_CONTAINS(err, "--vsock: missing uds=PATH");
    CHECK_EQ(CLI("--vsock", "uds=/tmp/v"), -1);
    CHECK_STR_CONTAINS(err, "--vsock: missing cid=N");
    CHECK_EQ(CLI("--vsock", "cid=3,uds="), -1);
    CHECK_STR_CONTAINS(err, "uds= needs a socket path");
    CHECK_EQ(CLI("--vsock", "cid=3,uds=/tmp/v,port=5"), -1);
    CHECK_STR_CONTAINS(err, "--vsock: unknown sub-option 'port'");
    CHECK_EQ(CLI("--vsock", "cid=3,uds=/a", "--vsock", "cid=4,uds=/b"), -1);
    CHECK_STR_CONTAINS(err, "--vsock: given twice");
}

TEST(cli_vsock_peers)
{
    static struct svmm_cli cli;
    char err[256];

    CHECK_EQ(CLI("--vsock", "cid=3,uds=/tmp/v,peer=4:/tmp/p34,peer=17:/run/x"), 0);
    CHECK_EQ(cli.vsock.npeers, 2);
    CHECK_EQ(cli.vsock.peers[0].cid, 4);
    CHECK_EQ(cli.vsock.peers[0].path_len, strlen("/tmp/p34"));
    CHECK(!strncmp(cli.vsock.peers[0].path, "/tmp/p34", cli.vsock.peers[0].path_len));
    CHECK_EQ(cli.vsock.peers[1].cid, 17);
    CHECK_EQ(CLI("--vsock", "cid=3,uds=/tmp/v,peer=3:/tmp/p"), -1);
    CHECK_STR_CONTAINS(err, "--vsock: peer 3 is this guest's own CID");
    CHECK_EQ(CLI("--vsock", "cid=3,uds=/tmp/v,peer=4:/a,peer=4:/b"), -1);
    CHECK_STR_CONTAINS(err, "--vsock: peer 4 given twice");
    CHECK_EQ(CLI("--vsock", "cid=3,uds=/tmp/v,peer=2:/a"), -1);
    CHECK_STR_CONTAINS(err, "--vsock: peer '2:/a' is not CID:SOCKPATH");
    CHECK_EQ(CLI("--vsock", "cid=3,uds=/tmp/v,peer=4"), -1);
    CHECK_STR_CONTAINS(err, "is not CID:SOCKPATH");
    CHECK_EQ(CLI("--vsock", "cid=3,uds=/tmp/v,peer=4:"), -1);
    CHECK_STR_CONTAINS(err, "is not CID:SOCKPATH");
    CHECK_EQ(CLI("--vsock", "cid=3,uds=/tmp/v,peer=4:/a,peer=5:/a,peer=6:/a,peer=7:/a,peer=8:/a,peer=9:/a,"
                 "peer=10:/a,peer=11:/a,peer=12:/a"), -1);
    CHECK_STR_CONTAINS(err, "--vsock: at most 8 peers");
}

TEST(vsock_header_sized_rx_buffers_do_not_stall_data)
{
    struct pkt p;

    setup();
    host_data_len = 10;
    connect_1000_5000(); /* 7 of the 8 default buffers left */
    /* Replace the rest with header-sized buffers (fresh ring). */
    fg_free(&rxg);
    fg_init(&rxg, 16);
    rx_seen = 0;
    CHECK_EQ(fg_enable(&rxg, &vs.dev.queues[VIRTIO_VSOCK_RXQ], 1ull << VIRTIO_F_VERSION_1), 0);
    for (uint16_t i = 0; i < 2; i++) {
        fg_desc(&rxg, FG_DESC, i, FG_BUF + 0x2000ull * i, VIRTIO_VSOCK_HDR_SIZE, VIRTQ_DESC_F_WRITE, 0);
        fg_publish(&rxg, i);
    }
    virtio_vsock_host_readable(&vs, 0); /* must return: each small buffer gets a credit update */
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_CREDIT_UPDATE);
    CHECK_EQ(rx_op(), VIRTIO_VSOCK_OP_CREDIT_UPDATE);
    CHECK_EQ(needs_reset_calls, 0);
    fg_desc(&rxg, FG_DESC, 2, FG_BUF + 0x4000, VIRTIO_VSOCK_HDR_SIZE + 100, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(&rxg, 2);
    vs.dev.ops->queue_notify(&vs.dev, VIRTIO_VSOCK_RXQ);
    CHECK(rx_next(&p, NULL));
    CHECK_EQ(p.op, VIRTIO_VSOCK_OP_RW);
    CHECK_EQ(p.len, 10);
    teardown();
}
