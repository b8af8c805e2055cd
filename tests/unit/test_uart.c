/* SPDX-License-Identifier: BSD-2-Clause */
#include <svmm/uart16550.h>
#include "test.h"

static uint8_t out[64];
static unsigned nout, irq_changes;
static bool irq_level;

static void tx(void *ctx, uint8_t b) { (void)ctx; if (nout < sizeof(out)) out[nout++] = b; }
static void irq(void *ctx, uint32_t n, bool level) { (void)ctx; (void)n; irq_level = level; irq_changes++; }

static void setup(struct uart16550 *u)
{
    nout = irq_changes = 0;
    irq_level = false;
    uart16550_init(u, tx, NULL, irq, NULL, 1);
}

static uint8_t rd(struct uart16550 *u, unsigned off) { return (uint8_t)uart16550_ops.read(u, 0, off, 1); }
static void wr(struct uart16550 *u, unsigned off, uint8_t v) { uart16550_ops.write(u, 0, off, 1, v); }

TEST(uart_transmits_and_reports_empty)
{
    struct uart16550 u;

    setup(&u);
    wr(&u, 0, 'h');
    wr(&u, 0, 'i');
    CHECK_EQ(nout, 2);
    CHECK(out[0] == 'h' && out[1] == 'i');
    CHECK_EQ(rd(&u, 5) & 0x60, 0x60); /* THRE | TEMT */
}

TEST(uart_thre_interrupt_and_ack_by_iir_read)
{
    struct uart16550 u;

    setup(&u);
    wr(&u, 1, 0x02); /* enable THRI with THR empty: interrupt at once */
    CHECK(irq_level);
    CHECK_EQ(rd(&u, 2) & 0x0f, 0x02);
    CHECK(!irq_level); /* IIR read acknowledged it */
    wr(&u, 0, 'x');
    CHECK(irq_level);
    wr(&u, 1, 0);
    CHECK(!irq_level);
}

TEST(uart_receive_raises_rdi_and_fifo_bounds)
{
    struct uart16550 u;
    uint8_t many[200];

    setup(&u);
    wr(&u, 1, 0x01);
    CHECK_EQ(uart16550_input(&u, (const uint8_t *)"ab", 2), 2);
    CHECK(irq_level);
    CHECK_EQ(rd(&u, 5) & 1, 1);
    CHECK_EQ(rd(&u, 2) & 0x0f, 0x04);
    CHECK_EQ(rd(&u, 0), 'a');
    CHECK_EQ(rd(&u, 0), 'b');
    CHECK(!irq_level);
    CHECK_EQ(rd(&u, 5) & 1, 0);
    CHECK_EQ(rd(&u, 0), 0); /* empty FIFO reads 0, never stale memory */
    memset(many, 'z', sizeof(many));
    CHECK_EQ(uart16550_input(&u, many, sizeof(many)), UART16550_FIFO);
    wr(&u, 2, 0x03); /* FIFO enable + clear RX */
    CHECK_EQ(rd(&u, 5) & 1, 0);
    CHECK_EQ(rd(&u, 2) & 0xc0, 0xc0);
}

TEST(uart_divisor_latch_and_loopback)
{
    struct uart16550 u;

    setup(&u);
    wr(&u, 3, 0x83); /* DLAB */
    wr(&u, 0, 0x01);
    wr(&u, 1, 0x02);
    CHECK_EQ(rd(&u, 0), 0x01);
    CHECK_EQ(rd(&u, 1), 0x02);
    CHECK_EQ(nout, 0); /* divisor writes are not output */
    wr(&u, 3, 0x03);
    wr(&u, 4, 0x10 | 0x02); /* loopback + RTS */
    CHECK_EQ(rd(&u, 6) & 0x10, 0x10); /* CTS mirrors RTS */
    wr(&u, 0, 'L');
    CHECK_EQ(nout, 0);
    CHECK_EQ(rd(&u, 0), 'L');
    wr(&u, 7, 0x5a);
    CHECK_EQ(rd(&u, 7), 0x5a);
    CHECK_EQ(rd(&u, 0x800), 0); /* the rest of the page */
}

TEST(uart_reset_restores_power_on_and_drops_the_line)
{
    struct uart16550 u;

    setup(&u);
    wr(&u, 3, 0x80); /* DLAB */
    wr(&u, 0, 0x12);
    wr(&u, 3, 0x03);
    wr(&u, 7, 0x5a); /* scratch */
    wr(&u, 1, 0x03); /* RDI and THRI: THR empty raises the line */
    CHECK(uart16550_input(&u, (const uint8_t *)"ab", 2) == 2);
    CHECK(irq_level);
    uart16550_reset(&u);
    CHECK(!irq_level);          /* the line went low with the reset */
    CHECK_EQ(rd(&u, 1), 0);     /* IER */
    CHECK_EQ(rd(&u, 7), 0);     /* SCR */
    CHECK_EQ(rd(&u, 5) & 1, 0); /* the received bytes are gone */
    CHECK_EQ(rd(&u, 3), 0x03);  /* 8N1 */
    wr(&u, 0, 'z');             /* the transmit backend is kept */
    CHECK_EQ(out[nout - 1], 'z');
}
