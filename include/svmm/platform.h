/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The platform interface: the only way core/, arch/ and virtio/ reach the world. A platform
 * (Linux KVM, seL4 Microkit) provides guest RAM (registered in the VM's memory map), fills this
 * table, and calls into the core on every exit (svmm_vm_mmio_access and friends in vm.h). The core
 * never blocks and never creates threads; the platform serialises calls into device code.
 */
#ifndef SVMM_PLATFORM_H
#define SVMM_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

struct svmm_platform {
    void *ctx;
    /* Drive the level of shared peripheral interrupt `spi` (0-based; GIC INTID = spi + 32). */
    void (*irq_set)(void *ctx, uint32_t spi, bool level);
};

#endif
