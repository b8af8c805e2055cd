/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * riscv64's implementation of the arch interface (svmm/arch.h) the core calls. Kept apart from the
 * rest of src/arch/riscv64/ so that the host unit tests, linked with arm64's implementation, can
 * test every riscv64 function by its own name.
 */
#include <stdio.h>
#include <svmm/arch.h>
#include <svmm/riscv.h>

void svmm_arch_config_defaults(struct svmm_vm_config *cfg)
{
    riscv_config_defaults(cfg);
}

int svmm_arch_config_check(const struct svmm_vm_config *cfg, struct svmm_arch_span spans[SVMM_ARCH_MAX_SPANS],
                           char *err, size_t errlen)
{
    if (riscv_config_check(cfg, err, errlen) < 0)
        return -1;
    spans[0] = (struct svmm_arch_span){ "PLIC", cfg->layout.riscv.plic_base, RISCV_PLIC_SIZE };
    return 1;
}

int svmm_arch_image_parse(const void *buf, size_t len, struct svmm_arm64_image *out)
{
    return riscv_image_parse(buf, len, out);
}

const char *svmm_arch_image_strerror(int err)
{
    return riscv_image_strerror(err);
}

int svmm_arch_dt_cpus(void *fdt, const struct svmm_vm_config *cfg)
{
    return riscv_dt_cpus(fdt, cfg);
}

int svmm_arch_dt_platform(void *fdt, const struct svmm_vm_config *cfg)
{
    return riscv_dt_plic(fdt, cfg); /* the timer is the SBI's and the time CSR: no node */
}

int svmm_arch_dt_irq(void *fdt, uint32_t spi)
{
    return riscv_dt_irq(fdt, spi);
}

uint64_t svmm_arch_vcpu_affinity(unsigned index)
{
    return index; /* hart id i for vCPU i, as KVM numbers them */
}

void svmm_arch_boot_regs(uint64_t entry, uint64_t dtb, struct svmm_arch_boot_regs *regs)
{
    /* Documentation/riscv/boot.rst: S-mode, MMU off, a0 = hart id, a1 = DTB. */
    regs->pc = entry;
    regs->x0 = dtb;
    regs->pstate = 0;
}
