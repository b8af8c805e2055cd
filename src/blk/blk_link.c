/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-blk backend over a blkq link to a block server (blk_link.h). */
#include <string.h>
#include <svmm/blk_link.h>

/* Largest discard part: the 16-bit count, kept a multiple of 4 KiB. */
#define DISCARD_PART_BYTES ((uint64_t)(BLKQ_MAX_COUNT & ~7u) * BLKQ_SECTOR)

/* Copy `len` bytes at byte `off` of the request's buffers into `dst` (WRITE data to the server). */
static void copy_from_iov(const struct blk_request *r, uint64_t off, uint8_t *dst, uint64_t len)
{
    for (unsigned i = 0; i < r->niov && len > 0; i++) {
        uint64_t n;
        if (off >= r->iov[i].len) {
            off -= r->iov[i].len;
            continue;
        }
        n = r->iov[i].len - off;
        if (n > len)
            n = len;
        memcpy(dst, (const uint8_t *)r->iov[i].base + off, (size_t)n);
        dst += n;
        len -= n;
        off = 0;
    }
}

/* Copy `len` bytes from `src` to byte `off` of the request's buffers (READ data for the guest). */
static void copy_to_iov(const struct blk_request *r, uint64_t off, const uint8_t *src, uint64_t len)
{
    for (unsigned i = 0; i < r->niov && len > 0; i++) {
        uint64_t n;
        if (off >= r->iov[i].len) {
            off -= r->iov[i].len;
            continue;
        }
        n = r->iov[i].len - off;
        if (n > len)
            n = len;
        memcpy((uint8_t *)r->iov[i].base + off, src, (size_t)n);
        src += n;
        len -= n;
        off = 0;
    }
}

/*
 * Put greq `g` on the pending FIFO. Each index is on it at most once (`queued`, which a finished
 * request leaves set for its successor at the same index), so it never holds more than
 * VIRTIO_BLK_MAX_INFLIGHT entries: the bound below never drops anything.
 */
static void pend_push(struct blk_link *l, unsigned g)
{
    if (l->greqs[g].queued || l->pend_count >= VIRTIO_BLK_MAX_INFLIGHT)
        return;
    l->greqs[g].queued = true;
    l->pending[(l->pend_head + l->pend_count++) % VIRTIO_BLK_MAX_INFLIGHT] = (uint8_t)g;
}

static void pend_pop(struct blk_link *l)
{
    l->greqs[l->pending[l->pend_head]].queued = false;
    l->pend_head = (l->pend_head + 1) % VIRTIO_BLK_MAX_INFLIGHT;
    l->pend_count--;
}

static void finish(struct blk_link *l, unsigned gi)
{
    struct blk_link_greq *g = &l->greqs[gi];

    g->active = false;
    g->stage = BLK_LINK_SENT;
    virtio_blk_complete(&l->blk, g->tag, g->status);
}

/* The next data part of a READ/WRITE: at most a slot, write data copied in. Sets *off and *len. */
static enum blkq_code next_rw(struct blk_link *l, struct blk_link_greq *g, uint32_t slot, uint64_t *off,
                              uint64_t *len)
{
    const struct blk_request *r = g->req;

    *len = r->len - g->issued;
    if (*len > l->q.slot_size)
        *len = l->q.slot_size;
    *off = r->offset + g->issued;
    /* len <= slot_size: the copy stays inside the slot. */
    if (r->op == BLK_OP_WRITE)
        copy_from_iov(r, g->issued, blkq_client_slot_data(&l->q, slot), *len);
    l->parts[slot].off = g->issued;
    g->issued += *len;
    return r->op == BLK_OP_READ ? BLKQ_REQ_READ : BLKQ_REQ_WRITE;
}

/* The next piece of a DISCARD, skipping empty ranges; *len 0 when none is left. */
static void next_discard(struct blk_link_greq *g, uint64_t *off, uint64_t *len)
{
    const struct blk_request *r = g->req;

    *len = 0;
    while (g->range < r->nranges && *len == 0) {
        const struct blk_range *rg = &r->ranges[g->range];
        *len = rg->len - g->issued;
        if (*len > DISCARD_PART_BYTES)
            *len = DISCARD_PART_BYTES;
        *off = rg->offset + g->issued;
        g->issued += *len;
        if (g->issued >= rg->len)
            g->range++, g->issued = 0;
    }
}

