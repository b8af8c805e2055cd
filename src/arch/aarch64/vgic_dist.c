/* SPDX-License-Identifier: BSD-2-Clause */
/* The emulated distributor frame (GICD), GICv2 (IHI 0048B ch. 4) and GICv3 (IHI 0069 ch. 12). */
#include "vgic_internal.h"

#define GICD_CTLR 0x0000u
#define GICD_TYPER 0x0004u
#define GICD_IIDR 0x0008u
#define GICD_ITARGETSR 0x0800u /* v2, one byte per INTID */
#define GICD_ITARGETSR_END 0x0c00u
#define GICD_SGIR 0x0f00u      /* v2, write-only */
#define GICD_PIDR2_V2 0x0fe8u  /* where a v2 distributor (4 KiB of registers) has it */
#define GICD_IROUTER 0x6000u   /* v3, 64 bits per INTID */
#define GICD_IROUTER_END 0x8000u
#define GICD_PIDR2 0xffe8u

#define CTLR_ARE (1u << 4) /* v3: affinity routing, always on (RAO/WI) */
#define CTLR_DS (1u << 6)  /* v3: single security state (RAO/WI) */

#define SGIR_FILTER_LIST 0u
#define SGIR_FILTER_OTHERS 1u
#define SGIR_FILTER_SELF 2u

/* The distributor as vCPU `vcpu` sees it (GICv2 banks the INTIDs below 32 per CPU). */
/*@ requires \valid_read(g); assigns \nothing; */
static struct vgic_frame dist_frame(const struct vgic *g, unsigned vcpu)
{
    /* With affinity routing (v3) the INTIDs below 32 live in the redistributors: RAZ/WI here. */
    struct vgic_frame f = { "GICD", vcpu, g->version == SVMM_GIC_V3 ? VGIC_NR_PRIVATE : 0,
                            g->nr_irqs };

    return f;
}

/*@ requires \valid_read(g) && VGIC_NR_PRIVATE <= g->nr_irqs <= VGIC_NR_IRQS && 1 <= g->ncpus <= SVMM_MAX_VCPUS;
    assigns \nothing; */
static uint32_t dist_typer(const struct vgic *g)
{
    uint32_t v = g->nr_irqs / 32 - 1; /* ITLinesNumber: 32 * (N + 1) INTIDs */

    if (g->version == SVMM_GIC_V2)
        return v | (g->ncpus - 1) << 5; /* CPUNumber; no Security Extensions */
    return v | 9u << 19; /* IDbits: 10-bit INTIDs; no LPIs, MBIS, ESPI, RSS or Aff3 */
}

/*@ requires \valid_read(g); assigns \nothing; */
static uint32_t dist_ctlr(const struct vgic *g)
{
    if (g->version == SVMM_GIC_V3)
        return g->ctlr | CTLR_ARE | CTLR_DS;
    return g->ctlr; /* RWP (v3 bit 31) is always 0: writes take effect at once */
}

/* The CPU mask byte of ITARGETSR for `intid`: the reader's (vCPU `vcpu`'s) own CPU for SGIs/PPIs. */
/*@ requires \valid_read(g) && VGIC_NR_PRIVATE <= g->nr_irqs <= VGIC_NR_IRQS && 1 <= g->ncpus <= SVMM_MAX_VCPUS;
    assigns \nothing; */
static uint8_t target_byte(const struct vgic *g, unsigned vcpu, uint32_t intid)
{
    if (intid < VGIC_NR_PRIVATE)
        return vcpu < g->ncpus ? (uint8_t)(1u << vcpu) : 0;
    if (intid < g->nr_irqs)
        return g->spi[intid - VGIC_NR_PRIVATE].targets;
    return 0;
}

/*@ requires \valid_read(g) && VGIC_NR_PRIVATE <= g->nr_irqs <= VGIC_NR_IRQS && 1 <= g->ncpus <= SVMM_MAX_VCPUS;
    requires size <= 4 && first <= 0x400;
    assigns \nothing; */
static uint32_t targets_read(const struct vgic *g, unsigned vcpu, uint32_t first, unsigned size)
{
    uint32_t v = 0;

    /*@ loop invariant 0 <= i <= size;
        loop assigns i, v;
        loop variant size - i; */
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)target_byte(g, vcpu, first + i) << (8 * i);
    return v;
}

