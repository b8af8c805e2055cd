/* SPDX-License-Identifier: BSD-2-Clause */
/* The virtual GIC: GICv2 registers, and delivery semantics common to both versions. */
#include "test.h"
#include "vgic_fake.h"
#include "vgic_regs.h"

static bool dummy_inject(void *ctx, unsigned vcpu, unsigned lr, uint32_t intid, uint8_t prio, bool group1)
{
    (void)ctx; (void)vcpu; (void)lr; (void)intid; (void)prio; (void)group1;
    return true;
}

TEST(vgic_init_rejects_bad_arguments)
{
    static struct vgic g;
    const struct vgic_ops ok = { NULL, dummy_inject, NULL };
    const struct vgic_ops no_inject = { NULL, NULL, NULL };

    CHECK_EQ(vgic_init(&g, SVMM_GIC_V2, 9, 4, VGIC_NR_IRQS, &ok), -1); /* GICv2 targets only 8 CPUs */
    CHECK_EQ(vgic_init(&g, SVMM_GIC_V3, SVMM_MAX_VCPUS + 1, 4, VGIC_NR_IRQS, &ok), -1);
    CHECK_EQ(vgic_init(&g, SVMM_GIC_V3, 0, 4, VGIC_NR_IRQS, &ok), -1);
    CHECK_EQ(vgic_init(&g, SVMM_GIC_V3, 1, 0, VGIC_NR_IRQS, &ok), -1);
    CHECK_EQ(vgic_init(&g, SVMM_GIC_V3, 1, VGIC_MAX_LR + 1, VGIC_NR_IRQS, &ok), -1);
    CHECK_EQ(vgic_init(&g, (enum svmm_gic_version)4, 1, 4, VGIC_NR_IRQS, &ok), -1);
    CHECK_EQ(vgic_init(&g, SVMM_GIC_V3, 1, 4, VGIC_NR_IRQS, &no_inject), -1);
    CHECK_EQ(vgic_init(&g, SVMM_GIC_V3, 1, 4, VGIC_NR_IRQS, NULL), -1);
    CHECK_EQ(vgic_init(&g, SVMM_GIC_V3, SVMM_MAX_VCPUS, VGIC_MAX_LR, VGIC_NR_IRQS, &ok), 0);
    /* INTID counts: multiples of 32 from 32 to VGIC_NR_IRQS. */
    CHECK_EQ(vgic_init(&g, SVMM_GIC_V3, 1, 4, 0, &ok), -1);
    CHECK_EQ(vgic_init(&g, SVMM_GIC_V3, 1, 4, 16, &ok), -1);
    CHECK_EQ(vgic_init(&g, SVMM_GIC_V3, 1, 4, 80, &ok), -1);
    CHECK_EQ(vgic_init(&g, SVMM_GIC_V3, 1, 4, VGIC_NR_IRQS + 32, &ok), -1);
    CHECK_EQ(vgic_init(&g, SVMM_GIC_V3, 1, 4, 32, &ok), 0);
    CHECK_EQ(vgic_init(&g, SVMM_GIC_V2, 1, 4, 96, &ok), 0);
    CHECK_EQ(vgic_init(&g, SVMM_GIC_V2, 8, 1, VGIC_NR_IRQS, &ok), 0);
}

TEST(vgic_v2_id_registers_and_reset_values)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V2, 2, 4);
    CHECK_EQ(GICD_RD(&g, TYPER), 0x27); /* ITLinesNumber 7 (256 INTIDs), CPUNumber 1 */
    CHECK_EQ(GICD_RD(&g, IIDR), 0x5300043b);
    CHECK_EQ(GICD_RD(&g, PIDR2_V2), 0x2b); /* ArchRev 2, where GIC-400 has it */
    CHECK_EQ(GICD_RD(&g, PIDR2), 0x2b);
    CHECK_EQ(GICD_RD(&g, CTLR), 0);
    CHECK_EQ(GICD_RD(&g, IGROUPR + 4), 0);      /* group 0 */
    CHECK_EQ(GICD_RD(&g, ISENABLER + 4), 0);
    CHECK_EQ(GICD_RD(&g, ICFGR), 0xaaaaaaaa);   /* SGIs are edge-triggered */
    CHECK_EQ(GICD_RD(&g, ICFGR + 8), 0);        /* SPIs reset level-triggered */
    CHECK_EQ(GICD_RD(&g, ITARGETSR + 32), 0x01010101); /* SPIs reset to vCPU 0 */
    GICD_WR(&g, TYPER, 0);
    GICD_WR(&g, IIDR, 0);
    GICD_WR(&g, PIDR2_V2, 0);
    CHECK_EQ(GICD_RD(&g, TYPER), 0x27);
    CHECK_EQ(GICD_RD(&g, IIDR), 0x5300043b);
    CHECK_EQ(GICD_RD(&g, PIDR2_V2), 0x2b);
    GICD_WR(&g, CTLR, 0xffffffff);
    CHECK_EQ(GICD_RD(&g, CTLR), 3); /* EnableGrp0 | EnableGrp1, nothing else */
}

