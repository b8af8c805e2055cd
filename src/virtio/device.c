/* SPDX-License-Identifier: BSD-2-Clause */
#include <svmm/log.h>
#include <svmm/virtio.h>

void virtio_dev_signal_used(struct virtio_dev *d, unsigned q, uint16_t old_used)
{
    if (virtq_should_interrupt(&d->queues[q], old_used)) {
        d->interrupts++;
        d->transport.interrupt(d->transport.ctx, VIRTIO_ISR_USED);
    }
}

void virtio_dev_queue_error(struct virtio_dev *d, unsigned q, int err)
{
    if (svmm_ratelimit_ok(&d->queue_error_rl, 20))
        svmm_warn("%s: queue %u: %s: device needs reset", d->name, q, virtq_strerror(err));
    d->transport.needs_reset(d->transport.ctx);
}
