/* SPDX-License-Identifier: BSD-2-Clause */
#include <pthread.h>
#include <stdlib.h>
#include <svmm/virtio_mmio.h>
#include <svmm/virtio_net.h>
#include "fake_guest.h"
#include "test.h"

/* Each queue gets its own fake guest (its own RAM and ring area). */
static struct fake_guest rxg, txg;
static struct virtio_net net;
static uint8_t sent[70000];
static size_t sent_len;
static unsigned sends, rx_ready_calls, needs_reset_calls, config_irqs, used_irqs;
static enum virtio_net_tx_result send_result;
static struct virtio_net_hdr sent_hdr;
static uint64_t be_offloads; /* the backend's offloads for the next setup() */

static enum virtio_net_tx_result be_send(void *ctx, const struct virtio_net_hdr *h, const struct virtio_net_frag *f,
                                        unsigned n, size_t len)
{
    (void)ctx;
    CHECK(h != NULL);
    sent_hdr = *h;
    sends++;
    sent_len = 0;
    for (unsigned i = 0; i < n; i++) {
        memcpy(sent + sent_len, f[i].base, f[i].len);
        sent_len += f[i].len;
    }
    CHECK_EQ(sent_len, len);
    return send_result;
}

static void be_rx_ready(void *ctx) { (void)ctx; rx_ready_calls++; }
static void tr_irq(void *ctx, uint32_t bits)
{
    (void)ctx;
    if (bits & VIRTIO_ISR_CONFIG)
        config_irqs++;
    if (bits & VIRTIO_ISR_USED)
        used_irqs++;
}
static void tr_needs_reset(void *ctx) { (void)ctx; needs_reset_calls++; }

static void setup(uint64_t extra_features)
{
    const struct virtio_net_backend be = { NULL, be_offloads, be_send, be_rx_ready };
    uint64_t f = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS | extra_features;

    fg_init(&rxg, 16);
    fg_init(&txg, 16);
    sends = rx_ready_calls = needs_reset_calls = config_irqs = used_irqs = 0;
    sent_len = 0;
    send_result = VIRTIO_NET_TX_OK;
    virtio_net_init(&net, NULL, &be);
    net.dev.transport = (struct virtio_transport){ tr_irq, tr_needs_reset, NULL };
    net.dev.driver_features = f;
    net.dev.driver_ok = true; /* as the transport sets it at DRIVER_OK */
    CHECK_EQ(fg_enable(&rxg, &net.dev.queues[VIRTIO_NET_RXQ], f), 0);
    CHECK_EQ(fg_enable(&txg, &net.dev.queues[VIRTIO_NET_TXQ], f), 0);
}

static void teardown(void)
{
    fg_free(&rxg);
    fg_free(&txg);
}

static void notify(unsigned q) { net.dev.ops->queue_notify(&net.dev, q); }

/* Post a tx frame as [header-part][rest of header + frame] to show the header may span buffers. */
static void post_tx(uint16_t head, const void *frame, uint32_t len)
{
    uint64_t buf = FG_BUF + 0x20000ull * head;

    memset(fg_ptr(&txg, buf), 0, VIRTIO_NET_HDR_SIZE);
    memcpy(fg_ptr(&txg, buf + VIRTIO_NET_HDR_SIZE), frame, len);
    fg_desc(&txg, FG_DESC, head, buf, 5, VIRTQ_DESC_F_NEXT, (uint16_t)(head + 1));
    fg_desc(&txg, FG_DESC, (uint16_t)(head + 1), buf + 5, VIRTIO_NET_HDR_SIZE - 5 + len, 0, 0);
    fg_publish(&txg, head);
}

TEST(net_tx_sends_frame_with_header_split_across_buffers)
{
    setup(0);
    post_tx(0, "0123456789abcdefghij", 20);
    notify(VIRTIO_NET_TXQ);
    CHECK_EQ(sends, 1);
    CHECK_EQ(sent_len, 20);
    CHECK(memcmp(sent, "0123456789abcdefghij", 20) == 0);
    CHECK_EQ(fg_used_idx(&txg), 1);
    CHECK_EQ(net.stats.tx_packets, 1);
    CHECK_EQ(net.stats.tx_bytes, 20);
    CHECK_EQ(used_irqs, 1);
    CHECK_EQ(needs_reset_calls, 0);
    teardown();
}

TEST(net_tx_short_header_needs_reset)
{
    setup(0);
    fg_desc(&txg, FG_DESC, 0, FG_BUF, VIRTIO_NET_HDR_SIZE - 1, 0, 0);
    fg_publish(&txg, 0);
    notify(VIRTIO_NET_TXQ);
    CHECK_EQ(sends, 0);
    CHECK_EQ(needs_reset_calls, 1);
    CHECK(net.broken);
    /* Nothing moves until reset. */
    post_tx(2, "abcdefghijklmn", 14);
    notify(VIRTIO_NET_TXQ);
    CHECK_EQ(sends, 0);
    net.dev.ops->reset(&net.dev);
    CHECK(!net.broken);
    teardown();
}

