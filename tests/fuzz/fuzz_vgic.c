/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz the virtual GIC (src/arch/aarch64/vgic*.c): the distributor and redistributor frames the
 * guest programs through trapped MMIO, device lines, EOI maintenance and ICC_SGI1R_EL1 writes.
 *
 * Input: a header (version, vCPU count, list registers, INTIDs, which injections the "kernel" refuses),
 * then operations (see run_op). The harness keeps its own copy of the list registers, filled by
 * the inject callback and emptied by the maintenance events it sends, and checks:
 *   - vgic_init accepts exactly the documented argument ranges;
 *   - inject targets an existing vCPU and LR that is free, with an enabled interrupt of an enabled
 *     group, pending, the priority the guest programmed, and for SPIs routed to that vCPU;
 *   - an interrupt is in at most one LR (an SPI across all vCPUs), and the vgic's LR shadow and
 *     in_lr flags agree with the harness's copy;
 *   - eoi reports exactly the INTID that left the LR;
 *   - state of vCPUs beyond ncpus and LRs beyond num_lrs is never touched.
 */
#include <svmm/arch.h>
#include <svmm/vgic.h>
#include "fuzz.h"

#define MAX_OPS 64
#define FREE_LR UINT32_MAX

struct state {
    struct vgic g;
    uint32_t lr[SVMM_MAX_VCPUS][VGIC_MAX_LR]; /* what the harness's "kernel" holds */
    uint32_t refuse;                           /* bit i: refuse the i-th inject (mod 32) */
    unsigned injects;
    bool eoi_lowers_line;                      /* eoi callback lowers the line (re-entrant set_level) */
    int expect_eoi_vcpu;                       /* the eoi a maintenance event must produce, or -1 */
    uint32_t expect_eoi_intid;
    bool in_eoi;
    unsigned as_vcpu;                          /* the vCPU the GICD accesses come from (op 4) */
};

static struct state st;
static struct vgic_cpu reset_cpu; /* a vCPU's state right after init, for untouched-state checks */

