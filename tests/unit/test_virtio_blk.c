/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-blk through the virtio-mmio transport, against a fake guest and a fake (RAM) backend. */
#include <stdlib.h>
#include <svmm/virtio_blk.h>
#include <svmm/virtio_mmio.h>
#include "fake_guest.h"
#include "test.h"

#define QN 256
#define DISK_SECTORS 128u
#define HDR (FG_BUF + 0x40000)
#define DATA (FG_BUF + 0x1000)
#define STATUS (FG_BUF + 0x800)
#define IND (FG_BUF + 0x20000)
#define BIG_GPA 0x40000000ull
#define BIG_SIZE (4u << 20)
#define STATUS_UP (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)
#define BASE_FEATURES (1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_SEG_MAX)

static struct fake_guest g;
static struct virtio_blk blk;
static struct virtio_mmio t;
static bool irq_level;
static unsigned irq_raises;
static uint8_t *big;

/* The fake backend: a RAM disk, completing synchronously unless `async`. */
static struct {
    uint8_t data[DISK_SECTORS * 512];
    bool async;
    unsigned nsub, ncancel;
    struct blk_request subs[128];
} disk;

static void do_io(const struct blk_request *r)
{
    uint64_t off = r->offset;

    for (unsigned i = 0; i < r->niov; i++) {
        if (r->op == BLK_OP_READ)
            memcpy(r->iov[i].base, disk.data + off, r->iov[i].len);
        else if (r->op == BLK_OP_WRITE)
            memcpy(disk.data + off, r->iov[i].base, r->iov[i].len);
        off += r->iov[i].len;
    }
    for (unsigned i = 0; i < r->nranges; i++)
        memset(disk.data + r->ranges[i].offset, 0, r->ranges[i].len);
}

static void fake_submit(void *ctx, const struct blk_request *r)
{
    (void)ctx;
    if (disk.nsub < 128)
        disk.subs[disk.nsub] = *r;
    disk.nsub++;
    if (!disk.async) {
        do_io(r);
        virtio_blk_complete(&blk, r->tag, VIRTIO_BLK_S_OK);
    }
}

static void fake_cancel(void *ctx) { (void)ctx; disk.ncancel++; }

static const struct virtio_blk_backend_ops fake_ops = { fake_submit, fake_cancel };

static void irq(void *ctx, uint32_t n, bool level)
{
    (void)ctx; (void)n;
    if (level && !irq_level)
        irq_raises++;
    irq_level = level;
}
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

static void setup_be(bool ro, uint64_t capacity, uint64_t features)
{
    struct virtio_blk_backend be = {
        .ops = &fake_ops, .capacity = capacity, .read_only = ro, .discard = true, .write_zeroes = true,
        .zeroes_may_unmap = true, .id = "svmm-test-disk",
    };

    fg_init(&g, QN);
    big = aligned_alloc(4096, BIG_SIZE);
    svmm_memmap_add(&g.mem, BIG_GPA, BIG_SIZE, big, SVMM_MEM_RAM);
    memset(&disk, 0, sizeof(disk));
    for (unsigned i = 0; i < sizeof(disk.data); i++)
        disk.data[i] = (uint8_t)(i * 7 + i / 512);
    irq_level = false;
    irq_raises = 0;
    virtio_blk_init(&blk, &be);
    virtio_mmio_init(&t, &blk.dev, &g.mem, irq, NULL, 16);
    bring_up(features);
}

static void setup(uint64_t features) { setup_be(false, DISK_SECTORS * 512, features); }

static void teardown(void)
{
    fg_free(&g);
    free(big);
}

static void put_hdr(uint64_t gpa, uint32_t type, uint64_t sector)
{
    uint8_t *h = fg_ptr(&g, gpa);

    memset(h, 0, 16);
    memcpy(h, &type, 4);
    memcpy(h + 8, &sector, 8);
}

/*
 * Build request chain at descriptor `d0` (3 descriptors: header, data, status) and publish it.
 * data_len 0 leaves the data descriptor out. Returns the status byte's host pointer.
 */
static uint8_t *request(uint16_t d0, uint32_t type, uint64_t sector, uint64_t data, uint32_t data_len, bool data_write)
{
    uint64_t hdr = HDR + 32u * d0, status = STATUS + d0;

    put_hdr(hdr, type, sector);
    *fg_ptr(&g, status) = 0xee;
    if (data_len) {
        fg_desc(&g, FG_DESC, d0, hdr, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(d0 + 1));
        fg_desc(&g, FG_DESC, (uint16_t)(d0 + 1), data, data_len,
                VIRTQ_DESC_F_NEXT | (data_write ? VIRTQ_DESC_F_WRITE : 0), (uint16_t)(d0 + 2));
        fg_desc(&g, FG_DESC, (uint16_t)(d0 + 2), status, 1, VIRTQ_DESC_F_WRITE, 0);
    } else {
        fg_desc(&g, FG_DESC, d0, hdr, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(d0 + 1));
        fg_desc(&g, FG_DESC, (uint16_t)(d0 + 1), status, 1, VIRTQ_DESC_F_WRITE, 0);
    }
    fg_publish(&g, d0);
    return fg_ptr(&g, status);
}

static void notify(void) { wr(0x050, 0); }

static uint32_t used_id(uint16_t i) { uint32_t v; memcpy(&v, fg_ptr(&g, FG_USED + 4 + 8u * (i % QN)), 4); return v; }

/* One request through the device: returns its status byte. */
static uint8_t run1(uint32_t type, uint64_t sector, uint64_t data, uint32_t len, bool data_write)
{
    uint8_t *st = request(0, type, sector, data, len, data_write);
    notify();
    return *st;
}

