/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include <svmm/le.h>
#include <svmm/log.h>
#include <svmm/virtio_net.h>

/* Config space: mac[6], status (le16), max_virtqueue_pairs (le16). */
#define CFG_SIZE 10

#define F(bit) VIRTIO_NET_BIT(VIRTIO_NET_F_##bit)

static const uint8_t default_mac[6] = { 0x02, 0x73, 0x76, 0x6d, 0x00, 0x00 };

static struct virtio_net *to_net(struct virtio_dev *d)
{
    return (struct virtio_net *)((char *)d - offsetof(struct virtio_net, dev));
}

/* A structural violation by the driver: stop the device until it is reset. */
static void mark_broken(struct virtio_net *n, unsigned q, const char *why)
{
    if (n->broken)
        return;
    n->broken = true;
    if (svmm_ratelimit_ok(&n->dev.queue_error_rl, 20))
        svmm_warn("%s: queue %u: %s: device needs reset", n->dev.name, q, why);
    if (n->dev.transport.needs_reset)
        n->dev.transport.needs_reset(n->dev.transport.ctx);
}

static void dropped(struct virtio_net *n, const char *what, size_t len)
{
    if (svmm_ratelimit_ok(&n->drop_rl, 10))
        svmm_warn("%s: dropping %s (%zu bytes)", n->dev.name, what, len);
}

/* ---- the header ---- */

void virtio_net_hdr_get(struct virtio_net_hdr *h, const uint8_t p[VIRTIO_NET_HDR_SIZE])
{
    h->flags = p[0];
    h->gso_type = p[1];
    h->hdr_len = le16(p + 2);
    h->gso_size = le16(p + 4);
    h->csum_start = le16(p + 6);
    h->csum_offset = le16(p + 8);
}

void virtio_net_hdr_put(uint8_t p[VIRTIO_NET_HDR_SIZE], const struct virtio_net_hdr *h, uint16_t num_buffers)
{
    p[0] = h->flags;
    p[1] = h->gso_type;
    le_put(p + 2, h->hdr_len, 2);
    le_put(p + 4, h->gso_size, 2);
    le_put(p + 6, h->csum_start, 2);
    le_put(p + 8, h->csum_offset, 2);
    le_put(p + 10, num_buffers, 2);
}

/*
 * The feature a segmentation type needs in one direction, 0 for an unknown type. UDP_L4 on receive
 * needs both USO4 and USO6: which one applies depends on the IP version, which the device does not
 * parse.
 */
static uint64_t gso_feature(uint8_t type, bool tx)
{
    switch (type) {
    case VIRTIO_NET_HDR_GSO_TCPV4: return tx ? F(HOST_TSO4) : F(GUEST_TSO4);
    case VIRTIO_NET_HDR_GSO_TCPV6: return tx ? F(HOST_TSO6) : F(GUEST_TSO6);
    case VIRTIO_NET_HDR_GSO_UDP: return tx ? F(HOST_UFO) : F(GUEST_UFO);
    case VIRTIO_NET_HDR_GSO_UDP_L4: return tx ? F(HOST_USO) : F(GUEST_USO4) | F(GUEST_USO6);
    default: return 0;
    }
}

/*
 * What both directions share: the checksum field inside the frame, the segmentation type negotiated
 * (ECN only on TCP and only with its own feature), a segment size, hdr_len inside the frame. All
 * sums are in uint32_t from 16-bit fields, so they cannot wrap.
 */
