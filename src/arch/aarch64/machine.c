/* SPDX-License-Identifier: BSD-2-Clause */
/* arm64's part of the machine configuration: the GIC. */
#include <stdio.h>
#include <svmm/arch.h>

#define GICV2_MAX_CPUS 8u /* GICv2 target masks have 8 bits */

void svmm_arch_config_defaults(struct svmm_vm_config *cfg)
{
    /* QEMU virt's addresses, so guests and tools find familiar places. */
    cfg->layout.gic.version = SVMM_GIC_V3;
    cfg->layout.gic.dist_base = 0x08000000ull;
    cfg->layout.gic.redist_base = 0x080a0000ull;
    cfg->layout.gic.cpuif_base = 0x08010000ull;
}

int svmm_arch_config_check(const struct svmm_vm_config *cfg, struct svmm_arch_span spans[SVMM_ARCH_MAX_SPANS],
                           char *err, size_t errlen)
{
    const struct svmm_gic_config *g = &cfg->layout.gic;

    if (g->version != SVMM_GIC_V2 && g->version != SVMM_GIC_V3) {
        snprintf(err, errlen, "unsupported GIC version %d", (int)g->version);
        return -1;
    }
    if (g->version == SVMM_GIC_V2 && cfg->ncpus > GICV2_MAX_CPUS) {
        snprintf(err, errlen, "GICv2 supports at most %u vCPUs, %u requested", GICV2_MAX_CPUS, cfg->ncpus);
        return -1;
    }
    spans[0] = (struct svmm_arch_span){ "GIC distributor", g->dist_base, SVMM_GICD_SIZE };
    if (g->version == SVMM_GIC_V3)
        spans[1] = (struct svmm_arch_span){ "GIC redistributors", g->redist_base,
                                            SVMM_GICR_SIZE_PER_CPU * cfg->ncpus };
    else
        spans[1] = (struct svmm_arch_span){ "GIC CPU interface", g->cpuif_base, SVMM_GICC_SIZE };
    return 2;
}
