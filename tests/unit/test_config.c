/* SPDX-License-Identifier: BSD-2-Clause */
#include <svmm/config.h>
#include "test.h"

static int validate(const struct svmm_vm_config *cfg, char *err)
{
    return svmm_vm_config_validate(cfg, err, 160);
}

TEST(config_defaults_are_valid)
{
    struct svmm_vm_config cfg;
    char err[160];

    svmm_vm_config_defaults(&cfg);
    CHECK_EQ(validate(&cfg, err), 0);
}

TEST(config_rejects_bad_values)
{
    struct svmm_vm_config cfg;
    char err[160];

    svmm_vm_config_defaults(&cfg);
    cfg.ncpus = 0;
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "vCPU count");
    svmm_vm_config_defaults(&cfg);
    cfg.ram_size = 1 << 20;
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "RAM size");
    svmm_vm_config_defaults(&cfg);
    cfg.ram_base = 0x08000000; /* on top of the GIC */
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "overlaps");
    svmm_vm_config_defaults(&cfg);
    cfg.ram_base = (1ull << 40) - (16ull << 20);
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "40-bit");
    svmm_vm_config_defaults(&cfg);
    cfg.layout.uart_spi = cfg.layout.virtio_spi + 3;
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "collides");
    svmm_vm_config_defaults(&cfg);
    cfg.nvirtio = SVMM_MAX_VIRTIO + 1;
    CHECK_EQ(validate(&cfg, err), -1);
}
