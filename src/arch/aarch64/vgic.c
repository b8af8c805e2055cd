/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The vgic's interrupt state and delivery: which pending interrupt goes into which free list
 * register, SGIs, device lines, EOI maintenance, and the per-INTID registers that the GICD and
 * the GICR SGI frame share. The frames themselves are in vgic_dist.c and vgic_redist.c.
 */
#include <string.h>
#include <svmm/arch.h>
#include "vgic_internal.h"

#define ICC_SGI1R_IRM (1ull << 40)

/* The shared per-INTID register block (GICv2 4.1.2 / GICv3 12.9): offsets of the arrays. */
#define BITS_BASE 0x080u /* IGROUPR, then one 0x80-byte array per enum bitreg */
#define BITS_END 0x400u
#define BITS_STRIDE 0x80u
#define PRIO_BASE 0x400u
#define PRIO_END 0x800u
#define CFG_BASE 0xc00u
#define CFG_END 0xd00u

enum bitreg { IGROUPR, ISENABLER, ICENABLER, ISPENDR, ICPENDR, ISACTIVER, ICACTIVER };

struct vgic_irq *vgic_irq(struct vgic *g, unsigned vcpu, uint32_t intid)
{
    if (intid < VGIC_NR_PRIVATE)
        return vcpu < g->ncpus ? &g->cpu[vcpu].priv[intid] : NULL;
    if (intid < g->nr_irqs)
        return &g->spi[intid - VGIC_NR_PRIVATE];
    return NULL;
}

/* Pending as the guest sees it: latched, or a level-triggered line that is high. */
static bool irq_pending(const struct vgic_irq *irq)
{
    return irq->latch || (!irq->edge && irq->line);
}

static void reset_irq(struct vgic_irq *irq, enum svmm_gic_version v, uint32_t intid)
{
    memset(irq, 0, sizeof(*irq));
    irq->edge = intid < VGIC_NR_SGIS;
    /*
     * Linux programs IGROUPR itself; for guests that do not, v3 defaults to group 1 (the only
     * group a non-secure v3 OS enables) and v2 to group 0 (the v2 reset value), as KVM does.
     */
    irq->group1 = v == SVMM_GIC_V3;
    irq->targets = 0x01; /* vCPU 0, so a guest that never writes ITARGETSR still gets its SPIs */
    irq->route = 0;      /* Aff0 = 0: vCPU 0 */
}

uint32_t vgic_nr_irqs_for(uint32_t max_spi)
{
    if (max_spi >= VGIC_NR_SPIS)
        return 0;
    return (VGIC_NR_PRIVATE + max_spi + 32) & ~31u;
}

int vgic_init(struct vgic *g, enum svmm_gic_version v, unsigned ncpus, unsigned num_lrs, uint32_t nr_irqs,
              const struct vgic_ops *ops)
{
    if (ops == NULL || ops->inject == NULL || (v != SVMM_GIC_V2 && v != SVMM_GIC_V3))
        return -1;
    if (ncpus == 0 || ncpus > SVMM_MAX_VCPUS || (v == SVMM_GIC_V2 && ncpus > VGIC_V2_MAX_CPUS))
        return -1;
    if (num_lrs == 0 || num_lrs > VGIC_MAX_LR)
        return -1;
    if (nr_irqs < VGIC_NR_PRIVATE || nr_irqs > VGIC_NR_IRQS || nr_irqs % 32 != 0)
        return -1;
    memset(g, 0, sizeof(*g));
    g->version = v;
    g->ncpus = ncpus;
    g->num_lrs = num_lrs;
    g->nr_irqs = nr_irqs;
    g->ops = *ops;
    for (unsigned c = 0; c < SVMM_MAX_VCPUS; c++) {
        for (uint32_t i = 0; i < VGIC_NR_PRIVATE; i++)
            reset_irq(&g->cpu[c].priv[i], v, i);
        for (unsigned lr = 0; lr < VGIC_MAX_LR; lr++)
            g->cpu[c].lr[lr] = VGIC_LR_FREE;
        g->cpu[c].asleep = true; /* redistributors come out of reset asleep; the OS wakes them */
    }
    for (uint32_t i = 0; i < VGIC_NR_SPIS; i++)
        reset_irq(&g->spi[i], v, VGIC_NR_PRIVATE + i);
    return 0;
}

void vgic_reset(struct vgic *g)
{
    const struct vgic_ops ops = g->ops;

    /* The arguments were valid at vgic_init(): this cannot fail. */
    (void)vgic_init(g, g->version, g->ncpus, g->num_lrs, g->nr_irqs, &ops);
}


