/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net (VirtIO 1.2 section 5.1): one rx/tx queue pair, MAC, link status, mergeable receive
 * buffers, and the checksum and segmentation offloads its backend says it can handle.
 *
 * Validation at the boundary: a tx chain must be device-readable only and hold at least the
 * 12-byte header; an rx chain must be device-writable only and (mergeable) hold at least the header.
 * These are structural violations: the device stops and asks for DEVICE_NEEDS_RESET. Frames that
 * are merely bad (empty, above VIRTIO_NET_MAX_FRAME, a header that asks for an offload that was not
 * negotiated or does not fit the frame: virtio_net_hdr_check_tx) are dropped and counted; the chain
 * is returned to the driver.
 *
 * The backend is anything that moves Ethernet frames: a tap device (hosted), a loopback/null port
 * (seL4 for now), a virtual switch in another protection domain or VM. Transmit is push (send() is
 * called with the frame in guest memory and a validated copy of the guest's header), receive is push
 * too (virtio_net_receive(), with the header the guest is to see).
 *
 * Offloads. The backend lists in `offloads` the VIRTIO_NET_F_* offload features it handles; the
 * device offers those (minus any whose prerequisite is missing, VirtIO 1.2 5.1.3.1), and the driver
 * picks. Transmit: the guest may then hand frames that need a checksum (CSUM) or segmentation
 * (HOST_TSO4/6, HOST_ECN, HOST_UFO, HOST_USO); send() gets the header and must finish the job (a tap
 * passes it to the kernel). Receive: the backend must only produce what the guest accepts, i.e. the
 * GUEST_* features it negotiated (virtio_net_rx_offloads()); the device checks every header against
 * them and drops (counts in rx_dropped) a frame it must not deliver as such. The device never
 * checksums or segments in software: a backend that cannot avoid producing an offloaded frame for a
 * guest that refused it resolves it before calling virtio_net_receive().
 */
#ifndef SVMM_VIRTIO_NET_H
#define SVMM_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <svmm/log.h>
#include <svmm/virtio.h>

/* Feature bits (VirtIO 1.2, 5.1.3). */
#define VIRTIO_NET_F_CSUM 0         /* the device finishes checksums of frames the guest sends */
#define VIRTIO_NET_F_GUEST_CSUM 1   /* the guest accepts frames with partial checksums */
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7   /* the guest accepts TCPv4 frames still to be segmented (needs GUEST_CSUM) */
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9    /* ... with the ECN bit (needs GUEST_TSO4 or GUEST_TSO6) */
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11   /* the device segments TCPv4 frames the guest sends (needs CSUM) */
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13    /* ... with the ECN bit (needs HOST_TSO4 or HOST_TSO6) */
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_GUEST_USO4 54
#define VIRTIO_NET_F_GUEST_USO6 55
#define VIRTIO_NET_F_HOST_USO 56
#define VIRTIO_NET_S_LINK_UP 1u

#define VIRTIO_NET_BIT(f) (1ull << (f)) /* the feature mask of feature bit number f */
/* Offloads the device asks of its backend on transmit (guest -> backend). */
#define VIRTIO_NET_TX_OFFLOADS                                                                                   \
    (VIRTIO_NET_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_NET_BIT(VIRTIO_NET_F_HOST_TSO4) |                              \
     VIRTIO_NET_BIT(VIRTIO_NET_F_HOST_TSO6) | VIRTIO_NET_BIT(VIRTIO_NET_F_HOST_ECN) |                          \
     VIRTIO_NET_BIT(VIRTIO_NET_F_HOST_UFO) | VIRTIO_NET_BIT(VIRTIO_NET_F_HOST_USO))
/* Offloads the guest may accept on receive (backend -> guest). */
#define VIRTIO_NET_RX_OFFLOADS                                                                                   \
    (VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_CSUM) | VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO4) |                       \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO6) | VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_ECN) |                        \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_UFO) | VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_USO4) |                        \
     VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_USO6))
#define VIRTIO_NET_OFFLOADS (VIRTIO_NET_TX_OFFLOADS | VIRTIO_NET_RX_OFFLOADS)

/* struct virtio_net_hdr (VirtIO 1.2, 5.1.6): flags and gso_type values. */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1u  /* checksum from csum_start to the end, stored at csum_start + csum_offset */
#define VIRTIO_NET_HDR_F_DATA_VALID 2u  /* receive only: the checksum was already checked */
#define VIRTIO_NET_HDR_GSO_NONE 0u
#define VIRTIO_NET_HDR_GSO_TCPV4 1u
#define VIRTIO_NET_HDR_GSO_UDP 3u
#define VIRTIO_NET_HDR_GSO_TCPV6 4u
#define VIRTIO_NET_HDR_GSO_UDP_L4 5u
#define VIRTIO_NET_HDR_GSO_ECN 0x80u

#define VIRTIO_NET_HDR_SIZE 12u          /* struct virtio_net_hdr with VERSION_1 (num_buffers included) */
/*
 * Largest frame (without the header) either way: a segmentation-offload frame carries at most one
 * IP packet, whose length field is 16 bits; the worst case is IPv6, whose 65,535-byte payload length
 * does not count its 40-byte header, behind a 14-byte Ethernet header and one 4-byte 802.1Q tag.
 */