TEST(net_tx_device_writable_buffer_needs_reset)
{
    setup(0);
    fg_desc(&txg, FG_DESC, 0, FG_BUF, 40, VIRTQ_DESC_F_NEXT, 1);
    fg_desc(&txg, FG_DESC, 1, FG_BUF + 64, 40, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(&txg, 0);
    notify(VIRTIO_NET_TXQ);
    CHECK_EQ(sends, 0);
    CHECK_EQ(needs_reset_calls, 1);
    teardown();
}

TEST(net_tx_oversized_frame_dropped_and_returned)
{
    static uint8_t big[VIRTIO_NET_MAX_FRAME + 1];

    setup(0);
    post_tx(0, big, VIRTIO_NET_MAX_FRAME + 1);
    notify(VIRTIO_NET_TXQ);
    CHECK_EQ(sends, 0);
    CHECK_EQ(net.stats.tx_dropped, 1);
    CHECK_EQ(fg_used_idx(&txg), 1); /* the buffer goes back to the driver */
    CHECK_EQ(needs_reset_calls, 0);
    post_tx(2, big, VIRTIO_NET_MAX_FRAME); /* the largest allowed frame goes through */
    notify(VIRTIO_NET_TXQ);
    CHECK_EQ(sends, 1);
    CHECK_EQ(sent_len, VIRTIO_NET_MAX_FRAME);
    teardown();
}

TEST(net_tx_empty_frame_and_offload_request_dropped)
{
    setup(0);
    post_tx(0, "", 0);
    post_tx(2, "abcdefghijklmn", 14);
    fg_ptr(&txg, FG_BUF + 0x40000)[1] = 1; /* gso_type TCPV4, not negotiated */
    post_tx(4, "abcdefghijklmn", 14);
    fg_ptr(&txg, FG_BUF + 0x80000)[0] = 1; /* NEEDS_CSUM, not negotiated */
    notify(VIRTIO_NET_TXQ);
    CHECK_EQ(sends, 0);
    CHECK_EQ(net.stats.tx_dropped, 3);
    CHECK_EQ(fg_used_idx(&txg), 3);
    teardown();
}

TEST(net_tx_busy_backend_keeps_frame_until_kick)
{
    setup(0);
    send_result = VIRTIO_NET_TX_BUSY;
    post_tx(0, "abcdefghijklmn", 14);
    post_tx(2, "ABCDEFGHIJKLMN", 14);
    notify(VIRTIO_NET_TXQ);
    CHECK_EQ(sends, 1);
    CHECK_EQ(fg_used_idx(&txg), 0);
    send_result = VIRTIO_NET_TX_OK;
    virtio_net_tx_kick(&net);
    CHECK_EQ(sends, 3);
    CHECK(memcmp(sent, "ABCDEFGHIJKLMN", 14) == 0);
    CHECK_EQ(fg_used_idx(&txg), 2);
    CHECK_EQ(net.stats.tx_packets, 2);
    teardown();
}

/* The tx ring's avail_event (after the 16 used elements): where the device asks to be notified. */
static uint16_t tx_avail_event(void)
{
    uint8_t *p = fg_ptr(&txg, FG_USED + 4 + 8 * 16);

    return (uint16_t)(p[0] | p[1] << 8);
}

TEST(net_tx_polled_backend_arms_only_when_asked)
{
    setup(1ull << VIRTIO_F_EVENT_IDX);
    net.tx_polled = true;
    post_tx(0, "abcdefghijklmn", 14);
    notify(VIRTIO_NET_TXQ); /* drains, but leaves avail_event behind: the driver stays quiet */
    CHECK_EQ(sends, 1);
    CHECK_EQ(tx_avail_event(), 0);
    post_tx(2, "ABCDEFGHIJKLMN", 14);
    post_tx(4, "0123456789abcd", 14);
    CHECK_EQ(virtio_net_tx_poll(&net, false), 2);
    CHECK_EQ(tx_avail_event(), 0);
    CHECK_EQ(virtio_net_tx_poll(&net, false), 0);
    CHECK_EQ(virtio_net_tx_poll(&net, true), 0); /* empty: ask for a notification at avail index 3 */
    CHECK_EQ(tx_avail_event(), 3);
    post_tx(6, "abcdefghijklmn", 14);
    CHECK_EQ(virtio_net_tx_poll(&net, true), 1);
    CHECK_EQ(tx_avail_event(), 4);
    CHECK_EQ(net.stats.tx_packets, 4);
    CHECK_EQ(fg_used_idx(&txg), 4);
    /* Nothing moves before DRIVER_OK. */
    net.dev.driver_ok = false;
    post_tx(8, "abcdefghijklmn", 14);
    CHECK_EQ(virtio_net_tx_poll(&net, false), 0);
    CHECK_EQ(sends, 4);
    teardown();
}

/* Post a device-writable rx buffer of `len` bytes as descriptor `i`. */
static void post_rx(uint16_t i, uint32_t len)
{
    fg_desc(&rxg, FG_DESC, i, FG_BUF + 0x1000ull * i, len, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(&rxg, i);
}

static uint16_t rx_num_buffers(uint16_t i)
{
    uint8_t *h = fg_ptr(&rxg, FG_BUF + 0x1000ull * i);
    return (uint16_t)(h[10] | h[11] << 8);
}

TEST(net_rx_single_buffer_without_mergeable)
{
    setup(0);
    post_rx(0, 1526);
    CHECK_EQ(virtio_net_receive(&net, NULL, "hello, ethernet!", 16), VIRTIO_NET_RX_DELIVERED);
    CHECK_EQ(fg_used_idx(&rxg), 1);
    CHECK_EQ(fg_used_len(&rxg, 0), 16 + VIRTIO_NET_HDR_SIZE);
    CHECK_EQ(rx_num_buffers(0), 1);
    CHECK(memcmp(fg_ptr(&rxg, FG_BUF + VIRTIO_NET_HDR_SIZE), "hello, ethernet!", 16) == 0);
    CHECK_EQ(used_irqs, 1);
    teardown();
}

TEST(net_rx_mergeable_frame_spans_buffers)
{
    uint8_t frame[250];

    for (unsigned i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)i;
    setup(1ull << VIRTIO_NET_F_MRG_RXBUF);
    post_rx(0, 100);
    post_rx(1, 100);
    post_rx(2, 100);
    post_rx(3, 100);
    CHECK_EQ(virtio_net_receive(&net, NULL, frame, sizeof(frame)), VIRTIO_NET_RX_DELIVERED);
    CHECK_EQ(fg_used_idx(&rxg), 3);
    CHECK_EQ(rx_num_buffers(0), 3);
    CHECK_EQ(fg_used_len(&rxg, 0), 100);
    CHECK_EQ(fg_used_len(&rxg, 1), 100);
    CHECK_EQ(fg_used_len(&rxg, 2), 250 + 12 - 200);
    CHECK(memcmp(fg_ptr(&rxg, FG_BUF + 12), frame, 88) == 0);
    CHECK(memcmp(fg_ptr(&rxg, FG_BUF + 0x1000), frame + 88, 100) == 0);
    CHECK(memcmp(fg_ptr(&rxg, FG_BUF + 0x2000), frame + 188, 62) == 0);
    CHECK_EQ(net.stats.rx_buffers_used, 3);
    /* The fourth buffer is still available for the next frame. */
    CHECK_EQ(virtio_net_receive(&net, NULL, frame, 20), VIRTIO_NET_RX_DELIVERED);
    CHECK_EQ(fg_used_idx(&rxg), 4);
    CHECK_EQ(rx_num_buffers(3), 1);
    teardown();
}

TEST(net_rx_mergeable_not_enough_buffers_leaves_them_and_waits)
{
    uint8_t frame[300] = { 0 };

    setup(1ull << VIRTIO_NET_F_MRG_RXBUF | 1ull << VIRTIO_F_EVENT_IDX);
    post_rx(0, 100);
    post_rx(1, 100);
    CHECK_EQ(virtio_net_receive(&net, NULL, frame, sizeof(frame)), VIRTIO_NET_RX_NO_BUFFERS);
    CHECK_EQ(fg_used_idx(&rxg), 0);
    CHECK_EQ(net.stats.rx_no_buffers, 1);
    /* avail_event asks the driver to notify when the next buffer arrives: at its avail index */
    CHECK_EQ(fg_ptr(&rxg, FG_USED + 4 + 8 * 16)[0], 2);
    post_rx(2, 100);
    post_rx(3, 100);
    notify(VIRTIO_NET_RXQ);
    CHECK_EQ(rx_ready_calls, 1);
    CHECK_EQ(virtio_net_receive(&net, NULL, frame, sizeof(frame)), VIRTIO_NET_RX_DELIVERED);
    CHECK_EQ(rx_num_buffers(0), 4);
    notify(VIRTIO_NET_RXQ); /* not waiting any more: no wake-up */
    CHECK_EQ(rx_ready_calls, 1);
    teardown();
}

TEST(net_rx_frame_larger_than_whole_ring_dropped)
{
    uint8_t frame[2000] = { 0 };

    setup(1ull << VIRTIO_NET_F_MRG_RXBUF);
    for (uint16_t i = 0; i < 16; i++)
        post_rx(i, 100);
    CHECK_EQ(virtio_net_receive(&net, NULL, frame, sizeof(frame)), VIRTIO_NET_RX_DROPPED);
    CHECK_EQ(fg_used_idx(&rxg), 0);
    CHECK_EQ(virtio_net_receive(&net, NULL, frame, 1000), VIRTIO_NET_RX_DELIVERED);
    teardown();
}

/*
 * A guest vCPU keeps refilling the receive ring while the device (on the tap thread, under the device
 * lock) spreads one large frame over mergeable buffers. Before the fix, virtq_pop let the device hold
 * more than num chains and rx_heads[]/rx_lens[] (VIRTQ_MAX_SIZE entries) overflowed.
 */
struct refiller {
    struct fake_guest *g;
    const struct virtq *q;
    int started, stop;
};

static void *refill_rx_ring(void *arg)
{
    struct refiller *r = arg;
    uint16_t *ring = (uint16_t *)(void *)fg_ptr(r->g, FG_AVAIL + 4);
    uint16_t *idx = (uint16_t *)(void *)fg_ptr(r->g, FG_AVAIL + 2);

    __atomic_store_n(&r->started, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        /* Keep num buffers ahead of what the device consumed, as if all of them were free again. */
        uint16_t consumed = __atomic_load_n(&r->q->last_avail, __ATOMIC_RELAXED), ai = r->g->avail_idx;
        if ((uint16_t)(ai - consumed) >= r->g->num)
            continue;
        __atomic_store_n(&ring[ai % r->g->num], (uint16_t)(ai % r->g->num), __ATOMIC_RELAXED);
        r->g->avail_idx = ++ai;
        __atomic_store_n(idx, ai, __ATOMIC_RELEASE);
    }
    return NULL;
}

TEST(net_rx_guest_refilling_during_receive_never_overflows)
{
    static uint8_t frame[9000]; /* the e2e's MTU: more than 256 16-byte buffers hold */
    const uint16_t num = VIRTQ_MAX_SIZE;
    struct virtq *q = &net.dev.queues[VIRTIO_NET_RXQ];
    unsigned exercised = 0, attempts = 0;

    setup(1ull << VIRTIO_NET_F_MRG_RXBUF);
    fg_free(&rxg);
    fg_init(&rxg, num);
    for (uint16_t i = 0; i < num; i++)
        fg_desc(&rxg, FG_DESC, i, FG_BUF + 32u * i, 16, VIRTQ_DESC_F_WRITE, 0);
    while (exercised < 3 && attempts++ < 2000) {
        struct refiller r = { &rxg, q, 0, 0 };
        pthread_t t;
        int res;

        memset(fg_ptr(&rxg, FG_AVAIL), 0, 0x2000); /* avail and used rings */
        rxg.avail_idx = 0;
        CHECK_EQ(fg_enable(&rxg, q, net.dev.driver_features), 0);
        net.broken = false;
        for (uint16_t i = 0; i < num; i++)
            fg_publish(&rxg, i);
        CHECK_EQ(pthread_create(&t, NULL, refill_rx_ring, &r), 0);
        /* Receive only once the refiller spins: on an idle machine a thread that is still starting
         * when the receive ends never races it. */
        while (!__atomic_load_n(&r.started, __ATOMIC_ACQUIRE))
            ;
        res = virtio_net_receive(&net, NULL, frame, sizeof(frame));
        __atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
        pthread_join(t, NULL);
        CHECK(res != VIRTIO_NET_RX_DELIVERED); /* 256 buffers of 16 bytes cannot hold it */
        CHECK(q->in_flight <= num);
        CHECK_EQ(fg_used_idx(&rxg), 0);
        if (q->error == VIRTQ_E_AVAIL_IDX)
            exercised++; /* the refill overtook the device: refused, queue broken */
    }
    CHECK(exercised > 0);
    teardown();
}

TEST(net_rx_waits_for_driver_ok)
{
    setup(0);
    post_rx(0, 1526);
    net.dev.driver_ok = false; /* queues enabled, DRIVER_OK not yet set: buffers are not ours */
    CHECK_EQ(virtio_net_receive(&net, NULL, "abcdefghijklmn", 14), VIRTIO_NET_RX_NO_BUFFERS);
    CHECK_EQ(fg_used_idx(&rxg), 0);
    net.dev.driver_ok = true;
    CHECK_EQ(virtio_net_receive(&net, NULL, "abcdefghijklmn", 14), VIRTIO_NET_RX_DELIVERED);
    teardown();
}

TEST(net_rx_no_buffers_then_rx_ready_on_notify)
{
    setup(0);
    CHECK_EQ(virtio_net_receive(&net, NULL, "abcdefghijklmn", 14), VIRTIO_NET_RX_NO_BUFFERS);
    post_rx(0, 1526);
    notify(VIRTIO_NET_RXQ);
    CHECK_EQ(rx_ready_calls, 1);
    CHECK_EQ(virtio_net_receive(&net, NULL, "abcdefghijklmn", 14), VIRTIO_NET_RX_DELIVERED);
    teardown();
}

TEST(net_rx_to_read_only_buffer_needs_reset)
{
    setup(0);
    fg_desc(&rxg, FG_DESC, 0, FG_BUF, 1526, 0, 0);
    fg_publish(&rxg, 0);
    CHECK_EQ(virtio_net_receive(&net, NULL, "abcdefghijklmn", 14), VIRTIO_NET_RX_DROPPED);
    CHECK_EQ(needs_reset_calls, 1);
    CHECK_EQ(*fg_ptr(&rxg, FG_BUF + 12), 0); /* nothing written */
    CHECK_EQ(fg_used_idx(&rxg), 0);
    teardown();
}

TEST(net_rx_mergeable_buffer_smaller_than_header_needs_reset)
{
    setup(1ull << VIRTIO_NET_F_MRG_RXBUF);
    post_rx(0, 8);
    CHECK_EQ(virtio_net_receive(&net, NULL, "abcdefghijklmn", 14), VIRTIO_NET_RX_DROPPED);
    CHECK_EQ(needs_reset_calls, 1);
    teardown();
}

TEST(net_rx_bad_lengths_dropped)
{
    static uint8_t big[VIRTIO_NET_MAX_FRAME + 1];

    setup(0);
    post_rx(0, 100);
    CHECK_EQ(virtio_net_receive(&net, NULL, big, 0), VIRTIO_NET_RX_DROPPED);
    CHECK_EQ(virtio_net_receive(&net, NULL, big, sizeof(big)), VIRTIO_NET_RX_DROPPED);
    /* Without mergeable buffers a frame that does not fit the one buffer is dropped, buffer kept. */
    CHECK_EQ(virtio_net_receive(&net, NULL, big, 100), VIRTIO_NET_RX_DROPPED);
    CHECK_EQ(fg_used_idx(&rxg), 0);
    CHECK_EQ(virtio_net_receive(&net, NULL, big, 88), VIRTIO_NET_RX_DELIVERED);
    CHECK_EQ(net.stats.rx_dropped, 3);
    CHECK_EQ(needs_reset_calls, 0);
    teardown();
}

TEST(net_config_mac_and_link_status)
{
    const struct virtio_net_backend be = { NULL, 0, be_send, be_rx_ready };
    const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

    setup(0);
    virtio_net_init(&net, mac, &be);
    net.dev.transport = (struct virtio_transport){ tr_irq, tr_needs_reset, NULL };
    net.dev.driver_features = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_STATUS;
    CHECK_EQ(net.dev.ops->config_read(&net.dev, 0, 4), 0x12005452);
    CHECK_EQ(net.dev.ops->config_read(&net.dev, 4, 2), 0x5634);
    CHECK_EQ(net.dev.ops->config_read(&net.dev, 6, 2), VIRTIO_NET_S_LINK_UP);
    virtio_net_set_link(&net, false);
    CHECK_EQ(net.dev.ops->config_read(&net.dev, 6, 2), 0);
    CHECK_EQ(config_irqs, 1);
    virtio_net_set_link(&net, false); /* no change, no interrupt */
    CHECK_EQ(config_irqs, 1);
    CHECK_EQ(virtio_net_receive(&net, NULL, "abcdefghijklmn", 14), VIRTIO_NET_RX_DROPPED); /* link down */
    virtio_net_set_link(&net, true);
    CHECK_EQ(config_irqs, 2);
    CHECK_EQ(net.dev.ops->config_read(&net.dev, 6, 2), VIRTIO_NET_S_LINK_UP);
    teardown();
}

static void mmio_irq(void *ctx, uint32_t irq, bool level) { (void)ctx; (void)irq; (void)level; }

TEST(net_offers_features_through_mmio)
{
    static struct virtio_mmio t;
    const struct virtio_net_backend be = { NULL, 0, be_send, be_rx_ready };
    uint32_t lo;

    virtio_net_init(&net, NULL, &be);
    fg_init(&rxg, 16);
    virtio_mmio_init(&t, &net.dev, &rxg.mem, mmio_irq, NULL, 0);
    CHECK_EQ(virtio_mmio_ops.read(&t, 0, 0x008, 4), VIRTIO_ID_NET);
    virtio_mmio_ops.write(&t, 0, 0x014, 4, 0);
    lo = (uint32_t)virtio_mmio_ops.read(&t, 0, 0x010, 4);
    CHECK(lo & 1u << VIRTIO_NET_F_MAC);
    CHECK(lo & 1u << VIRTIO_NET_F_MRG_RXBUF);
    CHECK(lo & 1u << VIRTIO_NET_F_STATUS);
    CHECK(lo & 1u << VIRTIO_F_EVENT_IDX);
    CHECK(!(lo & 1u)); /* no CSUM */
    CHECK_EQ(virtio_mmio_ops.read(&t, 0, 0x100, 1), 0x02);
    fg_free(&rxg);
}

TEST(net_parse_mac)
{
    uint8_t m[6];

    CHECK_EQ(virtio_net_parse_mac("52:54:00:ab:CD:ef", m), 0);
    CHECK(m[0] == 0x52 && m[3] == 0xab && m[4] == 0xcd && m[5] == 0xef);
    CHECK_EQ(virtio_net_parse_mac("52:54:00:ab:cd", m), -1);
    CHECK_EQ(virtio_net_parse_mac("52:54:00:ab:cd:ef:00", m), -1);
    CHECK_EQ(virtio_net_parse_mac("52-54-00-ab-cd-ef", m), -1);
    CHECK_EQ(virtio_net_parse_mac("5g:54:00:ab:cd:ef", m), -1);
    CHECK_EQ(virtio_net_parse_mac("01:00:5e:00:00:01", m), -1); /* multicast */
    CHECK_EQ(virtio_net_parse_mac("", m), -1);
}

TEST(net_null_backend_swallows_frames)
{
    setup(0);
    net.backend = virtio_net_null_backend;
    post_tx(0, "abcdefghijklmn", 14);
    notify(VIRTIO_NET_TXQ);
    CHECK_EQ(net.stats.tx_packets, 1);
    CHECK_EQ(fg_used_idx(&txg), 1);
    post_rx(0, 1526);
    notify(VIRTIO_NET_RXQ); /* no rx_ready callback: nothing happens */
    CHECK_EQ(fg_used_idx(&rxg), 0);
    teardown();
}

/* ---- offloads: the header both ways ---- */

#define B(f) VIRTIO_NET_BIT(VIRTIO_NET_F_##f)
#define TX_ALL (B(CSUM) | B(HOST_TSO4) | B(HOST_TSO6) | B(HOST_ECN) | B(HOST_UFO) | B(HOST_USO))
#define RX_ALL (B(GUEST_CSUM) | B(GUEST_TSO4) | B(GUEST_TSO6) | B(GUEST_ECN) | B(GUEST_UFO) | B(GUEST_USO4) | \
                B(GUEST_USO6))

static struct virtio_net_hdr mkhdr(uint8_t flags, uint8_t gso, uint16_t hdr_len, uint16_t gso_size, uint16_t cs,
                                   uint16_t co)
{
    return (struct virtio_net_hdr){ flags, gso, hdr_len, gso_size, cs, co };
}

TEST(net_offers_only_the_backends_offloads_with_their_prerequisites)
{
    const struct virtio_net_backend be0 = { NULL, 0, be_send, be_rx_ready };
    struct virtio_net_backend be = be0;
    uint64_t f;

    virtio_net_init(&net, NULL, &be);
    CHECK_EQ(net.dev.device_features & VIRTIO_NET_OFFLOADS, 0);
    be.offloads = ~0ull; /* bits the device does not know are not offered either */
    virtio_net_init(&net, NULL, &be);
    CHECK_EQ(net.dev.device_features & ~(B(MAC) | B(STATUS) | B(MRG_RXBUF) | 1ull << VIRTIO_F_VERSION_1 |
                                         1ull << VIRTIO_F_INDIRECT_DESC | 1ull << VIRTIO_F_EVENT_IDX),
             VIRTIO_NET_OFFLOADS);
    /* TSO/UFO/USO need CSUM, ECN needs TSO (VirtIO 1.2 5.1.3.1): dropped when the backend forgot one. */
    be.offloads = B(HOST_TSO4) | B(HOST_ECN) | B(HOST_UFO) | B(HOST_USO) | B(GUEST_TSO6) | B(GUEST_UFO);
    virtio_net_init(&net, NULL, &be);
    CHECK_EQ(net.dev.device_features & VIRTIO_NET_OFFLOADS, 0);
    be.offloads = B(CSUM) | B(HOST_ECN) | B(GUEST_CSUM) | B(GUEST_ECN) | B(GUEST_TSO4);
    virtio_net_init(&net, NULL, &be);
    f = net.dev.device_features & VIRTIO_NET_OFFLOADS;
    CHECK_EQ(f, B(CSUM) | B(GUEST_CSUM) | B(GUEST_ECN) | B(GUEST_TSO4));
}

TEST(net_hdr_get_put_round_trip_little_endian)
{
    const struct virtio_net_hdr h = mkhdr(1, 0x84, 0x1234, 0x5678, 0x9abc, 0xdef0);
    struct virtio_net_hdr back;
    uint8_t p[VIRTIO_NET_HDR_SIZE];
    const uint8_t want[VIRTIO_NET_HDR_SIZE] = { 1, 0x84, 0x34, 0x12, 0x78, 0x56, 0xbc, 0x9a, 0xf0, 0xde, 3, 1 };

    virtio_net_hdr_put(p, &h, 0x103);
    CHECK(memcmp(p, want, sizeof(p)) == 0);
    virtio_net_hdr_get(&back, p);
    CHECK(memcmp(&back, &h, sizeof(h)) == 0);
}

/* One header check: `tx` direction, frame `len`, features `f`; expect refusal when `bad`. */
struct hdr_case {
    const char *what;
    struct virtio_net_hdr h;
    size_t len;
    uint64_t f;
    bool bad;
};

#define NC VIRTIO_NET_HDR_F_NEEDS_CSUM
#define DV VIRTIO_NET_HDR_F_DATA_VALID
#define ECN VIRTIO_NET_HDR_GSO_ECN
#define T4 VIRTIO_NET_HDR_GSO_TCPV4
#define T6 VIRTIO_NET_HDR_GSO_TCPV6
#define UFO VIRTIO_NET_HDR_GSO_UDP
#define USO VIRTIO_NET_HDR_GSO_UDP_L4

TEST(net_hdr_check_tx_refuses_every_inconsistency)
{
    static const struct hdr_case cases[] = {
        { "plain", { 0, 0, 0, 0, 0, 0 }, 60, 0, false },
        { "plain, features on", { 0, 0, 54, 0, 0, 0 }, 60, TX_ALL, false },
        { "csum", { NC, 0, 0, 0, 34, 16 }, 60, B(CSUM), false },
        { "csum field last bytes", { NC, 0, 0, 0, 34, 24 }, 60, B(CSUM), false },
        { "csum not negotiated", { NC, 0, 0, 0, 34, 16 }, 60, TX_ALL & ~B(CSUM), true },
        { "csum field past the end", { NC, 0, 0, 0, 34, 25 }, 60, B(CSUM), true },
        { "csum start past the end", { NC, 0, 0, 0, 60, 0 }, 60, B(CSUM), true },
        { "csum 16-bit sum wraps", { NC, 0, 0, 0, 0xffff, 0xffff }, 60, B(CSUM), true },
        { "tso4", { NC, T4, 66, 1448, 34, 16 }, 65000, B(CSUM) | B(HOST_TSO4), false },
        { "tso6", { NC, T6, 86, 1428, 54, 16 }, 65000, B(CSUM) | B(HOST_TSO6), false },
        { "tso4 not negotiated", { NC, T4, 66, 1448, 34, 16 }, 65000, TX_ALL & ~B(HOST_TSO4), true },
        { "tso6 not negotiated", { NC, T6, 66, 1448, 34, 16 }, 65000, TX_ALL & ~B(HOST_TSO6), true },
        { "tso4 as guest feature", { NC, T4, 66, 1448, 34, 16 }, 65000, B(CSUM) | RX_ALL, true },
        { "ufo", { NC, UFO, 42, 1472, 34, 6 }, 9000, B(CSUM) | B(HOST_UFO), false },
        { "ufo not negotiated", { NC, UFO, 42, 1472, 34, 6 }, 9000, TX_ALL & ~B(HOST_UFO), true },
        { "uso", { NC, USO, 42, 1472, 34, 6 }, 9000, B(CSUM) | B(HOST_USO), false },
        { "uso not negotiated", { NC, USO, 42, 1472, 34, 6 }, 9000, TX_ALL & ~B(HOST_USO), true },
        { "unknown gso 2", { NC, 2, 66, 1448, 34, 16 }, 9000, TX_ALL, true },
        { "unknown gso 6", { NC, 6, 66, 1448, 34, 16 }, 9000, TX_ALL, true },
        { "unknown gso 0x7f", { NC, 0x7f, 66, 1448, 34, 16 }, 9000, TX_ALL, true },
        { "tso4 ecn", { NC, T4 | ECN, 66, 1448, 34, 16 }, 9000, B(CSUM) | B(HOST_TSO4) | B(HOST_ECN), false },
        { "tso6 ecn", { NC, T6 | ECN, 86, 1428, 54, 16 }, 9000, B(CSUM) | B(HOST_TSO6) | B(HOST_ECN), false },
        { "ecn not negotiated", { NC, T4 | ECN, 66, 1448, 34, 16 }, 9000, TX_ALL & ~B(HOST_ECN), true },
        { "ecn on udp", { NC, UFO | ECN, 42, 1472, 34, 6 }, 9000, TX_ALL, true },
        { "ecn alone", { 0, ECN, 0, 0, 0, 0 }, 60, TX_ALL, true },
        { "gso without NEEDS_CSUM", { 0, T4, 66, 1448, 0, 0 }, 9000, TX_ALL, true },
        { "gso without NEEDS_CSUM, DATA_VALID", { DV, T4, 66, 1448, 34, 16 }, 9000, TX_ALL, true },
        { "gso_size 0", { NC, T4, 66, 0, 34, 16 }, 9000, TX_ALL, true },
        { "hdr_len = frame", { NC, T4, 9000, 1448, 34, 16 }, 9000, TX_ALL, false },
        { "hdr_len past the frame", { NC, T4, 9001, 1448, 34, 16 }, 9000, TX_ALL, true },
        { "hdr_len past a plain frame", { 0, 0, 61, 0, 0, 0 }, 60, TX_ALL, true },
        { "largest frame", { NC, T6, 86, 1428, 54, 16 }, VIRTIO_NET_MAX_FRAME, TX_ALL, false },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct virtio_net_hdr h = cases[i].h;
        const char *why = virtio_net_hdr_check_tx(&h, cases[i].len, cases[i].f);
        if ((why != NULL) != cases[i].bad)
            fprintf(stderr, "    tx case '%s': %s\n", cases[i].what, why ? why : "accepted");
        CHECK_EQ(why != NULL, cases[i].bad);
    }
}

TEST(net_hdr_check_tx_normalises_what_the_device_ignores)
{
    /* Unknown flags and DATA_VALID are ignored, unused fields zeroed: the backend sees a clean header. */
    struct virtio_net_hdr h = mkhdr(0xfe, 0, 14, 1448, 34, 16);

    CHECK(virtio_net_hdr_check_tx(&h, 60, 0) == NULL);
    CHECK_EQ(h.flags, 0);
    CHECK_EQ(h.csum_start, 0);
    CHECK_EQ(h.csum_offset, 0);
    CHECK_EQ(h.gso_size, 0);
    CHECK_EQ(h.hdr_len, 14); /* a hint, passed on */
    h = mkhdr(0xff, T4, 66, 1448, 34, 16);
    CHECK(virtio_net_hdr_check_tx(&h, 9000, TX_ALL) == NULL);
    CHECK_EQ(h.flags, NC);
    CHECK_EQ(h.gso_type, T4);
    CHECK_EQ(h.gso_size, 1448);
    CHECK_EQ(h.csum_start, 34);
    CHECK_EQ(h.csum_offset, 16);
}

TEST(net_hdr_check_rx_refuses_what_the_guest_did_not_accept)
{
    static const struct hdr_case cases[] = {
        { "plain", { 0, 0, 0, 0, 0, 0 }, 60, 0, false },
        { "csum", { NC, 0, 0, 0, 34, 16 }, 60, B(GUEST_CSUM), false },
        { "data valid", { DV, 0, 0, 0, 0, 0 }, 60, B(GUEST_CSUM), false },
        { "csum not negotiated", { NC, 0, 0, 0, 34, 16 }, 60, RX_ALL & ~B(GUEST_CSUM), true },
        { "csum as host feature", { NC, 0, 0, 0, 34, 16 }, 60, TX_ALL, true },
        { "csum field past the end", { NC, 0, 0, 0, 34, 25 }, 60, RX_ALL, true },
        { "unknown flag", { 4, 0, 0, 0, 0, 0 }, 60, RX_ALL, true },
        { "tso4", { NC, T4, 66, 1448, 34, 16 }, 65000, B(GUEST_CSUM) | B(GUEST_TSO4), false },
        { "tso4 from GRO, DATA_VALID", { DV, T4, 66, 1448, 0, 0 }, 65000, B(GUEST_CSUM) | B(GUEST_TSO4), false },
        { "tso6", { NC, T6, 86, 1428, 54, 16 }, 65000, B(GUEST_CSUM) | B(GUEST_TSO6), false },
        { "tso4 not negotiated", { NC, T4, 66, 1448, 34, 16 }, 65000, RX_ALL & ~B(GUEST_TSO4), true },
        { "tso6 not negotiated", { NC, T6, 86, 1428, 54, 16 }, 65000, RX_ALL & ~B(GUEST_TSO6), true },
        { "tso4 as host feature", { NC, T4, 66, 1448, 34, 16 }, 65000, TX_ALL | B(GUEST_CSUM), true },
        { "ufo", { NC, UFO, 42, 1472, 34, 6 }, 9000, B(GUEST_CSUM) | B(GUEST_UFO), false },
        { "ufo not negotiated", { NC, UFO, 42, 1472, 34, 6 }, 9000, RX_ALL & ~B(GUEST_UFO), true },
        { "uso, both", { NC, USO, 42, 1472, 34, 6 }, 9000, B(GUEST_CSUM) | B(GUEST_USO4) | B(GUEST_USO6), false },
        { "uso, only v4", { NC, USO, 42, 1472, 34, 6 }, 9000, RX_ALL & ~B(GUEST_USO6), true },
        { "uso, only v6", { NC, USO, 42, 1472, 34, 6 }, 9000, RX_ALL & ~B(GUEST_USO4), true },
        { "unknown gso", { NC, 2, 66, 1448, 34, 16 }, 9000, RX_ALL, true },
        { "ecn", { NC, T4 | ECN, 66, 1448, 34, 16 }, 9000, B(GUEST_CSUM) | B(GUEST_TSO4) | B(GUEST_ECN), false },
        { "ecn not negotiated", { NC, T4 | ECN, 66, 1448, 34, 16 }, 9000, RX_ALL & ~B(GUEST_ECN), true },
        { "ecn on udp", { NC, UFO | ECN, 42, 1472, 34, 6 }, 9000, RX_ALL, true },
        { "ecn alone", { 0, ECN, 0, 0, 0, 0 }, 60, RX_ALL, true },
        { "gso_size 0", { NC, T4, 66, 0, 34, 16 }, 9000, RX_ALL, true },
        { "hdr_len past the frame", { NC, T4, 9001, 1448, 34, 16 }, 9000, RX_ALL, true },
        { "largest frame", { NC, T6, 86, 1428, 54, 16 }, VIRTIO_NET_MAX_FRAME, RX_ALL, false },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct virtio_net_hdr h = cases[i].h;
        const char *why = virtio_net_hdr_check_rx(&h, cases[i].len, cases[i].f);
        if ((why != NULL) != cases[i].bad)
            fprintf(stderr, "    rx case '%s': %s\n", cases[i].what, why ? why : "accepted");
        CHECK_EQ(why != NULL, cases[i].bad);
    }
}

TEST(net_hdr_check_rx_clears_data_valid_without_guest_csum)
{
    struct virtio_net_hdr h = mkhdr(DV, 0, 0, 0, 0, 0);

    CHECK(virtio_net_hdr_check_rx(&h, 60, 0) == NULL);
    CHECK_EQ(h.flags, 0);
    h = mkhdr(DV, 0, 0, 0, 0, 0);
    CHECK(virtio_net_hdr_check_rx(&h, 60, B(GUEST_CSUM)) == NULL);
    CHECK_EQ(h.flags, DV);
}

/* Post a tx frame whose header is `h` (one buffer). */
static void post_tx_hdr(uint16_t head, const struct virtio_net_hdr *h, const void *frame, uint32_t len)
{
    uint64_t buf = FG_BUF + 0x20000ull * head;

    virtio_net_hdr_put(fg_ptr(&txg, buf), h, 0);
    memcpy(fg_ptr(&txg, buf + VIRTIO_NET_HDR_SIZE), frame, len);
    fg_desc(&txg, FG_DESC, head, buf, VIRTIO_NET_HDR_SIZE + len, 0, 0);
    fg_publish(&txg, head);
}

TEST(net_tx_passes_a_negotiated_offload_header_to_the_backend)
{
    static uint8_t big[65000];
    const struct virtio_net_hdr tso = mkhdr(NC | DV, T4, 66, 1448, 34, 16);

    be_offloads = TX_ALL | RX_ALL;
    setup(B(CSUM) | B(HOST_TSO4));
    be_offloads = 0;
    post_tx_hdr(0, &tso, big, sizeof(big));
    notify(VIRTIO_NET_TXQ);
    CHECK_EQ(sends, 1);
    CHECK_EQ(sent_len, sizeof(big));
    CHECK_EQ(sent_hdr.flags, NC); /* DATA_VALID ignored */
    CHECK_EQ(sent_hdr.gso_type, T4);
    CHECK_EQ(sent_hdr.hdr_len, 66);
    CHECK_EQ(sent_hdr.gso_size, 1448);
    CHECK_EQ(sent_hdr.csum_start, 34);
    CHECK_EQ(sent_hdr.csum_offset, 16);
    /* TSO6 was offered but not taken: dropped, counted, returned. */
    post_tx_hdr(2, &(struct virtio_net_hdr){ NC, T6, 86, 1428, 54, 16 }, big, sizeof(big));
    notify(VIRTIO_NET_TXQ);
    CHECK_EQ(sends, 1);
    CHECK_EQ(net.stats.tx_dropped, 1);
    CHECK_EQ(fg_used_idx(&txg), 2);
    CHECK_EQ(needs_reset_calls, 0);
    teardown();
}

TEST(net_tx_offload_not_offered_is_dropped_even_if_the_driver_claims_it)
{
    /* A driver writing a feature the device did not offer gets FEATURES_OK refused by the transport; */
    /* should one get here anyway, the device checks against what it offered too. */
    be_offloads = 0;
    setup(B(CSUM) | B(HOST_TSO4));
    post_tx_hdr(0, &(struct virtio_net_hdr){ NC, 0, 0, 0, 0, 4 }, "abcdefghijklmn", 14);
    notify(VIRTIO_NET_TXQ);
    CHECK_EQ(sends, 0);
    CHECK_EQ(net.stats.tx_dropped, 1);
    teardown();
}

TEST(net_rx_delivers_a_negotiated_offload_header)
{
    static uint8_t big[65000];
    const struct virtio_net_hdr tso = mkhdr(NC, T4 | ECN, 66, 1448, 34, 16);
    struct virtio_net_hdr got;

    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 13);
    be_offloads = TX_ALL | RX_ALL;
    setup(B(MRG_RXBUF) | B(GUEST_CSUM) | B(GUEST_TSO4) | B(GUEST_ECN));
    be_offloads = 0;
    for (uint16_t i = 0; i < 16; i++)
        post_rx(i, 4096);
    CHECK_EQ(virtio_net_receive(&net, &tso, big, sizeof(big)), VIRTIO_NET_RX_DELIVERED);
    CHECK_EQ(rx_num_buffers(0), 16); /* 65,012 bytes in 4 KiB buffers */
    virtio_net_hdr_get(&got, fg_ptr(&rxg, FG_BUF));
    CHECK(memcmp(&got, &tso, sizeof(got)) == 0);
    CHECK(memcmp(fg_ptr(&rxg, FG_BUF + 15 * 0x1000ull), big + 15 * 4096 - 12, sizeof(big) - (15 * 4096 - 12)) == 0);
    CHECK_EQ(net.stats.rx_packets, 1);
    teardown();
}

