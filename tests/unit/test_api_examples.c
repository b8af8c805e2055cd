/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The high-level API examples' device code (examples/api/<example>/device.c), as the library drives it:
 * the custom MMIO device through an MMIO bus, the counter rng through a virtio-mmio transport and a
 * fake guest's virtqueue. The end-to-end tier api-examples checks both from a Linux guest.
 */
#include "../../examples/api/mmio-device/device.h"
#include "../../examples/api/virtio-backend/device.h"
#include <svmm/virtio_mmio.h>
#include "fake_guest.h"
#include "test.h"

static uint64_t bus_read(struct svmm_mmio_bus *bus, unsigned vcpu, uint64_t gpa, unsigned size)
{
    uint64_t v = 0xdeadbeef;

    CHECK(svmm_mmio_access(bus, vcpu, gpa, false, size, &v));
    return v;
}

static void bus_write(struct svmm_mmio_bus *bus, unsigned vcpu, uint64_t gpa, uint64_t v)
{
    CHECK(svmm_mmio_access(bus, vcpu, gpa, true, 4, &v));
}

TEST(api_example_mmio_device_registers)
{
    static struct svmm_mmio_bus bus;
    struct demo_dev dev = { 0 };
    const uint64_t b = DEMO_DEV_BASE;

    svmm_mmio_bus_init(&bus);
    CHECK_EQ(svmm_mmio_register(&bus, b, DEMO_DEV_SIZE, &demo_dev_ops, &dev, "demo"), 0);
    CHECK_EQ(bus_read(&bus, 0, b + DEMO_REG_ID, 4), DEMO_ID);
    CHECK_EQ(bus_read(&bus, 0, b + DEMO_REG_ID, 1), 0x53); /* 'S': a narrower load gets the low byte */
    CHECK_EQ(bus_read(&bus, 0, b + DEMO_REG_SCRATCH, 4), 0);
    bus_write(&bus, 1, b + DEMO_REG_SCRATCH, 0x5eed1234);
    CHECK_EQ(bus_read(&bus, 0, b + DEMO_REG_SCRATCH, 4), 0x5eed1234);
    bus_write(&bus, 0, b + DEMO_REG_SCRATCH, 7);
    CHECK_EQ(bus_read(&bus, 0, b + DEMO_REG_WRITES, 4), 2);
    bus_write(&bus, 0, b + DEMO_REG_ID, 0);     /* read-only */
    bus_write(&bus, 0, b + DEMO_REG_WRITES, 0); /* read-only */
    bus_write(&bus, 0, b + 0x800, 1);           /* unused */
    CHECK_EQ(bus_read(&bus, 0, b + DEMO_REG_ID, 4), DEMO_ID);
    CHECK_EQ(bus_read(&bus, 0, b + DEMO_REG_WRITES, 4), 2);
    CHECK_EQ(dev.ignored, 3);
    CHECK_EQ(bus_read(&bus, 0, b + 0x800, 4), 0);
    for (unsigned v = 0; v < 16; v++)
        CHECK_EQ(bus_read(&bus, v, b + DEMO_REG_VCPU, 4), v); /* the vCPU the bus was told */
    svmm_mmio_bus_reset(&bus); /* a VM restart: registers as at power-on */
    CHECK_EQ(bus_read(&bus, 0, b + DEMO_REG_SCRATCH, 4), 0);
    CHECK_EQ(bus_read(&bus, 0, b + DEMO_REG_WRITES, 4), 0);
    CHECK_EQ(dev.ignored, 0);
}

static bool irq_level;
static void irq(void *ctx, uint32_t n, bool level) { (void)ctx; (void)n; irq_level = level; }

TEST(api_example_counter_rng_counts_across_requests)
{
    static struct fake_guest g;
    static struct counter_rng rng;
    static struct virtio_mmio t;
    const uint32_t status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                            VIRTIO_STATUS_DRIVER_OK;
    const uint64_t regs[][2] = { { 0x030, 0 }, { 0x038, 16 }, { 0x080, FG_DESC }, { 0x090, FG_AVAIL },
                                 { 0x0a0, FG_USED }, { 0x044, 1 }, { 0x070, status } };

    fg_init(&g, 16);
    counter_rng_init(&rng);
    virtio_mmio_init(&t, &rng.dev, &g.mem, irq, NULL, 16);
    fg_negotiate(&t, 1ull << VIRTIO_F_VERSION_1);
    for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
        virtio_mmio_ops.write(&t, 0, regs[i][0], 4, regs[i][1]);
    CHECK_EQ(virtio_mmio_ops.read(&t, 0, 0x008, 4), VIRTIO_ID_RNG);
    /* One request of two writable buffers (200 + 100 bytes), then one of 10: 0..255, 0..43, 44..53. */
    fg_desc(&g, FG_DESC, 0, FG_BUF, 200, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    fg_desc(&g, FG_DESC, 1, FG_BUF + 0x1000, 100, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(&g, 0);
    virtio_mmio_ops.write(&t, 0, 0x050, 4, 0);
    fg_desc(&g, FG_DESC, 2, FG_BUF + 0x2000, 10, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(&g, 2);
    virtio_mmio_ops.write(&t, 1, 0x050, 4, 0);
    CHECK_EQ(fg_used_idx(&g), 2);
    CHECK_EQ(fg_used_len(&g, 0), 300);
    CHECK_EQ(fg_used_len(&g, 1), 10);
    CHECK_EQ(*fg_ptr(&g, FG_BUF + 199), 199);
    CHECK_EQ(*fg_ptr(&g, FG_BUF + 0x1000), 200);
    CHECK_EQ(*fg_ptr(&g, FG_BUF + 0x1000 + 55), 255);
    CHECK_EQ(*fg_ptr(&g, FG_BUF + 0x1000 + 56), 0); /* wrapped */
    CHECK_EQ(*fg_ptr(&g, FG_BUF + 0x2000), 44);     /* the next request continues the count */
    CHECK_EQ(*fg_ptr(&g, FG_BUF + 0x2009), 53);
    CHECK_EQ(rng.bytes, 310);
    CHECK(irq_level);
    /* A broken chain (a descriptor index past the queue) breaks the queue, nothing is written. */
    fg_desc(&g, FG_DESC, 3, FG_BUF + 0x3000, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 99);
    fg_publish(&g, 3);
    virtio_mmio_ops.write(&t, 0, 0x050, 4, 0);
    CHECK_EQ(fg_used_idx(&g), 2);
    CHECK(virtio_mmio_ops.read(&t, 0, 0x070, 4) & VIRTIO_STATUS_NEEDS_RESET);
    fg_free(&g);
}
