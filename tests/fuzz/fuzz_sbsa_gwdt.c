/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz the SBSA Generic Watchdog model (src/core/sbsa_gwdt.c) behind the MMIO bus. The input is a
 * sequence of register reads and writes (any offset in or just past the two frames, any size), time
 * passing (the platform's timer firing when the armed deadline passed), resets and power-ons.
 * Invariants, after every step:
 *   - WS1 implies WS0, and either implies EN; WOR fits 48 bits;
 *   - the interrupt line follows WS0, changed only through irq_fn (on a change);
 *   - the armed deadline is WCV while enabled and WS1 is clear, else SBSA_GWDT_NEVER;
 *   - sbsa_gwdt_tick returns true exactly when WS1 rose in that call;
 *   - a 32-bit write to WRR leaves WS0 and WS1 clear and WCV = counter + WOR (saturated);
 *   - accesses other than 32-bit ones (and 64-bit ones at WOR and WCV) read 0 and change nothing;
 *   - WRR reads as zero, W_IIDR reads architecture version 1 in both frames.
 */
#include <svmm/mmio.h>
#include <svmm/sbsa_gwdt.h>
#include "fuzz.h"

#define MAX_OPS 2048
#define BASE 0x09020000ull
#define SPI 2u
#define HZ 62500000u

struct state {
    struct svmm_mmio_bus bus;
    struct sbsa_gwdt w;
    uint64_t now, deadline;
    bool irq_level;
};

static struct state st;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static uint64_t clk_now(void *ctx)
{
    FUZZ_CHECK(ctx == &st);
    return st.now;
}

static void clk_arm(void *ctx, uint64_t deadline)
{
    FUZZ_CHECK(ctx == &st);
    st.deadline = deadline;
}

static void irq_fn(void *ctx, uint32_t spi, bool level)
{
    FUZZ_CHECK(ctx == &st && spi == SPI);
    FUZZ_CHECK(level != st.irq_level); /* only called on a change */
    st.irq_level = level;
}

static uint64_t bus_access(uint64_t off, bool is_write, unsigned size, uint64_t val)
{
    uint64_t data = val;

    svmm_mmio_access(&st.bus, 0, BASE + off, is_write, size, &data);
    return data;
}

static void check(void)
{
    const struct sbsa_gwdt *w = &st.w;

    FUZZ_CHECK(!w->ws1 || w->ws0);
    FUZZ_CHECK(!w->ws0 || w->enabled);
    FUZZ_CHECK(w->wor <= SBSA_GWDT_WOR_MASK);
    FUZZ_CHECK(st.irq_level == w->ws0 && w->irq_level == w->ws0);
    FUZZ_CHECK(st.deadline == (w->enabled && !w->ws1 ? w->wcv : SBSA_GWDT_NEVER));
}

/* Whether the model takes an access of `size` bytes at `off` (inside the region). */
static bool taken(uint64_t off, unsigned size)
{
    return (size == 4 && off % 4 == 0) || (size == 8 && (off == 0x008 || off == 0x010));
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void mmio_op(struct fin *f, uint8_t op)
{
    static const unsigned sizes[] = { 4, 4, 4, 8, 1, 2, 3, 4 };
    /* Mostly the registers at their places; sometimes anywhere in (or just past) the 8 KiB. */
    uint64_t off = (op & 0x80) ? fin_u16(f) % (SBSA_GWDT_SIZE + 16) : (uint64_t)(fin_u8(f) & 7) * 4 +
                   ((op & 0x40) ? SBSA_GWDT_FRAME_SIZE : 0);
    unsigned size = sizes[(op >> 3) & 7];
    bool in = off + size <= SBSA_GWDT_SIZE && (size == 1 || size == 2 || size == 4 || size == 8);
    struct sbsa_gwdt before = st.w;

    if (op & 1) { /* write */
        uint64_t v = fin_u64(f);
        bus_access(off, true, size, v);
        if (!in || !taken(off, size)) {
            FUZZ_CHECK(st.w.enabled == before.enabled && st.w.wcv == before.wcv && st.w.wor == before.wor &&
                       st.w.ws0 == before.ws0 && st.w.ws1 == before.ws1);
        } else if (off == SBSA_GWDT_FRAME_SIZE) { /* WRR */
            FUZZ_CHECK(!st.w.ws0 && !st.w.ws1 && st.w.wcv == sat_add(st.now, st.w.wor));
        }
        return;
    }
    {
        uint64_t v = bus_access(off, false, size, 0);
        if (!in || !taken(off, size)) {
            FUZZ_CHECK(v == 0);
        } else if (off == SBSA_GWDT_FRAME_SIZE) {
            FUZZ_CHECK(v == 0);
        } else if (off == 0xfcc || off == SBSA_GWDT_FRAME_SIZE + 0xfcc) {
            FUZZ_CHECK(((v >> 16) & 0xf) == 1);
        } else if (off == 0) {
            FUZZ_CHECK(v == ((st.w.enabled ? 1u : 0u) | (st.w.ws0 ? 2u : 0u) | (st.w.ws1 ? 4u : 0u)));
        }
    }
}

static void run_op(struct fin *f)
{
    uint8_t op = fin_u8(f), kind = fin_u8(f) % 8;

    switch (kind) {
    case 0: case 1: case 2: case 3:
        mmio_op(f, op);
        break;
    case 4: case 5: { /* time passes; the platform's timer fires once the deadline passed */
        uint64_t step = (op & 1) ? fin_u32(f) : (uint64_t)fin_u16(f) * HZ / 100;
        bool ws1_before = st.w.ws1;
        st.now = sat_add(st.now, step);
        if (st.deadline != SBSA_GWDT_NEVER && st.now >= st.deadline) {
            bool fired = sbsa_gwdt_tick(&st.w);
            FUZZ_CHECK(fired == (!ws1_before && st.w.ws1));
        }
        break;
    }
    case 6:
        sbsa_gwdt_reset(&st.w);
        FUZZ_CHECK(!st.w.enabled && st.deadline == SBSA_GWDT_NEVER);
        break;
    default:
        sbsa_gwdt_power_on(&st.w);
        FUZZ_CHECK(st.w.enabled && st.w.wor == st.w.boot_wor && st.deadline == sat_add(st.now, st.w.wor));
        break;
    }
    check();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fin f = fin_make(data, size);
    const struct sbsa_gwdt_clock clock = { HZ, clk_now, clk_arm, &st };

    memset(&st, 0, sizeof(st));
    st.deadline = SBSA_GWDT_NEVER;
    st.now = fin_u32(&f);
    svmm_mmio_bus_init(&st.bus);
    sbsa_gwdt_init(&st.w, &clock, irq_fn, &st, SPI, 1 + fin_u16(&f) % SBSA_GWDT_MAX_TIMEOUT);
    FUZZ_CHECK(svmm_mmio_register(&st.bus, BASE, SBSA_GWDT_SIZE, &sbsa_gwdt_ops, &st.w, "watchdog") == 0);
    for (unsigned i = 0; i < MAX_OPS && !fin_empty(&f); i++)
        run_op(&f);
    return 0;
}
