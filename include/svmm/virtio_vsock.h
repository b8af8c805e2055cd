/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-vsock (VirtIO 1.2 section 5.10): stream sockets between the guest (cid >= 3) and the host
 * (cid 2), with credit-based flow control. The device speaks the protocol; a backend owns the
 * host-side endpoints (hosted: Unix sockets, Firecracker style; later: a remote server).
 *
 * Other VMs: a packet whose dst_cid is the CID of a peer VM with a link (virtio_vsock_add_link) is
 * relayed to that VM's VMM as it is, and the peer's packets are put into the rx queue as they are:
 * for those connections the guests run the protocol end to end and the device keeps no state
 * (docs/inter-vm.md, "Vsock"). Any other dst_cid is answered with RST from that CID.
 *
 * Every header field from the guest is validated: src_cid must be the guest's cid (otherwise the
 * packet is dropped), dst_cid must be the host or a linked peer, type must be STREAM, len must match the payload
 * and stay within the credit the device granted, ops must be known and fit the connection state;
 * a violation answers RST (and ends the connection). A tx chain with a device-writable buffer or
 * shorter than the header, or an rx chain with a device-readable buffer or too small for the
 * header, is structural: the device asks for DEVICE_NEEDS_RESET.
 *
 * Connections live in a fixed table of VIRTIO_VSOCK_MAX_CONNS entries; the table index is the
 * connection id the backend sees. Control packets that find no rx buffer are remembered per
 * connection (and in a small ring for RSTs to unknown connections) and sent when buffers arrive.
 */
#ifndef SVMM_VIRTIO_VSOCK_H
#define SVMM_VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <svmm/log.h>
#include <svmm/virtio.h>

#define VIRTIO_VSOCK_HOST_CID 2u  /* the host's context id */
#define VIRTIO_VSOCK_HDR_SIZE 44u /* bytes of a packet header */
#define VIRTIO_VSOCK_MAX_PAYLOAD (64u * 1024) /* per packet, either way */
#define VIRTIO_VSOCK_MAX_CONNS 64u /* connections a device has at once */
#define VIRTIO_VSOCK_RST_RING 16u  /* RSTs for unknown connections waiting for rx buffers */
#define VIRTIO_VSOCK_LOCAL_PORT_BASE 0x40000000u /* host ports for host-initiated connections */
#define VIRTIO_VSOCK_MAX_LINKS 8u /* peer VMs (VM-to-VM links, vsock_link.h) per device */

/* Queue numbers: receive, transmit, event. */
#define VIRTIO_VSOCK_RXQ 0
#define VIRTIO_VSOCK_TXQ 1
#define VIRTIO_VSOCK_EVENTQ 2

#define VIRTIO_VSOCK_TYPE_STREAM 1 /* the only socket type the device takes */
/* Packet operations (the header's op). */
enum virtio_vsock_op {
    VIRTIO_VSOCK_OP_INVALID = 0,
    VIRTIO_VSOCK_OP_REQUEST = 1,
    VIRTIO_VSOCK_OP_RESPONSE = 2,
    VIRTIO_VSOCK_OP_RST = 3,
    VIRTIO_VSOCK_OP_SHUTDOWN = 4,
    VIRTIO_VSOCK_OP_RW = 5,
    VIRTIO_VSOCK_OP_CREDIT_UPDATE = 6,
    VIRTIO_VSOCK_OP_CREDIT_REQUEST = 7,
};
/* SHUTDOWN flags: no more receiving, no more sending. */
#define VIRTIO_VSOCK_SHUTDOWN_RCV 1u
#define VIRTIO_VSOCK_SHUTDOWN_SEND 2u

/* The packet header (struct virtio_vsock_hdr of the specification), in host order. */
struct virtio_vsock_hdr {
    uint64_t src_cid, dst_cid;         /* sender and receiver context ids */
    uint32_t src_port, dst_port, len;  /* ports, and payload bytes after the header */
    uint16_t type, op;                 /* VIRTIO_VSOCK_TYPE_STREAM; enum virtio_vsock_op */
    uint32_t flags, buf_alloc, fwd_cnt; /* SHUTDOWN flags; the sender's buffer space and bytes consumed (credit) */
};

