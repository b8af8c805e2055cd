/* SPDX-License-Identifier: BSD-2-Clause */
/* A driver VM's block relay: blkq clients served by an agent in the VMM's guest (blk_relay.h). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <svmm/blk_relay.h>
#include <svmm/le.h>

_Static_assert(BLK_SERVER_MAX_CLIENTS <= 32, "the notify mask is 32 bits");
_Static_assert(BLK_SERVER_MAX_CLIENTS <= 256, "a tag's client fits a byte");

/* blk_server's checks need a store; the relay's store is the agent's, so these are never called. */
static int no_read(void *ctx, uint64_t o, void *b, size_t n) { (void)ctx, (void)o, (void)b, (void)n; return -1; }
static int no_write(void *ctx, uint64_t o, const void *b, size_t n) { (void)ctx, (void)o, (void)b, (void)n; return -1; }
static int no_flush(void *ctx) { (void)ctx; return -1; }
static int no_discard(void *ctx, uint64_t o, uint64_t n) { (void)ctx, (void)o, (void)n; return -1; }
static const struct blk_store_ops agent_store = { no_read, no_write, no_flush, no_discard };

static void out_put(struct blk_relay *r, const void *src, size_t n);

void blk_relay_init(struct blk_relay *r)
{
    memset(r, 0, sizeof(*r));
    /* No real store: the made-up bases only have to add up without wrapping. */
    blk_server_init(&r->srv, &agent_store, NULL, UINT64_MAX);
}

/* Queue client i's HELLO: its number, size, read-only flag and name. */
static void send_hello(struct blk_relay *r, unsigned i)
{
    const struct blk_server_client *c = &r->srv.clients[i];
    uint8_t h[sizeof(struct blk_agent_req)] = { 0 };
    size_t n = strlen(c->name); /* 1..BLK_SERVER_NAME_MAX (blk_server_add_client) */

    le_put(&h[offsetof(struct blk_agent_req, magic)], BLK_AGENT_MAGIC, 4);
    le_put(&h[offsetof(struct blk_agent_req, op)], BLK_AGENT_HELLO, 4);
    le_put(&h[offsetof(struct blk_agent_req, offset)], c->size, 8);
    le_put(&h[offsetof(struct blk_agent_req, len)], (uint32_t)n, 4);
    le_put(&h[offsetof(struct blk_agent_req, client)], i, 4);
    le_put(&h[offsetof(struct blk_agent_req, flags)], c->read_only ? BLK_AGENT_HELLO_RO : 0, 4);
    out_put(r, h, sizeof(h));
    out_put(r, c->name, n);
}

int blk_relay_add_client(struct blk_relay *r, const char *name, uint64_t size, bool read_only, char *err,
                         size_t errlen)
{
    int i;

    if (size > UINT64_MAX - r->next_base) {
        snprintf(err, errlen, "client '%s': the partitions' sizes add up to more than 2^64 bytes", name);
        return -1;
    }
    i = blk_server_add_client(&r->srv, name, r->next_base, size, read_only, err, errlen);
    if (i < 0)
        return -1;
    r->next_base += size;
    /* At most BLK_SERVER_MAX_CLIENTS HELLOs of <= 55 bytes, before any request: the FIFO has room. */
    send_hello(r, (unsigned)i);
    return i;
}

int blk_relay_attach(struct blk_relay *r, unsigned i, void *queues, void *data, uint32_t depth, uint32_t slot_size)
{
    return blk_server_attach(&r->srv, i, queues, data, depth, slot_size);
}

void blk_relay_detach(struct blk_relay *r, unsigned i)
{
    for (unsigned t = 0; t < BLK_RELAY_MAX_TAGS; t++)
        if (r->tags[t].busy && r->tags[t].client == i)
            r->tags[t].orphan = true, r->tags[t].data = NULL;
    blk_server_detach(&r->srv, i);
}

/* ---- answering clients ---- */

static void answer(struct blk_relay *r, struct blk_relay_tag *t, bool ok)
{
    struct blk_server_client *c = &r->srv.clients[t->client];

    if (!t->orphan && c->attached) {
        uint32_t before = c->q.resp_tail;
        blkq_server_respond(&c->q, t->id, ok ? BLKQ_RESP_OK : BLKQ_RESP_ERR_IO,
                            ok ? (uint16_t)(t->len / BLKQ_SECTOR) : 0);
        if (c->q.resp_tail != before)
            r->notify |= 1u << t->client; /* client < BLK_SERVER_MAX_CLIENTS <= 32 */
    }
    r->stats.responses++;
    r->stats.io_errors += !ok;
    t->busy = false;
    r->ntags_busy--;
}