unsigned vgic_vcpu_of_affinity(const struct vgic *g, uint64_t aff)
{
    for (unsigned c = 0; c < g->ncpus; c++)
        if (svmm_arch_vcpu_affinity(c) == aff)
            return c;
    return g->ncpus;
}

/* Whether SPI `irq` is routed to `vcpu` (v2: ITARGETSR bit; v3: IROUTER affinity or IRM = any). */
static bool spi_targets(const struct vgic *g, const struct vgic_irq *irq, unsigned vcpu)
{
    if (g->version == SVMM_GIC_V2)
        return (irq->targets >> vcpu) & 1u;
    if (irq->route & VGIC_IROUTER_IRM)
        return true;
    return (irq->route & VGIC_IROUTER_AFF) == svmm_arch_vcpu_affinity(vcpu);
}

/* Pending, enabled, its group enabled, and not already active or in a list register. */
static bool deliverable(const struct vgic *g, const struct vgic_irq *irq)
{
    uint32_t grp = irq->group1 ? VGIC_CTLR_GRP1 : VGIC_CTLR_GRP0;

    return irq->enabled && (g->ctlr & grp) && !irq->active && !irq->in_lr && irq_pending(irq);
}

/* The deliverable interrupt for `vcpu` with the lowest priority value (then lowest INTID), or VGIC_LR_FREE. */
static uint32_t best_pending(struct vgic *g, unsigned vcpu)
{
    uint32_t best = VGIC_LR_FREE;
    unsigned best_prio = 0x100;

    for (uint32_t i = 0; i < g->nr_irqs; i++) {
        const struct vgic_irq *irq = vgic_irq(g, vcpu, i);

        if (irq->priority >= best_prio || !deliverable(g, irq))
            continue;
        if (i >= VGIC_NR_PRIVATE && !spi_targets(g, irq, vcpu))
            continue;
        best = i;
        best_prio = irq->priority;
    }
    return best;
}

static void flush_vcpu(struct vgic *g, unsigned vcpu)
{
    struct vgic_cpu *c = &g->cpu[vcpu];

    for (unsigned lr = 0; lr < g->num_lrs; lr++) {
        uint32_t intid;
        struct vgic_irq *irq;

        if (c->lr[lr] != VGIC_LR_FREE)
            continue;
        intid = best_pending(g, vcpu);
        if (intid == VGIC_LR_FREE)
            return;
        irq = vgic_irq(g, vcpu, intid);
        /* A refusal means the kernel still holds this LR: keep the interrupt pending, try the next. */
        if (!g->ops.inject(g->ops.ctx, vcpu, lr, intid, irq->priority, irq->group1))
            continue;
        c->lr[lr] = intid;
        irq->in_lr = true;
        irq->active = true;
        irq->latch = false; /* the pending state now lives in the LR */
    }
}

void vgic_flush(struct vgic *g)
{
    g->dirty = false;
    for (unsigned c = 0; c < g->ncpus; c++)
        flush_vcpu(g, c);
}

void vgic_flush_if_dirty(struct vgic *g)
{
    if (g->dirty)
        vgic_flush(g);
}

void vgic_set_level(struct vgic *g, unsigned vcpu, uint32_t intid, bool level)
{
    struct vgic_irq *irq;

    if (intid < VGIC_NR_SGIS)
        return; /* SGIs have no input line */
    irq = vgic_irq(g, vcpu, intid);
    if (irq == NULL || irq->line == level)
        return;
    if (level && irq->edge)
        irq->latch = true;
    irq->line = level;
    vgic_flush(g);
}

void vgic_maintenance(struct vgic *g, unsigned vcpu, int lr)
{
    if (vcpu < g->ncpus && lr >= 0 && (unsigned)lr < g->num_lrs) {
        uint32_t intid = g->cpu[vcpu].lr[lr];

        if (intid != VGIC_LR_FREE) {
            struct vgic_irq *irq = vgic_irq(g, vcpu, intid);

            g->cpu[vcpu].lr[lr] = VGIC_LR_FREE;
            irq->in_lr = false;
            irq->active = false;
            /* Before the refill, so the platform can lower a line (vtimer) it acks here. */
            if (g->ops.eoi != NULL)
                g->ops.eoi(g->ops.ctx, vcpu, intid);
        }
    }
    vgic_flush(g);
}

bool vgic_vcpu_has_work(struct vgic *g, unsigned vcpu)
{
    if (vcpu >= g->ncpus)
        return false;
    for (unsigned lr = 0; lr < g->num_lrs; lr++)
        if (g->cpu[vcpu].lr[lr] != VGIC_LR_FREE)
            return true;
    return best_pending(g, vcpu) != VGIC_LR_FREE;
}