/* Decode the VIRTIO_VSOCK_HDR_SIZE little-endian bytes at `b` (no validation: the caller's job). */
void virtio_vsock_hdr_get(struct virtio_vsock_hdr *h, const uint8_t *b);

/* Encode `h` into VIRTIO_VSOCK_HDR_SIZE bytes at `b`. */
void virtio_vsock_hdr_put(uint8_t *b, const struct virtio_vsock_hdr *h);

/* A piece of guest memory; the same layout as struct iovec so a hosted backend can readv/writev. */
struct virtio_vsock_buf {
    void *base; /* its start */
    size_t len; /* its bytes */
};

/* What recv() may return besides a byte count. */
#define VIRTIO_VSOCK_RECV_AGAIN 0   /* nothing to read now: the backend calls host_readable later */
#define VIRTIO_VSOCK_RECV_EOF (-1)  /* the host end will send no more (orderly) */
#define VIRTIO_VSOCK_RECV_ERR (-2)  /* the host end failed: reset the connection */

/*
 * Called with the device lock held; none may call back into the device except where noted.
 * `id` < VIRTIO_VSOCK_MAX_CONNS names a connection from connect()/host_connect until close().
 */
struct virtio_vsock_backend {
    void *ctx;          /* passed to every callback */
    uint32_t buf_alloc; /* bytes the host side buffers per connection (advertised to the guest) */
    /* The guest connects to host port `port`: 0 connected, < 0 refused (the guest gets RST). */
    int (*connect)(void *ctx, unsigned id, uint32_t port);
    /* The guest accepted (ok) or refused a connection the host asked for with host_connect. */
    void (*connected)(void *ctx, unsigned id, bool ok);
    /*
     * Guest data for the host end: `len` bytes in `n` pieces. Returns how many bytes were consumed
     * now; the backend keeps the rest (the device never hands it more than buf_alloc unconsumed
     * bytes) and reports it with virtio_vsock_host_consumed(). < 0: the host end failed (RST).
     */
    long (*send)(void *ctx, unsigned id, const struct virtio_vsock_buf *b, unsigned n, size_t len);
    /* Read host data into up to `len` bytes of `b`: > 0 bytes, or a VIRTIO_VSOCK_RECV_* value. */
    long (*recv)(void *ctx, unsigned id, const struct virtio_vsock_buf *b, unsigned n, size_t len);
    /* The guest will send no more (SHUTDOWN_SEND) and/or receive no more (SHUTDOWN_RCV). */
    void (*shutdown)(void *ctx, unsigned id, uint32_t flags);
    /* The connection is gone (reset either way, or device reset): release it; the id is reused. */
    void (*close)(void *ctx, unsigned id);
    /* The device's interest in host data changed (see virtio_vsock_wants_recv): re-poll. */
    void (*wake)(void *ctx);
};

/* A connection table entry's state. */
enum vsock_conn_state { VSOCK_FREE = 0, VSOCK_CONNECTING, VSOCK_ESTABLISHED };

/* Control packets owed to the guest for one connection (sent as rx buffers allow). */
#define VSOCK_PEND_REQUEST 1u
#define VSOCK_PEND_RESPONSE 2u
#define VSOCK_PEND_CREDIT 4u
#define VSOCK_PEND_SHUTDOWN 8u
#define VSOCK_PEND_RST 16u

/* One connection: its ports, owed control packets, shutdown state and credit counters. */
struct vsock_conn {
    enum vsock_conn_state state; /* free, connecting or established */
    uint32_t guest_port, host_port; /* the guest's port and the host's */
    unsigned pending;        /* VSOCK_PEND_* */
    uint32_t shutdown_flags; /* what the pending SHUTDOWN carries */
    uint32_t guest_shut;     /* SHUTDOWN flags the guest sent */
    uint32_t host_shut;      /* SHUTDOWN flags we sent (or owe) */
    bool host_readable;      /* the backend said data may be waiting */
    /* guest -> host */
    uint32_t rx_cnt;         /* payload bytes received from the guest */
    uint32_t fwd_cnt;        /* of those, consumed by the host end */
    uint32_t fwd_cnt_sent;   /* fwd_cnt last told to the guest */
    /* host -> guest */
    uint32_t tx_cnt;         /* payload bytes sent to the guest */
    uint32_t peer_buf_alloc, peer_fwd_cnt; /* the guest's last buf_alloc and fwd_cnt: the credit it grants */
};

