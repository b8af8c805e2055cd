/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The platform interface: the only way core/, arch/ and virtio/ reach the world. A platform
 * (Linux KVM, seL4 Microkit) provides guest RAM (registered in the VM's memory map), fills this
 * table, and calls into the core on every exit (svmm_vm_mmio_access and friends in vm.h). The core
 * never blocks and never creates threads; the platform serialises calls into device code.
 *
 * The rest of what the core needs from a platform is passed as data, not callbacks:
 *  - guest memory: the platform maps guest RAM and registers it (svmm_vm_add_ram); every access
 *    then goes through the VM's bounds-checked memory map;
 *  - vCPU registers: exits that need them (seL4 data aborts, SMC, sysreg traps) hand the core a
 *    struct aarch64_gprs holding just the registers the exit uses (aarch64.h);
 *  - vCPU start/stop and VM power: PSCI calls back through struct psci_ops (psci.h);
 *  - interrupt controller: either the platform's (KVM in-kernel vGIC, via irq_set) or the
 *    portable vGIC model (vgic.h) fed by irq_set.
 * Notifications to peers and time arrive with the devices that need them (inter-VM, vsock).
 */
#ifndef SVMM_PLATFORM_H
#define SVMM_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

/* The hooks a platform gives the portable code; each is called with `ctx` as its first argument. */
struct svmm_platform {
    void *ctx; /* the platform's own state, passed back to every hook */
    /* Drive the level of shared peripheral interrupt `spi` (0-based; GIC INTID = spi + 32). */
    void (*irq_set)(void *ctx, uint32_t spi, bool level);
};

#endif
