/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netq: the queue protocol between components that exchange frames (a VMM's virtio-net and the
 * virtual switch). One direction of a link is a data region owned by its sender, cut into `nbufs`
 * buffers of `buf_size` bytes, and two single-producer/single-consumer rings in shared memory:
 *
 *   active: sender -> receiver, "buffer at `offset` holds `len` bytes"
 *   free:   receiver -> sender, "I am done with the buffer at `offset`"
 *
 * The ring layout is seL4 sDDF's network queue (sddf/network/queue.h): a 32-bit tail written by the
 * producer, a 32-bit head written by the consumer, a `consumer_signalled` flag, then 16-byte
 * descriptors { u64 offset; u16 len; }; indices run free and wrap at 2^32, the slot is index mod the
 * capacity (a power of two). docs/inter-vm.md says what matches sDDF and what does not.
 *
 * Trust: the peer may be compromised. Geometry (nbufs, buf_size, where the rings are) comes from
 * the system description, never from shared memory. Each side reads exactly one peer-written index
 * (the tail of the ring it consumes), checks it against its own head, and reads every descriptor
 * once into private memory before validating it. Neither side ever reads the peer's consumer index:
 * a producer knows how much room the ring has from the buffers it owns. The data owner keeps a
 * private record of which buffers are with the peer, so a returned offset that is not one of them
 * (forged, misaligned, returned twice) is ignored and counted. What a hostile peer can achieve is
 * to lose its own frames: it can never make this side read or write outside the shared regions,
 * nor block it (every call here is bounded and non-blocking).
 *
 * Platform-free: the platform maps the regions and delivers notifications (seL4: Microkit channels;
 * hosted: eventfds); this file only decides when one is needed.
 */
#ifndef SVMM_NETQ_H
#define SVMM_NETQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETQ_MAX_BUFS 512u        /* ring capacity limit (private bookkeeping is sized for it) */
#define NETQ_MAX_BUF_SIZE (1u << 20) /* 1 MiB: far above any frame, keeps offsets small */
#define NETQ_ALIGN 64u            /* rings start on cache-line boundaries in the queue region */

/*
 * One descriptor: sDDF's net_buff_desc_t (u64 io_or_offset, u16 len, padded to 16 bytes) with the
 * length widened to 32 bits into the padding, because a TSO frame plus its virtio header can pass
 * 65,535 bytes. On little-endian machines a descriptor for under 64 KiB is bit-for-bit sDDF's.
 */
struct netq_desc {
    uint64_t offset;   /* the buffer's offset in the data region */
    uint32_t len;      /* bytes of the frame in it (active ring) */
    uint32_t reserved; /* zero */
};

/* One ring: sDDF's net_queue_t. Lives in shared memory; see the trust rules above. */
struct netq_ring {
    uint32_t tail;               /* written by the producer only */
    uint32_t head;               /* written by the consumer only */
    uint32_t consumer_signalled; /* 0: the consumer asks for a notification; the producer sets 1 */
    uint32_t reserved;           /* zero */
    struct netq_desc desc[];     /* nbufs descriptors, indexed by tail/head modulo nbufs */
};

/* Bytes one ring of `nbufs` descriptors takes, rounded to NETQ_ALIGN. */
static inline size_t netq_ring_bytes(uint32_t nbufs)
{
    size_t b = sizeof(struct netq_ring) + (size_t)nbufs * sizeof(struct netq_desc);
    return (b + NETQ_ALIGN - 1) & ~(size_t)(NETQ_ALIGN - 1);
}

/* A valid geometry: nbufs a power of two in 2..NETQ_MAX_BUFS, buf_size 64..NETQ_MAX_BUF_SIZE. */
bool netq_geometry_ok(uint32_t nbufs, uint32_t buf_size);

/* Counters of one end of a ring pair, including what a misbehaving peer did. */
struct netq_stats {
    uint64_t sent, received;  /* frames published / consumed by this end */
    uint64_t bad_index;   /* a tail more than nbufs ahead of our head: the link is marked broken */
    uint64_t bad_desc;    /* an active descriptor outside the region / misaligned / too long: skipped */
    uint64_t bad_return;  /* a free descriptor for a buffer that was not with the peer: ignored */
};

/* The data owner's end: produces on `active`, consumes returns on `free`. */
struct netq_sender {
    struct netq_ring *active, *free; /* the rings in shared memory: ours to produce, the peer's returns */
    uint8_t *data;        /* our data region: nbufs buffers of buf_size bytes */
    uint32_t nbufs, buf_size; /* the link's geometry */
    uint32_t active_tail; /* private copy of what we published */
    uint32_t free_head;   /* private consumer index of `free` */
    uint32_t nowned;      /* buffers in owned[] */
    bool broken;          /* the peer's free ring index went wild: nothing more is reclaimed */
    struct netq_stats stats; /* counters */
    uint16_t owned[NETQ_MAX_BUFS];              /* stack of buffer indices we may fill */
    uint8_t with_peer[NETQ_MAX_BUFS / 8];       /* bit i: buffer i is on the active ring or with the peer */
};

