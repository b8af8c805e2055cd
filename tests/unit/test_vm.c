/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <svmm/virtio_console.h>
#include <svmm/vm.h>
#include "test.h"

static void uart_tx(void *ctx, uint8_t b) { (void)ctx; (void)b; }
static void irq_set(void *ctx, uint32_t spi, bool level) { (void)ctx; (void)spi; (void)level; }
static void con_write(void *ctx, const uint8_t *b, size_t n) { (void)ctx; (void)b; (void)n; }

static struct svmm_vm vm;
static struct virtio_console con, con2;
static char err[160];

static void setup(unsigned nvirtio)
{
    struct svmm_vm_config cfg;
    const struct svmm_platform plat = { NULL, irq_set };
    const struct svmm_vm_backends be = { uart_tx, NULL };
    const struct virtio_console_backend cb = { con_write, NULL };

    svmm_vm_config_defaults(&cfg);
    cfg.ram_size = 64 << 20;
    cfg.nvirtio = nvirtio;
    for (unsigned i = 0; i < nvirtio; i++)
        cfg.virtio_ids[i] = VIRTIO_ID_CONSOLE;
    cfg.virtio_ids[1] = VIRTIO_ID_BLOCK;
    CHECK_EQ(svmm_vm_init(&vm, &cfg, &plat, &be, err, sizeof(err)), 0);
    virtio_console_init(&con, &cb);
    virtio_console_init(&con2, &cb);
}

TEST(vm_attach_checks_slot_and_type)
{
    setup(2);
    CHECK_EQ(svmm_vm_attach_virtio(&vm, 1, &con.dev, err, sizeof(err)), -1); /* slot 1 is a block device */
    CHECK_STR_CONTAINS(err, "slot 1");
    CHECK_EQ(svmm_vm_attach_virtio(&vm, 2, &con.dev, err, sizeof(err)), -1); /* no such slot */
    CHECK_EQ(svmm_vm_attach_virtio(&vm, 0, &con.dev, err, sizeof(err)), 0);
    CHECK_EQ(svmm_vm_attach_virtio(&vm, 0, &con2.dev, err, sizeof(err)), -1); /* taken */
}

static uint64_t dev_read(void *d, unsigned vcpu, uint64_t off, unsigned size)
{
    (void)d, (void)vcpu, (void)size;
    return off;
}

static void dev_write(void *d, unsigned vcpu, uint64_t off, unsigned size, uint64_t val)
{
    (void)d, (void)vcpu, (void)off, (void)size, (void)val;
}

TEST(vm_add_mmio_device_checks_callbacks_pages_and_placement)
{
    const struct svmm_mmio_ops ops = { dev_read, dev_write, NULL }, read_only = { dev_read, NULL, NULL };
    const uint64_t free_base = 0x0c000000;

    setup(1);
    CHECK_EQ(svmm_vm_add_mmio_device(&vm, free_base, 0x1000, &read_only, NULL, "ro", err, sizeof(err)), -1);
    CHECK_STR_CONTAINS(err, "both callbacks");
    CHECK_EQ(svmm_vm_add_mmio_device(&vm, free_base + 0x800, 0x1000, &ops, NULL, "half", err, sizeof(err)), -1);
    CHECK_STR_CONTAINS(err, "pages");
    CHECK_EQ(svmm_vm_add_mmio_device(&vm, free_base, 0, &ops, NULL, "empty", err, sizeof(err)), -1);
    CHECK_EQ(svmm_vm_add_mmio_device(&vm, vm.cfg.ram_base, 0x1000, &ops, NULL, "ram", err, sizeof(err)), -1);
    CHECK_EQ(svmm_vm_add_mmio_device(&vm, vm.cfg.layout.uart_base, 0x1000, &ops, NULL, "uart", err, sizeof(err)), -1);
    CHECK_EQ(svmm_vm_add_mmio_device(&vm, free_base, 0x1000, &ops, NULL, "mine", err, sizeof(err)), 0);
    CHECK_EQ(svmm_vm_add_mmio_device(&vm, free_base, 0x2000, &ops, NULL, "again", err, sizeof(err)), -1);
    CHECK_STR_CONTAINS(err, "overlaps");
}

