/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz the split virtqueue (src/virtio/virtqueue.c), the boundary where guest-written descriptors
 * enter the VMM. The guest has four regions with a hole and ASan-poisoned host guards between them:
 *
 *   R0 RAM     gpa 0x10000 size 0x2000   rings (by default) and buffers
 *   R1 RAM     gpa 0x12000 size 0x2000   adjacent to R0 in guest space, not in host space
 *   hole       gpa 0x14000 .. 0x18000
 *   R2 RAM|RO  gpa 0x18000 size 0x1000   read-only (e.g. flash): device may read, never write
 *   R3 not RAM gpa 0x19000 size 0x1000   registered but not RAM: never DMA
 *
 * Input: a 3-byte header, fill bytes, then operations.
 *   h[0]       bits 0-3 log2(queue size) (mod 9), bit 4 INDIRECT_DESC, bit 5 EVENT_IDX,
 *              bits 6-7 ring placement: 0/3 compact in R0, 1 descriptor table in R2 (read-only),
 *              2 three u16 offsets from 0x10000 follow (anything: misaligned, overlapping, in holes)
 *   h[1..2]    fill length (LE): bytes written in order into the descriptor table, avail ring,
 *              used ring, then R1 from its start (buffers, indirect tables)
 *   ops        up to MAX_OPS operations, each an opcode byte and its operands (see run_op):
 *              pop (+ chain read/write, optional immediate push), push an in-flight chain, publish
 *              a head in the avail ring, poke guest memory, write a descriptor (main table or an
 *              indirect table in R1 or R2), arm notifications, reset and re-enable the queue
 */
#include <svmm/virtqueue.h>
#include "fuzz.h"

#define MAX_OPS 512
#define BASE 0x10000ull

struct region_def {
    uint64_t gpa, size;
    size_t host_off;
    uint32_t flags;
};

static const struct region_def regions[] = {
    { 0x10000, 0x2000, 0x0000, SVMM_MEM_RAM },
    { 0x12000, 0x2000, 0x3000, SVMM_MEM_RAM },
    { 0x18000, 0x1000, 0x6000, SVMM_MEM_RAM | SVMM_MEM_RO },
    { 0x19000, 0x1000, 0x8000, 0 },
};
#define NREGIONS (sizeof(regions) / sizeof(regions[0]))
#define R1_GPA 0x12000ull
#define R2_GPA 0x18000ull
#define IND_R1 (R1_GPA + 0x1000) /* indirect table slots the structured op writes */
#define IND_R2 (R2_GPA + 0x800)
#define ARENA_SIZE 0xa000

static uint8_t arena[ARENA_SIZE] __attribute__((aligned(4096)));
static uint8_t ro_snapshot[0x2000]; /* R2 and R3 as the guest left them: the device must not write */
static uint8_t scratch[0x10000], pattern[0x10000];

struct inflight {
    uint16_t head;
    uint32_t written;
};

struct state {
    struct svmm_memmap mem;
    struct virtq q;
    struct virtq_chain c;
    uint64_t features;
    struct inflight fl[VIRTQ_MAX_SIZE];
    unsigned nfl;
};

static struct state st;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    for (size_t i = 0; i < sizeof(pattern); i++)
        pattern[i] = (uint8_t)(i * 31 + 7);
    /* Guards: everything in the arena that is not a region. */
    fz_poison(arena + 0x2000, 0x1000);
    fz_poison(arena + 0x5000, 0x1000);
    fz_poison(arena + 0x7000, 0x1000);
    fz_poison(arena + 0x9000, 0x1000);
    return 0;
}

/* The driver's view: host pointer for [gpa, gpa+len) inside one region (any flags), else NULL. */
static uint8_t *drv_ptr(uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < NREGIONS; i++) {
        const struct region_def *r = &regions[i];
        if (len <= r->size && gpa >= r->gpa && gpa - r->gpa <= r->size - len)
            return arena + r->host_off + (gpa - r->gpa);
    }
    return NULL;
}

/* Write fill bytes at gpa for len bytes (skipped if unmapped); R2/R3 writes update the snapshot. */
static void drv_write(uint64_t gpa, const uint8_t *src, size_t len)
{
    uint8_t *p = drv_ptr(gpa, len);

    if (p == NULL || len == 0)
        return;
    memcpy(p, src, len);
    if (gpa >= R2_GPA)
        memcpy(ro_snapshot + (gpa - R2_GPA), src, len);
}

