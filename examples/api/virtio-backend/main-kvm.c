/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtio-backend example on Linux KVM: a 2-vCPU Linux VM whose only virtio device is the
 * counter rng of device.h, in virtio slot 0 (the library gives it a virtio-mmio transport, an
 * interrupt and a device-tree node). Usage: virtio-backend KERNEL [INITRD].
 */
#include <stdio.h>
#include <svmm/hosted.h>
#include <svmm/svmm.h>
#include "device.h"

int main(int argc, char **argv)
{
    static struct counter_rng rng;
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
    cfg.nvirtio = 1; /* one virtio-mmio slot, a virtio-rng */
    cfg.virtio_ids[0] = VIRTIO_ID_RNG;
    counter_rng_init(&rng);
    if ((kernel = svmm_read_file("kernel", argv[1], &kernel_len, err, sizeof(err))) == NULL ||
        (argc == 3 && (initrd = svmm_read_file("initrd", argv[2], &initrd_len, err, sizeof(err))) == NULL) ||
        (s = svmm_create(&cfg, err, sizeof(err))) == NULL ||
        svmm_add_virtio_device(s, 0, &rng.dev, err, sizeof(err)) < 0 ||
        svmm_load_linux(s, kernel, kernel_len, initrd, initrd_len, err, sizeof(err)) < 0) {
        fprintf(stderr, "virtio-backend: %s\n", err);
        return 1;
    }
    return svmm_run(s); /* until the guest powers off; a guest reset restarts it in place */
}
