/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The mmio-device example on Linux KVM: a 2-vCPU Linux VM with the custom device of device.h.
 * Usage: mmio-device KERNEL [INITRD]; exits with the VM's status (0 when the guest powers off).
 */
#include <stdio.h>
#include <svmm/hosted.h>
#include <svmm/svmm.h>
#include "device.h"

int main(int argc, char **argv)
{
    static struct demo_dev dev;
    struct svmm_vm_config cfg;
    const void *kernel, *initrd = NULL;
    size_t kernel_len, initrd_len = 0;
    struct svmm *s;
    char err[256];

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s KERNEL [INITRD]\n", argv[0]);
        return 2;
    }
    svmm_default_config(&cfg, 2, 256u << 20);
    if ((kernel = svmm_read_file("kernel", argv[1], &kernel_len, err, sizeof(err))) == NULL ||
        (argc == 3 && (initrd = svmm_read_file("initrd", argv[2], &initrd_len, err, sizeof(err))) == NULL) ||
        (s = svmm_create(&cfg, err, sizeof(err))) == NULL ||
        svmm_add_mmio_device(s, DEMO_DEV_BASE, DEMO_DEV_SIZE, &demo_dev_ops, &dev, "demo", err, sizeof(err)) < 0 ||
        svmm_load_linux(s, kernel, kernel_len, initrd, initrd_len, err, sizeof(err)) < 0) {
        fprintf(stderr, "mmio-device: %s\n", err);
        return 1;
    }
    return svmm_run(s); /* until the guest powers off; a guest reset restarts it in place */
}