/* The agent cannot be trusted any more: fail everything it holds. */
static void break_agent(struct blk_relay *r)
{
    r->agent_broken = true;
    r->stats.bad_frames++;
    for (unsigned t = 0; t < BLK_RELAY_MAX_TAGS; t++)
        if (r->tags[t].busy)
            answer(r, &r->tags[t], false);
    r->out_len = 0; /* frames not yet sent would only be answered by the broken agent */
}

uint32_t blk_relay_take_notify(struct blk_relay *r)
{
    uint32_t n = 0;

    for (unsigned i = 0; i < r->srv.nclients; i++)
        if (((r->notify >> i) & 1) && blkq_must_notify(&r->srv.clients[i].q.r.resp->hdr))
            n |= 1u << i;
    r->notify = 0;
    return n;
}

/* ---- requests to the agent ---- */

/* Append bytes to the outbound FIFO; the caller checked the room. */
static void out_put(struct blk_relay *r, const void *src, size_t n)
{
    const uint8_t *p = src;

    while (n > 0) {
        size_t tail = (r->out_head + r->out_len) % BLK_RELAY_OUT_BYTES;
        size_t run = BLK_RELAY_OUT_BYTES - tail < n ? BLK_RELAY_OUT_BYTES - tail : n;
        /* tail < BLK_RELAY_OUT_BYTES and run <= BLK_RELAY_OUT_BYTES - tail: inside out[]. */
        memcpy(&r->out[tail], p, run);
        r->out_len += run, p += run, n -= run;
    }
}

static int free_tag(const struct blk_relay *r)
{
    for (unsigned t = 0; t < BLK_RELAY_MAX_TAGS; t++)
        if (!r->tags[t].busy)
            return (int)t;
    return -1;
}

static enum blk_agent_op agent_op(enum blkq_code code)
{
    switch (code) {
    case BLKQ_REQ_READ: return BLK_AGENT_READ;
    case BLKQ_REQ_WRITE: return BLK_AGENT_WRITE;
    case BLKQ_REQ_DISCARD: return BLK_AGENT_DISCARD;
    default: return BLK_AGENT_FLUSH; /* FLUSH, BARRIER: the agent serves in order, a flush orders too */
    }
}

/* Send one validated request of client i to the agent as tag t. */
static void send_request(struct blk_relay *r, unsigned i, unsigned t, const struct blkq_io *io)
{
    struct blk_relay_tag *tag = &r->tags[t];
    enum blk_agent_op op = agent_op(io->code);
    uint8_t h[sizeof(struct blk_agent_req)];

    /* io->offset + io->len <= c->size (blkq_server): the offset is the partition's, as the agent expects. */
    le_put(&h[offsetof(struct blk_agent_req, magic)], BLK_AGENT_MAGIC, 4);
    le_put(&h[offsetof(struct blk_agent_req, op)], (uint32_t)op, 4);
    le_put(&h[offsetof(struct blk_agent_req, offset)], op == BLK_AGENT_FLUSH ? 0 : io->offset, 8);
    le_put(&h[offsetof(struct blk_agent_req, len)], op == BLK_AGENT_FLUSH ? 0 : io->len, 4);
    le_put(&h[offsetof(struct blk_agent_req, tag)], t, 4);
    le_put(&h[offsetof(struct blk_agent_req, client)], i, 4);
    le_put(&h[offsetof(struct blk_agent_req, flags)], 0, 4);
    *tag = (struct blk_relay_tag){ .busy = true, .client = (uint8_t)i, .op = (uint8_t)op, .id = io->id,
                                   .data = op == BLK_AGENT_READ ? io->data : NULL,
                                   .len = op == BLK_AGENT_FLUSH ? 0 : (uint32_t)io->len };
    r->ntags_busy++;
    r->stats.requests++;
    out_put(r, h, sizeof(h));
    if (op == BLK_AGENT_WRITE)
        out_put(r, io->data, (size_t)io->len); /* the client's bytes; it may change them meanwhile: its loss */
}

