/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Arm SBSA Generic Watchdog (Arm DEN0029 / BSA, architecture version 1: a 48-bit WOR), DT
 * compatible "arm,sbsa-gwdt": how the VMM learns that a guest stopped working. Two 4 KiB frames,
 * the control frame first (WCS, WOR, WCV, W_IIDR) and the refresh frame after it (WRR, W_IIDR),
 * one MMIO region of SBSA_GWDT_SIZE bytes.
 *
 * The guest refreshes the watchdog (a write to WRR, WOR or WCS: WCV = counter + WOR, WS0 and WS1
 * clear). When the system counter passes WCV, WS0 rises (the interrupt line, level) and WCV moves
 * WOR further; when it passes WCV again, WS1 rises: the signal to the platform, which ends the boot
 * as a guest fault. Linux's sbsa_gwdt driver (default action=0) ignores WS0 and programs WOR to
 * half its timeout, so WS1 comes `timeout` seconds after the guest's last refresh.
 *
 * Time comes from the platform (struct sbsa_gwdt_clock): the guest's system counter, and a timer the
 * platform runs for the device: the device says when it next needs to look (arm), the platform
 * calls sbsa_gwdt_tick() once that counter value has passed. Every function here runs under the
 * platform's device lock, like the MMIO callbacks.
 */
#ifndef SVMM_SBSA_GWDT_H
#define SVMM_SBSA_GWDT_H

#include <stdbool.h>
#include <stdint.h>
#include <svmm/mmio.h>

#define SBSA_GWDT_FRAME_SIZE 0x1000u              /* each frame is 4 KiB */
#define SBSA_GWDT_SIZE (2u * SBSA_GWDT_FRAME_SIZE) /* control frame, then refresh frame */
#define SBSA_GWDT_NEVER UINT64_MAX                /* arm(): no deadline */
#define SBSA_GWDT_WOR_MASK ((1ull << 48) - 1)     /* architecture version 1: WOR is 48 bits */
#define SBSA_GWDT_MAX_TIMEOUT 3600u               /* seconds: the longest boot-time timeout */

/* The platform's time, as the device sees it. */
struct sbsa_gwdt_clock {
    uint64_t hz;                               /* counter frequency (CNTFRQ_EL0): 1 .. 2^32-1 */
    uint64_t (*now)(void *ctx);                /* the guest's system counter (what CNTVCT_EL0 reads) */
    void (*arm)(void *ctx, uint64_t deadline); /* call sbsa_gwdt_tick() once now() >= deadline; replaces
                                                  the previous deadline; SBSA_GWDT_NEVER: none */
    void *ctx;                                 /* passed to now and arm */
};

/* Drive the level of the watchdog's interrupt line (WS0), SPI `spi`. */
typedef void (*sbsa_gwdt_irq_fn)(void *ctx, uint32_t spi, bool level);

/* One watchdog: its platform hooks and register state. */
struct sbsa_gwdt {
    struct sbsa_gwdt_clock clock; /* the platform's time */
    sbsa_gwdt_irq_fn irq_fn;      /* drives the WS0 interrupt line */
    void *irq_ctx;                /* passed to irq_fn */
    uint32_t spi;                 /* the WS0 interrupt's SPI */
    uint64_t boot_wor;  /* WOR at power-on: half the configured timeout, in counter ticks */
    bool enabled;       /* WCS.EN */
    bool ws0, ws1;      /* WCS.WS0, WCS.WS1 (read-only to the guest) */
    bool irq_level;     /* the line as last driven (follows ws0) */
    uint64_t wor;       /* <= SBSA_GWDT_WOR_MASK */
    uint64_t wcv;       /* WCV: the compare value (counter ticks) */
    uint64_t refreshed; /* counter at the last explicit refresh (or power-on) */
    uint64_t ws1_at;    /* counter when WS1 rose */
    uint64_t bad_accesses; /* accesses of a size or alignment the registers do not take (ignored) */
};

/* The register callbacks to register with svmm_mmio_register() over SBSA_GWDT_SIZE bytes. */
extern const struct svmm_mmio_ops sbsa_gwdt_ops;

/*
 * Set up a watchdog that power-on (sbsa_gwdt_power_on) starts enabled with a timeout of `timeout_s`
 * seconds (1 .. SBSA_GWDT_MAX_TIMEOUT; WOR = half of it, as Linux programs it): the guest's boot
 * window, until its driver programs its own timeout. Interrupt WS0 on
 * `spi` through irq_fn. No callback runs here: the platform's timer may not exist yet. The device
 * stays quiescent (disabled, no deadline) until power-on.
 */
void sbsa_gwdt_init(struct sbsa_gwdt *w, const struct sbsa_gwdt_clock *clock, sbsa_gwdt_irq_fn irq_fn,
                    void *irq_ctx, uint32_t spi, unsigned timeout_s);

/* A VM reset: disabled, WS0/WS1 clear (the line goes low if it was high), no deadline. */
void sbsa_gwdt_reset(struct sbsa_gwdt *w);

/*
 * The VM's vCPUs are about to run (each boot, in the guest's counter of that boot): enable the
 * watchdog with the boot-time WOR and refresh it, as firmware that hands over a running watchdog
 * would. The guest then has the whole timeout to start refreshing it (Linux: the driver's probe).
 */
void sbsa_gwdt_power_on(struct sbsa_gwdt *w);

/*
 * The platform's timer for the deadline given to arm() fired: advance the two stages for the
 * counter's value now, then arm() the next deadline. Returns true exactly once per timeout: when WS1
 * rose in this call (the guest stopped refreshing; the platform ends the boot).
 */
bool sbsa_gwdt_tick(struct sbsa_gwdt *w);

/* Whole seconds from the last explicit refresh to WS1 (meaningful once sbsa_gwdt_tick returned true). */
uint64_t sbsa_gwdt_ws1_seconds(const struct sbsa_gwdt *w);

#endif
