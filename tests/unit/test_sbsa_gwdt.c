/* SPDX-License-Identifier: BSD-2-Clause */
#include <svmm/sbsa_gwdt.h>
#include "test.h"

#define HZ 1000u /* a 1 kHz counter: one tick a millisecond */
#define CF 0x0000u /* control frame */
#define RF 0x1000u /* refresh frame */

static uint64_t now, deadline;
static unsigned arms, irq_changes;
static bool irq_level;
static uint32_t irq_spi;

static uint64_t clk_now(void *ctx) { (void)ctx; return now; }
static void clk_arm(void *ctx, uint64_t when) { (void)ctx; deadline = when; arms++; }
static void irq(void *ctx, uint32_t spi, bool level) { (void)ctx; irq_spi = spi; irq_level = level; irq_changes++; }

static const struct sbsa_gwdt_clock clock = { HZ, clk_now, clk_arm, NULL };

static void setup(struct sbsa_gwdt *w, unsigned timeout_s)
{
    now = 5000;
    deadline = 0;
    arms = irq_changes = 0;
    irq_level = false;
    sbsa_gwdt_init(w, &clock, irq, NULL, 7, timeout_s);
}

static uint64_t rd(struct sbsa_gwdt *w, unsigned off, unsigned size) { return sbsa_gwdt_ops.read(w, 0, off, size); }
static void wr(struct sbsa_gwdt *w, unsigned off, unsigned size, uint64_t v) { sbsa_gwdt_ops.write(w, 0, off, size, v); }

/* Move the counter to `t` and let the platform's timer fire if its deadline passed. */
static bool advance(struct sbsa_gwdt *w, uint64_t t)
{
    now = t;
    return deadline != SBSA_GWDT_NEVER && now >= deadline ? sbsa_gwdt_tick(w) : false;
}

TEST(gwdt_init_is_quiescent_and_calls_nothing)
{
    struct sbsa_gwdt w;

    setup(&w, 10);
    CHECK_EQ(arms, 0);
    CHECK_EQ(irq_changes, 0);
    CHECK_EQ(rd(&w, CF + 0x000, 4), 0);          /* WCS: disabled, no signal */
    CHECK_EQ(rd(&w, CF + 0x008, 4), HZ / 2 * 10); /* WOR: half the timeout */
    CHECK_EQ(rd(&w, CF + 0xfcc, 4) >> 16 & 0xf, 1); /* architecture version 1: 48-bit WOR */
    CHECK_EQ(rd(&w, RF + 0xfcc, 4), rd(&w, CF + 0xfcc, 4));
}

TEST(gwdt_power_on_enables_and_arms_half_timeout)
{
    struct sbsa_gwdt w;

    setup(&w, 10);
    sbsa_gwdt_power_on(&w);
    CHECK_EQ(rd(&w, CF + 0x000, 4), 1);
    CHECK_EQ(deadline, 5000 + 5 * HZ);
    CHECK_EQ(rd(&w, CF + 0x010, 8), 5000 + 5 * HZ); /* WCV = counter + WOR */
    CHECK_EQ(rd(&w, CF + 0x010, 4), 5000 + 5 * HZ);
    CHECK_EQ(rd(&w, CF + 0x014, 4), 0);
}

TEST(gwdt_silent_guest_ws0_then_ws1_after_the_timeout)
{
    struct sbsa_gwdt w;

    setup(&w, 10);
    sbsa_gwdt_power_on(&w);
    CHECK(!advance(&w, 5000 + 5 * HZ - 1)); /* not yet */
    CHECK(!advance(&w, 5000 + 5 * HZ));     /* WS0: the interrupt rises, WS1 is due WOR later */
    CHECK_EQ(rd(&w, CF, 4), 1 | 2);
    CHECK(irq_level);
    CHECK_EQ(irq_spi, 7);
    CHECK_EQ(deadline, 5000 + 10 * HZ);
    CHECK(advance(&w, 5000 + 10 * HZ));     /* WS1: reported once */
    CHECK_EQ(rd(&w, CF, 4), 1 | 2 | 4);
    CHECK_EQ(sbsa_gwdt_ws1_seconds(&w), 10);
    CHECK_EQ(deadline, SBSA_GWDT_NEVER);
    CHECK(!sbsa_gwdt_tick(&w));             /* a stray tick reports nothing new */
    now += 100 * HZ;
    CHECK(!sbsa_gwdt_tick(&w));
}

TEST(gwdt_refreshing_guest_never_reaches_ws1)
{
    struct sbsa_gwdt w;

    setup(&w, 10);
    sbsa_gwdt_power_on(&w);
    for (unsigned i = 0; i < 100; i++) {
        CHECK(!advance(&w, now + 4 * HZ));
        wr(&w, RF + 0x000, 4, 0); /* WRR: any value */
    }
    CHECK_EQ(rd(&w, CF, 4), 1);
    CHECK(!irq_level);
}

