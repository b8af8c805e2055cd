/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include <svmm/log.h>
#include <svmm/virtio_vsock.h>
#include <svmm/vsock_link.h>
#include <svmm/le.h>

#define CFG_SIZE 8 /* le64 guest_cid */

void virtio_vsock_hdr_get(struct virtio_vsock_hdr *h, const uint8_t *b)
{
    h->src_cid = le_get(b, 8);
    h->dst_cid = le_get(b + 8, 8);
    h->src_port = (uint32_t)le_get(b + 16, 4);
    h->dst_port = (uint32_t)le_get(b + 20, 4);
    h->len = (uint32_t)le_get(b + 24, 4);
    h->type = (uint16_t)le_get(b + 28, 2);
    h->op = (uint16_t)le_get(b + 30, 2);
    h->flags = (uint32_t)le_get(b + 32, 4);
    h->buf_alloc = (uint32_t)le_get(b + 36, 4);
    h->fwd_cnt = (uint32_t)le_get(b + 40, 4);
}

void virtio_vsock_hdr_put(uint8_t *b, const struct virtio_vsock_hdr *h)
{
    le_put(b, h->src_cid, 8);
    le_put(b + 8, h->dst_cid, 8);
    le_put(b + 16, h->src_port, 4);
    le_put(b + 20, h->dst_port, 4);
    le_put(b + 24, h->len, 4);
    le_put(b + 28, h->type, 2);
    le_put(b + 30, h->op, 2);
    le_put(b + 32, h->flags, 4);
    le_put(b + 36, h->buf_alloc, 4);
    le_put(b + 40, h->fwd_cnt, 4);
}

static struct virtio_vsock *to_vsock(struct virtio_dev *d)
{
    return (struct virtio_vsock *)((char *)d - offsetof(struct virtio_vsock, dev));
}

static void mark_broken(struct virtio_vsock *v, unsigned q, const char *why)
{
    if (v->broken)
        return;
    v->broken = true;
    if (svmm_ratelimit_ok(&v->rl, 20))
        svmm_warn("%s: queue %u: %s: device needs reset", v->dev.name, q, why);
    if (v->dev.transport.needs_reset)
        v->dev.transport.needs_reset(v->dev.transport.ctx);
}

/* ---- connection table ---- */

static int find_conn(const struct virtio_vsock *v, uint32_t guest_port, uint32_t host_port)
{
    for (unsigned i = 0; i < VIRTIO_VSOCK_MAX_CONNS; i++) {
        const struct vsock_conn *c = &v->conns[i];
        if (c->state != VSOCK_FREE && c->guest_port == guest_port && c->host_port == host_port)
            return (int)i;
    }
    return -1;
}

static int alloc_conn(struct virtio_vsock *v)
{
    for (unsigned i = 0; i < VIRTIO_VSOCK_MAX_CONNS; i++)
        if (v->conns[i].state == VSOCK_FREE)
            return (int)i;
    v->stats.table_full++;
    return -1;
}

/* Owe the guest an RST from {cid, host_port} to its guest_port (sent as rx buffers allow). */
static void queue_rst_from(struct virtio_vsock *v, uint64_t cid, uint32_t guest_port, uint32_t host_port)
{
    unsigned slot;

    if (v->rst_count == VIRTIO_VSOCK_RST_RING) {
        v->stats.rst_ring_overflow++;
        return;
    }
    /* Invariant: rst_count < VIRTIO_VSOCK_RST_RING here, and slot is taken modulo the ring size. */
    slot = (v->rst_head + v->rst_count++) % VIRTIO_VSOCK_RST_RING;
    v->rst_ring[slot].cid = cid;
    v->rst_ring[slot].guest_port = guest_port;
    v->rst_ring[slot].host_port = host_port;
}

static void queue_rst(struct virtio_vsock *v, uint32_t guest_port, uint32_t host_port)
{
    queue_rst_from(v, VIRTIO_VSOCK_HOST_CID, guest_port, host_port);
}

