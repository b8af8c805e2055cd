/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz the virtio-mmio transport (src/virtio/mmio.c) with a multiport virtio-console behind it
 * (src/virtio/console.c: port 0 plus two named ports, 8 queues with MULTIPORT), reached through
 * the MMIO bus as a vCPU's trapped accesses are, on the fake guest memory of fuzz_vdev.h.
 *
 * Input: ops. op & 8 clear: fuzz_vdev.h's common ops (raw register accesses of any size and
 * offset, config space and QueueNotify included; guest-memory, descriptor and avail-ring writes;
 * the one-op bring-up, with or without MULTIPORT; chains). Set: (op >> 4) & 7 picks
 *   0 input     u8 len, bytes   host console input for port len % 3 (0 = the console)
 *   1 bus read  u16 off, u8 sz  any size at any offset of a window wider than the device's
 *   2 bus write u16 off, u8 sz, u64 value
 *   3..7        as 0
 *
 * Invariants: fuzz_vdev.h's (transport rules; the device writes guest RAM only in used rings and
 * buffers offered device-writable, never the read-only region, nothing before DRIVER_OK); console
 * output comes only from guest memory, except the one byte of an emergency write (a config-space
 * store, which the console sends from the VMM's own stack); input is taken only by a ready port and
 * never more than offered.
 */
#include <svmm/mmio.h>
#include <svmm/virtio_console.h>
#include "fuzz_vdev.h"

#define MAX_OPS 1024
#define MMIO_BASE 0x0a000000ull
#define F_EMERG_WRITE VIRTIO_CONSOLE_F_EMERG_WRITE

static struct {
    struct svmm_mmio_bus bus;
    struct virtio_console con;
    bool in_config_write; /* an emergency write may send one byte from the VMM's stack */
} cs;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    vd_global_init();
    return 0;
}

static void con_write(void *ctx, const uint8_t *buf, size_t len)
{
    FUZZ_CHECK(ctx == &cs);
    FUZZ_CHECK(vd_in_ram(buf, len) || vd_in_ro(buf, len) || (cs.in_config_write && len == 1));
}

/* The transport's registers on the bus, noting config-space stores (the emergency write). */
static uint64_t con_mmio_read(void *dev, unsigned vcpu, uint64_t off, unsigned size)
{
    (void)vcpu; /* the same registers for every vCPU */
    return virtio_mmio_ops.read(dev, 0, off, size);
}

static void con_mmio_write(void *dev, unsigned vcpu, uint64_t off, unsigned size, uint64_t val)
{
    (void)vcpu; /* the same registers for every vCPU */
    cs.in_config_write = off >= 0x100;
    virtio_mmio_ops.write(dev, 0, off, size, val);
    cs.in_config_write = false;
}

static const struct svmm_mmio_ops con_mmio_ops = { con_mmio_read, con_mmio_write };

static void console_op(uint8_t op, struct fin *f)
{
    switch ((op >> 4) & 7) {
    case 1: /* the bus rejects sizes 0 and 3 and accesses past the 0x200-byte window */
        (void)vd_mmio(fin_u16(f) % 0x240, false, vd_sizes[fin_u8(f) & 7], 0);
        break;
    case 2: {
        uint64_t off = fin_u16(f) % 0x240;
        unsigned size = vd_sizes[fin_u8(f) & 7];
        vd_mmio(off, true, size, fin_u64(f));
        break;
    }
    default: {
        uint8_t buf[256];
        size_t len = fin_u8(f), got;
        unsigned port = len % 3;
        bool ready = virtio_console_port_ready(&cs.con, port);
        fin_bytes(f, buf, len);
        got = virtio_console_port_input(&cs.con, port, buf, len);
        FUZZ_CHECK(got <= len);
        FUZZ_CHECK(ready || got == 0);
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned feats[6] = { VIRTIO_CONSOLE_F_MULTIPORT, F_EMERG_WRITE, VIRTIO_CONSOLE_F_SIZE,
                                       VIRTIO_CONSOLE_F_MULTIPORT, F_EMERG_WRITE, VIRTIO_CONSOLE_F_MULTIPORT };
    const struct virtio_console_backend be = { con_write, &cs };
    struct fin f = fin_make(data, size);

    memset(&cs, 0, sizeof(cs));
    virtio_console_init(&cs.con, &be);
    /* Multiport is offered; the driver side (the bring-up's feature byte) decides whether it is used. */
    virtio_console_offer_multiport(&cs.con);
    FUZZ_CHECK(virtio_console_add_port(&cs.con, "p1", &be) == 1);
    FUZZ_CHECK(virtio_console_add_port(&cs.con, "p2", &be) == 2);
    vd_setup(&cs.con.dev, NULL, feats);
    svmm_mmio_bus_init(&cs.bus);
    FUZZ_CHECK(svmm_mmio_register(&cs.bus, MMIO_BASE, VIRTIO_MMIO_SIZE, &con_mmio_ops, &vd.t, "virtio") == 0);
    vd.bus = &cs.bus;
    vd.bus_base = MMIO_BASE;
    FUZZ_CHECK(vd_rd32(0x000) == 0x74726976u && vd_rd32(0x008) == VIRTIO_ID_CONSOLE);
    vd_run_ops(&f, MAX_OPS, console_op, vd_check);
    return 0;
}
