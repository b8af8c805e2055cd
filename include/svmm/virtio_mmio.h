/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-mmio transport, version 2 (VirtIO 1.2 section 4.2). */
#ifndef SVMM_VIRTIO_MMIO_H
#define SVMM_VIRTIO_MMIO_H

#include <svmm/log.h>
#include <svmm/memmap.h>
#include <svmm/mmio.h>
#include <svmm/virtio.h>

#define VIRTIO_MMIO_SIZE 0x200u /* bytes of one transport's register window */
/*
 * Offset of the QueueNotify register (VirtIO 1.2, 4.2.2): a platform that takes notifications
 * another way (a KVM ioeventfd on this address, matched on the queue index) needs to know it.
 */
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050u

/* Raise or lower the transport's interrupt line. */
typedef void (*virtio_mmio_irq_fn)(void *ctx, uint32_t irq, bool level);

/* One virtio-mmio transport: the device behind it and the registers' state (VirtIO 1.2, 4.2.2). */
struct virtio_mmio {
    struct virtio_dev *dev;         /* the device it serves */
    const struct svmm_memmap *mem;  /* guest memory, for the queues */
    virtio_mmio_irq_fn irq_fn;      /* drives its interrupt line */
    void *irq_ctx;                  /* passed to irq_fn */
    uint32_t irq;                   /* its interrupt (an SPI number) */
    uint32_t status;                /* Status */
    uint32_t isr;                   /* InterruptStatus */
    uint32_t config_generation;     /* ConfigGeneration */
    uint32_t device_features_sel;   /* DeviceFeaturesSel */
    uint32_t driver_features_sel;   /* DriverFeaturesSel */
    uint32_t queue_sel;             /* QueueSel */
    uint64_t driver_features; /* staged until FEATURES_OK */
    uint8_t queue_ready_reg;  /* QueueReady as last written, one bit per queue (read back as written) */
    struct svmm_ratelimit bad_access_rl; /* limits the log lines about bad accesses */
};

/* The register callbacks to register with svmm_mmio_register(). */
extern const struct svmm_mmio_ops virtio_mmio_ops;

/* Bind transport `t` to device `d`; `irq` is driven through irq_fn. The device starts in reset. */
void virtio_mmio_init(struct virtio_mmio *t, struct virtio_dev *d, const struct svmm_memmap *mem,
                      virtio_mmio_irq_fn irq_fn, void *irq_ctx, uint32_t irq);

/*
 * Reset the device as a driver's write of 0 to Status does (VirtIO 1.2, 2.1.2): the device drops or
 * completes its in-flight work (its reset op), every queue and negotiated feature is forgotten and
 * the interrupt line goes low. The VM's own reset (a restart) uses it for every transport.
 */
void virtio_mmio_reset(struct virtio_mmio *t);

/*
 * Deliver a notification for queue `q` that did not come through the registers (an ioeventfd on
 * QueueNotify): checked and counted exactly as a QueueNotify write of `q` is, so a driver that has
 * not finished setup, a device that needs reset or a queue that is not enabled see nothing. Call it
 * under the same serialisation as the register accesses.
 */
void virtio_mmio_queue_notify(struct virtio_mmio *t, uint32_t q);

/* Signal a config-space change to the driver (bumps the generation, raises a config interrupt). */
void virtio_mmio_config_changed(struct virtio_mmio *t);

#endif