static const char *check_common(const struct virtio_net_hdr *h, size_t len, uint64_t features, bool tx)
{
    uint8_t type = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
    uint64_t need = gso_feature(type, tx);

    if ((h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && (uint32_t)h->csum_start + h->csum_offset + 2u > len)
        return "checksum field beyond the frame";
    if (h->hdr_len > len)
        return "hdr_len beyond the frame";
    if (type == VIRTIO_NET_HDR_GSO_NONE)
        return (h->gso_type & VIRTIO_NET_HDR_GSO_ECN) ? "ECN bit without segmentation" : NULL;
    if (need == 0)
        return "unknown gso_type";
    if ((features & need) != need)
        return "segmentation not negotiated";
    if (h->gso_type & VIRTIO_NET_HDR_GSO_ECN) {
        if (type != VIRTIO_NET_HDR_GSO_TCPV4 && type != VIRTIO_NET_HDR_GSO_TCPV6)
            return "ECN bit on a non-TCP segmentation";
        if (!(features & (tx ? F(HOST_ECN) : F(GUEST_ECN))))
            return "ECN segmentation not negotiated";
    }
    if (h->gso_size == 0)
        return "segmentation with gso_size 0";
    return NULL;
}

const char *virtio_net_hdr_check_tx(struct virtio_net_hdr *h, size_t len, uint64_t features)
{
    const char *why;

    /* The device ignores flags it does not know, and DATA_VALID, which a driver must not set (5.1.6.2). */
    h->flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM;
    if (h->flags && !(features & F(CSUM)))
        return "checksum offload not negotiated";
    why = check_common(h, len, features, true);
    if (why != NULL)
        return why;
    if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE && !h->flags)
        return "segmentation without NEEDS_CSUM"; /* a driver must set both (5.1.6.2.1) */
    /* Fields the device must not use stay out of the backend's sight. */
    if (!h->flags)
        h->csum_start = h->csum_offset = 0;
    if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE)
        h->gso_size = 0;
    return NULL;
}

