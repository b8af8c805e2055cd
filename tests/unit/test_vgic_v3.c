/* SPDX-License-Identifier: BSD-2-Clause */
/* The virtual GIC as a GICv3: distributor with affinity routing, redistributors, ICC_SGI1R. */
#include <limits.h>
#include <svmm/aarch64.h>
#include "test.h"
#include "vgic_fake.h"
#include "vgic_regs.h"

#define TYPER_LAST 0x10u
#define WAKER_SLEEP 0x2u
#define WAKER_CHILDREN_ASLEEP 0x4u
#define CTLR_G0 0x1u
#define CTLR_G1 0x2u
#define CTLR_ARE 0x10u
#define CTLR_DS 0x40u

TEST(vgic_v3_distributor_id_and_ctlr)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V3, 2, 4);
    CHECK_EQ(GICD_RD(&g, TYPER), 7u | 9u << 19); /* 256 INTIDs, 10 ID bits, no LPIs */
    CHECK_EQ(GICD_RD(&g, PIDR2), 0x3b);          /* ArchRev 3 */
    CHECK_EQ(GICD_RD(&g, PIDR2_V2), 0);
    CHECK_EQ(GICD_RD(&g, IIDR), 0x5300043b);
    CHECK_EQ(GICD_RD(&g, CTLR), CTLR_ARE | CTLR_DS);
    GICD_WR(&g, CTLR, CTLR_ARE | CTLR_G1 | CTLR_G0); /* what Linux writes */
    CHECK_EQ(GICD_RD(&g, CTLR), CTLR_DS | CTLR_ARE | CTLR_G1 | CTLR_G0);
    GICD_WR(&g, CTLR, 0); /* ARE and DS are RAO/WI, RWP reads 0 */
    CHECK_EQ(GICD_RD(&g, CTLR), CTLR_ARE | CTLR_DS);
    GICD_WR(&g, TYPER, 0);
    GICD_WR(&g, IIDR, 0);
    GICD_WR(&g, PIDR2, 0);
    CHECK_EQ(GICD_RD(&g, TYPER), 7u | 9u << 19);
    CHECK_EQ(GICD_RD(&g, IIDR), 0x5300043b);
    CHECK_EQ(GICD_RD(&g, PIDR2), 0x3b);
    CHECK_EQ(GICD_RD(&g, IGROUPR + 4), ~0u); /* v3 resets to group 1 */
    CHECK_EQ(GICD_RD(&g, ICFGR + 8), 0);
}

TEST(vgic_v3_private_interrupts_are_raz_wi_in_gicd)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V3, 1, 4);
    GICD_WR(&g, ISENABLER, ~0u);
    GICD_WR(&g, ISPENDR, ~0u);
    GICD_WR(&g, IPRIORITYR, ~0u);
    GICD_WR(&g, ICFGR + 4, ~0u);
    CHECK_EQ(GICD_RD(&g, ISENABLER), 0);
    CHECK_EQ(GICD_RD(&g, IGROUPR), 0); /* the redistributor has them in group 1 */
    CHECK_EQ(GICD_RD(&g, ICFGR), 0);
    CHECK_EQ(SGI_RD(&g, 0, ISENABLER), 0);
    CHECK_EQ(SGI_RD(&g, 0, ISPENDR), 0);
    CHECK_EQ(SGI_RD(&g, 0, IPRIORITYR), 0);
    CHECK_EQ(SGI_RD(&g, 0, ICFGR + 4), 0);
    /* No ITARGETSR or SGIR with affinity routing; IROUTER < 32 is reserved. */
    GICD_WR(&g, ITARGETSR + 32, ~0u);
    CHECK_EQ(GICD_RD(&g, ITARGETSR + 32), 0);
    GICD_WR(&g, SGIR, 2u << 24 | 1);
    CHECK_EQ(SGI_RD(&g, 0, ISPENDR), 0);
    gicd_write(&g, IROUTER(5), 8, 1);
    CHECK_EQ(gicd_read(&g, IROUTER(5), 8), 0);
}

