/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <string.h>
#include <svmm/features.h>
#include <svmm/guest_dt.h>
#include <svmm/log.h>
#include <svmm/virtio.h>
#include <svmm/vm.h>

static void vm_irq_set(void *ctx, uint32_t spi, bool level)
{
    struct svmm_vm *vm = ctx;

    vm->plat.irq_set(vm->plat.ctx, spi, level);
}

int svmm_vm_init(struct svmm_vm *vm, const struct svmm_vm_config *cfg, const struct svmm_platform *plat,
                 const struct svmm_vm_backends *be, char *err, size_t errlen)
{
    memset(vm, 0, sizeof(*vm));
    if (svmm_vm_config_validate(cfg, err, errlen) < 0)
        return -1;
    vm->cfg = *cfg;
    vm->plat = *plat;
    svmm_memmap_init(&vm->mem);
    svmm_mmio_bus_init(&vm->bus);
    if (cfg->layout.uart_base) {
        uart16550_init(&vm->uart, be->uart_tx, be->uart_ctx, vm_irq_set, vm, cfg->layout.uart_spi);
        svmm_mmio_register(&vm->bus, cfg->layout.uart_base, UART16550_SIZE, &uart16550_ops, &vm->uart, "uart");
    }
    if (cfg->watchdog_s) {
        if (!SVMM_FEATURE_WATCHDOG) { /* features.h: left out, so the model below is not linked */
            snprintf(err, errlen, "this VMM was built without the watchdog (FEATURES=-watchdog)");
            return -1;
        }
        if (be->wdt_clock.now == NULL || be->wdt_clock.arm == NULL || be->wdt_clock.hz == 0 ||
            be->wdt_clock.hz > UINT32_MAX) {
            snprintf(err, errlen, "this platform gives the watchdog no clock");
            return -1;
        }
        sbsa_gwdt_init(&vm->wdt, &be->wdt_clock, vm_irq_set, vm, cfg->layout.wdt_spi,
                       cfg->watchdog_boot_s ? cfg->watchdog_boot_s : cfg->watchdog_s);
        svmm_mmio_register(&vm->bus, cfg->layout.wdt_base, SBSA_GWDT_SIZE, &sbsa_gwdt_ops, &vm->wdt, "watchdog");
    }
    return 0;
}

int svmm_vm_attach_virtio(struct svmm_vm *vm, unsigned slot, struct virtio_dev *dev, char *err, size_t errlen)
{
    if (slot >= vm->cfg.nvirtio || vm->virtio[slot] != NULL || dev->device_id != vm->cfg.virtio_ids[slot]) {
        snprintf(err, errlen, "%s cannot go in virtio slot %u (configured for device type %u)", dev->name, slot,
                 slot < vm->cfg.nvirtio ? vm->cfg.virtio_ids[slot] : 0);
        return -1;
    }
    virtio_mmio_init(&vm->transports[slot], dev, &vm->mem, vm_irq_set, vm, vm->cfg.layout.virtio_spi + slot);
    if (svmm_mmio_register(&vm->bus, svmm_virtio_slot_base(&vm->cfg, slot), VIRTIO_MMIO_SIZE, &virtio_mmio_ops,
                           &vm->transports[slot], dev->name) < 0) {
        snprintf(err, errlen, "virtio slot %u overlaps another device", slot);
        return -1;
    }
    vm->virtio[slot] = dev;
    return 0;
}

int svmm_vm_add_mmio_device(struct svmm_vm *vm, uint64_t base, uint64_t size, const struct svmm_mmio_ops *ops,
                            void *dev, const char *name, char *err, size_t errlen)
{
    const uint64_t page = 0x1000;
    char why[160];

    if (ops == NULL || ops->read == NULL || ops->write == NULL) {
        snprintf(err, errlen, "device %s: it needs both callbacks", name);
        return -1;
    }
    if (size == 0 || (base | size) & (page - 1)) {
        snprintf(err, errlen, "device %s: 0x%llx+0x%llx is not whole 4 KiB pages", name, (unsigned long long)base,
                 (unsigned long long)size);
        return -1;
    }
    if (svmm_vm_config_span_free(&vm->cfg, base, size, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "device %s: %s", name, why);
        return -1;
    }
    if (svmm_mmio_register(&vm->bus, base, size, ops, dev, name) < 0) {
        snprintf(err, errlen, "device %s: overlaps another device, or the bus is full (%u regions)", name,
                 SVMM_MMIO_MAX);
        return -1;
    }
    return 0;
}

