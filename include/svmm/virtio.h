/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A VirtIO device as the transport sees it. Devices (console, blk, ...) fill in `struct virtio_dev`
 * and implement `virtio_dev_ops`; a transport (virtio-mmio) owns feature negotiation, status and
 * queue programming, and delivers notifications and interrupts.
 */
#ifndef SVMM_VIRTIO_H
#define SVMM_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include <svmm/log.h>
#include <svmm/virtqueue.h>

#define VIRTIO_MAX_QUEUES 8 /* virtqueues a device may have */

/* Device status bits (VirtIO 1.2, 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* Interrupt status bits. */
#define VIRTIO_ISR_USED 1u
#define VIRTIO_ISR_CONFIG 2u

/* Device ids (VirtIO 1.2, 5): the DeviceID register of each device type svmm has. */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_VSOCK 19

struct virtio_dev;

/* What the transport calls in a device. */
struct virtio_dev_ops {
    /* The driver notified queue `q` (q < num_queues, queue ready). */
    void (*queue_notify)(struct virtio_dev *d, unsigned q);
    /* Read `size` bytes (1, 2 or 4) at `off` of the device config space; the transport checks bounds. */
    uint32_t (*config_read)(struct virtio_dev *d, uint32_t off, unsigned size);
    /* Write to the config space (NULL: the config space is read-only and writes are ignored). */
    void (*config_write)(struct virtio_dev *d, uint32_t off, unsigned size, uint32_t val);
    /* Device reset: drop or complete in-flight work; queues are reset by the transport afterwards. */
    void (*reset)(struct virtio_dev *d);
};

/* How a device reaches its transport (filled in by the transport). */
struct virtio_transport {
    void (*interrupt)(void *t, uint32_t isr_bits); /* raise an interrupt with these VIRTIO_ISR_* bits */
    void (*needs_reset)(void *t);                  /* set DEVICE_NEEDS_RESET and tell the driver */
    void *ctx;                                     /* passed to both */
};

/* A VirtIO device as the transport sees it (see above). */
struct virtio_dev {
    const char *name;         /* for logs */
    uint32_t device_id;       /* VIRTIO_ID_* */
    uint64_t device_features; /* offered, including transport features such as VERSION_1 */
    uint64_t driver_features; /* accepted by the driver (valid once FEATURES_OK) */
    bool driver_ok;           /* DRIVER_OK set: only now may the device use buffers (VirtIO 1.2, 3.1.2) */
    uint16_t num_queues;      /* queues the device has (<= VIRTIO_MAX_QUEUES) */
    uint32_t config_size;     /* bytes of its config space */
    struct virtq queues[VIRTIO_MAX_QUEUES]; /* its virtqueues */
    const struct virtio_dev_ops *ops;       /* the device's callbacks */
    struct virtio_transport transport;      /* how it reaches its transport */
    uint64_t notifies, interrupts; /* counters for statistics */
    struct svmm_ratelimit queue_error_rl; /* virtio_dev_queue_error's messages, per device */
};

/* Interrupt the driver for queue `q` if it asked to be (after one or more virtq_push since old_used). */
void virtio_dev_signal_used(struct virtio_dev *d, unsigned q, uint16_t old_used);

/* Report a broken queue: logs (rate-limited per device) and asks the transport for DEVICE_NEEDS_RESET. */
void virtio_dev_queue_error(struct virtio_dev *d, unsigned q, int err);

/* True when feature bit `bit` was negotiated. */
static inline bool virtio_has_feature(const struct virtio_dev *d, unsigned bit)
{
    return (d->driver_features >> bit) & 1;
}

#endif
