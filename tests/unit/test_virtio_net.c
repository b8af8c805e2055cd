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

static enum virtio_net_tx_result be_send(void *ctx, const struct virtio_net_frag *f, unsigned n, size_t len)
{
    (void)ctx;
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
    const struct virtio_net_backend be = { NULL, be_send, be_rx_ready };
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
    CHECK_EQ(virtio_net_receive(&net, "hello, ethernet!", 16), VIRTIO_NET_RX_DELIVERED);
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
    CHECK_EQ(virtio_net_receive(&net, frame, sizeof(frame)), VIRTIO_NET_RX_DELIVERED);
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
    CHECK_EQ(virtio_net_receive(&net, frame, 20), VIRTIO_NET_RX_DELIVERED);
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
    CHECK_EQ(virtio_net_receive(&net, frame, sizeof(frame)), VIRTIO_NET_RX_NO_BUFFERS);
    CHECK_EQ(fg_used_idx(&rxg), 0);
    CHECK_EQ(net.stats.rx_no_buffers, 1);
    /* avail_event asks the driver to notify when the next buffer arrives: at its avail index */
    CHECK_EQ(fg_ptr(&rxg, FG_USED + 4 + 8 * 16)[0], 2);
    post_rx(2, 100);
    post_rx(3, 100);
    notify(VIRTIO_NET_RXQ);
    CHECK_EQ(rx_ready_calls, 1);
    CHECK_EQ(virtio_net_receive(&net, frame, sizeof(frame)), VIRTIO_NET_RX_DELIVERED);
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
    CHECK_EQ(virtio_net_receive(&net, frame, sizeof(frame)), VIRTIO_NET_RX_DROPPED);
    CHECK_EQ(fg_used_idx(&rxg), 0);
    CHECK_EQ(virtio_net_receive(&net, frame, 1000), VIRTIO_NET_RX_DELIVERED);
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
    int stop;
};

static void *refill_rx_ring(void *arg)
{
    struct refiller *r = arg;
    uint16_t *ring = (uint16_t *)(void *)fg_ptr(r->g, FG_AVAIL + 4);
    uint16_t *idx = (uint16_t *)(void *)fg_ptr(r->g, FG_AVAIL + 2);

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
        struct refiller r = { &rxg, q, 0 };
        pthread_t t;
        int res;

        memset(fg_ptr(&rxg, FG_AVAIL), 0, 0x2000); /* avail and used rings */
        rxg.avail_idx = 0;
        CHECK_EQ(fg_enable(&rxg, q, net.dev.driver_features), 0);
        net.broken = false;
        for (uint16_t i = 0; i < num; i++)
            fg_publish(&rxg, i);
        CHECK_EQ(pthread_create(&t, NULL, refill_rx_ring, &r), 0);
        res = virtio_net_receive(&net, frame, sizeof(frame));
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
    CHECK_EQ(virtio_net_receive(&net, "abcdefghijklmn", 14), VIRTIO_NET_RX_NO_BUFFERS);
    CHECK_EQ(fg_used_idx(&rxg), 0);
    net.dev.driver_ok = true;
    CHECK_EQ(virtio_net_receive(&net, "abcdefghijklmn", 14), VIRTIO_NET_RX_DELIVERED);
    teardown();
}

TEST(net_rx_no_buffers_then_rx_ready_on_notify)
{
    setup(0);
    CHECK_EQ(virtio_net_receive(&net, "abcdefghijklmn", 14), VIRTIO_NET_RX_NO_BUFFERS);
    post_rx(0, 1526);
    notify(VIRTIO_NET_RXQ);
    CHECK_EQ(rx_ready_calls, 1);
    CHECK_EQ(virtio_net_receive(&net, "abcdefghijklmn", 14), VIRTIO_NET_RX_DELIVERED);
    teardown();
}

TEST(net_rx_to_read_only_buffer_needs_reset)
{
    setup(0);
    fg_desc(&rxg, FG_DESC, 0, FG_BUF, 1526, 0, 0);
    fg_publish(&rxg, 0);
    CHECK_EQ(virtio_net_receive(&net, "abcdefghijklmn", 14), VIRTIO_NET_RX_DROPPED);
    CHECK_EQ(needs_reset_calls, 1);
    CHECK_EQ(*fg_ptr(&rxg, FG_BUF + 12), 0); /* nothing written */
    CHECK_EQ(fg_used_idx(&rxg), 0);
    teardown();
}

TEST(net_rx_mergeable_buffer_smaller_than_header_needs_reset)
{
    setup(1ull << VIRTIO_NET_F_MRG_RXBUF);
    post_rx(0, 8);
    CHECK_EQ(virtio_net_receive(&net, "abcdefghijklmn", 14), VIRTIO_NET_RX_DROPPED);
    CHECK_EQ(needs_reset_calls, 1);
    teardown();
}

TEST(net_rx_bad_lengths_dropped)
{
    static uint8_t big[VIRTIO_NET_MAX_FRAME + 1];

    setup(0);
    post_rx(0, 100);
    CHECK_EQ(virtio_net_receive(&net, big, 0), VIRTIO_NET_RX_DROPPED);
    CHECK_EQ(virtio_net_receive(&net, big, sizeof(big)), VIRTIO_NET_RX_DROPPED);
    /* Without mergeable buffers a frame that does not fit the one buffer is dropped, buffer kept. */
    CHECK_EQ(virtio_net_receive(&net, big, 100), VIRTIO_NET_RX_DROPPED);
    CHECK_EQ(fg_used_idx(&rxg), 0);
    CHECK_EQ(virtio_net_receive(&net, big, 88), VIRTIO_NET_RX_DELIVERED);
    CHECK_EQ(net.stats.rx_dropped, 3);
    CHECK_EQ(needs_reset_calls, 0);
    teardown();
}

TEST(net_config_mac_and_link_status)
{
    const struct virtio_net_backend be = { NULL, be_send, be_rx_ready };
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
    CHECK_EQ(virtio_net_receive(&net, "abcdefghijklmn", 14), VIRTIO_NET_RX_DROPPED); /* link down */
    virtio_net_set_link(&net, true);
    CHECK_EQ(config_irqs, 2);
    CHECK_EQ(net.dev.ops->config_read(&net.dev, 6, 2), VIRTIO_NET_S_LINK_UP);
    teardown();
}

static void mmio_irq(void *ctx, uint32_t irq, bool level) { (void)ctx; (void)irq; (void)level; }

TEST(net_offers_features_through_mmio)
{
    static struct virtio_mmio t;
    const struct virtio_net_backend be = { NULL, be_send, be_rx_ready };
    uint32_t lo;

    virtio_net_init(&net, NULL, &be);
    fg_init(&rxg, 16);
    virtio_mmio_init(&t, &net.dev, &rxg.mem, mmio_irq, NULL, 0);
    CHECK_EQ(virtio_mmio_ops.read(&t, 0x008, 4), VIRTIO_ID_NET);
    virtio_mmio_ops.write(&t, 0x014, 4, 0);
    lo = (uint32_t)virtio_mmio_ops.read(&t, 0x010, 4);
    CHECK(lo & 1u << VIRTIO_NET_F_MAC);
    CHECK(lo & 1u << VIRTIO_NET_F_MRG_RXBUF);
    CHECK(lo & 1u << VIRTIO_NET_F_STATUS);
    CHECK(lo & 1u << VIRTIO_F_EVENT_IDX);
    CHECK(!(lo & 1u)); /* no CSUM */
    CHECK_EQ(virtio_mmio_ops.read(&t, 0x100, 1), 0x02);
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