/* The memmap region whose host range holds [p, p+len), or NULL. */
static const struct svmm_mem_region *host_region(const void *p, size_t len)
{
    for (unsigned i = 0; i < st.mem.count; i++) {
        const struct svmm_mem_region *r = &st.mem.regions[i];
        if (fz_inside(p, len, r->host, r->size))
            return r;
    }
    return NULL;
}

static void check_chain(void)
{
    const struct virtq_chain *c = &st.c;
    uint64_t out = 0, in = 0;

    FUZZ_CHECK(c->head < st.q.num);
    FUZZ_CHECK((unsigned)c->n_out + c->n_in <= st.q.num);
    for (unsigned i = 0; i < (unsigned)c->n_out + c->n_in; i++) {
        const struct svmm_mem_region *r = host_region(c->iov[i].host, c->iov[i].len);
        FUZZ_CHECK(r != NULL);
        FUZZ_CHECK(r->flags & SVMM_MEM_RAM);
        if (i >= c->n_out) {
            FUZZ_CHECK(!(r->flags & SVMM_MEM_RO));
            in += c->iov[i].len;
        } else {
            out += c->iov[i].len;
        }
    }
    FUZZ_CHECK(out == c->out_len);
    FUZZ_CHECK(in == c->in_len);
    FUZZ_CHECK(out + in <= VIRTQ_MAX_CHAIN_BYTES);
}

/* After a successful enable the rings are guest RAM, and the used ring is writable RAM. */
static void check_enabled(void)
{
    const struct virtq *q = &st.q;
    const struct svmm_mem_region *r;

    FUZZ_CHECK(q->ready && q->error == VIRTQ_OK);
    FUZZ_CHECK(q->num > 0 && q->num <= VIRTQ_MAX_SIZE && (q->num & (q->num - 1)) == 0);
    FUZZ_CHECK((r = host_region(q->desc, 16u * q->num)) != NULL && (r->flags & SVMM_MEM_RAM));
    FUZZ_CHECK((r = host_region(q->avail, 6u + 2u * q->num)) != NULL && (r->flags & SVMM_MEM_RAM));
    FUZZ_CHECK((r = host_region(q->used, 6u + 8u * q->num)) != NULL && (r->flags & SVMM_MEM_RAM) &&
               !(r->flags & SVMM_MEM_RO));
}

static int enable(uint16_t num)
{
    uint64_t d = st.q.desc_gpa, a = st.q.avail_gpa, u = st.q.used_gpa;
    int r;

    virtq_reset(&st.q);
    st.nfl = 0;
    st.q.num = num;
    st.q.desc_gpa = d;
    st.q.avail_gpa = a;
    st.q.used_gpa = u;
    r = virtq_enable(&st.q, &st.mem, st.features);
    if (r == VIRTQ_OK)
        check_enabled();
    else
        FUZZ_CHECK(r == VIRTQ_E_RING && !st.q.ready);
    if (num == 0 || num > VIRTQ_MAX_SIZE || (num & (num - 1)))
        FUZZ_CHECK(r == VIRTQ_E_RING);
    return r;
}

static uint32_t expect_copy(uint32_t total, uint32_t off, uint32_t len)
{
    return off >= total ? 0 : (total - off < len ? total - off : len);
}

static void push_one(unsigned i)
{
    struct virtq *q = &st.q;
    uint16_t old = q->used_idx, head = st.fl[i].head;
    uint8_t *elem;

    FUZZ_CHECK(virtq_push(q, head, st.fl[i].written) == VIRTQ_OK);
    FUZZ_CHECK(q->used_idx == (uint16_t)(old + 1));
    FUZZ_CHECK(fz_get(q->used + 2, 2) == q->used_idx);
    elem = q->used + 4 + 8u * (old % q->num);
    FUZZ_CHECK(fz_get(elem, 4) == head && fz_get(elem + 4, 4) == st.fl[i].written);
    st.fl[i] = st.fl[--st.nfl];
    (void)virtq_should_interrupt(q, old);
}