/*@ requires vgic_ok(g) && size <= 4 && first <= 0x400;
    assigns g->spi[0 .. VGIC_NR_SPIS - 1].targets, g->dirty;
    ensures vgic_ok(g); */
static void targets_write(struct vgic *g, uint32_t first, unsigned size, uint32_t val)
{
    uint8_t present = (uint8_t)((1u << g->ncpus) - 1); /* bits of absent CPUs are RAZ/WI */

    /*@ loop invariant 0 <= i <= size && vgic_ok(g);
        loop assigns i, g->spi[0 .. VGIC_NR_SPIS - 1].targets, g->dirty;
        loop variant size - i; */
    for (unsigned i = 0; i < size; i++) {
        uint32_t intid = first + i;

        /* SGI/PPI bytes are read-only. */
        if (intid >= VGIC_NR_PRIVATE && intid < g->nr_irqs)
            VGIC_SET(g, g->spi[intid - VGIC_NR_PRIVATE].targets, (uint8_t)((val >> (8 * i)) & present));
    }
}

/* The SPI whose IROUTER is at `off`, or NULL (INTIDs < 32 are reserved, beyond ours RAZ/WI). */
/*@ requires vgic_ok(g) && off >= GICD_IROUTER;
    assigns \nothing;
    ensures \result == \null || \exists integer k; 0 <= k < g->nr_irqs - VGIC_NR_PRIVATE && \result == &g->spi[k]; */
static struct vgic_irq *irouter_irq(struct vgic *g, uint64_t off)
{
    uint64_t intid = (off - GICD_IROUTER) / 8;

    if (intid < VGIC_NR_PRIVATE || intid >= g->nr_irqs)
        return NULL;
    return &g->spi[intid - VGIC_NR_PRIVATE];
}

/* IROUTER is 64-bit and also accessible as two 32-bit halves. */
/*@ requires vgic_ok(g) && \valid_read(f) && \separated(f, g) && off >= GICD_IROUTER;
    assigns g->bad_access_rl; */
static uint64_t irouter_read(struct vgic *g, const struct vgic_frame *f, uint64_t off, unsigned size)
{
    const struct vgic_irq *irq;

    if (!vgic_access_ok(g, f, off, size, VGIC_SZ4 | VGIC_SZ8) || (irq = irouter_irq(g, off)) == NULL)
        return 0;
    if (size == 8)
        return irq->route;
    return (uint32_t)(irq->route >> ((off & 4) ? 32 : 0));
}

/*@ requires vgic_ok(g) && \valid_read(f) && \separated(f, g) && off >= GICD_IROUTER;
    assigns g->bad_access_rl, g->spi[0 .. VGIC_NR_SPIS - 1].route, g->dirty; */
static void irouter_write(struct vgic *g, const struct vgic_frame *f, uint64_t off, unsigned size, uint64_t val)
{
    struct vgic_irq *irq;
    uint64_t route = val;

    if (!vgic_access_ok(g, f, off, size, VGIC_SZ4 | VGIC_SZ8) || (irq = irouter_irq(g, off)) == NULL)
        return;
    if (size == 4) {
        unsigned shift = (off & 4) ? 32 : 0;

        route = (irq->route & ~(0xffffffffull << shift)) | ((val & 0xffffffffull) << shift);
    }
    VGIC_SET(g, irq->route, route & (VGIC_IROUTER_AFF | VGIC_IROUTER_IRM));
}

/* GICD_SGIR (v2), written by vCPU `src`: SGI [3:0] to the CPUs in [23:16], to all but the sender, or to the sender. */
/*@ requires vgic_ok(g);
    assigns g->cpu[0 .. SVMM_MAX_VCPUS - 1], g->dirty; */
