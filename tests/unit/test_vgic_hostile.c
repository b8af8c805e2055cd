/* SPDX-License-Identifier: BSD-2-Clause */
/* The virtual GIC against a hostile guest and a confused platform. */
#include <limits.h>
#include "test.h"
#include "vgic_fake.h"
#include "vgic_regs.h"

static unsigned warnings;

static void count_sink(enum svmm_log_level level, const char *line, unsigned len)
{
    (void)line; (void)len;
    warnings += level <= SVMM_LOG_WARN;
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s;
}

TEST(vgic_bad_sizes_and_alignment_are_raz_wi)
{
    static struct vgic g;

    warnings = 0;
    svmm_log_init(count_sink, SVMM_LOG_DEBUG);
    fake_init(&g, SVMM_GIC_V2, 2, 4);
    GICD_WR(&g, CTLR, 1);
    CHECK_EQ(gicd_read(&g, CTLR, 2), 0);
    CHECK_EQ(gicd_read(&g, CTLR, 1), 0);
    CHECK_EQ(gicd_read(&g, CTLR, 8), 0);
    CHECK_EQ(gicd_read(&g, CTLR, 3), 0);
    CHECK_EQ(gicd_read(&g, CTLR, 0), 0);
    CHECK_EQ(gicd_read(&g, CTLR, 64), 0);
    gicd_write(&g, CTLR, 1, 0);
    gicd_write(&g, CTLR, 8, 0);
    CHECK_EQ(GICD_RD(&g, CTLR), 1);

    GICD_WR(&g, ISENABLER + 4, BIT32(40));
    CHECK_EQ(gicd_read(&g, ISENABLER + 4, 8), 0);
    gicd_write(&g, ISENABLER + 5, 4, ~0ull); /* unaligned */
    gicd_write(&g, ISENABLER + 4, 2, ~0ull); /* halfword */
    gicd_write(&g, ICENABLER + 4, 1, ~0ull); /* byte */
    CHECK_EQ(GICD_RD(&g, ISENABLER + 4), BIT32(40));

    GICD_WR(&g, IPRIORITYR + 40, 0x44332211);
    gicd_write(&g, IPRIORITYR + 40, 2, 0xffff);  /* priorities take bytes and words only */
    gicd_write(&g, IPRIORITYR + 41, 4, ~0ull);   /* unaligned word */
    gicd_write(&g, IPRIORITYR + 40, 8, ~0ull);
    CHECK_EQ(GICD_RD(&g, IPRIORITYR + 40), 0x44332211);
    CHECK_EQ(gicd_read(&g, IPRIORITYR + 42, 4), 0);
    CHECK_EQ(gicd_read(&g, IPRIORITYR + 42, 2), 0);
    gicd_write(&g, ICFGR + 9, 4, ~0ull);
    CHECK_EQ(GICD_RD(&g, ICFGR + 8), 0);
    gicd_write(&g, ITARGETSR + 41, 2, ~0ull);
    CHECK_EQ(gicd_read(&g, ITARGETSR + 41, 1), 0x01);
    CHECK(warnings > 0 && warnings <= 4); /* logged, but a guest cannot flood the log */
    svmm_log_init(NULL, SVMM_LOG_INFO);
}

TEST(vgic_bad_offsets_and_read_only_registers)
{
    static struct vgic g;
    static const uint64_t reserved[] = { 0x0c, 0x10, 0x40, 0xd00, 0xe00, 0xf10, 0xf20, 0xfd0,
                                         IROUTER(40), 0x8000, 0xc000, 0xffd0, 0xfffc, 0x10000,
                                         0x7fffffff, UINT64_MAX - 3 };

    fake_init(&g, SVMM_GIC_V2, 2, 4);
    for (unsigned i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        gicd_write(&g, reserved[i], 4, ~0ull);
        CHECK_EQ(gicd_read(&g, reserved[i], 4), 0);
    }
    CHECK_EQ(GICD_RD(&g, CTLR), 0);
    CHECK_EQ(GICD_RD(&g, TYPER), 0x27);
    CHECK_EQ(fake.ninject, 0);

    fake_init(&g, SVMM_GIC_V3, 2, 4);
    gicr_write(&g, 0, 0x10000 + ISENABLER + 4, 4, ~0ull); /* ISENABLER1 is not in the SGI frame */
    gicr_write(&g, 0, 0x10000 + 0xd00, 4, ~0ull);         /* IGRPMODR0: RAZ/WI */
    CHECK_EQ(gicr_read(&g, 0, 0x10000 + 0xd00, 4), 0);
    gicr_write(&g, 0, 0x70, 8, ~0ull); /* PROPBASER: no LPIs */
    CHECK_EQ(gicr_read(&g, 0, 0x70, 8), 0);
    CHECK_EQ(vgic_redist_ops.read(&g, 0, UINT64_MAX - 7, 8), 0);
    vgic_redist_ops.write(&g, 0, UINT64_MAX - 7, 8, ~0ull);
    CHECK_EQ(GICD_RD(&g, ISENABLER + 4), 0);

    /* A GICv2 has no redistributors. */
    fake_init(&g, SVMM_GIC_V2, 2, 4);
    CHECK_EQ(gicr_read(&g, 0, PIDR2, 4), 0);
    gicr_write(&g, 0, 0x10000 + ISENABLER, 4, ~0ull);
    fake.as_vcpu = 0;
    CHECK_EQ(GICD_RD(&g, ISENABLER), 0);
}

