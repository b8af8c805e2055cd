/* SPDX-License-Identifier: BSD-2-Clause */
#include <svmm/mmio.h>
#include "test.h"

static uint64_t last_off, last_val;
static unsigned last_size, last_vcpu, writes;

static uint64_t dev_read(void *d, unsigned vcpu, uint64_t off, unsigned size)
{
    (void)d;
    last_vcpu = vcpu;
    last_off = off;
    last_size = size;
    return ~0ull;
}

static void dev_write(void *d, unsigned vcpu, uint64_t off, unsigned size, uint64_t v)
{
    (void)d;
    last_vcpu = vcpu;
    last_off = off;
    last_size = size;
    last_val = v;
    writes++;
}
static const struct svmm_mmio_ops ops = { dev_read, dev_write };

TEST(mmio_bus_dispatches_with_offsets_and_masks)
{
    struct svmm_mmio_bus bus;
    uint64_t v = 0;

    svmm_mmio_bus_init(&bus);
    CHECK_EQ(svmm_mmio_register(&bus, 0x1000, 0x100, &ops, NULL, "a"), 0);
    CHECK(svmm_mmio_access(&bus, 3, 0x1010, false, 2, &v));
    CHECK_EQ(v, 0xffff);
    CHECK_EQ(last_off, 0x10);
    CHECK_EQ(last_vcpu, 3); /* the accessing vCPU reaches the device */
    v = 0x55;
    CHECK(svmm_mmio_access(&bus, 1, 0x10f8, true, 8, &v));
    CHECK_EQ(last_val, 0x55);
    CHECK_EQ(last_vcpu, 1);
    CHECK_EQ(bus.regions[0].accesses, 2);
}

TEST(mmio_bus_rejects_overlap_and_bad_accesses)
{
    struct svmm_mmio_bus bus;
    uint64_t v = 123;

    svmm_mmio_bus_init(&bus);
    writes = 0;
    CHECK_EQ(svmm_mmio_register(&bus, 0x1000, 0x100, &ops, NULL, "a"), 0);
    CHECK_EQ(svmm_mmio_register(&bus, 0x10ff, 1, &ops, NULL, "b"), -1);
    CHECK_EQ(svmm_mmio_register(&bus, 0x2000, 0, &ops, NULL, "c"), -1);
    CHECK_EQ(svmm_mmio_register(&bus, ~0ull, 2, &ops, NULL, "d"), -1);
    CHECK(!svmm_mmio_access(&bus, 0, 0x5000, false, 4, &v)); /* unclaimed */
    CHECK_EQ(v, 0);
    CHECK(!svmm_mmio_access(&bus, 0, 0x10fc, true, 8, &v)); /* crosses the end */
    CHECK(!svmm_mmio_access(&bus, 0, 0x1000, true, 3, &v)); /* odd size */
    CHECK(!svmm_mmio_access(&bus, 0, 0x1000, true, 16, &v));
    CHECK_EQ(writes, 0);
    CHECK_EQ(bus.unclaimed, 4);
}

TEST(mmio_bus_rejects_access_wider_than_region)
{
    struct svmm_mmio_bus bus;
    uint64_t v = 0;

    svmm_mmio_bus_init(&bus);
    writes = 0;
    CHECK_EQ(svmm_mmio_register(&bus, 0x1000, 4, &ops, NULL, "tiny"), 0);
    CHECK(!svmm_mmio_access(&bus, 0, 0x1000, false, 8, &v)); /* found by fuzz_mmio_bus */
    CHECK(!svmm_mmio_access(&bus, 0, 0x1003, true, 8, &v));
    CHECK(svmm_mmio_access(&bus, 0, 0x1000, false, 4, &v));
    CHECK_EQ(writes, 0);
}

static unsigned resets;
static void dev_reset(void *d) { (void)d; resets++; }
static const struct svmm_mmio_ops ops_with_reset = { dev_read, dev_write, dev_reset };

TEST(mmio_bus_reset_calls_each_reset_hook_and_zeroes_counts)
{
    struct svmm_mmio_bus bus;
    uint64_t v = 0;

    svmm_mmio_bus_init(&bus);
    resets = 0;
    CHECK_EQ(svmm_mmio_register(&bus, 0x1000, 0x100, &ops, NULL, "no hook"), 0);
    CHECK_EQ(svmm_mmio_register(&bus, 0x2000, 0x100, &ops_with_reset, NULL, "hook"), 0);
    CHECK(svmm_mmio_access(&bus, 0, 0x2000, false, 4, &v));
    CHECK(!svmm_mmio_access(&bus, 0, 0x9000, false, 4, &v));
    svmm_mmio_bus_reset(&bus);
    CHECK_EQ(resets, 1); /* only the device with a hook; one without keeps its state */
    CHECK_EQ(bus.regions[1].accesses, 0);
    CHECK_EQ(bus.unclaimed, 0);
}
