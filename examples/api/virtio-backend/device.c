/* SPDX-License-Identifier: BSD-2-Clause */
/* The counter virtio-rng of device.h: one request queue, no configuration space. */
#include <stddef.h>
#include <string.h>
#include "device.h"

#define REQUESTQ 0 /* virtio-rng's only queue (VirtIO 1.2, 5.4.2) */

static struct counter_rng *rng_of(struct virtio_dev *d)
{
    return (struct counter_rng *)((char *)d - offsetof(struct counter_rng, dev));
}

/* Write the counter's next bytes into every device-writable buffer of the chain; returns bytes written. */
static uint32_t fill(struct counter_rng *r)
{
    uint32_t written = 0;

    for (unsigned i = r->chain.n_out; i < (unsigned)r->chain.n_out + r->chain.n_in; i++) {
        struct virtq_iov *b = &r->chain.iov[i];
        for (uint32_t j = 0; j < b->len; j++)
            b->host[j] = r->next++; /* uint8_t: wraps from 255 to 0 */
        written += b->len;
    }
    return written;
}

/* The driver posted buffers: fill each at once, then interrupt it if it wants to hear. */
static void queue_notify(struct virtio_dev *d, unsigned q)
{
    struct counter_rng *r = rng_of(d);
    struct virtq *vq = &d->queues[REQUESTQ];
    uint16_t used_before = vq->used_idx;
    int got;

    if (q != REQUESTQ)
        return;
    for (;;) {
        got = virtq_pop(vq, &r->chain); /* validates the chain: guest memory is never trusted */
        if (got == 1) {
            uint32_t n = fill(r);
            r->bytes += n;
            virtq_push(vq, r->chain.head, n);
        } else if (got < 0 || !virtq_arm_notify(vq)) {
            break; /* a broken queue, or none left after asking to be notified of the next */
        }
    }
    if (got < 0)
        virtio_dev_queue_error(d, REQUESTQ, got);
    virtio_dev_signal_used(d, REQUESTQ, used_before);
}

/* Never called: the configuration space is 0 bytes, so the transport refuses every access first. */
static uint32_t config_read(struct virtio_dev *d, uint32_t off, unsigned size)
{
    (void)d, (void)off, (void)size;
    return 0;
}

static const struct virtio_dev_ops counter_rng_ops = {
    .queue_notify = queue_notify,
    .config_read = config_read,
    .config_write = NULL, /* no configuration to write */
    .reset = NULL,        /* requests complete at once: nothing is ever in flight to drop */
};

void counter_rng_init(struct counter_rng *r)
{
    memset(r, 0, sizeof(*r));
    r->dev.name = "counter-rng";
    r->dev.device_id = VIRTIO_ID_RNG;
    r->dev.device_features = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_EVENT_IDX;
    r->dev.num_queues = 1;
    r->dev.ops = &counter_rng_ops;
}
