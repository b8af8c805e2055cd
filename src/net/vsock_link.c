/* SPDX-License-Identifier: BSD-2-Clause */
/* One VMM's end of a VM-to-VM vsock link: guest packets relayed over netq, peer packets validated (vsock_link.h). */
#include <string.h>
#include <svmm/vsock_link.h>

#define HDR VIRTIO_VSOCK_HDR_SIZE

int vsock_link_init(struct vsock_link *l, uint64_t local_cid, uint64_t peer_cid, bool server, void *queues,
                    void *send_data, const void *recv_data, uint32_t nbufs, uint32_t buf_size,
                    void (*notify)(void *), void *ctx)
{
    struct netq_link_rings r;
    int e;

    memset(l, 0, sizeof(*l));
    /* A buffer must carry a header and at least one payload byte, or data could never cross. */
    if (buf_size <= HDR || !netq_geometry_ok(nbufs, buf_size))
        return -1;
    netq_link_rings(queues, nbufs, &r);
    if (server)
        e = netq_sender_init(&l->tx, r.rx_active, r.rx_free, send_data, nbufs, buf_size) |
            netq_receiver_init(&l->rx, r.tx_active, r.tx_free, recv_data, nbufs, buf_size);
    else
        e = netq_sender_init(&l->tx, r.tx_active, r.tx_free, send_data, nbufs, buf_size) |
            netq_receiver_init(&l->rx, r.rx_active, r.rx_free, recv_data, nbufs, buf_size);
    if (e < 0)
        return -1;
    l->local_cid = local_cid;
    l->peer_cid = peer_cid;
    l->notify = notify;
    l->ctx = ctx;
    l->up = true;
    return 0;
}

/*
 * Payload bytes per link packet: what a buffer holds, but no more than a Linux guest's receive
 * buffer, so a piece lands in one guest buffer instead of a full one and a crumb. > 0: the buffer
 * size was checked by vsock_link_init.
 */
static uint32_t piece_max(const struct vsock_link *l)
{
    return l->tx.buf_size - HDR < VSOCK_LINK_PAYLOAD ? l->tx.buf_size - HDR : VSOCK_LINK_PAYLOAD;
}

uint32_t vsock_link_pieces(const struct vsock_link *l, uint32_t len)
{
    uint32_t per = piece_max(l);

    return len == 0 ? 1 : len / per + (len % per != 0);
}

/* Copy `len` bytes of the guest's pieces, starting `skip` bytes in, to `dst`. */
static void gather(uint8_t *dst, const struct virtio_vsock_buf *b, unsigned n, size_t skip, size_t len)
{
    for (unsigned i = 0; i < n && len > 0; i++) {
        size_t k;
        if (skip >= b[i].len) {
            skip -= b[i].len;
            continue;
        }
        k = b[i].len - skip;
        if (k > len)
            k = len;
        memcpy(dst, (const uint8_t *)b[i].base + skip, k);
        dst += k;
        len -= k;
        skip = 0;
    }
}

int vsock_link_send(struct vsock_link *l, const struct virtio_vsock_hdr *h, const struct virtio_vsock_buf *b,
                    unsigned n, size_t len)
{
    uint32_t per, pieces;
    size_t off = 0;

    if (!l->up || len > VIRTIO_VSOCK_MAX_PAYLOAD || len != h->len)
        return -1;
    per = piece_max(l);
    pieces = vsock_link_pieces(l, (uint32_t)len);
    if (netq_sender_room(&l->tx) < pieces) {
        l->stats.full++;
        return -1;
    }
    for (uint32_t p = 0; p < pieces; p++) {
        struct virtio_vsock_hdr ph = *h;
        uint32_t idx;
        uint8_t *buf = netq_sender_get(&l->tx, &idx);
        uint32_t k = len - off > per ? per : (uint32_t)(len - off);

        if (buf == NULL)
            return -1; /* cannot happen: room was counted above and nothing else takes buffers */
        ph.len = k;
        virtio_vsock_hdr_put(buf, &ph);
        /* Invariant: HDR + k <= HDR + per <= buf_size, so the copy stays inside this buffer. */
        gather(buf + HDR, b, n, off, k);
        netq_send(&l->tx, idx, HDR + k);
        off += k;
        l->stats.sent++;
    }
    l->sent_unsignalled = true;
    return 0;
}

