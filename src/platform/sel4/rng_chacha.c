/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-rng backend on seL4: ChaCha20 keyed with a build-time seed (deterministic; see sel4_devices.h). */
#include <svmm/log.h>
#include <svmm/virtio_rng.h>
#include "sel4_devices.h"

#ifndef SVMM_RNG_SEED_HEX
#define SVMM_RNG_SEED_HEX ""
#endif

/* A fixed, public fallback: the guest gets a well-mixed but predictable stream. */
static const char default_seed[] = "73766d6d2d64656661756c742d7365656420286e6f742073656372657429210a";

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* 64 hex digits -> 32 bytes; false if `hex` is anything else. */
static bool parse_seed(const char *hex, uint8_t seed[32])
{
    for (int i = 0; i < 32; i++) {
        int hi = hexval(hex[2 * i]), lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        seed[i] = (uint8_t)(hi << 4 | lo);
    }
    return hex[64] == '\0';
}

int sel4_attach_rng(struct svmm_vm *vm, unsigned slot, char *err, size_t errlen)
{
    static struct virtio_rng dev;
    static struct chacha20_rng rng;
    uint8_t seed[32];
    struct virtio_rng_backend be = { .fill = chacha20_rng_fill, .ctx = &rng };

    if (!parse_seed(SVMM_RNG_SEED_HEX, seed)) {
        if (SVMM_RNG_SEED_HEX[0] != '\0')
            svmm_warn("virtio-rng: SVMM_RNG_SEED_HEX is not 64 hex digits; using the public default seed");
        else
            svmm_warn("virtio-rng: no seed configured (SEL4_RNG_SEED): using the public default seed, predictable");
        parse_seed(default_seed, seed);
    }
    chacha20_rng_init(&rng, seed);
    virtio_rng_init(&dev, &be);
    svmm_info("virtio-rng: ChaCha20 stream from the build-time seed (deterministic across boots)");
    return svmm_vm_attach_virtio(vm, slot, &dev.dev, err, errlen);
}
