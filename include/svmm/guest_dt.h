/* SPDX-License-Identifier: BSD-2-Clause */
/* Guest device-tree generation (with libfdt's sequential-write API). */
#ifndef SVMM_GUEST_DT_H
#define SVMM_GUEST_DT_H

#include <stddef.h>
#include <stdint.h>
#include <svmm/boot.h>
#include <svmm/config.h>

/* phandle of the interrupt controller node, referenced by interrupt-parent. */
#define SVMM_DT_PHANDLE_GIC 1u

/*
 * Write the guest's DTB into buf (bufsize bytes): memory, cpus, interrupt controller, timer, PSCI,
 * UART, the SBSA watchdog (when cfg->watchdog_s), virtio-mmio slots and /chosen (bootargs, initrd
 * from `boot`, stdout-path). Returns the DTB
 * size, or a negative libfdt error (-FDT_ERR_NOSPACE when buf is too small).
 */
int svmm_guest_dt_build(void *buf, size_t bufsize, const struct svmm_vm_config *cfg,
                        const struct svmm_boot_layout *boot);

/* Helpers shared with the arch code: a property of big-endian 32-bit cells (n <= 16). */
int svmm_dt_prop_cells(void *fdt, const char *name, const uint32_t *cells, unsigned n);
/* A `reg` property of (address, size) pairs with 2 address and 2 size cells (n pairs <= 4). */
int svmm_dt_prop_reg(void *fdt, const uint64_t *pairs, unsigned n);

#endif