/* The boundary check of a peer packet (vsock_link.h, "Trust"): `len` is the descriptor's length. */
static bool peer_packet_ok(const struct vsock_link *l, const struct virtio_vsock_hdr *h, uint32_t len)
{
    return h->src_cid == l->peer_cid && h->dst_cid == l->local_cid && h->type == VIRTIO_VSOCK_TYPE_STREAM &&
           h->op >= VIRTIO_VSOCK_OP_REQUEST && h->op <= VIRTIO_VSOCK_OP_CREDIT_REQUEST && h->len == len - HDR &&
           (h->op == VIRTIO_VSOCK_OP_RW || h->len == 0) &&
           (h->op != VIRTIO_VSOCK_OP_SHUTDOWN ||
            !(h->flags & ~(VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND)));
}

/* Hand the packet at the head back to the peer. */
static void consume(struct vsock_link *l)
{
    netq_recv_done(&l->rx);
    l->have_pkt = false;
    l->returned_unsignalled = true;
}

const struct virtio_vsock_hdr *vsock_link_peek(struct vsock_link *l)
{
    if (!l->up)
        return NULL;
    /* Bounded: each pass consumes one packet, and at most nbufs can be on the ring. */
    for (uint32_t i = 0; !l->have_pkt && i <= l->rx.nbufs; i++) {
        uint8_t b[HDR];
        uint32_t len;
        const uint8_t *p = netq_recv_peek(&l->rx, &len);

        if (p == NULL)
            return NULL;
        if (len < HDR) {
            l->stats.bad_packets++;
            consume(l);
            continue;
        }
        /* One private copy of the header: the peer may rewrite its buffer at any time. */
        memcpy(b, p, HDR);
        virtio_vsock_hdr_get(&l->cur, b);
        if (!peer_packet_ok(l, &l->cur, len)) {
            l->stats.bad_packets++;
            consume(l);
            continue;
        }
        l->cur_payload = p + HDR;
        l->cur_off = 0;
        l->have_pkt = true;
        l->stats.received++;
    }
    return l->have_pkt ? &l->cur : NULL;
}

uint32_t vsock_link_take(struct vsock_link *l, const struct virtq_chain *ch)
{
    uint8_t b[HDR];
    struct virtio_vsock_hdr h;
    uint32_t room, k;

    if (!l->have_pkt || ch->in_len < HDR)
        return 0;
    room = ch->in_len - HDR;
    /* cur.len was checked against the descriptor, which netq checked against buf_size. */
    k = l->cur.len - l->cur_off;
    if (k > room)
        k = room;
    if (k == 0 && l->cur.len != 0)
        return 0;
    h = l->cur;
    h.len = k;
    virtio_vsock_hdr_put(b, &h);
    virtq_chain_write(ch, 0, b, HDR);
    /* Invariant: cur_off + k <= cur.len, so the source stays inside the peer's buffer. */
    virtq_chain_write(ch, HDR, l->cur_payload + l->cur_off, k);
    l->cur_off += k;
    if (l->cur_off == l->cur.len)
        consume(l);
    return HDR + k;
}

bool vsock_link_finish(struct vsock_link *l, bool want_rx)
{
    bool tell = false;

    if (!l->up)
        return false;
    if (l->sent_unsignalled && netq_must_notify(l->tx.active))
        tell = true;
    if (l->returned_unsignalled && netq_must_notify(l->rx.free))
        tell = true;
    l->sent_unsignalled = l->returned_unsignalled = false;
    if (tell) {
        l->stats.notifies++;
        l->notify(l->ctx);
    }
    return want_rx && !l->have_pkt && netq_ask_notify(l->rx.active, l->rx.active_head);
}
