/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-net backend over a netq link to the virtual switch (net_link.h). */
#include <string.h>
#include <svmm/net_link.h>

#define NET_HDR VIRTIO_NET_HDR_SIZE
#define NET_LINK_CSUM_OFFLOADS (VIRTIO_NET_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_CSUM))
#define NET_LINK_TSO_OFFLOADS                                                                                   \
    (VIRTIO_NET_BIT(VIRTIO_NET_F_HOST_TSO4) | VIRTIO_NET_BIT(VIRTIO_NET_F_HOST_TSO6) |                         \
     VIRTIO_NET_BIT(VIRTIO_NET_F_HOST_ECN) | VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO4) |                         \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO6) | VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_ECN))

static void signal_switch(struct net_link *l, struct netq_ring *ring)
{
    if (netq_must_notify(ring)) {
        l->stats.notifies++;
        l->notify(l->ctx);
    }
}

/* Tell the switch which offloaded frames our guest accepts (they change when the driver starts or resets). */
static void publish_rx_offloads(struct net_link *l)
{
    uint64_t rx = virtio_net_rx_offloads(&l->net);

    if (rx != l->published_rx) {
        __atomic_store_n(&l->info->rx_features, rx, __ATOMIC_RELAXED);
        l->published_rx = rx;
    }
}

/* Called by the device, under the device lock, for each frame the guest sends. */
static enum virtio_net_tx_result link_send(void *ctx, const struct virtio_net_hdr *hdr,
                                           const struct virtio_net_frag *frags, unsigned n, size_t len)
{
    struct net_link *l = ctx;
    uint32_t idx;
    uint8_t *buf;
    size_t off = NET_HDR;

    publish_rx_offloads(l); /* before the first frame that may get answers */

    if (len > l->tx.buf_size - NET_HDR) {
        l->stats.tx_too_big++;
        return VIRTIO_NET_TX_DROPPED;
    }
    buf = netq_sender_get(&l->tx, &idx);
    if (buf == NULL) {
        /* Every buffer is with the switch: ask to hear when some come back, unless some just did. */
        if (!netq_ask_notify(l->tx.free, l->tx.free_head) || (buf = netq_sender_get(&l->tx, &idx)) == NULL) {
            l->tx_waiting = true;
            return VIRTIO_NET_TX_BUSY;
        }
    }
    /* The offload request travels with the frame: the receiving guest's VMM checks it again. */
    virtio_net_hdr_put(buf, hdr, 0);
    /* Invariant: off + frags[i].len <= NET_HDR + len <= buf_size (the fragments add up to len). */
    for (unsigned i = 0; i < n; i++) {
        memcpy(buf + off, frags[i].base, frags[i].len);
        off += frags[i].len;
    }
    netq_send(&l->tx, idx, (uint32_t)off);
    signal_switch(l, l->tx.active);
    return VIRTIO_NET_TX_OK;
}

static void link_rx_ready(void *ctx)
{
    struct net_link *l = ctx;

    if (l->rx_waiting)
        l->wake(l->ctx);
}

int net_link_init(struct net_link *l, const uint8_t *mac, void *queues, void *tx_data, const void *rx_data,
                  uint32_t nbufs, uint32_t buf_size, void (*notify)(void *), void (*wake)(void *), void *ctx)
{
    struct virtio_net_backend be = { .ctx = l, .send = link_send, .rx_ready = link_rx_ready };
    struct netq_link_rings rings;

    /* Offloaded frames cross the switch untouched; segmentation needs buffers for 64 KiB frames. */
    be.offloads = NET_LINK_CSUM_OFFLOADS;
    if (buf_size >= NET_HDR + VIRTIO_NET_MAX_FRAME)
        be.offloads |= NET_LINK_TSO_OFFLOADS;

    memset(l, 0, sizeof(*l));
    if (buf_size <= NET_HDR)
        return -1;
    netq_link_rings(queues, nbufs, &rings);
    if (netq_sender_init(&l->tx, rings.tx_active, rings.tx_free, tx_data, nbufs, buf_size) < 0 ||
        netq_receiver_init(&l->rx, rings.rx_active, rings.rx_free, rx_data, nbufs, buf_size) < 0)
        return -1;
    l->info = rings.info;
    __atomic_store_n(&l->info->rx_features, 0, __ATOMIC_RELAXED);
    l->notify = notify;
    l->wake = wake;
    l->ctx = ctx;
    virtio_net_init(&l->net, mac, &be);
    return 0;
}

/* Hand the guest what the switch delivered, up to one ring's worth; false once the ring is empty. */
static bool deliver_rx(struct net_link *l)
{
    for (uint32_t n = 0; n < l->rx.nbufs; n++) {
        uint32_t len;
        const uint8_t *frame = netq_recv_peek(&l->rx, &len);
        struct virtio_net_hdr hdr;
        int r;

        if (frame == NULL)
            return false;
        if (len < NET_HDR) {
            l->stats.rx_malformed++;
            netq_recv_done(&l->rx);
            continue;
        }
        virtio_net_hdr_get(&hdr, frame); /* a private copy: the device validates that one */
        r = virtio_net_receive(&l->net, &hdr, frame + NET_HDR, len - NET_HDR);
        if (r == VIRTIO_NET_RX_NO_BUFFERS) {
            l->rx_waiting = true; /* keep it on the ring; link_rx_ready wakes us */
            return false;
        }
        l->rx_waiting = false;
        netq_recv_done(&l->rx);
    }
    return true;
}

bool net_link_service(struct net_link *l)
{
    bool more;

    publish_rx_offloads(l);
    more = deliver_rx(l);

    signal_switch(l, l->rx.free);
    if (l->tx_waiting && netq_sender_room(&l->tx) > 0) {
        l->tx_waiting = false;
        virtio_net_tx_kick(&l->net); /* may set tx_waiting again */
    }
    if (!more && !l->rx_waiting && netq_ask_notify(l->rx.active, l->rx.active_head))
        more = true;
    return more;
}
