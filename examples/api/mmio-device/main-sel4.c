/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The custom MMIO device example as a seL4 Microkit protection domain: init() builds the VM with
 * the high-level API and returns; the library (libsvmm-sel4.a) provides the PD's fault() and
 * notified() and runs the VM from then on. vmm.system maps what the library names: guest RAM, the
 * board UART and the boot images, where the boot loader puts the kernel (+0) and the initrd
 * (+32 MiB); make passes their sizes (KERNEL_SIZE, INITRD_SIZE).
 */
#include <microkit.h>
#include <svmm/log.h>
#include <svmm/svmm.h>
#include "device.h"

#define INITRD_OFFSET 0x2000000u

extern uintptr_t boot_images_vaddr; /* the library's setvar_vaddr symbol for the boot images (svmm.h) */

static struct demo_dev dev;

void init(void)
{
    const uint8_t *images = (const uint8_t *)boot_images_vaddr;
    struct svmm_vm_config cfg;
    struct svmm *s;
    char err[160];

    svmm_default_config(&cfg, 2, 256u << 20);
    s = svmm_create(&cfg, err, sizeof(err));
    if (s == NULL ||
        svmm_add_mmio_device(s, DEMO_DEV_BASE, DEMO_DEV_SIZE, &demo_dev_ops, &dev, "demo", err, sizeof(err)) < 0 ||
        svmm_load_linux(s, images, KERNEL_SIZE, images + INITRD_OFFSET, INITRD_SIZE, err, sizeof(err)) < 0) {
        svmm_err("mmio-device example: %s", err);
        return;
    }
    (void)svmm_run(s);
}
