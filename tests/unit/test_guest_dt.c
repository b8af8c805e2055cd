/* SPDX-License-Identifier: BSD-2-Clause */
#include <libfdt.h>
#include <stdlib.h>
#include <svmm/guest_dt.h>
#include <svmm/virtio.h>
#include "test.h"

static uint8_t dtb[SVMM_DTB_MAX];

static uint64_t prop_u64(const void *fdt, int node, const char *name, int index)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, name, &len);

    if (p == NULL || len < (index + 1) * 8)
        return ~0ull;
    return (uint64_t)fdt32_to_cpu(p[2 * index]) << 32 | fdt32_to_cpu(p[2 * index + 1]);
}

static void build_default(unsigned ncpus, enum svmm_gic_version gic, uint64_t initrd)
{
    struct svmm_vm_config cfg;
    struct svmm_boot_layout boot = { .initrd_gpa = 0x48000000, .initrd_size = initrd };

    svmm_vm_config_defaults(&cfg);
    cfg.ncpus = ncpus;
    cfg.layout.gic.version = gic;
    cfg.nvirtio = 2;
    cfg.virtio_ids[0] = VIRTIO_ID_CONSOLE;
    cfg.virtio_ids[1] = VIRTIO_ID_CONSOLE;
    strcpy(cfg.bootargs, "console=ttyS0 earlycon");
    CHECK(svmm_guest_dt_build(dtb, sizeof(dtb), &cfg, &boot) > 0);
    CHECK_EQ(fdt_check_header(dtb), 0);
}

TEST(dt_has_memory_chosen_and_initrd)
{
    int n;

    build_default(2, SVMM_GIC_V3, 0x1000);
    n = fdt_path_offset(dtb, "/memory@40000000");
    CHECK(n >= 0);
    CHECK_EQ(prop_u64(dtb, n, "reg", 0), 0x40000000);
    CHECK_EQ(prop_u64(dtb, n, "reg", 1), 256 << 20);
    n = fdt_path_offset(dtb, "/chosen");
    CHECK(n >= 0);
    CHECK(strcmp(fdt_getprop(dtb, n, "bootargs", NULL), "console=ttyS0 earlycon") == 0);
    CHECK(strcmp(fdt_getprop(dtb, n, "stdout-path", NULL), "/serial@9000000") == 0);
    CHECK_EQ(prop_u64(dtb, n, "linux,initrd-start", 0), 0x48000000);
    CHECK_EQ(prop_u64(dtb, n, "linux,initrd-end", 0), 0x48001000);
}

TEST(dt_without_initrd_has_no_initrd_properties)
{
    build_default(1, SVMM_GIC_V3, 0);
    CHECK(fdt_getprop(dtb, fdt_path_offset(dtb, "/chosen"), "linux,initrd-start", NULL) == NULL);
}

TEST(dt_cpus_use_psci)
{
    int cpus, count = 0, node;

    build_default(4, SVMM_GIC_V3, 0);
    cpus = fdt_path_offset(dtb, "/cpus");
    CHECK(cpus >= 0);
    fdt_for_each_subnode(node, dtb, cpus) {
        const fdt32_t *reg = fdt_getprop(dtb, node, "reg", NULL);
        CHECK(strcmp(fdt_getprop(dtb, node, "enable-method", NULL), "psci") == 0);
        CHECK(reg != NULL && fdt32_to_cpu(*reg) == (uint32_t)count);
        count++;
    }
    CHECK_EQ(count, 4);
    CHECK(fdt_node_offset_by_compatible(dtb, -1, "arm,psci-0.2") >= 0);
    CHECK(fdt_node_offset_by_compatible(dtb, -1, "arm,armv8-timer") >= 0);
    CHECK(strcmp(fdt_getprop(dtb, fdt_path_offset(dtb, "/psci"), "method", NULL), "hvc") == 0);
}

TEST(dt_psci_conduit_smc)
{
    struct svmm_vm_config cfg;
    struct svmm_boot_layout boot = { 0 };

    svmm_vm_config_defaults(&cfg);
    cfg.psci_smc = true;
    CHECK(svmm_guest_dt_build(dtb, sizeof(dtb), &cfg, &boot) > 0);
    CHECK(strcmp(fdt_getprop(dtb, fdt_path_offset(dtb, "/psci"), "method", NULL), "smc") == 0);
}