TEST(net_rx_offload_the_guest_did_not_accept_is_dropped_and_counted)
{
    const struct virtio_net_hdr csum = mkhdr(NC, 0, 0, 0, 34, 16);
    const struct virtio_net_hdr tso6 = mkhdr(NC, T6, 86, 1428, 54, 16);
    const struct virtio_net_hdr valid = mkhdr(DV, 0, 0, 0, 0, 0);
    uint8_t frame[1000] = { 0 };

    be_offloads = TX_ALL | RX_ALL;
    setup(B(GUEST_CSUM) | B(GUEST_TSO4)); /* no TSO6 */
    post_rx(0, 1526);
    CHECK_EQ(virtio_net_receive(&net, &tso6, frame, sizeof(frame)), VIRTIO_NET_RX_DROPPED);
    CHECK_EQ(net.stats.rx_dropped, 1);
    CHECK_EQ(fg_used_idx(&rxg), 0); /* the buffer stays for the next frame */
    CHECK_EQ(virtio_net_receive(&net, &csum, frame, sizeof(frame)), VIRTIO_NET_RX_DELIVERED);
    teardown();

    setup(0); /* a guest without GUEST_CSUM: partial checksums dropped, DATA_VALID cleared */
    be_offloads = 0;
    post_rx(0, 1526);
    CHECK_EQ(virtio_net_receive(&net, &csum, frame, 60), VIRTIO_NET_RX_DROPPED);
    CHECK_EQ(virtio_net_receive(&net, &valid, frame, 60), VIRTIO_NET_RX_DELIVERED);
    CHECK_EQ(fg_ptr(&rxg, FG_BUF)[0], 0);
    CHECK_EQ(net.stats.rx_dropped, 1);
    teardown();
}