TEST(gwdt_refresh_in_first_stage_window_clears_ws0_and_line)
{
    struct sbsa_gwdt w;

    setup(&w, 10);
    sbsa_gwdt_power_on(&w);
    CHECK(!advance(&w, 5000 + 6 * HZ));
    CHECK(irq_level);
    wr(&w, RF, 4, 0xdeadbeef);
    CHECK(!irq_level);
    CHECK_EQ(rd(&w, CF, 4), 1);
    CHECK_EQ(deadline, 5000 + 11 * HZ);
}

TEST(gwdt_late_tick_gives_a_full_wor_after_ws0)
{
    struct sbsa_gwdt w;

    setup(&w, 10);
    sbsa_gwdt_power_on(&w);
    /* The whole host stalled past both stages: the model blames the guest only after WOR more. */
    CHECK(!advance(&w, 5000 + 60 * HZ));
    CHECK_EQ(rd(&w, CF, 4), 1 | 2);
    CHECK_EQ(deadline, 5000 + 65 * HZ);
    CHECK(advance(&w, 5000 + 65 * HZ));
}

TEST(gwdt_linux_driver_sequence)
{
    struct sbsa_gwdt w;

    setup(&w, 30);
    sbsa_gwdt_power_on(&w);
    /* probe: W_IIDR, WCS (EN set: the kernel keeps pinging), WOR as lo_hi_writeq of clk/2 * timeout */
    CHECK_EQ(rd(&w, CF + 0xfcc, 4) >> 16 & 0xf, 1);
    CHECK_EQ(rd(&w, CF, 4) & 1, 1);
    now += 1000;
    wr(&w, CF + 0x008, 4, HZ / 2 * 20);
    wr(&w, CF + 0x00c, 4, 0);
    CHECK_EQ(rd(&w, CF + 0x008, 4) | rd(&w, CF + 0x00c, 4) << 32, HZ / 2 * 20);
    CHECK_EQ(deadline, now + 10 * HZ); /* a WOR write is an explicit refresh */
    /* stop, then start: WCS writes */
    wr(&w, CF, 4, 0);
    CHECK_EQ(rd(&w, CF, 4), 0);
    CHECK_EQ(deadline, SBSA_GWDT_NEVER);
    CHECK(!advance(&w, now + 1000 * HZ));
    wr(&w, CF, 4, 1);
    CHECK_EQ(deadline, now + 10 * HZ);
    /* timeleft: WOR + WCV - counter while WS0 is clear */
    now += 3 * HZ;
    CHECK_EQ(rd(&w, CF + 0x008, 4) + (rd(&w, CF + 0x010, 4) | rd(&w, CF + 0x014, 4) << 32) - now, 17 * HZ);
}

TEST(gwdt_wor_48_bits_and_64_bit_accesses)
{
    struct sbsa_gwdt w;

    setup(&w, 1);
    wr(&w, CF + 0x008, 8, ~0ull);
    CHECK_EQ(rd(&w, CF + 0x008, 8), SBSA_GWDT_WOR_MASK); /* bits [63:48] RAZ/WI */
    CHECK_EQ(rd(&w, CF + 0x00c, 4), 0xffff);
    wr(&w, CF + 0x00c, 4, 0xffffffff);
    CHECK_EQ(rd(&w, CF + 0x00c, 4), 0xffff);
    wr(&w, CF + 0x008, 4, 0x12345678);
    CHECK_EQ(rd(&w, CF + 0x008, 8), 0xffff12345678ull);
    CHECK_EQ(rd(&w, CF + 0x010, 8), 5000 + 0xffff12345678ull); /* refreshed with the huge WOR */
    wr(&w, CF + 0x010, 8, 0x1122334455667788ull); /* WCV: a compare value, written whole */
    CHECK_EQ(rd(&w, CF + 0x010, 8), 0x1122334455667788ull);
    wr(&w, CF + 0x014, 4, 0xaabbccdd);
    CHECK_EQ(rd(&w, CF + 0x010, 8), 0xaabbccdd55667788ull);
}

TEST(gwdt_huge_wor_does_not_wrap)
{
    struct sbsa_gwdt w;

    setup(&w, 1);
    sbsa_gwdt_power_on(&w);
    now = UINT64_MAX - 10;
    wr(&w, CF + 0x008, 8, SBSA_GWDT_WOR_MASK); /* counter + WOR would wrap: WCV saturates */
    CHECK_EQ(rd(&w, CF + 0x010, 8), UINT64_MAX);
    CHECK_EQ(deadline, UINT64_MAX);
}

TEST(gwdt_wor_zero_fires_both_stages_in_one_tick)
{
    struct sbsa_gwdt w;

    setup(&w, 10);
    sbsa_gwdt_power_on(&w);
    wr(&w, CF + 0x008, 4, 0);
    wr(&w, CF + 0x00c, 4, 0);
    CHECK_EQ(deadline, now);
    CHECK(sbsa_gwdt_tick(&w));
    CHECK_EQ(rd(&w, CF, 4), 7);
    CHECK(irq_level);
    CHECK_EQ(sbsa_gwdt_ws1_seconds(&w), 0);
}

