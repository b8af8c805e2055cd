/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Writes the committed seed corpora (tests/fuzz/corpus/HARNESS/): small hand-made inputs that
 * reach deep paths at once (valid direct and indirect chains, a full virtio-mmio bring-up with
 * traffic both ways, the Linux 8250 init sequence, a bootable Image header, ...). Each input
 * follows the format described at the top of the harness it feeds. Deterministic: rerunning it
 * (`make fuzz-seeds`) reproduces the same files. Usage: gen_seeds DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <svmm/virtio.h>
#include <svmm/virtqueue.h>

struct buf {
    uint8_t b[4096];
    size_t n;
};

static const char *outdir;

static void put(struct buf *s, uint64_t v, unsigned n)
{
    if (s->n + n > sizeof(s->b)) {
        fprintf(stderr, "gen_seeds: seed too large\n");
        exit(1);
    }
    for (unsigned i = 0; i < n; i++)
        s->b[s->n++] = (uint8_t)(v >> (8 * i));
}

static void u8(struct buf *s, uint64_t v) { put(s, v, 1); }
static void u16(struct buf *s, uint64_t v) { put(s, v, 2); }
static void u32(struct buf *s, uint64_t v) { put(s, v, 4); }
static void u64(struct buf *s, uint64_t v) { put(s, v, 8); }
static void bytes(struct buf *s, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        u8(s, ((const uint8_t *)p)[i]);
}
static void zeros(struct buf *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        u8(s, 0);
}

static void save(const char *harness, const char *name, const struct buf *s)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s/%s", outdir, harness, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(s->b, 1, s->n, f) != s->n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* ---- fuzz_virtqueue ---- */
#define VQ_R0 0x10000ull
#define VQ_R1 0x12000ull
#define VQ_R2 0x18000ull
#define VQ_IND_R1 (VQ_R1 + 0x1000)

enum { VQ_POP = 0, VQ_PUSH = 2, VQ_PUBLISH = 3, VQ_POKE = 4, VQ_DESC = 5, VQ_ARM = 6, VQ_REENABLE = 7 };

static void desc(struct buf *s, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    u64(s, addr);
    u32(s, len);
    u16(s, flags);
    u16(s, next);
}

/* A pop with read and write windows; `now` pushes it back at once. */
static void vq_pop(struct buf *s, int now, uint16_t roff, uint16_t rlen, uint16_t woff, uint16_t wlen)
{
    u8(s, VQ_POP | (now ? 0x80 : 0));
    u16(s, roff);
    u16(s, rlen);
    u16(s, woff);
    u16(s, wlen);
}

/* Structured descriptor write: table 0 = main, 1 = indirect in R1, 2 = indirect in R2; addr region 0..4. */
static void vq_desc(struct buf *s, unsigned table, uint8_t idx, unsigned region, uint16_t off, uint16_t len,
                    uint8_t flags, uint8_t next)
{
    u8(s, VQ_DESC);
    u8(s, table);
    u8(s, region);
    u8(s, idx);
    u16(s, off);
    u16(s, len);
    u8(s, flags);
    u8(s, next);
}

/* Header + fill for the compact layout: descriptor table, avail ring with `heads`, used ring, R1. */
static void vq_fill(struct buf *s, uint8_t h0, unsigned num, const struct buf *table, const uint16_t *heads,
                    unsigned nheads, const char *r1)
{
    size_t fill = 16u * num + 6 + 2u * num + 6 + 8u * num + (r1 ? strlen(r1) : 0), start;

    u8(s, h0);
    u16(s, fill);
    start = s->n;
    bytes(s, table->b, table->n);
    zeros(s, 16u * num - table->n);
    u16(s, 0);      /* avail flags */
    u16(s, nheads); /* avail idx */
    for (unsigned i = 0; i < num; i++)
        u16(s, i < nheads ? heads[i] : 0);
    u16(s, 0); /* used_event */
    zeros(s, 6 + 8u * num);
    if (r1)
        bytes(s, r1, strlen(r1));
    if (s->n - start != fill)
        exit(2);
}

