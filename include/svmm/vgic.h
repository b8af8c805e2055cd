/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A virtual GIC distributor (GICv2 or GICv3) and, for GICv3, its redistributors, for platforms
 * that virtualise only the CPU interface (seL4: the kernel owns the list registers, the VMM the
 * rest). The guest's GICD/GICR frames trap to the VMM and land here through the MMIO bus; the
 * model decides which interrupt goes into which list register (LR) and asks the platform to put it
 * there. With every injected interrupt the kernel requests an EOI maintenance event, which the
 * platform forwards to vgic_maintenance() so the LR can be reused.
 *
 * Plain data, no allocation, no locking: the platform serialises every call into one vgic.
 * Callbacks (vgic_ops) must not call back into the vgic, except that `eoi` may call
 * vgic_set_level() (e.g. to lower the virtual-timer line before the vgic decides whether a
 * level-triggered interrupt is still pending).
 */
#ifndef SVMM_VGIC_H
#define SVMM_VGIC_H

#include <stdbool.h>
#include <stdint.h>
#include <svmm/config.h>
#include <svmm/log.h>
#include <svmm/mmio.h>

#define VGIC_MAX_LR 16u /* list registers per vCPU the model handles (num_lrs <= this) */
#define VGIC_NR_IRQS 256u /* at most INTIDs 0..255: 16 SGIs, 16 PPIs, 224 SPIs (vgic_init sizes it) */
#define VGIC_NR_SGIS 16u /* INTIDs 0..15: software-generated interrupts */
#define VGIC_NR_PRIVATE 32u /* SGIs + PPIs, banked per vCPU */
#define VGIC_NR_SPIS (VGIC_NR_IRQS - VGIC_NR_PRIVATE) /* shared peripheral interrupts modelled */
#define VGIC_V2_MAX_CPUS 8u /* GICv2 target masks have 8 bits */

/* What the model asks of the platform: the kernel's list registers. */
struct vgic_ops {
    void *ctx; /* passed to inject and eoi */
    /*
     * Put `intid` with `priority` (0 = highest) into list register `lr` of vCPU `vcpu` as a
     * pending interrupt of group 1 if `group1`, else group 0, with EOI maintenance requested.
     * Returns false if the kernel refused (e.g. it still considers the LR in use); the
     * interrupt then stays pending in the model and is offered again at the next state change.
     * GICv2 guests (Linux included) keep their interrupts in group 0 and enable only group 0 in
     * GICV_CTLR, so the group must be passed on, not assumed.
     */
    bool (*inject)(void *ctx, unsigned vcpu, unsigned lr, uint32_t intid, uint8_t priority, bool group1);
    /* The guest EOI'd `intid` on `vcpu` (from vgic_maintenance()); e.g. ack the vtimer VPPI. May be NULL. */
    void (*eoi)(void *ctx, unsigned vcpu, uint32_t intid);
};

/* One interrupt's state; SGIs/PPIs exist once per vCPU, SPIs once. */
struct vgic_irq {
    uint64_t route;   /* v3 SPIs: GICD_IROUTER (Aff3 [39:32], IRM [31], Aff2..Aff0 [23:0]) */
    uint8_t priority; /* GICD_IPRIORITYR byte, lower value = higher priority */
    uint8_t targets;  /* v2 SPIs: GICD_ITARGETSR CPU mask */
    bool group1;      /* GICD_IGROUPR */
    bool enabled;     /* GICD_ISENABLER */
    bool edge;        /* GICD_ICFGR: edge-triggered (SGIs always) */
    bool latch;       /* pending latch: an edge, a set-pending write or an SGI; cleared on injection */
    bool line;        /* device line level from vgic_set_level(); pends a level-triggered interrupt */
    bool active;      /* guest-visible active state: injected and not yet EOI'd */
    bool in_lr;       /* occupies a list register until its maintenance event */
};

/* Per vCPU: its banked interrupts and list registers. */
struct vgic_cpu {
    struct vgic_irq priv[VGIC_NR_PRIVATE]; /* its SGIs and PPIs (INTIDs 0..31) */
    uint32_t lr[VGIC_MAX_LR]; /* shadow of the LRs: the INTID each holds, or UINT32_MAX when free */
    bool asleep;              /* v3 GICR_WAKER.ProcessorSleep (ChildrenAsleep mirrors it) */
};

/* One VM's virtual GIC distributor (and GICv3 redistributors): vgic_init, then the MMIO ops. */
struct vgic {
    enum svmm_gic_version version; /* GICv2 or GICv3 */
    unsigned ncpus, num_lrs;       /* vCPUs, and list registers per vCPU */
    uint32_t nr_irqs;      /* INTIDs implemented: a multiple of 32, at most VGIC_NR_IRQS */
    bool dirty;            /* a register write changed state that can make an interrupt deliverable */
    struct vgic_ops ops;   /* the platform's callbacks */
    uint32_t ctlr;         /* GICD_CTLR EnableGrp0 (bit 0) and EnableGrp1 (bit 1) */
    struct vgic_cpu cpu[SVMM_MAX_VCPUS]; /* per vCPU state */
    struct vgic_irq spi[VGIC_NR_SPIS];   /* the SPIs (INTIDs 32..) */
    struct svmm_ratelimit bad_access_rl; /* limits the log lines about bad accesses */
};