/* Forget connection `id`; the backend releases its end. */
static void close_conn(struct virtio_vsock *v, unsigned id)
{
    v->backend.close(v->backend.ctx, id);
    memset(&v->conns[id], 0, sizeof(v->conns[id]));
}

/* End connection `id` from our side: RST to the guest, then forget it. */
static void reset_conn(struct virtio_vsock *v, unsigned id)
{
    queue_rst(v, v->conns[id].guest_port, v->conns[id].host_port);
    close_conn(v, id);
}

static uint32_t guest_credit(const struct vsock_conn *c)
{
    uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

    return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

/* Tell the guest about consumed data when its view of our free space has fallen below half. */
static void maybe_credit_update(struct virtio_vsock *v, struct vsock_conn *c)
{
    uint32_t view = v->backend.buf_alloc - (c->rx_cnt - c->fwd_cnt_sent);

    if (c->fwd_cnt != c->fwd_cnt_sent && view < v->backend.buf_alloc / 2)
        c->pending |= VSOCK_PEND_CREDIT;
}

/* ---- device -> guest (rx queue) ---- */

enum work { W_NONE, W_RST, W_CTRL, W_DATA, W_LINK };

static bool wants_data(const struct vsock_conn *c)
{
    return c->state == VSOCK_ESTABLISHED && c->host_readable && !(c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_RCV) &&
           !(c->host_shut & VIRTIO_VSOCK_SHUTDOWN_SEND) && guest_credit(c) > 0;
}

/*
 * Round robin over host connections and peer links (slots MAX_CONNS.. are links), so a peer that
 * floods gets the guest's rx buffers no more often than any other connection or peer.
 */
static enum work next_work(struct virtio_vsock *v, unsigned *id)
{
    unsigned slots = VIRTIO_VSOCK_MAX_CONNS + v->nlinks;

    if (v->rst_count)
        return W_RST;
    for (unsigned k = 0; k < slots; k++) {
        unsigned i = (v->rr_next + k) % slots;
        struct vsock_conn *c;
        if (i >= VIRTIO_VSOCK_MAX_CONNS) {
            /* i - MAX_CONNS < nlinks <= VIRTIO_VSOCK_MAX_LINKS: within links[]. */
            if (vsock_link_peek(v->links[i - VIRTIO_VSOCK_MAX_CONNS]) == NULL)
                continue;
            *id = i - VIRTIO_VSOCK_MAX_CONNS;
            v->rr_next = (i + 1) % slots;
            return W_LINK;
        }
        c = &v->conns[i];
        if (c->state == VSOCK_FREE)
            continue;
        if (c->pending || wants_data(c)) {
            *id = i;
            v->rr_next = (i + 1) % slots;
            return c->pending ? W_CTRL : W_DATA;
        }
    }
    return W_NONE;
}

static void fill_hdr(const struct virtio_vsock *v, struct virtio_vsock_hdr *h, const struct vsock_conn *c, uint16_t op)
{
    memset(h, 0, sizeof(*h));
    h->src_cid = VIRTIO_VSOCK_HOST_CID;
    h->dst_cid = v->guest_cid;
    h->type = VIRTIO_VSOCK_TYPE_STREAM;
    h->op = op;
    if (c) {
        h->src_port = c->host_port;
        h->dst_port = c->guest_port;
        h->buf_alloc = v->backend.buf_alloc;
        h->fwd_cnt = c->fwd_cnt;
    }
}

/* Slice the chain's device-writable part from byte `offset`, at most `max` bytes, into v->bufs. */
static unsigned slice_in(struct virtio_vsock *v, const struct virtq_chain *ch, uint32_t offset, size_t max)
{
    unsigned n = 0;

    for (uint16_t i = ch->n_out; i < ch->n_out + ch->n_in && max > 0; i++) {
        uint32_t len = ch->iov[i].len;
        if (offset >= len) {
            offset -= len;
            continue;
        }
        len -= offset;
        if (len > max)
            len = (uint32_t)max;
        /* n <= i - n_out < n_in <= VIRTQ_MAX_SIZE (virtq_pop's chain budget): within bufs[]. */
        if (n >= VIRTQ_MAX_SIZE)
            break;
        v->bufs[n++] = (struct virtio_vsock_buf){ ch->iov[i].host + offset, len };
        max -= len;
        offset = 0;
    }
    return n;
}

/* Put one control packet for connection `id` into chain `ch`; returns bytes written. */
static uint32_t build_ctrl(struct virtio_vsock *v, unsigned id, const struct virtq_chain *ch)
{
    struct vsock_conn *c = &v->conns[id];
    uint8_t b[VIRTIO_VSOCK_HDR_SIZE];
    struct virtio_vsock_hdr h;
    uint16_t op;

    if (c->pending & VSOCK_PEND_REQUEST) {
        op = VIRTIO_VSOCK_OP_REQUEST;
        c->pending &= ~VSOCK_PEND_REQUEST;
    } else if (c->pending & VSOCK_PEND_RESPONSE) {
        op = VIRTIO_VSOCK_OP_RESPONSE;
        c->pending &= ~VSOCK_PEND_RESPONSE;
    } else if (c->pending & VSOCK_PEND_SHUTDOWN) {
        op = VIRTIO_VSOCK_OP_SHUTDOWN;
        c->pending &= ~VSOCK_PEND_SHUTDOWN;
    } else {
        op = VIRTIO_VSOCK_OP_CREDIT_UPDATE;
    }
    fill_hdr(v, &h, c, op);
    if (op == VIRTIO_VSOCK_OP_SHUTDOWN)
        h.flags = c->shutdown_flags;
    /* Every packet carries fwd_cnt: no separate credit update is owed any more. */
    c->fwd_cnt_sent = c->fwd_cnt;
    c->pending &= ~VSOCK_PEND_CREDIT;
    virtio_vsock_hdr_put(b, &h);
    return virtq_chain_write(ch, 0, b, sizeof(b));
}

/* Pull host data for `id` into chain `ch`. Returns bytes written (0: nothing, chain unused). */
static uint32_t build_data(struct virtio_vsock *v, unsigned id, const struct virtq_chain *ch)
{
    struct vsock_conn *c = &v->conns[id];
    size_t max = ch->in_len - VIRTIO_VSOCK_HDR_SIZE;
    uint32_t credit = guest_credit(c);
    uint8_t b[VIRTIO_VSOCK_HDR_SIZE];
    struct virtio_vsock_hdr h;
    unsigned n;
    long r;

    if (max == 0) {
        /* A header-sized buffer cannot carry data: use it for a credit update rather than spin. */
        c->pending |= VSOCK_PEND_CREDIT;
        return build_ctrl(v, id, ch);
    }
    if (max > credit)
        max = credit;
    if (max > VIRTIO_VSOCK_MAX_PAYLOAD)
        max = VIRTIO_VSOCK_MAX_PAYLOAD;
    if (max == 0)
        return 0;
    n = slice_in(v, ch, VIRTIO_VSOCK_HDR_SIZE, max);
    r = v->backend.recv(v->backend.ctx, id, v->bufs, n, max);
    if (r > (long)max)
        r = VIRTIO_VSOCK_RECV_ERR; /* a backend bug; never write past what we offered */
    if (r <= 0) {
        c->host_readable = false;
        if (r == VIRTIO_VSOCK_RECV_EOF) {
            c->host_shut |= VIRTIO_VSOCK_SHUTDOWN_SEND;
            c->shutdown_flags = VIRTIO_VSOCK_SHUTDOWN_SEND |
                                (c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_SEND ? VIRTIO_VSOCK_SHUTDOWN_RCV : 0);
            c->pending |= VSOCK_PEND_SHUTDOWN;
        } else if (r != VIRTIO_VSOCK_RECV_AGAIN) {
            reset_conn(v, id);
        }
        if (v->backend.wake)
            v->backend.wake(v->backend.ctx);
        return 0;
    }
    fill_hdr(v, &h, c, VIRTIO_VSOCK_OP_RW);
    h.len = (uint32_t)r;
    c->fwd_cnt_sent = c->fwd_cnt;
    c->pending &= ~VSOCK_PEND_CREDIT;
    c->tx_cnt += (uint32_t)r;
    v->stats.rx_bytes += (uint64_t)r;
    virtio_vsock_hdr_put(b, &h);
    virtq_chain_write(ch, 0, b, sizeof(b));
    return VIRTIO_VSOCK_HDR_SIZE + (uint32_t)r;
}

/* Fill the guest's rx buffers with what is owed to it, as long as both last. */
static void rx_fill(struct virtio_vsock *v)
{
    struct virtq *q = &v->dev.queues[VIRTIO_VSOCK_RXQ];
    uint16_t old_used = q->used_idx;
    bool rearmed = false;

    if (v->broken || !v->dev.driver_ok || !q->ready)
        return;
    for (;;) {
        struct virtq_chain *ch = &v->rx_chain;
        unsigned id = 0;
        enum work w = next_work(v, &id);
        uint32_t written;
        int r;

        if (w == W_NONE)
            break;
        r = virtq_pop(q, ch);
        if (r < 0) {
            virtio_dev_queue_error(&v->dev, VIRTIO_VSOCK_RXQ, r);
            break;
        }
        if (r == 0) {
            v->rx_starved = true;
            if (!rearmed && virtq_arm_notify(q)) {
                rearmed = true;
                continue;
            }
            break;
        }
        if (ch->n_out != 0 || ch->in_len < VIRTIO_VSOCK_HDR_SIZE) {
            mark_broken(v, VIRTIO_VSOCK_RXQ, ch->n_out ? "device-readable buffer in an rx chain"
                                                       : "rx buffer smaller than the vsock header");
            break;
        }
        if (w == W_RST) {
            uint8_t b[VIRTIO_VSOCK_HDR_SIZE];
            struct virtio_vsock_hdr h;
            fill_hdr(v, &h, NULL, VIRTIO_VSOCK_OP_RST);
            h.src_cid = v->rst_ring[v->rst_head].cid;
            h.src_port = v->rst_ring[v->rst_head].host_port;
            h.dst_port = v->rst_ring[v->rst_head].guest_port;
            v->rst_head = (v->rst_head + 1) % VIRTIO_VSOCK_RST_RING;
            v->rst_count--;
            v->stats.resets_sent++;
            virtio_vsock_hdr_put(b, &h);
            written = virtq_chain_write(ch, 0, b, sizeof(b));
        } else if (w == W_CTRL) {
            written = build_ctrl(v, id, ch);
        } else if (w == W_LINK) {
            written = vsock_link_take(v->links[id], ch);
            if (written == 0) {
                /* A header-only buffer cannot carry peer data: wait for the guest's next ones. */
                virtq_unpop(q, 1);
                break;
            }
        } else {
            written = build_data(v, id, ch);
        }
        if (written == 0) {
            virtq_unpop(q, 1);
            continue;
        }
        v->stats.rx_packets++;
        virtq_push(q, ch->head, written);
    }
    virtio_dev_signal_used(&v->dev, VIRTIO_VSOCK_RXQ, old_used);
}

/* Signal peers about what we published or returned; true if a link got packets meanwhile. */
static bool finish_links(struct virtio_vsock *v)
{
    bool more = false;

    for (unsigned k = 0; k < v->nlinks; k++)
        more |= vsock_link_finish(v->links[k], !v->rx_starved && !v->broken && v->dev.driver_ok);
    return more;
}

/*
 * Everything owed to the guest, then the peers' notifications. Bounded: each round either fills
 * rx buffers or finds the links empty and asks to be told; past the bound, packets that raced in
 * wait for the peer's next signal or the guest's next buffers.
 */
static void rx_process(struct virtio_vsock *v)
{
    for (unsigned round = 0; round < 16; round++) {
        rx_fill(v);
        if (!finish_links(v))
            break;
    }
}

/* ---- guest -> device (tx queue) ---- */

/* The guest's credit information in every packet; false when it is impossible (fwd_cnt backwards). */
static bool take_peer_credit(struct vsock_conn *c, const struct virtio_vsock_hdr *h)
{
    if ((uint32_t)(c->tx_cnt - h->fwd_cnt) > (uint32_t)(c->tx_cnt - c->peer_fwd_cnt))
        return false;
    c->peer_buf_alloc = h->buf_alloc;
    c->peer_fwd_cnt = h->fwd_cnt;
    return true;
}

static void guest_request(struct virtio_vsock *v, const struct virtio_vsock_hdr *h)
{
    int id = alloc_conn(v);
    struct vsock_conn *c;

    if (id < 0) {
        queue_rst(v, h->src_port, h->dst_port);
        return;
    }
    c = &v->conns[id];
    memset(c, 0, sizeof(*c));
    c->guest_port = h->src_port;
    c->host_port = h->dst_port;
    c->peer_buf_alloc = h->buf_alloc;
    c->peer_fwd_cnt = c->tx_cnt = h->fwd_cnt;
    if (v->backend.connect(v->backend.ctx, (unsigned)id, h->dst_port) < 0) {
        memset(c, 0, sizeof(*c)); /* the backend kept nothing */
        queue_rst(v, h->src_port, h->dst_port);
        return;
    }
    c->state = VSOCK_ESTABLISHED;
    c->pending |= VSOCK_PEND_RESPONSE;
    if (v->backend.wake)
        v->backend.wake(v->backend.ctx);
}

/* Slice `len` payload bytes of a tx chain (after the header) into v->bufs; returns the pieces. */
static unsigned slice_out(struct virtio_vsock *v, const struct virtq_chain *ch, size_t payload_len)
{
    unsigned n = 0;
    uint32_t offset = VIRTIO_VSOCK_HDR_SIZE;
    size_t left = payload_len;

    for (uint16_t i = 0; i < ch->n_out && left > 0; i++) {
        uint32_t len = ch->iov[i].len;
        if (offset >= len) {
            offset -= len;
            continue;
        }
        len -= offset;
        if (len > left)
            len = (uint32_t)left;
        /* n <= i < n_out <= VIRTQ_MAX_SIZE (virtq_pop's chain budget): within bufs[]. */
        if (n >= VIRTQ_MAX_SIZE)
            break;
        v->bufs[n++] = (struct virtio_vsock_buf){ ch->iov[i].host + offset, len };
        left -= len;
        offset = 0;
    }
    return n;
}

static void guest_rw(struct virtio_vsock *v, unsigned id, const struct virtio_vsock_hdr *h, const struct virtq_chain *ch)
{
    struct vsock_conn *c = &v->conns[id];
    uint32_t unconsumed = c->rx_cnt - c->fwd_cnt;
    unsigned n;
    long r;

    if (c->state != VSOCK_ESTABLISHED || (c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_SEND) ||
        h->len > v->backend.buf_alloc - unconsumed) {
        reset_conn(v, id); /* data on a closed direction, or more than the credit we granted */
        return;
    }
    if (h->len == 0)
        return;
    n = slice_out(v, ch, h->len);
    r = v->backend.send(v->backend.ctx, id, v->bufs, n, h->len);
    if (r < 0 || r > (long)h->len) {
        reset_conn(v, id);
        return;
    }
    c->rx_cnt += h->len;
    c->fwd_cnt += (uint32_t)r;
    v->stats.tx_bytes += h->len;
    maybe_credit_update(v, c);
}

/* The header checks every guest packet passes, whoever it is for (`payload`: bytes after the header). */
static bool guest_hdr_ok(const struct virtio_vsock_hdr *h, uint32_t payload)
{
    return h->type == VIRTIO_VSOCK_TYPE_STREAM && h->op >= VIRTIO_VSOCK_OP_REQUEST &&
           h->op <= VIRTIO_VSOCK_OP_CREDIT_REQUEST && h->len <= payload && h->len <= VIRTIO_VSOCK_MAX_PAYLOAD &&
           (h->op == VIRTIO_VSOCK_OP_RW || h->len == 0) &&
           (h->op != VIRTIO_VSOCK_OP_SHUTDOWN ||
            !(h->flags & ~(VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND)));
}

static int find_link(const struct virtio_vsock *v, uint64_t cid)
{
    for (unsigned k = 0; k < v->nlinks; k++)
        if (v->links[k]->peer_cid == cid)
            return (int)k;
    return -1;
}

/*
 * A packet for another VM: relayed as it is when a link to that CID is up and the header is
 * sound; otherwise the guest gets an RST from that CID (never for an RST), as from a VM that is
 * not there. A link without room loses the packet, so the connection cannot go on: RST too.
 */
static void guest_to_peer(struct virtio_vsock *v, const struct virtio_vsock_hdr *h, const struct virtq_chain *ch,
                          uint32_t payload)
{
    int k = find_link(v, h->dst_cid);
    unsigned n;

    if (k < 0 || !v->links[k]->up || !guest_hdr_ok(h, payload)) {
        if (k < 0)
            v->stats.refused_cid++;
        if (h->op != VIRTIO_VSOCK_OP_RST)
            queue_rst_from(v, h->dst_cid, h->src_port, h->dst_port);
        return;
    }
    n = slice_out(v, ch, h->len);
    if (vsock_link_send(v->links[k], h, v->bufs, n, h->len) < 0) {
        v->stats.link_full++;
        if (h->op != VIRTIO_VSOCK_OP_RST)
            queue_rst_from(v, h->dst_cid, h->src_port, h->dst_port);
        return;
    }
    v->stats.peer_packets++;
    v->stats.tx_bytes += h->len;
}

static void guest_packet(struct virtio_vsock *v, const struct virtq_chain *ch)
{
    uint8_t b[VIRTIO_VSOCK_HDR_SIZE];
    uint32_t payload = ch->out_len - VIRTIO_VSOCK_HDR_SIZE;
    struct vsock_conn *c;
    struct virtio_vsock_hdr h;
    int id;

    virtq_chain_read(ch, 0, b, sizeof(b));
    virtio_vsock_hdr_get(&h, b);
    if (h.src_cid != v->guest_cid) {
        /* Spoofed or confused: there is no one to answer. */
        v->stats.dropped_bad_cid++;
        if (svmm_ratelimit_ok(&v->rl, 20))
            svmm_warn("%s: dropping packet from cid %llu (guest cid is %llu)", v->dev.name,
                      (unsigned long long)h.src_cid, (unsigned long long)v->guest_cid);
        return;
    }
    if (h.dst_cid != VIRTIO_VSOCK_HOST_CID) {
        guest_to_peer(v, &h, ch, payload);
        return;
    }
    id = find_conn(v, h.src_port, h.dst_port);
    if (h.op == VIRTIO_VSOCK_OP_RST) {
        if (id >= 0) {
            if (v->conns[id].state == VSOCK_CONNECTING)
                v->backend.connected(v->backend.ctx, (unsigned)id, false);
            close_conn(v, (unsigned)id); /* never answer an RST */
        }
        return;
    }
    if (!guest_hdr_ok(&h, payload)) {
        if (id >= 0)
            reset_conn(v, (unsigned)id);
        else
            queue_rst(v, h.src_port, h.dst_port);
        return;
    }
    if (h.op == VIRTIO_VSOCK_OP_REQUEST) {
        if (id >= 0)
            reset_conn(v, (unsigned)id); /* a second REQUEST for a live connection */
        else
            guest_request(v, &h);
        return;
    }
    if (id < 0) {
        queue_rst(v, h.src_port, h.dst_port);
        return;
    }
    c = &v->conns[id];
    if (h.op == VIRTIO_VSOCK_OP_RESPONSE) {
        if (c->state != VSOCK_CONNECTING) {
            reset_conn(v, (unsigned)id);
            return;
        }
        c->state = VSOCK_ESTABLISHED;
        c->peer_buf_alloc = h.buf_alloc;
        c->peer_fwd_cnt = c->tx_cnt = h.fwd_cnt;
        v->backend.connected(v->backend.ctx, (unsigned)id, true);
        if (v->backend.wake)
            v->backend.wake(v->backend.ctx);
        return;
    }
    if (c->state != VSOCK_ESTABLISHED || !take_peer_credit(c, &h)) {
        reset_conn(v, (unsigned)id);
        return;
    }
    switch (h.op) {
    case VIRTIO_VSOCK_OP_RW:
        guest_rw(v, (unsigned)id, &h, ch);
        break;
    case VIRTIO_VSOCK_OP_SHUTDOWN:
        c->guest_shut |= h.flags;
        if (c->guest_shut == (VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND)) {
            reset_conn(v, (unsigned)id); /* clean close: the peer expects our RST */
        } else if (h.flags) {
            v->backend.shutdown(v->backend.ctx, (unsigned)id, h.flags);
        }
        break;
    case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
        c->pending |= VSOCK_PEND_CREDIT;
        break;
    default: /* CREDIT_UPDATE: taken above */
        break;
    }
}

static void transmit(struct virtio_vsock *v)
{
    struct virtq *q = &v->dev.queues[VIRTIO_VSOCK_TXQ];
    uint16_t old_used = q->used_idx;
    int r = 0;

    if (v->broken || !q->ready)
        return;
    do {
        while ((r = virtq_pop(q, &v->chain)) == 1) {
            if (v->chain.n_in != 0) {
                mark_broken(v, VIRTIO_VSOCK_TXQ, "device-writable buffer in a tx chain");
                goto out;
            }
            if (v->chain.out_len < VIRTIO_VSOCK_HDR_SIZE) {
                mark_broken(v, VIRTIO_VSOCK_TXQ, "tx chain shorter than the vsock header");
                goto out;
            }
            v->stats.tx_packets++;
            guest_packet(v, &v->chain);
            virtq_push(q, v->chain.head, 0);
        }
    } while (r == 0 && virtq_arm_notify(q));
    if (r < 0)
        virtio_dev_queue_error(&v->dev, VIRTIO_VSOCK_TXQ, r);
out:
    virtio_dev_signal_used(&v->dev, VIRTIO_VSOCK_TXQ, old_used);
}

/* ---- device ops ---- */

static void vsock_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct virtio_vsock *v = to_vsock(d);

    if (q == VIRTIO_VSOCK_TXQ)
        transmit(v);
    else if (q == VIRTIO_VSOCK_RXQ)
        v->rx_starved = false;
    /* The event queue carries only TRANSPORT_RESET, which this device never sends. */
    rx_process(v); /* answers to tx, or buffers that arrived */
}

