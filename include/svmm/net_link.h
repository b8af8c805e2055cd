/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A VMM's end of a virtual switch port: a virtio-net backend over a netq link (netq.h). Frames the
 * guest sends are copied from guest memory into this VMM's tx buffers (the copy that keeps guest
 * memory private) and published to the switch; frames for the guest arrive in the switch's rx
 * buffers, read-only here, and go into the guest's receive buffers through virtio_net_receive.
 *
 * Platform-free. The platform maps the link's regions, supplies two callbacks and calls
 * net_link_service when the switch notifies it or when `wake` asked for it:
 *   notify(ctx): signal the switch (seL4: microkit_notify; hosted: an eventfd);
 *   wake(ctx):   run net_link_service soon, outside the device (called with the device lock held,
 *                when the guest posts receive buffers after a receive found none).
 * Everything runs under the platform's device serialisation (the same lock as the virtio device).
 */
#ifndef SVMM_NET_LINK_H
#define SVMM_NET_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <svmm/netq.h>
#include <svmm/virtio_net.h>

/* Counters of one link, for the exit log. */
struct net_link_stats {
    uint64_t tx_too_big;   /* guest frames larger than a link buffer: dropped */
    uint64_t rx_malformed; /* switch frames shorter than the virtio-net header: dropped */
    uint64_t notifies;     /* signals sent to the switch */
};

/* A VMM's end of a switch port: the virtio-net device and both directions of its netq link. */
struct net_link {
    struct virtio_net net;  /* the device (attach net.dev to a virtio slot) */
    struct netq_sender tx;  /* our buffers, frames to the switch */
    struct netq_receiver rx;/* the switch's buffers, frames for the guest */
    struct netq_link_info *info; /* in the queue region: what we tell the switch */
    uint64_t published_rx;  /* rx offloads last written to info */
    void (*notify)(void *ctx); /* signal the switch (see above) */
    void (*wake)(void *ctx);   /* run net_link_service soon, outside the device (see above) */
    void *ctx;                 /* passed to notify and wake */
    bool tx_waiting;        /* the device holds a frame until tx buffers come back */
    bool rx_waiting;        /* the guest had no receive buffers for the frame at the ring's head */
    struct net_link_stats stats; /* counters, for the exit log */
};

/*
 * Set up the link over mapped regions (`queues`: netq_link_queue_bytes(nbufs); `tx_data` writable,
 * `rx_data` read-only, nbufs * buf_size bytes each) and initialise the virtio-net device with MAC
 * `mac` (NULL: the default). Returns -1 on a bad geometry.
 */
int net_link_init(struct net_link *l, const uint8_t *mac, void *queues, void *tx_data, const void *rx_data,
                  uint32_t nbufs, uint32_t buf_size, void (*notify)(void *), void (*wake)(void *), void *ctx);

/*
 * The switch notified us, or wake() asked: hand received frames to the guest, return their
 * buffers, resume a transmit that waited for buffers, and re-arm notifications. Bounded: at most
 * nbufs frames per call; returns true if it should be called again at once.
 */
bool net_link_service(struct net_link *l);

#endif
