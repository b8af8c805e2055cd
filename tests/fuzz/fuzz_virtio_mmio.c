/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz the virtio-mmio transport (src/virtio/mmio.c) with a virtio-console behind it
 * (src/virtio/console.c), reached through the MMIO bus as a vCPU's trapped accesses are.
 *
 * Guest memory: RAM at gpa 0x10000 (32 KiB) and a read-only RAM region at gpa 0x20000 (4 KiB), with
 * ASan-poisoned host guards around both. The input is a sequence of operations (see run_op): raw
 * register accesses of any size and offset (config space and QueueNotify included), compact 32-bit
 * register writes, guest-memory writes, descriptor writes and avail-ring publishes at the addresses
 * the driver programmed, host console input, and a one-op driver bring-up.
 *
 * Invariants: no sanitizer report; status never has DRIVER_OK without FEATURES_OK; negotiated
 * features are offered ones with VERSION_1; the interrupt line follows InterruptStatus; enabled
 * queues' rings are guest RAM (used ring writable); console output comes only from guest RAM (or
 * is the one emergency-write byte); the device never writes the read-only region.
 */
#include <svmm/mmio.h>
#include <svmm/virtio_console.h>
#include <svmm/virtio_mmio.h>
#include "fuzz.h"
#include "fuzz_transport.h"

#define MAX_OPS 1024
#define MMIO_BASE 0x0a000000ull
#define IRQ 16u
#define F_EMERG_WRITE 2

#define RAM_GPA 0x10000ull
#define RAM_SIZE 0x8000ull
#define RO_GPA 0x20000ull
#define RO_SIZE 0x1000ull
#define RO_HOST_OFF 0x9000
#define ARENA_SIZE 0xb000

static uint8_t arena[ARENA_SIZE] __attribute__((aligned(4096)));
static uint8_t ro_snapshot[RO_SIZE];

struct state {
    struct svmm_memmap mem;
    struct svmm_mmio_bus bus;
    struct virtio_console con;
    struct virtio_mmio t;
    bool irq_level;
    bool in_config_write; /* an emergency write may send one byte from the VMM's stack */
    uint64_t out_bytes;
};

static struct state st;

