/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include <svmm/sbsa_gwdt.h>

/* Control frame (offsets from the region base). */
#define WCS 0x000u
#define WOR_LO 0x008u
#define WOR_HI 0x00cu
#define WCV_LO 0x010u
#define WCV_HI 0x014u
#define W_IIDR 0xfccu /* in both frames */
/* Refresh frame (offsets from its own base). */
#define WRR 0x000u

#define WCS_EN 0x1u
#define WCS_WS0 0x2u
#define WCS_WS1 0x4u

/* Architecture version 1 (48-bit WOR) in bits [19:16]; implementer, product and revision 0 (unnamed). */
#define IIDR_VALUE (1u << 16)

#define LO32 0xffffffffull

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* When the next stage is due, or SBSA_GWDT_NEVER: nothing runs while disabled or after WS1. */
static uint64_t next_deadline(const struct sbsa_gwdt *w)
{
    return w->enabled && !w->ws1 ? w->wcv : SBSA_GWDT_NEVER;
}

/* Drive the line to follow WS0 (level-sensitive), telling the platform only about changes. */
static void update_irq(struct sbsa_gwdt *w)
{
    if (w->irq_level != w->ws0) {
        w->irq_level = w->ws0;
        w->irq_fn(w->irq_ctx, w->spi, w->irq_level);
    }
}

/* Every state change ends here: the line and the platform's timer follow the registers. */
static void publish(struct sbsa_gwdt *w)
{
    update_irq(w);
    w->clock.arm(w->clock.ctx, next_deadline(w));
}

/* An explicit refresh (a write to WRR, WOR or WCS): WCV = counter + WOR, both signals clear. */
static void refresh(struct sbsa_gwdt *w)
{
    uint64_t now = w->clock.now(w->clock.ctx);

    w->refreshed = now;
    w->wcv = sat_add(now, w->wor); /* wor <= 2^48-1: saturates only for a counter near 2^64 */
    w->ws0 = w->ws1 = false;
}

void sbsa_gwdt_init(struct sbsa_gwdt *w, const struct sbsa_gwdt_clock *clock, sbsa_gwdt_irq_fn irq_fn,
                    void *irq_ctx, uint32_t spi, unsigned timeout_s)
{
    memset(w, 0, sizeof(*w));
    w->clock = *clock;
    w->irq_fn = irq_fn;
    w->irq_ctx = irq_ctx;
    w->spi = spi;
    if (timeout_s > SBSA_GWDT_MAX_TIMEOUT)
        timeout_s = SBSA_GWDT_MAX_TIMEOUT;
    /* hz < 2^32 and timeout_s <= 3600: the product stays below 2^44, inside WOR's 48 bits. */
    w->boot_wor = (clock->hz / 2 * timeout_s) & SBSA_GWDT_WOR_MASK;
    w->wor = w->boot_wor;
    w->wcv = SBSA_GWDT_NEVER;
}

void sbsa_gwdt_reset(struct sbsa_gwdt *w)
{
    w->enabled = w->ws0 = w->ws1 = false;
    w->wor = w->boot_wor;
    w->wcv = SBSA_GWDT_NEVER;
    w->refreshed = w->ws1_at = 0;
    publish(w);
}

void sbsa_gwdt_power_on(struct sbsa_gwdt *w)
{
    w->enabled = true;
    w->wor = w->boot_wor;
    refresh(w);
    publish(w);
}

bool sbsa_gwdt_tick(struct sbsa_gwdt *w)
{
    uint64_t now = w->clock.now(w->clock.ctx);
    bool fired = false;

    /*
     * The first stage's timeout refresh counts WOR from when the device sees it (now), not from the
     * WCV that passed: after a stall of the whole host (vCPUs and this timer alike), a healthy guest
     * still gets a full WOR to refresh before WS1, so only a guest that stayed silent is blamed.
     */
    if (w->enabled && !w->ws0 && now >= w->wcv) {
        w->ws0 = true;
        w->wcv = sat_add(now, w->wor);
    }
    /* At most one step each: with WOR 0 both stages pass in one call, and nothing loops. */
    if (w->enabled && w->ws0 && !w->ws1 && now >= w->wcv) {
        w->ws1 = true;
        w->ws1_at = now;
        fired = true;
    }
    publish(w);
    return fired;
}

