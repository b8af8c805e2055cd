/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-blk device: request validation and the asynchronous backend protocol (see virtio_blk.h). */
#include <string.h>
#include <svmm/log.h>
#include <svmm/virtio_blk.h>
#include <svmm/le.h>

#define REQQ 0
#define HDR_BYTES 16u
#define SEG_BYTES 16u /* struct virtio_blk_discard_write_zeroes */
#define SEG_F_UNMAP 1u

_Static_assert(VIRTIO_BLK_MAX_INFLIGHT <= 256, "slot index is 8 bits of the tag");

static struct virtio_blk *to_blk(struct virtio_dev *d)
{
    return (struct virtio_blk *)((char *)d - offsetof(struct virtio_blk, dev));
}

static void rate_limited_warn(struct virtio_blk *b, const char *why)
{
    b->errors++;
    if (svmm_ratelimit_ok(&b->bad_request_rl, 20))
        svmm_warn("%s: bad request: %s", b->dev.name, why);
}

/* ---- batching and completion ---- */

void virtio_blk_batch_begin(struct virtio_blk *b)
{
    if (b->batch_depth++ == 0) {
        b->batch_old_used = b->dev.queues[REQQ].used_idx;
        b->batch_pushed = false;
    }
}

void virtio_blk_batch_end(struct virtio_blk *b)
{
    if (--b->batch_depth == 0 && b->batch_pushed)
        virtio_dev_signal_used(&b->dev, REQQ, b->batch_old_used);
}

/* Return a popped chain to the driver, inside the current batch. */
static void push(struct virtio_blk *b, uint16_t head, uint32_t written)
{
    virtio_blk_batch_begin(b);
    virtq_push(&b->dev.queues[REQQ], head, written);
    b->batch_pushed = true;
    virtio_blk_batch_end(b);
}

static void process(struct virtio_blk *b);

void virtio_blk_complete(struct virtio_blk *b, uint32_t tag, uint8_t status)
{
    unsigned i = tag & 0xff;
    struct virtio_blk_slot *s = &b->slots[i % VIRTIO_BLK_MAX_INFLIGHT];

    if ((uint16_t)(tag >> 16) != b->generation || i >= VIRTIO_BLK_MAX_INFLIGHT || !s->busy) {
        b->stale_completions++;
        return;
    }
    *s->status = status;
    s->busy = false;
    b->inflight--;
    b->completions++;
    push(b, s->head, (status == VIRTIO_BLK_S_OK ? s->in_bytes : 0) + 1);
    /* A slot is free again: requests the driver queued meanwhile can go now. */
    if (b->inflight == VIRTIO_BLK_MAX_INFLIGHT - 1 || b->dev.queues[REQQ].event_idx)
        process(b);
}

/* ---- request parsing ---- */

_Static_assert(VIRTIO_BLK_MAX_IOV >= VIRTQ_MAX_SIZE, "every chain virtq_pop returns fits a slot's iov[]");
_Static_assert(VIRTIO_BLK_SEG_MAX + 2u <= VIRTQ_MAX_SIZE, "seg_max data segments, a header and a status fit");

/*
 * Describe bytes [off, off + len) of chain iovs [first, first + count) as blk_iovs in `out` (at
 * most `max`). Returns the number used, or -1 if more are needed or a piece exceeds size_max.
 */
static int slice_iov(const struct virtq_iov *iov, unsigned count, uint64_t off, uint64_t len, struct blk_iov *out,
                     unsigned max)
{
    unsigned n = 0;

    for (unsigned i = 0; i < count && len > 0; i++) {
        uint64_t piece;
        if (off >= iov[i].len) {
            off -= iov[i].len;
            continue;
        }
        piece = iov[i].len - off;
        if (piece > len)
            piece = len;
        /* n < max, the caller's array size: out[] is never overrun. */
        if (n == max || piece > VIRTIO_BLK_SIZE_MAX)
            return -1;
        out[n++] = (struct blk_iov){ iov[i].host + off, (size_t)piece };
        len -= piece;
        off = 0;
    }
    return (int)n;
}