static void sgir_write(struct vgic *g, unsigned src, uint32_t val)
{
    uint32_t list;

    if (src >= g->ncpus)
        return;
    switch ((val >> 24) & 3u) {
    case SGIR_FILTER_LIST: list = (val >> 16) & 0xffu; break;
    case SGIR_FILTER_OTHERS: list = ((1u << g->ncpus) - 1) & ~(1u << src); break;
    case SGIR_FILTER_SELF: list = 1u << src; break;
    default: return; /* reserved */
    }
    /*@ loop invariant 0 <= c <= g->ncpus && vgic_ok(g);
        loop assigns c, g->cpu[0 .. SVMM_MAX_VCPUS - 1], g->dirty;
        loop variant g->ncpus - c; */
    for (unsigned c = 0; c < g->ncpus; c++)
        if ((list >> c) & 1u)
            vgic_raise_sgi(g, c, val & 0xfu);
}

/*@ requires vgic_ok((struct vgic *)dev);
    assigns ((struct vgic *)dev)->bad_access_rl; */
static uint64_t dist_read(void *dev, unsigned vcpu, uint64_t off, unsigned size)
{
    struct vgic *g = dev;
    struct vgic_frame f = dist_frame(g, vcpu);
    uint64_t val;

    if (vgic_irqregs_read(g, &f, off, size, &val))
        return val;
    if (off >= GICD_ITARGETSR && off < GICD_ITARGETSR_END) {
        if (g->version != SVMM_GIC_V2 || !vgic_access_ok(g, &f, off, size, VGIC_SZ1 | VGIC_SZ4))
            return 0;
        return targets_read(g, vcpu, (uint32_t)(off - GICD_ITARGETSR), size);
    }
    if (off >= GICD_IROUTER && off < GICD_IROUTER_END)
        return g->version == SVMM_GIC_V3 ? irouter_read(g, &f, off, size) : 0;
    if (!vgic_access_ok(g, &f, off, size, VGIC_SZ4))
        return 0;
    switch (off) {
    case GICD_CTLR: return dist_ctlr(g);
    case GICD_TYPER: return dist_typer(g);
    case GICD_IIDR: return VGIC_IIDR;
    case GICD_PIDR2: return VGIC_PIDR2(g->version);
    case GICD_PIDR2_V2: return g->version == SVMM_GIC_V2 ? VGIC_PIDR2(g->version) : 0;
    default: return 0; /* reserved, SGIR, the v2 SGI pending registers, IGRPMODR, NSACR, IDs */
    }
}

/*@ requires vgic_ok(g) && \valid_read(f) && \separated(f, g);
    assigns g->cpu[0 .. SVMM_MAX_VCPUS - 1], g->spi[0 .. VGIC_NR_SPIS - 1], g->dirty, g->bad_access_rl, g->ctlr; */
static void dist_write_reg(struct vgic *g, const struct vgic_frame *f, uint64_t off, unsigned size, uint64_t val)
{
    if (vgic_irqregs_write(g, f, off, size, val))
        return;
    if (off >= GICD_ITARGETSR && off < GICD_ITARGETSR_END) {
        if (g->version == SVMM_GIC_V2 && vgic_access_ok(g, f, off, size, VGIC_SZ1 | VGIC_SZ4))
            targets_write(g, (uint32_t)(off - GICD_ITARGETSR), size, (uint32_t)val);
        return;
    }
    if (off >= GICD_IROUTER && off < GICD_IROUTER_END) {
        if (g->version == SVMM_GIC_V3)
            irouter_write(g, f, off, size, val);
        return;
    }
    if (!vgic_access_ok(g, f, off, size, VGIC_SZ4))
        return;
    if (off == GICD_CTLR)
        VGIC_SET(g, g->ctlr, (uint32_t)val & (VGIC_CTLR_GRP0 | VGIC_CTLR_GRP1));
    else if (off == GICD_SGIR && g->version == SVMM_GIC_V2)
        sgir_write(g, f->vcpu, (uint32_t)val);
    /* Everything else is read-only or reserved. */
}

/*@ requires vgic_ok((struct vgic *)dev); */
static void dist_write(void *dev, unsigned vcpu, uint64_t off, unsigned size, uint64_t val)
{
    struct vgic *g = dev;
    struct vgic_frame f = dist_frame(g, vcpu);

    dist_write_reg(g, &f, off, size, val);
    /* Enables, pending bits, routing or an SGI may have made something deliverable. */
    vgic_flush_if_dirty(g);
}

const struct svmm_mmio_ops vgic_dist_ops = { dist_read, dist_write };