const char *virtio_net_hdr_check_rx(struct virtio_net_hdr *h, size_t len, uint64_t features)
{
    if (h->flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
        return "unknown header flags";
    /*
     * Without GUEST_CSUM flags must be 0 (5.1.6.3.2). DATA_VALID only spares the guest a check it
     * then does itself, so it is cleared (a Linux tap sets it whatever TUNSETOFFLOAD says); a
     * partial checksum cannot be passed on.
     */
    if (!(features & F(GUEST_CSUM)))
        h->flags &= (uint8_t)~VIRTIO_NET_HDR_F_DATA_VALID;
    if (h->flags && !(features & F(GUEST_CSUM)))
        return "partial checksum, GUEST_CSUM not negotiated";
    /*
     * Segmentation without NEEDS_CSUM is allowed on receive: a frame the host merged (GRO) arrives
     * with DATA_VALID instead, and Linux drivers accept that.
     */
    return check_common(h, len, features, false);
}

uint64_t virtio_net_rx_offloads(const struct virtio_net *n)
{
    return n->dev.driver_ok ? n->dev.driver_features & VIRTIO_NET_RX_OFFLOADS : 0;
}

/*
 * The offloads offered for a backend that handles `o`: only known ones, and only with their
 * prerequisites (VirtIO 1.2 5.1.3.1), so that a driver that takes all it is offered is consistent.
 */
static uint64_t offered_offloads(uint64_t o)
{
    o &= VIRTIO_NET_OFFLOADS;
    if (!(o & F(CSUM)))
        o &= ~(F(HOST_TSO4) | F(HOST_TSO6) | F(HOST_UFO) | F(HOST_USO));
    if (!(o & (F(HOST_TSO4) | F(HOST_TSO6))))
        o &= ~F(HOST_ECN);
    if (!(o & F(GUEST_CSUM)))
        o &= ~(F(GUEST_TSO4) | F(GUEST_TSO6) | F(GUEST_UFO) | F(GUEST_USO4) | F(GUEST_USO6));
    if (!(o & (F(GUEST_TSO4) | F(GUEST_TSO6))))
        o &= ~F(GUEST_ECN);
    return o;
}

/* ---- transmit ---- */

/* Validate one tx chain and hand its frame to the backend. Returns the backend's verdict. */
static enum virtio_net_tx_result send_chain(struct virtio_net *n, const struct virtq_chain *c)
{
    uint8_t raw[VIRTIO_NET_HDR_SIZE];
    struct virtio_net_hdr hdr;
    uint32_t skip = VIRTIO_NET_HDR_SIZE, len = c->out_len - VIRTIO_NET_HDR_SIZE;
    unsigned nf = 0;
    const char *why;

    /*
     * The header is copied out of guest memory once and checked on the copy: the backend sees
     * exactly what was checked, whatever the guest writes meanwhile (a held BUSY frame is checked
     * again on its retry, from a fresh copy).
     */
    virtq_chain_read(c, 0, raw, sizeof(raw));
    virtio_net_hdr_get(&hdr, raw);
    if (len == 0 || len > VIRTIO_NET_MAX_FRAME) {
        dropped(n, len == 0 ? "empty tx frame" : "oversized tx frame", len);
        return VIRTIO_NET_TX_DROPPED;
    }
    why = virtio_net_hdr_check_tx(&hdr, len, n->dev.driver_features & n->dev.device_features);
    if (why != NULL) {
        dropped(n, why, len);
        return VIRTIO_NET_TX_DROPPED;
    }
    if (!(n->status & VIRTIO_NET_S_LINK_UP))
        return VIRTIO_NET_TX_DROPPED;
    for (uint16_t i = 0; i < c->n_out; i++) {
        if (skip >= c->iov[i].len) {
            skip -= c->iov[i].len;
            continue;
        }
        /* nf <= i < n_out <= VIRTQ_MAX_SIZE (virtq_pop's chain budget): within frags[]. */
        if (nf >= VIRTQ_MAX_SIZE)
            break;
        n->frags[nf++] = (struct virtio_net_frag){ c->iov[i].host + skip, c->iov[i].len - skip };
        skip = 0;
    }
    return n->backend.send(n->backend.ctx, &hdr, n->frags, nf, len);
}

/* Account for the backend's verdict on a chain; false when it is busy (keep the chain). */
static bool tx_done(struct virtio_net *n, struct virtq *q, enum virtio_net_tx_result r)
{
    if (r == VIRTIO_NET_TX_BUSY) {
        n->tx_pending = true;
        n->stats.tx_busy++;
        return false;
    }
    if (r == VIRTIO_NET_TX_OK) {
        n->stats.tx_packets++;
        n->stats.tx_bytes += n->tx_chain.out_len - VIRTIO_NET_HDR_SIZE;
    } else {
        n->stats.tx_dropped++;
    }
    n->tx_pending = false;
    virtq_push(q, n->tx_chain.head, 0);
    return true;
}

/*
 * Drain the tx ring; with `arm`, ask for a notification when it is empty and drain what raced in.
 * Returns the chains given back (sent or dropped).
 */
static unsigned transmit(struct virtio_net *n, bool arm)
{
    struct virtq *q = &n->dev.queues[VIRTIO_NET_TXQ];
    uint16_t old_used = q->used_idx;
    int r = 0;

    if (n->broken || !q->ready)
        return 0;
    if (n->tx_pending && !tx_done(n, q, send_chain(n, &n->tx_chain)))
        goto out;
    do {
        while ((r = virtq_pop(q, &n->tx_chain)) == 1) {
            if (n->tx_chain.n_in != 0) {
                mark_broken(n, VIRTIO_NET_TXQ, "device-writable buffer in a tx chain");
                goto out;
            }
            if (n->tx_chain.out_len < VIRTIO_NET_HDR_SIZE) {
                mark_broken(n, VIRTIO_NET_TXQ, "tx chain shorter than the virtio-net header");
                goto out;
            }
            if (!tx_done(n, q, send_chain(n, &n->tx_chain)))
                goto out;
        }
    } while (r == 0 && arm && virtq_arm_notify(q));
    if (r < 0)
        virtio_dev_queue_error(&n->dev, VIRTIO_NET_TXQ, r);
out:
    virtio_dev_signal_used(&n->dev, VIRTIO_NET_TXQ, old_used);
    return (uint16_t)(q->used_idx - old_used);
}

void virtio_net_tx_kick(struct virtio_net *n)
{
    transmit(n, true);
}

unsigned virtio_net_tx_poll(struct virtio_net *n, bool arm)
{
    /*
     * The transport refuses notifications before DRIVER_OK and once the device needs a reset (a
     * broken device or a queue error); a poll is no different.
     */
    if (!n->dev.driver_ok || n->dev.queues[VIRTIO_NET_TXQ].error != VIRTQ_OK ||
        n->dev.queues[VIRTIO_NET_RXQ].error != VIRTQ_OK)
        return 0;
    return transmit(n, arm);
}

/* ---- receive ---- */

int virtio_net_receive(struct virtio_net *n, const struct virtio_net_hdr *hdr_in, const void *frame, size_t len)
{
    struct virtio_net_hdr h = { 0 };
    struct virtq *q = &n->dev.queues[VIRTIO_NET_RXQ];
    bool mrg = virtio_has_feature(&n->dev, VIRTIO_NET_F_MRG_RXBUF);
    const uint8_t *src = frame;
    uint8_t hdr[VIRTIO_NET_HDR_SIZE];
    uint16_t nbufs = 0, old_used;
    size_t off = 0;
    const char *why;

    if (len == 0 || len > VIRTIO_NET_MAX_FRAME || n->broken || !(n->status & VIRTIO_NET_S_LINK_UP)) {
        n->stats.rx_dropped++;
        return VIRTIO_NET_RX_DROPPED;
    }
    if (!n->dev.driver_ok || !q->ready || q->error != VIRTQ_OK) {
        n->rx_waiting = true;
        n->stats.rx_no_buffers++;
        return VIRTIO_NET_RX_NO_BUFFERS;
    }
    /* Checked only now: until DRIVER_OK the features are not settled and the frame waits. */
    if (hdr_in != NULL)
        h = *hdr_in;
    why = virtio_net_hdr_check_rx(&h, len, n->dev.driver_features & n->dev.device_features);
    if (why != NULL) {
        dropped(n, why, len);
        n->stats.rx_dropped++;
        return VIRTIO_NET_RX_DROPPED;
    }
    old_used = q->used_idx;
    while (nbufs == 0 || off < len) {
        struct virtq_chain *c = nbufs == 0 ? &n->rx_first : &n->rx_chain;
        uint32_t start = nbufs == 0 ? VIRTIO_NET_HDR_SIZE : 0, room, k;
        int r = virtq_pop(q, c);

        if (r < 0) {
            virtio_dev_queue_error(&n->dev, VIRTIO_NET_RXQ, r);
            n->stats.rx_dropped++;
            return VIRTIO_NET_RX_DROPPED;
        }
        if (r == 0) {
            if (nbufs == q->num) { /* the whole ring cannot hold it: it never will */
                virtq_unpop(q, nbufs);
                dropped(n, "rx frame larger than all receive buffers", len);
                n->stats.rx_dropped++;
                return VIRTIO_NET_RX_DROPPED;
            }
            /*
             * Ask for a notification on the next buffer while every available buffer is still
             * popped (so avail_event is the driver's current avail index), then look once more
             * for buffers that raced in: with them, carry on filling.
             */
            if (virtq_arm_notify(q))
                continue;
            virtq_unpop(q, nbufs);
            n->rx_waiting = true;
            n->stats.rx_no_buffers++;
            return VIRTIO_NET_RX_NO_BUFFERS;
        }
        if (c->n_out != 0) {
            mark_broken(n, VIRTIO_NET_RXQ, "device-readable buffer in an rx chain");
            n->stats.rx_dropped++;
            return VIRTIO_NET_RX_DROPPED;
        }
        if (c->in_len < VIRTIO_NET_HDR_SIZE) {
            mark_broken(n, VIRTIO_NET_RXQ, "rx buffer smaller than the virtio-net header");
            n->stats.rx_dropped++;
            return VIRTIO_NET_RX_DROPPED;
        }
        if (!mrg && c->in_len < len + VIRTIO_NET_HDR_SIZE) {
            /* Without mergeable buffers one chain must hold the frame: leave the buffer unused. */
            virtq_unpop(q, 1);
            dropped(n, "rx frame larger than the receive buffer", len);
            n->stats.rx_dropped++;
            return VIRTIO_NET_RX_DROPPED;
        }
        /* nbufs < in_flight <= num <= VIRTQ_MAX_SIZE (virtq_pop never exceeds num in flight). */
        if (nbufs >= VIRTQ_MAX_SIZE) {
            virtq_unpop(q, (uint16_t)(nbufs + 1));
            n->stats.rx_dropped++;
            return VIRTIO_NET_RX_DROPPED;
        }
        room = c->in_len - start;
        k = len - off < room ? (uint32_t)(len - off) : room;
        virtq_chain_write(c, start, src + off, k);
        off += k;
        n->rx_heads[nbufs] = c->head;
        n->rx_lens[nbufs] = start + k;
        nbufs++;
    }
    virtio_net_hdr_put(hdr, &h, nbufs);
    virtq_chain_write(&n->rx_first, 0, hdr, sizeof(hdr));
    for (uint16_t i = 0; i < nbufs; i++)
        virtq_push(q, n->rx_heads[i], n->rx_lens[i]);
    n->stats.rx_packets++;
    n->stats.rx_bytes += len;
    n->stats.rx_buffers_used += nbufs;
    virtio_dev_signal_used(&n->dev, VIRTIO_NET_RXQ, old_used);
    return VIRTIO_NET_RX_DELIVERED;
}

/* ---- device ops ---- */

static void net_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct virtio_net *n = to_net(d);

    if (q == VIRTIO_NET_TXQ) {
        transmit(n, !n->tx_polled); /* a polling backend arms when its polls come up empty */
    } else if (q == VIRTIO_NET_RXQ && n->rx_waiting) {
        n->rx_waiting = false;
        if (n->backend.rx_ready)
            n->backend.rx_ready(n->backend.ctx);
    }
}

