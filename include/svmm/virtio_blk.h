/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-blk (VirtIO 1.2 section 5.2): one request queue; read, write, flush, get-id, discard,
 * write-zeroes; read-only disks.
 *
 * Requests are parsed and validated once, here, when they are popped: header and status byte
 * present, data direction as the type demands, byte length a multiple of 512, sector range inside
 * the disk without overflow, discard/write-zeroes segment arrays bounded. Only then does a backend
 * see them, as a `struct blk_request` naming host buffers (never guest-physical addresses).
 *
 * Backends complete asynchronously: submit() starts a request and returns; whoever finishes it
 * later calls virtio_blk_complete() with the request's tag, under the same lock that serialises
 * every other call into the device (on KVM: kvm_host.dev_lock). A synchronous backend may call
 * virtio_blk_complete() from inside submit(). Used-ring updates and interrupts are batched:
 * completions between virtio_blk_batch_begin() and virtio_blk_batch_end() raise at most one
 * interrupt, and only if the driver asked for one (EVENT_IDX used_event or NO_INTERRUPT).
 *
 * Reset rule: a device reset (status 0) calls the backend's cancel(), which must return only when
 * no request submitted before it can still touch its buffers (requests not started are dropped,
 * running ones are waited for). cancel() runs with the device lock held, so a backend must never
 * need that lock to finish the I/O itself, only to report it. Every request's tag carries the
 * device's reset generation: completions for requests from before the reset are ignored.
 */
#ifndef SVMM_VIRTIO_BLK_H
#define SVMM_VIRTIO_BLK_H

#include <stddef.h>
#include <stdint.h>
#include <svmm/virtio.h>

/* Request types (5.2.6). */
#define VIRTIO_BLK_T_IN 0u
#define VIRTIO_BLK_T_OUT 1u
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_T_GET_ID 8u
#define VIRTIO_BLK_T_DISCARD 11u
#define VIRTIO_BLK_T_WRITE_ZEROES 13u

/* Status byte values. */
#define VIRTIO_BLK_S_OK 0u
#define VIRTIO_BLK_S_IOERR 1u
#define VIRTIO_BLK_S_UNSUPP 2u

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_SECTOR 512u    /* bytes per sector: the unit of offsets and capacity */
#define VIRTIO_BLK_ID_BYTES 20u   /* bytes of a GET_ID serial */
/*
 * Data segments per request (config seg_max): as many as a chain can hold besides the header and the
 * status byte, since virtq_pop never returns a chain longer than the queue (at most VIRTQ_MAX_SIZE
 * descriptors, direct and indirect together). QEMU's seg-max-adjust gives the same, queue size - 2.
 */
#define VIRTIO_BLK_SEG_MAX (VIRTQ_MAX_SIZE - 2u)
/*
 * Host buffers per request: one per descriptor of the longest chain. A header or status descriptor
 * can carry data too (up to VIRTQ_MAX_SIZE - 1 pieces), so this is never the limit: any chain the
 * virtqueue accepts fits, and backends size their iovec arrays by it.
 */
#define VIRTIO_BLK_MAX_IOV VIRTQ_MAX_SIZE
#define VIRTIO_BLK_SIZE_MAX (1u << 20)    /* bytes per data segment (config size_max) */
#define VIRTIO_BLK_MAX_INFLIGHT 64u       /* requests handed to the backend at once */
#define VIRTIO_BLK_MAX_DISCARD_SEG 32u    /* segments per discard / write-zeroes request */
#define VIRTIO_BLK_MAX_DISCARD_SECTORS (1u << 22) /* sectors per segment (2 GiB) */
#define VIRTIO_BLK_CONFIG_SIZE 60u        /* up to write_zeroes_may_unmap + padding */

/* What a validated request asks of the backend. */
enum blk_op { BLK_OP_READ, BLK_OP_WRITE, BLK_OP_FLUSH, BLK_OP_DISCARD, BLK_OP_WRITE_ZEROES };

/* A host buffer; laid out like struct iovec so POSIX backends can pass arrays straight to preadv. */
struct blk_iov {
    void *base; /* its start */
    size_t len; /* its bytes */
};

/* One validated discard / write-zeroes range, in bytes, inside the disk. */
struct blk_range {
    uint64_t offset; /* bytes from the disk's start */
    uint64_t len;    /* bytes */
    int unmap; /* write-zeroes only: the driver allows deallocating (and the device offered it) */
};

/*
 * A validated request. Everything it points to stays valid until the request is completed or the
 * device is reset (after cancel() returned).
 */
