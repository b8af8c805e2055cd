/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz the 16550 UART model (src/core/uart16550.c) behind the MMIO bus. The input is a sequence of
 * register reads and writes (any offset in the page, any access size) and host input bursts.
 * A small reference model of the receive FIFO checks what the guest reads:
 *   - rx_count <= UART16550_FIFO and rx_head < UART16550_FIFO at all times;
 *   - RBR (DLAB clear) returns the oldest byte received, or 0 when the FIFO is empty;
 *   - LSR.DR is set exactly when the FIFO holds data; LSR always reports THRE|TEMT;
 *   - uart16550_input takes min(len, free space) bytes (all of them in loopback), bytes written
 *     to THR reach tx() outside loopback and the FIFO inside it;
 *   - the interrupt line only changes through irq_fn and matches the IIR's "pending" state.
 */
#include <svmm/mmio.h>
#include <svmm/uart16550.h>
#include "fuzz.h"

#define MAX_OPS 2048
#define UART_BASE 0x09000000ull
#define IRQ 1u

struct model {
    uint8_t fifo[UART16550_FIFO];
    unsigned head, count;
};

struct state {
    struct svmm_mmio_bus bus;
    struct uart16550 u;
    struct model m;
    bool irq_level;
    uint64_t tx_bytes;
    int last_tx; /* last byte tx() got, -1 if none since the last check */
};

static struct state st;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void tx(void *ctx, uint8_t b)
{
    FUZZ_CHECK(ctx == &st);
    FUZZ_CHECK(!(st.u.mcr & 0x10)); /* nothing leaves the UART in loopback */
    st.tx_bytes++;
    st.last_tx = b;
}

static void irq_fn(void *ctx, uint32_t irq, bool level)
{
    FUZZ_CHECK(ctx == &st && irq == IRQ);
    FUZZ_CHECK(level != st.irq_level); /* only called on a change */
    st.irq_level = level;
}

static void model_push(uint8_t b)
{
    if (st.m.count < UART16550_FIFO)
        st.m.fifo[(st.m.head + st.m.count++) % UART16550_FIFO] = b;
}

static uint8_t model_pop(void)
{
    uint8_t b;

    if (st.m.count == 0)
        return 0;
    b = st.m.fifo[st.m.head];
    st.m.head = (st.m.head + 1) % UART16550_FIFO;
    st.m.count--;
    return b;
}

static uint64_t bus_access(uint64_t off, bool is_write, unsigned size, uint64_t val)
{
    uint64_t data = val;

    svmm_mmio_access(&st.bus, 0, UART_BASE + off, is_write, size, &data);
    return data;
}

static void check(void)
{
    const struct uart16550 *u = &st.u;

    FUZZ_CHECK(u->rx_count <= UART16550_FIFO);
    FUZZ_CHECK(u->rx_head < UART16550_FIFO);
    FUZZ_CHECK(u->rx_count == st.m.count);
    FUZZ_CHECK(st.irq_level == u->irq_level);
    FUZZ_CHECK(u->irq_level == (((u->ier & 1) && u->rx_count) || ((u->ier & 2) && u->thri_pending)));
}

static const unsigned sizes[] = { 1, 1, 1, 1, 2, 4, 8, 3 };

static void run_op(struct fin *f)
{
    uint8_t op = fin_u8(f);
    /* Mostly the eight registers; sometimes anywhere in (or just past) the 4 KiB page. */
    uint64_t off = (op & 0x80) ? fin_u16(f) % (UART16550_SIZE + 16) : (op >> 4) & 7;
    unsigned size = sizes[(op >> 3) & 7 & ((op & 0x80) ? 7 : 0)];
    bool in_page = size == 1 || size == 2 || size == 4 || size == 8 ? off + size <= UART16550_SIZE : false;
    bool dlab = st.u.lcr & 0x80, loop = st.u.mcr & 0x10;

    switch (op & 3) {
    case 0: { /* read */
        uint64_t v = bus_access(off, false, size, 0);
        if (!in_page || off >= 8) {
            FUZZ_CHECK(v == 0);
            break;
        }
        FUZZ_CHECK(v <= 0xff);
        if (off == 0 && !dlab)
            FUZZ_CHECK(v == model_pop());
        if (off == 5)
            FUZZ_CHECK((v & 0x60) == 0x60 && ((v & 1) != 0) == (st.m.count != 0));
        break;
    }
    case 1: { /* write */
        uint8_t v = fin_u8(f);
        uint64_t before = st.tx_bytes;
        st.last_tx = -1;
        bus_access(off, true, size, v | (uint64_t)fin_u8(f) << 8);
        if (!in_page || off >= 8) {
            FUZZ_CHECK(st.tx_bytes == before);
            break;
        }
        if (off == 0 && !dlab) {
            if (loop) {
                model_push(v);
                FUZZ_CHECK(st.tx_bytes == before);
            } else {
                FUZZ_CHECK(st.tx_bytes == before + 1 && st.last_tx == v);
            }
        } else {
            FUZZ_CHECK(st.tx_bytes == before);
        }
        if (off == 2 && (v & 2)) {
            st.m.count = 0; /* FCR: clear the receive FIFO */
            st.m.head = st.u.rx_head;
        }
        break;
    }
    default: { /* host input burst */
        uint8_t buf[128];
        size_t len = fin_u8(f) % (sizeof(buf) + 1), free_space = UART16550_FIFO - st.m.count, got;
        fin_bytes(f, buf, len);
        got = uart16550_input(&st.u, buf, len);
        if (loop) {
            FUZZ_CHECK(got == len);
        } else {
            FUZZ_CHECK(got == (len < free_space ? len : free_space));
            for (size_t i = 0; i < got; i++)
                model_push(buf[i]);
        }
        break;
    }
    }
    if (st.m.count == 0)
        st.m.head = st.u.rx_head; /* an empty FIFO's position is not observable */
    check();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fin f = fin_make(data, size);

    memset(&st, 0, sizeof(st));
    svmm_mmio_bus_init(&st.bus);
    uart16550_init(&st.u, tx, &st, irq_fn, &st, IRQ);
    FUZZ_CHECK(svmm_mmio_register(&st.bus, UART_BASE, UART16550_SIZE, &uart16550_ops, &st.u, "uart") == 0);
    st.m.head = st.u.rx_head;
    check();
    for (unsigned i = 0; i < MAX_OPS && !fin_empty(&f); i++)
        run_op(&f);
    return 0;
}
