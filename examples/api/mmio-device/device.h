/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A custom MMIO device, the same source on Linux KVM and on seL4: one 4 KiB page of 32-bit
 * registers a guest reads and writes with devmem. Registered with svmm_add_mmio_device().
 */
#ifndef EXAMPLE_MMIO_DEVICE_H
#define EXAMPLE_MMIO_DEVICE_H

#include <stdint.h>
#include <svmm/mmio.h>

#define DEMO_DEV_BASE 0x0c000000ull /* guest-physical: free in both platforms' default layouts */
#define DEMO_DEV_SIZE 0x1000ull

#define DEMO_REG_ID 0x00      /* read-only: DEMO_ID */
#define DEMO_REG_SCRATCH 0x04 /* read/write */
#define DEMO_REG_WRITES 0x08  /* read-only: writes to SCRATCH so far */
#define DEMO_REG_VCPU 0x0c    /* read-only: the vCPU that reads it */
#define DEMO_ID 0x4d4d5653u   /* "SVMM" */

/* The device's state; the library serialises every callback, so it needs no lock. */
struct demo_dev {
    uint32_t scratch;
    uint32_t writes;  /* to SCRATCH */
    uint32_t ignored; /* writes to any other offset */
};

/* Its callbacks, for svmm_add_mmio_device(..., &demo_dev_ops, &dev, ...). */
extern const struct svmm_mmio_ops demo_dev_ops;

#endif
