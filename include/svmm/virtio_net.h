/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net (VirtIO 1.2 section 5.1): one rx/tx queue pair, MAC, link status, mergeable receive
 * buffers; no offloads (no CSUM, no GSO: every frame is a plain Ethernet frame).
 *
 * Validation at the boundary: a tx chain must be device-readable only and hold at least the
 * 12-byte header; an rx chain must be device-writable only and (mergeable) hold at least the header.
 * These are structural violations: the device stops and asks for DEVICE_NEEDS_RESET. Frames that
 * are merely bad (empty, above VIRTIO_NET_MAX_FRAME, GSO or checksum offload requested although not
 * negotiated) are dropped and counted; the chain is returned to the driver.
 *
 * The backend is anything that moves Ethernet frames: a tap device (hosted), a loopback/null port
 * (seL4 for now), a virtual switch in another protection domain or VM later. Transmit is push
 * (send() is called with the frame in guest memory), receive is push too (virtio_net_receive()).
 */
#ifndef SVMM_VIRTIO_NET_H
#define SVMM_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <svmm/log.h>
#include <svmm/virtio.h>

#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1u

#define VIRTIO_NET_HDR_SIZE 12u          /* struct virtio_net_hdr with VERSION_1 (num_buffers included) */
#define VIRTIO_NET_MAX_FRAME 65550u      /* largest frame (without the header) either way */
#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1

/* One piece of a frame; the same layout as struct iovec so a hosted backend can writev() it. */
struct virtio_net_frag {
    const void *base;
    size_t len;
};

enum virtio_net_tx_result {
    VIRTIO_NET_TX_OK = 0,      /* sent (the backend no longer needs the fragments) */
    VIRTIO_NET_TX_DROPPED = 1, /* not sent, and never will be: counted as tx_dropped */
    VIRTIO_NET_TX_BUSY = 2,    /* not sent yet: the device keeps the frame until virtio_net_tx_kick() */
};

enum virtio_net_rx_result {
    VIRTIO_NET_RX_DELIVERED = 1, /* in the guest's buffers */
    VIRTIO_NET_RX_NO_BUFFERS = 0, /* no room now: keep it and retry after rx_ready(), or drop it */
    VIRTIO_NET_RX_DROPPED = -1,   /* never deliverable (bad length, link down, device broken) */
};

struct virtio_net_backend {
    void *ctx;
    /* Transmit one frame made of `n` fragments, `len` bytes in all (header already stripped). */
    enum virtio_net_tx_result (*send)(void *ctx, const struct virtio_net_frag *frags, unsigned n, size_t len);
    /*
     * The driver made receive buffers available after a receive found none (optional). Called with
     * the device lock held: only wake the receiving thread, do not call back into the device.
     */
    void (*rx_ready)(void *ctx);
};

struct virtio_net_stats {
    uint64_t tx_packets, tx_bytes, tx_dropped, tx_busy;
    uint64_t rx_packets, rx_bytes, rx_dropped, rx_no_buffers, rx_buffers_used;
};

struct virtio_net {
    struct virtio_dev dev;
    struct virtio_net_backend backend;
    uint8_t mac[6];
    uint16_t status;     /* VIRTIO_NET_S_LINK_UP */
    bool broken;         /* structural violation seen: nothing moves until reset */
    bool rx_waiting;     /* a receive found no buffers: tell the backend when some arrive */
    bool tx_pending;     /* tx_chain holds a frame the backend reported busy */
    struct virtio_net_stats stats;
    struct svmm_ratelimit drop_rl;
    struct virtq_chain tx_chain; /* scratch, or the frame held after VIRTIO_NET_TX_BUSY */
    struct virtq_chain rx_first; /* first rx chain of a frame: its header gets num_buffers last */
    struct virtq_chain rx_chain; /* scratch for the following mergeable buffers */
    struct virtio_net_frag frags[VIRTQ_MAX_SIZE];
    uint16_t rx_heads[VIRTQ_MAX_SIZE];
    uint32_t rx_lens[VIRTQ_MAX_SIZE];
};

/*
 * A null port for platforms without a network yet (seL4 until the virtual switch): frames the guest
 * sends are discarded as sent, nothing is ever received, the link is up. Freestanding-safe.
 */
extern const struct virtio_net_backend virtio_net_null_backend;

/* Initialise the device (reset state) with MAC `mac` (NULL: 02:73:76:6d:00:00) and its backend. */
void virtio_net_init(struct virtio_net *n, const uint8_t mac[6], const struct virtio_net_backend *backend);

/*
 * Deliver one received frame (without virtio header) to the guest. Returns a virtio_net_rx_result;
 * on VIRTIO_NET_RX_NO_BUFFERS the device calls backend.rx_ready once the driver adds buffers.
 */
int virtio_net_receive(struct virtio_net *n, const void *frame, size_t len);

/* The backend can send again after VIRTIO_NET_TX_BUSY: retry the held frame and continue. */
void virtio_net_tx_kick(struct virtio_net *n);

/* Change the link state; the driver gets a configuration change interrupt if it changed. */
void virtio_net_set_link(struct virtio_net *n, bool up);

/* Parse "xx:xx:xx:xx:xx:xx" (hex, case-insensitive); 0 or -1. Rejects multicast addresses. */
int virtio_net_parse_mac(const char *s, uint8_t mac[6]);

#endif