TEST(vgic_v3_redistributor_rd_frames)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V3, 3, 4);
    for (unsigned c = 0; c < 3; c++) {
        uint64_t typer = gicr_read(&g, c, GICR_TYPER, 8);

        CHECK_EQ(typer >> 32, c);            /* Affinity_Value: Aff0 = vCPU index */
        CHECK_EQ((typer >> 8) & 0xffff, c);  /* Processor_Number */
        CHECK_EQ(typer & TYPER_LAST, c == 2 ? TYPER_LAST : 0);
        CHECK_EQ(typer & 0xf8000003ull, 0);  /* 16 PPIs, no (v)LPIs */
        CHECK_EQ(GICR_RD(&g, c, PIDR2), 0x3b);
        CHECK_EQ(GICR_RD(&g, c, GICR_IIDR), 0x5300043b);
        CHECK_EQ(GICR_RD(&g, c, GICR_CTLR), 0);
        CHECK_EQ(GICR_RD(&g, c, GICR_WAKER), WAKER_SLEEP | WAKER_CHILDREN_ASLEEP);
    }
    CHECK_EQ(GICR_RD(&g, 2, GICR_TYPER), 2u << 8 | TYPER_LAST); /* 32-bit halves */
    CHECK_EQ(GICR_RD(&g, 2, GICR_TYPER + 4), 2);
    CHECK_EQ(gicr_read(&g, 2, GICR_TYPER + 4, 8), 0); /* unaligned */
    GICR_WR(&g, 1, GICR_TYPER, 0);
    CHECK_EQ(GICR_RD(&g, 1, GICR_TYPER), 1u << 8);

    GICR_WR(&g, 1, GICR_WAKER, 0); /* wake vCPU 1's redistributor */
    CHECK_EQ(GICR_RD(&g, 1, GICR_WAKER), 0);
    CHECK_EQ(GICR_RD(&g, 0, GICR_WAKER), WAKER_SLEEP | WAKER_CHILDREN_ASLEEP);
    GICR_WR(&g, 1, GICR_WAKER, WAKER_SLEEP);
    CHECK_EQ(GICR_RD(&g, 1, GICR_WAKER), WAKER_SLEEP | WAKER_CHILDREN_ASLEEP);

    /* Beyond the last vCPU there is nothing. */
    CHECK_EQ(gicr_read(&g, 3, GICR_TYPER, 8), 0);
    CHECK_EQ(GICR_RD(&g, 3, PIDR2), 0);
    CHECK_EQ(SGI_RD(&g, 3, ICFGR), 0);
}

TEST(vgic_v3_redistributor_sgi_frames)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V3, 2, 4);
    CHECK_EQ(SGI_RD(&g, 0, IGROUPR), ~0u);
    SGI_WR(&g, 0, IGROUPR, 0xffff0000);
    CHECK_EQ(SGI_RD(&g, 0, IGROUPR), 0xffff0000);
    CHECK_EQ(SGI_RD(&g, 1, IGROUPR), ~0u);

    SGI_WR(&g, 1, ISENABLER, BIT32(27));
    CHECK_EQ(SGI_RD(&g, 1, ISENABLER), BIT32(27));
    CHECK_EQ(SGI_RD(&g, 1, ICENABLER), BIT32(27));
    CHECK_EQ(SGI_RD(&g, 0, ISENABLER), 0);
    SGI_WR(&g, 1, ICENABLER, BIT32(27));
    CHECK_EQ(SGI_RD(&g, 1, ISENABLER), 0);

    SGI_WR(&g, 0, ISPENDR, 0x3); /* SGI pending bits are writable in v3 */
    SGI_WR(&g, 0, ICPENDR, 0x1);
    CHECK_EQ(SGI_RD(&g, 0, ISPENDR), 0x2);
    SGI_WR(&g, 0, ISACTIVER, BIT32(20));
    CHECK_EQ(SGI_RD(&g, 0, ICACTIVER), BIT32(20));
    SGI_WR(&g, 0, ICACTIVER, BIT32(20));
    CHECK_EQ(SGI_RD(&g, 0, ISACTIVER), 0);

    SGI_WR(&g, 0, IPRIORITYR + 24, 0xa0b0c0d0);
    CHECK_EQ(gicr_read(&g, 0, 0x10000 + IPRIORITYR + 27, 1), 0xa0);
    CHECK_EQ(SGI_RD(&g, 1, IPRIORITYR + 24), 0);

    SGI_WR(&g, 0, ICFGR, 0);
    CHECK_EQ(SGI_RD(&g, 0, ICFGR), 0xaaaaaaaa);
    SGI_WR(&g, 0, ICFGR + 4, 2u << 22);
    CHECK_EQ(SGI_RD(&g, 0, ICFGR + 4), 2u << 22);

    /* The SGI frame reaches INTIDs 0..31 only: nothing leaks into the SPIs. */
    SGI_WR(&g, 0, ISENABLER + 4, ~0u);
    SGI_WR(&g, 0, IPRIORITYR + 32, ~0u);
    CHECK_EQ(SGI_RD(&g, 0, ISENABLER + 4), 0);
    CHECK_EQ(GICD_RD(&g, ISENABLER + 4), 0);
    CHECK_EQ(GICD_RD(&g, IPRIORITYR + 32), 0);
}