static uint32_t vsock_config_read(struct virtio_dev *d, uint32_t off, unsigned size)
{
    uint8_t cfg[CFG_SIZE];
    uint32_t val = 0;

    le_put(cfg, to_vsock(d)->guest_cid, 8);
    memcpy(&val, cfg + off, size);
    return val;
}

static void vsock_reset(struct virtio_dev *d)
{
    struct virtio_vsock *v = to_vsock(d);

    for (unsigned i = 0; i < VIRTIO_VSOCK_MAX_CONNS; i++)
        if (v->conns[i].state != VSOCK_FREE)
            close_conn(v, i);
    v->rst_head = v->rst_count = 0;
    v->broken = v->rx_starved = false;
    if (v->backend.wake)
        v->backend.wake(v->backend.ctx);
}

static const struct virtio_dev_ops vsock_ops = {
    .queue_notify = vsock_queue_notify,
    .config_read = vsock_config_read,
    .config_write = NULL,
    .reset = vsock_reset,
};

void virtio_vsock_init(struct virtio_vsock *v, uint64_t cid, const struct virtio_vsock_backend *backend)
{
    memset(v, 0, sizeof(*v));
    v->backend = *backend;
    v->guest_cid = cid;
    v->next_local_port = VIRTIO_VSOCK_LOCAL_PORT_BASE;
    v->dev.name = "virtio-vsock";
    v->dev.device_id = VIRTIO_ID_VSOCK;
    v->dev.device_features = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_INDIRECT_DESC | 1ull << VIRTIO_F_EVENT_IDX;
    v->dev.num_queues = 3;
    v->dev.config_size = CFG_SIZE;
    v->dev.ops = &vsock_ops;
}

