/* SPDX-License-Identifier: BSD-2-Clause */
/* The custom MMIO device of device.h: what a guest sees at each offset. */
#include "device.h"

static uint64_t demo_read(void *dev, unsigned vcpu, uint64_t off, unsigned size)
{
    const struct demo_dev *d = dev;

    (void)size; /* a narrower load gets the low bytes, as the bus zero-extends */
    switch (off) {
    case DEMO_REG_ID:
        return DEMO_ID;
    case DEMO_REG_SCRATCH:
        return d->scratch;
    case DEMO_REG_WRITES:
        return d->writes;
    case DEMO_REG_VCPU:
        return vcpu; /* the library says which vCPU made the access: no ambient state */
    default:
        return 0;
    }
}

static void demo_write(void *dev, unsigned vcpu, uint64_t off, unsigned size, uint64_t val)
{
    struct demo_dev *d = dev;

    (void)vcpu;
    (void)size;
    if (off == DEMO_REG_SCRATCH) {
        d->scratch = (uint32_t)val;
        d->writes++;
    } else {
        d->ignored++; /* read-only or unused registers: the write has no effect */
    }
}

/* A VM restart is a power cycle: the registers read as at first boot again. */
static void demo_reset(void *dev)
{
    struct demo_dev *d = dev;

    d->scratch = d->writes = d->ignored = 0;
}

const struct svmm_mmio_ops demo_dev_ops = { .read = demo_read, .write = demo_write, .reset = demo_reset };