TEST(vgic_v3_irouter_routes_spi_to_vcpu1)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V3, 2, 4);
    GICD_WR(&g, CTLR, CTLR_ARE | CTLR_G1);
    gicd_enable_irq(&g, 40, 0xa0);
    CHECK_EQ(gicd_read(&g, IROUTER(40), 8), 0); /* reset: vCPU 0 */
    gicd_write(&g, IROUTER(40), 8, 1);          /* Aff0 = 1 */
    CHECK_EQ(gicd_read(&g, IROUTER(40), 8), 1);
    vgic_set_level(&g, 0, 40, true);
    CHECK_EQ(fake_count(1, 40), 1);
    CHECK_EQ(fake_count(0, 40), 0);
    CHECK(fake.log[0].group1);
    CHECK_EQ(fake.log[0].priority, 0xa0);

    GICD_WR(&g, IROUTER(41) + 4, 0xff);       /* Aff3 = 0xff through the high half */
    GICD_WR(&g, IROUTER(41), 0x80000000u);    /* IRM through the low half */
    CHECK_EQ(gicd_read(&g, IROUTER(41), 8), 0xff80000000ull);
    CHECK_EQ(GICD_RD(&g, IROUTER(41) + 4), 0xff);
    gicd_enable_irq(&g, 41, 0);
    vgic_set_level(&g, 0, 41, true); /* IRM: any vCPU */
    CHECK_EQ(fake_count(0, 41) + fake_count(1, 41), 1);

    gicd_write(&g, IROUTER(42), 8, 5);        /* Aff0 = 5: no such vCPU */
    gicd_write(&g, IROUTER(43), 8, 1u << 8);  /* Aff1 = 1: no such cluster */
    gicd_enable_irq(&g, 42, 0);
    gicd_enable_irq(&g, 43, 0);
    vgic_set_level(&g, 0, 42, true);
    vgic_set_level(&g, 0, 43, true);
    CHECK_EQ(fake.ninject, 2);
    /* 40 and 41 are in LRs with their lines still high: active and pending; 42, 43 only pending. */
    CHECK_EQ(GICD_RD(&g, ISPENDR + 4), BIT32(40) | BIT32(41) | BIT32(42) | BIT32(43));
    CHECK_EQ(GICD_RD(&g, ISACTIVER + 4), BIT32(40) | BIT32(41));
    gicd_write(&g, IROUTER(42), 8, 0); /* rerouted to vCPU 0: delivered */
    CHECK_EQ(fake_count(0, 42), 1);

    gicd_write(&g, IROUTER(44), 8, ~0ull); /* reserved bits are dropped */
    CHECK_EQ(gicd_read(&g, IROUTER(44), 8), 0xff80ffffffull);
    gicd_write(&g, IROUTER(300), 8, 1); /* beyond VGIC_NR_IRQS */
    CHECK_EQ(gicd_read(&g, IROUTER(300), 8), 0);
    CHECK_EQ(gicd_read(&g, IROUTER(1019), 8), 0);
}

