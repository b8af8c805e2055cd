/* SPDX-License-Identifier: BSD-2-Clause */
/* Guest device-tree generation (with libfdt's sequential-write API): the machine layer, src/machine/. */
#ifndef SVMM_GUEST_DT_H
#define SVMM_GUEST_DT_H

#include <stddef.h>
#include <stdint.h>
#include <svmm/boot.h>
#include <svmm/config.h>
#include <svmm/dt_props.h>

/*
 * Write the guest's DTB into buf (bufsize bytes): memory, cpus, interrupt controller, timer, PSCI,
 * UART, the SBSA watchdog (when cfg->watchdog_s), virtio-mmio slots and /chosen (bootargs, initrd
 * from `boot`, stdout-path). Returns the DTB
 * size, or a negative libfdt error (-FDT_ERR_NOSPACE when buf is too small).
 */
int svmm_guest_dt_build(void *buf, size_t bufsize, const struct svmm_vm_config *cfg,
                        const struct svmm_boot_layout *boot);

#endif