TEST(dt_gic_v3_and_v2_frames)
{
    int n;

    build_default(2, SVMM_GIC_V3, 0);
    n = fdt_node_offset_by_compatible(dtb, -1, "arm,gic-v3");
    CHECK(n >= 0);
    CHECK_EQ(prop_u64(dtb, n, "reg", 2), 0x080a0000);
    CHECK_EQ(prop_u64(dtb, n, "reg", 3), 2 * SVMM_GICR_SIZE_PER_CPU);
    CHECK_EQ(fdt_get_phandle(dtb, n), SVMM_DT_PHANDLE_GIC);
    build_default(2, SVMM_GIC_V2, 0);
    n = fdt_node_offset_by_compatible(dtb, -1, "arm,cortex-a15-gic");
    CHECK(n >= 0);
    CHECK_EQ(prop_u64(dtb, n, "reg", 2), 0x08010000);
}

TEST(dt_virtio_and_uart_nodes_have_interrupts)
{
    int n, len;
    const fdt32_t *irq;

    build_default(1, SVMM_GIC_V3, 0);
    n = fdt_path_offset(dtb, "/virtio_mmio@a000200");
    CHECK(n >= 0);
    irq = fdt_getprop(dtb, n, "interrupts", &len);
    CHECK(irq != NULL && len == 12);
    CHECK_EQ(fdt32_to_cpu(irq[1]), 17); /* slot 1 -> SPI 16 + 1 */
    CHECK(fdt_getprop(dtb, n, "dma-coherent", NULL) != NULL);
    n = fdt_path_offset(dtb, "/serial@9000000");
    CHECK(n >= 0);
    CHECK(strcmp(fdt_getprop(dtb, n, "compatible", NULL), "ns16550a") == 0);
}

TEST(dt_reports_buffer_too_small)
{
    struct svmm_vm_config cfg;
    struct svmm_boot_layout boot = { 0 };

    svmm_vm_config_defaults(&cfg);
    CHECK_EQ(svmm_guest_dt_build(dtb, 256, &cfg, &boot), -FDT_ERR_NOSPACE);
}

static int build_watchdog(unsigned timeout_s)
{
    struct svmm_vm_config cfg;
    struct svmm_boot_layout boot = { 0 };

    svmm_vm_config_defaults(&cfg);
    cfg.watchdog_s = timeout_s;
    CHECK(svmm_guest_dt_build(dtb, sizeof(dtb), &cfg, &boot) > 0);
    return fdt_node_offset_by_compatible(dtb, -1, "arm,sbsa-gwdt");
}

TEST(dt_watchdog_only_when_configured)
{
    CHECK(build_watchdog(0) < 0);
    CHECK(fdt_path_offset(dtb, "/watchdog@9020000") < 0);
}

TEST(dt_watchdog_frames_interrupt_and_timeout)
{
    int n = build_watchdog(30), len;
    const fdt32_t *irq, *t;

    CHECK(n >= 0);
    CHECK_EQ(n, fdt_path_offset(dtb, "/watchdog@9020000"));
    CHECK_EQ(prop_u64(dtb, n, "reg", 0), 0x09020000); /* control frame first (the binding's order) */
    CHECK_EQ(prop_u64(dtb, n, "reg", 1), 0x1000);
    CHECK_EQ(prop_u64(dtb, n, "reg", 2), 0x09021000); /* then the refresh frame */
    CHECK_EQ(prop_u64(dtb, n, "reg", 3), 0x1000);
    irq = fdt_getprop(dtb, n, "interrupts", &len);
    CHECK(irq != NULL && len == 12);
    if (irq != NULL && len == 12) {
        CHECK_EQ(fdt32_to_cpu(irq[0]), 0); /* SPI */
        CHECK_EQ(fdt32_to_cpu(irq[1]), 2);
        CHECK_EQ(fdt32_to_cpu(irq[2]), 4); /* level, active high */
    }
    t = fdt_getprop(dtb, n, "timeout-sec", &len);
    CHECK(t != NULL && len == 4 && fdt32_to_cpu(*t) == 30);
}

