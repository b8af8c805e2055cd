/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared between vgic.c (state, delivery), vgic_dist.c (GICD) and vgic_redist.c (GICR). */
#ifndef SVMM_VGIC_INTERNAL_H
#define SVMM_VGIC_INTERNAL_H

#include <svmm/vgic.h>

#define VGIC_LR_FREE UINT32_MAX
#define VGIC_CTLR_GRP0 (1u << 0)
#define VGIC_CTLR_GRP1 (1u << 1)
#define VGIC_IROUTER_AFF 0xff00ffffffull /* Aff3 [39:32], Aff2..Aff0 [23:0]: MPIDR layout */
#define VGIC_IROUTER_IRM (1ull << 31)    /* any participating PE */

/* Assign `v` to `field`, noting a change in g->dirty (register writes flush only after a change). */
#define VGIC_SET(g, field, v)                                                                                          \
    do {                                                                                                               \
        if ((field) != (v)) {                                                                                          \
            (field) = (v);                                                                                             \
            (g)->dirty = true;                                                                                         \
        }                                                                                                              \
    } while (0)

/* Access sizes accepted by a register, as a mask for vgic_access_ok(). */
#define VGIC_SZ1 (1u << 1)
#define VGIC_SZ4 (1u << 4)
#define VGIC_SZ8 (1u << 8)

/*
 * The identification values both frames report. IIDR: implementer Arm (JEP106 0x43b, matching
 * PIDR1/2 below), product 'S', revision 0; it matches none of Linux's GIC erratum entries.
 */
#define VGIC_IIDR 0x5300043bu
#define VGIC_PIDR2(version) (((uint32_t)(version) << 4) | 0xbu) /* ArchRev [7:4], JEDEC + JEP106 [3:0] */

/*
 * Which interrupts a frame's per-INTID registers reach: vCPU `vcpu`'s private ones and SPIs,
 * restricted to INTIDs [lo, hi), both multiples of 32. Everything outside the window is RAZ/WI.
 */
struct vgic_frame {
    const char *name; /* for log lines */
    unsigned vcpu;
    uint32_t lo, hi;
};

/*
 * ACSL (make prove, docs/proofs.md): the geometry vgic_init() checks, which register accesses never
 * change. The contracts below on vgic.c's functions are assumed by the proof of vgic_dist.c (they
 * change interrupt state and the log limiter, never the geometry).
 */
/*@ predicate vgic_ok(struct vgic *g) =
      \valid(g) && VGIC_NR_PRIVATE <= g->nr_irqs <= VGIC_NR_IRQS && 1 <= g->ncpus <= SVMM_MAX_VCPUS;
*/

/* The state of `intid` as seen by `vcpu`, or NULL for INTIDs >= nr_irqs and bad vCPUs. */
struct vgic_irq *vgic_irq(struct vgic *g, unsigned vcpu, uint32_t intid);

/* Deliver what can be delivered: fill every vCPU's free LRs, highest priority first. */
void vgic_flush(struct vgic *g);

/* vgic_flush() if a register write changed state since the last flush (g->dirty). */
/*@ requires vgic_ok(g);
    assigns g->cpu[0 .. SVMM_MAX_VCPUS - 1], g->spi[0 .. VGIC_NR_SPIS - 1], g->dirty; */
void vgic_flush_if_dirty(struct vgic *g);

/* Make SGI `sgi` pending on `target` (checked); call vgic_flush() afterwards. */
/*@ requires vgic_ok(g);
    assigns g->cpu[0 .. SVMM_MAX_VCPUS - 1], g->dirty; */
void vgic_raise_sgi(struct vgic *g, unsigned target, uint32_t sgi);

/* The vCPU whose affinity (MPIDR layout: Aff3 [39:32], Aff2..0 [23:0]) is `aff`, or g->ncpus. */
unsigned vgic_vcpu_of_affinity(const struct vgic *g, uint64_t aff);

/* True when `size` is one of `sizes` (VGIC_SZ*) and `off` is size-aligned; else log (rate-limited). */
/*@ requires vgic_ok(g) && \valid_read(f);
    assigns g->bad_access_rl;
    ensures \result && sizes == VGIC_SZ4 ==> size == 4;
    ensures \result && sizes == (VGIC_SZ1 | VGIC_SZ4) ==> size == 1 || size == 4;
    ensures \result && sizes == (VGIC_SZ4 | VGIC_SZ8) ==> size == 4 || size == 8; */
bool vgic_access_ok(struct vgic *g, const struct vgic_frame *f, uint64_t off, unsigned size, unsigned sizes);

/*
 * The per-INTID register block the GICD and the GICR SGI frame share at the same offsets
 * (IGROUPR, IS/ICENABLER, IS/ICPENDR, IS/ICACTIVER, IPRIORITYR, ICFGR). Return false when `off`
 * is not in it; otherwise the access is done (or RAZ/WI) and, for reads, *val is the result.
 */
/*@ requires vgic_ok(g) && \valid_read(f) && \valid(val) && \separated(val, g);
    assigns g->bad_access_rl, *val; */
bool vgic_irqregs_read(struct vgic *g, const struct vgic_frame *f, uint64_t off, unsigned size, uint64_t *val);
/*@ requires vgic_ok(g) && \valid_read(f);
    assigns g->cpu[0 .. SVMM_MAX_VCPUS - 1], g->spi[0 .. VGIC_NR_SPIS - 1], g->dirty, g->bad_access_rl; */
bool vgic_irqregs_write(struct vgic *g, const struct vgic_frame *f, uint64_t off, unsigned size, uint64_t val);

#endif