void vgic_reset_vcpu(struct vgic *g, unsigned vcpu)
{
    struct vgic_cpu *c;

    if (vcpu >= g->ncpus)
        return;
    c = &g->cpu[vcpu];
    for (unsigned lr = 0; lr < VGIC_MAX_LR; lr++) {
        struct vgic_irq *irq = c->lr[lr] == VGIC_LR_FREE ? NULL : vgic_irq(g, vcpu, c->lr[lr]);

        if (irq != NULL) {
            irq->in_lr = false;
            irq->active = false;
        }
        c->lr[lr] = VGIC_LR_FREE;
    }
    for (uint32_t i = 0; i < VGIC_NR_PRIVATE; i++)
        reset_irq(&c->priv[i], g->version, i);
    vgic_flush(g);
}

void vgic_raise_sgi(struct vgic *g, unsigned target, uint32_t sgi)
{
    struct vgic_irq *irq;

    if (sgi >= VGIC_NR_SGIS)
        return;
    irq = vgic_irq(g, target, sgi);
    if (irq != NULL) {
        irq->latch = true;
        g->dirty = true;
    }
}

void vgic_sgi_v3(struct vgic *g, unsigned src_vcpu, uint64_t icc_sgi1r)
{
    uint32_t sgi = (uint32_t)(icc_sgi1r >> 24) & 0xf;

    if (g->version != SVMM_GIC_V3 || src_vcpu >= g->ncpus)
        return;
    if (icc_sgi1r & ICC_SGI1R_IRM) {
        for (unsigned c = 0; c < g->ncpus; c++)
            if (c != src_vcpu)
                vgic_raise_sgi(g, c, sgi);
    } else {
        /* Target i of the list is Aff0 = RS * 16 + i in cluster Aff3.Aff2.Aff1. */
        uint64_t cluster = ((icc_sgi1r >> 48) & 0xff) << 32 | ((icc_sgi1r >> 32) & 0xff) << 16 |
                           ((icc_sgi1r >> 16) & 0xff) << 8;
        uint64_t rs = (icc_sgi1r >> 44) & 0xf;

        for (unsigned i = 0; i < 16; i++)
            if ((icc_sgi1r >> i) & 1u)
                vgic_raise_sgi(g, vgic_vcpu_of_affinity(g, cluster | (rs * 16 + i)), sgi);
    }
    vgic_flush(g);
}

bool vgic_access_ok(struct vgic *g, const struct vgic_frame *f, uint64_t off, unsigned size, unsigned sizes)
{
    if (size < 32 && (sizes & (1u << size)) && (off & (size - 1)) == 0)
        return true;
    if (svmm_ratelimit_ok(&g->bad_access_rl, 4))
        svmm_warn("vgic: ignoring %u-byte access to %s+0x%llx", size, f->name, (unsigned long long)off);
    return false;
}

/*
 * The interrupts of one register of frame `f`, from INTID `first` on, or NULL outside the frame's
 * window. A register covers 32 (bits), 16 (ICFGR) or 1..4 (IPRIORITYR) INTIDs aligned to their
 * count, so it never straddles a multiple of 32: not a window edge, nor the private/SPI split.
 * That makes its interrupts consecutive in one array, all in the window or all out.
 */
static struct vgic_irq *frame_irqs(struct vgic *g, const struct vgic_frame *f, uint32_t first)
{
    if (first < f->lo || first >= f->hi)
        return NULL;
    return vgic_irq(g, f->vcpu, first);
}


static bool bit_get(const struct vgic_irq *irq, enum bitreg r)
{
    switch (r) {
    case IGROUPR: return irq->group1;
    case ISENABLER:
    case ICENABLER: return irq->enabled;
    case ISPENDR:
    case ICPENDR: return irq_pending(irq);
    default: return irq->active;
    }
}

/* Apply bit `set` written to register `r` for `intid`; only IGROUPR acts on 0s. */
static void bit_put(struct vgic *g, struct vgic_irq *irq, uint32_t intid, enum bitreg r, bool set)
{
    if (r == IGROUPR) {
        VGIC_SET(g, irq->group1, set);
        return;
    }
    if (!set)
        return;
    switch (r) {
    case ISENABLER: VGIC_SET(g, irq->enabled, true); break;
    case ICENABLER: VGIC_SET(g, irq->enabled, false); break;
    case ISPENDR:
    case ICPENDR:
        /* GICv2 SGI pending state is per source and set through SPENDSGIR: these bits are RO. */
        if (g->version == SVMM_GIC_V2 && intid < VGIC_NR_SGIS)
            break;
        VGIC_SET(g, irq->latch, r == ISPENDR); /* clearing leaves a high level-triggered line pending */
        break;
    case ISACTIVER: VGIC_SET(g, irq->active, true); break;
    /* An interrupt still in an LR stays there (in_lr) until its maintenance event. */
    case ICACTIVER: VGIC_SET(g, irq->active, false); break;
    default: break;
    }
}