static void log_sink(enum svmm_log_level level, const char *line, unsigned len)
{
    (void)level;
    FUZZ_CHECK(strlen(line) == len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_poison(arena + RAM_SIZE, RO_HOST_OFF - RAM_SIZE);
    fz_poison(arena + RO_HOST_OFF + RO_SIZE, ARENA_SIZE - RO_HOST_OFF - RO_SIZE);
    /* Format every warning the transport emits (rate limits still apply), then drop it. */
    svmm_log_init(log_sink, SVMM_LOG_DEBUG);
    return 0;
}

static void con_write(void *ctx, const uint8_t *buf, size_t len)
{
    FUZZ_CHECK(ctx == &st);
    FUZZ_CHECK(fz_inside(buf, len, arena, RAM_SIZE) || fz_inside(buf, len, arena + RO_HOST_OFF, RO_SIZE) ||
               (st.in_config_write && len == 1));
    st.out_bytes += len;
}

static void irq_fn(void *ctx, uint32_t irq, bool level)
{
    FUZZ_CHECK(ctx == &st && irq == IRQ);
    st.irq_level = level;
}

/* The driver's view of guest memory (it may also set up the read-only region's contents). */
static uint8_t *drv_ptr(uint64_t gpa, uint64_t len)
{
    if (len <= RAM_SIZE && gpa >= RAM_GPA && gpa - RAM_GPA <= RAM_SIZE - len)
        return arena + (gpa - RAM_GPA);
    if (len <= RO_SIZE && gpa >= RO_GPA && gpa - RO_GPA <= RO_SIZE - len)
        return arena + RO_HOST_OFF + (gpa - RO_GPA);
    return NULL;
}

static void drv_write(uint64_t gpa, const void *src, size_t len)
{
    uint8_t *p = drv_ptr(gpa, len);

    if (p == NULL || len == 0)
        return;
    memcpy(p, src, len);
    if (gpa >= RO_GPA)
        memcpy(ro_snapshot + (gpa - RO_GPA), src, len);
}

static uint64_t mmio(uint64_t off, bool is_write, unsigned size, uint64_t val)
{
    uint64_t data = val;

    st.in_config_write = is_write && off >= 0x100;
    svmm_mmio_access(&st.bus, MMIO_BASE + off, is_write, size, &data);
    st.in_config_write = false;
    return data;
}

static void wr32(uint64_t off, uint32_t v) { mmio(off, true, 4, v); }

static bool in_ram(const void *p, size_t len, bool writable)
{
    return fz_inside(p, len, arena, RAM_SIZE) || (!writable && fz_inside(p, len, arena + RO_HOST_OFF, RO_SIZE));
}

static void check_invariants(void)
{
    fz_check_transport(&st.t, st.irq_level, in_ram);
}

/* Offsets a driver writes with 32-bit accesses (VirtIO 1.2, 4.2.2). */
static const uint16_t regs[] = {
    0x014, 0x020, 0x024, 0x030, 0x038, 0x044, 0x050, 0x064, 0x070, 0x080, 0x084,
    0x090, 0x094, 0x0a0, 0x0a4, 0x0ac, 0x0c0, 0x108, 0x100, 0x000, 0x0fc, 0x060,
};
static const unsigned sizes[] = { 4, 4, 4, 1, 2, 8, 3, 0 };

/* Standard ring addresses per queue (room for 256 entries each), and where buffers go. */
static uint64_t ring_gpa(unsigned q, unsigned which)
{
    static const uint64_t off[3] = { 0x0000, 0x1000, 0x1400 };
    static const uint64_t small_off[3] = { 0x000, 0x200, 0x280 };

    /* Queues 0-1 (port 0) get room for 256 entries; the multiport ones (2..) for 32 each. */
    if (q >= 2)
        return RAM_GPA + 0x4000 + 0x400ull * (q - 2) + small_off[which];
    return RAM_GPA + 0x2000ull * q + off[which];
}

/* The whole Linux bring-up in one op: features from b, both queues of size 2^(n%9). */
static void bring_up(uint8_t b, uint8_t n)
{
    uint64_t feat = 1ull << VIRTIO_F_VERSION_1 | (uint64_t)(b & 1) << VIRTIO_F_INDIRECT_DESC |
                    (uint64_t)((b >> 1) & 1) << VIRTIO_F_EVENT_IDX | (uint64_t)((b >> 2) & 1) << F_EMERG_WRITE |
                    (uint64_t)((b >> 3) & 1) << VIRTIO_CONSOLE_F_MULTIPORT;

    wr32(0x070, 0);
    wr32(0x070, VIRTIO_STATUS_ACKNOWLEDGE);
    wr32(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    wr32(0x024, 0);
    wr32(0x020, (uint32_t)feat);
    wr32(0x024, 1);
    wr32(0x020, (uint32_t)(feat >> 32));
    wr32(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    for (unsigned q = 0; q < ((b >> 3) & 1 ? st.con.dev.num_queues : 2u); q++) {
        wr32(0x030, q);
        wr32(0x038, 1u << (q < 2 ? n % 9 : n % 6));
        wr32(0x080, (uint32_t)ring_gpa(q, 0));
        wr32(0x084, 0);
        wr32(0x090, (uint32_t)ring_gpa(q, 1));
        wr32(0x094, 0);
        wr32(0x0a0, (uint32_t)ring_gpa(q, 2));
        wr32(0x0a4, 0);
        wr32(0x044, 1);
    }
    wr32(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                    VIRTIO_STATUS_DRIVER_OK);
}

static void op_desc(struct fin *f)
{
    const struct virtq *q = &st.con.dev.queues[fin_u8(f) % st.con.dev.num_queues];
    uint8_t sel = fin_u8(f), d[16];
    uint16_t idx = q->num ? fin_u8(f) % q->num : fin_u8(f);
    uint64_t addr = (sel & 0x80) ? fin_u64(f) : ((sel & 0x40) ? RO_GPA : RAM_GPA) + fin_u16(f);

    fz_put(d, addr, 8);
    fz_put(d + 8, (sel & 0x20) ? fin_u32(f) : fin_u16(f), 4);
    fz_put(d + 12, (sel & 0x10) ? fin_u16(f) : (fin_u8(f) & 7), 2);
    fz_put(d + 14, fin_u8(f), 2);
    drv_write(q->desc_gpa + 16ull * idx, d, sizeof(d));
}

static void op_publish(struct fin *f)
{
    const struct virtq *q = &st.con.dev.queues[fin_u8(f) % st.con.dev.num_queues];
    uint16_t head = fin_u16(f), idx;
    uint8_t *avail, v[2];

    if (q->num == 0 || (avail = drv_ptr(q->avail_gpa, 4 + 2u * q->num)) == NULL)
        return;
    idx = (uint16_t)fz_get(avail + 2, 2);
    fz_put(v, head, 2);
    drv_write(q->avail_gpa + 4 + 2u * (idx % q->num), v, 2);
    fz_put(v, (uint16_t)(idx + 1), 2);
    drv_write(q->avail_gpa + 2, v, 2);
}

static void run_op(struct fin *f)
{
    uint8_t op = fin_u8(f);

    switch (op & 7) {
    case 0: { /* raw read, any size (the bus rejects 0, 3, and accesses past the window) */
        uint64_t off = fin_u16(f) % 0x240;
        uint64_t v = mmio(off, false, sizes[fin_u8(f) & 7], 0);
        if (off == 0x070)
            FUZZ_CHECK(v == 0 || v == st.t.status);
        break;
    }
    case 1: { /* raw write */
        uint64_t off = fin_u16(f) % 0x240;
        unsigned size = sizes[fin_u8(f) & 7];
        mmio(off, true, size, size == 8 ? fin_u64(f) : fin_u32(f));
        break;
    }
    case 2: { /* 32-bit register write, the common case */
        uint16_t off = regs[fin_u8(f) % (sizeof(regs) / sizeof(regs[0]))];
        wr32(off, fin_u32(f));
        break;
    }
    case 3: { /* guest memory write (RAM, or the read-only region's initial contents) */
        bool ro = fin_u8(f) & 1;
        uint64_t size = ro ? RO_SIZE : RAM_SIZE, off = fin_u16(f) % size;
        size_t len = fin_u8(f) % 65;
        uint8_t buf[64];
        if (len > size - off)
            len = size - off;
        fin_bytes(f, buf, len);
        drv_write((ro ? RO_GPA : RAM_GPA) + off, buf, len);
        break;
    }
    case 4: { /* host console input */
        uint8_t buf[256];
        size_t len = fin_u8(f), got;
        unsigned port = len % 3; /* port 0 (the console) or a named port */
        bool ready = virtio_console_port_ready(&st.con, port);
        fin_bytes(f, buf, len);
        got = virtio_console_port_input(&st.con, port, buf, len);
        FUZZ_CHECK(got <= len);
        FUZZ_CHECK(ready || got == 0);
        break;
    }
    case 5: op_desc(f); break;
    case 6: op_publish(f); break;
    case 7: {
        uint8_t b = fin_u8(f);
        bring_up(b, fin_u8(f));
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct virtio_console_backend be = { con_write, &st };
    struct fin f = fin_make(data, size);

    memset(&st, 0, sizeof(st));
    memset(arena, 0, RAM_SIZE);
    memset(arena + RO_HOST_OFF, 0, RO_SIZE);
    memset(ro_snapshot, 0, sizeof(ro_snapshot));
    svmm_memmap_init(&st.mem);
    FUZZ_CHECK(svmm_memmap_add(&st.mem, RAM_GPA, RAM_SIZE, arena, SVMM_MEM_RAM) == 0);
    FUZZ_CHECK(svmm_memmap_add(&st.mem, RO_GPA, RO_SIZE, arena + RO_HOST_OFF, SVMM_MEM_RAM | SVMM_MEM_RO) == 0);
    svmm_mmio_bus_init(&st.bus);
    virtio_console_init(&st.con, &be);
    /* Multiport is offered; the driver side (bring_up's feature byte) decides whether it is used. */
    virtio_console_offer_multiport(&st.con);
    FUZZ_CHECK(virtio_console_add_port(&st.con, "p1", &be) == 1);
    FUZZ_CHECK(virtio_console_add_port(&st.con, "p2", &be) == 2);
    virtio_mmio_init(&st.t, &st.con.dev, &st.mem, irq_fn, &st, IRQ);
    FUZZ_CHECK(svmm_mmio_register(&st.bus, MMIO_BASE, VIRTIO_MMIO_SIZE, &virtio_mmio_ops, &st.t, "virtio") == 0);
    check_invariants();
    FUZZ_CHECK(mmio(0x000, false, 4, 0) == 0x74726976u);
    for (unsigned i = 0; i < MAX_OPS && !fin_empty(&f); i++) {
        run_op(&f);
        check_invariants();
    }
    FUZZ_CHECK(memcmp(arena + RO_HOST_OFF, ro_snapshot, RO_SIZE) == 0);
    return 0;
}
