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

/* Found by fuzz_guest_dt: each of these used to pass validation. */
TEST(config_rejects_fuzzer_findings)
{
    struct svmm_vm_config cfg;
    char err[160];

    svmm_vm_config_defaults(&cfg);
    cfg.layout.virtio_stride = 0; /* every slot at one address, possibly on RAM */
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "stride");
    cfg.layout.virtio_stride = 0x100; /* slots overlap each other */
    CHECK_EQ(validate(&cfg, err), -1);
    cfg.layout.virtio_stride = 1ull << 62; /* the span wraps */
    CHECK_EQ(validate(&cfg, err), -1);
    svmm_vm_config_defaults(&cfg);
    cfg.layout.virtio_spi = 0xffffffe0u; /* + 32 wraps to 0 */
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "SPI range");
    svmm_vm_config_defaults(&cfg);
    cfg.layout.uart_spi = 988; /* INTID 1020 is a special INTID, not an SPI */
    CHECK_EQ(validate(&cfg, err), -1);
    cfg.layout.uart_spi = 987;
    CHECK_EQ(validate(&cfg, err), 0);
    cfg.layout.virtio_spi = 988 - SVMM_MAX_VIRTIO; /* the last slot is SPI 987 */
    cfg.layout.uart_spi = 1;
    CHECK_EQ(validate(&cfg, err), 0);
    cfg.layout.virtio_spi++;
    CHECK_EQ(validate(&cfg, err), -1);
    svmm_vm_config_defaults(&cfg);
    cfg.layout.gic.version = SVMM_GIC_V2;
    cfg.ncpus = 9;
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "GICv2 supports at most 8");
}

TEST(config_max_spi_covers_uart_and_virtio)
{
    struct svmm_vm_config c;

    svmm_vm_config_defaults(&c); /* UART on SPI 1, no virtio */
    CHECK_EQ(svmm_vm_config_max_spi(&c), 1);
    c.nvirtio = 3; /* slots on SPIs 16..18 */
    CHECK_EQ(svmm_vm_config_max_spi(&c), 18);
    c.layout.uart_spi = 40;
    CHECK_EQ(svmm_vm_config_max_spi(&c), 40);
    c.layout.uart_base = 0; /* no UART: its SPI does not count */
    CHECK_EQ(svmm_vm_config_max_spi(&c), 18);
    c.nvirtio = 0;
    CHECK_EQ(svmm_vm_config_max_spi(&c), 0);
}

TEST(config_watchdog_range_place_and_interrupt)
{
    struct svmm_vm_config cfg;
    char err[160];

    svmm_vm_config_defaults(&cfg);
    cfg.watchdog_s = 30;
    CHECK_EQ(validate(&cfg, err), 0);
    CHECK_EQ(svmm_vm_config_max_spi(&cfg), 2);
    cfg.watchdog_s = 3601;
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "watchdog timeout");
    cfg.watchdog_s = 30;
    cfg.watchdog_boot_s = 3601;
    CHECK_EQ(validate(&cfg, err), -1);
    cfg.watchdog_boot_s = 3600;
    CHECK_EQ(validate(&cfg, err), 0);
    cfg.layout.wdt_base = cfg.layout.uart_base; /* its 8 KiB cover the UART's page */
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "overlaps");
    svmm_vm_config_defaults(&cfg);
    cfg.watchdog_s = 30;
    cfg.layout.wdt_spi = cfg.layout.uart_spi;
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "watchdog interrupt");
    cfg.layout.wdt_spi = cfg.layout.virtio_spi + 31;
    CHECK_EQ(validate(&cfg, err), -1);
    cfg.layout.wdt_spi = 5000;
    CHECK_EQ(validate(&cfg, err), -1);
    cfg.watchdog_s = 0; /* no watchdog: its layout fields are not looked at */
    CHECK_EQ(validate(&cfg, err), 0);
}

TEST(config_further_ram_ranges)
{
    struct svmm_vm_config cfg;
    char err[160];

    svmm_vm_config_defaults(&cfg);
    cfg.nextra_ram = 1;
    cfg.extra_ram[0] = (struct svmm_ram_range){ 0x100000000ull, 64ull << 20 };
    CHECK_EQ(validate(&cfg, err), 0);
    cfg.extra_ram[0].base = 0x100100000ull; /* not 2 MiB aligned */
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "multiples of 2 MiB");
    cfg.extra_ram[0] = (struct svmm_ram_range){ 0x100000000ull, 0 };
    CHECK_EQ(validate(&cfg, err), -1);
    cfg.extra_ram[0] = (struct svmm_ram_range){ 0x44000000ull, 64ull << 20 }; /* into the boot RAM */
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "a further RAM range overlaps RAM");
    cfg.extra_ram[0] = (struct svmm_ram_range){ 0x0a000000ull, 2ull << 20 }; /* onto the virtio slots */
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "virtio-mmio slots overlaps a further RAM range");
    cfg.extra_ram[0] = (struct svmm_ram_range){ 0xfffe00000ull << 4, 64ull << 20 }; /* past 2^40 */
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "above the 40-bit guest address space");
    cfg.extra_ram[0] = (struct svmm_ram_range){ 0x100000000ull, 64ull << 20 };
    cfg.extra_ram[1] = (struct svmm_ram_range){ 0x102000000ull, 64ull << 20 }; /* overlaps range 1 */
    cfg.nextra_ram = 2;
    CHECK_EQ(validate(&cfg, err), -1);
    cfg.nextra_ram = SVMM_MAX_EXTRA_RAM + 1;
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "too many RAM ranges");
}

