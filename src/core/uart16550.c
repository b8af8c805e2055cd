/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include <svmm/uart16550.h>

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define LCR_DLAB 0x80
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

/* The highest-priority pending interrupt, as IIR reports it. */
static uint8_t pending_iir(const struct uart16550 *u)
{
    if ((u->ier & IER_RDI) && u->rx_count > 0)
        return IIR_RDI;
    if ((u->ier & IER_THRI) && u->thri_pending)
        return IIR_THRI;
    return IIR_NONE;
}

static void update_irq(struct uart16550 *u)
{
    bool level = pending_iir(u) != IIR_NONE;

    if (level != u->irq_level) {
        u->irq_level = level;
        u->irq_fn(u->irq_ctx, u->irq, level);
    }
}

void uart16550_init(struct uart16550 *u, uart16550_tx_fn tx, void *tx_ctx, uart16550_irq_fn irq_fn,
                    void *irq_ctx, uint32_t irq)
{
    memset(u, 0, sizeof(*u));
    u->tx = tx;
    u->tx_ctx = tx_ctx;
    u->irq_fn = irq_fn;
    u->irq_ctx = irq_ctx;
    u->irq = irq;
    u->lcr = 0x03; /* 8N1 */
    u->mcr = MCR_OUT2;
}

void uart16550_reset(struct uart16550 *u)
{
    bool was_high = u->irq_level;

    uart16550_init(u, u->tx, u->tx_ctx, u->irq_fn, u->irq_ctx, u->irq);
    if (was_high)
        u->irq_fn(u->irq_ctx, u->irq, false);
}

static void rx_push(struct uart16550 *u, uint8_t b)
{
    if (u->rx_count < UART16550_FIFO) {
        u->rx[(u->rx_head + u->rx_count) % UART16550_FIFO] = b;
        u->rx_count++;
    }
}

static uint8_t rx_pop(struct uart16550 *u)
{
    uint8_t b;

    if (u->rx_count == 0)
        return 0;
    b = u->rx[u->rx_head];
    u->rx_head = (u->rx_head + 1) % UART16550_FIFO;
    u->rx_count--;
    return b;
}

size_t uart16550_input(struct uart16550 *u, const uint8_t *buf, size_t len)
{
    size_t n = 0;

    if (u->mcr & MCR_LOOP)
        return len; /* in loopback the line is disconnected from the outside world */
    while (n < len && u->rx_count < UART16550_FIFO)
        rx_push(u, buf[n++]);
    update_irq(u);
    return n;
}

/* Modem status in loopback mode mirrors the modem control outputs (16550 datasheet). */
static uint8_t read_msr(const struct uart16550 *u)
{
    uint8_t m = u->mcr;

    if (!(m & MCR_LOOP))
        return MSR_DCD | MSR_DSR | MSR_CTS;
    return (m & MCR_DTR ? MSR_DSR : 0) | (m & MCR_RTS ? MSR_CTS : 0) | (m & MCR_OUT1 ? MSR_RI : 0) |
           (m & MCR_OUT2 ? MSR_DCD : 0);
}

static uint64_t uart_read(void *dev, unsigned vcpu, uint64_t off, unsigned size)
{
    (void)vcpu; /* the same registers for every vCPU */
    struct uart16550 *u = dev;
    uint8_t v = 0;

    (void)size; /* wider accesses read the byte register at their address */
    switch (off) {
    case RBR_THR:
        v = (u->lcr & LCR_DLAB) ? u->dll : rx_pop(u);
        break;
    case IER: v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier; break;
    case IIR_FCR:
        v = pending_iir(u);
        if (v == IIR_THRI)
            u->thri_pending = false; /* reading IIR acknowledges THRE */
        v |= (u->fcr & FCR_ENABLE) ? IIR_FIFO : 0;
        break;
    case LCR: v = u->lcr; break;
    case MCR: v = u->mcr; break;
    case LSR: v = LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0); break;
    case MSR: v = read_msr(u); break;
    case SCR: v = u->scr; break;
    default: break; /* the rest of the page reads as zero */
    }
    update_irq(u);
    return v;
}

static void uart_write(void *dev, unsigned vcpu, uint64_t off, unsigned size, uint64_t val)
{
    (void)vcpu; /* the same registers for every vCPU */
    struct uart16550 *u = dev;
    uint8_t v = (uint8_t)val;

    (void)size;
    switch (off) {
    case RBR_THR:
        if (u->lcr & LCR_DLAB) {
            u->dll = v;
        } else if (u->mcr & MCR_LOOP) {
            rx_push(u, v);
        } else {
            u->tx(u->tx_ctx, v);
        }
        u->thri_pending = true; /* transmission is instantaneous: THR is empty again */
        break;
    case IER:
        if (u->lcr & LCR_DLAB) {
            u->dlm = v;
        } else {
            /* Enabling THRI with an empty THR raises it at once, as real 16550s do. */
            if ((v & IER_THRI) && !(u->ier & IER_THRI))
                u->thri_pending = true;
            u->ier = v & 0x0f;
        }
        break;
    case IIR_FCR:
        u->fcr = v & FCR_ENABLE;
        if (v & FCR_CLEAR_RX)
            u->rx_count = 0;
        break;
    case LCR: u->lcr = v; break;
    case MCR: u->mcr = v & 0x1f; break;
    case SCR: u->scr = v; break;
    default: break; /* LSR/MSR are read-only; the rest of the page ignores writes */
    }
    update_irq(u);
}

static void uart_reset(void *dev)
{
    uart16550_reset(dev);
}

const struct svmm_mmio_ops uart16550_ops = { uart_read, uart_write, uart_reset };
