/* SPDX-License-Identifier: BSD-2-Clause */
#include <libfdt.h>
#include <stdio.h>
#include <string.h>
#include <svmm/arch.h>
#include <svmm/guest_dt.h>
#include <svmm/sbsa_gwdt.h>
#include <svmm/uart16550.h>
#include <svmm/virtio_mmio.h>

#define TRY(x) do { int err_ = (x); if (err_ < 0) return err_; } while (0)

static int begin_node_at(void *fdt, const char *name, uint64_t addr)
{
    char node[48];

    snprintf(node, sizeof(node), "%s@%llx", name, (unsigned long long)addr);
    return fdt_begin_node(fdt, node);
}

/* One memory node per RAM range: the boot region, then the further ranges (holes between them). */
static int add_memory_node(void *fdt, uint64_t base, uint64_t size)
{
    uint64_t reg[2] = { base, size };

    TRY(begin_node_at(fdt, "memory", base));
    TRY(fdt_property_string(fdt, "device_type", "memory"));
    TRY(svmm_dt_prop_reg(fdt, reg, 1));
    return fdt_end_node(fdt);
}

static int add_memory(void *fdt, const struct svmm_vm_config *cfg)
{
    TRY(add_memory_node(fdt, cfg->ram_base, cfg->ram_size));
    for (unsigned i = 0; i < cfg->nextra_ram && i < SVMM_MAX_EXTRA_RAM; i++)
        TRY(add_memory_node(fdt, cfg->extra_ram[i].base, cfg->extra_ram[i].size));
    return 0;
}

/* Shared windows: not RAM (no memory node), so the guest maps them only when asked (e.g. /dev/mem). */
static int add_windows(void *fdt, const struct svmm_vm_config *cfg)
{
    for (unsigned i = 0; i < cfg->nwindows && i < SVMM_MAX_WINDOWS; i++) {
        uint64_t reg[2] = { cfg->windows[i].base, cfg->windows[i].size };
        TRY(begin_node_at(fdt, "shared-window", cfg->windows[i].base));
        TRY(fdt_property_string(fdt, "compatible", "svmm,shared-window"));
        TRY(svmm_dt_prop_reg(fdt, reg, 1));
        TRY(fdt_property_string(fdt, "label", cfg->windows[i].name));
        TRY(fdt_end_node(fdt));
    }
    return 0;
}

static int add_uart(void *fdt, const struct svmm_vm_config *cfg)
{
    uint64_t reg[2] = { cfg->layout.uart_base, UART16550_SIZE };

    TRY(begin_node_at(fdt, "serial", cfg->layout.uart_base));
    TRY(fdt_property_string(fdt, "compatible", "ns16550a"));
    TRY(svmm_dt_prop_reg(fdt, reg, 1));
    TRY(fdt_property_u32(fdt, "clock-frequency", UART16550_CLOCK));
    TRY(fdt_property_u32(fdt, "reg-shift", 0));
    TRY(fdt_property_u32(fdt, "reg-io-width", 1));
    TRY(svmm_arch_dt_irq(fdt, cfg->layout.uart_spi));
    return fdt_end_node(fdt);
}

static int add_virtio(void *fdt, const struct svmm_vm_config *cfg, unsigned slot)
{
    uint64_t reg[2] = { svmm_virtio_slot_base(cfg, slot), VIRTIO_MMIO_SIZE };

    TRY(begin_node_at(fdt, "virtio_mmio", reg[0]));
    TRY(fdt_property_string(fdt, "compatible", "virtio,mmio"));
    TRY(svmm_dt_prop_reg(fdt, reg, 1));
    TRY(svmm_arch_dt_irq(fdt, cfg->layout.virtio_spi + slot));
    TRY(fdt_property(fdt, "dma-coherent", NULL, 0));
    return fdt_end_node(fdt);
}

/*
 * The SBSA watchdog: control frame first, then refresh frame (the binding's order), its WS0
 * interrupt, and timeout-sec, which Linux's driver adopts at probe (unless its timeout= parameter
 * says otherwise): from then on WS1 comes `timeout-sec` seconds after the last refresh, whatever
 * boot window power-on gave (cfg->watchdog_boot_s).
 */
static int add_watchdog(void *fdt, const struct svmm_vm_config *cfg)
{
    uint64_t reg[4] = { cfg->layout.wdt_base, SBSA_GWDT_FRAME_SIZE, cfg->layout.wdt_base + SBSA_GWDT_FRAME_SIZE,
                        SBSA_GWDT_FRAME_SIZE };

    TRY(begin_node_at(fdt, "watchdog", cfg->layout.wdt_base));
    TRY(fdt_property_string(fdt, "compatible", "arm,sbsa-gwdt"));
    TRY(svmm_dt_prop_reg(fdt, reg, 2));
    TRY(svmm_arch_dt_irq(fdt, cfg->layout.wdt_spi));
    TRY(fdt_property_u32(fdt, "timeout-sec", cfg->watchdog_s));
    return fdt_end_node(fdt);
}