TEST(vgic_v2_set_clear_register_pairs)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V2, 1, 4);
    GICD_WR(&g, ISENABLER + 4, 0x21); /* INTIDs 32 and 37 */
    CHECK_EQ(GICD_RD(&g, ISENABLER + 4), 0x21);
    CHECK_EQ(GICD_RD(&g, ICENABLER + 4), 0x21);
    GICD_WR(&g, ICENABLER + 4, 0x1);
    GICD_WR(&g, ISENABLER + 4, 0); /* zeros change nothing */
    CHECK_EQ(GICD_RD(&g, ISENABLER + 4), 0x20);

    GICD_WR(&g, ISPENDR + 8, 0x80000001); /* INTIDs 64 and 95 */
    CHECK_EQ(GICD_RD(&g, ICPENDR + 8), 0x80000001);
    GICD_WR(&g, ICPENDR + 8, 0x1);
    CHECK_EQ(GICD_RD(&g, ISPENDR + 8), 0x80000000);

    GICD_WR(&g, ISACTIVER + 4, 0xc);
    CHECK_EQ(GICD_RD(&g, ICACTIVER + 4), 0xc);
    GICD_WR(&g, ICACTIVER + 4, 0x4);
    CHECK_EQ(GICD_RD(&g, ISACTIVER + 4), 0x8);

    GICD_WR(&g, IGROUPR + 4, 0xf0f0);
    GICD_WR(&g, IGROUPR + 4, 0x0ff0); /* IGROUPR is stored, not OR'd */
    CHECK_EQ(GICD_RD(&g, IGROUPR + 4), 0x0ff0);

    /* GICv2 SGI pending bits belong to SPENDSGIR: read-only here. PPI bits are writable. */
    GICD_WR(&g, ISPENDR, 0xffff | BIT32(27));
    CHECK_EQ(GICD_RD(&g, ISPENDR), BIT32(27));
    /* INTIDs beyond VGIC_NR_IRQS do not exist. */
    GICD_WR(&g, REG32(ISENABLER, VGIC_NR_IRQS), ~0u);
    CHECK_EQ(GICD_RD(&g, REG32(ISENABLER, VGIC_NR_IRQS)), 0);
    CHECK_EQ(fake.ninject, 0); /* the distributor is disabled throughout */
}

TEST(vgic_v2_priority_bytes_and_config)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V2, 1, 4);
    gicd_write(&g, IPRIORITYR + 41, 1, 0xa0);
    CHECK_EQ(GICD_RD(&g, IPRIORITYR + 40), 0x0000a000);
    GICD_WR(&g, IPRIORITYR + 40, 0x11223344);
    CHECK_EQ(gicd_read(&g, IPRIORITYR + 40, 1), 0x44);
    CHECK_EQ(gicd_read(&g, IPRIORITYR + 43, 1), 0x11);

    GICD_WR(&g, ICFGR, 0); /* SGIs stay edge */
    CHECK_EQ(GICD_RD(&g, ICFGR), 0xaaaaaaaa);
    GICD_WR(&g, ICFGR + 4, 3u << 22); /* PPI 27 edge; the reserved low bit is dropped */
    CHECK_EQ(GICD_RD(&g, ICFGR + 4), 2u << 22);
    GICD_WR(&g, ICFGR + 8, 0xaaaaaaaa);
    CHECK_EQ(GICD_RD(&g, ICFGR + 8), 0xaaaaaaaa);
    GICD_WR(&g, ICFGR + 8, 0x00000008); /* only INTID 33 edge */
    CHECK_EQ(GICD_RD(&g, ICFGR + 8), 0x00000008);
}

