/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef SVMM_KVM_RNG_HOST_H
#define SVMM_KVM_RNG_HOST_H

#include <stddef.h>
#include <stdint.h>

/* virtio_rng_backend.fill over getrandom(2) (ctx unused); short only if the host pool is not ready. */
size_t rng_host_fill(void *ctx, uint8_t *buf, size_t len);

#endif