#define VIRTIO_NET_MAX_FRAME (65535u + 40u + 14u + 4u)
#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1

/*
 * The header travelling with a frame, decoded (host byte order). num_buffers is not here: it is the
 * device's business on receive and always 0 on transmit.
 */
struct virtio_net_hdr {
    uint8_t flags;        /* VIRTIO_NET_HDR_F_* */
    uint8_t gso_type;     /* VIRTIO_NET_HDR_GSO_*, optionally | VIRTIO_NET_HDR_GSO_ECN */
    uint16_t hdr_len;     /* a hint: length of the headers up to and including the transport header */
    uint16_t gso_size;    /* segment payload size (MSS) when gso_type is not NONE */
    uint16_t csum_start;  /* with NEEDS_CSUM: where checksumming starts ... */
    uint16_t csum_offset; /* ... and where (after csum_start) the result goes */
};

/* One piece of a frame; the same layout as struct iovec so a hosted backend can writev() it. */
struct virtio_net_frag {
    const void *base; /* its start */
    size_t len;       /* its bytes */
};

/* What send() did with a frame. */
enum virtio_net_tx_result {
    VIRTIO_NET_TX_OK = 0,      /* sent (the backend no longer needs the fragments) */
    VIRTIO_NET_TX_DROPPED = 1, /* not sent, and never will be: counted as tx_dropped */
    VIRTIO_NET_TX_BUSY = 2,    /* not sent yet: the device keeps the frame until virtio_net_tx_kick() */
};

/* What virtio_net_receive() did with a frame. */
enum virtio_net_rx_result {
    VIRTIO_NET_RX_DELIVERED = 1, /* in the guest's buffers */
    VIRTIO_NET_RX_NO_BUFFERS = 0, /* no room now: keep it and retry after rx_ready(), or drop it */
    VIRTIO_NET_RX_DROPPED = -1,   /* never deliverable (bad length or header, link down, device broken) */
};

/* What is behind a NIC: a tap, a switch port, nothing (see above). */
struct virtio_net_backend {
    void *ctx; /* passed to send and rx_ready */
    /*
     * VIRTIO_NET_BIT(VIRTIO_NET_F_...) of the offloads this backend handles (within
     * VIRTIO_NET_OFFLOADS; 0: plain frames only). TX bits: send() takes frames whose header asks
     * for them. RX bits: the backend can deliver such frames and will only deliver those
     * virtio_net_rx_offloads() reports.
     */
    uint64_t offloads;
    /*
     * Transmit one frame made of `n` fragments, `len` bytes in all (1..VIRTIO_NET_MAX_FRAME), the
     * header stripped and given in `hdr`: a copy the device validated (virtio_net_hdr_check_tx) and
     * the guest can no longer change. `hdr` is never NULL; all zero for a plain frame.
     */
    enum virtio_net_tx_result (*send)(void *ctx, const struct virtio_net_hdr *hdr,
                                      const struct virtio_net_frag *frags, unsigned n, size_t len);
    /*
     * The driver made receive buffers available after a receive found none (optional). Called with
     * the device lock held: only wake the receiving thread, do not call back into the device.
     */
    void (*rx_ready)(void *ctx);
};

/* Counters of one NIC, for the exit log. */
struct virtio_net_stats {
    uint64_t tx_packets, tx_bytes, tx_dropped, tx_busy; /* frames the guest sent: sent, bytes, dropped, times the backend was busy */
    uint64_t rx_packets, rx_bytes, rx_dropped, rx_no_buffers, rx_buffers_used; /* frames for the guest: delivered, bytes, dropped, found no buffer, buffers they took */
};

/* A virtio-net device (virtio_net_init; attach `dev` to a virtio slot). */
struct virtio_net {
    struct virtio_dev dev;             /* the device as the transport sees it */
    struct virtio_net_backend backend; /* what is behind it */
    uint8_t mac[6];                    /* its MAC address (config space) */
    uint16_t status;     /* VIRTIO_NET_S_LINK_UP */
    bool broken;         /* structural violation seen: nothing moves until reset */
    bool rx_waiting;     /* a receive found no buffers: tell the backend when some arrive */
    bool tx_pending;     /* tx_chain holds a frame the backend reported busy */
    bool tx_polled;      /* the backend polls the tx ring (virtio_net_tx_poll): a notification drains it
                            without asking for the next one */
    struct virtio_net_stats stats; /* counters */
    struct svmm_ratelimit drop_rl; /* limits the log lines about dropped frames */
    struct virtq_chain tx_chain; /* scratch, or the frame held after VIRTIO_NET_TX_BUSY */
    struct virtq_chain rx_first; /* first rx chain of a frame: its header gets num_buffers last */
    struct virtq_chain rx_chain; /* scratch for the following mergeable buffers */
    struct virtio_net_frag frags[VIRTQ_MAX_SIZE]; /* scratch: the fragments of the frame given to send() */
    uint16_t rx_heads[VIRTQ_MAX_SIZE]; /* the chains one received frame filled ... */
    uint32_t rx_lens[VIRTQ_MAX_SIZE];  /* ... and the bytes written to each, pushed together */
};