TEST(vgic_v2_private_registers_are_banked_per_vcpu)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V2, 2, 4);
    fake.as_vcpu = 1;
    GICD_WR(&g, ISENABLER, BIT32(27));
    gicd_write(&g, IPRIORITYR + 27, 1, 0x80);
    CHECK_EQ(GICD_RD(&g, ITARGETSR), 0x02020202); /* reads as the reader's own CPU */
    CHECK_EQ(GICD_RD(&g, ITARGETSR + 28), 0x02020202);
    GICD_WR(&g, ITARGETSR, 0x01010101); /* read-only */
    CHECK_EQ(GICD_RD(&g, ITARGETSR), 0x02020202);

    fake.as_vcpu = 0;
    CHECK_EQ(GICD_RD(&g, ISENABLER), 0);
    CHECK_EQ(gicd_read(&g, IPRIORITYR + 27, 1), 0);
    CHECK_EQ(GICD_RD(&g, ITARGETSR), 0x01010101);
    fake.as_vcpu = 1;
    CHECK_EQ(GICD_RD(&g, ISENABLER), BIT32(27));
    CHECK_EQ(gicd_read(&g, IPRIORITYR + 27, 1), 0x80);

    GICD_WR(&g, CTLR, 1);
    vgic_set_level(&g, 1, 27, true);
    vgic_set_level(&g, 0, 27, true); /* vCPU 0's PPI 27 is disabled */
    CHECK_EQ(fake_count(1, 27), 1);
    CHECK_EQ(fake.ninject, 1);
    CHECK_EQ(fake.log[0].priority, 0x80);

    /* A vCPU that does not exist sees (and changes) no banked state. */
    fake.as_vcpu = 7;
    CHECK_EQ(GICD_RD(&g, ISENABLER), 0);
    CHECK_EQ(GICD_RD(&g, ITARGETSR), 0);
    GICD_WR(&g, ICENABLER, ~0u);
    GICD_WR(&g, SGIR, 2u << 24 | 1); /* "self" from a nonexistent sender */
    fake.as_vcpu = 1;
    CHECK_EQ(GICD_RD(&g, ISENABLER), BIT32(27));
    CHECK_EQ(fake.ninject, 1);
}

TEST(vgic_v2_itargetsr_routes_spi_to_vcpu1)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V2, 2, 4);
    CHECK_EQ(gicd_read(&g, ITARGETSR + 40, 1), 0x01);
    gicd_write(&g, ITARGETSR + 40, 1, 0xfe); /* CPUs 1..7, of which only 1 exists */
    CHECK_EQ(gicd_read(&g, ITARGETSR + 40, 1), 0x02);
    GICD_WR(&g, CTLR, 1);
    gicd_enable_irq(&g, 40, 0xa0);
    vgic_set_level(&g, 0, 40, true); /* the vCPU argument is ignored for SPIs */
    CHECK_EQ(fake_count(1, 40), 1);
    CHECK_EQ(fake_count(0, 40), 0);
    CHECK_EQ(fake.log[0].priority, 0xa0);
    CHECK(!fake.log[0].group1);

    gicd_write(&g, ITARGETSR + 41, 1, 0); /* targets nobody: stays pending */
    gicd_enable_irq(&g, 41, 0);
    vgic_set_level(&g, 0, 41, true);
    CHECK_EQ(fake.ninject, 1);
    CHECK_EQ(GICD_RD(&g, REG32(ISPENDR, 41)) & BIT32(41), BIT32(41));
    gicd_write(&g, ITARGETSR + 41, 1, 0x01); /* retargeting delivers it */
    CHECK_EQ(fake_count(0, 41), 1);
}