/*
 * A passthrough device's node, copied from `frag` (struct svmm_vm_config.passthrough_dt): its name
 * and properties, but that its interrupts go to the guest's interrupt controller. Its reg is the
 * board's, valid as it is because the platform maps the device 1:1; sub-nodes are not copied.
 */
static int add_passthrough(void *fdt, const void *frag)
{
    int node, prop, len;
    const char *name;

    if (fdt_check_header(frag) != 0)
        return -FDT_ERR_BADSTRUCTURE;
    node = fdt_first_subnode(frag, 0);
    if (node < 0)
        return node;
    name = fdt_get_name(frag, node, &len);
    if (name == NULL)
        return len;
    TRY(fdt_begin_node(fdt, name));
    fdt_for_each_property_offset(prop, frag, node) {
        const void *val = fdt_getprop_by_offset(frag, prop, &name, &len);
        if (val == NULL)
            return len;
        if (!strcmp(name, "interrupt-parent") || !strcmp(name, "phandle") || !strcmp(name, "linux,phandle"))
            continue;
        TRY(fdt_property(fdt, name, val, len));
    }
    if (fdt_getprop(frag, node, "interrupts", NULL) != NULL)
        TRY(fdt_property_u32(fdt, "interrupt-parent", SVMM_DT_PHANDLE_GIC));
    return fdt_end_node(fdt);
}

static int add_chosen(void *fdt, const struct svmm_vm_config *cfg, const struct svmm_boot_layout *boot)
{
    char path[48];

    TRY(fdt_begin_node(fdt, "chosen"));
    TRY(fdt_property_string(fdt, "bootargs", cfg->bootargs));
    if (cfg->layout.uart_base) {
        snprintf(path, sizeof(path), "/serial@%llx", (unsigned long long)cfg->layout.uart_base);
        TRY(fdt_property_string(fdt, "stdout-path", path));
    }
    if (boot->initrd_size) {
        TRY(fdt_property_u64(fdt, "linux,initrd-start", boot->initrd_gpa));
        TRY(fdt_property_u64(fdt, "linux,initrd-end", boot->initrd_gpa + boot->initrd_size));
    }
    return fdt_end_node(fdt);
}

static int build(void *fdt, const struct svmm_vm_config *cfg, const struct svmm_boot_layout *boot)
{
    TRY(fdt_finish_reservemap(fdt));
    TRY(fdt_begin_node(fdt, ""));
    TRY(fdt_property_string(fdt, "compatible", "linux,dummy-virt"));
    TRY(fdt_property_string(fdt, "model", "svmm"));
    TRY(fdt_property_u32(fdt, "#address-cells", 2));
    TRY(fdt_property_u32(fdt, "#size-cells", 2));
    TRY(fdt_property_u32(fdt, "interrupt-parent", SVMM_DT_PHANDLE_GIC));
    TRY(add_chosen(fdt, cfg, boot));
    TRY(add_memory(fdt, cfg));
    TRY(add_windows(fdt, cfg));
    TRY(svmm_arch_dt_cpus(fdt, cfg));
    TRY(svmm_arch_dt_platform(fdt, cfg));
    if (cfg->layout.uart_base)
        TRY(add_uart(fdt, cfg));
    if (cfg->watchdog_s)
        TRY(add_watchdog(fdt, cfg));
    for (unsigned i = 0; i < cfg->nvirtio; i++)
        TRY(add_virtio(fdt, cfg, i));
    for (unsigned i = 0; i < cfg->npassthrough_dt && i < SVMM_MAX_PASSTHROUGH; i++)
        TRY(add_passthrough(fdt, cfg->passthrough_dt[i]));
    TRY(fdt_end_node(fdt));
    return fdt_finish(fdt);
}

int svmm_guest_dt_build(void *buf, size_t bufsize, const struct svmm_vm_config *cfg,
                        const struct svmm_boot_layout *boot)
{
    int err;

    if (bufsize > 0x7fffffff)
        bufsize = 0x7fffffff;
    err = fdt_create(buf, (int)bufsize);
    if (err < 0)
        return err;
    err = build(buf, cfg, boot);
    if (err < 0)
        return err;
    return (int)fdt_totalsize(buf);
}