/* The other end: consumes `active` (reads the sender's region), returns buffers on `free`. */
struct netq_receiver {
    struct netq_ring *active, *free; /* the rings in shared memory: the sender's frames, our returns */
    const uint8_t *data;  /* the sender's data region (read-only to us) */
    uint32_t nbufs, buf_size; /* the link's geometry */
    uint32_t active_head; /* private consumer index of `active` */
    uint32_t free_tail;   /* private producer index of `free` */
    bool broken;          /* the sender's active ring index went wild: nothing more is read */
    struct netq_desc cur; /* the descriptor netq_recv_peek validated, in private memory */
    struct netq_stats stats; /* counters */
};

/*
 * Set up the sender's end over rings and a data region (nbufs * buf_size bytes) that the platform
 * mapped. The sender starts owning every buffer; the rings' indices this side produces are reset
 * to 0 (both sides start from zeroed shared memory). Returns -1 on a bad geometry.
 */
int netq_sender_init(struct netq_sender *s, struct netq_ring *active, struct netq_ring *free, void *data,
                     uint32_t nbufs, uint32_t buf_size);

/* The receiver's end; same conventions. */
int netq_receiver_init(struct netq_receiver *r, struct netq_ring *active, struct netq_ring *free,
                       const void *data, uint32_t nbufs, uint32_t buf_size);

/*
 * Take a free buffer to fill (reclaiming the peer's returns first when none is at hand). Returns
 * its address (buf_size bytes, private to us until netq_send) and its index in *idx, or NULL when
 * every buffer is with the peer.
 */
void *netq_sender_get(struct netq_sender *s, uint32_t *idx);

/* Give back a buffer taken with netq_sender_get without sending it. */
void netq_sender_unget(struct netq_sender *s, uint32_t idx);

/* Publish buffer `idx` holding `len` (<= buf_size) bytes on the active ring. */
void netq_send(struct netq_sender *s, uint32_t idx, uint32_t len);

/* Buffers the sender holds now (after reclaiming returns): how many frames it could send. */
uint32_t netq_sender_room(struct netq_sender *s);

/*
 * The next valid frame on the active ring, without consuming it: its bytes in the sender's region
 * (which the sender may still change: copy before trusting) and length. Invalid descriptors met on
 * the way are counted and handed back at once. NULL when the ring is empty (or broken).
 */
const uint8_t *netq_recv_peek(struct netq_receiver *r, uint32_t *len);

/* Consume the frame netq_recv_peek returned and return its buffer to the sender. */
void netq_recv_done(struct netq_receiver *r);

/*
 * Producer side of notifications, after publishing a batch on `ring` (the active ring for a sender,
 * the free ring for a receiver): true when the consumer asked to be told, in which case the caller
 * notifies it. Clears the request, so one batch costs at most one notification.
 */
bool netq_must_notify(struct netq_ring *ring);

/*
 * Consumer side: ask for a notification on `ring` before waiting, then look again. Returns true if
 * the ring already has work (the caller must process it instead of waiting). `head` is the
 * consumer's private index.
 */
bool netq_ask_notify(struct netq_ring *ring, uint32_t head);

/*
 * A net link (one switch port): one queue region holding four rings, named from the client's (the
 * VMM's) side as in sDDF, then two data regions: tx (client -> switch, owned by the client) and rx
 * (switch -> client, owned by the switch). Every frame in a buffer starts with the 12-byte
 * virtio_net_hdr (VIRTIO_NET_F_MRG_RXBUF layout), so offload metadata travels with it.
 */
struct netq_link_rings {
    struct netq_link_info *info; /* the info block at the region's start */
    struct netq_ring *tx_active, *tx_free, *rx_active, *rx_free; /* the four rings, client's view */
};

/*
 * The first NETQ_ALIGN bytes of a link's queue region: what the client tells the switch about its
 * guest. Written by the client only; the switch reads it as a hint (a client that lies only gets
 * frames its own guest then drops).
 */
struct netq_link_info {
    uint64_t rx_features; /* the VIRTIO_NET_F_GUEST_* offloads the client's guest accepts now */
    uint64_t reserved[7]; /* zero */
};

/* Bytes of a link's queue region (info block, then four rings) for `nbufs` buffers per direction,
 * rounded up to 4 KiB pages. */
size_t netq_link_queue_bytes(uint32_t nbufs);

/* Where the info block and the four rings of a queue region are. */
void netq_link_rings(void *queue_region, uint32_t nbufs, struct netq_link_rings *out);

#endif
