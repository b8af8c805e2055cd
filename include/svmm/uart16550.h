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

#define UART16550_SIZE 0x1000u   /* bytes of its MMIO region */
#define UART16550_FIFO 64u       /* bytes the receive FIFO holds */
#define UART16550_CLOCK 1843200u /* input clock in Hz (the DT's clock-frequency) */

/* Takes one byte the guest transmitted. */
typedef void (*uart16550_tx_fn)(void *ctx, uint8_t byte);
/* Drives the UART's interrupt line `irq` to `level`. */
typedef void (*uart16550_irq_fn)(void *ctx, uint32_t irq, bool level);

/* One emulated 16550A: its backends and register state. */
struct uart16550 {
    uart16550_tx_fn tx;       /* where transmitted bytes go */
    void *tx_ctx;             /* passed to tx */
    uart16550_irq_fn irq_fn;  /* drives the interrupt line */
    void *irq_ctx;            /* passed to irq_fn */
    uint32_t irq;             /* its interrupt (an SPI number) */
    bool irq_level;           /* the line as last driven */
    uint8_t ier, lcr, mcr, scr, fcr, dll, dlm; /* IER, LCR, MCR, SCR, FCR and the divisor latch, as written */
    bool thri_pending; /* THR-empty interrupt armed and not yet acknowledged by an IIR read */
    uint8_t rx[UART16550_FIFO]; /* the receive FIFO, a ring */
    unsigned rx_head, rx_count; /* its oldest byte and how many it holds */
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
