/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtio-mmio transport invariants every virtio harness checks after each operation
 * (fuzz_virtio_mmio.c and, through fuzz_vdev.h, the device harnesses).
 */
#ifndef SVMM_FUZZ_TRANSPORT_H
#define SVMM_FUZZ_TRANSPORT_H

#include <svmm/virtio.h>
#include <svmm/virtio_mmio.h>
#include "fuzz.h"

/* Whether [p, p + len) is guest memory the harness mapped (writable: RAM, not the read-only region). */
typedef bool (*fz_guest_mem_fn)(const void *p, size_t len, bool writable);

/*
 * No DRIVER_OK without FEATURES_OK; negotiated features are offered ones and include VERSION_1 (none
 * before FEATURES_OK); only the two defined ISR bits; the interrupt line (`irq_level`) follows
 * InterruptStatus; every enabled queue has a power-of-two size, its rings in guest memory (the used
 * ring writable) and no more chains in flight than entries.
 */
static void fz_check_transport(const struct virtio_mmio *t, bool irq_level, fz_guest_mem_fn guest_mem)
{
    const struct virtio_dev *d = t->dev;
    uint64_t f = d->driver_features;

    FUZZ_CHECK(!(t->status & VIRTIO_STATUS_DRIVER_OK) || (t->status & VIRTIO_STATUS_FEATURES_OK));
    if (t->status & VIRTIO_STATUS_FEATURES_OK)
        FUZZ_CHECK((f & ~d->device_features) == 0 && ((f >> VIRTIO_F_VERSION_1) & 1));
    else
        FUZZ_CHECK(f == 0);
    FUZZ_CHECK((t->isr & ~(VIRTIO_ISR_USED | VIRTIO_ISR_CONFIG)) == 0);
    FUZZ_CHECK(irq_level == (t->isr != 0));
    for (unsigned i = 0; i < d->num_queues; i++) {
        const struct virtq *q = &d->queues[i];
        if (!q->ready)
            continue;
        FUZZ_CHECK(q->num > 0 && q->num <= VIRTQ_MAX_SIZE && (q->num & (q->num - 1)) == 0);
        FUZZ_CHECK(guest_mem(q->desc, 16u * q->num, false));
        FUZZ_CHECK(guest_mem(q->avail, 6u + 2u * q->num, false));
        FUZZ_CHECK(guest_mem(q->used, 6u + 8u * q->num, true));
        FUZZ_CHECK(q->in_flight <= q->num);
    }
}

#endif
