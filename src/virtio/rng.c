/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include <svmm/virtio_rng.h>

#define REQQ 0

static struct virtio_rng *to_rng(struct virtio_dev *d)
{
    return (struct virtio_rng *)((char *)d - offsetof(struct virtio_rng, dev));
}

/* Fill the chain's device-writable buffers (up to VIRTIO_RNG_MAX_FILL bytes); returns bytes written. */
static uint32_t fill_chain(struct virtio_rng *r)
{
    const struct virtq_chain *c = &r->chain;
    uint32_t done = 0;

    for (uint16_t i = c->n_out; i < c->n_out + c->n_in && done < VIRTIO_RNG_MAX_FILL; i++) {
        uint32_t want = c->iov[i].len, got;
        if (want > VIRTIO_RNG_MAX_FILL - done)
            want = VIRTIO_RNG_MAX_FILL - done;
        got = (uint32_t)r->backend.fill(r->backend.ctx, c->iov[i].host, want);
        done += got;
        if (got < want)
            break; /* the source ran dry: hand over what we have */
    }
    return done;
}

static void rng_queue_notify(struct virtio_dev *d, unsigned qi)
{
    struct virtio_rng *r = to_rng(d);
    struct virtq *q = &d->queues[REQQ];
    uint16_t old_used = q->used_idx;
    int ret;

    if (qi != REQQ)
        return;
    do {
        while ((ret = virtq_pop(q, &r->chain)) == 1) {
            /* Readable buffers have no meaning here: ignored, only writable ones are filled. */
            uint32_t n = fill_chain(r);
            r->bytes += n;
            virtq_push(q, r->chain.head, n);
        }
    } while (ret == 0 && virtq_arm_notify(q));
    if (ret < 0)
        virtio_dev_queue_error(d, REQQ, ret);
    virtio_dev_signal_used(d, REQQ, old_used);
}

static uint32_t rng_config_read(struct virtio_dev *d, uint32_t off, unsigned size)
{
    (void)d; (void)off; (void)size;
    return 0; /* no config space; the transport never calls this with config_size 0 */
}

static const struct virtio_dev_ops rng_ops = {
    .queue_notify = rng_queue_notify,
    .config_read = rng_config_read,
    .config_write = NULL,
    .reset = NULL, /* requests are filled synchronously: nothing is ever in flight */
};

void virtio_rng_init(struct virtio_rng *r, const struct virtio_rng_backend *backend)
{
    memset(r, 0, sizeof(*r));
    r->backend = *backend;
    r->dev.name = "virtio-rng";
    r->dev.device_id = VIRTIO_ID_RNG;
    r->dev.device_features = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_INDIRECT_DESC | 1ull << VIRTIO_F_EVENT_IDX;
    r->dev.num_queues = 1;
    r->dev.config_size = 0;
    r->dev.ops = &rng_ops;
}

/* ---- ChaCha20 (RFC 8439, section 2.3) ---- */

static uint32_t rotl(uint32_t v, unsigned n) { return v << n | v >> (32 - n); }

#define QR(a, b, c, d)                                       \
    do {                                                     \
        a += b; d ^= a; d = rotl(d, 16);                     \
        c += d; b ^= c; b = rotl(b, 12);                     \
        a += b; d ^= a; d = rotl(d, 8);                      \
        c += d; b ^= c; b = rotl(b, 7);                      \
    } while (0)

void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t out[64])
{
    uint32_t s[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 }, x[16];

    memcpy(s + 4, key, 32);
    s[12] = counter;
    memcpy(s + 13, nonce, 12);
    memcpy(x, s, sizeof(x));
    for (int i = 0; i < 10; i++) {
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++) {
        uint32_t v = x[i] + s[i];
        out[4 * i] = (uint8_t)v;
        out[4 * i + 1] = (uint8_t)(v >> 8);
        out[4 * i + 2] = (uint8_t)(v >> 16);
        out[4 * i + 3] = (uint8_t)(v >> 24);
    }
}

void chacha20_rng_init(struct chacha20_rng *c, const uint8_t seed[32])
{
    memset(c, 0, sizeof(*c));
    for (int i = 0; i < 8; i++)
        c->key[i] = (uint32_t)seed[4 * i] | (uint32_t)seed[4 * i + 1] << 8 | (uint32_t)seed[4 * i + 2] << 16 |
                    (uint32_t)seed[4 * i + 3] << 24;
    c->used = sizeof(c->block);
}

size_t chacha20_rng_fill(void *ctx, uint8_t *buf, size_t len)
{
    struct chacha20_rng *c = ctx;
    size_t done = 0;

    while (done < len) {
        size_t n;
        if (c->used == sizeof(c->block)) {
            /* 64-bit block counter: the high half goes in the first nonce word, never wraps in practice. */
            const uint32_t nonce[3] = { (uint32_t)(c->counter >> 32), 0, 0 };
            chacha20_block(c->key, (uint32_t)c->counter, nonce, c->block);
            c->counter++;
            c->used = 0;
        }
        n = sizeof(c->block) - c->used;
        if (n > len - done)
            n = len - done;
        memcpy(buf + done, c->block + c->used, n);
        c->used += (unsigned)n;
        done += n;
    }
    /* Forward secrecy within the stream: what was handed out cannot be read back from c->block. */
    memset(c->block, 0, c->used);
    return done;
}
