/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The emulated GICv3 redistributors (IHI 0069 ch. 12.10/12.11): per vCPU a 64 KiB RD_base frame
 * (control, identification, power) and a 64 KiB SGI_base frame with the SGI/PPI registers. No
 * LPIs, so no VLPI frames: Linux steps from one redistributor to the next by 128 KiB.
 */
#include <svmm/arch.h>
#include "vgic_internal.h"

#define GICR_SGI_BASE 0x10000u
#define GICR_CTLR 0x0000u
#define GICR_IIDR 0x0004u
#define GICR_TYPER 0x0008u /* 64-bit */
#define GICR_WAKER 0x0014u
#define GICR_PIDR2 0xffe8u

#define TYPER_LAST (1u << 4)
#define WAKER_PROCESSOR_SLEEP (1u << 1)
#define WAKER_CHILDREN_ASLEEP (1u << 2)

static uint64_t redist_typer(const struct vgic *g, unsigned vcpu)
{
    uint64_t aff = svmm_arch_vcpu_affinity(vcpu);
    /* Affinity_Value [63:32] packs Aff3.Aff2.Aff1.Aff0; MPIDR keeps Aff3 at [39:32]. */
    uint64_t packed = ((aff >> 32) & 0xffu) << 24 | (aff & 0xffffffu);
    /* Processor_Number [23:8]; PPInum 0 = 16 PPIs; no LPIs, VLPIs or DirectLPI. */
    uint64_t v = packed << 32 | (uint64_t)vcpu << 8;

    if (vcpu == g->ncpus - 1)
        v |= TYPER_LAST; /* ends Linux's walk over the redistributor region */
    return v;
}

static uint64_t rd_read(struct vgic *g, const struct vgic_frame *f, uint64_t off, unsigned size)
{
    if (off == GICR_TYPER || off == GICR_TYPER + 4) {
        uint64_t typer;

        if (!vgic_access_ok(g, f, off, size, VGIC_SZ4 | VGIC_SZ8))
            return 0;
        typer = redist_typer(g, f->vcpu);
        if (size == 8)
            return typer;
        return (uint32_t)(typer >> (off == GICR_TYPER ? 0 : 32));
    }
    if (!vgic_access_ok(g, f, off, size, VGIC_SZ4))
        return 0;
    switch (off) {
    case GICR_CTLR: return 0; /* LPIs off; RWP/UWP always 0: writes take effect at once */
    case GICR_IIDR: return VGIC_IIDR;
    case GICR_WAKER: return g->cpu[f->vcpu].asleep ? WAKER_PROCESSOR_SLEEP | WAKER_CHILDREN_ASLEEP : 0;
    case GICR_PIDR2: return VGIC_PIDR2(SVMM_GIC_V3);
    default: return 0;
    }
}

static void rd_write(struct vgic *g, const struct vgic_frame *f, uint64_t off, unsigned size, uint64_t val)
{
    if (!vgic_access_ok(g, f, off, size, VGIC_SZ4))
        return;
    /* ChildrenAsleep follows ProcessorSleep at once, so Linux's wake-up poll ends immediately. */
    if (off == GICR_WAKER)
        g->cpu[f->vcpu].asleep = (val & WAKER_PROCESSOR_SLEEP) != 0;
    /* Everything else in RD_base is read-only or, without LPIs, RAZ/WI. */
}

/*
 * Split a region offset into the vCPU whose redistributor it hits and the offset within its
 * RD_base or SGI_base frame; false beyond the last vCPU's redistributor.
 */
static bool locate(const struct vgic *g, uint64_t off, struct vgic_frame *f, uint64_t *frame_off, bool *sgi)
{
    uint64_t vcpu = off / SVMM_GICR_SIZE_PER_CPU;
    uint64_t within = off % SVMM_GICR_SIZE_PER_CPU;

    if (vcpu >= g->ncpus)
        return false;
    *sgi = within >= GICR_SGI_BASE;
    *frame_off = *sgi ? within - GICR_SGI_BASE : within;
    f->name = *sgi ? "GICR_SGI" : "GICR";
    f->vcpu = (unsigned)vcpu;
    f->lo = 0;
    f->hi = VGIC_NR_PRIVATE;
    return true;
}

static uint64_t redist_read(void *dev, unsigned vcpu, uint64_t off, unsigned size)
{
    (void)vcpu; /* the same registers for every vCPU */
    struct vgic *g = dev;
    struct vgic_frame f;
    uint64_t frame_off, val;
    bool sgi;

    if (g->version != SVMM_GIC_V3 || !locate(g, off, &f, &frame_off, &sgi))
        return 0;
    if (!sgi)
        return rd_read(g, &f, frame_off, size);
    if (vgic_irqregs_read(g, &f, frame_off, size, &val))
        return val;
    return 0; /* IGRPMODR0 and NSACR are RAZ/WI with a single security state */
}

static void redist_write(void *dev, unsigned vcpu, uint64_t off, unsigned size, uint64_t val)
{
    (void)vcpu; /* the same registers for every vCPU */
    struct vgic *g = dev;
    struct vgic_frame f;
    uint64_t frame_off;
    bool sgi;

    if (g->version != SVMM_GIC_V3 || !locate(g, off, &f, &frame_off, &sgi))
        return;
    if (sgi)
        vgic_irqregs_write(g, &f, frame_off, size, val);
    else
        rd_write(g, &f, frame_off, size, val);
    vgic_flush_if_dirty(g);
}

const struct svmm_mmio_ops vgic_redist_ops = { redist_read, redist_write };
