/* SPDX-License-Identifier: BSD-2-Clause */
/* arm64 parts of the guest device tree: cpus, GIC, architected timer, PSCI. */
#include <libfdt.h>
#include <stdio.h>
#include <svmm/arch.h>
#include <svmm/dt_props.h>

#define TRY(x) do { int err_ = (x); if (err_ < 0) return err_; } while (0)

#define GIC_SPI 0u
#define GIC_PPI 1u
#define IRQ_LEVEL_HIGH 4u

/* Architected timer PPIs: secure physical, non-secure physical, virtual, hypervisor. */
static const uint32_t timer_ppis[4] = { 13, 14, 11, 10 };

uint64_t svmm_arch_vcpu_affinity(unsigned index)
{
    /* KVM and seL4 both give vCPU i Aff0 = i for the first 16 vCPUs (SVMM_MAX_VCPUS). */
    return index & 0xf;
}

void svmm_arch_boot_regs(uint64_t entry, uint64_t dtb, struct svmm_arch_boot_regs *regs)
{
    regs->pc = entry;
    regs->x0 = dtb;
    regs->pstate = 0x3c5; /* EL1h, D, A, I and F masked (booting.rst) */
}

int svmm_arch_dt_cpus(void *fdt, const struct svmm_vm_config *cfg)
{
    TRY(fdt_begin_node(fdt, "cpus"));
    TRY(fdt_property_u32(fdt, "#address-cells", 1));
    TRY(fdt_property_u32(fdt, "#size-cells", 0));
    for (unsigned i = 0; i < cfg->ncpus; i++) {
        char name[16];
        snprintf(name, sizeof(name), "cpu@%u", i);
        TRY(fdt_begin_node(fdt, name));
        TRY(fdt_property_string(fdt, "device_type", "cpu"));
        TRY(fdt_property_string(fdt, "compatible", "arm,armv8"));
        TRY(fdt_property_string(fdt, "enable-method", "psci"));
        TRY(fdt_property_u32(fdt, "reg", (uint32_t)svmm_arch_vcpu_affinity(i)));
        TRY(fdt_end_node(fdt));
    }
    return fdt_end_node(fdt);
}

static int add_gic(void *fdt, const struct svmm_vm_config *cfg)
{
    const struct svmm_gic_config *g = &cfg->layout.gic;
    char name[32];
    uint64_t reg[4];

    reg[0] = g->dist_base;
    reg[1] = SVMM_GICD_SIZE;
    if (g->version == SVMM_GIC_V3) {
        reg[2] = g->redist_base;
        reg[3] = SVMM_GICR_SIZE_PER_CPU * cfg->ncpus;
    } else {
        reg[2] = g->cpuif_base;
        reg[3] = SVMM_GICC_SIZE;
    }
    snprintf(name, sizeof(name), "intc@%llx", (unsigned long long)g->dist_base);
    TRY(fdt_begin_node(fdt, name));
    TRY(fdt_property_string(fdt, "compatible", g->version == SVMM_GIC_V3 ? "arm,gic-v3" : "arm,cortex-a15-gic"));
    TRY(fdt_property_u32(fdt, "#interrupt-cells", 3));
    TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
    TRY(svmm_dt_prop_reg(fdt, reg, 2));
    TRY(fdt_property_u32(fdt, "phandle", SVMM_DT_PHANDLE_GIC));
    return fdt_end_node(fdt);
}

static int add_timer(void *fdt, const struct svmm_vm_config *cfg)
{
    uint32_t cells[12];
    /* GICv2 PPI specifiers carry a CPU mask in bits 8..15; GICv3 ones do not. */
    uint32_t cpumask = cfg->layout.gic.version == SVMM_GIC_V2 ? ((1u << cfg->ncpus) - 1) << 8 : 0;

    for (unsigned i = 0; i < 4; i++) {
        cells[3 * i] = GIC_PPI;
        cells[3 * i + 1] = timer_ppis[i];
        cells[3 * i + 2] = IRQ_LEVEL_HIGH | cpumask;
    }
    TRY(fdt_begin_node(fdt, "timer"));
    TRY(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
    TRY(svmm_dt_prop_cells(fdt, "interrupts", cells, 12));
    TRY(fdt_property(fdt, "always-on", NULL, 0));
    return fdt_end_node(fdt);
}

static int add_psci(void *fdt, const struct svmm_vm_config *cfg)
{
    static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";

    TRY(fdt_begin_node(fdt, "psci"));
    TRY(fdt_property(fdt, "compatible", compat, sizeof(compat)));
    TRY(fdt_property_string(fdt, "method", cfg->psci_smc ? "smc" : "hvc"));
    return fdt_end_node(fdt);
}

int svmm_arch_dt_platform(void *fdt, const struct svmm_vm_config *cfg)
{
    TRY(add_gic(fdt, cfg));
    TRY(add_timer(fdt, cfg));
    return add_psci(fdt, cfg);
}

int svmm_arch_dt_irq(void *fdt, uint32_t spi)
{
    uint32_t cells[3] = { GIC_SPI, spi, IRQ_LEVEL_HIGH };

    return svmm_dt_prop_cells(fdt, "interrupts", cells, 3);
}