/* Counters of one device, for the exit log. */
struct virtio_vsock_stats {
    uint64_t tx_packets, rx_packets, tx_bytes, rx_bytes; /* packets and payload bytes from (tx) and to (rx) the guest */
    uint64_t dropped_bad_cid, resets_sent, table_full, rst_ring_overflow; /* guest packets with another source CID; RSTs sent; connections refused for a full table; RSTs lost for a full ring */
    uint64_t refused_cid;  /* guest packets for a CID that is neither the host nor a linked peer */
    uint64_t peer_packets; /* guest packets relayed to peers (before cutting into link packets) */
    uint64_t link_full;    /* guest packets a peer's link had no room for: dropped, connection reset */
};

struct vsock_link;

/* A virtio-vsock device (virtio_vsock_init; attach `dev` to a virtio slot). */
struct virtio_vsock {
    struct virtio_dev dev;               /* the device as the transport sees it */
    struct virtio_vsock_backend backend; /* the host side */
    uint64_t guest_cid;                  /* the guest's context id */
    bool broken;      /* a structural violation: nothing moves until reset */
    bool rx_starved;  /* work waits for rx buffers: avail_event is armed */
    unsigned rr_next; /* round-robin start for the next rx scan */
    uint32_t next_local_port; /* the host port of the next host-initiated connection */
    struct vsock_conn conns[VIRTIO_VSOCK_MAX_CONNS]; /* the connection table (index = id) */
    /* RSTs answering packets that have no connection: from {cid, host port} to our guest port */
    struct { uint64_t cid; uint32_t guest_port, host_port; } rst_ring[VIRTIO_VSOCK_RST_RING];
    unsigned rst_head, rst_count; /* rst_ring's oldest entry and its length */
    struct vsock_link *links[VIRTIO_VSOCK_MAX_LINKS]; /* peers, in the order added */
    unsigned nlinks;  /* links added */
    struct virtio_vsock_stats stats; /* counters */
    struct svmm_ratelimit rl; /* limits this device's warnings */
    struct virtq_chain chain;    /* scratch for the tx queue */
    struct virtq_chain rx_chain; /* scratch for the rx queue (kept apart: rx work may run inside tx) */
    struct virtio_vsock_buf bufs[VIRTQ_MAX_SIZE]; /* scratch: a chain's buffers for send and recv */
};

/* Initialise the device (reset state) for guest `cid` (3 .. 0xfffffffe) with its backend. */
void virtio_vsock_init(struct virtio_vsock *v, uint64_t cid, const struct virtio_vsock_backend *backend);

/*
 * A host client wants guest port `guest_port`: allocate a connection and send REQUEST. Returns the
 * id (backend.connected() reports the outcome) or -1 (driver not running, table full).
 * *host_port receives the host-side port the guest sees.
 */
int virtio_vsock_host_connect(struct virtio_vsock *v, uint32_t guest_port, uint32_t *host_port);

/* Host data may be waiting on connection `id`: pull it into the guest as credit and buffers allow. */
void virtio_vsock_host_readable(struct virtio_vsock *v, unsigned id);

/* The backend consumed `n` more bytes of guest data it had kept (updates fwd_cnt, maybe credit). */
void virtio_vsock_host_consumed(struct virtio_vsock *v, unsigned id, uint32_t n);

/* The host end failed or went away: reset the connection (RST to the guest) and close it. */
void virtio_vsock_host_reset(struct virtio_vsock *v, unsigned id);

/* True when the device would read host data on `id` now (the backend polls only then). */
bool virtio_vsock_wants_recv(const struct virtio_vsock *v, unsigned id);

/*
 * Let the guest reach the VM with CID l->peer_cid through link `l` (vsock_link.h). The device uses
 * the link only while l->up; the platform sets it up (vsock_link_init) when its memory is mapped,
 * before or after this call, under the device lock. Returns -1 when VIRTIO_VSOCK_MAX_LINKS links
 * are there already, or when the peer's CID is the host's, the guest's or another link's.
 */
int virtio_vsock_add_link(struct virtio_vsock *v, struct vsock_link *l);

/* A peer signalled (packets or returned buffers on some link): move what the guest can take now. */
void virtio_vsock_links_notified(struct virtio_vsock *v);

#endif