/* Is every data part of the request published? */
static bool data_done(const struct blk_link_greq *g)
{
    const struct blk_request *r = g->req;

    return r->op == BLK_OP_DISCARD ? g->range >= r->nranges : g->issued >= r->len;
}

/* Publish one part of greq `gi` in free slot `slot`; false when it has nothing to publish now. */
static bool publish_part(struct blk_link *l, unsigned gi, uint32_t slot)
{
    struct blk_link_greq *g = &l->greqs[gi];
    enum blkq_code code;
    uint64_t off = 0, len = 0;

    if (g->status != VIRTIO_BLK_S_OK)
        g->stage = BLK_LINK_SENT; /* a part failed: publish nothing more */
    switch (g->stage) {
    case BLK_LINK_DATA:
        if (g->req->op == BLK_OP_DISCARD) {
            next_discard(g, &off, &len);
            code = BLKQ_REQ_DISCARD;
        } else {
            code = next_rw(l, g, slot, &off, &len);
        }
        if (data_done(g))
            g->stage = g->flush_after ? BLK_LINK_FLUSH_WAIT : BLK_LINK_SENT;
        if (len == 0)
            return false; /* only empty discard ranges were left */
        break;
    case BLK_LINK_FLUSH:
        code = BLKQ_REQ_FLUSH;
        g->stage = BLK_LINK_SENT;
        break;
    default:
        return false;
    }
    l->parts[slot].greq = (int16_t)gi; /* slot < depth <= BLKQ_MAX_DEPTH */
    l->parts[slot].len = (uint32_t)len;
    blkq_client_submit(&l->q, slot, code, off / BLKQ_SECTOR, (uint16_t)(len / BLKQ_SECTOR));
    g->parts++;
    l->stats.parts++;
    return true;
}

/* Publish parts of the pending requests, oldest first, while slots are free; then signal the server. */
static void pump(struct blk_link *l)
{
    int slot;

    if (l->pumping)
        return; /* a completion inside the loop below submitted a request: the loop will see it */
    l->pumping = true;
    while (l->pend_count > 0 && (slot = blkq_client_free_slot(&l->q)) >= 0) {
        unsigned gi = l->pending[l->pend_head];
        struct blk_link_greq *g = &l->greqs[gi];

        if (g->active && publish_part(l, gi, (uint32_t)slot) &&
            (g->stage == BLK_LINK_DATA || g->stage == BLK_LINK_FLUSH))
            continue;
        pend_pop(l);
        if (g->active && g->stage == BLK_LINK_SENT && g->parts == 0)
            finish(l, gi); /* nothing was left to send (empty discard ranges) */
    }
    l->pumping = false;
    if (blkq_must_notify(&l->q.r.req->hdr)) {
        l->stats.notifies++;
        l->notify(l->ctx);
    }
}

/* Called by the device, under the device lock, for each validated guest request. */
static void link_submit(void *ctx, const struct blk_request *req)
{
    struct blk_link *l = ctx;
    unsigned gi = req->tag & 0xff;
    struct blk_link_greq *g;
    bool queued;

    if (l->dead || gi >= VIRTIO_BLK_MAX_INFLIGHT || l->greqs[gi].active ||
        (req->op != BLK_OP_READ && req->op != BLK_OP_WRITE && req->op != BLK_OP_FLUSH && req->op != BLK_OP_DISCARD)) {
        /* WRITE_ZEROES is never offered; the other cases are a dead link or a device bug. */
        virtio_blk_complete(&l->blk, req->tag, l->dead ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_UNSUPP);
        return;
    }
    g = &l->greqs[gi];
    queued = g->queued; /* a finished predecessor's FIFO entry now stands for this request */
    *g = (struct blk_link_greq){ .active = true, .queued = queued, .tag = req->tag, .req = req,
                                 .status = VIRTIO_BLK_S_OK,
                                 .stage = req->op == BLK_OP_FLUSH ? BLK_LINK_FLUSH : BLK_LINK_DATA,
                                 .flush_after = req->write_through && req->op == BLK_OP_WRITE };
    pend_push(l, gi);
    pump(l);
}

