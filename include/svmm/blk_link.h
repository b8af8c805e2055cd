/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A VMM's end of a block server link: a virtio-blk backend that forwards the guest's requests as
 * blkq requests (blkq.h) on the partition the server gives this VM, and completes them when the
 * server answers.
 *
 * Copies: write data is copied from the guest's buffers into this VMM's data region before a request
 * is published, read data from the data region into the guest's buffers after the server answered.
 * That copy is what keeps guest memory private: the server sees the data region and nothing else,
 * and it never learns where in guest memory a request's buffers are (DESIGN.md: a backend never sees
 * guest-physical addresses). A guest request larger than a data slot is split into slot-sized blkq
 * requests and completes when the last one is answered (with an error if any failed); a discard is
 * split at the 16-bit block count.
 *
 * Platform-free. The platform maps the link's regions, supplies `notify` (signal the server: seL4
 * microkit_notify, hosted an eventfd) and calls blk_link_service when the server notifies it. Every
 * call runs under the platform's device serialisation (the same lock as the virtio device).
 */
#ifndef SVMM_BLK_LINK_H
#define SVMM_BLK_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <svmm/blkq.h>
#include <svmm/virtio_blk.h>

/* Where a guest request is: publishing data parts, waiting to flush, publishing the flush, all sent. */
enum blk_link_stage { BLK_LINK_DATA, BLK_LINK_FLUSH_WAIT, BLK_LINK_FLUSH, BLK_LINK_SENT };

/* A guest request while its parts are with the server. */
struct blk_link_greq {
    bool active;          /* this entry holds a request */
    bool queued;          /* its index is on the pending FIFO (possibly left there by a finished request) */
    bool flush_after;     /* write-through: a FLUSH part follows the data parts once they are answered */
    enum blk_link_stage stage; /* where it is */
    uint8_t status;       /* VIRTIO_BLK_S_*: the first failure wins */
    uint32_t tag;         /* the device's tag, for virtio_blk_complete() */
    const struct blk_request *req; /* the device's validated request (valid until completed or reset) */
    uint64_t issued;      /* READ/WRITE: bytes published; DISCARD: bytes of ranges[range] published */
    unsigned range;       /* DISCARD: the range being published */
    unsigned parts;       /* blkq requests outstanding */
};

/* What a blkq slot carries: which guest request, which bytes of it. */
struct blk_link_part {
    int16_t greq;         /* index in greqs[], -1 when the guest request is gone (reset) */
    uint64_t off;         /* READ/WRITE: byte offset in the guest request's data */
    uint32_t len;         /* bytes */
};

/* Counters of one link, for the exit log. */
struct blk_link_stats {
    uint64_t parts;          /* blkq requests published */
    uint64_t server_errors;  /* answers other than OK (includes partial successes) */
    uint64_t orphans;        /* answers for guest requests a device reset dropped */
    uint64_t notifies;       /* signals sent to the server */
};

/* A VMM's end of a block server link (see above). */
struct blk_link {
    struct virtio_blk blk;   /* the device (attach blk.dev to a virtio slot) */
    struct blkq_client q;    /* the client end of the blkq link */
    void (*notify)(void *ctx); /* signal the server */
    void *ctx;               /* passed to notify */
    bool dead;               /* the link failed: every request fails at once */
    struct blk_link_stats stats; /* counters */
    struct blk_link_greq greqs[VIRTIO_BLK_MAX_INFLIGHT]; /* the guest's requests in flight */
    struct blk_link_part parts[BLKQ_MAX_DEPTH]; /* per blkq slot: what it carries */
    uint8_t pending[VIRTIO_BLK_MAX_INFLIGHT]; /* FIFO of greqs[] indices with parts left to publish */
    unsigned pend_head, pend_count; /* the FIFO's oldest entry and its length */
    bool pumping;            /* pump() is running: a completion inside it must not start another */
};

/*
 * Set up the link over mapped regions (`queues`: blkq_queue_bytes(depth), with the server's storage
 * info ready; `data`: depth * slot_size bytes) and initialise the virtio-blk device in reset state.
 * `read_only` makes the disk read-only whatever the server says. Returns -1 on a bad geometry or
 * storage info.
 */
int blk_link_init(struct blk_link *l, void *queues, void *data, uint32_t depth, uint32_t slot_size, bool read_only,
                  void (*notify)(void *), void *ctx);

/*
 * The server notified us: complete what it answered, publish what waited for slots, re-arm the
 * notification. Bounded (one ring's worth of answers); true if it should be called again at once.
 */
bool blk_link_service(struct blk_link *l);

/* The server is gone: fail every outstanding and future request (VIRTIO_BLK_S_IOERR). */
void blk_link_fail(struct blk_link *l);

#endif