/* Is [sector * 512, + bytes) inside the disk? Checked without overflow. */
static bool in_range(const struct virtio_blk *b, uint64_t sector, uint64_t bytes)
{
    uint64_t cap_sectors = b->be.capacity / VIRTIO_BLK_SECTOR;

    return sector <= cap_sectors && bytes / VIRTIO_BLK_SECTOR <= cap_sectors - sector;
}

/*
 * A driver that cannot flush gets a write-through device: 5.2.6.2 says a device that offered FLUSH
 * which was not negotiated SHOULD commit writes to stable storage before completing them.
 */
static bool write_through(const struct virtio_blk *b)
{
    return !virtio_has_feature(&b->dev, VIRTIO_BLK_F_FLUSH);
}

/*
 * Parse the discard / write-zeroes segment array (the readable bytes after the header) into
 * s->ranges. Returns a VIRTIO_BLK_S_* status.
 */
static uint8_t parse_ranges(struct virtio_blk *b, struct virtio_blk_slot *s, bool write_zeroes)
{
    const struct virtq_chain *c = &b->chain;
    uint32_t bytes = c->out_len - HDR_BYTES;
    unsigned n = bytes / SEG_BYTES;

    if (bytes == 0 || bytes % SEG_BYTES != 0 || n > VIRTIO_BLK_MAX_DISCARD_SEG || c->in_len != 1) {
        rate_limited_warn(b, "discard/write-zeroes segment array empty, misaligned or too long");
        return VIRTIO_BLK_S_IOERR;
    }
    for (unsigned i = 0; i < n; i++) {
        uint8_t seg[SEG_BYTES];
        uint64_t sector;
        uint32_t num, flags;

        virtq_chain_read(c, HDR_BYTES + i * SEG_BYTES, seg, SEG_BYTES);
        sector = le64(seg);
        num = le32(seg + 8);
        flags = le32(seg + 12);
        /* Unknown flags, and unmap on a discard, are UNSUPP (5.2.6.2). */
        if ((flags & ~SEG_F_UNMAP) || (!write_zeroes && (flags & SEG_F_UNMAP)))
            return VIRTIO_BLK_S_UNSUPP;
        if (num > VIRTIO_BLK_MAX_DISCARD_SECTORS || !in_range(b, sector, (uint64_t)num * VIRTIO_BLK_SECTOR)) {
            rate_limited_warn(b, "discard/write-zeroes segment out of range");
            return VIRTIO_BLK_S_IOERR;
        }
        /* i < n <= VIRTIO_BLK_MAX_DISCARD_SEG (checked above): within ranges[]. */
        s->ranges[i] = (struct blk_range){ sector * VIRTIO_BLK_SECTOR, (uint64_t)num * VIRTIO_BLK_SECTOR,
                                           write_zeroes && (flags & SEG_F_UNMAP) && b->be.zeroes_may_unmap };
    }
    s->req.ranges = s->ranges;
    s->req.nranges = n;
    return VIRTIO_BLK_S_OK;
}