/*
 * A null port for platforms without a network yet (seL4 until the virtual switch): frames the guest
 * sends are discarded as sent, nothing is ever received, the link is up. Freestanding-safe.
 */
extern const struct virtio_net_backend virtio_net_null_backend;

/* Initialise the device (reset state) with MAC `mac` (NULL: 02:73:76:6d:00:00) and its backend. */
void virtio_net_init(struct virtio_net *n, const uint8_t mac[6], const struct virtio_net_backend *backend);

/*
 * Deliver one received frame (without virtio header) to the guest, with header `hdr` (NULL: a plain
 * frame, as all zero). The header is checked with virtio_net_hdr_check_rx against what the driver
 * negotiated: a frame it must not see as such is dropped and counted. Returns a virtio_net_rx_result;
 * on VIRTIO_NET_RX_NO_BUFFERS the device calls backend.rx_ready once the driver adds buffers.
 */
int virtio_net_receive(struct virtio_net *n, const struct virtio_net_hdr *hdr, const void *frame, size_t len);

/*
 * The receive offloads the driver accepted (VIRTIO_NET_RX_OFFLOADS bits; 0 until DRIVER_OK and after
 * a reset). A backend that can produce offloaded frames asks this, under the device lock, and
 * produces only these (a tap sets TUNSETOFFLOAD to match).
 */
uint64_t virtio_net_rx_offloads(const struct virtio_net *n);

/*
 * Check and normalise a transmit header for a frame of `len` bytes, given the negotiated features.
 * Refused (returns a short reason, the frame is to be dropped): NEEDS_CSUM without CSUM or with the
 * checksum field beyond the frame; a gso_type that is unknown or not negotiated (TCPV4: HOST_TSO4,
 * TCPV6: HOST_TSO6, UDP: HOST_UFO, UDP_L4: HOST_USO), the ECN bit without HOST_ECN or on a non-TCP
 * type, segmentation without NEEDS_CSUM or with gso_size 0; hdr_len beyond the frame. Otherwise
 * returns NULL and normalises what the device must ignore (VirtIO 1.2 5.1.6.2.2): flags other than
 * NEEDS_CSUM are cleared, csum_start/csum_offset are zeroed without NEEDS_CSUM, gso_size without
 * segmentation.
 */
const char *virtio_net_hdr_check_tx(struct virtio_net_hdr *h, size_t len, uint64_t features);

/*
 * Check a receive header for a frame of `len` bytes against the negotiated features: NULL when the
 * guest may see it, else a short reason. DATA_VALID is cleared without GUEST_CSUM (a hint the guest
 * can do without). Refused: unknown flags; NEEDS_CSUM without GUEST_CSUM;
 * NEEDS_CSUM with the checksum field beyond the frame; a gso_type that is unknown or not negotiated
 * (TCPV4: GUEST_TSO4, TCPV6: GUEST_TSO6, UDP: GUEST_UFO, UDP_L4: both GUEST_USO4 and GUEST_USO6, as
 * the device does not parse the IP version), ECN without GUEST_ECN or on a non-TCP type,
 * segmentation with gso_size 0; hdr_len beyond the frame.
 */
const char *virtio_net_hdr_check_rx(struct virtio_net_hdr *h, size_t len, uint64_t features);

/* Decode the 12-byte little-endian header at `p` (num_buffers ignored). */
void virtio_net_hdr_get(struct virtio_net_hdr *h, const uint8_t p[VIRTIO_NET_HDR_SIZE]);

/* Encode `h` as the 12-byte little-endian header at `p`, num_buffers `num_buffers`. */
void virtio_net_hdr_put(uint8_t p[VIRTIO_NET_HDR_SIZE], const struct virtio_net_hdr *h, uint16_t num_buffers);

/* The backend can send again after VIRTIO_NET_TX_BUSY: retry the held frame and continue. */
void virtio_net_tx_kick(struct virtio_net *n);

/*
 * For a backend that sets tx_polled and polls the tx ring in bursts: transmit what the driver has
 * made available and return how many frames were taken off the ring. Without `arm` the driver's
 * notifications stay suppressed (with EVENT_IDX avail_event is left behind, so the driver keeps
 * quiet while the backend polls); with `arm` the device asks for the next notification once the
 * ring is empty and looks again for frames that raced in (counted too), so a backend that got 0
 * can sleep until notified. Nothing moves before DRIVER_OK or on a broken queue.
 */
unsigned virtio_net_tx_poll(struct virtio_net *n, bool arm);

/* Change the link state; the driver gets a configuration change interrupt if it changed. */
void virtio_net_set_link(struct virtio_net *n, bool up);

/* Parse "xx:xx:xx:xx:xx:xx" (hex, case-insensitive); 0 or -1. Rejects multicast addresses. */
int virtio_net_parse_mac(const char *s, uint8_t mac[6]);

#endif
