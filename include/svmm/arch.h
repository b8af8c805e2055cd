/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the portable core asks of an architecture (src/arch/<arch>/). One implementation is linked
 * per build; none of these functions touch a platform.
 */
#ifndef SVMM_ARCH_H
#define SVMM_ARCH_H

#include <stdint.h>
#include <svmm/config.h>

/* Add /cpus with one node per vCPU (and their enable-method) to the device tree under construction. */
int svmm_arch_dt_cpus(void *fdt, const struct svmm_vm_config *cfg);

/* Add the interrupt controller (phandle SVMM_DT_PHANDLE_GIC), timer and firmware (PSCI) nodes. */
int svmm_arch_dt_platform(void *fdt, const struct svmm_vm_config *cfg);

/* Write an `interrupts` property for level-triggered device interrupt `spi`. */
int svmm_arch_dt_irq(void *fdt, uint32_t spi);

/* The affinity (MPIDR-style id) the platform gives vCPU `index`; also its DT `reg`. */
uint64_t svmm_arch_vcpu_affinity(unsigned index);

/* Initial register state for the boot vCPU. */
struct svmm_arch_boot_regs {
    uint64_t pc;
    uint64_t x0; /* arm64: DTB address; x1..x3 are zero */
    uint64_t pstate;
};

/* Fill the boot vCPU's registers for entering a kernel at `entry` with its DTB at `dtb`. */
void svmm_arch_boot_regs(uint64_t entry, uint64_t dtb, struct svmm_arch_boot_regs *regs);

#endif