uint64_t sbsa_gwdt_ws1_seconds(const struct sbsa_gwdt *w)
{
    uint64_t hz = w->clock.hz ? w->clock.hz : 1;

    return w->ws1_at >= w->refreshed ? (w->ws1_at - w->refreshed) / hz : 0;
}

/*
 * Which register an access reaches, or -1: 32-bit accesses at 4-byte aligned offsets anywhere, and
 * 64-bit ones only at WOR and WCV (the two 64-bit registers, 8-byte aligned). Anything else (bytes,
 * halfwords, a 64-bit access elsewhere) is ignored and counted. `off` < SBSA_GWDT_SIZE (the bus).
 */
static int check_access(struct sbsa_gwdt *w, uint64_t off, unsigned size)
{
    if ((size == 4 && off % 4 == 0) || (size == 8 && (off == WOR_LO || off == WCV_LO)))
        return 0;
    w->bad_accesses++;
    return -1;
}

static uint64_t control_read(const struct sbsa_gwdt *w, uint64_t off, unsigned size)
{
    switch (off) {
    case WCS:
        return (w->enabled ? WCS_EN : 0) | (w->ws0 ? WCS_WS0 : 0) | (w->ws1 ? WCS_WS1 : 0);
    case WOR_LO:
        return size == 8 ? w->wor : w->wor & LO32;
    case WOR_HI:
        return w->wor >> 32;
    case WCV_LO:
        return size == 8 ? w->wcv : w->wcv & LO32;
    case WCV_HI:
        return w->wcv >> 32;
    case W_IIDR:
        return IIDR_VALUE;
    default:
        return 0; /* reserved and identification registers read as zero */
    }
}

static void control_write(struct sbsa_gwdt *w, uint64_t off, unsigned size, uint64_t val)
{
    switch (off) {
    case WCS:
        w->enabled = (val & WCS_EN) != 0; /* WS0 and WS1 are read-only: the refresh clears them */
        refresh(w);
        break;
    case WOR_LO:
        w->wor = size == 8 ? val & SBSA_GWDT_WOR_MASK : (w->wor & ~LO32) | (val & LO32);
        refresh(w);
        break;
    case WOR_HI:
        w->wor = ((val << 32) & SBSA_GWDT_WOR_MASK) | (w->wor & LO32); /* bits [63:48] are RAZ/WI */
        refresh(w);
        break;
    case WCV_LO:
        w->wcv = size == 8 ? val : (w->wcv & ~LO32) | (val & LO32); /* a compare value, not a refresh */
        break;
    case WCV_HI:
        w->wcv = (val << 32) | (w->wcv & LO32);
        break;
    default:
        return; /* W_IIDR and the reserved space ignore writes */
    }
    publish(w);
}

static uint64_t gwdt_read(void *dev, unsigned vcpu, uint64_t off, unsigned size)
{
    (void)vcpu; /* the same registers for every vCPU */
    struct sbsa_gwdt *w = dev;

    if (check_access(w, off, size) < 0)
        return 0;
    if (off < SBSA_GWDT_FRAME_SIZE)
        return control_read(w, off, size);
    return off - SBSA_GWDT_FRAME_SIZE == W_IIDR ? IIDR_VALUE : 0; /* WRR is write-only: reads as zero */
}

static void gwdt_write(void *dev, unsigned vcpu, uint64_t off, unsigned size, uint64_t val)
{
    (void)vcpu; /* the same registers for every vCPU */
    struct sbsa_gwdt *w = dev;

    if (check_access(w, off, size) < 0)
        return;
    /* A 32-bit register takes the access's low 32 bits, whatever the platform left above them. */
    if (off < SBSA_GWDT_FRAME_SIZE) {
        control_write(w, off, size, size == 4 ? val & LO32 : val);
    } else if (off - SBSA_GWDT_FRAME_SIZE == WRR) {
        refresh(w); /* any value refreshes */
        publish(w);
    }
}

static void gwdt_reset(void *dev)
{
    sbsa_gwdt_reset(dev);
}

const struct svmm_mmio_ops sbsa_gwdt_ops = { gwdt_read, gwdt_write, gwdt_reset };