static void op_pop(struct fin *f, uint8_t op)
{
    struct virtq *q = &st.q;
    uint32_t roff = fin_u16(f), rlen = fin_u16(f), woff = fin_u16(f), wlen = fin_u16(f), n;
    int r;

    r = virtq_pop(q, &st.c);
    if (r == 0) {
        FUZZ_CHECK(!virtq_has_avail(q));
        return;
    }
    if (r < 0) {
        if (!q->ready) {
            FUZZ_CHECK(r == VIRTQ_E_NOT_READY);
            return;
        }
        /* A broken queue stays broken until reset and stops offering work. */
        FUZZ_CHECK(r == q->error);
        FUZZ_CHECK(strcmp(virtq_strerror(r), "unknown") != 0);
        FUZZ_CHECK(virtq_pop(q, &st.c) == r);
        FUZZ_CHECK(!virtq_has_avail(q));
        FUZZ_CHECK(!virtq_arm_notify(q));
        return;
    }
    FUZZ_CHECK(r == 1);
    /* Never more than num chains held, whatever the guest published: fl[] cannot overflow. */
    FUZZ_CHECK(q->in_flight == st.nfl + 1 && st.nfl < q->num);
    check_chain();
    n = virtq_chain_read(&st.c, roff, scratch, rlen);
    FUZZ_CHECK(n == expect_copy(st.c.out_len, roff, rlen));
    n = virtq_chain_write(&st.c, woff, pattern, wlen);
    FUZZ_CHECK(n == expect_copy(st.c.in_len, woff, wlen));
    st.fl[st.nfl++] = (struct inflight){ st.c.head, n };
    if (op & 0x80) /* complete at once; otherwise it stays in flight for an out-of-order push */
        push_one(st.nfl - 1);
}

static void op_publish(struct fin *f)
{
    uint16_t head = fin_u16(f), num = st.q.num, idx;
    uint8_t *avail, v[2];

    if (num == 0 || (avail = drv_ptr(st.q.avail_gpa, 4 + 2u * num)) == NULL)
        return;
    idx = (uint16_t)fz_get(avail + 2, 2);
    fz_put(v, head, 2);
    drv_write(st.q.avail_gpa + 4 + 2u * (idx % num), v, 2);
    fz_put(v, (uint16_t)(idx + 1), 2);
    drv_write(st.q.avail_gpa + 2, v, 2);
}

static void op_poke(struct fin *f)
{
    static const uint64_t bases[] = { 0x10000, 0x12000, 0x18000 };
    static const uint64_t sizes[] = { 0x2000, 0x2000, 0x1000 };
    uint8_t sel = fin_u8(f) % 3, buf[32];
    uint16_t off = fin_u16(f) % sizes[sel];
    size_t len = fin_u8(f) % 33;

    if (len > sizes[sel] - off)
        len = sizes[sel] - off;
    fin_bytes(f, buf, len);
    drv_write(bases[sel] + off, buf, len);
}

/* Write one descriptor where the driver would: the main table or one of two indirect tables. */
static void op_desc(struct fin *f)
{
    static const uint64_t addr_bases[] = { 0x10000, 0x12000, 0x18000, 0x19000, 0x14000 };
    uint8_t sel = fin_u8(f), asel = fin_u8(f), d[16];
    uint64_t table, addr;
    unsigned idx;
    uint32_t len;
    uint16_t flags, next;

    switch (sel & 3) {
    case 1: table = IND_R1; idx = fin_u8(f); break;
    case 2: table = IND_R2; idx = fin_u8(f) % 128; break;
    default: table = st.q.desc_gpa; idx = st.q.num ? fin_u8(f) % st.q.num : 0; break;
    }
    addr = (asel & 0x80) ? fin_u64(f) : addr_bases[asel % 5] + fin_u16(f);
    len = (sel & 0x80) ? fin_u32(f) : fin_u16(f);
    flags = (sel & 0x40) ? fin_u16(f) : (fin_u8(f) & 7);
    next = (sel & 0x20) ? fin_u16(f) : fin_u8(f);
    fz_put(d, addr, 8);
    fz_put(d + 8, len, 4);
    fz_put(d + 12, flags, 2);
    fz_put(d + 14, next, 2);
    drv_write(table + 16ull * idx, d, sizeof(d));
}

static void op_arm(void)
{
    struct virtq *q = &st.q;
    bool more = virtq_arm_notify(q);

    if (!q->ready || q->error != VIRTQ_OK) {
        FUZZ_CHECK(!more);
        return;
    }
    FUZZ_CHECK(more == virtq_has_avail(q));
    if (q->event_idx)
        FUZZ_CHECK(fz_get(q->used + 4 + 8u * q->num, 2) == q->last_avail);
}