int svmm_vm_add_ram(struct svmm_vm *vm, void *host)
{
    return svmm_memmap_add(&vm->mem, vm->cfg.ram_base, vm->cfg.ram_size, host, SVMM_MEM_RAM);
}

int svmm_vm_add_extra_ram(struct svmm_vm *vm, unsigned i, void *host)
{
    if (i >= vm->cfg.nextra_ram || i >= SVMM_MAX_EXTRA_RAM)
        return -1;
    return svmm_memmap_add(&vm->mem, vm->cfg.extra_ram[i].base, vm->cfg.extra_ram[i].size, host, SVMM_MEM_RAM);
}

int svmm_vm_load_linux(struct svmm_vm *vm, const void *kernel, size_t kernel_len, const void *initrd,
                       size_t initrd_len, char *err, size_t errlen)
{
    void *dtb;
    int r;

    for (unsigned i = 0; i < vm->cfg.nvirtio; i++) {
        if (vm->virtio[i] == NULL) {
            snprintf(err, errlen, "virtio slot %u (device type %u) has no device attached", i, vm->cfg.virtio_ids[i]);
            return -1;
        }
    }
    if (svmm_boot_plan_for(&vm->cfg, kernel, kernel_len, kernel_len, initrd_len, &vm->boot, err, errlen) < 0)
        return -1;
    if (!svmm_guest_write(&vm->mem, vm->boot.kernel_gpa, kernel, kernel_len) ||
        (initrd_len && !svmm_guest_write(&vm->mem, vm->boot.initrd_gpa, initrd, initrd_len))) {
        snprintf(err, errlen, "guest RAM is not registered");
        return -1;
    }
    dtb = svmm_gpa_to_host(&vm->mem, vm->boot.dtb_gpa, SVMM_DTB_MAX, true);
    r = dtb ? svmm_guest_dt_build(dtb, SVMM_DTB_MAX, &vm->cfg, &vm->boot) : -1;
    if (r < 0) {
        snprintf(err, errlen, "device tree generation failed (%d)", r);
        return -1;
    }
    vm->dtb_size = (uint32_t)r;
    svmm_info("kernel at 0x%llx (%zu bytes), DTB at 0x%llx (%u bytes)", (unsigned long long)vm->boot.kernel_gpa,
              kernel_len, (unsigned long long)vm->boot.dtb_gpa, vm->dtb_size);
    if (initrd_len)
        svmm_info("initrd at 0x%llx (%zu bytes)", (unsigned long long)vm->boot.initrd_gpa, initrd_len);
    return 0;
}

void svmm_vm_reset_devices(struct svmm_vm *vm)
{
    /* The UART, the watchdog, each virtio transport and any custom device reset through their ops;
     * the exit counts are per boot (the platform logged them). */
    svmm_mmio_bus_reset(&vm->bus);
}

void svmm_vm_power_on(struct svmm_vm *vm)
{
    if (SVMM_FEATURE_WATCHDOG && vm->cfg.watchdog_s)
        sbsa_gwdt_power_on(&vm->wdt);
}

const void *svmm_vm_dtb(const struct svmm_vm *vm)
{
    return svmm_gpa_to_host(&vm->mem, vm->boot.dtb_gpa, vm->dtb_size, false);
}

bool svmm_vm_mmio_access(struct svmm_vm *vm, unsigned vcpu, uint64_t gpa, bool is_write, unsigned size, uint64_t *data)
{
    return svmm_mmio_access(&vm->bus, vcpu, gpa, is_write, size, data);
}

void svmm_vm_exit_stats(const struct svmm_vm *vm, char *buf, size_t len)
{
    size_t off = 0;

    buf[0] = '\0';
    for (unsigned i = 0; i < vm->bus.count && off < len; i++) {
        const struct svmm_mmio_region *r = &vm->bus.regions[i];
        int n = snprintf(buf + off, len - off, "%s%s=%llu", i ? " " : "", r->name, (unsigned long long)r->accesses);
        if (n < 0)
            break;
        off += (size_t)n;
    }
    if (off < len)
        snprintf(buf + off, len - off, " unclaimed=%llu", (unsigned long long)vm->bus.unclaimed);
}