static uint32_t net_config_read(struct virtio_dev *d, uint32_t off, unsigned size)
{
    struct virtio_net *n = to_net(d);
    uint8_t cfg[CFG_SIZE];
    uint32_t v = 0;

    memcpy(cfg, n->mac, 6);
    cfg[6] = (uint8_t)n->status;
    cfg[7] = (uint8_t)(n->status >> 8);
    cfg[8] = 1; /* max_virtqueue_pairs (only meaningful with MQ) */
    cfg[9] = 0;
    memcpy(&v, cfg + off, size);
    return v;
}

static void net_reset(struct virtio_dev *d)
{
    struct virtio_net *n = to_net(d);

    /* Work is synchronous: the only thing in flight is a frame the backend said it was busy for. */
    n->tx_pending = false;
    n->broken = false;
    n->rx_waiting = true; /* the backend may hold a frame: wake it once the driver posts buffers */
}

static const struct virtio_dev_ops net_ops = {
    .queue_notify = net_queue_notify,
    .config_read = net_config_read,
    .config_write = NULL, /* the MAC is read-only in VirtIO 1.x */
    .reset = net_reset,
};

void virtio_net_init(struct virtio_net *n, const uint8_t mac[6], const struct virtio_net_backend *backend)
{
    memset(n, 0, sizeof(*n));
    n->backend = *backend;
    memcpy(n->mac, mac ? mac : default_mac, 6);
    n->status = VIRTIO_NET_S_LINK_UP;
    n->dev.name = "virtio-net";
    n->dev.device_id = VIRTIO_ID_NET;
    n->dev.device_features = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_INDIRECT_DESC |
                             1ull << VIRTIO_F_EVENT_IDX | 1ull << VIRTIO_NET_F_MAC |
                             1ull << VIRTIO_NET_F_STATUS | 1ull << VIRTIO_NET_F_MRG_RXBUF |
                             offered_offloads(backend->offloads);
    n->dev.num_queues = 2;
    n->dev.config_size = CFG_SIZE;
    n->dev.ops = &net_ops;
    n->rx_waiting = true;
}

