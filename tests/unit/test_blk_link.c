/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A guest's virtio-blk requests through blk_link, a blkq link and the native block server on a RAM
 * store, in one process: partitions, splitting, flush, discard, read-only, device reset with
 * requests at the server, a failing store, and a hostile server.
 */
#include <stdlib.h>
#include <svmm/blk_link.h>
#include <svmm/blk_server.h>
#include <svmm/virtio_mmio.h>
#include "fake_guest.h"
#include "test.h"

#define QN 64
#define DEPTH 4u
#define SLOT 4096u
#define STORE (128u << 20)
#define PART_A (8u << 20)      /* client a: bytes [1 MiB, 9 MiB) */
#define BASE_A (1u << 20)
#define HDR (FG_BUF + 0x40000)
#define DATA (FG_BUF + 0x1000)
#define STATUS (FG_BUF + 0x800)
#define STATUS_UP (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)
#define FEATURES (1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_DISCARD)

static struct fake_guest g;
static struct virtio_mmio t;
static struct blk_link link;
static struct blk_server srv;
static void *queues;
static uint8_t *data;

static struct {
    uint8_t *bytes;
    unsigned reads, writes, flushes, discards;
    uint64_t discarded;
    bool fail;
} store;

static unsigned notifies;

static int st_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    (void)ctx;
    store.reads++;
    memcpy(buf, store.bytes + off, len);
    return store.fail ? -1 : 0;
}

static int st_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    (void)ctx;
    store.writes++;
    memcpy(store.bytes + off, buf, len);
    return store.fail ? -1 : 0;
}

static int st_flush(void *ctx)
{
    (void)ctx;
    store.flushes++;
    return store.fail ? -1 : 0;
}

static int st_discard(void *ctx, uint64_t off, uint64_t len)
{
    (void)ctx;
    store.discards++;
    store.discarded += len;
    memset(store.bytes + off, 0, len);
    return store.fail ? -1 : 0;
}

static const struct blk_store_ops store_ops = { st_read, st_write, st_flush, st_discard };

static void kick_server(void *ctx)
{
    (void)ctx;
    notifies++;
}

static void irq(void *ctx, uint32_t n, bool level) { (void)ctx; (void)n; (void)level; }
static uint32_t rd(uint64_t off) { return (uint32_t)virtio_mmio_ops.read(&t, 0, off, 4); }
static void wr(uint64_t off, uint32_t v) { virtio_mmio_ops.write(&t, 0, off, 4, v); }

static void bring_up(uint64_t features)
{
    wr(0x070, 0);
    fg_negotiate(&t, features);
    memset(fg_ptr(&g, FG_AVAIL), 0, 0x1000);
    memset(fg_ptr(&g, FG_USED), 0, 0x1000);
    g.avail_idx = 0;
    wr(0x030, 0);
    wr(0x038, QN);
    wr(0x080, (uint32_t)FG_DESC);
    wr(0x084, 0);
    wr(0x090, (uint32_t)FG_AVAIL);
    wr(0x094, 0);
    wr(0x0a0, (uint32_t)FG_USED);
    wr(0x0a4, 0);
    wr(0x044, 1);
    wr(0x070, STATUS_UP);
}

/* Client "a" on [BASE_A, BASE_A + PART_A); "b" (ro) and "c" elsewhere; the link attached as `who`. */
static void setup(const char *who, bool local_ro, uint64_t features)
{
    char err[128];

    fg_init(&g, QN);
    memset(&store, 0, sizeof(store));
    store.bytes = calloc(1, STORE);
    for (unsigned i = 0; i < STORE; i += 512)
        store.bytes[i] = (uint8_t)(i >> 9);
    queues = calloc(1, blkq_queue_bytes(DEPTH));
    data = calloc(DEPTH, SLOT);
    notifies = 0;
    blk_server_init(&srv, &store_ops, NULL, STORE);
    CHECK_EQ(blk_server_add_client(&srv, "a", BASE_A, PART_A, false, err, sizeof(err)), 0);
    CHECK_EQ(blk_server_add_client(&srv, "b", 16u << 20, 1u << 20, true, err, sizeof(err)), 1);
    CHECK_EQ(blk_server_add_client(&srv, "c", 20u << 20, 100u << 20, false, err, sizeof(err)), 2);
    CHECK_EQ(blk_server_attach(&srv, (unsigned)blk_server_find(&srv, who), queues, data, DEPTH, SLOT), 0);
    CHECK_EQ(blk_link_init(&link, queues, data, DEPTH, SLOT, local_ro, kick_server, NULL), 0);
    virtio_mmio_init(&t, &link.blk.dev, &g.mem, irq, NULL, 16);
    bring_up(features);
}