TEST(vgic_bad_intids_vcpus_and_lrs_are_ignored)
{
    static struct vgic g;
    static const uint32_t bad[] = { VGIC_NR_IRQS, 1020, 1023, 5000, UINT32_MAX };

    fake_init(&g, SVMM_GIC_V3, 2, 4);
    GICD_WR(&g, CTLR, 0x13); /* ARE, both groups */
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vgic_set_level(&g, 0, bad[i], true);
        vgic_set_level(&g, 1, bad[i], false);
    }
    SGI_WR(&g, 1, ISENABLER, 0xffffffff);
    vgic_set_level(&g, 2, 27, true);        /* vCPU 2 does not exist */
    vgic_set_level(&g, UINT_MAX, 27, true);
    vgic_set_level(&g, 1, 3, true);         /* SGIs have no line */
    CHECK_EQ(fake.ninject, 0);
    CHECK_EQ(SGI_RD(&g, 1, ISPENDR), 0);

    vgic_set_level(&g, 1, 27, true);
    CHECK_EQ(fake_count(1, 27), 1);
    vgic_maintenance(&g, 2, 0);       /* bad vCPU */
    vgic_maintenance(&g, UINT_MAX, 0);
    vgic_maintenance(&g, 1, 4);       /* beyond num_lrs */
    vgic_maintenance(&g, 1, 16);
    vgic_maintenance(&g, 1, -7);
    vgic_maintenance(&g, 1, INT_MAX);
    vgic_maintenance(&g, 1, 1);       /* a free LR */
    vgic_maintenance(&g, 0, 0);
    CHECK_EQ(fake.neoi, 0);
    CHECK_EQ(SGI_RD(&g, 1, ISACTIVER), BIT32(27)); /* still in its LR */
    CHECK_EQ(fake.ninject, 1);
    vgic_sgi_v3(&g, 0, 0); /* an empty target list */
    CHECK_EQ(fake.ninject, 1);

    fake_init(&g, SVMM_GIC_V2, 2, 4);
    GICD_WR(&g, CTLR, 1);
    fake.as_vcpu = 1;
    GICD_WR(&g, ISENABLER, 0xffff);
    vgic_sgi_v3(&g, 0, 1ull << 40); /* no ICC_SGI1R_EL1 on a GICv2 */
    CHECK_EQ(fake.ninject, 0);
}

/* Random values of every size at every offset of both frames: no crash, no LR used twice. */
static void sweep(struct vgic *g, const struct svmm_mmio_ops *ops, uint64_t len, uint64_t seed)
{
    static const unsigned sizes[] = { 1, 2, 4, 8 };

    unsigned vcpu = 0;

    for (uint64_t off = 0; off < len; off += 2) {
        for (unsigned s = 0; s < 4; s++) {
            ops->write(g, vcpu, off, sizes[s], lcg(&seed));
            (void)ops->read(g, vcpu, off, sizes[s]);
        }
        vcpu = (unsigned)(lcg(&seed) % 12); /* vCPUs beyond ncpus too */
    }
}

TEST(vgic_register_sweep_keeps_invariants)
{
    static struct vgic g;

    for (unsigned v = SVMM_GIC_V2; v <= SVMM_GIC_V3; v++) {
        fake_init(&g, (enum svmm_gic_version)v, 4, 2);
        sweep(&g, &vgic_dist_ops, SVMM_GICD_SIZE, v);
        sweep(&g, &vgic_redist_ops, 5 * SVMM_GICR_SIZE_PER_CPU, v + 10);
        CHECK_EQ(fake.lr_in_use, 0);
        for (unsigned c = 0; c < 4; c++)
            CHECK(fake_used(c) <= 2);
        /* The identification registers survived. */
        CHECK_EQ(GICD_RD(&g, PIDR2), v == SVMM_GIC_V2 ? 0x2bu : 0x3bu);
        CHECK_EQ(GICD_RD(&g, TYPER) & 0x1f, 7);
        /* Everything delivered so far can still be retired and the vgic keeps working. */
        for (unsigned c = 0; c < 4; c++)
            for (unsigned lr = 0; lr < 2; lr++)
                if (fake.held[c][lr] != FAKE_NONE)
                    fake_eoi(c, fake.held[c][lr]);
        CHECK_EQ(fake.lr_in_use, 0);
    }
}
