/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-console (VirtIO 1.2 section 5.3): port 0 only, plus emergency write. */
#ifndef SVMM_VIRTIO_CONSOLE_H
#define SVMM_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <svmm/virtio.h>

/* Where guest output goes: write() must consume all `len` bytes (it may drop them if it must). */
struct virtio_console_backend {
    void (*write)(void *ctx, const uint8_t *buf, size_t len);
    void *ctx;
};

struct virtio_console {
    struct virtio_dev dev;
    struct virtio_console_backend backend;
    struct virtq_chain chain; /* scratch for the chain being processed */
};

/* Initialise the device (in reset state) with its output backend. */
void virtio_console_init(struct virtio_console *c, const struct virtio_console_backend *backend);

/* True when the guest driver is up and input can be delivered. */
bool virtio_console_input_ready(const struct virtio_console *c);

/*
 * Deliver host input to the guest: fills receive buffers the driver posted and returns how many
 * bytes were taken (less than len when the driver has no more buffers; retry later).
 */
size_t virtio_console_input(struct virtio_console *c, const uint8_t *buf, size_t len);

#endif