/* READ / WRITE: data after the header (write) or before the status byte (read). */
static uint8_t parse_rw(struct virtio_blk *b, struct virtio_blk_slot *s, bool write, uint64_t sector)
{
    const struct virtq_chain *c = &b->chain;
    uint64_t len = write ? c->out_len - HDR_BYTES : c->in_len - 1u;
    int n;

    if (write ? c->in_len != 1 : c->out_len != HDR_BYTES) {
        rate_limited_warn(b, "data buffers in the wrong direction for the request type");
        return VIRTIO_BLK_S_IOERR;
    }
    if (len % VIRTIO_BLK_SECTOR != 0) {
        rate_limited_warn(b, "data length not a multiple of 512");
        return VIRTIO_BLK_S_IOERR;
    }
    if (!in_range(b, sector, len)) {
        rate_limited_warn(b, "sector range beyond the disk");
        return VIRTIO_BLK_S_IOERR;
    }
    /* n_out + n_in <= VIRTQ_MAX_SIZE == VIRTIO_BLK_MAX_IOV: only size_max can refuse a chain here. */
    n = write ? slice_iov(c->iov, c->n_out, HDR_BYTES, len, s->iov, VIRTIO_BLK_MAX_IOV)
              : slice_iov(c->iov + c->n_out, c->n_in, 0, len, s->iov, VIRTIO_BLK_MAX_IOV);
    if (n < 0) {
        rate_limited_warn(b, "a data segment above size_max");
        return VIRTIO_BLK_S_IOERR;
    }
    s->req.offset = sector * VIRTIO_BLK_SECTOR;
    s->req.len = len;
    s->req.iov = s->iov;
    s->req.niov = (unsigned)n;
    s->in_bytes = write ? 0 : (uint32_t)len;
    return VIRTIO_BLK_S_OK;
}

/* GET_ID: the serial goes into the device-writable bytes before the status, up to 20 of them. */
static uint8_t get_id(struct virtio_blk *b, struct virtio_blk_slot *s)
{
    const struct virtq_chain *c = &b->chain;
    uint32_t n = c->in_len - 1u;

    if (c->out_len != HDR_BYTES) {
        rate_limited_warn(b, "get-id with readable data");
        return VIRTIO_BLK_S_IOERR;
    }
    if (n > VIRTIO_BLK_ID_BYTES)
        n = VIRTIO_BLK_ID_BYTES;
    s->in_bytes = virtq_chain_write(c, 0, b->be.id, n);
    return VIRTIO_BLK_S_OK;
}

/*
 * Validate the chain in b->chain into slot `s`. Returns VIRTIO_BLK_S_OK when the request must go
 * to the backend (or, for GET_ID, is already done: *done set), else the status to report.
 */
static uint8_t parse(struct virtio_blk *b, struct virtio_blk_slot *s, bool *done)
{
    const struct virtq_chain *c = &b->chain;
    uint8_t hdr[HDR_BYTES];
    uint32_t type;
    uint64_t sector;
    bool ro = b->be.read_only;

    *done = false;
    if (virtq_chain_read(c, 0, hdr, HDR_BYTES) != HDR_BYTES) {
        rate_limited_warn(b, "header shorter than 16 readable bytes");
        return VIRTIO_BLK_S_IOERR;
    }
    type = le32(hdr);
    sector = le64(hdr + 8);
    memset(&s->req, 0, sizeof(s->req));
    switch (type) {
    case VIRTIO_BLK_T_IN:
        s->req.op = BLK_OP_READ;
        return parse_rw(b, s, false, sector);
    case VIRTIO_BLK_T_OUT:
        if (ro)
            return VIRTIO_BLK_S_IOERR;
        s->req.op = BLK_OP_WRITE;
        s->req.write_through = write_through(b);
        return parse_rw(b, s, true, sector);
    case VIRTIO_BLK_T_FLUSH:
        if (!virtio_has_feature(&b->dev, VIRTIO_BLK_F_FLUSH))
            return VIRTIO_BLK_S_UNSUPP; /* 5.2.6.2: a type the driver did not negotiate */
        if (c->out_len != HDR_BYTES || c->in_len != 1) {
            rate_limited_warn(b, "flush with data");
            return VIRTIO_BLK_S_IOERR;
        }
        s->req.op = BLK_OP_FLUSH;
        return VIRTIO_BLK_S_OK;
    case VIRTIO_BLK_T_GET_ID:
        *done = true;
        return get_id(b, s);
    case VIRTIO_BLK_T_DISCARD:
        if (!virtio_has_feature(&b->dev, VIRTIO_BLK_F_DISCARD))
            return VIRTIO_BLK_S_UNSUPP;
        if (ro)
            return VIRTIO_BLK_S_IOERR;
        s->req.op = BLK_OP_DISCARD;
        return parse_ranges(b, s, false);
    case VIRTIO_BLK_T_WRITE_ZEROES:
        if (!virtio_has_feature(&b->dev, VIRTIO_BLK_F_WRITE_ZEROES))
            return VIRTIO_BLK_S_UNSUPP;
        if (ro)
            return VIRTIO_BLK_S_IOERR;
        s->req.op = BLK_OP_WRITE_ZEROES;
        s->req.write_through = write_through(b);
        return parse_ranges(b, s, true);
    default:
        return VIRTIO_BLK_S_UNSUPP;
    }
}