/* ---- backend entry points ---- */

static bool live(const struct virtio_vsock *v, unsigned id)
{
    return id < VIRTIO_VSOCK_MAX_CONNS && v->conns[id].state != VSOCK_FREE;
}

int virtio_vsock_host_connect(struct virtio_vsock *v, uint32_t guest_port, uint32_t *host_port)
{
    struct vsock_conn *c;
    int id;

    if (v->broken || !v->dev.driver_ok || !v->dev.queues[VIRTIO_VSOCK_RXQ].ready ||
        !v->dev.queues[VIRTIO_VSOCK_TXQ].ready)
        return -1;
    id = alloc_conn(v);
    if (id < 0)
        return -1;
    /* A fresh host port; skip one still used towards this guest port (after wrap-around). */
    do {
        if (++v->next_local_port < VIRTIO_VSOCK_LOCAL_PORT_BASE)
            v->next_local_port = VIRTIO_VSOCK_LOCAL_PORT_BASE;
    } while (find_conn(v, guest_port, v->next_local_port) >= 0);
    c = &v->conns[id];
    memset(c, 0, sizeof(*c));
    c->state = VSOCK_CONNECTING;
    c->guest_port = guest_port;
    c->host_port = v->next_local_port;
    c->pending = VSOCK_PEND_REQUEST;
    *host_port = c->host_port;
    rx_process(v);
    return id;
}

