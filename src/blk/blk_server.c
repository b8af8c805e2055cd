/* SPDX-License-Identifier: BSD-2-Clause */
/* The native block server: partitions of one store, served over blkq links (blk_server.h). */
#include <stdio.h>
#include <string.h>
#include <svmm/blk_server.h>

_Static_assert(BLK_SERVER_MAX_CLIENTS <= 32, "the notify mask is 32 bits");

void blk_server_init(struct blk_server *s, const struct blk_store_ops *ops, void *ctx, uint64_t store_bytes)
{
    memset(s, 0, sizeof(*s));
    s->ops = ops;
    s->ctx = ctx;
    s->store_bytes = store_bytes;
}

int blk_server_find(const struct blk_server *s, const char *name)
{
    for (unsigned i = 0; i < s->nclients; i++)
        if (!strcmp(s->clients[i].name, name))
            return (int)i;
    return -1;
}

/* Do [a, a + alen) and [b, b + blen) share a byte? (Both lie inside the store: no overflow.) */
static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

int blk_server_add_client(struct blk_server *s, const char *name, uint64_t base, uint64_t size, bool read_only,
                          char *err, size_t errlen)
{
    size_t n = strlen(name);
    struct blk_server_client *c;

    if (s->nclients >= BLK_SERVER_MAX_CLIENTS) {
        snprintf(err, errlen, "at most %u clients", BLK_SERVER_MAX_CLIENTS);
        return -1;
    }
    if (n == 0 || n > BLK_SERVER_NAME_MAX || blk_server_find(s, name) >= 0) {
        snprintf(err, errlen, "client name '%s' must be 1 to %u characters and unique", name, BLK_SERVER_NAME_MAX);
        return -1;
    }
    if (base % BLKQ_SECTOR != 0 || size % BLKQ_SECTOR != 0 || size == 0) {
        snprintf(err, errlen, "client '%s': offset and size must be multiples of 512 (and size > 0)", name);
        return -1;
    }
    if (base > s->store_bytes || size > s->store_bytes - base) {
        snprintf(err, errlen, "client '%s': bytes %llu..%llu lie outside the disk (%llu bytes)", name,
                 (unsigned long long)base, (unsigned long long)base + size, (unsigned long long)s->store_bytes);
        return -1;
    }
    for (unsigned i = 0; i < s->nclients; i++) {
        const struct blk_server_client *o = &s->clients[i];
        if ((!read_only || !o->read_only) && overlap(base, size, o->base, o->size)) {
            snprintf(err, errlen, "client '%s' overlaps client '%s' and one of them is writable", name, o->name);
            return -1;
        }
    }
    /* nclients < BLK_SERVER_MAX_CLIENTS (checked first): inside clients[]. */
    c = &s->clients[s->nclients];
    memset(c, 0, sizeof(*c));
    memcpy(c->name, name, n); /* n <= 23: the array's NUL stays */
    c->base = base;
    c->size = size;
    c->read_only = read_only;
    return (int)s->nclients++;
}

int blk_server_attach(struct blk_server *s, unsigned i, void *queues, void *data, uint32_t depth,
                      uint32_t slot_size)
{
    struct blk_server_client *c;

    if (i >= s->nclients || s->clients[i].attached)
        return -1;
    c = &s->clients[i];
    if (blkq_server_init(&c->q, queues, data, depth, slot_size, c->size / BLKQ_SECTOR, c->read_only, c->name) < 0)
        return -1;
    c->attached = true;
    return 0;
}

void blk_server_detach(struct blk_server *s, unsigned i)
{
    if (i < s->nclients)
        s->clients[i].attached = false;
}

/* Carry out one validated request on the store; the answer's status. */
static enum blkq_status serve(struct blk_server *s, struct blk_server_client *c, const struct blkq_io *io)
{
    /* io->offset + io->len <= c->size (blkq_server validated it) and base + size <= store_bytes. */
    uint64_t at = c->base + io->offset;
    int r = 0;

    switch (io->code) {
    case BLKQ_REQ_READ:
        r = s->ops->read(s->ctx, at, io->data, (size_t)io->len);
        c->stats.reads++, c->stats.read_bytes += io->len;
        break;
    case BLKQ_REQ_WRITE:
        r = s->ops->write(s->ctx, at, io->data, (size_t)io->len);
        c->stats.writes++, c->stats.write_bytes += io->len;
        break;
    case BLKQ_REQ_FLUSH:
    case BLKQ_REQ_BARRIER:
        /* Requests are served in order, one at a time: a barrier needs nothing beyond the flush. */
        r = s->ops->flush(s->ctx);
        c->stats.flushes++;
        break;
    case BLKQ_REQ_DISCARD:
        r = s->ops->discard(s->ctx, at, io->len);
        c->stats.discards++;
        break;
    default:
        r = -1;
        break;
    }
    if (r < 0) {
        c->stats.io_errors++;
        return BLKQ_RESP_ERR_IO;
    }
    return BLKQ_RESP_OK;
}

/* Serve up to BLK_SERVER_BURST requests of client `c`; true if it may have more waiting. */
static bool serve_client(struct blk_server *s, struct blk_server_client *c)
{
    struct blkq_io io;

    for (unsigned n = 0; n < BLK_SERVER_BURST; n++) {
        enum blkq_status st;

        if (!blkq_server_next(&c->q, &io))
            return !c->q.broken && blkq_ask_notify(&c->q.r.req->hdr, c->q.req_head);
        st = serve(s, c, &io);
        blkq_server_respond(&c->q, io.id, st, st == BLKQ_RESP_OK ? (uint16_t)(io.len / BLKQ_SECTOR) : 0);
    }
    return true; /* the burst is used up: come back after the other clients */
}

bool blk_server_poll(struct blk_server *s, uint32_t *notify)
{
    bool more = false;

    *notify = 0;
    for (unsigned k = 0; k < s->nclients; k++) {
        unsigned i = (s->next + k) % s->nclients;
        struct blk_server_client *c = &s->clients[i];
        uint32_t tail_before;

        if (!c->attached)
            continue;
        tail_before = c->q.resp_tail;
        if (serve_client(s, c))
            more = true;
        if (c->q.resp_tail != tail_before && blkq_must_notify(&c->q.r.resp->hdr))
            *notify |= 1u << i; /* i < BLK_SERVER_MAX_CLIENTS <= 32 */
    }
    if (s->nclients > 0)
        s->next = (s->next + 1) % s->nclients;
    return more;
}