static void gen_virtqueue(void)
{
    struct buf s, t;

    /* A direct chain: 16 readable bytes, then two writable buffers; pushed back at once. */
    memset(&s, 0, sizeof(s));
    memset(&t, 0, sizeof(t));
    desc(&t, VQ_R1, 16, VIRTQ_DESC_F_NEXT, 2);
    desc(&t, VQ_R1 + 0x200, 8, VIRTQ_DESC_F_WRITE, 0);
    desc(&t, VQ_R1 + 0x100, 32, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    vq_fill(&s, 0x34 /* 16 entries, INDIRECT, EVENT_IDX */, 16, &t, (const uint16_t[]){ 0 }, 1,
            "hello, virtqueue");
    vq_pop(&s, 1, 2, 100, 4, 40);
    u8(&s, VQ_ARM);
    u8(&s, VQ_PUBLISH);
    u16(&s, 0);
    vq_pop(&s, 0, 0, 16, 0, 8);
    u8(&s, VQ_PUSH);
    u8(&s, 0);
    u8(&s, VQ_ARM);
    save("virtqueue", "direct-chain", &s);

    /* An indirect chain: head 3 names a 3-entry table in R1 (readable, readable, writable). */
    memset(&s, 0, sizeof(s));
    memset(&t, 0, sizeof(t));
    zeros(&t, 3 * 16);
    desc(&t, VQ_IND_R1, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    vq_fill(&s, 0x33 /* 8 entries, INDIRECT, EVENT_IDX */, 8, &t, (const uint16_t[]){ 3 }, 1,
            "indirect request header");
    vq_desc(&s, 1, 0, 1, 0x000, 8, VIRTQ_DESC_F_NEXT, 1);
    vq_desc(&s, 1, 1, 1, 0x008, 16, VIRTQ_DESC_F_NEXT, 2);
    vq_desc(&s, 1, 2, 1, 0x400, 64, VIRTQ_DESC_F_WRITE, 0);
    vq_pop(&s, 1, 4, 20, 0, 64);
    u8(&s, VQ_ARM);
    save("virtqueue", "indirect-chain", &s);

    /* Indirect table in the read-only region with a read-only payload and a writable RAM buffer. */
    memset(&s, 0, sizeof(s));
    memset(&t, 0, sizeof(t));
    desc(&t, VQ_R2 + 0x800, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    vq_fill(&s, 0x12 /* 4 entries, INDIRECT */, 4, &t, (const uint16_t[]){ 0 }, 1, NULL);
    vq_desc(&s, 2, 0, 2, 0x100, 32, VIRTQ_DESC_F_NEXT, 1);
    vq_desc(&s, 2, 1, 0, 0x1f00, 64, VIRTQ_DESC_F_WRITE, 0);
    vq_pop(&s, 1, 0, 32, 0, 64);
    save("virtqueue", "indirect-in-rom", &s);

    /* Descriptor table in the read-only region (placement 1), filled from the input. */
    memset(&s, 0, sizeof(s));
    memset(&t, 0, sizeof(t));
    desc(&t, VQ_R1, 4, VIRTQ_DESC_F_NEXT, 1);
    desc(&t, VQ_R1 + 0x10, 4, VIRTQ_DESC_F_WRITE, 0);
    vq_fill(&s, 0x42 /* 4 entries, placement 1 */, 4, &t, (const uint16_t[]){ 0, 0 }, 2, "ping");
    vq_pop(&s, 1, 0, 4, 0, 4);
    vq_pop(&s, 1, 0, 4, 0, 4);
    save("virtqueue", "desc-table-in-rom", &s);

    /* Placement 2: rings at explicit offsets, a 256-entry queue, a 6-buffer chain, re-enable. */
    memset(&s, 0, sizeof(s));
    u8(&s, 0x88 /* 256 entries, placement 2 */);
    u16(&s, 0);
    u16(&s, 0x0000); /* desc  at 0x10000 */
    u16(&s, 0x1000); /* avail at 0x11000 */
    u16(&s, 0x1400); /* used  at 0x11400 */
    for (unsigned i = 0; i < 6; i++)
        vq_desc(&s, 0, (uint8_t)(10 + i), 1, (uint16_t)(0x100 * i), 0x80,
                (uint8_t)((i < 5 ? VIRTQ_DESC_F_NEXT : 0) | (i >= 3 ? VIRTQ_DESC_F_WRITE : 0)), (uint8_t)(11 + i));
    u8(&s, VQ_PUBLISH);
    u16(&s, 10);
    u8(&s, VQ_PUBLISH);
    u16(&s, 10);
    vq_pop(&s, 0, 0x10, 0x200, 0x20, 0x200);
    vq_pop(&s, 0, 0, 0x180, 0, 0x180);
    u8(&s, VQ_PUSH);
    u8(&s, 1);
    u8(&s, VQ_PUSH);
    u8(&s, 0);
    u8(&s, VQ_ARM);
    u8(&s, VQ_REENABLE);
    u8(&s, 0x34);
    u8(&s, VQ_PUBLISH);
    u16(&s, 12);
    vq_pop(&s, 1, 0, 0x100, 0, 0x100);
    save("virtqueue", "placed-rings-long-chain", &s);

    /* Event-index bookkeeping: several buffers published, popped in a batch, pushed out of order. */
    memset(&s, 0, sizeof(s));
    memset(&t, 0, sizeof(t));
    for (unsigned i = 0; i < 4; i++)
        desc(&t, VQ_R1 + 0x40 * i, 0x40, VIRTQ_DESC_F_WRITE, 0);
    vq_fill(&s, 0x23 /* 8 entries, EVENT_IDX */, 8, &t, (const uint16_t[]){ 0, 1, 2, 3 }, 4, NULL);
    for (unsigned i = 0; i < 4; i++)
        vq_pop(&s, 0, 0, 0, 0, 0x20);
    u8(&s, VQ_PUSH);
    u8(&s, 2);
    u8(&s, VQ_PUSH);
    u8(&s, 0);
    u8(&s, VQ_POKE); /* driver moves used_event (avail + 4 + 2*8) */
    u8(&s, 0);
    u16(&s, 0x80 + 4 + 16);
    u8(&s, 2);
    u16(&s, 3);
    u8(&s, VQ_PUSH);
    u8(&s, 0);
    u8(&s, VQ_PUSH);
    u8(&s, 0);
    u8(&s, VQ_ARM);
    save("virtqueue", "event-idx-batch", &s);
}

/* ---- fuzz_virtio_mmio (fuzz_vdev.h's encoding; gen_virtio_mmio is defined after its helpers) ---- */
static void gen_virtio_mmio(void);

/* ---- fuzz_uart ---- */
static void ur_wr(struct buf *s, unsigned reg, uint8_t v)
{
    u8(s, 1 | reg << 4);
    u8(s, v);
    u8(s, 0);
}

static void ur_rd(struct buf *s, unsigned reg) { u8(s, 0 | reg << 4); }

static void ur_in(struct buf *s, const char *str)
{
    u8(s, 2);
    u8(s, strlen(str));
    bytes(s, str, strlen(str));
}

static void gen_uart(void)
{
    struct buf s;

    /* The 8250 driver's probe and setup, some output, input with RX interrupts. */
    memset(&s, 0, sizeof(s));
    ur_wr(&s, 7, 0xa5);
    ur_rd(&s, 7);
    ur_wr(&s, 3, 0x83); /* DLAB */
    ur_wr(&s, 0, 0x01);
    ur_wr(&s, 1, 0x00);
    ur_rd(&s, 0);
    ur_wr(&s, 3, 0x03); /* 8N1 */
    ur_wr(&s, 2, 0x07); /* FIFO on, clear */
    ur_rd(&s, 2);
    ur_wr(&s, 4, 0x0b);
    ur_wr(&s, 1, 0x03); /* RDI | THRI */
    ur_rd(&s, 2);
    ur_wr(&s, 0, 'o');
    ur_wr(&s, 0, 'k');
    ur_rd(&s, 5);
    ur_in(&s, "root\n");
    ur_rd(&s, 2);
    for (int i = 0; i < 6; i++) {
        ur_rd(&s, 5);
        ur_rd(&s, 0);
    }
    ur_rd(&s, 6);
    save("uart", "linux-8250-init", &s);

    /* Loopback self-test, FIFO overflow from the host side, a wide access off the registers. */
    memset(&s, 0, sizeof(s));
    ur_wr(&s, 4, 0x1f);
    ur_rd(&s, 6);
    ur_wr(&s, 0, 0x55);
    ur_rd(&s, 5);
    ur_rd(&s, 0);
    ur_wr(&s, 4, 0x0b);
    ur_in(&s, "0123456789012345678901234567890123456789012345678901234567890123456789");
    ur_rd(&s, 5);
    ur_wr(&s, 2, 0x03);
    ur_rd(&s, 5);
    u8(&s, 0x80 | 0x28); /* raw read, size code 5 (4 bytes) at offset 0x10 */
    u16(&s, 0x10);
    save("uart", "loopback-overflow", &s);
}

/* ---- fuzz_sbsa_gwdt ---- */
/* A register access: op (bit 0 write, bits 3-5 size code, bit 6 refresh frame), kind 0, register index. */
static void wd_reg(struct buf *s, unsigned op, unsigned idx) { u8(s, op); u8(s, 0); u8(s, idx); }
static void wd_wr(struct buf *s, unsigned op, unsigned idx, uint64_t v) { wd_reg(s, op | 1, idx); u64(s, v); }
/* Time passes by `cs` hundredths of a second (kind 4, op bit 0 clear). */
static void wd_wait(struct buf *s, unsigned cs) { u8(s, 0); u8(s, 4); u16(s, cs); }

static void gen_sbsa_gwdt(void)
{
    const uint64_t hz = 62500000;
    struct buf s;

    /* Power-on, Linux's probe (IIDR, WCS, WOR as two 32-bit writes), refreshes, then silence: WS0, WS1. */
    memset(&s, 0, sizeof(s));
    u32(&s, 1000); /* counter at start */
    u16(&s, 9);    /* boot timeout 10 s */
    u8(&s, 0);
    u8(&s, 7); /* power-on */
    u8(&s, 0x80);
    u8(&s, 0);
    u16(&s, 0xfcc); /* W_IIDR */
    wd_reg(&s, 0, 0); /* WCS */
    wd_wr(&s, 0, 2, hz / 2 * 8);
    wd_wr(&s, 0, 3, 0);
    for (int i = 0; i < 4; i++) {
        wd_wait(&s, 300);
        wd_wr(&s, 0x40, 0, 0); /* WRR */
        wd_reg(&s, 0, 4);      /* WCV low */
    }
    wd_wait(&s, 500);
    wd_reg(&s, 0, 0);
    wd_wait(&s, 500);
    wd_reg(&s, 0, 0);
    save("sbsa_gwdt", "linux-probe-refresh-silence", &s);

    /* Hostile: WOR 0 as one 64-bit write, odd sizes, WCV in the past, disable, reset, power-on again. */
    memset(&s, 0, sizeof(s));
    u32(&s, 5);
    u16(&s, 3599);
    u8(&s, 0);
    u8(&s, 7);
    wd_wr(&s, 0x18, 2, 0); /* 64-bit WOR = 0 */
    wd_wait(&s, 1);
    wd_wr(&s, 0x20, 0, 0); /* a byte write to WCS: ignored */
    wd_wr(&s, 0x28, 0, 0); /* a halfword */
    wd_wr(&s, 0x18, 3, 0); /* 64-bit at WOR's high half: ignored */
    wd_wr(&s, 0x18, 4, 0); /* 64-bit WCV = 0 */
    wd_wait(&s, 1);
    wd_wr(&s, 0, 0, 0); /* disable */
    u8(&s, 0);
    u8(&s, 6); /* reset */
    u8(&s, 0);
    u8(&s, 7);
    wd_wr(&s, 0x18, 2, ~0ull); /* WOR: bits 63:48 ignored */
    save("sbsa_gwdt", "hostile-sizes-wor0", &s);
}

/* ---- fuzz_mmio_bus ---- */
static void gen_mmio_bus(void)
{
    struct buf s;

    memset(&s, 0, sizeof(s));
    u8(&s, 4);
    u8(&s, 1 | 2 << 2); /* base u16, size 0x1000 */
    u16(&s, 0x1000);
    u8(&s, 1 | 1 << 2); /* base u16, size u16 */
    u16(&s, 0x3000);
    u16(&s, 0x200);
    u8(&s, 2 | 0 << 2); /* near the top of the address space, 8 bytes */
    u16(&s, 7);
    u8(&s, 8);
    u8(&s, 1 | 2 << 2); /* overlaps the first: rejected */
    u16(&s, 0x1800);
    for (unsigned sz = 0; sz < 8; sz++) {
        for (unsigned w = 0; w < 2; w++) {
            u8(&s, w << 7 | sz << 4 | 4 | 8); /* relative to a region, at its end */
            u64(&s, 0x1122334455667788ull);
            u8(&s, sz % 3);
            u8(&s, 0);
            u8(&s, 4); /* 4 bytes before the end */
            u8(&s, w << 7 | sz << 4 | 4); /* relative to a region, near its base */
            u64(&s, 0x8877665544332211ull);
            u8(&s, sz % 3);
            u8(&s, 0xfe);
        }
    }
    save("mmio_bus", "three-regions", &s);
}

/* ---- fuzz_image ---- */
static void image_header(struct buf *s, uint64_t text_offset, uint64_t image_size, uint64_t flags, size_t len)
{
    size_t start = s->n;

    u32(s, 0x91005a4d); /* code0: "MZ" + branch, as real kernels */
    u32(s, 0x14000000);
    u64(s, text_offset);
    u64(s, image_size);
    u64(s, flags);
    zeros(s, 24);
    u32(s, 0x644d5241); /* "ARM\x64" */
    u32(s, 0);
    while (s->n - start < len)
        u8(s, (uint8_t)(s->n * 7));
}

static void gen_image(void)
{
    struct buf s;

    memset(&s, 0, sizeof(s));
    u8(&s, 7);
    u64(&s, 0x40000000);
    u64(&s, 256ull << 20);
    u64(&s, 8ull << 20);
    image_header(&s, 0, 32ull << 20, 0x0a, 128);
    save("image", "kernel-initrd-256m", &s);

    memset(&s, 0, sizeof(s));
    u8(&s, 0xf);
    u64(&s, 0x40080000); /* not 2 MiB aligned */
    u64(&s, 16ull << 20);
    u64(&s, 0);
    image_header(&s, 0, 0, 0, 256); /* legacy: image_size 0 means text_offset 0x80000 */
    save("image", "legacy-unaligned-ram", &s);

    memset(&s, 0, sizeof(s));
    u8(&s, 3);
    u64(&s, 0x80000000);
    u64(&s, 40ull << 20);
    u64(&s, 0x123456);
    image_header(&s, 0x1ff000, 34ull << 20, 0x2, 64); /* nearly does not fit */
    save("image", "tight-fit", &s);

    memset(&s, 0, sizeof(s));
    u8(&s, 7);
    u64(&s, 0x40000000);
    u64(&s, 256ull << 20);
    u64(&s, 0);
    u8(&s, 0x1f);
    u8(&s, 0x8b);
    u8(&s, 8);
    save("image", "gzip", &s);

    /* Mode bit 4: a raw binary for a fixed address (svmm_boot_plan_for, svmm run --load-addr). */
    memset(&s, 0, sizeof(s));
    u8(&s, 0x17);
    u64(&s, 0x40000000);
    u64(&s, 64ull << 20);
    u64(&s, 1ull << 20);
    u64(&s, 0x40200000);
    for (int i = 0; i < 262; i++)
        u8(&s, (uint8_t)i);
    save("image", "raw-at-fixed-address", &s);

    memset(&s, 0, sizeof(s));
    u8(&s, 0x1f);
    u64(&s, 0x40080000); /* not 2 MiB aligned: a raw binary must be at or above 0x40200000 */
    u64(&s, 64ull << 20);
    u64(&s, 0);
    u64(&s, 0x40100000);
    u8(&s, 0xd4);
    save("image", "raw-below-first-2m", &s);
}

/* ---- fuzz_guest_dt ---- */
static void gen_guest_dt(void)
{
    struct buf s;
    const char *args = "console=hvc0 earlycon=uart8250,mmio,0x9000000 root=/dev/vda rw init=/bin/sh";

    memset(&s, 0, sizeof(s));
    u16(&s, 0);
    save("guest_dt", "defaults", &s);

    /* GICv2, 4 vCPUs, 1 GiB, 32 virtio slots, long bootargs and an initrd. */
    memset(&s, 0, sizeof(s));
    u16(&s, 1u << 1 | 1u << 2 | 1u << 3 | 1u << 12 | 1u << 14 | 1u << 15);
    u8(&s, 0);
    u16(&s, 0x4000); /* RAM size: 0x4000 << 16 = 1 GiB */
    u8(&s, 0);
    u16(&s, 4);
    u8(&s, 2);
    u8(&s, 32);
    u16(&s, strlen(args));
    bytes(&s, args, strlen(args));
    u64(&s, 0x4f000000);
    u64(&s, 0x800000);
    save("guest_dt", "gicv2-32-virtio-initrd", &s);

    /* 16 vCPUs (GICv3 redistributors grow), no UART, virtio moved above RAM with a 4 KiB stride. */
    memset(&s, 0, sizeof(s));
    u16(&s, 1u << 2 | 1u << 7 | 1u << 9 | 1u << 10 | 1u << 12);
    u8(&s, 0);
    u16(&s, 16);
    u8(&s, 0);
    u16(&s, 0); /* uart_base 0: none */
    u8(&s, 0);
    u16(&s, 0x6000); /* virtio at 0x60000000 */
    u8(&s, 0);
    u16(&s, 0x1000 >> 4); /* pick64: u16 << 16, then >> 4 -> stride 0x1000 */
    u8(&s, 12);
    u8(&s, 8);
    save("guest_dt", "16-cpus-no-uart", &s);
}

/* ---- fuzz_vgic ---- */
/* `irqs`: the INTID count's byte, (n + 1) * 32 INTIDs for n = 0..7. */
static void vg_header(struct buf *s, unsigned v3, unsigned ncpus, unsigned lrs, unsigned irqs, uint32_t refuse)
{
    u8(s, v3);
    u8(s, ncpus);
    u8(s, lrs);
    u8(s, irqs);
    u32(s, refuse);
}

static void vg_level(struct buf *s, unsigned vcpu, unsigned intid, int high)
{
    u8(s, 5 | (high ? 0x80 : 0));
    u8(s, vcpu);
    u16(s, intid);
}

static void vg_eoi(struct buf *s, unsigned vcpu, unsigned lr)
{
    u8(s, 6);
    u8(s, vcpu);
    u8(s, lr);
}

static void vg_dist_write(struct buf *s, uint16_t off, uint64_t v)
{
    u8(s, 1 | 0x80); /* 4 bytes, aligned */
    u16(s, off);
    u64(s, v);
}

static void gen_vgic(void)
{
    struct buf s;

    /* GICv3, 2 vCPUs, 4 LRs: bring-up, an SPI line, an IPI through ICC_SGI1R, the vtimer PPI. */
    memset(&s, 0, sizeof(s));
    vg_header(&s, 1, 2, 4, 2, 0);
    u8(&s, 8);
    u8(&s, 3 | 4); /* both groups, everything group 1 */
    vg_level(&s, 0, 48, 1);
    vg_eoi(&s, 0, 0);
    vg_level(&s, 0, 48, 0);
    u8(&s, 7); /* ICC_SGI1R: SGI 1 to Aff0 = 1 */
    u8(&s, 0);
    u64(&s, 1ull << 24 | 0x2);
    vg_eoi(&s, 1, 0);
    u8(&s, 11 | 0x80); /* eoi lowers the line, as the vtimer does */
    vg_level(&s, 0, 27, 1);
    vg_eoi(&s, 0, 0);
    u8(&s, 2); /* GICR_TYPER of vCPU 1 */
    u32(&s, 0x20008);
    u8(&s, 0);
    u16(&s, 0x0004); /* GICD_TYPER */
    save("vgic", "v3-spi-ipi-vtimer", &s);

    /* GICv2, 4 vCPUs, 2 LRs: bring-up, SGIR IPIs, SPI targets and priorities, a refusal. */
    memset(&s, 0, sizeof(s));
    vg_header(&s, 0, 4, 2, 1, 0x4);
    u8(&s, 8);
    u8(&s, 1 | 1 << 3); /* group 0 only, targets spread */
    vg_dist_write(&s, 0x0400 + 40, 0x80604020); /* IPRIORITYR of INTIDs 40..43 */
    vg_dist_write(&s, 0x0800 + 40, 0x08040201); /* ITARGETSR */
    vg_level(&s, 0, 40, 1);
    vg_level(&s, 0, 41, 1);
    vg_level(&s, 0, 43, 1);
    u8(&s, 12); /* GICD_SGIR: SGI 3 to CPUs 1..3 */
    u32(&s, 0x000e0003);
    u8(&s, 4); /* accesses now come from vCPU 2 */
    u8(&s, 2);
    u8(&s, 12); /* SGI 5 to all others */
    u32(&s, 0x01000005);
    for (unsigned c = 0; c < 4; c++) {
        vg_eoi(&s, (uint8_t)c, 0);
        vg_eoi(&s, (uint8_t)c, 1);
    }
    u8(&s, 0);
    u16(&s, 0x0fe8); /* PIDR2 (v2 location) */
    save("vgic", "v2-sgir-targets", &s);

    /* GICv3, 8 vCPUs, 16 LRs, no eoi callback: IROUTER to vCPU 5 and IRM, pending/active bits. */
    memset(&s, 0, sizeof(s));
    vg_header(&s, 1 | 2, 8, 16, 7, 0);
    u8(&s, 8);
    u8(&s, 3 | 4);
    u8(&s, 1 | 4 << 4 | 0x80); /* 8-byte IROUTER write for INTID 64: Aff0 = 5 */
    u16(&s, 0x6000 + 64 * 8);
    u64(&s, 5);
    u8(&s, 1 | 0x80); /* 4-byte IROUTER write for INTID 65: IRM */
    u16(&s, 0x6000 + 65 * 8);
    u64(&s, 1u << 31);
    vg_dist_write(&s, 0x0200 + 8, 0x3); /* ISPENDR: INTIDs 64, 65 */
    vg_eoi(&s, 5, 0);
    vg_eoi(&s, 0, 0);
    vg_dist_write(&s, 0x0c00 + 16, 0xaaaaaaaa); /* ICFGR: INTIDs 64..79 edge */
    vg_level(&s, 0, 66, 1);
    vg_dist_write(&s, 0x0380 + 8, 0x4); /* ICACTIVER */
    save("vgic", "v3-irouter-pending", &s);
}

/* ---- fuzz_exits ---- */
static void ex_header(struct buf *s, unsigned ncpus)
{
    u8(s, ncpus - 1);
    for (unsigned i = 0; i < 16; i++)
        u64(s, 0xfedcba9876543210ull ^ (0x1111111111111111ull * i));
    u64(s, 0xffff800010000000ull); /* pc */
}

static uint64_t dabt_esr(unsigned sas, int sse, unsigned rt, int sf, int write)
{
    return 0x24ull << 26 | 1ull << 24 | (uint64_t)sas << 22 | (uint64_t)sse << 21 | (uint64_t)rt << 16 |
           (uint64_t)sf << 15 | (uint64_t)write << 6;
}

static void ex_dabt(struct buf *s, uint64_t esr, uint16_t off, uint64_t dev_val)
{
    u8(s, 0);
    u64(s, esr);
    u16(s, off);
    u64(s, dev_val);
}

/* PSCI with a function id from the harness's table (index), small x1, x2 = RAM + x2off. */
static void ex_psci(struct buf *s, unsigned vcpu, unsigned fid_index, unsigned x1, uint32_t x2off, uint64_t x3)
{
    u8(s, 2);
    u8(s, vcpu);
    u8(s, fid_index);
    u8(s, x1);
    u32(s, x2off + 8);
    u64(s, x3);
}

static void gen_exits(void)
{
    struct buf s;

    /* Loads of every size with and without sign extension, stores incl. from XZR, one outside. */
    memset(&s, 0, sizeof(s));
    ex_header(&s, 2);
    ex_dabt(&s, dabt_esr(0, 1, 3, 1, 0), 0x000, 0x80);
    ex_dabt(&s, dabt_esr(1, 1, 4, 0, 0), 0x002, 0x8001);
    ex_dabt(&s, dabt_esr(2, 0, 5, 1, 0), 0x004, 0xdeadbeefcafef00dull);
    ex_dabt(&s, dabt_esr(3, 0, 6, 1, 0), 0x008, 0x0123456789abcdefull);
    ex_dabt(&s, dabt_esr(2, 0, 7, 0, 1), 0x010, 0);
    ex_dabt(&s, dabt_esr(3, 0, 31, 1, 1), 0x018, 0);
    ex_dabt(&s, dabt_esr(2, 0, 31, 0, 0), 0x01c, 7);
    ex_dabt(&s, dabt_esr(3, 0, 8, 1, 0), 0xffc, 1); /* crosses the device end */
    ex_dabt(&s, 0x24ull << 26, 0x000, 0);         /* no syndrome */
    save("exits", "mmio-loads-stores", &s);

    /* Secondary bring-up as Linux does it, then CPU_OFF and SYSTEM_OFF. */
    memset(&s, 0, sizeof(s));
    ex_header(&s, 4);
    ex_psci(&s, 0, 0, 0, 0, 0);              /* PSCI_VERSION */
    ex_psci(&s, 0, 9, 0, 0, 0);              /* SMCCC_VERSION */
    u8(&s, 0x14);                            /* PSCI_FEATURES(CPU_ON): x1 from the id table */
    u8(&s, 0);
    u8(&s, 8);
    u8(&s, 3);
    u32(&s, 8);
    u64(&s, 0);
    for (unsigned c = 1; c < 4; c++)
        ex_psci(&s, 0, 3, c, 0x1000, 0x42); /* CPU_ON_64 */
    ex_psci(&s, 0, 3, 1, 0x1000, 0);        /* already on */
    ex_psci(&s, 0, 4, 2, 0, 0);             /* AFFINITY_INFO */
    ex_psci(&s, 2, 2, 0, 0, 0);             /* CPU_OFF from vCPU 2 */
    ex_psci(&s, 0, 11, 2, 0x2002, 0);       /* CPU_ON (SMC32) at a misaligned entry */
    ex_psci(&s, 0, 11, 2, 0x2000, 0);
    ex_psci(&s, 0, 6, 0, 0, 0);             /* SYSTEM_OFF */
    save("exits", "psci-secondaries", &s);

    /* Trapped ICC_SGI1R_EL1 write (op0 3, op1 0, CRn 12, CRm 11, op2 5), an MRS, another class. */
    memset(&s, 0, sizeof(s));
    ex_header(&s, 1);
    u8(&s, 1);
    u64(&s, 0x18ull << 26 | 3ull << 20 | 5ull << 17 | 0ull << 14 | 12ull << 10 | 2ull << 5 | 11ull << 1);
    u8(&s, 1);
    u64(&s, 0x18ull << 26 | 3ull << 20 | 0ull << 17 | 3ull << 14 | 14ull << 10 | 9ull << 5 | 0ull << 1 | 1);
    u8(&s, 1);
    u64(&s, 0x16ull << 26);
    save("exits", "sysreg-sgi1r", &s);
}

/* ---- the device harnesses (fuzz_vdev.h's common ops, then each harness's own) ---- */
#define VD_CHAIN 7
#define VD_UP 6
/* chain buffer flags (fuzz_vdev.h vd_op_chain) */
#define CB_W 0x01
#define CB_LEN 0x04
#define CB_DATA 0x08
#define CB_L(i) ((i) << 5) /* 1, 12, 16, 44, 512, 1024, 2048, 4096 */

static void vd_up(struct buf *s, uint8_t features, uint8_t size_log2)
{
    u8(s, VD_UP);
    u8(s, features);
    u8(s, size_log2);
}

/* Chain header: queue, first descriptor, buffer count, notify, indirect. */
static void vd_chain(struct buf *s, unsigned q, unsigned d0, unsigned nbufs, int notify, int indirect)
{
    u8(s, VD_CHAIN);
    u8(s, q);
    u8(s, d0);
    u8(s, (nbufs - 1) | (notify ? 4 : 0) | (indirect ? 8 : 0));
}

static void blk_hdr(struct buf *s, uint32_t type, uint64_t sector)
{
    u8(s, CB_L(2) | CB_DATA); /* 16 readable bytes with contents */
    u8(s, 16);
    u32(s, type);
    u32(s, 0);
    u64(s, sector);
}

/* A whole request: header, optional data buffer (len, device-writable or not), status byte. */
static void blk_req(struct buf *s, unsigned d0, uint32_t type, uint64_t sector, uint16_t len, int wr, int indirect)
{
    vd_chain(s, 0, d0, len ? 3 : 2, 1, indirect);
    blk_hdr(s, type, sector);
    if (len) {
        u8(s, CB_LEN | (wr ? CB_W : 0));
        u16(s, len);
    }
    u8(s, CB_L(0) | CB_W);
}

/* The transport harness: a multiport console behind the bus, fuzz_vdev.h's ops plus its own. */
enum { CON_INPUT = 0x08, CON_BUS_READ = 0x18, CON_BUS_WRITE = 0x28 };
enum { VD_READ = 0, VD_REG = 1, VD_DESC = 3, VD_PUBLISH = 4, VD_NOTIFY = 5 };

/* Index into fuzz_vdev.h's table of registers a driver writes. */
static unsigned vd_reg_index(unsigned off)
{
    static const uint16_t regs[] = {
        0x014, 0x020, 0x024, 0x030, 0x038, 0x044, 0x050, 0x064, 0x070, 0x080, 0x084,
        0x090, 0x094, 0x0a0, 0x0a4, 0x0ac, 0x0c0, 0x100, 0x104, 0x000, 0x0fc, 0x060,
    };
    for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
        if (regs[i] == off)
            return i;
    exit(3);
}

static void vd_reg(struct buf *s, unsigned off, uint32_t v)
{
    u8(s, VD_REG);
    u8(s, vd_reg_index(off));
    u32(s, v);
}

static void vd_read(struct buf *s, unsigned off)
{
    u8(s, VD_READ);
    u16(s, off);
    u8(s, 0); /* 4 bytes */
}

/* One buffer of a chain: `len` bytes, device-writable or with `data` as its contents. */
static void cb_buf(struct buf *s, uint16_t len, int writable, const void *data, uint8_t n)
{
    u8(s, CB_LEN | (writable ? CB_W : 0) | (n ? CB_DATA : 0));
    u16(s, len);
    if (n) {
        u8(s, n);
        bytes(s, data, n);
    }
}

/* A console control message (struct virtio_console_control) on the control transmit queue (3). */
static void con_ctrl(struct buf *s, unsigned d0, uint32_t id, uint16_t event, uint16_t value)
{
    uint8_t m[8] = { (uint8_t)id, (uint8_t)(id >> 8), (uint8_t)(id >> 16), (uint8_t)(id >> 24),
                     (uint8_t)event, (uint8_t)(event >> 8), (uint8_t)value, (uint8_t)(value >> 8) };

    vd_chain(s, 3, d0, 1, 1, 0);
    cb_buf(s, 8, 0, m, 8);
}

/* Host input of `str` for port strlen(str) % 3 (the harness picks the port from the length). */
static void con_input(struct buf *s, const char *str)
{
    u8(s, CON_INPUT);
    u8(s, (uint8_t)strlen(str));
    bytes(s, str, strlen(str));
}

static void gen_virtio_mmio(void)
{
    struct buf s;

    /* Single-port bring-up (no MULTIPORT), transmit on queue 1, receive on queue 0, ISR. */
    memset(&s, 0, sizeof(s));
    vd_read(&s, 0x000);
    vd_read(&s, 0x008);
    vd_up(&s, 0x03, 4); /* indirect, event index; 16 entries */
    vd_chain(&s, 1, 0, 1, 1, 0);
    cb_buf(&s, 11, 0, "hello hvc0\n", 11);
    vd_chain(&s, 0, 0, 2, 1, 0);
    cb_buf(&s, 64, 1, NULL, 0);
    cb_buf(&s, 2, 1, NULL, 0);
    con_input(&s, "uname -a\n"); /* 9 bytes: port 0 */
    vd_read(&s, 0x060);
    vd_reg(&s, 0x064, 1);
    save("virtio_mmio", "bring-up-tx-rx", &s);

    /* MULTIPORT: control buffers, DEVICE_READY (the device announces its ports and names), port 1
     * READY and OPEN, input for it, then a PORT_OPEN for a port that does not exist. */
    memset(&s, 0, sizeof(s));
    vd_up(&s, 0x07, 4); /* indirect, event index, MULTIPORT */
    for (unsigned i = 0; i < 6; i++) {
        vd_chain(&s, 2, i, 1, i == 5, 0);
        cb_buf(&s, 32, 1, NULL, 0);
    }
    con_ctrl(&s, 0, 0, 0, 1); /* DEVICE_READY */
    con_ctrl(&s, 1, 0, 3, 1); /* PORT_READY 0 */
    con_ctrl(&s, 2, 1, 3, 1); /* PORT_READY 1 */
    con_ctrl(&s, 3, 1, 6, 1); /* PORT_OPEN 1 */
    vd_chain(&s, 4, 0, 1, 1, 0); /* port 1's receive queue */
    cb_buf(&s, 64, 1, NULL, 0);
    con_input(&s, "port1"); /* 5 bytes: port 2 (not ready: nothing taken) */
    con_input(&s, "p1\n\n"); /* 4 bytes: port 1 */
    con_ctrl(&s, 4, 7, 6, 1); /* PORT_OPEN for port 7: no such port */
    vd_read(&s, 0x060);
    save("virtio_mmio", "multiport-control", &s);

    /* Emergency write through config space, then a descriptor off the end of RAM breaks the queue
     * (NEEDS_RESET); reset, bring-up again, input. Also two bus accesses the bus refuses. */
    memset(&s, 0, sizeof(s));
    vd_up(&s, 0x08, 3); /* EMERG_WRITE; 8 entries */
    u8(&s, CON_BUS_WRITE);
    u16(&s, 0x108); /* emerg_wr */
    u8(&s, 0);      /* 4 bytes */
    u64(&s, '!');
    u8(&s, CON_BUS_READ);
    u16(&s, 0x1fe);
    u8(&s, 5); /* 8 bytes across the window's end */
    u8(&s, CON_BUS_WRITE);
    u16(&s, 0x070);
    u8(&s, 6); /* size 3 */
    u64(&s, 0);
    u8(&s, VD_DESC);
    u8(&s, 1);      /* queue 1 */
    u8(&s, 0);      /* sel: RAM-relative address, 16-bit length, 3-bit flags */
    u8(&s, 0);      /* descriptor 0 */
    u16(&s, 0xfff0);
    u16(&s, 0x100); /* runs off the end of RAM */
    u8(&s, 0);
    u8(&s, 0);
    u8(&s, VD_PUBLISH);
    u8(&s, 1);
    u16(&s, 0);
    u8(&s, VD_NOTIFY);
    u8(&s, 1);
    vd_read(&s, 0x070);
    vd_reg(&s, 0x070, 0);
    vd_up(&s, 0x00, 4);
    vd_chain(&s, 0, 0, 1, 1, 0);
    cb_buf(&s, 16, 1, NULL, 0);
    con_input(&s, "again!");
    save("virtio_mmio", "emergency-needs-reset", &s);
}

enum { BLK_COMPLETE = 0x08, BLK_BATCH = 0x18, BLK_STALE = 0x28, BLK_MODE = 0x38, BLK_RESET = 0x48,
       BLK_BADTAG = 0x58, BLK_DRAIN = 0x68, BLK_CONFIG = 0x78 };

static void gen_virtio_blk(void)
{
    struct buf s;

    /* Synchronous backend: write, read back, flush, get-id, config; every feature accepted. */
    memset(&s, 0, sizeof(s));
    u8(&s, 0x06);   /* discard, write-zeroes */
    u16(&s, 2048);  /* 128 KiB */
    u8(&s, 0xff);   /* all synchronous */
    vd_up(&s, 0xff, 4);
    blk_req(&s, 0, 1, 8, 1024, 0, 0);  /* OUT */
    blk_req(&s, 3, 0, 8, 1024, 1, 0);  /* IN */
    blk_req(&s, 6, 4, 0, 0, 0, 0);     /* FLUSH */
    blk_req(&s, 9, 8, 0, 20, 1, 0);    /* GET_ID */
    u8(&s, BLK_CONFIG);
    save("virtio_blk", "sync-rw-flush-getid", &s);

    /* Asynchronous backend: requests complete out of order and in a batch, a reset with requests in
     * flight, a late completion of a cancelled tag, a foreign tag; discard and write-zeroes after
     * the driver comes back; an indirect read. */
    memset(&s, 0, sizeof(s));
    u8(&s, 0x0e);   /* discard, write-zeroes, may unmap */
    u16(&s, 2048);
    u8(&s, 0x00);   /* all asynchronous */
    vd_up(&s, 0xff, 4);
    blk_req(&s, 0, 0, 0, 512, 1, 0);
    blk_req(&s, 3, 1, 16, 2048, 0, 0);
    blk_req(&s, 6, 4, 0, 0, 0, 0);
    blk_req(&s, 9, 0, 255, 512, 1, 1); /* indirect, the last sector */
    u8(&s, BLK_COMPLETE);
    u8(&s, 1);
    u8(&s, 0);
    u8(&s, BLK_BATCH);
    u8(&s, 1);      /* two completions */
    u8(&s, 0);
    u8(&s, 1);
    blk_req(&s, 12, 0, 4, 1024, 1, 0);
    u8(&s, BLK_RESET);
    u8(&s, BLK_STALE);
    u8(&s, 0);
    u8(&s, 0);
    u8(&s, BLK_BADTAG);
    u32(&s, 0x00000001);
    vd_up(&s, 0xff, 4);
    u8(&s, BLK_MODE);
    u8(&s, 0x55);
    vd_chain(&s, 0, 0, 3, 1, 0); /* DISCARD of 8 sectors at 0 */
    blk_hdr(&s, 11, 0);
    u8(&s, CB_L(2) | CB_DATA);
    u8(&s, 16);
    u64(&s, 0);
    u32(&s, 8);
    u32(&s, 0);
    u8(&s, CB_L(0) | CB_W);
    vd_chain(&s, 0, 3, 3, 1, 0); /* WRITE_ZEROES with unmap of 16 sectors at 32 */
    blk_hdr(&s, 13, 0);
    u8(&s, CB_L(2) | CB_DATA);
    u8(&s, 16);
    u64(&s, 32);
    u32(&s, 16);
    u32(&s, 1);
    u8(&s, CB_L(0) | CB_W);
    u8(&s, BLK_DRAIN);
    save("virtio_blk", "async-out-of-order-reset", &s);

    /* A read-only disk: a write is refused, a read works; a request without a status byte. */
    memset(&s, 0, sizeof(s));
    u8(&s, 0x01);
    u16(&s, 100);  /* 6400 bytes: 12 sectors and a bit */
    u8(&s, 0xf0);
    vd_up(&s, 0xff, 3);
    blk_req(&s, 0, 1, 0, 512, 0, 0);
    blk_req(&s, 3, 0, 11, 512, 1, 0);
    blk_req(&s, 5, 0, 12, 512, 1, 0); /* beyond the end */
    vd_chain(&s, 0, 0, 1, 1, 0);      /* no device-writable byte */
    blk_hdr(&s, 0, 0);
    save("virtio_blk", "read-only-errors", &s);
}

enum { NET_RX = 0x08, NET_KICK = 0x18, NET_LINK = 0x28, NET_VERDICTS = 0x38, NET_BURST = 0x48,
       NET_CONFIG = 0x58, NET_RESET = 0x68, NET_RETRY = 0x78 };

/* n receive buffers of `lenidx` (CB_L) each at descriptors d0.., the last one notifies. */
static void net_rx_bufs(struct buf *s, unsigned d0, unsigned n, unsigned lenidx)
{
    for (unsigned i = 0; i < n; i++) {
        vd_chain(s, 0, d0 + i, 1, i + 1 == n, 0);
        u8(s, CB_L(lenidx) | CB_W);
    }
}

static void net_tx(struct buf *s, unsigned d0, uint16_t len, int notify)
{
    static const uint8_t eth[14] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x73, 0x76, 0x6d, 0, 0, 0x08, 0x06 };

    vd_chain(s, 1, d0, 2, notify, 0);
    u8(s, CB_L(1)); /* the 12-byte header, zeros: no offloads */
    u8(s, CB_LEN | CB_DATA);
    u16(s, len);
    u8(s, sizeof(eth));
    bytes(s, eth, sizeof(eth));
}

static void gen_virtio_net(void)
{
    struct buf s;

    /* Mergeable rx buffers: a 2048-byte frame over three 1 KiB buffers; no buffers, then more and
     * a retry; transmit; link down and up with config reads. */
    memset(&s, 0, sizeof(s));
    u8(&s, 0);
    u16(&s, 0);
    vd_up(&s, 0x1f, 4); /* INDIRECT, EVENT_IDX, MRG_RXBUF, STATUS, MAC */
    net_tx(&s, 0, 60, 1);
    net_rx_bufs(&s, 0, 3, 5);
    u8(&s, NET_RX);
    u8(&s, 13); /* 2048 */
    u8(&s, NET_RX);
    u8(&s, 4);  /* 1514: no buffers left */
    net_rx_bufs(&s, 3, 2, 5);
    u8(&s, NET_RETRY);
    u8(&s, NET_LINK);
    u8(&s, 0);
    u8(&s, NET_CONFIG);
    net_tx(&s, 2, 100, 1);
    u8(&s, NET_LINK);
    u8(&s, 1);
    net_rx_bufs(&s, 5, 4, 4);
    u8(&s, NET_BURST);
    u8(&s, 5);
    save("virtio_net", "mergeable-rx-tx-link", &s);

    /* No MRG_RXBUF: a frame too big for the one buffer is dropped; the backend is busy, then
     * kicked; a reset with a frame held. */
    memset(&s, 0, sizeof(s));
    u8(&s, 0);
    u16(&s, 0x3 | 0x0 << 2 | 0x3 << 4); /* BUSY, OK, BUSY, OK ... */
    vd_up(&s, 0x13, 4);                 /* INDIRECT, EVENT_IDX, STATUS */
    net_rx_bufs(&s, 0, 2, 4);           /* 512 each */
    u8(&s, NET_RX);
    u8(&s, 2);  /* 60: fits */
    u8(&s, NET_RX);
    u8(&s, 4);  /* 1514: dropped */
    net_tx(&s, 0, 60, 1);
    u8(&s, NET_KICK);
    net_tx(&s, 2, 1000, 0);
    net_tx(&s, 4, 200, 1);
    u8(&s, NET_RESET);
    u8(&s, NET_KICK);
    save("virtio_net", "busy-kick-reset", &s);
}

enum { VS_CONNECT = 0x08, VS_READABLE = 0x18, VS_CONSUMED = 0x28, VS_HRESET = 0x38, VS_RXBUFS = 0x48,
       VS_POLICY = 0x58, VS_RESET = 0x68, VS_PKT = 0x78 };
enum { OP_REQUEST = 1, OP_RESPONSE = 2, OP_RST = 3, OP_SHUTDOWN = 4, OP_RW = 5, OP_CREDIT_UPDATE = 6,
       OP_CREDIT_REQUEST = 7 };

/* A guest packet: op, ports (bits 0-2 guest port - 1024; 3-6 host port; 7 a host-chosen port). */
static void vs_pkt(struct buf *s, unsigned op, unsigned ports, uint16_t payload, uint8_t buf64, uint8_t flags)
{
    u8(s, VS_PKT);
    u8(s, op);
    u8(s, ports);
    u16(s, payload);
    u8(s, buf64);
    u8(s, flags);
}

static void vs_header(struct buf *s, uint16_t buf_alloc, uint8_t conn, uint8_t send, uint8_t recv)
{
    u8(s, 0); /* cid 3 */
    u16(s, buf_alloc);
    u8(s, conn);
    u8(s, send);
    u8(s, recv);
}

static void gen_virtio_vsock(void)
{
    struct buf s;

    /* The guest connects: REQUEST -> RESPONSE, data both ways, credit, SHUTDOWN, RST. */
    memset(&s, 0, sizeof(s));
    vs_header(&s, 4096, 0, 0, 0);
    vd_up(&s, 0x03, 4);
    u8(&s, VS_RXBUFS);
    u8(&s, 7);
    u8(&s, 5); /* 8 buffers of 44 + 4096 */
    vs_pkt(&s, OP_REQUEST, 0, 0, 64, 0);
    vs_pkt(&s, OP_RW, 0, 100, 64, 0);
    u8(&s, VS_READABLE);
    u8(&s, 0);
    vs_pkt(&s, OP_CREDIT_UPDATE, 0, 0, 64, 0);
    vs_pkt(&s, OP_CREDIT_REQUEST, 0, 0, 64, 0);
    vs_pkt(&s, OP_SHUTDOWN, 0, 0, 64, 1);
    vs_pkt(&s, OP_SHUTDOWN, 0, 0, 64, 3);
    vs_pkt(&s, OP_RW, 0, 10, 64, 0); /* no connection any more: RST */
    save("virtio_vsock", "request-response-rw-shutdown", &s);

    /* The host connects: REQUEST to the guest, RESPONSE, host data against a small credit, the
     * backend keeps guest data and consumes it later, EOF -> SHUTDOWN, the guest's RST. */
    memset(&s, 0, sizeof(s));
    vs_header(&s, 256, 0, 0x55, 0x00);
    vd_up(&s, 0x02, 4);
    u8(&s, VS_RXBUFS);
    u8(&s, 7);
    u8(&s, 3); /* 8 buffers of 44 + 100 */
    u8(&s, VS_CONNECT);
    u8(&s, 1);
    vs_pkt(&s, OP_RESPONSE, 0x80 | 1, 0, 1, 0); /* guest buf_alloc 64 */
    u8(&s, VS_READABLE);
    u8(&s, 0);
    vs_pkt(&s, OP_RW, 0x80 | 1, 200, 1, 0);
    vs_pkt(&s, OP_RW, 0x80 | 1, 100, 1, 0); /* beyond the 256-byte credit: RST */
    u8(&s, VS_CONNECT);
    u8(&s, 2);
    vs_pkt(&s, OP_RESPONSE, 0x80 | 2 | (1 << 3), 0, 2, 0);
    vs_pkt(&s, OP_RW, 0x80 | 2 | (1 << 3), 200, 2, 0);
    u8(&s, VS_CONSUMED);
    u8(&s, 0);
    u16(&s, 150);
    u8(&s, VS_POLICY);
    u8(&s, 2);
    u8(&s, 4 | 4 << 3); /* recv: EOF */
    u8(&s, VS_READABLE);
    u8(&s, 0);
    u8(&s, VS_RXBUFS);
    u8(&s, 3);
    u8(&s, 0);
    vs_pkt(&s, OP_RST, 0x80 | 2 | (1 << 3), 0, 2, 0);
    u8(&s, VS_HRESET);
    u8(&s, 0);
    save("virtio_vsock", "host-connect-credit-eof", &s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_seeds DIR\n");
        return 2;
    }
    outdir = argv[1];
    gen_virtqueue();
    gen_virtio_mmio();
    gen_uart();
    gen_sbsa_gwdt();
    gen_mmio_bus();
    gen_image();
    gen_guest_dt();
    gen_vgic();
    gen_exits();
    gen_virtio_blk();
    gen_virtio_net();
    gen_virtio_vsock();
    return 0;
}