static void run_op(struct fin *f)
{
    uint8_t op = fin_u8(f);

    switch (op & 7) {
    case 0: case 1: op_pop(f, op); break;
    case 2:
        if (st.nfl > 0)
            push_one(fin_u8(f) % st.nfl);
        break;
    case 3: op_publish(f); break;
    case 4: op_poke(f); break;
    case 5: op_desc(f); break;
    case 6: op_arm(); break;
    case 7: {
        /* Driver resets and re-enables the queue, possibly with another size and features. */
        uint8_t b = fin_u8(f);
        st.features = 1ull << VIRTIO_F_VERSION_1 | (uint64_t)((b >> 4) & 1) << VIRTIO_F_INDIRECT_DESC |
                      (uint64_t)((b >> 5) & 1) << VIRTIO_F_EVENT_IDX;
        enable((b & 0x40) ? fin_u16(f) : (uint16_t)(1u << ((b & 15) % 9))); /* any size, sometimes */
        break;
    }
    }
}

static uint64_t align4(uint64_t v) { return (v + 3) & ~3ull; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fin f = fin_make(data, size), fill;
    uint8_t h0 = fin_u8(&f);
    uint16_t num = (uint16_t)(1u << ((h0 & 15) % 9));
    unsigned mode = h0 >> 6;
    size_t fill_len = fin_u16(&f);
    uint64_t lens[4];
    int r;

    memset(&st, 0, sizeof(st));
    for (unsigned i = 0; i < NREGIONS; i++)
        memset(arena + regions[i].host_off, 0, regions[i].size);
    memset(ro_snapshot, 0, sizeof(ro_snapshot));
    svmm_memmap_init(&st.mem);
    for (unsigned i = 0; i < NREGIONS; i++)
        FUZZ_CHECK(svmm_memmap_add(&st.mem, regions[i].gpa, regions[i].size, arena + regions[i].host_off,
                                   regions[i].flags) == SVMM_MEMMAP_OK);
    st.features = 1ull << VIRTIO_F_VERSION_1 | (uint64_t)((h0 >> 4) & 1) << VIRTIO_F_INDIRECT_DESC |
                  (uint64_t)((h0 >> 5) & 1) << VIRTIO_F_EVENT_IDX;
    switch (mode) {
    case 1:
        st.q.desc_gpa = R2_GPA;
        st.q.avail_gpa = BASE;
        st.q.used_gpa = align4(BASE + 6 + 2u * num);
        break;
    case 2:
        st.q.desc_gpa = BASE + fin_u16(&f);
        st.q.avail_gpa = BASE + fin_u16(&f);
        st.q.used_gpa = BASE + fin_u16(&f);
        break;
    default:
        st.q.desc_gpa = BASE;
        st.q.avail_gpa = BASE + 16u * num;
        st.q.used_gpa = align4(st.q.avail_gpa + 6 + 2u * num);
        break;
    }

    /* Fill: descriptor table, avail ring, used ring, then buffer memory at the start of R1. */
    if (fill_len > f.n)
        fill_len = f.n;
    fill = fin_make(f.p, fill_len);
    f.p += fill_len;
    f.n -= fill_len;
    lens[0] = 16u * num;
    lens[1] = 6u + 2u * num;
    lens[2] = 6u + 8u * num;
    lens[3] = 0x2000;
    {
        const uint64_t at[4] = { st.q.desc_gpa, st.q.avail_gpa, st.q.used_gpa, R1_GPA };
        for (unsigned i = 0; i < 4 && !fin_empty(&fill); i++) {
            size_t n = lens[i] < fill.n ? lens[i] : fill.n;
            drv_write(at[i], fill.p, n);
            fill.p += n;
            fill.n -= n;
        }
    }

    r = enable(num);
    if (mode != 2)
        FUZZ_CHECK(r == VIRTQ_OK); /* every fixed placement is valid */
    for (unsigned i = 0; i < MAX_OPS && !fin_empty(&f); i++)
        run_op(&f);
    /* Drain: complete everything still in flight, as a device does before reset. */
    while (st.nfl > 0 && st.q.ready)
        push_one(st.nfl - 1);
    /* The device never wrote into read-only or non-RAM regions. */
    FUZZ_CHECK(memcmp(arena + 0x6000, ro_snapshot, 0x1000) == 0);
    FUZZ_CHECK(memcmp(arena + 0x8000, ro_snapshot + 0x1000, 0x1000) == 0);
    return 0;
}