TEST(vgic_v2_sgir_filter_modes)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V2, 3, 4);
    for (unsigned c = 0; c < 3; c++) {
        fake.as_vcpu = c;
        GICD_WR(&g, ISENABLER, 0xffff);
    }
    GICD_WR(&g, CTLR, 1);
    fake.as_vcpu = 0;
    GICD_WR(&g, SGIR, 0u << 24 | 0x04u << 16 | 3); /* target list: CPU 2 */
    CHECK_EQ(fake_count(2, 3), 1);
    CHECK_EQ(fake.ninject, 1);
    GICD_WR(&g, SGIR, 1u << 24 | 0x01u << 16 | 5); /* all but self; the list is ignored */
    CHECK_EQ(fake_count(1, 5), 1);
    CHECK_EQ(fake_count(2, 5), 1);
    CHECK_EQ(fake_count(0, 5), 0);
    fake.as_vcpu = 1;
    GICD_WR(&g, SGIR, 2u << 24 | 0xffu << 16 | 7); /* self only */
    CHECK_EQ(fake_count(1, 7), 1);
    CHECK_EQ(fake.ninject, 4);
    GICD_WR(&g, SGIR, 3u << 24 | 0xffu << 16 | 8); /* reserved filter */
    GICD_WR(&g, SGIR, 0xf8u << 16 | 9);            /* only nonexistent CPUs 3..7 */
    CHECK_EQ(fake.ninject, 4);
    CHECK_EQ(GICD_RD(&g, SGIR), 0); /* write-only */
    CHECK_EQ(fake.log[0].intid, 3);
    CHECK_EQ(fake.log[0].vcpu, 2);
}

TEST(vgic_level_irq_reinjected_only_while_line_high)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V2, 1, 4);
    GICD_WR(&g, CTLR, 1);
    gicd_enable_irq(&g, 48, 0x80);
    vgic_set_level(&g, 0, 48, true);
    CHECK_EQ(fake_count(0, 48), 1);
    CHECK_EQ(GICD_RD(&g, REG32(ISACTIVER, 48)), BIT32(48));
    fake_eoi(0, 48);
    CHECK_EQ(fake.neoi, 1);
    CHECK_EQ(fake.eoi_intid, 48);
    CHECK_EQ(fake_count(0, 48), 2); /* the line is still high */
    vgic_set_level(&g, 0, 48, false);
    fake_eoi(0, 48);
    CHECK_EQ(fake.neoi, 2);
    CHECK_EQ(fake_count(0, 48), 2);
    CHECK_EQ(GICD_RD(&g, REG32(ISACTIVER, 48)), 0);
    CHECK_EQ(GICD_RD(&g, REG32(ISPENDR, 48)), 0);
    CHECK_EQ(fake_used(0), 0);
    CHECK_EQ(fake.lr_in_use, 0);
}

TEST(vgic_edge_irq_latches_one_edge_while_in_lr)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V2, 1, 4);
    GICD_WR(&g, CTLR, 1);
    GICD_WR(&g, ICFGR + 12, 2u << 2); /* INTID 49 edge-triggered */
    gicd_enable_irq(&g, 49, 0);
    vgic_set_level(&g, 0, 49, true);
    CHECK_EQ(fake_count(0, 49), 1);
    for (int i = 0; i < 3; i++) { /* three more edges while it sits in the LR */
        vgic_set_level(&g, 0, 49, false);
        vgic_set_level(&g, 0, 49, true);
    }
    vgic_set_level(&g, 0, 49, false);
    CHECK_EQ(fake_count(0, 49), 1);
    CHECK_EQ(GICD_RD(&g, REG32(ISPENDR, 49)), BIT32(49)); /* active and pending */
    fake_eoi(0, 49);
    CHECK_EQ(fake_count(0, 49), 2); /* the edges collapse into one */
    fake_eoi(0, 49);
    CHECK_EQ(fake_count(0, 49), 2);
    CHECK_EQ(GICD_RD(&g, REG32(ISPENDR, 49)), 0);
    vgic_set_level(&g, 0, 49, true);
    fake_eoi(0, 49); /* a line held high does not re-pend an edge-triggered interrupt */
    CHECK_EQ(fake_count(0, 49), 3);
    vgic_set_level(&g, 0, 49, false); /* nor does a falling edge */
    CHECK_EQ(fake_count(0, 49), 3);
    CHECK_EQ(GICD_RD(&g, REG32(ISPENDR, 49)), 0);
    CHECK_EQ(fake_used(0), 0);
}