TEST(net_rx_offloads_follow_driver_ok)
{
    be_offloads = TX_ALL | RX_ALL;
    setup(B(CSUM) | B(HOST_TSO4) | B(GUEST_CSUM) | B(GUEST_TSO6));
    be_offloads = 0;
    CHECK_EQ(virtio_net_rx_offloads(&net), B(GUEST_CSUM) | B(GUEST_TSO6));
    net.dev.driver_ok = false;
    CHECK_EQ(virtio_net_rx_offloads(&net), 0);
    teardown();
}

TEST(net_tx_and_rx_take_the_largest_frame)
{
    static uint8_t big[VIRTIO_NET_MAX_FRAME + 1];
    const struct virtio_net_hdr tso = mkhdr(NC, T6, 86, 1428, 54, 16);

    be_offloads = TX_ALL | RX_ALL;
    setup(B(CSUM) | B(HOST_TSO6) | B(GUEST_CSUM) | B(GUEST_TSO6));
    be_offloads = 0;
    post_tx_hdr(0, &tso, big, VIRTIO_NET_MAX_FRAME);
    post_tx_hdr(1, &tso, big, VIRTIO_NET_MAX_FRAME + 1);
    notify(VIRTIO_NET_TXQ);
    CHECK_EQ(sends, 1);
    CHECK_EQ(sent_len, VIRTIO_NET_MAX_FRAME);
    CHECK_EQ(net.stats.tx_dropped, 1);
    fg_desc(&rxg, FG_DESC, 0, FG_BUF, VIRTIO_NET_HDR_SIZE + VIRTIO_NET_MAX_FRAME, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(&rxg, 0);
    CHECK_EQ(virtio_net_receive(&net, &tso, big, VIRTIO_NET_MAX_FRAME + 1), VIRTIO_NET_RX_DROPPED);
    CHECK_EQ(virtio_net_receive(&net, &tso, big, VIRTIO_NET_MAX_FRAME), VIRTIO_NET_RX_DELIVERED);
    CHECK_EQ(fg_used_len(&rxg, 0), VIRTIO_NET_HDR_SIZE + VIRTIO_NET_MAX_FRAME);
    teardown();
}

/* ---- the hosted CLI: --net ---- */
#include "cli.h"

static int parse_cli(struct svmm_cli *cli, char *err, size_t errlen, int argc, const char *const *argv)
{
    return svmm_cli_parse(argc, (char *const *)argv, cli, err, errlen);
}

#define CLI(...) ({ const char *const v_[] = { "svmm", "run", "--kernel", "Image", __VA_ARGS__ }; \
                    parse_cli(&cli, err, sizeof(err), sizeof(v_) / sizeof(v_[0]), v_); })