static void log_sink(enum svmm_log_level level, const char *line, unsigned len)
{
    (void)level;
    FUZZ_CHECK(strlen(line) == len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    svmm_log_init(log_sink, SVMM_LOG_DEBUG);
    return 0;
}

static const struct vgic_irq *irq_of(unsigned vcpu, uint32_t intid)
{
    return intid < VGIC_NR_PRIVATE ? &st.g.cpu[vcpu].priv[intid] : &st.g.spi[intid - VGIC_NR_PRIVATE];
}

static bool routed_to(const struct vgic_irq *irq, unsigned vcpu)
{
    if (st.g.version == SVMM_GIC_V2)
        return (irq->targets >> vcpu) & 1;
    return (irq->route & (1ull << 31)) || (irq->route & 0xff00ffffffull) == svmm_arch_vcpu_affinity(vcpu);
}

static bool inject(void *ctx, unsigned vcpu, unsigned lr, uint32_t intid, uint8_t priority, bool group1)
{
    const struct vgic_irq *irq;

    FUZZ_CHECK(ctx == &st);
    FUZZ_CHECK(vcpu < st.g.ncpus && lr < st.g.num_lrs && intid < st.g.nr_irqs);
    FUZZ_CHECK(st.lr[vcpu][lr] == FREE_LR);
    irq = irq_of(vcpu, intid);
    FUZZ_CHECK(irq->enabled && !irq->in_lr && !irq->active);
    FUZZ_CHECK(irq->latch || (!irq->edge && irq->line));
    FUZZ_CHECK(st.g.ctlr & (group1 ? 2u : 1u));
    FUZZ_CHECK(irq->group1 == group1 && irq->priority == priority);
    if (intid >= VGIC_NR_PRIVATE)
        FUZZ_CHECK(routed_to(irq, vcpu));
    /* Not already held anywhere: private ones per vCPU, SPIs across all vCPUs. */
    for (unsigned c = 0; c < st.g.ncpus; c++)
        for (unsigned l = 0; l < st.g.num_lrs; l++)
            if (c == vcpu || intid >= VGIC_NR_PRIVATE)
                FUZZ_CHECK(st.lr[c][l] != intid);
    if ((st.refuse >> (st.injects++ % 32)) & 1)
        return false;
    st.lr[vcpu][lr] = intid;
    return true;
}

static void eoi(void *ctx, unsigned vcpu, uint32_t intid)
{
    FUZZ_CHECK(ctx == &st && !st.in_eoi);
    FUZZ_CHECK((int)vcpu == st.expect_eoi_vcpu && intid == st.expect_eoi_intid);
    st.expect_eoi_vcpu = -1;
    if (st.eoi_lowers_line) { /* allowed by the vgic_ops contract */
        st.in_eoi = true;
        vgic_set_level(&st.g, vcpu, intid, false);
        st.in_eoi = false;
    }
}

static void check_state(void)
{
    const struct vgic *g = &st.g;

    for (unsigned c = 0; c < SVMM_MAX_VCPUS; c++) {
        for (unsigned l = 0; l < VGIC_MAX_LR; l++) {
            if (c >= g->ncpus || l >= g->num_lrs) {
                FUZZ_CHECK(g->cpu[c].lr[l] == FREE_LR);
                continue;
            }
            FUZZ_CHECK(g->cpu[c].lr[l] == st.lr[c][l]);
            if (st.lr[c][l] != FREE_LR)
                FUZZ_CHECK(irq_of(c, st.lr[c][l])->in_lr);
        }
    }
    /* Every in_lr interrupt is in some LR. */
    for (unsigned c = 0; c < g->ncpus; c++) {
        for (uint32_t i = 0; i < VGIC_NR_IRQS; i++) {
            unsigned held = 0;
            if (i >= VGIC_NR_PRIVATE && c > 0)
                break;
            if (!irq_of(c, i)->in_lr)
                continue;
            for (unsigned c2 = 0; c2 < g->ncpus; c2++)
                for (unsigned l = 0; l < g->num_lrs; l++)
                    held += st.lr[c2][l] == i && (c2 == c || i >= VGIC_NR_PRIVATE);
            FUZZ_CHECK(held == 1);
        }
    }
}

static const unsigned sizes[] = { 4, 4, 4, 1, 8, 2, 4, 8 };

static void maintenance(unsigned vcpu, int lr)
{
    const struct vgic *g = &st.g;

    st.expect_eoi_vcpu = -1;
    if (vcpu < g->ncpus && lr >= 0 && (unsigned)lr < g->num_lrs && st.lr[vcpu][lr] != FREE_LR) {
        if (g->ops.eoi != NULL) {
            st.expect_eoi_vcpu = (int)vcpu;
            st.expect_eoi_intid = st.lr[vcpu][lr];
        }
        st.lr[vcpu][lr] = FREE_LR;
    }
    vgic_maintenance(&st.g, vcpu, lr);
    FUZZ_CHECK(st.expect_eoi_vcpu == -1); /* the eoi callback came */
}

/* Linux-like bring-up in one op: groups on, every interrupt enabled, all redistributors awake. */
static void bring_up(uint8_t b)
{
    struct vgic *g = &st.g;

    vgic_dist_ops.write(g, 0, 0x0000, 4, b & 3 ? b & 3 : 3);
    for (uint64_t off = 0x100; off < 0x120; off += 4)
        vgic_dist_ops.write(g, 0, off, 4, 0xffffffffu);
    for (uint64_t off = 0x080; off < 0x0a0; off += 4) /* IGROUPR: group per bit 2 */
        vgic_dist_ops.write(g, 0, off, 4, (b & 4) ? 0xffffffffu : 0);
    for (unsigned c = 0; c < g->ncpus; c++) {
        uint64_t base = (uint64_t)c * SVMM_GICR_SIZE_PER_CPU;
        vgic_redist_ops.write(g, 0, base + 0x14, 4, 0);
        vgic_redist_ops.write(g, 0, base + 0x10000 + 0x100, 4, 0xffffffffu);
        vgic_redist_ops.write(g, 0, base + 0x10000 + 0x080, 4, (b & 4) ? 0xffffffffu : 0);
        vgic_dist_ops.write(g, c, 0x100, 4, 0xffffffffu); /* v2: banked SGI/PPI enables */
    }
    if (g->version == SVMM_GIC_V2)
        for (uint64_t off = 0x820; off < 0x900; off += 4) /* ITARGETSR: spread SPIs */
            vgic_dist_ops.write(g, 0, off, 4, 0x01020408u * ((b >> 3) | 1));
}

static void run_op(struct fin *f)
{
    struct vgic *g = &st.g;
    uint8_t op = fin_u8(f);
    unsigned size = sizes[(op >> 4) & 7];

    switch (op & 15) {
    case 0: /* GICD read: any offset in the 64 KiB frame */
        (void)vgic_dist_ops.read(g, st.as_vcpu, fin_u16(f) & ~(uint64_t)(size - 1) & (SVMM_GICD_SIZE - size), size);
        break;
    case 1: { /* GICD write */
        uint64_t off = fin_u16(f);
        if (op & 0x80)
            off &= ~(uint64_t)(size - 1); /* mostly aligned */
        if (off > SVMM_GICD_SIZE - size)
            off = SVMM_GICD_SIZE - size;
        vgic_dist_ops.write(g, st.as_vcpu, off, size, fin_u64(f));
        break;
    }
    case 2: /* GICR read: up to 16 redistributors, beyond ncpus too */
        (void)vgic_redist_ops.read(g, 0, (fin_u32(f) % (SVMM_GICR_SIZE_PER_CPU * SVMM_MAX_VCPUS)) & ~(uint64_t)(size - 1),
                                   size);
        break;
    case 3: { /* GICR write */
        uint64_t off = fin_u32(f) % (SVMM_GICR_SIZE_PER_CPU * SVMM_MAX_VCPUS);
        if (op & 0x80)
            off &= ~(uint64_t)(size - 1);
        if (off > SVMM_GICR_SIZE_PER_CPU * SVMM_MAX_VCPUS - size)
            off = SVMM_GICR_SIZE_PER_CPU * SVMM_MAX_VCPUS - size;
        vgic_redist_ops.write(g, 0, off, size, fin_u64(f));
        break;
    }
    case 4: st.as_vcpu = fin_u8(f) % 20; break;
    case 5: { /* a device line: SPI or a PPI of some vCPU (anything, incl. SGIs and bad INTIDs) */
        unsigned vcpu = fin_u8(f) % 20;
        uint32_t intid = fin_u16(f) % 300;
        vgic_set_level(g, vcpu, intid, op & 0x80);
        break;
    }
    case 6: maintenance(fin_u8(f) % 20, (int)(int8_t)fin_u8(f) % 20); break;
    case 7: vgic_sgi_v3(g, fin_u8(f) % 20, fin_u64(f)); break;
    case 8: bring_up(fin_u8(f)); break;
    case 9: /* a 32-bit write to the shared per-INTID block of the GICD (enables, pending, priority, config) */
        vgic_dist_ops.write(g, 0, 0x080 + (fin_u16(f) % 0xc80 & ~3u), 4, fin_u32(f));
        break;
    case 10: st.refuse = fin_u32(f); break;
    case 11: st.eoi_lowers_line = (op & 0x80) && g->ops.eoi != NULL; break;
    case 13: { /* PSCI CPU_ON of a vCPU that ran before: its old LR contents are gone (overwritable) */
        unsigned c = fin_u8(f) % 20;
        if (c < SVMM_MAX_VCPUS)
            memset(st.lr[c], 0xff, sizeof(st.lr[c]));
        vgic_reset_vcpu(g, c);
        break;
    }
    default: /* GICv2 SGIR, the common v2 IPI path */
        vgic_dist_ops.write(g, 0, 0xf00, 4, fin_u32(f));
        break;
    }
    check_state();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fin f = fin_make(data, size);
    uint8_t h0 = fin_u8(&f);
    enum svmm_gic_version v = (h0 & 1) ? SVMM_GIC_V3 : SVMM_GIC_V2;
    unsigned ncpus = fin_u8(&f) % 18, num_lrs = fin_u8(&f) % 18;
    uint8_t nb = fin_u8(&f);
    uint32_t nr_irqs = (nb & 0x80) ? nb : ((nb & 7u) + 1) * 32; /* every valid size, and bad ones */
    const struct vgic_ops ops = { &st, inject, (h0 & 2) ? NULL : eoi };
    bool valid;
    int r;

    memset(&st, 0, sizeof(st));
    memset(st.lr, 0xff, sizeof(st.lr));
    st.expect_eoi_vcpu = -1;
    st.refuse = fin_u32(&f);
    if (h0 & 4)
        v = (enum svmm_gic_version)(h0 >> 3); /* sometimes a bogus version */
    valid = (v == SVMM_GIC_V2 || v == SVMM_GIC_V3) && ncpus >= 1 &&
            ncpus <= (v == SVMM_GIC_V2 ? VGIC_V2_MAX_CPUS : SVMM_MAX_VCPUS) && num_lrs >= 1 && num_lrs <= VGIC_MAX_LR &&
            nr_irqs >= 32 && nr_irqs <= VGIC_NR_IRQS && nr_irqs % 32 == 0;
    r = vgic_init(&st.g, v, ncpus, num_lrs, nr_irqs, &ops);
    FUZZ_CHECK((r == 0) == valid);
    if (r != 0)
        return 0;
    reset_cpu = st.g.cpu[SVMM_MAX_VCPUS - 1];
    for (unsigned i = 0; i < MAX_OPS && !fin_empty(&f); i++)
        run_op(&f);
    /* vCPUs that do not exist were never touched. */
    for (unsigned c = st.g.ncpus; c < SVMM_MAX_VCPUS; c++)
        FUZZ_CHECK(memcmp(&st.g.cpu[c], &reset_cpu, sizeof(reset_cpu)) == 0);
    return 0;
}