TEST(vgic_lr_exhaustion_delivers_by_priority_as_lrs_free)
{
    static struct vgic g;
    static const uint8_t prio[5] = { 0x80, 0x20, 0xa0, 0x40, 0x20 }; /* INTIDs 40..44 */

    fake_init(&g, SVMM_GIC_V2, 1, 2);
    GICD_WR(&g, CTLR, 1);
    for (uint32_t i = 0; i < 5; i++)
        gicd_enable_irq(&g, 40 + i, prio[i]);
    GICD_WR(&g, ISPENDR + 4, 0x1fu << 8); /* all five pending at once, two LRs */
    CHECK_EQ(fake.ninject, 2);
    CHECK_EQ(fake_nth(0), 41); /* 0x20, lower INTID first */
    CHECK_EQ(fake_nth(1), 44); /* 0x20 */
    fake_eoi(0, 44);
    CHECK_EQ(fake_nth(2), 43); /* 0x40 */
    fake_eoi(0, 41);
    CHECK_EQ(fake_nth(3), 40); /* 0x80 */
    fake_eoi(0, 43);
    CHECK_EQ(fake_nth(4), 42); /* 0xa0 */
    fake_eoi(0, 40);
    fake_eoi(0, 42);
    CHECK_EQ(fake.ninject, 5);
    CHECK_EQ(fake_used(0), 0);
    CHECK_EQ(fake.lr_in_use, 0);
}

TEST(vgic_refused_injection_stays_pending)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V2, 1, 4);
    GICD_WR(&g, CTLR, 1);
    gicd_enable_irq(&g, 50, 0);
    fake.refuse = true;
    vgic_set_level(&g, 0, 50, true);
    CHECK_EQ(fake.ninject, 0);
    CHECK(fake.nrefused >= 1 && fake.nrefused <= 4); /* at most one try per free LR */
    CHECK_EQ(GICD_RD(&g, REG32(ISPENDR, 50)), BIT32(50));
    CHECK_EQ(GICD_RD(&g, REG32(ISACTIVER, 50)), 0);
    fake.refuse = false;
    vgic_maintenance(&g, 0, -1); /* unknown LR: only refills */
    CHECK_EQ(fake_count(0, 50), 1);
    CHECK_EQ(fake.neoi, 0);
}

TEST(vgic_disabled_distributor_or_group_blocks_delivery)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V2, 1, 4);
    gicd_enable_irq(&g, 60, 0);
    vgic_set_level(&g, 0, 60, true);
    CHECK_EQ(fake.ninject, 0); /* distributor disabled */
    GICD_WR(&g, REG32(IGROUPR, 60), BIT32(60));
    GICD_WR(&g, CTLR, 1); /* group 0 only */
    CHECK_EQ(fake.ninject, 0);
    GICD_WR(&g, CTLR, 2); /* group 1 */
    CHECK_EQ(fake_count(0, 60), 1);
    CHECK(fake.log[0].group1);

    GICD_WR(&g, REG32(IGROUPR, 61), BIT32(60) | BIT32(61));
    vgic_set_level(&g, 0, 61, true); /* pending but disabled */
    CHECK_EQ(fake.ninject, 1);
    GICD_WR(&g, REG32(ISENABLER, 61), BIT32(61));
    CHECK_EQ(fake_count(0, 61), 1);
    /* A guest-set active state holds an interrupt back until it is cleared. */
    GICD_WR(&g, REG32(ISACTIVER, 62), BIT32(62));
    GICD_WR(&g, REG32(IGROUPR, 62), BIT32(60) | BIT32(61) | BIT32(62));
    gicd_enable_irq(&g, 62, 0);
    vgic_set_level(&g, 0, 62, true);
    CHECK_EQ(fake_count(0, 62), 0);
    GICD_WR(&g, REG32(ICACTIVER, 62), BIT32(62));
    CHECK_EQ(fake_count(0, 62), 1);
}

