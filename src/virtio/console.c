/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include <svmm/virtio_console.h>

#define RXQ 0
#define TXQ 1
#define F_EMERG_WRITE 2

/* Config space: cols (u16), rows (u16), max_nr_ports (u32), emerg_wr (u32). */
#define CFG_EMERG_WR 8
#define CFG_SIZE 12

static struct virtio_console *to_console(struct virtio_dev *d)
{
    return (struct virtio_console *)((char *)d - offsetof(struct virtio_console, dev));
}

static void transmit(struct virtio_console *c)
{
    struct virtq *q = &c->dev.queues[TXQ];
    uint16_t old_used = q->used_idx;
    int r;

    do {
        while ((r = virtq_pop(q, &c->chain)) == 1) {
            for (uint16_t i = 0; i < c->chain.n_out; i++)
                c->backend.write(c->backend.ctx, c->chain.iov[i].host, c->chain.iov[i].len);
            virtq_push(q, c->chain.head, 0);
        }
    } while (r == 0 && virtq_arm_notify(q));
    if (r < 0)
        virtio_dev_queue_error(&c->dev, TXQ, r);
    virtio_dev_signal_used(&c->dev, TXQ, old_used);
}

static void console_queue_notify(struct virtio_dev *d, unsigned q)
{
    /* Receive buffers are consumed when input arrives; nothing to do on an RX notify. */
    if (q == TXQ)
        transmit(to_console(d));
}

static uint32_t console_config_read(struct virtio_dev *d, uint32_t off, unsigned size)
{
    /* cols = rows = 0 (no size), max_nr_ports = 1, emerg_wr reads as 0. */
    uint8_t cfg[CFG_SIZE] = { 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 };
    uint32_t v = 0;

    (void)d;
    memcpy(&v, cfg + off, size);
    return v;
}

static void console_config_write(struct virtio_dev *d, uint32_t off, unsigned size, uint32_t val)
{
    struct virtio_console *c = to_console(d);
    uint8_t ch = (uint8_t)val;

    /* Emergency write: one character, usable before the queues are set up. */
    if (off == CFG_EMERG_WR && virtio_has_feature(d, F_EMERG_WRITE))
        c->backend.write(c->backend.ctx, &ch, 1);
    (void)size;
}

static const struct virtio_dev_ops console_ops = {
    .queue_notify = console_queue_notify,
    .config_read = console_config_read,
    .config_write = console_config_write,
    .reset = NULL, /* work is synchronous: nothing is ever in flight between exits */
};

void virtio_console_init(struct virtio_console *c, const struct virtio_console_backend *backend)
{
    memset(c, 0, sizeof(*c));
    c->backend = *backend;
    c->dev.name = "virtio-console";
    c->dev.device_id = VIRTIO_ID_CONSOLE;
    c->dev.device_features = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_INDIRECT_DESC |
                             1ull << VIRTIO_F_EVENT_IDX | 1ull << F_EMERG_WRITE;
    c->dev.num_queues = 2;
    c->dev.config_size = CFG_SIZE;
    c->dev.ops = &console_ops;
}

bool virtio_console_input_ready(const struct virtio_console *c)
{
    return c->dev.queues[RXQ].ready && c->dev.queues[RXQ].error == VIRTQ_OK;
}

size_t virtio_console_input(struct virtio_console *c, const uint8_t *buf, size_t len)
{
    struct virtq *q = &c->dev.queues[RXQ];
    uint16_t old_used = q->used_idx;
    size_t done = 0;
    int r = 0;

    if (!virtio_console_input_ready(c))
        return 0;
    while (done < len && (r = virtq_pop(q, &c->chain)) == 1) {
        uint32_t chunk = len - done > c->chain.in_len ? c->chain.in_len : (uint32_t)(len - done);
        uint32_t n = virtq_chain_write(&c->chain, 0, buf + done, chunk);
        virtq_push(q, c->chain.head, n);
        done += n;
    }
    if (r < 0)
        virtio_dev_queue_error(&c->dev, RXQ, r);
    if (done < len)
        virtq_arm_notify(q);
    virtio_dev_signal_used(&c->dev, RXQ, old_used);
    return done;
}