TEST(vgic_v3_sgi1r_target_list_and_irm)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V3, 3, 4);
    GICD_WR(&g, CTLR, CTLR_ARE | CTLR_G1);
    for (unsigned c = 0; c < 3; c++)
        SGI_WR(&g, c, ISENABLER, 0xffff);
    vgic_sgi_v3(&g, 0, 1ull << 24 | 0x6); /* SGI 1 to vCPUs 1 and 2 */
    CHECK_EQ(fake_count(1, 1), 1);
    CHECK_EQ(fake_count(2, 1), 1);
    CHECK_EQ(fake_count(0, 1), 0);
    vgic_sgi_v3(&g, 1, 1ull << 40 | 2ull << 24 | 0xffff); /* IRM: all but self, list ignored */
    CHECK_EQ(fake_count(0, 2), 1);
    CHECK_EQ(fake_count(2, 2), 1);
    CHECK_EQ(fake_count(1, 2), 0);
    vgic_sgi_v3(&g, 2, 3ull << 24 | 1u << 2); /* to itself through the list */
    CHECK_EQ(fake_count(2, 3), 1);
    CHECK_EQ(fake.ninject, 5);

    /* Targets that do not exist, and senders that do not exist. */
    vgic_sgi_v3(&g, 0, 4ull << 24 | 0xfff8);           /* Aff0 3..15 */
    vgic_sgi_v3(&g, 0, 4ull << 24 | 1ull << 16 | 1);   /* Aff1 = 1 */
    vgic_sgi_v3(&g, 0, 4ull << 24 | 1ull << 32 | 1);   /* Aff2 = 1 */
    vgic_sgi_v3(&g, 0, 4ull << 24 | 1ull << 48 | 1);   /* Aff3 = 1 */
    vgic_sgi_v3(&g, 0, 4ull << 24 | 1ull << 44 | 1);   /* RS = 1: Aff0 = 16 */
    vgic_sgi_v3(&g, 3, 4ull << 24 | 1);
    vgic_sgi_v3(&g, UINT_MAX, 1ull << 40 | 4ull << 24);
    CHECK_EQ(fake.ninject, 5);
    for (unsigned c = 0; c < 3; c++)
        CHECK_EQ(SGI_RD(&g, c, ISPENDR) & BIT32(4), 0);
}

TEST(vgic_v3_eoi_callback_lowers_vtimer_line_before_refill)
{
    static struct vgic g;

    fake_init(&g, SVMM_GIC_V3, 2, 4);
    fake.lower_on_eoi = 27;
    GICD_WR(&g, CTLR, CTLR_ARE | CTLR_G1);
    SGI_WR(&g, 1, ISENABLER, BIT32(27));
    vgic_set_level(&g, 1, 27, true); /* the VPPI event */
    CHECK_EQ(fake_count(1, 27), 1);
    fake_eoi(1, 27);
    CHECK_EQ(fake.eoi_vcpu, 1);
    CHECK_EQ(fake.eoi_intid, 27);
    CHECK_EQ(fake_count(1, 27), 1); /* line lowered in the callback: not re-injected */
    CHECK_EQ(fake_used(1), 0);
    vgic_set_level(&g, 1, 27, true);
    CHECK_EQ(fake_count(1, 27), 2);
}