/* Device reset: forget every guest request. Their parts stay with the server until it answers
 * (the data region is ours, not the guest's, so nothing can touch guest memory after this). */
static void link_cancel(void *ctx)
{
    struct blk_link *l = ctx;

    for (unsigned i = 0; i < BLKQ_MAX_DEPTH; i++)
        l->parts[i].greq = -1;
    for (unsigned i = 0; i < VIRTIO_BLK_MAX_INFLIGHT; i++)
        l->greqs[i].active = l->greqs[i].queued = false;
    l->pend_head = l->pend_count = 0;
}

static const struct virtio_blk_backend_ops link_ops = { .submit = link_submit, .cancel = link_cancel };

int blk_link_init(struct blk_link *l, void *queues, void *data, uint32_t depth, uint32_t slot_size, bool read_only,
                  void (*notify)(void *), void *ctx)
{
    struct virtio_blk_backend be = { .ops = &link_ops };

    memset(l, 0, sizeof(*l));
    if (blkq_client_init(&l->q, queues, data, depth, slot_size) < 0)
        return -1;
    for (unsigned i = 0; i < BLKQ_MAX_DEPTH; i++)
        l->parts[i].greq = -1;
    l->notify = notify;
    l->ctx = ctx;
    be.ctx = l;
    be.capacity = l->q.capacity * BLKQ_SECTOR; /* capacity <= UINT64_MAX / 512 (blkq_client_init) */
    be.read_only = read_only || l->q.read_only;
    be.discard = !be.read_only;
    /* The serial is the server's name for this client: it tells the guest nothing about the disk. */
    memcpy(be.id, l->q.serial, VIRTIO_BLK_ID_BYTES);
    virtio_blk_init(&l->blk, &be);
    return 0;
}

/* The server answered slot d->slot: account for it in its guest request. */
static void part_done(struct blk_link *l, const struct blkq_done *d)
{
    struct blk_link_part *p = &l->parts[d->slot]; /* slot < depth: validated by blkq_client_poll */
    struct blk_link_greq *g;
    int gi = p->greq;

    p->greq = -1;
    if (gi < 0 || !l->greqs[gi].active) {
        l->stats.orphans++;
        return;
    }
    g = &l->greqs[gi];
    if (d->status != BLKQ_RESP_OK) {
        l->stats.server_errors++;
        g->status = VIRTIO_BLK_S_IOERR;
    } else if (g->req->op == BLK_OP_READ) {
        /* p->len <= slot_size and p->off + p->len <= the request's length (next_rw). */
        copy_to_iov(g->req, p->off, blkq_client_slot_data(&l->q, d->slot), p->len);
    }
    if (--g->parts > 0)
        return;
    if (g->status != VIRTIO_BLK_S_OK || g->stage == BLK_LINK_SENT) {
        finish(l, (unsigned)gi); /* a FIFO entry it may have left is skipped by pump() */
    } else if (g->stage == BLK_LINK_FLUSH_WAIT) {
        g->stage = BLK_LINK_FLUSH; /* every write part is answered: the write-through flush goes now */
        pend_push(l, (unsigned)gi);
    }
}

bool blk_link_service(struct blk_link *l)
{
    struct blkq_done d;
    bool more = false;

    virtio_blk_batch_begin(&l->blk);
    for (uint32_t n = 0; n < l->q.depth && blkq_client_poll(&l->q, &d); n++)
        part_done(l, &d);
    pump(l);
    if (l->q.broken)
        blk_link_fail(l);
    virtio_blk_batch_end(&l->blk);
    if (!l->dead && blkq_ask_notify(&l->q.r.resp->hdr, l->q.resp_head))
        more = true;
    return more;
}

void blk_link_fail(struct blk_link *l)
{
    l->dead = true;
    virtio_blk_batch_begin(&l->blk);
    for (unsigned i = 0; i < VIRTIO_BLK_MAX_INFLIGHT; i++) {
        if (l->greqs[i].active) {
            l->greqs[i].status = VIRTIO_BLK_S_IOERR;
            finish(l, i);
        }
    }
    link_cancel(l);
    virtio_blk_batch_end(&l->blk);
}
