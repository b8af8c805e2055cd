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

void blk_relay_set_guest(struct blk_relay *r, const uint8_t *(*guest_page)(void *ctx, uint64_t gpa), void *ctx)
{
    r->guest_page = guest_page;
    r->guest_ctx = ctx;
}

/* Queue client i's HELLO: its number, size, read-only flag, the mapped-buffer offer, and name. */
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
    le_put(&h[offsetof(struct blk_agent_req, flags)],
           (c->read_only ? BLK_AGENT_HELLO_RO : 0) | (r->guest_page != NULL ? BLK_AGENT_HELLO_BUF : 0), 4);
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
    /*
     * At most BLK_SERVER_MAX_CLIENTS HELLOs of <= 55 bytes, before any request: the FIFO has room.
     * While the agent is away the next one gets every client's HELLO when it opens the port.
     */
    if (!r->agent_away)
        send_hello(r, (unsigned)i);
    return i;
}

int blk_relay_attach(struct blk_relay *r, unsigned i, void *queues, void *data, uint32_t depth, uint32_t slot_size)
{
    return blk_server_attach(&r->srv, i, queues, data, depth, slot_size);
}

static void answer(struct blk_relay *r, struct blk_relay_tag *t, bool ok);

void blk_relay_detach(struct blk_relay *r, unsigned i)
{
    for (unsigned t = 0; t < BLK_RELAY_MAX_TAGS; t++) {
        struct blk_relay_tag *tag = &r->tags[t];
        if (!tag->busy || tag->client != i)
            continue;
        tag->orphan = true, tag->data = NULL;
        if (!tag->sent)
            answer(r, tag, false); /* kept for a new agent, which now has nothing to do for it */
    }
    blk_server_detach(&r->srv, i);
}

/* ---- answering clients ---- */

/* Tag t is answered (or dropped): the client gets the status unless it left; the tag is free. */
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
    if (!t->sent)
        r->nheld--;
    t->busy = false;
    r->ntags_busy--;
}

/* Fail every request the relay holds, at the agent or kept for a new one. */
static void fail_all(struct blk_relay *r)
{
    for (unsigned t = 0; t < BLK_RELAY_MAX_TAGS; t++)
        if (r->tags[t].busy)
            answer(r, &r->tags[t], false);
}

/* Forget the stream's bytes both ways (queued frames, a half-received answer) and its agent's buffers. */
static void reset_stream(struct blk_relay *r)
{
    r->out_head = r->out_len = 0;
    r->in_got = 0;
    r->in_data = false;
    r->in_pad_left = 0;
    r->in_data_got = 0;
    r->in_gpa_got = 0;
    for (unsigned i = 0; i < BLK_AGENT_MAX_BUFS; i++)
        r->bufs[i].npages = 0;
}

/* The agent cannot be trusted any more: fail everything it holds. */
static void break_agent(struct blk_relay *r)
{
    r->agent_broken = true;
    r->stats.bad_frames++;
    fail_all(r);
    r->out_head = r->out_len = 0; /* frames not yet sent would only be answered by the broken agent */
}

/* ---- agent restarts (blk_relay.h) ---- */

void blk_relay_agent_closed(struct blk_relay *r)
{
    if (r->agent_away)
        return;
    r->agent_away = true;
    r->stats.agent_closes++;
    reset_stream(r);
    for (unsigned t = 0; t < BLK_RELAY_MAX_TAGS; t++) {
        struct blk_relay_tag *tag = &r->tags[t];
        if (!tag->busy || !tag->sent)
            continue;
        if (tag->orphan) {
            answer(r, tag, false); /* nobody waits for it: not worth sending again */
            continue;
        }
        tag->sent = false; /* the old agent will never answer it: kept for the next one */
        r->nheld++;
    }
}

void blk_relay_agent_opened(struct blk_relay *r)
{
    if (!r->agent_away)
        return;
    r->agent_away = r->agent_lost = r->agent_broken = false;
    /* Nothing is queued while the agent is away (reset_stream, pump): the HELLOs lead the new stream. */
    reset_stream(r);
    for (unsigned i = 0; i < r->srv.nclients; i++)
        send_hello(r, i);
}

