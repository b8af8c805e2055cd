/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared guest side of the virtio device harnesses (fuzz_virtio_blk/net/vsock.c): one device behind
 * the virtio-mmio transport (src/virtio/mmio.c, accessed as its MMIO callbacks), fake guest memory,
 * and the driver operations every device harness shares. Included by exactly one .c per binary.
 *
 * Guest memory: RAM at gpa 0x10000 (64 KiB) and a read-only RAM region at gpa 0x20000 (4 KiB), with
 * ASan-poisoned host guards around both. Queues 0 and 1 have their rings at RAM + 0x2000*q
 * (descriptors +0, avail +0x1000, used +0x1400, a 4-entry indirect table +0x1c40), queues 2.. (at
 * most 32 entries) at RAM + 0x4000 + 0x400*(q-2) (+0, +0x200, +0x280, +0x3c0); buffers go to
 * RAM + 0x6000.. . Accesses go straight to the transport, or through an MMIO bus if the harness
 * registered it there (vd.bus).
 *
 * Common operations (op & 7; a harness maps op & 8 to its own):
 *   0 raw read   u16 off, u8 size code            any register or config offset, any size
 *   1 reg write  u8 reg index, u32 value          the registers a driver writes (32-bit)
 *   2 mem write  u8 ro, u16 off, u8 len, bytes    guest RAM (or the read-only region's contents)
 *   3 desc       u8 q, u8 sel, u8 idx, addr, len, flags, next (see vd_op_desc)
 *   4 publish    u8 q, u16 head                   one avail-ring entry, avail->idx + 1
 *   5 notify     u8 q                             QueueNotify
 *   6 bring-up   u8 features, u8 queue size       the whole Linux bring-up in one op (vd_features;
 *                                                 queue size 1 << (n % 9))
 *   7 chain      see vd_op_chain                  a chain of up to 4 buffers with inline contents,
 *                                                 written at descriptor d0.., published, notified
 *
 * Invariants checked after every op (vd_check): the transport invariants of fuzz_virtio_mmio (no
 * DRIVER_OK without FEATURES_OK, negotiated features offered + VERSION_1, IRQ line == ISR != 0,
 * enabled rings in RAM, used ring writable); the read-only region is never written; and every byte
 * of guest RAM the device wrote (found by diffing RAM against the driver's shadow copy, into which
 * the harness's backends record their own, validated writes) lies in the used ring of an enabled
 * queue or in a buffer the driver offered as device-writable since the last reset (descriptors
 * are sampled before every op). After a reset nothing may be written until queues are re-enabled,
 * and nothing at all before the driver sets DRIVER_OK (known bug `before-driver-ok`, README.md).
 */
#ifndef SVMM_FUZZ_VDEV_H
#define SVMM_FUZZ_VDEV_H

#include <svmm/log.h>
#include <svmm/memmap.h>
#include <svmm/mmio.h>
#include <svmm/virtio.h>
#include <svmm/virtio_mmio.h>
#include "fuzz.h"
#include "fuzz_transport.h"

#define VD_IRQ 16u
#define VD_RAM_GPA 0x10000ull
#define VD_RAM_SIZE 0x10000ull
#define VD_RO_GPA 0x20000ull
#define VD_RO_SIZE 0x1000ull
#define VD_RO_HOST_OFF 0x11000
#define VD_ARENA_SIZE 0x13000
#define VD_BUF_OFF 0x6000u   /* buffers: RAM + 0x6000 .. RAM + 0x10000 */
#define VD_IND_OFF 0x1c40u   /* indirect table (4 entries) of queues 0 and 1, after their rings */
#define VD_MAX_QUEUES 10u    /* queues 2.. have 1 KiB each below VD_BUF_OFF */
#define VD_WCACHE 1024u

static uint8_t vd_arena[VD_ARENA_SIZE] __attribute__((aligned(4096)));
static uint8_t vd_shadow[VD_RAM_SIZE];   /* RAM as the driver (and the harness backends) left it */
static uint8_t vd_ro_snapshot[VD_RO_SIZE];
static uint8_t vd_wmap[VD_RAM_SIZE];     /* 1: offered device-writable since the last reset */
static uint32_t vd_wcache[VD_WCACHE][2]; /* (off+1, len) pairs already marked in vd_wmap */

#define VD_RAM (vd_arena)
#define VD_RO (vd_arena + VD_RO_HOST_OFF)

struct vd {
    struct svmm_memmap mem;
    struct virtio_mmio t;
    struct virtio_dev *dev;
    struct virtio_dev_ops ops; /* the device's ops with reset wrapped */
    const struct virtio_dev_ops *dev_ops;
    bool irq_level;
    unsigned resets;         /* device resets seen (through the wrapped reset op) */
    uint32_t buf_cursor;     /* bump allocator for chain buffers */
    uint32_t ro_cursor;
    void (*on_reset)(void);  /* harness hook, after the device's own reset */
    struct svmm_mmio_bus *bus; /* if set, accesses go through it, the transport registered at bus_base */
    uint64_t bus_base;
    unsigned feat_bits[8];   /* feature bits a one-op bring-up picks from (vd_features) */
};

static struct vd vd;

static void vd_log_sink(enum svmm_log_level level, const char *line, unsigned len)
{
    (void)level;
    FUZZ_CHECK(strlen(line) == len);
}

static void vd_global_init(void)
{
    fz_poison(vd_arena + VD_RAM_SIZE, VD_RO_HOST_OFF - VD_RAM_SIZE);
    fz_poison(vd_arena + VD_RO_HOST_OFF + VD_RO_SIZE, VD_ARENA_SIZE - VD_RO_HOST_OFF - VD_RO_SIZE);
    svmm_log_init(vd_log_sink, SVMM_LOG_DEBUG);
}

static void vd_irq_fn(void *ctx, uint32_t irq, bool level)
{
    FUZZ_CHECK(ctx == &vd && irq == VD_IRQ);
    vd.irq_level = level;
}

static void vd_clear_wmap(void)
{
    memset(vd_wmap, 0, sizeof(vd_wmap));
    memset(vd_wcache, 0, sizeof(vd_wcache));
}

static void vd_reset_hook(struct virtio_dev *d)
{
    FUZZ_CHECK(d == vd.dev);
    if (vd.dev_ops->reset)
        vd.dev_ops->reset(d);
    vd.resets++;
    /* From now on the device owns no guest buffer: any later write is a violation. */
    vd_clear_wmap();
    if (vd.on_reset)
        vd.on_reset();
}

/* Reset all guest-side state and bind `dev` (initialised, in reset) to the transport. */
static void vd_setup(struct virtio_dev *dev, void (*on_reset)(void), const unsigned feat_bits[6])
{
    memset(&vd, 0, sizeof(vd));
    memset(vd_arena, 0, VD_RAM_SIZE);
    memset(VD_RO, 0, VD_RO_SIZE);
    memset(vd_shadow, 0, sizeof(vd_shadow));
    memset(vd_ro_snapshot, 0, sizeof(vd_ro_snapshot));
    vd_clear_wmap();
    svmm_memmap_init(&vd.mem);
    FUZZ_CHECK(svmm_memmap_add(&vd.mem, VD_RAM_GPA, VD_RAM_SIZE, VD_RAM, SVMM_MEM_RAM) == 0);
    FUZZ_CHECK(svmm_memmap_add(&vd.mem, VD_RO_GPA, VD_RO_SIZE, VD_RO, SVMM_MEM_RAM | SVMM_MEM_RO) == 0);
    vd.dev = dev;
    vd.dev_ops = dev->ops;
    vd.ops = *dev->ops;
    vd.ops.reset = vd_reset_hook;
    dev->ops = &vd.ops;
    vd.on_reset = on_reset;
    vd.feat_bits[0] = VIRTIO_F_INDIRECT_DESC;
    vd.feat_bits[1] = VIRTIO_F_EVENT_IDX;
    for (unsigned i = 0; i < 6; i++)
        vd.feat_bits[2 + i] = feat_bits[i];
    virtio_mmio_init(&vd.t, dev, &vd.mem, vd_irq_fn, &vd, VD_IRQ);
    vd.resets = 0;
}

/* ---- guest memory, driver side ---- */

static uint8_t *vd_drv_ptr(uint64_t gpa, uint64_t len)
{
    if (len <= VD_RAM_SIZE && gpa >= VD_RAM_GPA && gpa - VD_RAM_GPA <= VD_RAM_SIZE - len)
        return VD_RAM + (gpa - VD_RAM_GPA);
    if (len <= VD_RO_SIZE && gpa >= VD_RO_GPA && gpa - VD_RO_GPA <= VD_RO_SIZE - len)
        return VD_RO + (gpa - VD_RO_GPA);
    return NULL;
}

static void vd_drv_write(uint64_t gpa, const void *src, size_t len)
{
    uint8_t *p = vd_drv_ptr(gpa, len);

    if (p == NULL || len == 0)
        return;
    memcpy(p, src, len);
    if (gpa >= VD_RO_GPA)
        memcpy(vd_ro_snapshot + (gpa - VD_RO_GPA), src, len);
    else
        memcpy(vd_shadow + (gpa - VD_RAM_GPA), src, len);
}

static bool vd_in_ram(const void *p, size_t len) { return fz_inside(p, len, VD_RAM, VD_RAM_SIZE); }
static bool vd_in_ro(const void *p, size_t len) { return fz_inside(p, len, VD_RO, VD_RO_SIZE); }

/*
 * A harness backend wrote [p, p+len) on the device's behalf (a read into guest memory): it must be
 * writable guest RAM the driver offered as device-writable; record it in the shadow.
 */
static void vd_capture(void);
static bool vd_offered_writable(const uint8_t *p, size_t len)
{
    size_t off = (size_t)(p - VD_RAM);

    return len == 0 || memchr(vd_wmap + off, 0, len) == NULL;
}

static void vd_check_guest_writable(const void *p, size_t len)
{
    FUZZ_CHECK(vd_in_ram(p, len));
    FUZZ_CHECK(!vd_in_ro(p, len ? len : 1));
    if (!vd_offered_writable(p, len)) {
        vd_capture(); /* a device write may have created the descriptor during this op */
        FUZZ_CHECK(vd_offered_writable(p, len));
    }
}

static __attribute__((unused)) void vd_backend_wrote(const void *p, size_t len)
{
    size_t off = (size_t)((const uint8_t *)p - VD_RAM);

    vd_check_guest_writable(p, len);
    memcpy(vd_shadow + off, p, len);
}

/* ---- sampling what the driver offered as device-writable ---- */

static void vd_mark(uint64_t gpa, uint32_t len)
{
    uint64_t off;
    unsigned h;

    if (len == 0 || gpa < VD_RAM_GPA || gpa - VD_RAM_GPA >= VD_RAM_SIZE || len > VD_RAM_SIZE - (gpa - VD_RAM_GPA))
        return; /* not (entirely) in RAM: the device refuses it */
    off = gpa - VD_RAM_GPA;
    h = (unsigned)((off * 2654435761u) ^ (len * 40503u)) % VD_WCACHE;
    if (vd_wcache[h][0] == off + 1 && vd_wcache[h][1] == len)
        return;
    memset(vd_wmap + off, 1, len);
    vd_wcache[h][0] = (uint32_t)off + 1;
    vd_wcache[h][1] = len;
}

static void vd_walk_table(const uint8_t *table, unsigned n, bool indirect_ok)
{
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *d = table + 16u * i;
        uint64_t addr = fz_get(d, 8);
        uint32_t len = (uint32_t)fz_get(d + 8, 4);
        uint16_t flags = (uint16_t)fz_get(d + 12, 2);

        if (flags & 4) { /* INDIRECT */
            const uint8_t *t;
            if (!indirect_ok || len == 0 || len % 16 || len / 16 > 256)
                continue;
            t = vd_drv_ptr(addr, len);
            if (t != NULL)
                vd_walk_table(t, len / 16, false);
        } else if (flags & 2) {
            vd_mark(addr, len);
        }
    }
}

/* Record every device-writable buffer the enabled queues' descriptor tables name now. */
static void vd_capture(void)
{
    for (unsigned q = 0; q < vd.dev->num_queues; q++) {
        const struct virtq *vq = &vd.dev->queues[q];
        if (vq->ready)
            vd_walk_table(vq->desc, vq->num, vq->indirect_ok);
    }
}

static bool vd_in_used_ring(size_t off)
{
    const uint8_t *p = VD_RAM + off;

    for (unsigned q = 0; q < vd.dev->num_queues; q++) {
        const struct virtq *vq = &vd.dev->queues[q];
        if (vq->ready && p >= vq->used && (size_t)(p - vq->used) < 6u + 8u * vq->num)
            return true;
    }
    return false;
}

/* Device writes since the last check: each byte in an enabled used ring or an offered buffer. */
static void vd_check_writes(void)
{
    bool recaptured = false;

    FUZZ_CHECK(memcmp(VD_RO, vd_ro_snapshot, VD_RO_SIZE) == 0);
    for (size_t c = 0; c < VD_RAM_SIZE; c += 256) {
        if (memcmp(VD_RAM + c, vd_shadow + c, 256) == 0)
            continue;
        for (size_t i = c; i < c + 256; i++) {
            if (VD_RAM[i] == vd_shadow[i])
                continue;
            if (!vd_wmap[i] && !vd_in_used_ring(i) && !recaptured) {
                vd_capture();
                recaptured = true;
            }
            if (!vd_wmap[i] && !vd_in_used_ring(i)) {
                fprintf(stderr, "device wrote guest RAM +0x%zx (0x%02x -> 0x%02x) outside every used ring and "
                        "device-writable buffer\n", i, vd_shadow[i], VD_RAM[i]);
                FUZZ_CHECK(!"device write outside the buffers the driver offered");
            }
            /* VirtIO 1.2, 3.1.2: no buffers used (nor notifications) before DRIVER_OK. */
            FUZZ_CHECK_BUG("before-driver-ok", vd.t.status & VIRTIO_STATUS_DRIVER_OK);
            vd_shadow[i] = VD_RAM[i];
        }
    }
}

static bool vd_guest_mem(const void *p, size_t len, bool writable)
{
    return vd_in_ram(p, len) || (!writable && vd_in_ro(p, len));
}

static void vd_check(void)
{
    fz_check_transport(&vd.t, vd.irq_level, vd_guest_mem);
    vd_check_writes();
}

/* ---- transport access ---- */

static uint64_t vd_mmio(uint64_t off, bool is_write, unsigned size, uint64_t val)
{
    if (vd.bus != NULL) { /* the bus judges size and range itself */
        uint64_t data = val;
        svmm_mmio_access(vd.bus, 0, vd.bus_base + off, is_write, size, &data);
        return is_write ? 0 : data;
    }
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return 0;
    if (off > VIRTIO_MMIO_SIZE - size)
        return 0;
    if (is_write) {
        virtio_mmio_ops.write(&vd.t, 0, off, size, val);
        return 0;
    }
    return virtio_mmio_ops.read(&vd.t, 0, off, size);
}

static void vd_wr32(uint64_t off, uint32_t v) { vd_mmio(off, true, 4, v); }
static uint32_t vd_rd32(uint64_t off) { return (uint32_t)vd_mmio(off, false, 4, 0); }

/*
 * Where queue q's rings go: queues 0 and 1 in 8 KiB each (up to 256 entries), the others (up to
 * VD_SMALL_MAX entries) in 1 KiB each from RAM + 0x4000, all below the buffer area. `which`: 0
 * descriptors, 1 avail, 2 used, 3 the queue's 4-entry indirect table.
 */
#define VD_SMALL_MAX 32u
static uint64_t vd_ring_gpa(unsigned q, unsigned which)
{
    static const uint64_t big[4] = { 0x0000, 0x1000, 0x1400, VD_IND_OFF };
    static const uint64_t small[4] = { 0x000, 0x200, 0x280, 0x3c0 };

    if (q < 2)
        return VD_RAM_GPA + 0x2000ull * q + big[which];
    return VD_RAM_GPA + 0x4000 + 0x400ull * (q - 2) + small[which];
}

/* The Linux bring-up: features `feat` (VERSION_1 always added), every queue of size `num` (at most
 * VD_SMALL_MAX from queue 2 on). */
static void vd_bring_up(uint64_t feat, uint16_t num)
{
    feat |= 1ull << VIRTIO_F_VERSION_1;
    vd_wr32(0x070, 0);
    vd_wr32(0x070, VIRTIO_STATUS_ACKNOWLEDGE);
    vd_wr32(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    vd_wr32(0x024, 0);
    vd_wr32(0x020, (uint32_t)feat);
    vd_wr32(0x024, 1);
    vd_wr32(0x020, (uint32_t)(feat >> 32));
    vd_wr32(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    for (unsigned q = 0; q < vd.dev->num_queues && q < VD_MAX_QUEUES; q++) {
        uint8_t zero[4] = { 0 };
        /* A fresh ring: avail and used indices 0 (a re-bring-up must not inherit old ones). */
        vd_drv_write(vd_ring_gpa(q, 1), zero, 4);
        vd_drv_write(vd_ring_gpa(q, 2), zero, 4);
        vd_wr32(0x030, q);
        vd_wr32(0x038, q < 2 || num <= VD_SMALL_MAX ? num : VD_SMALL_MAX);
        vd_wr32(0x080, (uint32_t)vd_ring_gpa(q, 0));
        vd_wr32(0x084, 0);
        vd_wr32(0x090, (uint32_t)vd_ring_gpa(q, 1));
        vd_wr32(0x094, 0);
        vd_wr32(0x0a0, (uint32_t)vd_ring_gpa(q, 2));
        vd_wr32(0x0a4, 0);
        vd_wr32(0x044, 1);
    }
    vd_wr32(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                       VIRTIO_STATUS_DRIVER_OK);
}

/*
 * Features for a one-op bring-up: bit i of `b` accepts vd.feat_bits[i] (the harness lists the
 * device's interesting bits; bits 0 and 1 are INDIRECT_DESC and EVENT_IDX), masked by the offer.
 */
static uint64_t vd_features(uint8_t b)
{
    uint64_t f = 0;

    for (unsigned i = 0; i < 8; i++)
        if ((b >> i) & 1)
            f |= 1ull << vd.feat_bits[i];
    return f & vd.dev->device_features;
}

static const struct virtq *vd_queue(struct fin *f)
{
    return &vd.dev->queues[fin_u8(f) % vd.dev->num_queues];
}

static void vd_publish(const struct virtq *q, uint16_t head)
{
    uint8_t *avail, v[2];
    uint16_t idx;

    if (q->num == 0 || (avail = vd_drv_ptr(q->avail_gpa, 4 + 2u * q->num)) == NULL)
        return;
    idx = (uint16_t)fz_get(avail + 2, 2);
    fz_put(v, head, 2);
    vd_drv_write(q->avail_gpa + 4 + 2u * (idx % q->num), v, 2);
    fz_put(v, (uint16_t)(idx + 1), 2);
    vd_drv_write(q->avail_gpa + 2, v, 2);
}

static void vd_desc_write(uint64_t table_gpa, uint16_t idx, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t d[16];

    fz_put(d, addr, 8);
    fz_put(d + 8, len, 4);
    fz_put(d + 12, flags, 2);
    fz_put(d + 14, next, 2);
    vd_drv_write(table_gpa + 16ull * idx, d, sizeof(d));
}

static void vd_op_desc(struct fin *f)
{
    const struct virtq *q = vd_queue(f);
    uint8_t sel = fin_u8(f);
    uint16_t idx = q->num ? fin_u8(f) % q->num : fin_u8(f);
    uint64_t addr = (sel & 0x80) ? fin_u64(f) : ((sel & 0x40) ? VD_RO_GPA : VD_RAM_GPA) + fin_u16(f);
    uint32_t len = (sel & 0x20) ? fin_u32(f) : fin_u16(f);
    uint16_t flags = (sel & 0x10) ? fin_u16(f) : (fin_u8(f) & 7);

    vd_desc_write(q->desc_gpa, idx, addr, len, flags, fin_u8(f));
}

/*
 * A whole chain: u8 q, u8 d0, u8 ctl, then per buffer u8 sf [u16 len] [u16 off] [u8 n, n bytes].
 *   ctl: bits 0-1 buffers - 1, bit 2 notify after publishing, bit 3 through an indirect table
 *        (needs INDIRECT_DESC; the table sits in RAM at the queue's VD_IND_OFF)
 *   sf:  bit 0 device-writable, bit 1 in the read-only region, bit 2 explicit u16 length (else
 *        bits 5-7 pick 1, 12, 16, 44, 512, 1024, 2048, 4096), bit 3 inline contents follow (at most
 *        64 bytes, at the buffer's start), bit 4 explicit u16 offset in its region (else the next
 *        free space of a bump allocator)
 */
/* The next free `len` bytes of the RAM buffer area (wrapping; len may exceed it). */
static uint64_t vd_alloc(uint32_t len)
{
    uint64_t off = VD_BUF_OFF + vd.buf_cursor;

    if (off + len > VD_RAM_SIZE) {
        vd.buf_cursor = 0;
        off = VD_BUF_OFF;
    }
    vd.buf_cursor = (uint32_t)(((off - VD_BUF_OFF) + len + 15) & ~15ull) % (VD_RAM_SIZE - VD_BUF_OFF);
    return VD_RAM_GPA + off;
}

static const uint32_t vd_lens[8] = { 1, 12, 16, 44, 512, 1024, 2048, 4096 };

static void vd_op_chain(struct fin *f)
{
    unsigned qi = fin_u8(f) % vd.dev->num_queues;
    const struct virtq *q = &vd.dev->queues[qi];
    uint8_t d0 = fin_u8(f), ctl = fin_u8(f);
    unsigned nb = 1 + (ctl & 3);
    bool indirect = ctl & 8;
    uint64_t ind_gpa = vd_ring_gpa(qi, 3);
    uint16_t num = q->num ? q->num : 1;

    for (unsigned i = 0; i < nb; i++) {
        uint8_t sf = fin_u8(f), data[64];
        uint32_t len = (sf & 4) ? fin_u16(f) : vd_lens[sf >> 5];
        bool ro = sf & 2;
        uint64_t gpa, off;
        uint16_t flags, next;

        if (sf & 0x10) {
            off = fin_u16(f) % (ro ? VD_RO_SIZE : VD_RAM_SIZE);
        } else if (ro) {
            off = vd.ro_cursor;
            vd.ro_cursor = (uint32_t)((off + len + 15) & ~15ull);
            if (vd.ro_cursor >= VD_RO_SIZE || off + len > VD_RO_SIZE) {
                off = 0;
                vd.ro_cursor = (uint32_t)((len + 15) & ~15u) % VD_RO_SIZE;
            }
        } else {
            off = vd_alloc(len) - VD_RAM_GPA;
        }
        gpa = (ro ? VD_RO_GPA : VD_RAM_GPA) + off;
        if (sf & 8) {
            size_t n = fin_u8(f) % 65;
            if (n > len)
                n = len;
            fin_bytes(f, data, n);
            vd_drv_write(gpa, data, n);
        }
        flags = (uint16_t)((sf & 1 ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < nb ? VIRTQ_DESC_F_NEXT : 0));
        if (indirect) {
            next = (uint16_t)(i + 1);
            vd_desc_write(ind_gpa, (uint16_t)i, gpa, len, flags, next);
        } else {
            next = (uint16_t)((d0 + i + 1) % num);
            vd_desc_write(q->desc_gpa, (uint16_t)((d0 + i) % num), gpa, len, flags, next);
        }
    }
    if (indirect)
        vd_desc_write(q->desc_gpa, (uint16_t)(d0 % num), ind_gpa, 16u * nb, VIRTQ_DESC_F_INDIRECT, 0);
    vd_publish(q, (uint16_t)(d0 % num));
    if (ctl & 4) {
        vd_capture();
        vd_wr32(0x050, qi);
    }
}

static const uint16_t vd_regs[] = {
    0x014, 0x020, 0x024, 0x030, 0x038, 0x044, 0x050, 0x064, 0x070, 0x080, 0x084,
    0x090, 0x094, 0x0a0, 0x0a4, 0x0ac, 0x0c0, 0x100, 0x104, 0x000, 0x0fc, 0x060,
};
static const unsigned vd_sizes[] = { 4, 4, 4, 1, 2, 8, 3, 0 };

/* The common operations (op & 7); returns after one. */
static void vd_common_op(uint8_t op, struct fin *f)
{
    switch (op & 7) {
    case 0: {
        uint64_t off = fin_u16(f) % VIRTIO_MMIO_SIZE;
        uint64_t v = vd_mmio(off, false, vd_sizes[fin_u8(f) & 7], 0);
        if (off == 0x070)
            FUZZ_CHECK(v == 0 || v == vd.t.status);
        break;
    }
    case 1: {
        uint16_t off = vd_regs[fin_u8(f) % (sizeof(vd_regs) / sizeof(vd_regs[0]))];
        vd_wr32(off, fin_u32(f));
        break;
    }
    case 2: {
        bool ro = fin_u8(f) & 1;
        uint64_t size = ro ? VD_RO_SIZE : VD_RAM_SIZE, off = fin_u16(f) % size;
        size_t len = fin_u8(f) % 65;
        uint8_t buf[64];
        if (len > size - off)
            len = size - off;
        fin_bytes(f, buf, len);
        vd_drv_write((ro ? VD_RO_GPA : VD_RAM_GPA) + off, buf, len);
        break;
    }
    case 3: vd_op_desc(f); break;
    case 4: {
        const struct virtq *q = vd_queue(f);
        vd_publish(q, fin_u16(f));
        break;
    }
    case 5: vd_wr32(0x050, fin_u8(f) % (vd.dev->num_queues + 1u)); break; /* one past: a bad index */
    case 6: {
        uint8_t b = fin_u8(f), n = fin_u8(f);
        vd_bring_up(vd_features(b), (uint16_t)(1u << (n % 9)));
        break;
    }
    case 7: vd_op_chain(f); break;
    }
}

/*
 * The loop every harness runs after its set-up: up to `max` ops, each one of fuzz_vdev.h's common
 * ops (op & 8 clear) or the harness's own (`own_op`), each followed by `check`.
 */
static void vd_run_ops(struct fin *f, unsigned max, void (*own_op)(uint8_t op, struct fin *f), void (*check)(void))
{
    check();
    for (unsigned i = 0; i < max && !fin_empty(f); i++) {
        uint8_t op = fin_u8(f);
        vd_capture();
        if (op & 8)
            own_op(op, f);
        else
            vd_common_op(op, f);
        check();
    }
}

#endif