static void teardown(void)
{
    fg_free(&g);
    free(store.bytes);
    free(queues);
    free(data);
}

/* Run the server and the link until neither has anything to do. */
static void settle(void)
{
    for (int i = 0; i < 1000; i++) {
        uint32_t n;
        bool more = blk_server_poll(&srv, &n);
        more |= blk_link_service(&link);
        if (!more && srv.clients[0].q.req_head == link.q.req_tail && link.q.nbusy == 0)
            return;
    }
}

/* Publish a 3-descriptor request (header, data, status) at descriptor d0; returns the status byte. */
static uint8_t *request(uint16_t d0, uint32_t type, uint64_t sector, uint64_t buf, uint32_t len, bool dev_writes)
{
    uint64_t hdr = HDR + 32u * d0, status = STATUS + d0;
    uint8_t *h = fg_ptr(&g, hdr);

    memset(h, 0, 16);
    memcpy(h, &type, 4);
    memcpy(h + 8, &sector, 8);
    *fg_ptr(&g, status) = 0xee;
    if (len) {
        fg_desc(&g, FG_DESC, d0, hdr, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(d0 + 1));
        fg_desc(&g, FG_DESC, (uint16_t)(d0 + 1), buf, len, VIRTQ_DESC_F_NEXT | (dev_writes ? VIRTQ_DESC_F_WRITE : 0),
                (uint16_t)(d0 + 2));
        fg_desc(&g, FG_DESC, (uint16_t)(d0 + 2), status, 1, VIRTQ_DESC_F_WRITE, 0);
    } else {
        fg_desc(&g, FG_DESC, d0, hdr, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(d0 + 1));
        fg_desc(&g, FG_DESC, (uint16_t)(d0 + 1), status, 1, VIRTQ_DESC_F_WRITE, 0);
    }
    fg_publish(&g, d0);
    return fg_ptr(&g, status);
}

static uint8_t run1(uint32_t type, uint64_t sector, uint64_t buf, uint32_t len, bool dev_writes)
{
    uint8_t *st = request(0, type, sector, buf, len, dev_writes);
    wr(0x050, 0);
    settle();
    return *st;
}

