/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-rng / entropy device (VirtIO 1.2 section 5.4): one request queue whose device-writable
 * buffers the device fills from a backend. Also a portable deterministic backend, a ChaCha20
 * keystream generator, for platforms without an entropy source of their own (seL4).
 */
#ifndef SVMM_VIRTIO_RNG_H
#define SVMM_VIRTIO_RNG_H

#include <stddef.h>
#include <svmm/virtio.h>

#define VIRTIO_RNG_MAX_FILL 4096u /* bytes per request: a large request is answered in part */

/* Fill buf with up to len random bytes; returns how many it stored (0 when it has none now). */
struct virtio_rng_backend {
    size_t (*fill)(void *ctx, uint8_t *buf, size_t len); /* the fill function (above) */
    void *ctx;                                           /* passed to fill */
};

/* A virtio-rng device (virtio_rng_init; attach `dev` to a virtio slot). */
struct virtio_rng {
    struct virtio_dev dev;             /* the device as the transport sees it */
    struct virtio_rng_backend backend; /* where its bytes come from */
    uint64_t bytes; /* handed to the guest */
    struct virtq_chain chain; /* scratch */
};

/* Initialise the device (in reset state) with its entropy backend. */
void virtio_rng_init(struct virtio_rng *r, const struct virtio_rng_backend *backend);

/*
 * A deterministic CSPRNG: the ChaCha20 block function (RFC 8439) keyed with a 256-bit seed, nonce
 * 0, counting blocks from 0. The same seed always yields the same stream: it is only as secret
 * as the seed (e.g. a per-build value), and the sequence repeats across VM restarts.
 */
struct chacha20_rng {
    uint32_t key[8];      /* the seed, as ChaCha20's eight key words */
    uint64_t counter;     /* next block */
    uint8_t block[64];    /* the current keystream block */
    unsigned used;        /* bytes of `block` already handed out */
};

/* Key `c` with the 32-byte `seed` and start its stream at block 0. */
void chacha20_rng_init(struct chacha20_rng *c, const uint8_t seed[32]);
/* A virtio_rng_backend fill function over a struct chacha20_rng. */
size_t chacha20_rng_fill(void *chacha20_rng, uint8_t *buf, size_t len);
/* The raw block function (for tests against RFC 8439 vectors): 64 bytes of keystream. */
void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t out[64]);

#endif