TEST(blk_offers_features_and_config)
{
    uint64_t f;

    setup(BASE_FEATURES);
    CHECK_EQ(rd(0x008), VIRTIO_ID_BLOCK);
    wr(0x014, 0);
    f = rd(0x010);
    wr(0x014, 1);
    f |= (uint64_t)rd(0x010) << 32;
    CHECK(f & 1ull << VIRTIO_F_VERSION_1);
    CHECK(f & 1ull << VIRTIO_F_EVENT_IDX);
    CHECK(f & 1ull << VIRTIO_F_INDIRECT_DESC);
    CHECK(f & 1ull << VIRTIO_BLK_F_SEG_MAX);
    CHECK(f & 1ull << VIRTIO_BLK_F_SIZE_MAX);
    CHECK(f & 1ull << VIRTIO_BLK_F_BLK_SIZE);
    CHECK(f & 1ull << VIRTIO_BLK_F_FLUSH);
    CHECK(f & 1ull << VIRTIO_BLK_F_DISCARD);
    CHECK(f & 1ull << VIRTIO_BLK_F_WRITE_ZEROES);
    CHECK(!(f & 1ull << VIRTIO_BLK_F_RO));
    CHECK_EQ(rd(0x100), DISK_SECTORS); /* capacity, low word */
    CHECK_EQ(rd(0x104), 0);
    CHECK_EQ(rd(0x108), VIRTIO_BLK_SIZE_MAX);
    CHECK_EQ(rd(0x10c), VIRTIO_BLK_SEG_MAX);
    CHECK_EQ(rd(0x114), 512); /* blk_size */
    CHECK_EQ(rd(0x124), VIRTIO_BLK_MAX_DISCARD_SECTORS);
    CHECK_EQ(rd(0x128), VIRTIO_BLK_MAX_DISCARD_SEG);
    CHECK_EQ(rd(0x130), VIRTIO_BLK_MAX_DISCARD_SECTORS);
    CHECK_EQ(rd(0x134), VIRTIO_BLK_MAX_DISCARD_SEG);
    CHECK_EQ(virtio_mmio_ops.read(&t, 0, 0x100 + 56, 1), 1); /* write_zeroes_may_unmap */
    CHECK_EQ(virtio_mmio_ops.read(&t, 0, 0x100 + VIRTIO_BLK_CONFIG_SIZE, 4), 0); /* past the end */
    CHECK(virtio_has_feature(&blk.dev, VIRTIO_BLK_F_FLUSH));
    CHECK(!virtio_has_feature(&blk.dev, VIRTIO_BLK_F_DISCARD));
    teardown();
}

TEST(blk_read_only_disk_offers_ro_and_no_discard)
{
    setup_be(true, (5ull << 32) * 512 + 100, BASE_FEATURES | 1ull << VIRTIO_BLK_F_RO);
    wr(0x014, 0);
    CHECK(rd(0x010) & 1u << VIRTIO_BLK_F_RO);
    CHECK(!(rd(0x010) & 1u << VIRTIO_BLK_F_DISCARD));
    CHECK(!(rd(0x010) & 1u << VIRTIO_BLK_F_WRITE_ZEROES));
    CHECK_EQ(rd(0x104), 5); /* capacity high word; the odd 100 bytes are rounded away */
    CHECK_EQ(rd(0x100), 0);
    CHECK(rd(0x070) & VIRTIO_STATUS_FEATURES_OK);
    teardown();
}

TEST(blk_writes_and_reads_back)
{
    setup(BASE_FEATURES);
    memset(fg_ptr(&g, DATA), 0xab, 1024);
    CHECK_EQ(run1(VIRTIO_BLK_T_OUT, 2, DATA, 1024, false), VIRTIO_BLK_S_OK);
    CHECK_EQ(disk.data[1024], 0xab);
    CHECK_EQ(disk.data[2047], 0xab);
    CHECK_EQ(disk.data[2048], (uint8_t)(2048 * 7 + 4));
    CHECK_EQ(fg_used_len(&g, 0), 1);
    memset(fg_ptr(&g, DATA), 0, 2048);
    CHECK_EQ(run1(VIRTIO_BLK_T_IN, 1, DATA, 2048, true), VIRTIO_BLK_S_OK);
    CHECK_EQ(*fg_ptr(&g, DATA), (uint8_t)(512 * 7 + 1));
    CHECK_EQ(*fg_ptr(&g, DATA + 512), 0xab);
    CHECK_EQ(fg_used_len(&g, 1), 2049);
    CHECK_EQ(fg_used_idx(&g), 2);
    CHECK(irq_level);
    CHECK_EQ(disk.subs[1].op, BLK_OP_READ);
    CHECK_EQ(disk.subs[1].offset, 512);
    CHECK_EQ(disk.subs[1].len, 2048);
    CHECK(disk.subs[1].iov[0].base == fg_ptr(&g, DATA)); /* a host pointer, never a GPA */
    teardown();
}