TEST(config_raw_kernel_address)
{
    struct svmm_vm_config cfg;
    char err[160];

    svmm_vm_config_defaults(&cfg); /* 256 MiB at 0x40000000 */
    cfg.raw_load_gpa = 0x48000000ull;
    CHECK_EQ(validate(&cfg, err), 0);
    cfg.raw_load_gpa = 0x48000800ull;
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "not a 4 KiB aligned address in the boot RAM");
    cfg.raw_load_gpa = 0x50000000ull; /* just past RAM */
    CHECK_EQ(validate(&cfg, err), -1);
    cfg.raw_load_gpa = 0x3ffff000ull; /* just below */
    CHECK_EQ(validate(&cfg, err), -1);
}

TEST(config_shared_windows)
{
    struct svmm_vm_config cfg;
    char err[160];

    svmm_vm_config_defaults(&cfg);
    cfg.nwindows = 1;
    cfg.windows[0] = (struct svmm_shared_window){ 0x10000000ull, 64u << 10, "win" };
    CHECK_EQ(validate(&cfg, err), 0);
    cfg.windows[0].size = 6000;
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "multiples of 4 KiB");
    cfg.windows[0] = (struct svmm_shared_window){ 0x10000000ull, 64u << 10, "" };
    CHECK_EQ(validate(&cfg, err), -1);
    cfg.windows[0] = (struct svmm_shared_window){ 0x40000000ull, 64u << 10, "win" }; /* on RAM */
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "a shared window overlaps RAM");
    cfg.nwindows = SVMM_MAX_WINDOWS + 1;
    CHECK_EQ(validate(&cfg, err), -1);
    CHECK_STR_CONTAINS(err, "too many shared windows");
}

/* svmm_vm_config_span_free: where a platform may place a custom device (svmm_add_mmio_device). */
TEST(config_span_free)
{
    struct svmm_vm_config cfg;
    char err[160];

    svmm_vm_config_defaults(&cfg);
    CHECK_EQ(svmm_vm_config_span_free(&cfg, 0x0c000000ull, 0x1000, err, sizeof(err)), 0); /* the example's page */
    CHECK_EQ(svmm_vm_config_span_free(&cfg, 0x09000000ull, 0x1000, err, sizeof(err)), -1);
    CHECK_STR_CONTAINS(err, "overlaps UART");
    /* The whole virtio-mmio window is taken, its unused slots too (cfg.nvirtio is 0 here). */
    CHECK_EQ(svmm_vm_config_span_free(&cfg, 0x0a003000ull, 0x1000, err, sizeof(err)), -1);
    CHECK_STR_CONTAINS(err, "virtio-mmio slots");
    CHECK_EQ(svmm_vm_config_span_free(&cfg, 0x3ffff000ull, 0x2000, err, sizeof(err)), -1); /* one page into RAM */
    CHECK_STR_CONTAINS(err, "overlaps RAM");
    CHECK_EQ(svmm_vm_config_span_free(&cfg, cfg.layout.gic.dist_base, 0x1000, err, sizeof(err)), -1);
    CHECK_EQ(svmm_vm_config_span_free(&cfg, 0x09020000ull, 0x1000, err, sizeof(err)), 0); /* no watchdog configured */
    cfg.watchdog_s = 10;
    CHECK_EQ(svmm_vm_config_span_free(&cfg, 0x09020000ull, 0x1000, err, sizeof(err)), -1);
    CHECK_STR_CONTAINS(err, "watchdog");
    cfg.nextra_ram = 1;
    cfg.extra_ram[0] = (struct svmm_ram_range){ 0x100000000ull, 64ull << 20 };
    CHECK_EQ(svmm_vm_config_span_free(&cfg, 0x100001000ull, 0x1000, err, sizeof(err)), -1);
    CHECK_STR_CONTAINS(err, "a further RAM range");
    CHECK_EQ(svmm_vm_config_span_free(&cfg, 0x0c000000ull, 0, err, sizeof(err)), -1); /* empty */
    CHECK_EQ(svmm_vm_config_span_free(&cfg, ~0ull - 0xfff, 0x2000, err, sizeof(err)), -1); /* wraps */
    CHECK_STR_CONTAINS(err, "40-bit");
    CHECK_EQ(svmm_vm_config_span_free(&cfg, (1ull << 40) - 0x1000, 0x1000, err, sizeof(err)), 0); /* the last page */
}