TEST(cli_net_takes_the_next_slots)
{
    static struct svmm_cli cli;
    char err[256];

    CHECK_EQ(CLI("--net", "tap=tap0", "--net=tap=tap1,mac=52:54:00:00:00:01"), 0);
    CHECK_EQ(cli.nnets, 2);
    CHECK(!strcmp(cli.nets[0].tap, "tap0") && !cli.nets[0].has_mac);
    CHECK(!strcmp(cli.nets[1].tap, "tap1") && cli.nets[1].has_mac && cli.nets[1].mac[5] == 1);
    CHECK_EQ(cli.cfg.nvirtio, 3);
    CHECK_EQ(cli.nets[0].slot, 1);
    CHECK_EQ(cli.nets[1].slot, 2);
    CHECK_EQ(cli.cfg.virtio_ids[1], VIRTIO_ID_NET);
    CHECK_EQ(cli.cfg.virtio_ids[2], VIRTIO_ID_NET);
    CHECK_EQ(CLI("--net", "mac=52:54:00:00:00:01,tap=t"), 0); /* any order */
}

TEST(cli_net_bad_arguments_are_one_line_errors)
{
    static struct svmm_cli cli;
    char err[256];

    CHECK_EQ(CLI("--net", "mac=52:54:00:00:00:01"), -1);
    CHECK_STR_CONTAINS(err, "--net: missing tap=NAME");
    CHECK_EQ(CLI("--net", "tap=tap0,mac=52:54:00:00:00"), -1);
    CHECK_STR_CONTAINS(err, "--net: bad MAC address '52:54:00:00:00'");
    CHECK_EQ(CLI("--net", "tap=tap0,mac=01:00:5e:00:00:01"), -1);
    CHECK_STR_CONTAINS(err, "bad MAC address");
    CHECK_EQ(CLI("--net", "tap=tap0,queues=4"), -1);
    CHECK_STR_CONTAINS(err, "--net: unknown sub-option 'queues'");
    CHECK_EQ(CLI("--net", "tap="), -1);
    CHECK_STR_CONTAINS(err, "tap name");
    CHECK_EQ(CLI("--net", "tap=a-very-long-interface-name"), -1);
    CHECK_STR_CONTAINS(err, "must be 1 to 15 characters");
    CHECK_EQ(CLI("--net", ""), -1);
    CHECK_STR_CONTAINS(err, "--net:");
    CHECK_EQ(CLI("--net"), -1);
    CHECK_STR_CONTAINS(err, "--net needs a value");
    CHECK(strchr(err, '\n') == NULL);
    CHECK_EQ(CLI("--net", "tap=0", "--net", "tap=1", "--net", "tap=2", "--net", "tap=3", "--net", "tap=4",
                 "--net", "tap=5", "--net", "tap=6", "--net", "tap=7", "--net", "tap=8"), -1);
    CHECK_STR_CONTAINS(err, "at most 8");
}

TEST(cli_help_mentions_net_and_vsock)
{
    CHECK_STR_CONTAINS(svmm_cli_usage, "--net tap=NAME[,mac=");
    CHECK_STR_CONTAINS(svmm_cli_usage, "--vsock cid=N,uds=PATH");
}
