/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Little-endian loads and stores of 1..8 bytes at any alignment: the one set every virtio structure,
 * image header and test driver uses (VirtIO 1.x and the arm64 Image header are little-endian).
 */
#ifndef SVMM_LE_H
#define SVMM_LE_H

#include <stdint.h>

/* The n-byte (1..8) little-endian value at p. */
static inline uint64_t le_get(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

/* Store the low n (1..8) bytes of v at p, little-endian. */
static inline void le_put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Load a 16-, 32- or 64-bit little-endian value from p (any alignment). */
static inline uint16_t le16(const uint8_t *p) { return (uint16_t)le_get(p, 2); }
static inline uint32_t le32(const uint8_t *p) { return (uint32_t)le_get(p, 4); }
static inline uint64_t le64(const uint8_t *p) { return le_get(p, 8); }

#endif