bool blk_relay_pump(struct blk_relay *r)
{
    const size_t worst = sizeof(struct blk_agent_req) + BLKQ_MAX_SLOT_SIZE;
    bool more = false;

    _Static_assert(BLK_RELAY_OUT_BYTES >= sizeof(struct blk_agent_req) + BLKQ_MAX_SLOT_SIZE, "one frame fits");
    for (unsigned k = 0; k < r->srv.nclients; k++) {
        unsigned i = (r->next + k) % r->srv.nclients;
        struct blk_server_client *c = &r->srv.clients[i];
        struct blkq_io io;
        int t;

        if (!c->attached)
            continue;
        /* Take a request only when a tag and the room for its largest frame are there. */
        for (unsigned n = 0; n < BLK_SERVER_BURST; n++) {
            if ((t = free_tag(r)) < 0 || BLK_RELAY_OUT_BYTES - r->out_len < worst) {
                more = true;
                break;
            }
            if (!blkq_server_next(&c->q, &io)) {
                if (!c->q.broken && blkq_ask_notify(&c->q.r.req->hdr, c->q.req_head))
                    more = true;
                break;
            }
            if (r->agent_broken) {
                blkq_server_respond(&c->q, io.id, BLKQ_RESP_ERR_IO, 0);
                r->notify |= 1u << i; /* i < nclients <= 32 */
                r->stats.responses++;
                r->stats.io_errors++;
                continue;
            }
            send_request(r, i, (unsigned)t, &io);
        }
    }
    if (r->srv.nclients > 0)
        r->next = (r->next + 1) % r->srv.nclients;
    return more;
}

const uint8_t *blk_relay_output(const struct blk_relay *r, size_t *len)
{
    size_t run = BLK_RELAY_OUT_BYTES - r->out_head;

    *len = r->out_len < run ? r->out_len : run;
    return &r->out[r->out_head];
}

void blk_relay_consume(struct blk_relay *r, size_t n)
{
    if (n > r->out_len)
        n = r->out_len;
    r->out_head = (r->out_head + n) % BLK_RELAY_OUT_BYTES;
    r->out_len -= n;
}

/* ---- answers from the agent ---- */

/* A field of the received response header. */
#define IN_FIELD(r, f) le32(&(r)->in[offsetof(struct blk_agent_resp, f)])

/* A complete response header (the private copy in r->in): acceptable? */
static bool header_ok(const struct blk_relay *r)
{
    uint32_t tag = IN_FIELD(r, tag), op = IN_FIELD(r, op), status = IN_FIELD(r, status), len = IN_FIELD(r, len);
    const struct blk_relay_tag *t;

    if (IN_FIELD(r, magic) != BLK_AGENT_MAGIC || tag >= BLK_RELAY_MAX_TAGS || !r->tags[tag].busy)
        return false;
    t = &r->tags[tag];
    if (op != t->op || (status != BLK_AGENT_OK && status != BLK_AGENT_EIO))
        return false;
    if (len != (status == BLK_AGENT_OK && t->op == BLK_AGENT_READ ? t->len : 0))
        return false;
    return true;
}

/* The frame in r->in is whole (header, and its data if any): answer it. */
static void finish_frame(struct blk_relay *r)
{
    struct blk_relay_tag *t = &r->tags[IN_FIELD(r, tag)]; /* tag < BLK_RELAY_MAX_TAGS: header_ok */

    answer(r, t, IN_FIELD(r, status) == BLK_AGENT_OK);
    r->in_got = 0;
    r->in_data = false;
    r->in_data_got = 0;
}

void blk_relay_input(struct blk_relay *r, const uint8_t *buf, size_t len)
{
    while (len > 0 && !r->agent_broken) {
        if (!r->in_data) {
            size_t need = sizeof(r->in) - r->in_got, n = len < need ? len : need;
            /* in_got < sizeof(in) and n <= sizeof(in) - in_got: inside in[]. */
            memcpy(&r->in[r->in_got], buf, n);
            r->in_got += n, buf += n, len -= n;
            if (r->in_got < sizeof(r->in))
                return;
            if (!header_ok(r)) {
                break_agent(r);
                return;
            }
            r->in_data = true;
            if (IN_FIELD(r, len) == 0)
                finish_frame(r);
        } else {
            struct blk_relay_tag *t = &r->tags[IN_FIELD(r, tag)]; /* tag < BLK_RELAY_MAX_TAGS: header_ok */
            uint32_t left = t->len - r->in_data_got;
            size_t n = len < left ? len : left;
            /* in_data_got + n <= t->len: inside the READ's data range, which blkq_server placed in the region. */
            if (t->data != NULL)
                memcpy(t->data + r->in_data_got, buf, n);
            r->in_data_got += (uint32_t)n, buf += n, len -= n;
            if (r->in_data_got == t->len)
                finish_frame(r);
        }
    }
}