static struct virtio_blk_slot *free_slot(struct virtio_blk *b, unsigned *index)
{
    for (unsigned i = 0; i < VIRTIO_BLK_MAX_INFLIGHT; i++) {
        if (!b->slots[i].busy) {
            *index = i;
            return &b->slots[i];
        }
    }
    return NULL;
}

/* Handle the chain just popped into b->chain. Returns false when the queue is now broken. */
static bool handle_chain(struct virtio_blk *b)
{
    struct virtq_chain *c = &b->chain;
    const struct virtq_iov *last;
    struct virtio_blk_slot *s;
    unsigned idx;
    uint8_t status;
    bool done;

    b->requests++;
    if (c->n_in == 0) {
        /* No status byte: nothing can be reported, the driver is broken (5.2.6.1). */
        rate_limited_warn(b, "no device-writable status byte");
        virtio_dev_queue_error(&b->dev, REQQ, VIRTQ_E_ORDER);
        return false;
    }
    s = free_slot(b, &idx); /* process() only pops with a slot free */
    last = &c->iov[c->n_out + c->n_in - 1];
    s->head = c->head;
    s->status = last->host + last->len - 1;
    s->in_bytes = 0;
    status = parse(b, s, &done);
    if (status != VIRTIO_BLK_S_OK || done) {
        *s->status = status;
        push(b, c->head, (status == VIRTIO_BLK_S_OK ? s->in_bytes : 0) + 1);
        return true;
    }
    s->busy = true;
    b->inflight++;
    s->req.tag = (uint32_t)b->generation << 16 | idx;
    if (s->req.op == BLK_OP_READ || s->req.op == BLK_OP_WRITE ? s->req.len == 0 : false) {
        virtio_blk_complete(b, s->req.tag, VIRTIO_BLK_S_OK); /* nothing to transfer */
        return true;
    }
    b->be.ops->submit(b->be.ctx, &s->req);
    return true;
}

/* Pop and dispatch requests while slots are free. Re-entrant calls (sync completions) just rerun. */
static void process(struct virtio_blk *b)
{
    struct virtq *q = &b->dev.queues[REQQ];
    int r = 0;

    if (b->processing) {
        b->rerun = true;
        return;
    }
    if (!q->ready || q->error != VIRTQ_OK)
        return;
    b->processing = true;
    virtio_blk_batch_begin(b);
    do {
        b->rerun = false;
        while (b->inflight < VIRTIO_BLK_MAX_INFLIGHT && (r = virtq_pop(q, &b->chain)) == 1)
            if (!handle_chain(b))
                goto out;
        if (r < 0) {
            virtio_dev_queue_error(&b->dev, REQQ, r);
            goto out;
        }
        /* With every slot busy, the next completion resumes; otherwise ask for a notification. */
    } while (b->rerun || (b->inflight < VIRTIO_BLK_MAX_INFLIGHT && (!q->event_idx || b->inflight == 0) &&
                          virtq_arm_notify(q)));
out:
    virtio_blk_batch_end(b);
    b->processing = false;
}

static void blk_queue_notify(struct virtio_dev *d, unsigned q)
{
    if (q == REQQ)
        process(to_blk(d));
}

