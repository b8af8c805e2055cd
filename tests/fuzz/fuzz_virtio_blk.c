/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz virtio-blk's request parser and asynchronous backend protocol (src/virtio/blk.c) behind
 * the virtio-mmio transport, on the fake guest memory of fuzz_vdev.h, with an in-memory backend.
 *
 * Input: u8 disk flags (bit 0 read-only, 1 discard, 2 write-zeroes, 3 zeroes may unmap), u16
 * capacity in 64-byte units (so not always whole sectors), u8 completion mode (bit i: the i-th
 * submit, mod 8, completes synchronously inside submit(); the others stay pending), then ops.
 * op & 8 clear: the common ops of fuzz_vdev.h; set: (op >> 4) & 7 picks
 *   0 complete   u8 k, u8 status     do pending request k's I/O now and complete it (any order)
 *   1 batch      u8 n, n x u8 k      complete up to 8 pending requests inside batch_begin/end
 *   2 stale      u8 k, u8 status     complete a tag cancelled by a reset: must change nothing
 *   3 mode       u8                  new completion mode
 *   4 reset      -                   device reset (status 0) with whatever is in flight
 *   5 bad tag    u32 tag             a tag of another generation or a free slot: ignored
 *   6 drain      -                   complete everything pending, newest first
 *   7 config     -                   read the config space; capacity etc. must match the backend
 *
 * Invariants (besides fuzz_vdev.h's): a request reaches the backend only validated: READ/WRITE
 * 512-aligned and inside the (rounded) capacity, iovecs inside guest RAM summing to the length,
 * at most seg_max + 2 of them, none above size_max; READ iovecs never in the read-only region and
 * only in buffers the driver offered device-writable; nothing writing reaches a read-only disk;
 * discard/write-zeroes ranges inside the disk, unmap only when allowed. Tags are unique among
 * pending requests and carry the current generation; the device's in-flight count equals the
 * backend's; a reset with requests in flight calls cancel() (the backend then drops them all);
 * completing a cancelled or foreign tag writes nothing (no status byte, no used entry, no IRQ); a
 * batch raises at most one used-buffer interrupt. Status bytes land only in offered buffers
 * (fuzz_vdev.h's write check).
 */
#include <svmm/virtio_blk.h>
#include "fuzz_vdev.h"

#define MAX_OPS 512
#define MAX_PENDING VIRTIO_BLK_MAX_INFLIGHT
#define MAX_STALE 64

struct pending {
    uint32_t tag;
    enum blk_op op;
    uint64_t len;
    unsigned niov;
    struct blk_iov iov[VIRTIO_BLK_SEG_MAX + 2];
};

static struct {
    struct virtio_blk blk;
    uint64_t capacity; /* rounded down to sectors, as the device does */
    bool ro, discard, write_zeroes, may_unmap;
    uint8_t mode;
    unsigned submits, cancels, sync_depth;
    unsigned npending;
    struct pending pending[MAX_PENDING];
    uint32_t stale[MAX_STALE];
    unsigned nstale;
    unsigned used_irqs; /* transport interrupts with VIRTIO_ISR_USED */
    void (*interrupt)(void *t, uint32_t bits);
} bs;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    vd_global_init();
    return 0;
}

/* Do the request's data transfer: READs fill guest memory (validated again), WRITEs read it. */
static void do_io(const struct pending *p)
{
    uint64_t off = 0;

    for (unsigned i = 0; i < p->niov; i++) {
        uint8_t *b = p->iov[i].base;
        size_t n = p->iov[i].len;
        if (p->op == BLK_OP_READ) {
            for (size_t k = 0; k < n; k++)
                b[k] = (uint8_t)((off + k) * 131 + 7);
            vd_backend_wrote(b, n);
        } else if (p->op == BLK_OP_WRITE) {
            volatile uint8_t sum = 0;
            for (size_t k = 0; k < n; k++)
                sum = (uint8_t)(sum + b[k]);
            (void)sum;
        }
        off += n;
    }
}

static void complete(struct pending *p, uint8_t status)
{
    struct pending copy = *p;

    /* Remove it first: completing may pop and submit more requests. */
    *p = bs.pending[--bs.npending];
    do_io(&copy);
    virtio_blk_complete(&bs.blk, copy.tag, status);
}

static bool in_disk(uint64_t off, uint64_t len)
{
    return off % VIRTIO_BLK_SECTOR == 0 && len % VIRTIO_BLK_SECTOR == 0 && off <= bs.capacity &&
           len <= bs.capacity - off;
}

static void be_submit(void *ctx, const struct blk_request *r)
{
    struct pending *p;
    uint64_t sum = 0;
    bool sync;

    FUZZ_CHECK(ctx == &bs);
    FUZZ_CHECK(bs.sync_depth < 4); /* bounded re-entrancy through synchronous completions */
    FUZZ_CHECK((uint16_t)(r->tag >> 16) == bs.blk.generation && (r->tag & 0xffff) < VIRTIO_BLK_MAX_INFLIGHT);
    for (unsigned i = 0; i < bs.npending; i++)
        FUZZ_CHECK(bs.pending[i].tag != r->tag);
    FUZZ_CHECK(bs.npending < MAX_PENDING);
    switch (r->op) {
    case BLK_OP_READ:
    case BLK_OP_WRITE:
        FUZZ_CHECK(r->op == BLK_OP_READ || !bs.ro);
        FUZZ_CHECK(in_disk(r->offset, r->len) && r->len > 0);
        FUZZ_CHECK(r->niov >= 1 && r->niov <= VIRTIO_BLK_SEG_MAX + 2);
        for (unsigned i = 0; i < r->niov; i++) {
            const struct blk_iov *v = &r->iov[i];
            FUZZ_CHECK(v->len > 0 && v->len <= VIRTIO_BLK_SIZE_MAX);
            if (r->op == BLK_OP_READ)
                vd_check_guest_writable(v->base, v->len);
            else
                FUZZ_CHECK(vd_in_ram(v->base, v->len) || vd_in_ro(v->base, v->len));
            sum += v->len;
        }
        FUZZ_CHECK(sum == r->len);
        break;
    case BLK_OP_FLUSH:
        FUZZ_CHECK(r->niov == 0 && r->nranges == 0);
        break;
    case BLK_OP_DISCARD:
    case BLK_OP_WRITE_ZEROES:
        FUZZ_CHECK(!bs.ro && (r->op == BLK_OP_DISCARD ? bs.discard : bs.write_zeroes));
        FUZZ_CHECK(virtio_has_feature(&bs.blk.dev, r->op == BLK_OP_DISCARD ? VIRTIO_BLK_F_DISCARD
                                                                             : VIRTIO_BLK_F_WRITE_ZEROES));
        FUZZ_CHECK(r->nranges >= 1 && r->nranges <= VIRTIO_BLK_MAX_DISCARD_SEG);
        for (unsigned i = 0; i < r->nranges; i++) {
            const struct blk_range *g = &r->ranges[i];
            FUZZ_CHECK(in_disk(g->offset, g->len));
            FUZZ_CHECK(g->len <= (uint64_t)VIRTIO_BLK_MAX_DISCARD_SECTORS * VIRTIO_BLK_SECTOR);
            FUZZ_CHECK(!g->unmap || (r->op == BLK_OP_WRITE_ZEROES && bs.may_unmap));
        }
        break;
    default:
        FUZZ_CHECK(!"unknown op");
    }
    p = &bs.pending[bs.npending++];
    p->tag = r->tag;
    p->op = r->op;
    p->len = r->len;
    p->niov = r->op == BLK_OP_READ || r->op == BLK_OP_WRITE ? r->niov : 0;
    if (p->niov)
        memcpy(p->iov, r->iov, p->niov * sizeof(p->iov[0]));
    sync = (bs.mode >> (bs.submits++ % 8)) & 1;
    if (sync) {
        bs.sync_depth++;
        complete(p, VIRTIO_BLK_S_OK);
        bs.sync_depth--;
    }
}

static void be_cancel(void *ctx)
{
    FUZZ_CHECK(ctx == &bs);
    bs.cancels++;
    /* Nothing is running: every pending request is dropped, its tag remembered as stale. */
    for (unsigned i = 0; i < bs.npending; i++)
        if (bs.nstale < MAX_STALE)
            bs.stale[bs.nstale++] = bs.pending[i].tag;
    bs.npending = 0;
}

static const struct virtio_blk_backend_ops be_ops = { be_submit, be_cancel };

static void on_reset(void)
{
    /* The reset rule: no request from before the reset may still be outstanding. */
    FUZZ_CHECK(bs.npending == 0);
    FUZZ_CHECK(bs.blk.inflight == 0);
}

static void count_interrupt(void *t, uint32_t bits)
{
    if (bits & VIRTIO_ISR_USED)
        bs.used_irqs++;
    bs.interrupt(t, bits);
}

/* Calls into the device that must change nothing the guest can see. */
static void expect_no_effect(uint32_t tag, uint8_t status)
{
    const struct virtq *q = &bs.blk.dev.queues[0];
    uint16_t used = q->used_idx;
    uint32_t isr = vd.t.isr;
    uint64_t stale = bs.blk.stale_completions, done = bs.blk.completions;
    unsigned inflight = bs.blk.inflight;

    vd_check_writes(); /* shadow == RAM from here */
    virtio_blk_complete(&bs.blk, tag, status);
    FUZZ_CHECK(memcmp(VD_RAM, vd_shadow, VD_RAM_SIZE) == 0);
    FUZZ_CHECK(q->used_idx == used && vd.t.isr == isr && bs.blk.inflight == inflight);
    FUZZ_CHECK(bs.blk.completions == done && bs.blk.stale_completions == stale + 1);
}

static void blk_op(uint8_t op, struct fin *f)
{
    switch ((op >> 4) & 7) {
    case 0: {
        uint8_t k = fin_u8(f), status = fin_u8(f) % 4;
        if (bs.npending)
            complete(&bs.pending[k % bs.npending], status);
        break;
    }
    case 1: {
        unsigned n = fin_u8(f) % 8 + 1, irqs = bs.used_irqs;
        virtio_blk_batch_begin(&bs.blk);
        for (unsigned i = 0; i < n; i++) {
            uint8_t k = fin_u8(f);
            if (bs.npending)
                complete(&bs.pending[k % bs.npending], VIRTIO_BLK_S_OK);
        }
        FUZZ_CHECK(bs.used_irqs == irqs); /* nothing before the batch ends */
        virtio_blk_batch_end(&bs.blk);
        FUZZ_CHECK(bs.used_irqs <= irqs + 1);
        break;
    }
    case 2: {
        uint8_t k = fin_u8(f), status = fin_u8(f) % 4;
        if (bs.nstale)
            expect_no_effect(bs.stale[k % bs.nstale], status);
        break;
    }
    case 3: bs.mode = fin_u8(f); break;
    case 4: vd_wr32(0x070, 0); break;
    case 5: {
        uint32_t tag = fin_u32(f);
        unsigned slot = tag & 0xff;
        bool live = (uint16_t)(tag >> 16) == bs.blk.generation && slot < VIRTIO_BLK_MAX_INFLIGHT &&
                    bs.blk.slots[slot].busy;
        if (!live)
            expect_no_effect(tag, VIRTIO_BLK_S_OK);
        break;
    }
    case 6:
        while (bs.npending)
            complete(&bs.pending[bs.npending - 1], VIRTIO_BLK_S_OK);
        break;
    case 7: {
        uint64_t sectors = vd_rd32(0x100) | (uint64_t)vd_rd32(0x104) << 32;
        FUZZ_CHECK(sectors * VIRTIO_BLK_SECTOR == bs.capacity);
        FUZZ_CHECK(vd_rd32(0x108) == VIRTIO_BLK_SIZE_MAX && vd_rd32(0x10c) == VIRTIO_BLK_SEG_MAX);
        FUZZ_CHECK(vd_rd32(0x114) == VIRTIO_BLK_SECTOR);
        FUZZ_CHECK(vd_rd32(0x128) == (bs.discard ? VIRTIO_BLK_MAX_DISCARD_SEG : 0));
        FUZZ_CHECK(vd_rd32(0x134) == (bs.write_zeroes ? VIRTIO_BLK_MAX_DISCARD_SEG : 0));
        break;
    }
    }
}

static void check(void)
{
    vd_check();
    FUZZ_CHECK(bs.blk.inflight == bs.npending);
    for (unsigned i = 0; i < bs.npending; i++)
        FUZZ_CHECK(bs.blk.slots[bs.pending[i].tag & 0xff].busy);
    FUZZ_CHECK(bs.blk.batch_depth == 0 && !bs.blk.processing);
    FUZZ_CHECK(bs.blk.dev.queues[0].in_flight >= bs.blk.inflight || !bs.blk.dev.queues[0].ready);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned feats[6] = { VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_DISCARD,
                                       VIRTIO_BLK_F_WRITE_ZEROES, VIRTIO_BLK_F_RO, VIRTIO_BLK_F_BLK_SIZE };
    struct fin f = fin_make(data, size);
    uint8_t flags = fin_u8(&f);
    uint64_t cap = (uint64_t)fin_u16(&f) * 64;
    struct virtio_blk_backend be = {
        .ops = &be_ops,
        .ctx = &bs,
        .capacity = cap,
        .read_only = flags & 1,
        .discard = (flags >> 1) & 1,
        .write_zeroes = (flags >> 2) & 1,
        .zeroes_may_unmap = (flags >> 3) & 1,
        .id = "svmm-fuzz-disk-0123", /* 19 chars + NUL */
    };

    memset(&bs, 0, sizeof(bs));
    bs.mode = fin_u8(&f);
    bs.ro = be.read_only;
    bs.discard = be.discard && !bs.ro;
    bs.write_zeroes = be.write_zeroes && !bs.ro;
    bs.may_unmap = be.zeroes_may_unmap && bs.write_zeroes;
    bs.capacity = cap - cap % VIRTIO_BLK_SECTOR;
    virtio_blk_init(&bs.blk, &be);
    vd_setup(&bs.blk.dev, on_reset, feats);
    bs.interrupt = bs.blk.dev.transport.interrupt;
    bs.blk.dev.transport.interrupt = count_interrupt;
    FUZZ_CHECK(vd_rd32(0x000) == 0x74726976u && vd_rd32(0x008) == VIRTIO_ID_BLOCK);
    vd_run_ops(&f, MAX_OPS, blk_op, check);
    /* The VM goes away: a reset must cancel whatever is still pending. */
    vd_wr32(0x070, 0);
    check();
    return 0;
}
