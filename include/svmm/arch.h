/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the portable core asks of an architecture (`src/arch/<arch>/`). One implementation is linked
 * per build; none of these functions touch a platform.
 */
#ifndef SVMM_ARCH_H
#define SVMM_ARCH_H

#include <stddef.h>
#include <stdint.h>
#include <svmm/config.h>

struct svmm_arm64_image;

/* Set the architecture's part of a default configuration (interrupt controller, vCPU description). */
void svmm_arch_config_defaults(struct svmm_vm_config *cfg);

/* A guest-physical range the architecture's interrupt controller occupies. */
struct svmm_arch_span {
    const char *what;     /* its name, for error messages */
    uint64_t base, size;  /* where it is and how large */
};
#define SVMM_ARCH_MAX_SPANS 2u /* spans an architecture reports at most */

/*
 * Check the architecture's part of `cfg` (interrupt controller version, vCPU limits) and fill `spans`
 * with the interrupt controller's ranges, for svmm_vm_config_validate's overlap check. Returns the
 * number of spans, or -1 with a one-line reason in `err`.
 */
int svmm_arch_config_check(const struct svmm_vm_config *cfg, struct svmm_arch_span spans[SVMM_ARCH_MAX_SPANS],
                           char *err, size_t errlen);

/*
 * Validate the header of this architecture's Linux Image (`len` bytes of the file in `buf`) and fill
 * its placement (text_offset from a 2 MiB-aligned base, image_size). Returns 0 or a negative
 * svmm_image_err (boot.h), which svmm_arch_image_strerror() explains.
 */
int svmm_arch_image_parse(const void *buf, size_t len, struct svmm_arm64_image *out);
const char *svmm_arch_image_strerror(int err);

/* Add /cpus with one node per vCPU (and their enable-method) to the device tree under construction. */
int svmm_arch_dt_cpus(void *fdt, const struct svmm_vm_config *cfg);

/* Add the interrupt controller (phandle SVMM_DT_PHANDLE_GIC) and, where the architecture has them, timer and firmware (PSCI) nodes. */
int svmm_arch_dt_platform(void *fdt, const struct svmm_vm_config *cfg);

/* Write an `interrupts` property for level-triggered device interrupt `spi`. */
int svmm_arch_dt_irq(void *fdt, uint32_t spi);

/* The affinity (arm64: MPIDR-style id; riscv64: hart id) the platform gives vCPU `index`; also its DT `reg`. */
uint64_t svmm_arch_vcpu_affinity(unsigned index);

/* Initial register state for the boot vCPU. */
struct svmm_arch_boot_regs {
    uint64_t pc; /* the kernel's entry point */
    uint64_t x0; /* the DTB address: arm64 x0 (x1..x3 are zero); riscv64 a1 (a0 is the hart id, 0) */
    uint64_t pstate; /* arm64 only */
};

/* Fill the boot vCPU's registers for entering a kernel at `entry` with its DTB at `dtb`. */
void svmm_arch_boot_regs(uint64_t entry, uint64_t dtb, struct svmm_arch_boot_regs *regs);

#endif
