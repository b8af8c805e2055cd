/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The freestanding core (picolibc, no OS) exercised on bare-metal arm64 under QEMU with
 * semihosting: the build the seL4 platform links, proven to run, not only to link. It builds a
 * VM, loads an Image-shaped kernel, generates the DTB and drives the virtio-mmio console through
 * its MMIO registers, exactly as the seL4 fault handler will.
 */
#include <libfdt.h>
#include <stdio.h>
#include <string.h>
#include <svmm/virtio.h>
#include <svmm/virtio_console.h>
#include <svmm/vm.h>

#define RAM_SIZE (32u << 20)

static uint8_t guest_ram[RAM_SIZE] __attribute__((aligned(4096)));
static uint8_t kernel[4096];
static unsigned passed, failed, tx_bytes;

#define CHECK(e) do { if (e) passed++; else { failed++; printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #e); } } while (0)

static void irq_set(void *ctx, uint32_t spi, bool level) { (void)ctx; (void)spi; (void)level; }
static void uart_tx(void *ctx, uint8_t b) { (void)ctx; (void)b; tx_bytes++; }
static void con_write(void *ctx, const uint8_t *b, size_t n) { (void)ctx; (void)b; tx_bytes += n; }
static void log_sink(enum svmm_log_level l, const char *line, unsigned len) { (void)l; printf("svmm: %.*s\n", (int)len, line); }

int main(void)
{
    static struct svmm_vm vm;
    struct svmm_vm_config cfg;
    struct svmm_platform plat = { NULL, irq_set };
    struct svmm_vm_backends be = { uart_tx, NULL };
    static struct virtio_console con;
    const struct virtio_console_backend con_be = { con_write, NULL };
    char err[160];
    uint64_t v = 0;
    const void *dtb;

    svmm_log_init(log_sink, SVMM_LOG_INFO);
    svmm_vm_config_defaults(&cfg);
    cfg.ram_size = RAM_SIZE;
    cfg.ncpus = 2;
    cfg.nvirtio = 1;
    cfg.virtio_ids[0] = VIRTIO_ID_CONSOLE;
    strcpy(cfg.bootargs, "console=hvc0");
    CHECK(svmm_vm_init(&vm, &cfg, &plat, &be, err, sizeof(err)) == 0);
    virtio_console_init(&con, &con_be);
    CHECK(svmm_vm_attach_virtio(&vm, 0, &con.dev, err, sizeof(err)) == 0);
    CHECK(svmm_vm_add_ram(&vm, guest_ram) == 0);
    kernel[16] = 0x00; kernel[18] = 0x10; /* image_size = 1 MiB */
    memcpy(kernel + 56, "ARM\x64", 4);
    CHECK(svmm_vm_load_linux(&vm, kernel, sizeof(kernel), NULL, 0, err, sizeof(err)) == 0);
    dtb = svmm_vm_dtb(&vm);
    CHECK(dtb != NULL && fdt_check_header(dtb) == 0);
    CHECK(fdt_path_offset(dtb, "/cpus/cpu@1") >= 0);
    CHECK(svmm_vm_mmio_access(&vm, 0, 0x0a000000, false, 4, &v) && v == 0x74726976);
    v = 'A';
    CHECK(svmm_vm_mmio_access(&vm, 0, 0x09000000, true, 1, &v) && tx_bytes == 1);
    CHECK(!svmm_vm_mmio_access(&vm, 0, 0x0b000000, false, 4, &v) && v == 0);
    printf("freestanding: %u passed, %u failed\n", passed, failed);
    return failed != 0;
}