static uint32_t bits_read(struct vgic *g, const struct vgic_frame *f, enum bitreg r, uint32_t first)
{
    const struct vgic_irq *irq = frame_irqs(g, f, first);
    uint32_t v = 0;

    for (unsigned i = 0; irq != NULL && i < 32; i++)
        if (bit_get(&irq[i], r))
            v |= 1u << i;
    return v;
}

static void bits_write(struct vgic *g, const struct vgic_frame *f, enum bitreg r, uint32_t first, uint32_t val)
{
    struct vgic_irq *irq = frame_irqs(g, f, first);

    for (unsigned i = 0; irq != NULL && i < 32; i++)
        bit_put(g, &irq[i], first + i, r, (val >> i) & 1u);
}

static uint32_t prio_read(struct vgic *g, const struct vgic_frame *f, uint32_t first, unsigned size)
{
    const struct vgic_irq *irq = frame_irqs(g, f, first);
    uint32_t v = 0;

    for (unsigned i = 0; irq != NULL && i < size; i++)
        v |= (uint32_t)irq[i].priority << (8 * i);
    return v;
}

static void prio_write(struct vgic *g, const struct vgic_frame *f, uint32_t first, unsigned size, uint32_t val)
{
    struct vgic_irq *irq = frame_irqs(g, f, first);

    for (unsigned i = 0; irq != NULL && i < size; i++)
        VGIC_SET(g, irq[i].priority, (uint8_t)(val >> (8 * i)));
}

/* ICFGR: two bits per INTID, bit 1 = edge-triggered, bit 0 reserved. */
static uint32_t cfg_read(struct vgic *g, const struct vgic_frame *f, uint32_t first)
{
    const struct vgic_irq *irq = frame_irqs(g, f, first);
    uint32_t v = 0;

    for (unsigned i = 0; irq != NULL && i < 16; i++)
        if (irq[i].edge)
            v |= 2u << (2 * i);
    return v;
}

static void cfg_write(struct vgic *g, const struct vgic_frame *f, uint32_t first, uint32_t val)
{
    struct vgic_irq *irq = frame_irqs(g, f, first);

    /* SGIs are always edge-triggered; PPIs are programmable here, as Linux expects. */
    for (unsigned i = 0; irq != NULL && i < 16; i++)
        if (first + i >= VGIC_NR_SGIS)
            VGIC_SET(g, irq[i].edge, (bool)((val >> (2 * i + 1)) & 1u));
}

bool vgic_irqregs_read(struct vgic *g, const struct vgic_frame *f, uint64_t off, unsigned size, uint64_t *val)
{
    *val = 0;
    if (off >= BITS_BASE && off < BITS_END) {
        if (vgic_access_ok(g, f, off, size, VGIC_SZ4))
            *val = bits_read(g, f, (enum bitreg)((off - BITS_BASE) / BITS_STRIDE),
                             (uint32_t)((off - BITS_BASE) % BITS_STRIDE) * 8);
        return true;
    }
    if (off >= PRIO_BASE && off < PRIO_END) {
        if (vgic_access_ok(g, f, off, size, VGIC_SZ1 | VGIC_SZ4))
            *val = prio_read(g, f, (uint32_t)(off - PRIO_BASE), size);
        return true;
    }
    if (off >= CFG_BASE && off < CFG_END) {
        if (vgic_access_ok(g, f, off, size, VGIC_SZ4))
            *val = cfg_read(g, f, (uint32_t)(off - CFG_BASE) * 4);
        return true;
    }
    return false;
}

bool vgic_irqregs_write(struct vgic *g, const struct vgic_frame *f, uint64_t off, unsigned size, uint64_t val)
{
    if (off >= BITS_BASE && off < BITS_END) {
        if (vgic_access_ok(g, f, off, size, VGIC_SZ4))
            bits_write(g, f, (enum bitreg)((off - BITS_BASE) / BITS_STRIDE),
                       (uint32_t)((off - BITS_BASE) % BITS_STRIDE) * 8, (uint32_t)val);
        return true;
    }
    if (off >= PRIO_BASE && off < PRIO_END) {
        if (vgic_access_ok(g, f, off, size, VGIC_SZ1 | VGIC_SZ4))
            prio_write(g, f, (uint32_t)(off - PRIO_BASE), size, (uint32_t)val);
        return true;
    }
    if (off >= CFG_BASE && off < CFG_END) {
        if (vgic_access_ok(g, f, off, size, VGIC_SZ4))
            cfg_write(g, f, (uint32_t)(off - CFG_BASE) * 4, (uint32_t)val);
        return true;
    }
    return false;
}
