/* SPDX-License-Identifier: BSD-2-Clause */
/* Backends for the seL4 platform's virtio-blk (RAM disk) and virtio-rng (seeded ChaCha20). */
#ifndef SVMM_SEL4_DEVICES_H
#define SVMM_SEL4_DEVICES_H

#include <stddef.h>
#include <svmm/virtio_blk.h>
#include <svmm/virtio_rng.h>

/*
 * Initialise `dev` as a virtio-blk disk on the "ramdisk" memory region the system description maps
 * into this protection domain (its address and size patched in by Microkit: setvar_vaddr and
 * setvar_size). Requests complete synchronously, inside the guest's notify exit. Returns 0, or -1
 * with a reason in err when the system maps no RAM disk.
 */
int sel4_ramdisk_init(struct virtio_blk *dev, char *err, size_t errlen);

/*
 * Initialise `dev` as a virtio-rng device fed by ChaCha20 keyed with the build-time seed
 * (SVMM_RNG_SEED_HEX, 64 hex digits; make ... SEL4_RNG_SEED=...). The byte stream is fully
 * determined by that seed and repeats at every boot: good enough to seed the guest's own CSPRNG
 * only if the seed is secret and differs per VM and build.
 */
void sel4_rng_init(struct virtio_rng *dev);

#endif