void blk_relay_agent_lost(struct blk_relay *r)
{
    if (!r->agent_away || r->agent_lost)
        return;
    r->agent_lost = true;
    fail_all(r);
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

/* Queue tag t's request frame (the caller checked the room for its largest frame). */
static void put_frame(struct blk_relay *r, unsigned t)
{
    struct blk_relay_tag *tag = &r->tags[t];
    uint8_t h[sizeof(struct blk_agent_req)];

    le_put(&h[offsetof(struct blk_agent_req, magic)], BLK_AGENT_MAGIC, 4);
    le_put(&h[offsetof(struct blk_agent_req, op)], tag->op, 4);
    le_put(&h[offsetof(struct blk_agent_req, offset)], tag->offset, 8);
    le_put(&h[offsetof(struct blk_agent_req, len)], tag->len, 4);
    le_put(&h[offsetof(struct blk_agent_req, tag)], t, 4);
    le_put(&h[offsetof(struct blk_agent_req, client)], tag->client, 4);
    le_put(&h[offsetof(struct blk_agent_req, flags)], 0, 4);
    tag->sent = true;
    out_put(r, h, sizeof(h));
    if (tag->op == BLK_AGENT_WRITE)
        out_put(r, tag->data, tag->len); /* the client's bytes; it may change them meanwhile: its loss */
}

/* Send one validated request of client i to the agent as tag t. */
static void send_request(struct blk_relay *r, unsigned i, unsigned t, const struct blkq_io *io)
{
    enum blk_agent_op op = agent_op(io->code);
    bool flush = op == BLK_AGENT_FLUSH;

    /* io->offset + io->len <= c->size (blkq_server): the offset is the partition's, as the agent expects. */
    r->tags[t] = (struct blk_relay_tag){ .busy = true, .client = (uint8_t)i, .op = (uint8_t)op, .id = io->id,
                                         .data = op == BLK_AGENT_READ || op == BLK_AGENT_WRITE ? io->data : NULL,
                                         .len = flush ? 0 : (uint32_t)io->len, .offset = flush ? 0 : io->offset,
                                         .seq = r->next_seq++ };
    r->ntags_busy++;
    r->stats.requests++;
    put_frame(r, t);
}

/* The oldest request kept across a restart (busy, not sent); there is one (nheld > 0). */
static unsigned oldest_held(const struct blk_relay *r)
{
    unsigned best = 0;
    bool found = false;

    for (unsigned t = 0; t < BLK_RELAY_MAX_TAGS; t++) {
        const struct blk_relay_tag *tag = &r->tags[t];
        if (tag->busy && !tag->sent && (!found || tag->seq < r->tags[best].seq))
            best = t, found = true;
    }
    return best;
}

/*
 * Send the kept requests again, oldest first, while the room lasts (each frame at most one slot of
 * data: its length was checked when it was first taken). True if some are still kept.
 */
static bool resend_held(struct blk_relay *r, size_t worst)
{
    while (r->nheld > 0) {
        if (BLK_RELAY_OUT_BYTES - r->out_len < worst)
            return true;
        put_frame(r, oldest_held(r));
        r->nheld--;
        r->stats.resent++;
    }
    return false;
}

bool blk_relay_pump(struct blk_relay *r)
{
    const size_t worst = sizeof(struct blk_agent_req) + BLKQ_MAX_SLOT_SIZE;
    bool more = false;

    _Static_assert(BLK_RELAY_OUT_BYTES >= sizeof(struct blk_agent_req) + BLKQ_MAX_SLOT_SIZE, "one frame fits");
    /* No agent: requests wait in the clients' rings, unless it has been away too long (then they fail). */
    if (r->agent_away && !r->agent_lost)
        return false;
    /* Kept requests go before new ones: a FLUSH taken later must not overtake the writes it orders. */
    if (resend_held(r, worst))
        return true;
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
            if (r->agent_broken || r->agent_lost) {
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

/* A complete answer header (the private copy in r->in) for an op the relay sent: acceptable? */
static bool header_ok(const struct blk_relay *r)
{
    uint32_t tag = IN_FIELD(r, tag), op = IN_FIELD(r, op), status = IN_FIELD(r, status), len = IN_FIELD(r, len),
             pad = IN_FIELD(r, pad);
    const struct blk_relay_tag *t;

    if (IN_FIELD(r, magic) != BLK_AGENT_MAGIC || tag >= BLK_RELAY_MAX_TAGS || !r->tags[tag].busy ||
        !r->tags[tag].sent)
        return false;
    t = &r->tags[tag];
    if (op != t->op || (status != BLK_AGENT_OK && status != BLK_AGENT_EIO))
        return false;
    if (len != (status == BLK_AGENT_OK && t->op == BLK_AGENT_READ ? t->len : 0))
        return false;
    /* Padding only before data, and bounded: skipping it costs nothing but stream bytes. */
    return pad == 0 || (len > 0 && pad <= BLK_AGENT_MAX_PAD);
}

/* A MAP header: offered, a buffer number in range, a whole number of page addresses, at most a buffer's. */
static bool map_header_ok(const struct blk_relay *r)
{
    uint32_t len = IN_FIELD(r, len);

    return r->guest_page != NULL && IN_FIELD(r, magic) == BLK_AGENT_MAGIC && IN_FIELD(r, status) == BLK_AGENT_OK &&
           IN_FIELD(r, tag) < BLK_AGENT_MAX_BUFS && IN_FIELD(r, pad) == 0 && len > 0 && len % 8 == 0 &&
           len / 8 <= BLK_AGENT_BUF_PAGES;
}

/*
 * A READ_BUF header: a successful answer to a READ the relay has out, its whole length, from a
 * mapped buffer that holds that length.
 */
static bool read_buf_ok(const struct blk_relay *r)
{
    uint32_t tag = IN_FIELD(r, tag), buf = IN_FIELD(r, pad);
    const struct blk_relay_tag *t;

    if (IN_FIELD(r, magic) != BLK_AGENT_MAGIC || IN_FIELD(r, status) != BLK_AGENT_OK || tag >= BLK_RELAY_MAX_TAGS ||
        buf >= BLK_AGENT_MAX_BUFS)
        return false;
    t = &r->tags[tag];
    return t->busy && t->sent && t->op == BLK_AGENT_READ && IN_FIELD(r, len) == t->len &&
           t->len <= (uint64_t)r->bufs[buf].npages * BLK_AGENT_PAGE;
}

/* The frame in r->in is whole (header, and its data if any): answer it. */
static void finish_frame(struct blk_relay *r)
{
    struct blk_relay_tag *t = &r->tags[IN_FIELD(r, tag)]; /* tag < BLK_RELAY_MAX_TAGS: header_ok */

    answer(r, t, IN_FIELD(r, status) == BLK_AGENT_OK);
    r->in_got = 0;
    r->in_data = false;
    r->in_pad_left = 0;
    r->in_data_got = 0;
}

/*
 * READ_BUF (read_buf_ok): copy the READ's data from the buffer's guest pages into the client's
 * region, page by page, a run of pages adjacent in the VMM's mapping in one copy; then answer.
 */
static void take_read_buf(struct blk_relay *r)
{
    const struct blk_relay_buf *b = &r->bufs[IN_FIELD(r, pad)]; /* pad < BLK_AGENT_MAX_BUFS: read_buf_ok */
    struct blk_relay_tag *t = &r->tags[IN_FIELD(r, tag)];      /* tag < BLK_RELAY_MAX_TAGS: read_buf_ok */
    uint32_t off = 0;

    /* t->len <= b->npages * BLK_AGENT_PAGE (read_buf_ok): every page read is one the agent mapped. */
    while (t->data != NULL && off < t->len) {
        uint32_t i = off / BLK_AGENT_PAGE, n = t->len - off < BLK_AGENT_PAGE ? t->len - off : BLK_AGENT_PAGE;
        while (off + n < t->len && b->page[i + 1] == b->page[i] + BLK_AGENT_PAGE) {
            uint32_t more = t->len - off - n;
            n += more < BLK_AGENT_PAGE ? more : BLK_AGENT_PAGE;
            i++;
        }
        /* The run starts at page[off / PAGE] and its n bytes are adjacent in the mapping: inside those pages. */
        memcpy(t->data + off, b->page[off / BLK_AGENT_PAGE], n);
        off += n;
    }
    r->stats.mapped_reads++;
    finish_frame(r);
}

/* One byte of a MAP frame's page list; at each whole address, check it and record the page. */
static bool take_map_byte(struct blk_relay *r, uint8_t byte)
{
    struct blk_relay_buf *b = &r->bufs[IN_FIELD(r, tag)]; /* tag < BLK_AGENT_MAX_BUFS: map_header_ok */
    uint32_t npages = IN_FIELD(r, len) / 8, k = r->in_data_got / 8; /* k < npages <= BLK_AGENT_BUF_PAGES */
    uint64_t gpa;
    const uint8_t *page;

    r->in_gpa[r->in_gpa_got++] = byte; /* in_gpa_got < 8 before this */
    r->in_data_got++;
    if (r->in_gpa_got < 8)
        return true;
    r->in_gpa_got = 0;
    gpa = le64(r->in_gpa);
    if (gpa % BLK_AGENT_PAGE != 0 || (page = r->guest_page(r->guest_ctx, gpa)) == NULL)
        return false;
    b->page[k] = page;
    if (k + 1 == npages) {
        b->npages = npages; /* usable only once every page is checked */
        r->stats.maps++;
        r->in_got = 0;
        r->in_data = false;
        r->in_data_got = 0;
    }
    return true;
}

/* A whole header arrived: check it for its kind and start on what follows. False: a bad frame. */
static bool take_header(struct blk_relay *r)
{
    uint32_t op = IN_FIELD(r, op);

    if (op == BLK_AGENT_MAP) {
        if (!map_header_ok(r))
            return false;
        r->bufs[IN_FIELD(r, tag)].npages = 0; /* replaced: unusable until the new list is whole */
        r->in_data = true;
        r->in_data_got = 0;
        r->in_gpa_got = 0;
        return true;
    }
    if (op == BLK_AGENT_READ_BUF) {
        if (!read_buf_ok(r))
            return false;
        take_read_buf(r);
        return true;
    }
    if (!header_ok(r))
        return false;
    r->in_data = true;
    r->in_pad_left = IN_FIELD(r, pad); /* <= BLK_AGENT_MAX_PAD, and 0 without data: header_ok */
    if (IN_FIELD(r, len) == 0)
        finish_frame(r);
    return true;
}

void blk_relay_input(struct blk_relay *r, const uint8_t *buf, size_t len)
{
    /* A closed stream carries nothing: bytes now could only answer requests already kept or failed. */
    while (len > 0 && !r->agent_broken && !r->agent_away) {
        if (!r->in_data) {
            size_t need = sizeof(r->in) - r->in_got, n = len < need ? len : need;
            /* in_got < sizeof(in) and n <= sizeof(in) - in_got: inside in[]. */
            memcpy(&r->in[r->in_got], buf, n);
            r->in_got += n, buf += n, len -= n;
            if (r->in_got < sizeof(r->in))
                return;
            if (!take_header(r)) {
                break_agent(r);
                return;
            }
        } else if (IN_FIELD(r, op) == BLK_AGENT_MAP) {
            if (!take_map_byte(r, *buf)) {
                break_agent(r);
                return;
            }
            buf++, len--;
        } else if (r->in_pad_left > 0) {
            size_t n = len < r->in_pad_left ? len : r->in_pad_left;
            r->in_pad_left -= (uint32_t)n, buf += n, len -= n;
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
