/* SPDX-License-Identifier: BSD-2-Clause */
/* The riscv64 PLIC model: gateway, priorities, thresholds, claim/complete, hostile register accesses. */
#include <svmm/riscv.h>
#include "test.h"

struct lines {
    bool level[SVMM_MAX_VCPUS];
    unsigned changes;
};

static void set_ext(void *ctx, unsigned hart, bool level)
{
    struct lines *l = ctx;

    if (hart < SVMM_MAX_VCPUS) {
        l->level[hart] = level;
        l->changes++;
    }
}

static struct riscv_plic plic;
static struct lines lines;

static void setup(unsigned nsrc, unsigned nctx)
{
    struct riscv_plic_ops ops = { .ctx = &lines, .set_ext = set_ext };

    memset(&lines, 0, sizeof(lines));
    riscv_plic_init(&plic, nsrc, nctx, &ops);
}

static uint32_t rd(uint64_t off)
{
    return (uint32_t)riscv_plic_mmio_ops.read(&plic, 0, off, 4);
}

static void wr(uint64_t off, uint32_t v)
{
    riscv_plic_mmio_ops.write(&plic, 0, off, 4, v);
}

static uint64_t prio(uint32_t src) { return RISCV_PLIC_PRIORITY + 4ull * src; }
static uint64_t enable(unsigned ctx, uint32_t word) { return RISCV_PLIC_ENABLE + RISCV_PLIC_ENABLE_STRIDE * ctx + 4ull * word; }
static uint64_t thresh(unsigned ctx) { return RISCV_PLIC_CONTEXT + RISCV_PLIC_CONTEXT_STRIDE * (uint64_t)ctx; }
static uint64_t claim(unsigned ctx) { return thresh(ctx) + 4; }

TEST(plic_level_claim_complete)
{
    setup(64, 2);
    wr(prio(5), 1);
    wr(enable(0, 0), 1u << 5);
    riscv_plic_set_level(&plic, 5, true);
    CHECK(lines.level[0]);
    CHECK(!lines.level[1]); /* not enabled for hart 1 */
    CHECK_EQ(rd(RISCV_PLIC_PENDING), 1u << 5);
    CHECK_EQ(rd(claim(0)), 5);
    CHECK(!lines.level[0]);                /* in service: the line drops */
    CHECK_EQ(rd(RISCV_PLIC_PENDING), 0);   /* the claim cleared pending */
    CHECK_EQ(rd(claim(0)), 0);             /* nothing more to claim */
    wr(claim(0), 5);                       /* complete while the device still asserts */
    CHECK(lines.level[0]);                 /* pends again */
    riscv_plic_set_level(&plic, 5, false); /* the device is served before the second claim */
    CHECK(!lines.level[0]);
    CHECK_EQ(rd(claim(0)), 0);
}

TEST(plic_priority_order_and_ties)
{
    setup(64, 1);
    wr(enable(0, 0), (1u << 3) | (1u << 4) | (1u << 9));
    wr(enable(0, 1), 1u << (40 - 32));
    wr(prio(3), 2);
    wr(prio(4), 6);
    wr(prio(9), 6);
    wr(prio(40), 7);
    riscv_plic_set_level(&plic, 3, true);
    riscv_plic_set_level(&plic, 4, true);
    riscv_plic_set_level(&plic, 9, true);
    riscv_plic_set_level(&plic, 40, true);
    CHECK_EQ(rd(claim(0)), 40); /* highest priority first */
    CHECK_EQ(rd(claim(0)), 4);  /* equal priorities: the lowest id */
    CHECK_EQ(rd(claim(0)), 9);
    CHECK_EQ(rd(claim(0)), 3);
    CHECK_EQ(rd(claim(0)), 0);
    CHECK(!lines.level[0]);
    wr(claim(0), 9); /* completion order need not follow claim order */
    CHECK(lines.level[0]);
    CHECK_EQ(rd(claim(0)), 9);
}

TEST(plic_threshold_masks)
{
    setup(32, 1);
    wr(enable(0, 0), 1u << 2);
    wr(prio(2), 3);
    wr(thresh(0), 3);
    riscv_plic_set_level(&plic, 2, true);
    CHECK(!lines.level[0]);                  /* priority must exceed the threshold */
    CHECK_EQ(rd(RISCV_PLIC_PENDING), 1u << 2); /* but the source is pending */
    CHECK_EQ(rd(claim(0)), 0);
    wr(thresh(0), 2);
    CHECK(lines.level[0]);
    CHECK_EQ(rd(thresh(0)), 2);
    wr(prio(2), 0); /* priority 0: never interrupts */
    CHECK(!lines.level[0]);
    CHECK_EQ(rd(claim(0)), 0);
}

