/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An emulated 16550A UART (byte-wide registers, reg-shift 0). Debian's kernels build the 8250
 * driver in, so the boot log (earlycon, console=ttyS0) is visible before any module loads.
 */
#ifndef SVMM_UART16550_H
#define SVMM_UART16550_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <svmm/mmio.h>

#define UART16550_SIZE 0x1000u
#define UART16550_FIFO 64u
#define UART16550_CLOCK 1843200u

typedef void (*uart16550_tx_fn)(void *ctx, uint8_t byte);
typedef void (*uart16550_irq_fn)(void *ctx, uint32_t irq, bool level);

struct uart16550 {
    uart16550_tx_fn tx;
    void *tx_ctx;
    uart16550_irq_fn irq_fn;
    void *irq_ctx;
    uint32_t irq;
    bool irq_level;
    uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
    bool thri_pending; /* THR-empty interrupt armed and not yet acknowledged by an IIR read */
    uint8_t rx[UART16550_FIFO];
    unsigned rx_head, rx_count;
};

/* The register callbacks to register with svmm_mmio_register(). */
extern const struct svmm_mmio_ops uart16550_ops;

/* Power-on reset; transmitted bytes go to tx(tx_ctx, byte), the interrupt line to irq_fn. */
void uart16550_init(struct uart16550 *u, uart16550_tx_fn tx, void *tx_ctx, uart16550_irq_fn irq_fn,
                    void *irq_ctx, uint32_t irq);

/* Reset to power-on state, keeping the backends; the interrupt line goes low if it was high. */
void uart16550_reset(struct uart16550 *u);

/* Queue received bytes for the guest; returns how many fitted in the FIFO (retry the rest later). */
size_t uart16550_input(struct uart16550 *u, const uint8_t *buf, size_t len);

#endif