void virtio_vsock_host_readable(struct virtio_vsock *v, unsigned id)
{
    if (!live(v, id))
        return;
    v->conns[id].host_readable = true;
    rx_process(v);
}

void virtio_vsock_host_consumed(struct virtio_vsock *v, unsigned id, uint32_t n)
{
    struct vsock_conn *c;

    if (!live(v, id))
        return;
    c = &v->conns[id];
    if (n > c->rx_cnt - c->fwd_cnt)
        n = c->rx_cnt - c->fwd_cnt;
    c->fwd_cnt += n;
    maybe_credit_update(v, c);
    rx_process(v);
}

void virtio_vsock_host_reset(struct virtio_vsock *v, unsigned id)
{
    if (!live(v, id))
        return;
    reset_conn(v, id);
    rx_process(v);
}

bool virtio_vsock_wants_recv(const struct virtio_vsock *v, unsigned id)
{
    const struct vsock_conn *c;

    if (!live(v, id))
        return false;
    c = &v->conns[id];
    return c->state == VSOCK_ESTABLISHED && !c->host_readable && !(c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_RCV) &&
           !(c->host_shut & VIRTIO_VSOCK_SHUTDOWN_SEND);
}

int virtio_vsock_add_link(struct virtio_vsock *v, struct vsock_link *l)
{
    if (v->nlinks == VIRTIO_VSOCK_MAX_LINKS || l->peer_cid == VIRTIO_VSOCK_HOST_CID || l->peer_cid == v->guest_cid ||
        find_link(v, l->peer_cid) >= 0)
        return -1;
    /* Invariant: nlinks < VIRTIO_VSOCK_MAX_LINKS here. */
    v->links[v->nlinks++] = l;
    return 0;
}

void virtio_vsock_links_notified(struct virtio_vsock *v)
{
    rx_process(v);
}