TEST(plic_masked_pending_and_per_hart)
{
    setup(32, 2);
    wr(prio(7), 1);
    riscv_plic_set_level(&plic, 7, true);
    CHECK(!lines.level[0] && !lines.level[1]); /* pending, enabled nowhere */
    wr(enable(1, 0), 1u << 7);
    CHECK(!lines.level[0]);
    CHECK(lines.level[1]);
    wr(enable(0, 0), 1u << 7);
    CHECK(lines.level[0]);
    CHECK_EQ(rd(claim(1)), 7); /* hart 1 wins: the source leaves both harts */
    CHECK(!lines.level[0] && !lines.level[1]);
    CHECK_EQ(rd(claim(0)), 0);
    wr(enable(1, 0), 0);
    wr(claim(1), 7); /* completion from a context the source is no longer enabled for: ignored */
    CHECK(!lines.level[0]);
    wr(claim(0), 7); /* from one it is enabled for: ends service; the line is still high */
    CHECK(lines.level[0]);
}

TEST(plic_hostile_accesses)
{
    setup(32, 2);
    wr(prio(0), 7); /* source 0 does not exist */
    CHECK_EQ(rd(prio(0)), 0);
    wr(prio(1), 0xffffffffu); /* WARL: 3 bits */
    CHECK_EQ(rd(prio(1)), RISCV_PLIC_PRIORITY_MAX);
    wr(prio(33), 5); /* beyond nsrc */
    CHECK_EQ(rd(prio(33)), 0);
    wr(enable(0, 0), 0xffffffffu); /* bit 0 (source 0) stays clear */
    CHECK_EQ(rd(enable(0, 0)), 0xfffffffeu);
    wr(enable(0, 1), 0xffffffffu); /* word beyond nsrc */
    CHECK_EQ(rd(enable(0, 1)), 0);
    wr(enable(2, 0), 0xffffffffu); /* context beyond nctx */
    CHECK_EQ(rd(enable(2, 0)), 0);
    wr(RISCV_PLIC_PENDING, 0xffffffffu); /* pending is read-only */
    CHECK_EQ(rd(RISCV_PLIC_PENDING), 0);
    CHECK(!lines.level[0]);
    /* Odd sizes and misaligned offsets read 0 and change nothing. */
    riscv_plic_mmio_ops.write(&plic, 0, prio(2), 1, 3);
    riscv_plic_mmio_ops.write(&plic, 0, prio(2), 8, 3);
    riscv_plic_mmio_ops.write(&plic, 0, prio(2) + 1, 4, 3);
    CHECK_EQ(rd(prio(2)), 0);
    CHECK_EQ(riscv_plic_mmio_ops.read(&plic, 0, thresh(0), 8), 0);
    /* Claims and completions of absurd ids, other contexts, the last offset of the window. */
    wr(claim(0), 0);
    wr(claim(0), 31);
    wr(claim(0), 0xffffffffu);
    wr(claim(5), 1);
    CHECK_EQ(rd(claim(7)), 0);
    CHECK_EQ(rd(RISCV_PLIC_SIZE - 4), 0);
    wr(RISCV_PLIC_SIZE - 4, 1);
    riscv_plic_set_level(&plic, 0, true);    /* lines of sources that do not exist */
    riscv_plic_set_level(&plic, 32, true);
    riscv_plic_set_level(&plic, 0xffffffffu, true);
    CHECK_EQ(rd(RISCV_PLIC_PENDING), 0);
    CHECK_EQ(lines.changes, 0);
}

TEST(plic_complete_without_claim_and_reset)
{
    setup(32, 1);
    wr(enable(0, 0), 1u << 3);
    wr(prio(3), 1);
    wr(claim(0), 3); /* a completion of a source never claimed changes nothing */
    CHECK(!lines.level[0]);
    riscv_plic_set_level(&plic, 3, true);
    CHECK(lines.level[0]);
    wr(claim(0), 3); /* still not claimed: it stays pending */
    CHECK(lines.level[0]);
    riscv_plic_reset(&plic); /* the platform sees the line drop; everything is clear */
    CHECK(!lines.level[0]);
    CHECK_EQ(rd(prio(3)), 0);
    CHECK_EQ(rd(enable(0, 0)), 0);
    CHECK_EQ(rd(RISCV_PLIC_PENDING), 0);
    CHECK_EQ(plic.nsrc, 32);
}

TEST(plic_sizes_rounded)
{
    setup(33, 40);
    CHECK_EQ(plic.nsrc, 64);
    CHECK_EQ(plic.nctx, SVMM_MAX_VCPUS);
    setup(5000, 1);
    CHECK_EQ(plic.nsrc, RISCV_PLIC_MAX_SOURCES);
    wr(prio(1023), 1);
    CHECK_EQ(rd(prio(1023)), 1);
}
