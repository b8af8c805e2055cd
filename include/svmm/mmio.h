/* SPDX-License-Identifier: BSD-2-Clause */
/* The MMIO bus: routes a trapped guest load/store to the emulated device that owns the address. */
#ifndef SVMM_MMIO_H
#define SVMM_MMIO_H

#include <stdbool.h>
#include <stdint.h>
#include <svmm/log.h>

#define SVMM_MMIO_MAX 40 /* regions a bus holds */

/*
 * Device callbacks. `vcpu` is the vCPU that made the access (what a device with per-CPU banked
 * registers, such as the GICv2 distributor, needs); `off` is relative to the region base and <
 * region size; `size` is 1, 2, 4 or 8 (the bus rejects anything else and accesses that cross the
 * region end).
 */
struct svmm_mmio_ops {
    uint64_t (*read)(void *dev, unsigned vcpu, uint64_t off, unsigned size); /* the value read (zero-extended) */
    void (*write)(void *dev, unsigned vcpu, uint64_t off, unsigned size, uint64_t val); /* `size` bytes of `val` written */
    /* Optional (NULL: the device keeps its state): back to power-on state, at a VM restart (svmm_mmio_bus_reset). */
    void (*reset)(void *dev);
};

/* One device's range of guest-physical addresses on the bus. */
struct svmm_mmio_region {
    uint64_t base;                   /* first guest-physical address */
    uint64_t size;                   /* bytes */
    const struct svmm_mmio_ops *ops; /* the device's callbacks */
    void *dev;                       /* passed to them */
    const char *name;                /* for logs and exit statistics */
    uint64_t accesses; /* exit counter, for `svmm` statistics */
};

/* The MMIO bus of one VM: its devices' regions, disjoint. */
struct svmm_mmio_bus {
    unsigned count;                                 /* regions in use */
    struct svmm_mmio_region regions[SVMM_MMIO_MAX]; /* regions[0 .. count - 1] */
    uint64_t unclaimed; /* accesses that hit no device */
    struct svmm_ratelimit unclaimed_rl; /* limits the log lines about them */
};

/* Reset `bus` to no devices. */
void svmm_mmio_bus_init(struct svmm_mmio_bus *bus);

/* Claim [base, base+size) for `dev`; -1 if full, empty, wrapping or overlapping another region. */
int svmm_mmio_register(struct svmm_mmio_bus *bus, uint64_t base, uint64_t size,
                       const struct svmm_mmio_ops *ops, void *dev, const char *name);

/*
 * A power cycle of every device on `bus`: each region's ops->reset (where set) in registration
 * order, and the exit counters zeroed (they count one boot). Call with every vCPU halted.
 */
void svmm_mmio_bus_reset(struct svmm_mmio_bus *bus);

/* The region owning `gpa`, or NULL. */
struct svmm_mmio_region *svmm_mmio_find(struct svmm_mmio_bus *bus, uint64_t gpa);

/*
 * Perform one guest access by vCPU `vcpu` (passed to the device). Reads store the value in *data (zero-extended); an access that hits
 * no device, has a bad size or crosses the region end reads as 0 and ignores writes (logged,
 * rate-limited). Returns true when a device handled it.
 */
bool svmm_mmio_access(struct svmm_mmio_bus *bus, unsigned vcpu, uint64_t gpa, bool is_write, unsigned size, uint64_t *data);

#endif