TEST(vgic_interrupt_storm_keeps_state_bounded)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V2, 1, 1);
    GICD_WR(&g, CTLR, 1);
    GICD_WR(&g, ICFGR + 8, 2u << 2); /* INTID 33 edge; 32 and 34 level */
    gicd_enable_irq(&g, 32, 0x00);
    gicd_enable_irq(&g, 33, 0x10);
    gicd_enable_irq(&g, 34, 0x20);
    vgic_set_level(&g, 0, 32, true); /* takes the only LR */
    for (unsigned i = 0; i < 20000; i++) {
        vgic_set_level(&g, 0, 33, i & 1);
        vgic_set_level(&g, 0, 34, i & 1);
        GICD_WR(&g, ISPENDR + 4, BIT32(35)); /* a software-pended, disabled one */
    }
    CHECK_EQ(fake.ninject, 1);
    CHECK_EQ(fake.lr_in_use, 0);
    vgic_set_level(&g, 0, 32, false);
    fake_eoi(0, 32);
    CHECK_EQ(fake_nth(1), 33);
    fake_eoi(0, 33);
    CHECK_EQ(fake_nth(2), 34); /* its line ended high */
    vgic_set_level(&g, 0, 34, false);
    fake_eoi(0, 34);
    CHECK_EQ(fake.ninject, 3);
    CHECK_EQ(fake_used(0), 0);
    CHECK_EQ(GICD_RD(&g, ISPENDR + 4), BIT32(35));
}

/* What Linux 6.1's irq-gic.c does at boot (gic_dist_init, gic_cpu_init), then an IPI and an SPI. */
TEST(vgic_v2_linux_boot_sequence)
{
    static struct vgic g;
    uint32_t typer, nirqs, mask = 0, cpumask;

    fake_init(&g, SVMM_GIC_V2, 2, 4);
    fake.as_vcpu = 0;
    GICD_WR(&g, CTLR, 0);
    typer = GICD_RD(&g, TYPER);
    nirqs = ((typer & 0x1f) + 1) * 32;
    CHECK_EQ(nirqs, VGIC_NR_IRQS); /* fake_init implements all of them */
    CHECK_EQ(((typer >> 5) & 7) + 1, 2);
    for (uint32_t i = 0; i < 32; i += 4) { /* gic_get_cpumask */
        mask = GICD_RD(&g, ITARGETSR + i);
        mask |= mask >> 16;
        mask |= mask >> 8;
        if (mask)
            break;
    }
    CHECK_EQ(mask & 0xff, 0x01);
    cpumask = mask | mask << 8;
    cpumask |= cpumask << 16;
    for (uint32_t i = 32; i < nirqs; i += 4)
        GICD_WR(&g, ITARGETSR + i, cpumask);
    for (uint32_t i = 32; i < nirqs; i += 16) /* gic_dist_config */
        GICD_WR(&g, ICFGR + i / 4, 0);
    for (uint32_t i = 32; i < nirqs; i += 4)
        GICD_WR(&g, IPRIORITYR + i, 0xa0a0a0a0);
    for (uint32_t i = 32; i < nirqs; i += 32) {
        GICD_WR(&g, ICACTIVER + i / 8, ~0u);
        GICD_WR(&g, ICENABLER + i / 8, ~0u);
    }
    GICD_WR(&g, CTLR, 1);
    for (unsigned c = 0; c < 2; c++) { /* gic_cpu_init on each CPU */
        uint32_t cfg;

        fake.as_vcpu = c;
        CHECK_EQ(GICD_RD(&g, ITARGETSR) & 0xff, 1u << c);
        GICD_WR(&g, ICACTIVER, ~0u);
        GICD_WR(&g, ICENABLER, ~0u);
        for (uint32_t i = 0; i < 32; i += 4)
            GICD_WR(&g, IPRIORITYR + i, 0xa0a0a0a0);
        GICD_WR(&g, ISENABLER, 0xffff);
        cfg = GICD_RD(&g, ICFGR + 4) & ~(2u << 22); /* gic_configure_irq: timer PPI 27 level */
        GICD_WR(&g, ICFGR + 4, cfg);
        CHECK_EQ(GICD_RD(&g, ICFGR + 4), cfg);
        GICD_WR(&g, ISENABLER, BIT32(27));
    }
    CHECK_EQ(fake.ninject, 0);
    fake.as_vcpu = 0;
    GICD_WR(&g, SGIR, 0x02u << 16 | 1); /* gic_ipi_send_mask: SGI 1 to CPU 1 */
    CHECK_EQ(fake_count(1, 1), 1);
    gicd_write(&g, ITARGETSR + 33, 1, 0x02); /* gic_set_affinity: UART SPI to CPU 1 */
    GICD_WR(&g, REG32(ISENABLER, 33), BIT32(33));
    vgic_set_level(&g, 0, 33, true);
    CHECK_EQ(fake_count(1, 33), 1);
    vgic_set_level(&g, 0, 27, true);
    CHECK_EQ(fake_count(0, 27), 1);
    CHECK_EQ(fake.log[2].priority, 0xa0);
    CHECK(!fake.log[2].group1);
    CHECK_EQ(fake.lr_in_use, 0);
}