TEST(blk_any_layout_header_data_status_in_shared_buffers)
{
    uint8_t *buf;

    setup(BASE_FEATURES);
    /* Header and write data in one readable buffer; a read's data and status in one writable one. */
    buf = fg_ptr(&g, DATA);
    put_hdr(DATA, VIRTIO_BLK_T_OUT, 4);
    memset(buf + 16, 0x5a, 512);
    fg_desc(&g, FG_DESC, 0, DATA, 16 + 512, VIRTQ_DESC_F_NEXT, 1);
    fg_desc(&g, FG_DESC, 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(&g, 0);
    notify();
    CHECK_EQ(*fg_ptr(&g, STATUS), VIRTIO_BLK_S_OK);
    CHECK_EQ(disk.data[4 * 512], 0x5a);
    put_hdr(HDR, VIRTIO_BLK_T_IN, 4);
    fg_desc(&g, FG_DESC, 2, HDR, 16, VIRTQ_DESC_F_NEXT, 3);
    fg_desc(&g, FG_DESC, 3, DATA + 0x1000, 513, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(&g, 2);
    notify();
    CHECK_EQ(*fg_ptr(&g, DATA + 0x1000 + 512), VIRTIO_BLK_S_OK);
    CHECK_EQ(*fg_ptr(&g, DATA + 0x1000 + 511), 0x5a);
    CHECK_EQ(fg_used_len(&g, 1), 513);
    teardown();
}

TEST(blk_rejects_short_header)
{
    setup(BASE_FEATURES);
    put_hdr(HDR, VIRTIO_BLK_T_IN, 0);
    fg_desc(&g, FG_DESC, 0, HDR, 8, VIRTQ_DESC_F_NEXT, 1);
    fg_desc(&g, FG_DESC, 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(&g, 0);
    notify();
    CHECK_EQ(*fg_ptr(&g, STATUS), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(fg_used_idx(&g), 1);
    CHECK_EQ(disk.nsub, 0);
    CHECK(!(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET));
    teardown();
}

TEST(blk_missing_status_byte_needs_reset)
{
    setup(BASE_FEATURES);
    put_hdr(HDR, VIRTIO_BLK_T_FLUSH, 0);
    fg_desc(&g, FG_DESC, 0, HDR, 16, 0, 0); /* no device-writable buffer at all */
    fg_publish(&g, 0);
    notify();
    CHECK(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
    CHECK_EQ(disk.nsub, 0);
    CHECK_EQ(fg_used_idx(&g), 0);
    teardown();
}

TEST(blk_rejects_write_to_read_only_disk)
{
    setup_be(true, DISK_SECTORS * 512, BASE_FEATURES | 1ull << VIRTIO_BLK_F_RO);
    CHECK_EQ(run1(VIRTIO_BLK_T_OUT, 0, DATA, 512, false), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(disk.nsub, 0);
    CHECK_EQ(run1(VIRTIO_BLK_T_IN, 0, DATA, 512, true), VIRTIO_BLK_S_OK); /* reads still work */
    teardown();
}

TEST(blk_rejects_out_of_range_sector)
{
    setup(BASE_FEATURES);
    CHECK_EQ(run1(VIRTIO_BLK_T_IN, DISK_SECTORS, DATA, 512, true), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(run1(VIRTIO_BLK_T_IN, DISK_SECTORS - 1, DATA, 1024, true), VIRTIO_BLK_S_IOERR); /* runs past the end */
    CHECK_EQ(run1(VIRTIO_BLK_T_OUT, DISK_SECTORS + 5, DATA, 512, false), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(disk.nsub, 0);
    CHECK_EQ(run1(VIRTIO_BLK_T_IN, DISK_SECTORS - 1, DATA, 512, true), VIRTIO_BLK_S_OK); /* the last sector */
    teardown();
}

TEST(blk_rejects_sector_overflow)
{
    setup(BASE_FEATURES);
    CHECK_EQ(run1(VIRTIO_BLK_T_IN, ~0ull, DATA, 512, true), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(run1(VIRTIO_BLK_T_OUT, 1ull << 55, DATA, 512, false), VIRTIO_BLK_S_IOERR); /* sector * 512 wraps */
    CHECK_EQ(disk.nsub, 0);
    teardown();
}

TEST(blk_rejects_unaligned_length)
{
    setup(BASE_FEATURES);
    CHECK_EQ(run1(VIRTIO_BLK_T_IN, 0, DATA, 500, true), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(run1(VIRTIO_BLK_T_OUT, 0, DATA, 513, false), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(disk.nsub, 0);
    teardown();
}

TEST(blk_rejects_data_in_the_wrong_direction)
{
    setup(BASE_FEATURES);
    CHECK_EQ(run1(VIRTIO_BLK_T_IN, 0, DATA, 512, false), VIRTIO_BLK_S_IOERR);  /* read with readable data */
    CHECK_EQ(run1(VIRTIO_BLK_T_OUT, 0, DATA, 512, true), VIRTIO_BLK_S_IOERR);  /* write with writable data */
    CHECK_EQ(run1(VIRTIO_BLK_T_FLUSH, 0, DATA, 512, false), VIRTIO_BLK_S_IOERR); /* flush with data */
    CHECK_EQ(disk.nsub, 0);
    teardown();
}

TEST(blk_unsupported_types_get_unsupp)
{
    setup(BASE_FEATURES); /* DISCARD and WRITE_ZEROES offered but not negotiated */
    CHECK_EQ(run1(99, 0, 0, 0, false), VIRTIO_BLK_S_UNSUPP);
    CHECK_EQ(run1(VIRTIO_BLK_T_DISCARD, 0, DATA, 16, false), VIRTIO_BLK_S_UNSUPP);
    CHECK_EQ(run1(VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, 16, false), VIRTIO_BLK_S_UNSUPP);
    CHECK_EQ(disk.nsub, 0);
    teardown();
}

/* A read of `nseg` 512-byte buffers, the last of them also holding the status byte when `share`. */
static void long_read(uint16_t nseg, bool share)
{
    put_hdr(HDR, VIRTIO_BLK_T_IN, 0);
    fg_desc(&g, FG_DESC, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    for (uint16_t i = 0; i < nseg; i++) {
        bool last = share && i + 1 == nseg;
        fg_desc(&g, FG_DESC, (uint16_t)(1 + i), BIG_GPA + 512u * i, last ? 513 : 512,
                VIRTQ_DESC_F_WRITE | (last ? 0 : VIRTQ_DESC_F_NEXT), (uint16_t)(2 + i));
    }
    if (!share)
        fg_desc(&g, FG_DESC, (uint16_t)(1 + nseg), STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(&g, 0);
}

TEST(blk_seg_max_segments_fill_the_longest_chain)
{
    uint8_t *st;

    setup(BASE_FEATURES);
    CHECK_EQ(VIRTIO_BLK_SEG_MAX, QN - 2); /* the whole queue but header and status */
    blk.be.capacity = 1ull << 40;
    disk.async = true; /* validation only: the fake disk is smaller */
    long_read(VIRTIO_BLK_SEG_MAX, false);
    notify();
    CHECK_EQ(disk.nsub, 1);
    CHECK_EQ(disk.subs[0].niov, VIRTIO_BLK_SEG_MAX);
    CHECK_EQ(disk.subs[0].len, 512u * VIRTIO_BLK_SEG_MAX);
    teardown();

    /* The last data buffer holds the status too: one piece more than seg_max, still fine. */
    setup(BASE_FEATURES);
    blk.be.capacity = 1ull << 40;
    disk.async = true;
    long_read(QN - 1, true);
    notify();
    CHECK_EQ(disk.nsub, 1);
    CHECK_EQ(disk.subs[0].niov, QN - 1);
    teardown();

    /* A chain longer than the queue never reaches parsing: the queue is broken instead. */
    setup(BASE_FEATURES);
    blk.be.capacity = 1ull << 40;
    disk.async = true;
    put_hdr(HDR, VIRTIO_BLK_T_IN, 0);
    fg_desc(&g, FG_DESC, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    for (uint16_t i = 1; i < QN; i++)
        fg_desc(&g, FG_DESC, i, BIG_GPA, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, (uint16_t)((i + 1) % QN));
    fg_publish(&g, 0);
    notify();
    CHECK_EQ(disk.nsub, 0);
    CHECK(blk.dev.queues[0].error != VIRTQ_OK);
    teardown();

    /* One data buffer above size_max. */
    setup(BASE_FEATURES);
    blk.be.capacity = 1ull << 40;
    st = request(0, VIRTIO_BLK_T_IN, 0, BIG_GPA, VIRTIO_BLK_SIZE_MAX + 512, true);
    notify();
    CHECK_EQ(*st, VIRTIO_BLK_S_IOERR);
    CHECK_EQ(disk.nsub, 0);
    st = request(0, VIRTIO_BLK_T_IN, 0, BIG_GPA, VIRTIO_BLK_SIZE_MAX, true);
    disk.async = true; /* in range of the fake capacity only for validation; not executed */
    notify();
    CHECK_EQ(disk.nsub, 1);
    CHECK_EQ(disk.subs[0].len, VIRTIO_BLK_SIZE_MAX);
    teardown();
}

TEST(blk_get_id_and_flush)
{
    setup(BASE_FEATURES);
    memset(fg_ptr(&g, DATA), 0xff, 32);
    CHECK_EQ(run1(VIRTIO_BLK_T_GET_ID, 0, DATA, 20, true), VIRTIO_BLK_S_OK);
    CHECK(memcmp(fg_ptr(&g, DATA), "svmm-test-disk\0\0\0\0\0\0", 20) == 0);
    CHECK_EQ(*fg_ptr(&g, DATA + 20), 0xff);
    CHECK_EQ(fg_used_len(&g, 0), 21);
    CHECK_EQ(run1(VIRTIO_BLK_T_GET_ID, 0, DATA, 20, false), VIRTIO_BLK_S_IOERR); /* readable buffer */
    CHECK_EQ(run1(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false), VIRTIO_BLK_S_OK);
    CHECK_EQ(disk.nsub, 1);
    CHECK_EQ(disk.subs[0].op, BLK_OP_FLUSH);
    teardown();
}

TEST(blk_flush_not_negotiated_is_unsupp)
{
    setup(BASE_FEATURES & ~(1ull << VIRTIO_BLK_F_FLUSH));
    CHECK_EQ(run1(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false), VIRTIO_BLK_S_UNSUPP);
    CHECK_EQ(disk.nsub, 0); /* nothing reached the backend */
    teardown();
}

TEST(blk_writes_are_write_through_when_flush_not_negotiated)
{
    setup(BASE_FEATURES);
    CHECK_EQ(run1(VIRTIO_BLK_T_OUT, 0, DATA, 512, false), VIRTIO_BLK_S_OK);
    CHECK_EQ(disk.nsub, 1);
    CHECK(!disk.subs[0].write_through); /* the driver flushes when it needs to */
    teardown();
    setup(BASE_FEATURES & ~(1ull << VIRTIO_BLK_F_FLUSH));
    CHECK_EQ(run1(VIRTIO_BLK_T_OUT, 0, DATA, 512, false), VIRTIO_BLK_S_OK);
    CHECK_EQ(run1(VIRTIO_BLK_T_IN, 0, DATA, 512, true), VIRTIO_BLK_S_OK);
    CHECK_EQ(disk.nsub, 2);
    CHECK(disk.subs[0].write_through); /* it cannot: every write must be stable when completed */
    CHECK(!disk.subs[1].write_through);
    teardown();
}

static void put_seg(uint64_t gpa, uint64_t sector, uint32_t num, uint32_t flags)
{
    uint8_t *p = fg_ptr(&g, gpa);

    memcpy(p, &sector, 8);
    memcpy(p + 8, &num, 4);
    memcpy(p + 12, &flags, 4);
}

TEST(blk_discard_and_write_zeroes_segments_are_bounded)
{
    const uint64_t all = BASE_FEATURES | 1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_BLK_F_WRITE_ZEROES;

    setup(all);
    put_seg(DATA, 4, 2, 0);
    put_seg(DATA + 16, 10, 1, 0);
    CHECK_EQ(run1(VIRTIO_BLK_T_DISCARD, 0, DATA, 32, false), VIRTIO_BLK_S_OK);
    CHECK_EQ(disk.nsub, 1);
    CHECK_EQ(disk.subs[0].op, BLK_OP_DISCARD);
    CHECK_EQ(disk.subs[0].nranges, 2);
    CHECK_EQ(disk.subs[0].ranges[0].offset, 4 * 512);
    CHECK_EQ(disk.subs[0].ranges[0].len, 2 * 512);
    CHECK_EQ(disk.data[4 * 512], 0);
    put_seg(DATA, 0, 1, 1); /* unmap allowed for write-zeroes (and may_unmap offered) */
    CHECK_EQ(run1(VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, 16, false), VIRTIO_BLK_S_OK);
    CHECK_EQ(disk.subs[1].ranges[0].unmap, 1);
    /* Failing cases: nothing reaches the backend. */
    CHECK_EQ(run1(VIRTIO_BLK_T_DISCARD, 0, DATA, 16, false), VIRTIO_BLK_S_UNSUPP); /* unmap on discard */
    put_seg(DATA, 0, 1, 4);
    CHECK_EQ(run1(VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, 16, false), VIRTIO_BLK_S_UNSUPP); /* reserved flag */
    put_seg(DATA, DISK_SECTORS - 1, 2, 0);
    CHECK_EQ(run1(VIRTIO_BLK_T_DISCARD, 0, DATA, 16, false), VIRTIO_BLK_S_IOERR); /* past the end */
    put_seg(DATA, ~0ull - 1, 4, 0);
    CHECK_EQ(run1(VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, 16, false), VIRTIO_BLK_S_IOERR); /* wraps */
    put_seg(DATA, 0, 1, 0);
    CHECK_EQ(run1(VIRTIO_BLK_T_DISCARD, 0, DATA, 24, false), VIRTIO_BLK_S_IOERR); /* not a multiple of 16 */
    CHECK_EQ(run1(VIRTIO_BLK_T_DISCARD, 0, DATA, 16 * (VIRTIO_BLK_MAX_DISCARD_SEG + 1), false),
             VIRTIO_BLK_S_IOERR); /* more segments than max_discard_seg */
    CHECK_EQ(run1(VIRTIO_BLK_T_DISCARD, 0, 0, 0, false), VIRTIO_BLK_S_IOERR); /* no segment */
    put_seg(DATA, 0, VIRTIO_BLK_MAX_DISCARD_SECTORS + 1, 0);
    blk.be.capacity = 1ull << 40;
    CHECK_EQ(run1(VIRTIO_BLK_T_DISCARD, 0, DATA, 16, false), VIRTIO_BLK_S_IOERR); /* above max_discard_sectors */
    CHECK_EQ(disk.nsub, 2);
    teardown();
}

TEST(blk_async_completion_out_of_order)
{
    setup(BASE_FEATURES);
    disk.async = true;
    request(0, VIRTIO_BLK_T_IN, 0, DATA, 512, true);
    request(3, VIRTIO_BLK_T_IN, 1, DATA + 512, 512, true);
    request(6, VIRTIO_BLK_T_OUT, 2, DATA + 1024, 512, false);
    notify();
    CHECK_EQ(disk.nsub, 3);
    CHECK_EQ(fg_used_idx(&g), 0);
    CHECK(!irq_level);
    do_io(&disk.subs[2]);
    virtio_blk_complete(&blk, disk.subs[2].tag, VIRTIO_BLK_S_OK);
    CHECK_EQ(fg_used_idx(&g), 1);
    CHECK_EQ(used_id(0), 6);
    CHECK(irq_level);
    wr(0x064, VIRTIO_ISR_USED);
    virtio_blk_batch_begin(&blk);
    virtio_blk_complete(&blk, disk.subs[0].tag, VIRTIO_BLK_S_IOERR);
    do_io(&disk.subs[1]);
    virtio_blk_complete(&blk, disk.subs[1].tag, VIRTIO_BLK_S_OK);
    CHECK(!irq_level); /* batched: nothing until the end */
    virtio_blk_batch_end(&blk);
    CHECK(irq_level);
    CHECK_EQ(irq_raises, 2);
    CHECK_EQ(fg_used_idx(&g), 3);
    CHECK_EQ(used_id(1), 0);
    CHECK_EQ(used_id(2), 3);
    CHECK_EQ(*fg_ptr(&g, STATUS + 0), VIRTIO_BLK_S_IOERR);
    CHECK_EQ(*fg_ptr(&g, STATUS + 3), VIRTIO_BLK_S_OK);
    CHECK_EQ(fg_used_len(&g, 1), 1);
    CHECK_EQ(fg_used_len(&g, 2), 513);
    /* Completing twice, or an unknown tag, is ignored. */
    virtio_blk_complete(&blk, disk.subs[1].tag, VIRTIO_BLK_S_OK);
    virtio_blk_complete(&blk, 0xdead00ffu, VIRTIO_BLK_S_OK);
    CHECK_EQ(fg_used_idx(&g), 3);
    CHECK_EQ(blk.stale_completions, 2);
    teardown();
}

TEST(blk_event_idx_suppresses_interrupts)
{
    uint8_t *used_event;

    setup(BASE_FEATURES | 1ull << VIRTIO_F_EVENT_IDX);
    disk.async = true;
    used_event = fg_ptr(&g, FG_AVAIL + 4 + 2 * QN);
    used_event[0] = 1; /* interrupt when used->idx passes 1, i.e. at the second completion */
    request(0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false);
    request(2, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false);
    notify();
    virtio_blk_complete(&blk, disk.subs[0].tag, VIRTIO_BLK_S_OK);
    CHECK(!irq_level);
    virtio_blk_complete(&blk, disk.subs[1].tag, VIRTIO_BLK_S_OK);
    CHECK(irq_level);
    CHECK_EQ(blk.dev.interrupts, 1);
    CHECK_EQ(*fg_ptr(&g, FG_USED + 4 + 8 * QN), 2); /* avail_event armed past what we consumed */
    teardown();
}

/*
 * With EVENT_IDX and requests in flight the device leaves avail_event behind, so the driver does
 * not notify; requests it queues meanwhile are picked up at the next completion. Only an idle
 * device asks for a notification again.
 */
TEST(blk_event_idx_no_notify_while_busy)
{
    uint8_t *avail_event;

    setup(BASE_FEATURES | 1ull << VIRTIO_F_EVENT_IDX);
    disk.async = true;
    avail_event = fg_ptr(&g, FG_USED + 4 + 8 * QN);
    request(0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false);
    notify();
    CHECK_EQ(disk.nsub, 1);
    CHECK_EQ(avail_event[0], 0); /* busy: not re-armed */
    request(2, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false); /* the driver would not notify for this one */
    virtio_blk_complete(&blk, disk.subs[0].tag, VIRTIO_BLK_S_OK);
    CHECK_EQ(disk.nsub, 2); /* picked up by the completion */
    CHECK_EQ(avail_event[0], 0);
    virtio_blk_complete(&blk, disk.subs[1].tag, VIRTIO_BLK_S_OK);
    CHECK_EQ(avail_event[0], 2); /* idle: armed for the next request */
    teardown();
}

/* --disk PATH,no-event-idx: the device no longer offers EVENT_IDX; a driver acking it anyway is refused. */
TEST(blk_no_event_idx_is_not_offered)
{
    struct virtio_blk_backend be = { .ops = &fake_ops, .capacity = DISK_SECTORS * 512 };

    fg_init(&g, QN);
    big = aligned_alloc(4096, BIG_SIZE);
    virtio_blk_init(&blk, &be);
    virtio_blk_offer_event_idx(&blk, false);
    virtio_mmio_init(&t, &blk.dev, &g.mem, irq, NULL, 16);
    wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(0x014, 0);
    CHECK(!(rd(0x010) & 1u << VIRTIO_F_EVENT_IDX));
    CHECK(rd(0x010) & 1u << VIRTIO_F_INDIRECT_DESC); /* the rest is still offered */
    CHECK(rd(0x010) & 1u << VIRTIO_BLK_F_FLUSH);
    bring_up(BASE_FEATURES | 1ull << VIRTIO_F_EVENT_IDX);
    CHECK(!(rd(0x070) & VIRTIO_STATUS_FEATURES_OK));
    /* Without it: every completion batch interrupts, whatever used_event says. */
    bring_up(BASE_FEATURES);
    CHECK(rd(0x070) & VIRTIO_STATUS_FEATURES_OK);
    CHECK(!virtio_has_feature(&blk.dev, VIRTIO_F_EVENT_IDX));
    disk.async = true;
    disk.nsub = 0;
    *fg_ptr(&g, FG_AVAIL + 4 + 2 * QN) = 5;
    request(0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false);
    notify();
    virtio_blk_complete(&blk, disk.subs[0].tag, VIRTIO_BLK_S_OK);
    CHECK(irq_level);
    CHECK_EQ(blk.dev.interrupts, 1);
    /* And offering it again restores the default. */
    virtio_blk_offer_event_idx(&blk, true);
    wr(0x070, 0);
    wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr(0x014, 0);
    CHECK(rd(0x010) & 1u << VIRTIO_F_EVENT_IDX);
    teardown();
}

TEST(blk_inflight_limit_resumes_on_completion)
{
    const unsigned n = VIRTIO_BLK_MAX_INFLIGHT + 6;

    setup(BASE_FEATURES);
    disk.async = true;
    for (unsigned i = 0; i < n; i++)
        request((uint16_t)(2 * i), VIRTIO_BLK_T_FLUSH, 0, 0, 0, false);
    notify();
    CHECK_EQ(disk.nsub, VIRTIO_BLK_MAX_INFLIGHT);
    virtio_blk_complete(&blk, disk.subs[5].tag, VIRTIO_BLK_S_OK);
    CHECK_EQ(disk.nsub, VIRTIO_BLK_MAX_INFLIGHT + 1); /* the freed slot took the next request */
    CHECK_EQ(disk.subs[VIRTIO_BLK_MAX_INFLIGHT].tag & 0xff, 5);
    for (unsigned i = 0; i < VIRTIO_BLK_MAX_INFLIGHT + 1; i++)
        virtio_blk_complete(&blk, disk.subs[i].tag, VIRTIO_BLK_S_OK);
    CHECK_EQ(disk.nsub, n);
    for (unsigned i = VIRTIO_BLK_MAX_INFLIGHT + 1; i < n; i++)
        virtio_blk_complete(&blk, disk.subs[i].tag, VIRTIO_BLK_S_OK);
    CHECK_EQ(fg_used_idx(&g), n);
    CHECK_EQ(blk.inflight, 0);
    teardown();
}

TEST(blk_reset_with_requests_in_flight)
{
    uint8_t *st;

    setup(BASE_FEATURES);
    disk.async = true;
    request(0, VIRTIO_BLK_T_IN, 0, DATA, 512, true);
    st = request(3, VIRTIO_BLK_T_OUT, 1, DATA + 512, 512, false);
    notify();
    CHECK_EQ(disk.nsub, 2);
    wr(0x070, 0); /* reset: the backend must cancel before the device forgets the requests */
    CHECK_EQ(disk.ncancel, 1);
    CHECK_EQ(blk.inflight, 0);
    CHECK_EQ(rd(0x070), 0);
    /* The backend's late completions for the old requests touch nothing. */
    virtio_blk_complete(&blk, disk.subs[0].tag, VIRTIO_BLK_S_OK);
    virtio_blk_complete(&blk, disk.subs[1].tag, VIRTIO_BLK_S_OK);
    CHECK_EQ(*st, 0xee);
    CHECK_EQ(fg_used_idx(&g), 0);
    CHECK_EQ(blk.stale_completions, 2);
    wr(0x070, 0); /* reset with nothing in flight: no cancel */
    CHECK_EQ(disk.ncancel, 1);
    /* The device works again after the driver brings it back up; tags are new. */
    bring_up(BASE_FEATURES);
    disk.async = false;
    CHECK_EQ(run1(VIRTIO_BLK_T_IN, 0, DATA, 512, true), VIRTIO_BLK_S_OK);
    CHECK(disk.subs[2].tag != disk.subs[0].tag);
    CHECK_EQ(fg_used_idx(&g), 1);
    teardown();
}

TEST(blk_indirect_request)
{
    setup(BASE_FEATURES | 1ull << VIRTIO_F_INDIRECT_DESC);
    put_hdr(HDR, VIRTIO_BLK_T_IN, 3);
    fg_desc(&g, IND, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    fg_desc(&g, IND, 1, DATA, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
    fg_desc(&g, IND, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    fg_desc(&g, FG_DESC, 0, IND, 48, VIRTQ_DESC_F_INDIRECT, 0);
    fg_publish(&g, 0);
    notify();
    CHECK_EQ(*fg_ptr(&g, STATUS), VIRTIO_BLK_S_OK);
    CHECK_EQ(*fg_ptr(&g, DATA + 1), (uint8_t)((3 * 512 + 1) * 7 + 3));
    teardown();
}

/* ---- the hosted CLI's --disk option (src/platform/kvm/cli.c) ---- */
#include "cli.h"

static struct svmm_cli cli;
static char cli_err[256];

static int parse(int argc, const char *const *argv)
{
    return svmm_cli_parse(argc, (char *const *)argv, &cli, cli_err, sizeof(cli_err));
}
#define PARSE(...) ({ const char *const v_[] = { "svmm", "run", "--kernel", "I", __VA_ARGS__ }; parse(sizeof(v_) / sizeof(v_[0]), v_); })

TEST(blk_cli_disks_take_the_next_slots)
{
    CHECK_EQ(PARSE("--disk", "a.img", "--rng", "--disk=/x/b.img,ro"), 0);
    CHECK_EQ(cli.ndisks, 2);
    CHECK_EQ(cli.cfg.nvirtio, 4);
    CHECK_EQ(cli.cfg.virtio_ids[0], VIRTIO_ID_CONSOLE);
    CHECK_EQ(cli.cfg.virtio_ids[1], VIRTIO_ID_BLOCK);
    CHECK_EQ(cli.cfg.virtio_ids[2], VIRTIO_ID_RNG);
    CHECK_EQ(cli.cfg.virtio_ids[3], VIRTIO_ID_BLOCK);
    CHECK(cli.rng);
    CHECK_EQ(cli.disks[0].slot, 1);
    CHECK_EQ(cli.disks[1].slot, 3);
    CHECK(!cli.disks[0].ro && cli.disks[1].ro);
    CHECK(!cli.disks[0].no_event_idx && !cli.disks[1].no_event_idx);
    CHECK_EQ(cli.disks[1].path_len, 8);
    CHECK(!strncmp(cli.disks[1].path, "/x/b.img", cli.disks[1].path_len));
    CHECK_EQ(PARSE("--disk", "a.img,no-event-idx", "--disk", "b.img,ro,no-event-idx"), 0);
    CHECK(cli.disks[0].no_event_idx && !cli.disks[0].ro && cli.disks[0].path_len == 5);
    CHECK(cli.disks[1].no_event_idx && cli.disks[1].ro);
}

TEST(blk_cli_rejects_bad_disk_arguments)
{
    CHECK_EQ(PARSE("--disk", "a.img,rw"), -1);
    CHECK_STR_CONTAINS(cli_err, "--disk: unknown option 'rw' in 'a.img,rw'");
    CHECK_EQ(PARSE("--disk", "a.img,ro,sync"), -1);
    CHECK_STR_CONTAINS(cli_err, "unknown option 'sync'");
    CHECK_EQ(PARSE("--disk", ",ro"), -1);
    CHECK_STR_CONTAINS(cli_err, "names no file");
    CHECK_EQ(PARSE("--disk"), -1);
    CHECK_STR_CONTAINS(cli_err, "--disk needs a value");
    CHECK_EQ(PARSE("--rng", "--rng"), -1);
    CHECK_STR_CONTAINS(cli_err, "--rng: given twice");
    CHECK_EQ(PARSE("--disk", "1", "--disk", "2", "--disk", "3", "--disk", "4", "--disk", "5", "--disk", "6",
                   "--disk", "7", "--disk", "8", "--disk", "9"), -1);
    CHECK_STR_CONTAINS(cli_err, "at most 8 disks");
    CHECK_EQ(PARSE("--help"), 0);
    CHECK_STR_CONTAINS(svmm_cli_usage, "--disk PATH[,ro]");
    CHECK_STR_CONTAINS(svmm_cli_usage, "--rng");
    CHECK_STR_CONTAINS(svmm_cli_usage, ",no-event-idx");
    CHECK_EQ(PARSE("--disk", "a.img,no-event-idx=1"), -1);
    CHECK_STR_CONTAINS(cli_err, "unknown option 'no-event-idx=1'");
}

/* ---- the hosted file backend (src/platform/kvm/blk_file.c): real worker threads, real file ---- */
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include "blk_file.h"

static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;

/* Wait (up to ~5 s) until used->idx reaches n, reading it under the device lock. */
static bool wait_used(uint16_t n)
{
    for (int i = 0; i < 5000; i++) {
        uint16_t u;
        pthread_mutex_lock(&dev_lock);
        u = fg_used_idx(&g);
        pthread_mutex_unlock(&dev_lock);
        if (u == n)
            return true;
        usleep(1000);
    }
    return false;
}

static struct blk_file *file_setup(const char *path, bool ro, size_t size)
{
    char err[256] = "";
    struct blk_file *f;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

    CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0);
    close(fd);
    fg_init(&g, QN);
    big = aligned_alloc(4096, BIG_SIZE);
    svmm_memmap_add(&g.mem, BIG_GPA, BIG_SIZE, big, SVMM_MEM_RAM);
    irq_level = false;
    f = blk_file_open(path, ro, &blk, &dev_lock, err, sizeof(err));
    CHECK(f != NULL);
    virtio_mmio_init(&t, &blk.dev, &g.mem, irq, NULL, 16);
    bring_up(BASE_FEATURES | 1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_BLK_F_WRITE_ZEROES |
             (ro ? 1ull << VIRTIO_BLK_F_RO : 0));
    return f;
}

TEST(blk_file_writes_reads_flushes_and_zeroes_off_thread)
{
    char path[] = "/tmp/svmm-blk-test-XXXXXX";
    struct blk_file *f;
    int fd = mkstemp(path);
    uint8_t buf[4096];

    close(fd);
    f = file_setup(path, false, 1 << 20);
    for (unsigned i = 0; i < 64 * 1024; i++)
        big[i] = (uint8_t)(i * 13 + 1);
    pthread_mutex_lock(&dev_lock);
    for (uint16_t i = 0; i < 16; i++) /* 16 writes of 4 KiB, in flight together */
        request((uint16_t)(3 * i), VIRTIO_BLK_T_OUT, 8u * i, BIG_GPA + 4096u * i, 4096, false);
    notify();
    pthread_mutex_unlock(&dev_lock);
    CHECK(wait_used(16));
    for (uint16_t i = 0; i < 16; i++)
        CHECK_EQ(*fg_ptr(&g, STATUS + 3u * i), VIRTIO_BLK_S_OK);
    fd = open(path, O_RDONLY);
    CHECK_EQ(pread(fd, buf, sizeof(buf), 5 * 4096), (ssize_t)sizeof(buf));
    CHECK(memcmp(buf, big + 5 * 4096, sizeof(buf)) == 0);
    /* Read back into other buffers, then flush, then zero a range with unmap (a punched hole). */
    pthread_mutex_lock(&dev_lock);
    request(0, VIRTIO_BLK_T_IN, 8, BIG_GPA + (1u << 20), 8192, true);
    request(3, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false);
    notify();
    pthread_mutex_unlock(&dev_lock);
    CHECK(wait_used(18));
    CHECK(memcmp(big + (1u << 20), big + 4096, 8192) == 0);
    CHECK_EQ(*fg_ptr(&g, STATUS + 3), VIRTIO_BLK_S_OK);
    put_seg(DATA, 8, 8, 1);
    pthread_mutex_lock(&dev_lock);
    request(0, VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, 16, false);
    notify();
    pthread_mutex_unlock(&dev_lock);
    CHECK(wait_used(19));
    CHECK_EQ(*fg_ptr(&g, STATUS), VIRTIO_BLK_S_OK);
    CHECK_EQ(pread(fd, buf, sizeof(buf), 4096), (ssize_t)sizeof(buf));
    CHECK(buf[0] == 0 && buf[4095] == 0);
    CHECK_EQ(pread(fd, buf, 1, 8192), 1);
    CHECK_EQ(buf[0], big[8192]);
    close(fd);
    blk_file_close(f);
    unlink(path);
    teardown();
}

TEST(blk_file_reset_waits_for_running_requests)
{
    char path[] = "/tmp/svmm-blk-test-XXXXXX";
    struct blk_file *f;
    int fd = mkstemp(path);
    uint16_t used_after_reset;

    close(fd);
    f = file_setup(path, false, 64u << 20);
    for (int round = 0; round < 20; round++) {
        pthread_mutex_lock(&dev_lock);
        for (uint16_t i = 0; i < 40; i++) /* 40 x 64 KiB reads, each into its own guest buffer */
            request((uint16_t)(3 * i), VIRTIO_BLK_T_IN, 2048u * i, BIG_GPA + (64u << 10) * i, 64u << 10, true);
        notify();
        /* Reset while the workers are busy: returns only once no old request can touch guest RAM. */
        wr(0x070, 0);
        used_after_reset = fg_used_idx(&g);
        memset(big, 0x77, 40u << 16);
        pthread_mutex_unlock(&dev_lock);
        usleep(2000);
        pthread_mutex_lock(&dev_lock);
        CHECK_EQ(fg_used_idx(&g), used_after_reset); /* late completions were dropped */
        CHECK_EQ(big[0], 0x77);                      /* and nothing was read into the buffer after reset */
        for (unsigned i = 0; i < 40; i++)
            CHECK_EQ(big[(i << 16) + 4095], 0x77);
        CHECK_EQ(blk.inflight, 0);
        bring_up(BASE_FEATURES);
        pthread_mutex_unlock(&dev_lock);
    }
    /* Still fully working after all that. */
    pthread_mutex_lock(&dev_lock);
    request(0, VIRTIO_BLK_T_IN, 0, BIG_GPA, 4096, true);
    notify();
    pthread_mutex_unlock(&dev_lock);
    CHECK(wait_used(1));
    CHECK_EQ(*fg_ptr(&g, STATUS), VIRTIO_BLK_S_OK);
    CHECK_EQ(big[0], 0);
    blk_file_close(f);
    unlink(path);
    teardown();
}

TEST(blk_file_open_errors_are_one_line)
{
    char err[256];
    struct virtio_blk d;

    CHECK(blk_file_open("/nonexistent/x.img", false, &d, &dev_lock, err, sizeof(err)) == NULL);
    CHECK_STR_CONTAINS(err, "--disk: cannot open '/nonexistent/x.img' for writing: No such file");
    CHECK(blk_file_open("/tmp", false, &d, &dev_lock, err, sizeof(err)) == NULL);
    CHECK_STR_CONTAINS(err, "'/tmp' is a directory");
    CHECK(blk_file_open("/dev/null", true, &d, &dev_lock, err, sizeof(err)) == NULL);
    CHECK_STR_CONTAINS(err, "special file");
    CHECK(strchr(err, '\n') == NULL);
}