static uint32_t blk_config_read(struct virtio_dev *d, uint32_t off, unsigned size)
{
    struct virtio_blk *b = to_blk(d);
    uint8_t cfg[VIRTIO_BLK_CONFIG_SIZE] = { 0 };
    uint64_t sectors = b->be.capacity / VIRTIO_BLK_SECTOR;
    uint32_t v = 0;

    le_put(cfg + 0, (uint32_t)sectors, 4); /* capacity */
    le_put(cfg + 4, (uint32_t)(sectors >> 32), 4);
    le_put(cfg + 8, VIRTIO_BLK_SIZE_MAX, 4);
    le_put(cfg + 12, VIRTIO_BLK_SEG_MAX, 4);
    le_put(cfg + 20, VIRTIO_BLK_SECTOR, 4); /* blk_size */
    if (b->be.discard) {
        le_put(cfg + 36, VIRTIO_BLK_MAX_DISCARD_SECTORS, 4);
        le_put(cfg + 40, VIRTIO_BLK_MAX_DISCARD_SEG, 4);
        le_put(cfg + 44, 1, 4); /* discard_sector_alignment */
    }
    if (b->be.write_zeroes) {
        le_put(cfg + 48, VIRTIO_BLK_MAX_DISCARD_SECTORS, 4);
        le_put(cfg + 52, VIRTIO_BLK_MAX_DISCARD_SEG, 4);
        cfg[56] = b->be.zeroes_may_unmap;
    }
    memcpy(&v, cfg + off, size); /* the transport checked off + size <= config_size */
    return v;
}

static void blk_reset(struct virtio_dev *d)
{
    struct virtio_blk *b = to_blk(d);

    if (b->inflight > 0 && b->be.ops->cancel)
        b->be.ops->cancel(b->be.ctx);
    for (unsigned i = 0; i < VIRTIO_BLK_MAX_INFLIGHT; i++)
        b->slots[i].busy = false;
    b->inflight = 0;
    b->generation++;
    b->batch_depth = 0;
    b->processing = b->rerun = false;
}

static const struct virtio_dev_ops blk_ops = {
    .queue_notify = blk_queue_notify,
    .config_read = blk_config_read,
    .config_write = NULL, /* writeback toggling (CONFIG_WCE) is not offered */
    .reset = blk_reset,
};

void virtio_blk_init(struct virtio_blk *b, const struct virtio_blk_backend *backend)
{
    memset(b, 0, sizeof(*b));
    b->be = *backend;
    b->be.capacity -= b->be.capacity % VIRTIO_BLK_SECTOR;
    if (b->be.read_only)
        b->be.discard = b->be.write_zeroes = false; /* nothing that writes on a read-only disk */
    b->be.zeroes_may_unmap = b->be.zeroes_may_unmap && b->be.write_zeroes;
    b->dev.name = "virtio-blk";
    b->dev.device_id = VIRTIO_ID_BLOCK;
    b->dev.device_features = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_INDIRECT_DESC |
                             1ull << VIRTIO_F_EVENT_IDX | 1ull << VIRTIO_BLK_F_SIZE_MAX |
                             1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_BLK_SIZE |
                             1ull << VIRTIO_BLK_F_FLUSH;
    if (b->be.read_only)
        b->dev.device_features |= 1ull << VIRTIO_BLK_F_RO;
    if (b->be.discard)
        b->dev.device_features |= 1ull << VIRTIO_BLK_F_DISCARD;
    if (b->be.write_zeroes)
        b->dev.device_features |= 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
    b->dev.num_queues = 1;
    b->dev.config_size = VIRTIO_BLK_CONFIG_SIZE;
    b->dev.ops = &blk_ops;
}

void virtio_blk_offer_event_idx(struct virtio_blk *b, bool offer)
{
    if (offer)
        b->dev.device_features |= 1ull << VIRTIO_F_EVENT_IDX;
    else
        b->dev.device_features &= ~(1ull << VIRTIO_F_EVENT_IDX);
}