TEST(blk_link_config_from_the_server)
{
    uint8_t id[4];

    setup("a", false, FEATURES);
    CHECK_EQ(rd(0x100), PART_A / 512); /* the partition, not the store */
    CHECK_EQ(rd(0x104), 0);
    wr(0x014, 0);
    CHECK(rd(0x010) & 1u << VIRTIO_BLK_F_DISCARD);
    CHECK(!(rd(0x010) & 1u << VIRTIO_BLK_F_RO));
    CHECK(!(rd(0x010) & 1u << VIRTIO_BLK_F_WRITE_ZEROES));
    CHECK_EQ(run1(VIRTIO_BLK_T_GET_ID, 0, DATA, 20, true), VIRTIO_BLK_S_OK);
    memcpy(id, fg_ptr(&g, DATA), 2);
    CHECK(id[0] == 'a' && id[1] == 0);
    teardown();

    setup("b", false, (FEATURES & ~(1ull << VIRTIO_BLK_F_DISCARD)) | 1ull << VIRTIO_BLK_F_RO);
    wr(0x014, 0);
    CHECK(rd(0x010) & 1u << VIRTIO_BLK_F_RO);
    CHECK(!(rd(0x010) & 1u << VIRTIO_BLK_F_DISCARD));
    CHECK_EQ(run1(VIRTIO_BLK_T_OUT, 0, DATA, 512, false), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(store.writes, 0);
    teardown();

    setup("a", true, (FEATURES & ~(1ull << VIRTIO_BLK_F_DISCARD)) | 1ull << VIRTIO_BLK_F_RO); /* VMM-side ro */
    wr(0x014, 0);
    CHECK(rd(0x010) & 1u << VIRTIO_BLK_F_RO);
    teardown();
}

TEST(blk_link_split_write_and_read_back_inside_the_partition)
{
    uint32_t len = 3 * SLOT + 1024; /* four parts */
    uint8_t *buf;

    setup("a", false, FEATURES);
    buf = fg_ptr(&g, DATA);
    for (uint32_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 13 + 1);
    CHECK_EQ(run1(VIRTIO_BLK_T_OUT, 5, DATA, len, false), VIRTIO_BLK_S_OK);
    CHECK_EQ(store.writes, 4);
    CHECK(!memcmp(store.bytes + BASE_A + 5 * 512, buf, len));
    CHECK_EQ(store.bytes[BASE_A + 5 * 512 + len], (uint8_t)((5 * 512 + len) >> 9)); /* untouched after */
    memset(buf, 0, len + 512);
    CHECK_EQ(run1(VIRTIO_BLK_T_IN, 5, DATA, len, true), VIRTIO_BLK_S_OK);
    for (uint32_t i = 0; i < len; i++)
        if (buf[i] != (uint8_t)(i * 13 + 1)) {
            CHECK_EQ(buf[i], (uint8_t)(i * 13 + 1));
            break;
        }
    /* The last sector of the partition is reachable, the next is not (the device refuses it). */
    CHECK_EQ(run1(VIRTIO_BLK_T_IN, PART_A / 512 - 1, DATA, 512, true), VIRTIO_BLK_S_OK);
    CHECK_EQ(buf[0], (uint8_t)((BASE_A + PART_A - 512) >> 9));
    CHECK_EQ(run1(VIRTIO_BLK_T_IN, PART_A / 512, DATA, 512, true), VIRTIO_BLK_S_IOERR);
    CHECK(notifies > 0);
    CHECK_EQ(link.q.stats.bad_response + srv.clients[0].q.stats.bad_request, 0);
    teardown();
}

TEST(blk_link_more_requests_than_slots)
{
    uint8_t *st[8];

    setup("a", false, FEATURES);
    for (unsigned i = 0; i < 8; i++) {
        memset(fg_ptr(&g, DATA + i * 2 * SLOT), 0x40 + (int)i, 2 * SLOT);
        st[i] = request((uint16_t)(3 * i), VIRTIO_BLK_T_OUT, i * 16, DATA + i * 2 * SLOT, 2 * SLOT, false);
    }
    wr(0x050, 0);
    CHECK_EQ(link.q.nbusy, DEPTH); /* the rest wait for slots */
    settle();
    for (unsigned i = 0; i < 8; i++) {
        CHECK_EQ(*st[i], VIRTIO_BLK_S_OK);
        CHECK_EQ(store.bytes[BASE_A + i * 16 * 512 + 2 * SLOT - 1], 0x40 + i);
    }
    CHECK_EQ(store.writes, 16);
    CHECK_EQ(fg_used_idx(&g), 8);
    teardown();
}

TEST(blk_link_flush_discard_and_write_through)
{
    setup("c", false, FEATURES);
    CHECK_EQ(run1(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false), VIRTIO_BLK_S_OK);
    CHECK_EQ(store.flushes, 1);
    /* One 140,000-sector discard range: three parts (the count is 16 bits). */
    {
        uint8_t seg[16] = { 0 };
        uint32_t num = 140000;
        memcpy(seg + 8, &num, 4);
        memcpy(fg_ptr(&g, DATA), seg, 16);
        store.bytes[(20u << 20) + 139999u * 512] = 0x77;
        CHECK_EQ(run1(VIRTIO_BLK_T_DISCARD, 0, DATA, 16, false), VIRTIO_BLK_S_OK);
        CHECK_EQ(store.discards, 3);
        CHECK_EQ(store.discarded, 140000ull * 512);
        CHECK_EQ(store.bytes[(20u << 20) + 139999u * 512], 0);
        CHECK_EQ(store.bytes[(20u << 20) + 140000u * 512], (uint8_t)(((20u << 20) >> 9) + 140000u));
    }
    teardown();

    /* A driver without FLUSH gets write-through: the write is followed by a flush before it completes. */
    setup("a", false, 1ull << VIRTIO_F_VERSION_1);
    CHECK_EQ(run1(VIRTIO_BLK_T_OUT, 0, DATA, 2 * SLOT, false), VIRTIO_BLK_S_OK);
    CHECK_EQ(store.writes, 2);
    CHECK_EQ(store.flushes, 1);
    teardown();
}

TEST(blk_link_store_errors_fail_the_request_once)
{
    setup("a", false, FEATURES);
    store.fail = true;
    CHECK_EQ(run1(VIRTIO_BLK_T_IN, 0, DATA, 3 * SLOT, true), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(fg_used_idx(&g), 1);
    CHECK(link.stats.server_errors >= 1);
    store.fail = false;
    CHECK_EQ(run1(VIRTIO_BLK_T_IN, 0, DATA, 3 * SLOT, true), VIRTIO_BLK_S_OK);
    CHECK_EQ(fg_used_idx(&g), 2);
    teardown();
}

TEST(blk_link_reset_with_requests_at_the_server)
{
    uint8_t *st;

    setup("a", false, FEATURES);
    memset(fg_ptr(&g, DATA), 0x5c, 2 * SLOT);
    st = request(0, VIRTIO_BLK_T_IN, 0, DATA, 2 * SLOT, true);
    wr(0x050, 0);
    CHECK_EQ(link.q.nbusy, 2);
    wr(0x070, 0); /* reset: the parts are still with the server */
    settle();
    CHECK_EQ(link.stats.orphans, 2);
    CHECK_EQ(*fg_ptr(&g, DATA), 0x5c); /* guest memory untouched after the reset */
    CHECK_EQ(*st, 0xee);
    CHECK_EQ(link.q.nbusy, 0);
    bring_up(FEATURES);
    CHECK_EQ(run1(VIRTIO_BLK_T_IN, 0, DATA, 512, true), VIRTIO_BLK_S_OK);
    CHECK_EQ(*fg_ptr(&g, DATA), 0);
    teardown();
}

TEST(blk_link_hostile_server)
{
    uint8_t *st;
    struct blkq_resp_ring *resp;

    setup("a", false, FEATURES);
    resp = link.q.r.resp;
    st = request(0, VIRTIO_BLK_T_IN, 0, DATA, 2 * SLOT, true);
    wr(0x050, 0);
    /* Answers for slots not out, duplicate answers, and a wild index: never a second completion. */
    for (uint32_t i = 0; i < 3; i++) {
        uint32_t tl = resp->hdr.tail;
        resp->desc[tl % DEPTH] = (struct blkq_resp){ .status = BLKQ_RESP_OK, .success_count = 8,
                                                     .id = link.q.r.req->desc[0].id };
        resp->hdr.tail = tl + 1;
    }
    blk_link_service(&link);
    CHECK_EQ(link.q.stats.bad_response, 2);
    CHECK_EQ(*st, 0xee); /* one of two parts answered */
    resp->hdr.tail += 1000;
    blk_link_service(&link);
    CHECK(link.dead);
    CHECK_EQ(*st, VIRTIO_BLK_S_IOERR);
    CHECK_EQ(fg_used_idx(&g), 1);
    CHECK_EQ(run1(VIRTIO_BLK_T_IN, 0, DATA, 512, true), VIRTIO_BLK_S_IOERR); /* a dead link fails at once */
    CHECK_EQ(fg_used_idx(&g), 2);
    teardown();
}

TEST(blk_server_partition_rules)
{
    struct blk_server s;
    char err[160];

    blk_server_init(&s, &store_ops, NULL, 1u << 20);
    CHECK_EQ(blk_server_add_client(&s, "a", 0, 4096, false, err, sizeof(err)), 0);
    CHECK_EQ(blk_server_add_client(&s, "a", 8192, 4096, false, err, sizeof(err)), -1); /* name taken */
    CHECK_EQ(blk_server_add_client(&s, "", 8192, 4096, false, err, sizeof(err)), -1);
    CHECK_EQ(blk_server_add_client(&s, "b", 100, 4096, false, err, sizeof(err)), -1);  /* alignment */
    CHECK_EQ(blk_server_add_client(&s, "b", 8192, 0, false, err, sizeof(err)), -1);
    CHECK_EQ(blk_server_add_client(&s, "b", 1u << 20, 512, false, err, sizeof(err)), -1); /* past the disk */
    CHECK_EQ(blk_server_add_client(&s, "b", UINT64_MAX - 511, 1024, false, err, sizeof(err)), -1);
    CHECK_EQ(blk_server_add_client(&s, "b", 2048, 4096, true, err, sizeof(err)), -1);  /* overlaps writable a */
    CHECK_STR_CONTAINS(err, "overlaps client 'a'");
    CHECK_EQ(blk_server_add_client(&s, "b", 4096, 4096, true, err, sizeof(err)), 1);
    CHECK_EQ(blk_server_add_client(&s, "c", 4096, 8192, true, err, sizeof(err)), 2);   /* ro over ro: fine */
    CHECK_EQ(blk_server_add_client(&s, "d", 8192, 4096, false, err, sizeof(err)), -1); /* writable over ro */
    CHECK_EQ(blk_server_attach(&s, 7, NULL, NULL, DEPTH, SLOT), -1);
}