TEST(vm_load_refuses_unattached_slots)
{
    uint8_t *ram = aligned_alloc(4096, 64 << 20);
    uint8_t kernel[4096] = { 0 };

    memcpy(kernel + 56, "ARM\x64", 4);
    kernel[18] = 0x10; /* image_size 1 MiB */
    setup(1);
    CHECK_EQ(svmm_vm_add_ram(&vm, ram), 0);
    CHECK_EQ(svmm_vm_load_linux(&vm, kernel, sizeof(kernel), NULL, 0, err, sizeof(err)), -1);
    CHECK_STR_CONTAINS(err, "no device attached");
    CHECK_EQ(svmm_vm_attach_virtio(&vm, 0, &con.dev, err, sizeof(err)), 0);
    CHECK_EQ(svmm_vm_load_linux(&vm, kernel, sizeof(kernel), NULL, 0, err, sizeof(err)), 0);
    CHECK(svmm_vm_dtb(&vm) != NULL);
    free(ram);
}

TEST(vm_reset_devices_resets_uart_and_every_transport)
{
    uint64_t v = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
    uint64_t base;

    setup(1);
    CHECK_EQ(svmm_vm_attach_virtio(&vm, 0, &con.dev, err, sizeof(err)), 0);
    base = svmm_virtio_slot_base(&vm.cfg, 0);
    CHECK(svmm_vm_mmio_access(&vm, 0, base + 0x070, true, 4, &v));
    v = 0x5a;
    CHECK(svmm_vm_mmio_access(&vm, 0, vm.cfg.layout.uart_base + 7, true, 1, &v));
    svmm_vm_reset_devices(&vm);
    CHECK(svmm_vm_mmio_access(&vm, 0, base + 0x070, false, 4, &v));
    CHECK_EQ(v, 0); /* Status back to reset */
    CHECK(svmm_vm_mmio_access(&vm, 0, vm.cfg.layout.uart_base + 7, false, 1, &v));
    CHECK_EQ(v, 0); /* UART scratch back to reset */
}

static uint64_t wdt_now(void *ctx) { (void)ctx; return 1000; }
static uint64_t wdt_deadline;
static void wdt_arm(void *ctx, uint64_t when) { (void)ctx; wdt_deadline = when; }

TEST(vm_watchdog_on_the_bus_with_its_boot_window)
{
    struct svmm_vm_config cfg;
    const struct svmm_platform plat = { NULL, irq_set };
    struct svmm_vm_backends be = { uart_tx, NULL, { 0, NULL, NULL, NULL } };
    uint64_t wcs = 0;

    svmm_vm_config_defaults(&cfg);
    cfg.watchdog_s = 10;
    cfg.watchdog_boot_s = 60;
    CHECK_EQ(svmm_vm_init(&vm, &cfg, &plat, &be, err, sizeof(err)), -1); /* a platform without a clock */
    CHECK_STR_CONTAINS(err, "no clock");
    be.wdt_clock = (struct sbsa_gwdt_clock){ 100, wdt_now, wdt_arm, NULL };
    CHECK_EQ(svmm_vm_init(&vm, &cfg, &plat, &be, err, sizeof(err)), 0);
    CHECK(svmm_vm_mmio_access(&vm, 0, 0x09020000, false, 4, &wcs));
    CHECK_EQ(wcs, 0); /* quiescent until power-on */
    svmm_vm_power_on(&vm);
    CHECK(svmm_vm_mmio_access(&vm, 0, 0x09020000, false, 4, &wcs));
    CHECK_EQ(wcs, 1);
    CHECK_EQ(wdt_deadline, 1000 + 30 * 100); /* WS0 at half the boot window */
    svmm_vm_reset_devices(&vm);
    CHECK_EQ(wdt_deadline, SBSA_GWDT_NEVER);
    CHECK(svmm_vm_mmio_access(&vm, 0, 0x09020000, false, 4, &wcs));
    CHECK_EQ(wcs, 0);
}