TEST(vgic_nr_irqs_for_covers_the_highest_spi)
{
    CHECK_EQ(vgic_nr_irqs_for(0), 64);  /* SPI 0 = INTID 32 */
    CHECK_EQ(vgic_nr_irqs_for(31), 64); /* INTID 63 */
    CHECK_EQ(vgic_nr_irqs_for(32), 96);
    CHECK_EQ(vgic_nr_irqs_for(VGIC_NR_SPIS - 1), VGIC_NR_IRQS);
    CHECK_EQ(vgic_nr_irqs_for(VGIC_NR_SPIS), 0); /* beyond what the model holds */
    CHECK_EQ(vgic_nr_irqs_for(UINT32_MAX), 0);
}

/* A distributor sized to 64 INTIDs says so and treats every INTID above as absent. */
TEST(vgic_sized_distributor_hides_absent_intids)
{
    static struct vgic g;

    fake_init_irqs(&g, SVMM_GIC_V2, 1, 4, 64);
    fake.as_vcpu = 0;
    CHECK_EQ(GICD_RD(&g, TYPER) & 0x1f, 1); /* ITLinesNumber: 32 * (1 + 1) INTIDs */
    GICD_WR(&g, CTLR, 1);
    GICD_WR(&g, REG32(ISENABLER, 32), ~0u);
    GICD_WR(&g, REG32(ISENABLER, 64), ~0u);
    CHECK_EQ(GICD_RD(&g, REG32(ISENABLER, 32)), ~0u);
    CHECK_EQ(GICD_RD(&g, REG32(ISENABLER, 64)), 0);
    GICD_WR(&g, ITARGETSR + 64, 0x01010101);
    CHECK_EQ(GICD_RD(&g, ITARGETSR + 64), 0);
    GICD_WR(&g, IPRIORITYR + 64, 0x80808080);
    CHECK_EQ(GICD_RD(&g, IPRIORITYR + 64), 0);
    vgic_set_level(&g, 0, 64, true); /* no such line */
    CHECK_EQ(fake.ninject, 0);
    vgic_set_level(&g, 0, 63, true);
    CHECK_EQ(fake.ninject, 1);
    CHECK(fake_holds(0, 63));
}

/* Register writes that change nothing do not rescan; the next change delivers what is pending. */
TEST(vgic_unchanged_write_does_not_flush)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V2, 1, 4);
    GICD_WR(&g, CTLR, 1);
    gicd_enable_irq(&g, 40, 0);
    fake.refuse = true; /* the kernel refuses the LR: 40 stays pending in the model */
    vgic_set_level(&g, 0, 40, true);
    CHECK(fake.nrefused > 0);
    fake.refuse = false;
    GICD_WR(&g, REG32(ISENABLER, 40), BIT32(40 % 32)); /* already enabled */
    GICD_WR(&g, REG32(ISENABLER, 40), 0);
    GICD_WR(&g, CTLR, 1);
    CHECK_EQ(fake.ninject, 0);
    gicd_enable_irq(&g, 41, 0); /* a change: the rescan finds 40 */
    CHECK_EQ(fake.ninject, 1);
    CHECK(fake_holds(0, 40));
}