struct blk_request {
    uint32_t tag;     /* pass back to virtio_blk_complete() */
    enum blk_op op;   /* what to do */
    uint64_t offset;  /* READ/WRITE: byte offset, a multiple of 512, offset + len <= capacity */
    uint64_t len;     /* READ/WRITE: total bytes in iov (a multiple of 512, may be 0) */
    const struct blk_iov *iov; /* READ: buffers to fill; WRITE: buffers to store */
    unsigned niov;    /* entries in iov */
    const struct blk_range *ranges; /* DISCARD/WRITE_ZEROES */
    unsigned nranges; /* entries in ranges */
    bool write_through; /* WRITE/WRITE_ZEROES: on stable storage before completing (FLUSH not negotiated) */
};

/* What a backend does with requests. */
struct virtio_blk_backend_ops {
    /* Start `req`; complete it later (or before returning) with virtio_blk_complete(). */
    void (*submit)(void *ctx, const struct blk_request *req);
    /* Device reset with requests outstanding: see the reset rule above. NULL if submit() is synchronous. */
    void (*cancel)(void *ctx);
};

/* A disk as the device sees it: its operations and properties. */
struct virtio_blk_backend {
    const struct virtio_blk_backend_ops *ops; /* its operations */
    void *ctx;           /* passed to them */
    uint64_t capacity;   /* bytes; rounded down to whole sectors */
    bool read_only;      /* offer RO: writes are refused */
    bool discard;        /* offer DISCARD */
    bool write_zeroes;   /* offer WRITE_ZEROES */
    bool zeroes_may_unmap; /* write-zeroes with unmap may deallocate (reads still return zeroes) */
    char id[VIRTIO_BLK_ID_BYTES]; /* GET_ID serial, NUL-padded (need not be NUL-terminated) */
};

/* A request in flight: its chain and the validated request the backend holds. */
struct virtio_blk_slot {
    bool busy;           /* in use */
    uint16_t head;       /* its chain's head descriptor, to push back */
    uint8_t *status;     /* host pointer to the request's status byte */
    uint32_t in_bytes;   /* device-writable bytes besides status reported on success */
    struct blk_request req; /* what the backend was given */
    struct blk_iov iov[VIRTIO_BLK_MAX_IOV]; /* req.iov */
    struct blk_range ranges[VIRTIO_BLK_MAX_DISCARD_SEG]; /* req.ranges */
};

/* A virtio-blk device (virtio_blk_init; attach `dev` to a virtio slot). */
struct virtio_blk {
    struct virtio_dev dev;   /* the device as the transport sees it */
    struct virtio_blk_backend be; /* its disk */
    uint16_t generation;     /* bumped at every reset; the high half of every tag */
    unsigned inflight;       /* slots busy */
    unsigned batch_depth;    /* virtio_blk_batch_begin calls not yet ended */
    uint16_t batch_old_used; /* used_idx when the outermost batch began */
    bool batch_pushed;       /* a completion was pushed in the current batch */
    bool processing, rerun;  /* re-entrancy guard for synchronous backends */
    uint64_t requests, completions, stale_completions, errors; /* counters: requests taken, completed, completions for stale tags, bad requests */
    struct svmm_ratelimit bad_request_rl; /* "bad request" messages of this disk */
    struct virtq_chain chain; /* scratch */
    struct virtio_blk_slot slots[VIRTIO_BLK_MAX_INFLIGHT]; /* requests in flight */
};

/* Initialise the device (in reset state) for `backend` (copied). */
void virtio_blk_init(struct virtio_blk *b, const struct virtio_blk_backend *backend);

/*
 * Finish request `tag`: store `status` (VIRTIO_BLK_S_*) and return the buffers to the driver.
 * `bytes` is ignored: the device reports the length it validated (data read + status). Stale
 * tags (from before a reset) and unknown ones are ignored. Call with the device lock held.
 */
void virtio_blk_complete(struct virtio_blk *b, uint32_t tag, uint8_t status);

/*
 * Offer VIRTIO_F_EVENT_IDX (the default) or not. Benchmarking only (`--disk PATH,no-event-idx`): without
 * it the driver notifies for every batch it queues and asks for an interrupt on every completion batch.
 * Call after virtio_blk_init() and before the driver reads the features (device in reset state).
 */
void virtio_blk_offer_event_idx(struct virtio_blk *b, bool offer);

/* Group completions: at most one interrupt at the end of the outermost batch. */
void virtio_blk_batch_begin(struct virtio_blk *b);
void virtio_blk_batch_end(struct virtio_blk *b);

#endif
