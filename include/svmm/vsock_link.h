/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vsock_link: one VMM's end of a VM-to-VM vsock link (docs/inter-vm.md, "Vsock"). Two VMMs whose
 * guests may talk over vsock share a netq link (netq.h): each direction is a ring of buffers in a
 * data region its sender owns. A buffer holds exactly one virtio-vsock packet, header and payload,
 * as the guests exchange them: the VMMs relay packets and the guests do the stream protocol and
 * its flow control end to end, so a VMM keeps no per-connection state for them.
 *
 * Trust: the peer VMM may be compromised. Every packet it publishes is validated here, once, with
 * its header copied into private memory first: the header must come from the CID configured for
 * this link and go to ours, be a known op on a STREAM socket, and say exactly how many payload
 * bytes the buffer holds (none for control ops). Anything else is dropped and counted, never
 * answered (an answer to a forged packet would be a reflection). A hostile peer can therefore only
 * send what its own CID could send: it can disturb our guest's connections with its CID, nothing
 * else. The payload is copied from the peer's region straight into guest buffers; its bytes are
 * the stream's and are not interpreted.
 *
 * Which rings a side produces on: a link's queue region holds four rings named from the "client"
 * side of netq_link_rings (tx_*: client -> server, rx_*: server -> client). The side that created
 * the link's memory (hosted: the VMM that listens; seL4: the VMM with the lower CID) is the server.
 *
 * Platform-free; runs under the platform's device serialisation (the virtio-vsock device's lock).
 */
#ifndef SVMM_VSOCK_LINK_H
#define SVMM_VSOCK_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <svmm/netq.h>
#include <svmm/virtio_vsock.h>
#include <svmm/virtqueue.h>

/*
 * The link geometry both platforms use: 512 buffers per direction, each a header and up to 4 KiB of
 * payload (a Linux guest's receive buffer), rounded to 64 bytes. Larger guest packets are cut into
 * several on the way out (stream data may be split; credit counts bytes, not packets).
 */
#define VSOCK_LINK_NBUFS 512u
#define VSOCK_LINK_PAYLOAD 4096u
#define VSOCK_LINK_BUF_SIZE ((VIRTIO_VSOCK_HDR_SIZE + VSOCK_LINK_PAYLOAD + 63u) & ~63u)

/* Counters of one link, for the exit log. */
struct vsock_link_stats {
    uint64_t sent, received;   /* packets on the link, each way */
    uint64_t bad_packets;      /* from the peer, refused by the validation above */
    uint64_t full;             /* guest packets for the peer that found no buffer (dropped, connection reset) */
    uint64_t notifies;         /* signals sent to the peer */
};

/* One VMM's end of a VM-to-VM vsock link (see above). */
struct vsock_link {
    uint64_t local_cid, peer_cid; /* our guest's CID and the peer guest's */
    bool up;                   /* set by the platform once the link's memory is mapped and initialised */
    struct netq_sender tx;     /* our buffers: packets to the peer */
    struct netq_receiver rx;   /* the peer's buffers: packets for our guest (read-only to us) */
    void (*notify)(void *ctx); /* signal the peer (seL4: microkit_notify; hosted: an eventfd) */
    void *ctx;                 /* passed to notify */
    /* The packet at the head of rx, validated (valid only while have_pkt). */
    bool have_pkt;
    struct virtio_vsock_hdr cur; /* its header */
    const uint8_t *cur_payload; /* in the peer's region: cur.len bytes */
    uint32_t cur_off;           /* payload bytes of cur already given to the guest */
    bool sent_unsignalled;      /* packets published since the last vsock_link_finish */
    bool returned_unsignalled;  /* buffers returned since the last vsock_link_finish */
    struct vsock_link_stats stats; /* counters */
};

/*
 * Set up our end over mapped memory: `queues` (netq_link_queue_bytes(nbufs) bytes), `send_data`
 * (ours, writable) and `recv_data` (the peer's, read-only), nbufs * buf_size bytes each. `server`
 * selects the rings (see above). A zeroed link is down; this sets up = true. Returns -1 on a bad
 * geometry (buffers that cannot hold a header and some payload, or not netq_geometry_ok).
 */
int vsock_link_init(struct vsock_link *l, uint64_t local_cid, uint64_t peer_cid, bool server, void *queues,
                    void *send_data, const void *recv_data, uint32_t nbufs, uint32_t buf_size,
                    void (*notify)(void *), void *ctx);

/* How many link packets a guest packet with `len` payload bytes becomes. */
uint32_t vsock_link_pieces(const struct vsock_link *l, uint32_t len);

/*
 * Send one guest packet (header `h`, already validated by the device, and its `len` payload bytes
 * in `n` pieces of guest memory) to the peer, cut into vsock_link_pieces() packets. All or nothing:
 * returns -1, sending nothing, when the link is down or has fewer free buffers.
 */
int vsock_link_send(struct vsock_link *l, const struct virtio_vsock_hdr *h, const struct virtio_vsock_buf *b,
                    unsigned n, size_t len);

/* The next valid packet from the peer (validated, see above), or NULL when there is none now. */
const struct virtio_vsock_hdr *vsock_link_peek(struct vsock_link *l);

/*
 * Move the packet vsock_link_peek returned, or as much of its payload as fits, into the guest's
 * receive chain `ch` (device-writable, at least VIRTIO_VSOCK_HDR_SIZE bytes): the header (with len
 * set to the piece) at offset 0, the payload piece after it. Returns the bytes written, or 0 when
 * the chain cannot carry any of a data packet's payload (header-sized) and nothing was written.
 * The packet is consumed (its buffer returned to the peer) once all its payload is delivered.
 */
uint32_t vsock_link_take(struct vsock_link *l, const struct virtq_chain *ch);

/*
 * After a batch: notify the peer if it asked (returned buffers, published packets) and re-arm our
 * own notifications. `want_rx`: we could take packets now (the guest has buffers), so ask to be
 * told about new ones. Returns true when packets arrived while re-arming (run the device again).
 */
bool vsock_link_finish(struct vsock_link *l, bool want_rx);

#endif