void virtio_net_set_link(struct virtio_net *n, bool up)
{
    uint16_t s = up ? VIRTIO_NET_S_LINK_UP : 0;

    if (s == n->status)
        return;
    n->status = s;
    /* The driver reads status again on a configuration change interrupt (5.1.4.2). */
    if (virtio_has_feature(&n->dev, VIRTIO_NET_F_STATUS) && n->dev.transport.interrupt)
        n->dev.transport.interrupt(n->dev.transport.ctx, VIRTIO_ISR_CONFIG);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int virtio_net_parse_mac(const char *s, uint8_t mac[6])
{
    uint8_t m[6];

    for (unsigned i = 0; i < 6; i++) {
        int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);
        if (lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
            return -1;
        m[i] = (uint8_t)(hi << 4 | lo);
        s += 3;
    }
    if (m[0] & 1)
        return -1; /* multicast/broadcast cannot be a station address */
    memcpy(mac, m, 6);
    return 0;
}

static enum virtio_net_tx_result null_send(void *ctx, const struct virtio_net_hdr *hdr,
                                          const struct virtio_net_frag *frags, unsigned n, size_t len)
{
    (void)ctx;
    (void)hdr;
    (void)frags;
    (void)n;
    (void)len;
    return VIRTIO_NET_TX_OK;
}

/* No offloads: a sink gains nothing from them, and plain frames keep the seL4 guest's view unchanged. */
const struct virtio_net_backend virtio_net_null_backend = {
    .ctx = NULL, .offloads = 0, .send = null_send, .rx_ready = NULL,
};
