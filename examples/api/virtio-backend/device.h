/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A custom virtio device written from scratch on the public virtio API (svmm/virtio.h,
 * svmm/virtqueue.h), the same source on Linux KVM and on seL4: a virtio-rng whose "random" bytes
 * are a counter, 0, 1, 2, ... 255, 0, ..., continuing across requests, so a guest can check what
 * it read. Attached with svmm_add_virtio_device() to a slot configured as VIRTIO_ID_RNG.
 */
#ifndef EXAMPLE_COUNTER_RNG_H
#define EXAMPLE_COUNTER_RNG_H

#include <stdint.h>
#include <svmm/virtio.h>

/* The device: what the transport sees first, then its own state. */
struct counter_rng {
    struct virtio_dev dev;
    struct virtq_chain chain; /* the request being filled (large: not on the stack) */
    uint8_t next;             /* the next byte handed out */
    uint64_t bytes;           /* handed out in all */
};

/* Initialise `r` in reset state, ready for svmm_add_virtio_device(s, slot, &r->dev, ...). */
void counter_rng_init(struct counter_rng *r);

#endif