/*
 * Reset `g` to a GICv`v` with `ncpus` vCPUs (1..SVMM_MAX_VCPUS, at most 8 for GICv2), `num_lrs`
 * list registers per vCPU (1..VGIC_MAX_LR), INTIDs 0 .. `nr_irqs` - 1 (a multiple of 32 from 32
 * to VGIC_NR_IRQS; GICD_TYPER reports it, and every INTID above is RAZ/WI) and the platform
 * callbacks `ops` (copied; `inject` is required). Returns 0, or -1 on a bad argument (g is then
 * unusable). Size `nr_irqs` to the machine (vgic_nr_irqs_for()): a guest's GIC driver programs
 * every implemented interrupt at boot, and each of those accesses is a trap.
 */
int vgic_init(struct vgic *g, enum svmm_gic_version v, unsigned ncpus, unsigned num_lrs, uint32_t nr_irqs,
              const struct vgic_ops *ops);

/*
 * Reset `g` (initialised) to its power-on state for a VM restart: every interrupt disabled and
 * idle, every list register free, redistributors asleep, the same geometry and callbacks. The
 * platform clears or ignores the hardware list registers itself, as for vgic_reset_vcpu().
 */
void vgic_reset(struct vgic *g);

/* The smallest valid nr_irqs (see vgic_init()) that covers SPI `max_spi` (INTID 32 + max_spi), or 0 if none does. */
uint32_t vgic_nr_irqs_for(uint32_t max_spi);

/*
 * MMIO callbacks, `dev` = the struct vgic. vgic_dist_ops serves the 64 KiB distributor frame
 * (SVMM_GICD_SIZE): GICv2 banks its SGI/PPI registers per CPU (enables, priorities, ITARGETSR0-7)
 * and GICD_SGIR needs the sender, both the callbacks' `vcpu` (an out-of-range vCPU makes the banked
 * registers RAZ/WI and its SGIR writes ignored); vgic_redist_ops serves the GICv3 redistributors, SVMM_GICR_SIZE_PER_CPU per
 * vCPU, vCPU i at i * 0x20000 (RD_base, then SGI_base at +0x10000); frames beyond ncpus read as
 * zero. Wrong-size, unaligned and unknown accesses are RAZ/WI (bad sizes logged, rate-limited).
 */
extern const struct svmm_mmio_ops vgic_dist_ops;
extern const struct svmm_mmio_ops vgic_redist_ops;

/*
 * Drive the input line of a device interrupt: an SPI (`vcpu` ignored) or a PPI of `vcpu`.
 * A level-triggered interrupt is pending while the line is high; an edge-triggered one latches
 * on a rising edge. SGIs, INTIDs >= nr_irqs and bad vCPUs are ignored.
 */
void vgic_set_level(struct vgic *g, unsigned vcpu, uint32_t intid, bool level);

/*
 * The guest EOI'd the interrupt in list register `lr` of `vcpu`: free the LR, deactivate the
 * interrupt, call ops->eoi, then refill the LRs (a level-triggered interrupt whose line is still
 * high is delivered again). `lr` = -1 (unknown) or an LR the model thinks free only refills.
 */
void vgic_maintenance(struct vgic *g, unsigned vcpu, int lr);

/*
 * Whether `vcpu` has an interrupt to take or being taken: a list register in use (pending or
 * active), or a deliverable interrupt waiting for a free one. A vCPU without either that executes
 * WFI can sleep until the next injection for it (or its timer), which vgic_ops.inject announces.
 */
bool vgic_vcpu_has_work(struct vgic *g, unsigned vcpu);

/*
 * `vcpu` is being (re)started by PSCI CPU_ON: whatever its list registers held is gone with the
 * old run, so free them (an interrupt still pending, such as a level line that is high, is
 * delivered again) and reset its SGIs and PPIs. The platform must not reuse those LRs' contents.
 */
void vgic_reset_vcpu(struct vgic *g, unsigned vcpu);

/*
 * Emulate a trapped write of `icc_sgi1r` to ICC_SGI1R_EL1 by `src_vcpu` (GICv3 only): SGI INTID
 * [27:24] to the vCPUs named by Aff3.Aff2.Aff1 [55:48,39:32,23:16] and TargetList [15:0] (with
 * RS [47:44]), or with IRM [40] to every vCPU but the sender. Nonexistent targets are ignored.
 */
void vgic_sgi_v3(struct vgic *g, unsigned src_vcpu, uint64_t icc_sgi1r);

#endif
