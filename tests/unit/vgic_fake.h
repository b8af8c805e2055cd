/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A fake seL4 kernel for the vgic tests: it records injections, holds what it was given in its
 * own list registers (refusing, and counting, an injection into one still in use) and can be
 * told to refuse everything. fake_eoi() plays the guest EOI'ing an interrupt.
 */
#ifndef SVMM_TEST_VGIC_FAKE_H
#define SVMM_TEST_VGIC_FAKE_H

#include <svmm/vgic.h>

#define FAKE_LOG 256u
#define FAKE_NONE UINT32_MAX

struct fake_inject {
    unsigned vcpu, lr;
    uint32_t intid;
    uint8_t priority;
    bool group1;
};

struct vgic_fake {
    struct vgic *g;
    unsigned ninject; /* accepted injections (the first FAKE_LOG are in log[]) */
    struct fake_inject log[FAKE_LOG];
    unsigned nrefused;   /* injections refused because `refuse` was set */
    unsigned lr_in_use;  /* injections into an LR the fake still held: a vgic bug */
    bool refuse;
    uint32_t held[SVMM_MAX_VCPUS][VGIC_MAX_LR];
    unsigned neoi;
    unsigned eoi_vcpu;
    uint32_t eoi_intid;
    uint32_t lower_on_eoi; /* INTID whose line the eoi callback lowers (vtimer style), or FAKE_NONE */
    unsigned as_vcpu;      /* the vCPU gicd_read/gicd_write access the distributor as (0 after fake_init) */
};

extern struct vgic_fake fake;

/* vgic_init() `g` with the fake kernel behind it; CHECKs that it succeeds. */
void fake_init(struct vgic *g, enum svmm_gic_version v, unsigned ncpus, unsigned num_lrs);
/* The same with `nr_irqs` INTIDs (fake_init implements all VGIC_NR_IRQS). */
void fake_init_irqs(struct vgic *g, enum svmm_gic_version v, unsigned ncpus, unsigned num_lrs, uint32_t nr_irqs);
/* How many times `intid` was injected into `vcpu`. */
unsigned fake_count(unsigned vcpu, uint32_t intid);
/* Whether one of `vcpu`'s LRs holds `intid` now. */
bool fake_holds(unsigned vcpu, uint32_t intid);
/* How many of `vcpu`'s LRs are in use. */
unsigned fake_used(unsigned vcpu);
/* The INTID of the n-th accepted injection, or FAKE_NONE. */
uint32_t fake_nth(unsigned n);
/* The guest EOIs `intid` on `vcpu`: the LR frees and the maintenance event goes to the vgic. */
void fake_eoi(unsigned vcpu, uint32_t intid);

/* Guest accesses through the MMIO callbacks; distributor accesses come from vCPU fake.as_vcpu. */
uint64_t gicd_read(struct vgic *g, uint64_t off, unsigned size);
void gicd_write(struct vgic *g, uint64_t off, unsigned size, uint64_t val);
uint64_t gicr_read(struct vgic *g, unsigned vcpu, uint64_t off, unsigned size);
void gicr_write(struct vgic *g, unsigned vcpu, uint64_t off, unsigned size, uint64_t val);
#define GICD_RD(g, off) ((uint32_t)gicd_read((g), (off), 4))
#define GICD_WR(g, off, v) gicd_write((g), (off), 4, (v))
/* Offsets into a vCPU's redistributor: RD_base, and SGI_base (+0x10000). */
#define GICR_RD(g, c, off) ((uint32_t)gicr_read((g), (c), (off), 4))
#define GICR_WR(g, c, off, v) gicr_write((g), (c), (off), 4, (v))
#define SGI_RD(g, c, off) ((uint32_t)gicr_read((g), (c), 0x10000 + (off), 4))
#define SGI_WR(g, c, off, v) gicr_write((g), (c), 0x10000 + (off), 4, (v))

/* Enable SPI/PPI `intid` through the GICD (SPIs; v2 also private ones of the current vCPU) with `prio`. */
void gicd_enable_irq(struct vgic *g, uint32_t intid, uint8_t prio);

#endif