TEST(gwdt_wcv_in_the_past_times_out_at_next_tick)
{
    struct sbsa_gwdt w;

    setup(&w, 10);
    sbsa_gwdt_power_on(&w);
    wr(&w, CF + 0x010, 8, 0); /* no refresh: the first stage passes at once */
    CHECK_EQ(deadline, 0);
    CHECK(!sbsa_gwdt_tick(&w));
    CHECK_EQ(rd(&w, CF, 4), 3);
    CHECK_EQ(deadline, now + 5 * HZ);
}

TEST(gwdt_read_only_bits_and_registers_ignore_writes)
{
    struct sbsa_gwdt w;
    uint64_t wcv;

    setup(&w, 10);
    wr(&w, CF, 4, 6); /* WS0 | WS1 without EN: read-only bits stay clear, EN stays off */
    CHECK_EQ(rd(&w, CF, 4), 0);
    wr(&w, CF + 0xfcc, 4, 0);
    CHECK_EQ(rd(&w, CF + 0xfcc, 4) >> 16 & 0xf, 1);
    wr(&w, RF + 0xfcc, 4, 0);
    CHECK_EQ(rd(&w, RF + 0xfcc, 4) >> 16 & 0xf, 1);
    sbsa_gwdt_power_on(&w);
    wcv = rd(&w, CF + 0x010, 8);
    now += 100;
    wr(&w, RF + 0x004, 4, 0); /* not WRR: no refresh */
    wr(&w, RF + 0x800, 4, 0);
    CHECK_EQ(rd(&w, CF + 0x010, 8), wcv);
    CHECK_EQ(rd(&w, RF + 0x000, 4), 0); /* WRR reads as zero */
    CHECK_EQ(rd(&w, CF + 0x020, 4), 0); /* reserved */
    CHECK_EQ(rd(&w, CF + 0xfd0, 4), 0);
    wr(&w, CF + 0x020, 4, 0xffffffff);
    CHECK_EQ(rd(&w, CF + 0x020, 4), 0);
}

TEST(gwdt_wrong_sizes_and_alignment_are_ignored)
{
    struct sbsa_gwdt w;
    uint64_t wcv;

    setup(&w, 10);
    sbsa_gwdt_power_on(&w);
    wcv = rd(&w, CF + 0x010, 8);
    now += 100;
    wr(&w, RF, 1, 0);        /* a byte write to WRR does not refresh */
    wr(&w, RF, 2, 0);
    wr(&w, RF, 8, 0);        /* 64-bit only at WOR and WCV */
    wr(&w, CF, 1, 0);        /* a byte cannot disable it */
    wr(&w, CF + 0x001, 4, 0); /* misaligned */
    wr(&w, CF + 0x00c, 8, 0);
    wr(&w, CF + 0x014, 8, 0);
    CHECK_EQ(rd(&w, CF, 1), 0);
    CHECK_EQ(rd(&w, CF + 0x008, 2), 0);
    CHECK_EQ(rd(&w, CF, 8), 0);
    CHECK_EQ(rd(&w, CF + 0x010, 8), wcv);
    CHECK_EQ(rd(&w, CF, 4), 1);
    CHECK_EQ(w.bad_accesses, 10);
}

TEST(gwdt_reset_lowers_the_line_and_disarms)
{
    struct sbsa_gwdt w;

    setup(&w, 10);
    sbsa_gwdt_power_on(&w);
    wr(&w, CF + 0x008, 4, 123);
    CHECK(!advance(&w, now + 10 * HZ));
    CHECK(advance(&w, now + 123));
    CHECK(irq_level);
    sbsa_gwdt_reset(&w);
    CHECK(!irq_level);
    CHECK_EQ(deadline, SBSA_GWDT_NEVER);
    CHECK_EQ(rd(&w, CF, 4), 0);
    CHECK_EQ(rd(&w, CF + 0x008, 4), 5 * HZ); /* the boot-time WOR again */
    sbsa_gwdt_power_on(&w);                  /* the next boot: counting again from its power-on */
    CHECK_EQ(rd(&w, CF, 4), 1);
    CHECK_EQ(deadline, now + 5 * HZ);
}

TEST(gwdt_timeout_clamped_and_counter_limits)
{
    struct sbsa_gwdt w;
    struct sbsa_gwdt_clock fast = { UINT32_MAX, clk_now, clk_arm, NULL };

    sbsa_gwdt_init(&w, &fast, irq, NULL, 0, 100000); /* above SBSA_GWDT_MAX_TIMEOUT */
    CHECK_EQ(w.boot_wor, (uint64_t)(UINT32_MAX / 2) * SBSA_GWDT_MAX_TIMEOUT);
    CHECK(w.boot_wor <= SBSA_GWDT_WOR_MASK);
}