/* CPU_ON after CPU_OFF: what the old run left in the vCPU's LRs is dropped; a high line comes back. */
TEST(vgic_reset_vcpu_frees_its_list_registers)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V2, 2, 4);
    GICD_WR(&g, CTLR, 1);
    gicd_enable_irq(&g, 40, 0);
    gicd_enable_irq(&g, 41, 0);
    GICD_WR(&g, ITARGETSR + 40, 0x0202); /* SPIs 40, 41 to vCPU 1 */
    fake.as_vcpu = 1;
    gicd_enable_irq(&g, 27, 0);
    vgic_set_level(&g, 1, 27, true);
    vgic_set_level(&g, 0, 40, true); /* level, stays high */
    vgic_set_level(&g, 0, 41, true);
    vgic_set_level(&g, 0, 41, false); /* went away while in the LR */
    CHECK(fake_holds(1, 27) && fake_holds(1, 40) && fake_holds(1, 41));
    memset(fake.held[1], 0xff, sizeof(fake.held[1])); /* the kernel's LRs of the new run are empty */
    fake.ninject = 0;
    vgic_reset_vcpu(&g, 1);
    CHECK_EQ(fake.ninject, 1); /* only line 40, still high, is delivered again */
    CHECK(fake_holds(1, 40));
    CHECK_EQ(GICD_RD(&g, REG32(ISENABLER, 27)), 0); /* vCPU 1's PPIs are back to reset */
    vgic_reset_vcpu(&g, 7);                          /* no such vCPU: ignored */
}

TEST(vgic_reset_returns_everything_to_power_on)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V2, 2, 4);
    GICD_WR(&g, CTLR, 1);
    gicd_enable_irq(&g, 40, 0);
    vgic_set_level(&g, 0, 40, true);
    CHECK(fake_holds(0, 40));
    vgic_reset(&g);
    CHECK_EQ(GICD_RD(&g, CTLR), 0);
    CHECK_EQ(GICD_RD(&g, REG32(ISENABLER, 40)), 0);
    CHECK(!vgic_vcpu_has_work(&g, 0)); /* its LRs are free in the model */
    CHECK_EQ(g.ncpus, 2);              /* same geometry and callbacks */
    memset(fake.held[0], 0xff, sizeof(fake.held[0]));
    fake.ninject = 0;
    GICD_WR(&g, CTLR, 1);
    gicd_enable_irq(&g, 41, 0);
    vgic_set_level(&g, 0, 41, true); /* a new run's interrupt goes out through the same inject callback */
    CHECK_EQ(fake.ninject, 1);
    CHECK(fake_holds(0, 41));
}

/* What tells the seL4 VMM whether a vCPU at WFI may sleep: an LR in use or a deliverable interrupt waiting. */
TEST(vgic_vcpu_has_work_sees_lrs_and_waiting_interrupts)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V2, 2, 1);
    CHECK(!vgic_vcpu_has_work(&g, 0) && !vgic_vcpu_has_work(&g, 1));
    gicd_enable_irq(&g, 40, 0x80);
    gicd_enable_irq(&g, 41, 0x80);
    vgic_set_level(&g, 0, 40, true); /* distributor off: pending, not deliverable */
    CHECK(!vgic_vcpu_has_work(&g, 0));
    GICD_WR(&g, CTLR, 1);
    CHECK(fake_holds(0, 40));
    CHECK(vgic_vcpu_has_work(&g, 0));  /* in its LR */
    CHECK(!vgic_vcpu_has_work(&g, 1)); /* SPIs go to vCPU 0 */
    vgic_set_level(&g, 0, 41, true);   /* no LR left: waits in the model */
    vgic_set_level(&g, 0, 40, false);
    fake_eoi(0, 40);
    CHECK(fake_holds(0, 41));
    CHECK(vgic_vcpu_has_work(&g, 0));
    vgic_set_level(&g, 0, 41, false);
    fake_eoi(0, 41);
    CHECK(!vgic_vcpu_has_work(&g, 0));
    fake.refuse = true; /* the kernel refuses every LR: still work to do */
    vgic_set_level(&g, 0, 40, true);
    CHECK_EQ(fake_used(0), 0);
    CHECK(vgic_vcpu_has_work(&g, 0));
    CHECK(!vgic_vcpu_has_work(&g, 9)); /* no such vCPU */
}
