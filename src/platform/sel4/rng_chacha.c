/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-rng backend on seL4: ChaCha20 keyed with this VMM image's own seed (see sel4_devices.h).
 * make sel4-system writes the seed, 32 bytes from the build machine's random pool, into
 * <vm>_rng_seed.h for each VM image that has a virtio-rng, and compiles this file with it
 * (-include); outside that there is no seed, and no device: the build stops here.
 */
#include <stdio.h>
#include <svmm/log.h>
#include <svmm/virtio_rng.h>
#include "sel4_devices.h"

#ifndef SVMM_RNG_SEED
#error "virtio-rng on seL4 needs this VM image's own seed (SVMM_RNG_SEED): build it with make sel4-system, which generates one per VM image from the build machine's random pool (src/platform/sel4/sel4.mk)"
#endif

static const uint8_t seed[32] = SVMM_RNG_SEED;

int sel4_attach_rng(struct svmm_vm *vm, unsigned slot, char *err, size_t errlen)
{
    static struct virtio_rng dev;
    static struct chacha20_rng rng;
    static bool attached;
    struct virtio_rng_backend be = { .fill = chacha20_rng_fill, .ctx = &rng };

    if (attached) {
        snprintf(err, errlen, "virtio slot %u: one virtio-rng per VM", slot);
        return -1;
    }
    attached = true;
    chacha20_rng_init(&rng, seed);
    virtio_rng_init(&dev, &be);
    svmm_info("virtio-rng: ChaCha20 stream from this image's build-time seed (the same at every boot of this image)");
    return svmm_vm_attach_virtio(vm, slot, &dev.dev, err, errlen);
}