TEST(dt_one_memory_node_per_ram_range)
{
    struct svmm_vm_config cfg;
    struct svmm_boot_layout boot = { 0 };
    int n;

    svmm_vm_config_defaults(&cfg);
    cfg.nextra_ram = 2;
    cfg.extra_ram[0] = (struct svmm_ram_range){ 0x100000000ull, 64ull << 20 };
    cfg.extra_ram[1] = (struct svmm_ram_range){ 0x200000000ull, 2ull << 20 };
    CHECK(svmm_guest_dt_build(dtb, sizeof(dtb), &cfg, &boot) > 0);
    n = fdt_path_offset(dtb, "/memory@40000000");
    CHECK(n >= 0);
    CHECK_EQ(prop_u64(dtb, n, "reg", 1), 256ull << 20);
    n = fdt_path_offset(dtb, "/memory@100000000");
    CHECK(n >= 0);
    CHECK_EQ(prop_u64(dtb, n, "reg", 0), 0x100000000ull);
    CHECK_EQ(prop_u64(dtb, n, "reg", 1), 64ull << 20);
    CHECK(strcmp(fdt_getprop(dtb, n, "device_type", NULL), "memory") == 0);
    n = fdt_path_offset(dtb, "/memory@200000000");
    CHECK_EQ(prop_u64(dtb, n, "reg", 1), 2ull << 20);
}

TEST(dt_shared_window_node)
{
    struct svmm_vm_config cfg;
    struct svmm_boot_layout boot = { 0 };
    int n;

    svmm_vm_config_defaults(&cfg);
    cfg.nwindows = 1;
    cfg.windows[0] = (struct svmm_shared_window){ 0x10000000ull, 64u << 10, "pairwin" };
    CHECK(svmm_guest_dt_build(dtb, sizeof(dtb), &cfg, &boot) > 0);
    n = fdt_path_offset(dtb, "/shared-window@10000000");
    CHECK(n >= 0);
    CHECK(strcmp(fdt_getprop(dtb, n, "compatible", NULL), "svmm,shared-window") == 0);
    CHECK(strcmp(fdt_getprop(dtb, n, "label", NULL), "pairwin") == 0);
    CHECK_EQ(prop_u64(dtb, n, "reg", 1), 64u << 10);
    CHECK(fdt_getprop(dtb, n, "device_type", NULL) == NULL); /* not memory: the guest's allocator never takes it */
}

/* A board node copied as a passthrough device: properties kept, its interrupts to the guest's GIC. */
TEST(dt_passthrough_node_copied)
{
    static uint8_t frag[1024];
    const fdt32_t irq[3] = { 0, cpu_to_fdt32(47), cpu_to_fdt32(1) };
    struct svmm_vm_config cfg;
    struct svmm_boot_layout boot = { 0 };
    int n, len;
    const fdt32_t *p;

    CHECK_EQ(fdt_create_empty_tree(frag, sizeof(frag)), 0);
    n = fdt_add_subnode(frag, 0, "virtio_mmio@a003e00");
    CHECK(n >= 0);
    CHECK_EQ(fdt_setprop_string(frag, n, "compatible", "virtio,mmio"), 0);
    CHECK_EQ(fdt_setprop(frag, n, "interrupts", irq, sizeof(irq)), 0);
    CHECK_EQ(fdt_setprop_u32(frag, n, "interrupt-parent", 0x8002), 0); /* the board's GIC: not the guest's */
    CHECK_EQ(fdt_setprop_u32(frag, n, "phandle", 7), 0);
    svmm_vm_config_defaults(&cfg);
    cfg.npassthrough_dt = 1;
    cfg.passthrough_dt[0] = frag;
    CHECK(svmm_guest_dt_build(dtb, sizeof(dtb), &cfg, &boot) > 0);
    n = fdt_path_offset(dtb, "/virtio_mmio@a003e00");
    CHECK(n >= 0);
    CHECK(strcmp(fdt_getprop(dtb, n, "compatible", NULL), "virtio,mmio") == 0);
    p = fdt_getprop(dtb, n, "interrupts", &len);
    CHECK(p != NULL && len == 12 && fdt32_to_cpu(p[1]) == 47);
    p = fdt_getprop(dtb, n, "interrupt-parent", &len);
    CHECK(p != NULL && len == 4 && fdt32_to_cpu(p[0]) == SVMM_DT_PHANDLE_GIC);
    CHECK(fdt_getprop(dtb, n, "phandle", NULL) == NULL); /* could clash with the guest's own phandles */
}

/* A fragment that is not a device tree fails the build instead of giving the guest half a node. */
TEST(dt_passthrough_bad_fragment_refused)
{
    static uint8_t junk[64];
    struct svmm_vm_config cfg;
    struct svmm_boot_layout boot = { 0 };

    svmm_vm_config_defaults(&cfg);
    cfg.npassthrough_dt = 1;
    cfg.passthrough_dt[0] = junk;
    CHECK(svmm_guest_dt_build(dtb, sizeof(dtb), &cfg, &boot) < 0);
}