/* What Linux 6.1's irq-gic-v3.c does at boot on two CPUs, then the timer, an IPI and an SPI. */
TEST(vgic_v3_linux_boot_sequence)
{
    static struct vgic g;
    uint32_t typer;

    fake_init(&g, SVMM_GIC_V3, 2, 4);
    CHECK_EQ(GICD_RD(&g, PIDR2) & 0xf0, 0x30); /* gic_validate_dist_version */
    typer = GICD_RD(&g, TYPER);
    CHECK_EQ(((typer & 0x1f) + 1) * 32, VGIC_NR_IRQS);
    CHECK_EQ(((typer >> 19) & 0x1f) + 1, 10);
    CHECK_EQ(typer & (1u << 17 | 1u << 8), 0); /* no LPIs, no ESPI */
    GICD_WR(&g, CTLR, 0);                       /* gic_dist_init */
    CHECK_EQ(GICD_RD(&g, CTLR) & (1u << 31), 0);
    for (uint32_t i = 32; i < VGIC_NR_IRQS; i += 32)
        GICD_WR(&g, IGROUPR + i / 8, ~0u);
    for (uint32_t i = 32; i < VGIC_NR_IRQS; i += 16)
        GICD_WR(&g, ICFGR + i / 4, 0);
    for (uint32_t i = 32; i < VGIC_NR_IRQS; i += 4)
        GICD_WR(&g, IPRIORITYR + i, 0xa0a0a0a0);
    for (uint32_t i = 32; i < VGIC_NR_IRQS; i += 32) {
        GICD_WR(&g, ICACTIVER + i / 8, ~0u);
        GICD_WR(&g, ICENABLER + i / 8, ~0u);
    }
    GICD_WR(&g, CTLR, CTLR_ARE | CTLR_G1 | CTLR_G0);
    CHECK(GICD_RD(&g, CTLR) & CTLR_DS); /* gic_dist_security_disabled */
    for (uint32_t i = 32; i < VGIC_NR_IRQS; i++)
        gicd_write(&g, IROUTER(i), 8, 0);

    for (unsigned cpu = 0; cpu < 2; cpu++) { /* gic_cpu_init */
        unsigned found = 99, frame = 0;
        uint64_t t;
        uint32_t cfg;

        CHECK_EQ(GICR_RD(&g, 0, PIDR2) & 0xf0, 0x30); /* gic_iterate_rdists */
        do {
            t = gicr_read(&g, frame, GICR_TYPER, 8);
            if ((t >> 32) == cpu)
                found = frame;
            frame++;
        } while (found == 99 && !(t & TYPER_LAST) && frame < 8);
        CHECK_EQ(found, cpu);
        GICR_WR(&g, cpu, GICR_WAKER, GICR_RD(&g, cpu, GICR_WAKER) & ~WAKER_SLEEP); /* gic_enable_redist */
        CHECK_EQ(GICR_RD(&g, cpu, GICR_WAKER) & WAKER_CHILDREN_ASLEEP, 0);
        SGI_WR(&g, cpu, IGROUPR, ~0u);
        SGI_WR(&g, cpu, ICACTIVER, ~0u);
        SGI_WR(&g, cpu, ICENABLER, ~0u);
        for (uint32_t i = 0; i < 32; i += 4)
            SGI_WR(&g, cpu, IPRIORITYR + i, 0xa0a0a0a0);
        SGI_WR(&g, cpu, ISENABLER, 0xffff);
        CHECK_EQ(GICR_RD(&g, cpu, GICR_CTLR) & (1u << 3), 0); /* RWP */
        cfg = SGI_RD(&g, cpu, ICFGR + 4) & ~(2u << 22); /* gic_configure_irq: timer level */
        SGI_WR(&g, cpu, ICFGR + 4, cfg);
        CHECK_EQ(SGI_RD(&g, cpu, ICFGR + 4), cfg);
        SGI_WR(&g, cpu, ISENABLER, BIT32(27));
    }
    CHECK_EQ(fake.ninject, 0);
    vgic_set_level(&g, 1, 27, true);
    CHECK_EQ(fake_count(1, 27), 1);
    CHECK(fake.log[0].group1);
    CHECK_EQ(fake.log[0].priority, 0xa0);
    vgic_sgi_v3(&g, 0, 0ull << 24 | 1u << 1); /* gic_send_sgi: SGI 0 to CPU 1 */
    CHECK_EQ(fake_count(1, 0), 1);
    gicd_write(&g, IROUTER(33), 8, 1); /* gic_set_affinity */
    GICD_WR(&g, REG32(ISENABLER, 33), BIT32(33));
    vgic_set_level(&g, 0, 33, true);
    CHECK_EQ(fake_count(1, 33), 1);
    CHECK_EQ(fake.lr_in_use, 0);
}

/* MSR ICC_SGI1R_EL1, xzr: the value is zero (an empty target list), never what the XZR slot holds. */
TEST(vgic_v3_sgi1r_write_of_xzr_sends_nothing)
{
    static struct vgic g;
    struct aarch64_sysreg s;
    struct aarch64_gprs r = { .pc = 0x1000 };
    const uint64_t sgi1_to_cpus_1_2 = 1ull << 24 | 0x6;
    uint64_t esr = (uint64_t)ESR_EC_SYSREG << 26 | 1ull << 25 | 3ull << 20 | 5ull << 17 | 12ull << 10 | 31ull << 5 |
                   11ull << 1;

    fake_init(&g, SVMM_GIC_V3, 3, 4);
    GICD_WR(&g, CTLR, CTLR_ARE | CTLR_G1);
    for (unsigned c = 0; c < 3; c++)
        SGI_WR(&g, c, ISENABLER, 0xffff);
    r.x[31] = sgi1_to_cpus_1_2; /* junk a platform might have copied there */
    CHECK_EQ(aarch64_decode_sysreg(esr, &s), 0);
    CHECK_EQ(aarch64_emulate_sysreg(&g, 0, &s, &r), 1);
    CHECK_EQ(fake.ninject, 0);
    CHECK_EQ(r.pc, 0x1004);
    s.rt = 2; /* the same value from x2 does send */
    r.x[2] = sgi1_to_cpus_1_2;
    CHECK_EQ(aarch64_emulate_sysreg(&g, 0, &s, &r), 1);
    CHECK_EQ(fake_count(1, 1), 1);
    CHECK_EQ(fake_count(2, 1), 1);
}
