/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * blkq: the queue protocol between a block client (a VMM terminating a guest's virtio-blk) and a
 * block server (a native server, or a driver VM's VMM). One link is:
 *
 *   a queue region: a storage-info page written by the server, then a request ring (client ->
 *                   server) and a response ring (server -> client);
 *   a data region:  owned by the client, cut into `depth` slots of `slot_size` bytes. A request
 *                   names a byte offset in it (io_or_offset); the server reads write data from there
 *                   and puts read data there. Nothing else of the client is visible to the server.
 *
 * The layout is seL4 sDDF's block queue (sddf/blk/queue.h, sddf/blk/storage_info.h): 32-byte
 * requests { u32 code; u64 io_or_offset; u64 block_number; u16 count; u32 id }, 12-byte responses
 * { u32 status; u16 success_count; u32 id }, free-running 32-bit head/tail indices (slot = index mod
 * the ring size), the same codes and statuses. docs/inter-vm.md lists every deviation: blocks are
 * sectors (512 bytes, not 4 KiB), DISCARD is added, each ring header has a notification flag, and
 * neither side ever reads the index the other side consumes with.
 *
 * Trust: each side may be compromised. Geometry (depth, slot_size, the partition) comes from the
 * system description or the server's configuration, never from shared memory. Every index, code,
 * offset, count and id read from the peer is read once into private memory and validated there:
 *   server: code known; READ/WRITE/DISCARD have count > 0; the block range lies inside the client's
 *           partition and, for READ/WRITE, the data range lies inside the data region without
 *           wrapping; writes and discards to a read-only partition are refused; at most `depth`
 *           requests are taken before the server answers some (so a client cannot make it hold more);
 *   client: the id names a slot it has outstanding with that exact sequence number, the status is
 *           known, success_count <= count (and == count when OK); each slot completes once.
 * A hostile peer can make the other side fail its own requests, never make it read or write outside
 * the shared regions, block it, or make it complete anything twice.
 *
 * Platform-free: the platform maps the regions and delivers notifications (seL4: Microkit channels;
 * hosted: eventfds); this file only decides when one is needed.
 */
#ifndef SVMM_BLKQ_H
#define SVMM_BLKQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLKQ_SECTOR 512u                 /* the unit of block_number and count */
#define BLKQ_MAX_DEPTH 256u              /* requests outstanding per link (private tables are sized for it) */
#define BLKQ_MAX_SLOT_SIZE (1u << 20)    /* bytes of data per request */
#define BLKQ_MAX_COUNT 65535u            /* count is 16 bits, as in sDDF */
#define BLKQ_ALIGN 64u                   /* rings start on cache-line boundaries */
#define BLKQ_INFO_BYTES 4096u            /* the storage-info page (sDDF's BLK_STORAGE_INFO_REGION_SIZE) */
#define BLKQ_SERIAL_MAX 63u              /* bytes of a serial number, without its NUL */

/* Request codes: sDDF's four, then the svmm extension. */
enum blkq_code {
    BLKQ_REQ_READ = 0,
    BLKQ_REQ_WRITE = 1,
    BLKQ_REQ_FLUSH = 2,
    BLKQ_REQ_BARRIER = 3, /* served as a flush: both order and persist what came before */
    BLKQ_REQ_DISCARD = 4, /* svmm: the blocks' contents become undefined (a hint the server may drop) */
    BLKQ_REQ_CODES
};

/* Response statuses: sDDF's. */
enum blkq_status {
    BLKQ_RESP_OK = 0,
    BLKQ_RESP_ERR_UNSPEC = 1,
    BLKQ_RESP_ERR_INVALID_PARAM = 2, /* refused by validation (range, code, read-only) */
    BLKQ_RESP_ERR_IO = 3,
    BLKQ_RESP_ERR_NO_DEVICE = 4,
    BLKQ_RESP_STATUSES
};

/* sDDF's blk_storage_info_t, in the first page of the queue region; written by the server only. */
struct blkq_storage_info {
    char serial_number[BLKQ_SERIAL_MAX + 1]; /* the partition's name, NUL-terminated */
    uint8_t read_only;    /* sDDF bool: the partition refuses writes */
    uint8_t ready;        /* sDDF bool: written last (release), the fields above and below are valid */
    uint16_t sector_size; /* always BLKQ_SECTOR */
    uint16_t block_size;  /* optimal I/O size, in sectors (sDDF: in 4 KiB units) */
    uint16_t queue_depth; /* requests the server takes at once */
    uint16_t cylinders, heads, blocks; /* unused (0), kept for the layout */
    uint64_t capacity;    /* partition size in sectors (sDDF: in 4 KiB units) */
};

/* A request descriptor (client -> server), as in sDDF's request queue. */
struct blkq_req {
    uint32_t code;        /* enum blkq_code */
    uint32_t reserved0;   /* zero */
    uint64_t io_or_offset;/* byte offset in the data region (READ/WRITE), else 0 */
    uint64_t block_number;/* first sector, relative to the partition */
    uint16_t count;       /* sectors */
    uint16_t reserved1;   /* zero */
    uint32_t id;          /* echoed in the response */
};

/* A response descriptor (server -> client), as in sDDF's response queue. */
struct blkq_resp {
    uint32_t status;      /* enum blkq_status */
    uint16_t success_count; /* sectors done */
    uint16_t reserved;    /* zero */
    uint32_t id;          /* the request's id */
};

/*
 * A ring header: sDDF's {head, tail, plugged} with a notification flag in the padding (sDDF's
 * response ring has no `plugged`; ours keeps the same 16-byte header for both).
 */
struct blkq_ring_hdr {
    uint32_t head;               /* written by the consumer only */
    uint32_t tail;               /* written by the producer only */
    uint8_t plugged;             /* sDDF: the client holds requests back; svmm clients never plug */
    uint8_t reserved[3];         /* zero */
    uint32_t consumer_signalled; /* 0: the consumer asks for a notification; the producer sets 1 */
};

/* The request ring: its header, then `depth` descriptors. */
struct blkq_req_ring {
    struct blkq_ring_hdr hdr; /* indices and notification flag */
    struct blkq_req desc[];   /* indexed by head/tail modulo depth */
};

/* The response ring: its header, then `depth` descriptors. */
struct blkq_resp_ring {
    struct blkq_ring_hdr hdr; /* indices and notification flag */
    struct blkq_resp desc[];  /* indexed by head/tail modulo depth */
};

/* Where the parts of a queue region are. */
struct blkq_rings {
    struct blkq_storage_info *info; /* the storage-info page */
    struct blkq_req_ring *req;      /* the request ring */
    struct blkq_resp_ring *resp;    /* the response ring */
};

/*
 * A valid geometry: depth a power of two in 2..BLKQ_MAX_DEPTH, slot_size a multiple of 4 KiB in
 * 4 KiB..BLKQ_MAX_SLOT_SIZE. The rings hold `depth` entries each; the data region is depth * slot_size.
 */
bool blkq_geometry_ok(uint32_t depth, uint32_t slot_size);

/* Bytes of a link's queue region for `depth` (info page and both rings), rounded up to 4 KiB pages. */
size_t blkq_queue_bytes(uint32_t depth);

/* Where the info page and rings of a queue region are (the region is blkq_queue_bytes(depth) long). */
void blkq_rings(void *queue_region, uint32_t depth, struct blkq_rings *out);

/* Counters of one end of a link, including what a misbehaving peer did. */
struct blkq_stats {
    uint64_t requests, responses; /* requests published or taken; responses published or taken */
    uint64_t bad_index;    /* a peer tail more than `depth` ahead of our head: the link is marked broken */
    uint64_t bad_request;  /* server: refused by validation and answered with an error */
    uint64_t bad_response; /* client: unknown id, stale sequence, unknown status, impossible count: ignored */
};

/* ---- server side ---- */

/* A request the server validated: everything here is safe to act on. */
struct blkq_io {
    enum blkq_code code; /* what to do */
    uint64_t offset;  /* byte offset in the partition (READ/WRITE/DISCARD) */
    uint64_t len;     /* bytes (READ/WRITE/DISCARD); 0 for FLUSH/BARRIER */
    uint8_t *data;    /* READ/WRITE: len bytes in the client's data region (the client may change them) */
    uint32_t id;      /* pass back to blkq_server_respond */
};

/* The server end of one link. */
struct blkq_server {
    struct blkq_rings r; /* the queue region's parts */
    uint8_t *data;       /* the client's data region */
    uint64_t data_bytes; /* its size: depth * slot_size */
    uint32_t depth;      /* ring entries */
    uint64_t capacity;   /* partition sectors */
    bool read_only;      /* WRITE and DISCARD refused */
    uint32_t req_head;   /* private consumer index of the request ring */
    uint32_t resp_tail;  /* private producer index of the response ring */
    uint32_t inflight;   /* requests taken and not yet answered (<= depth) */
    bool broken;         /* the client's ring index went wild: nothing more is taken */
    struct blkq_stats stats; /* counters */
};

/*
 * Set up the server's end over a mapped queue region and the client's data region (depth *
 * slot_size bytes), for a partition of `capacity_sectors` sectors. Fills in the storage info
 * (serial `serial`, truncated to 63 bytes) and sets it ready last. Returns -1 on a bad geometry.
 */
int blkq_server_init(struct blkq_server *s, void *queue_region, void *data, uint32_t depth, uint32_t slot_size,
                     uint64_t capacity_sectors, bool read_only, const char *serial);

/*
 * Take the next request. Requests that fail validation are answered at once with
 * BLKQ_RESP_ERR_INVALID_PARAM and counted; the first valid one is returned in *io (true). False
 * when the ring is empty, `depth` requests are being served, or the link is broken. Bounded: it
 * looks at no more than `depth` ring entries per call.
 */
bool blkq_server_next(struct blkq_server *s, struct blkq_io *io);

/* Answer a request taken with blkq_server_next (exactly once per request). */
void blkq_server_respond(struct blkq_server *s, uint32_t id, enum blkq_status status, uint16_t success_count);

/* ---- client side ---- */

/* The client's private record of one slot. */
struct blkq_client_slot {
    bool busy;           /* a request is outstanding in it */
    uint8_t code;        /* its enum blkq_code */
    uint16_t count;      /* its sectors */
    uint32_t seq;        /* the id's upper 24 bits: bumped at every submit of this slot */
};

/* A response the client validated. */
struct blkq_done {
    uint32_t slot;           /* the slot the request used (free again) */
    enum blkq_status status; /* OK only if the server said OK for every requested block */
};

/* The client end of one link. */
struct blkq_client {
    struct blkq_rings r; /* the queue region's parts */
    uint8_t *data;       /* our data region: depth slots of slot_size bytes */
    uint32_t depth, slot_size; /* the link's geometry */
    uint64_t capacity;   /* sectors: the private copy of the server's storage info */
    bool read_only;      /* ... its read-only flag */
    char serial[BLKQ_SERIAL_MAX + 1]; /* ... and its serial number */
    uint32_t req_tail;   /* private producer index of the request ring */
    uint32_t resp_head;  /* private consumer index of the response ring */
    uint32_t nbusy;      /* slots busy */
    bool broken;         /* the server's ring index went wild: nothing more is taken */
    struct blkq_stats stats; /* counters */
    struct blkq_client_slot slot[BLKQ_MAX_DEPTH]; /* per slot (depth of them used) */
};

/*
 * Set up the client's end. Reads the server's storage info once (it must be ready, say 512-byte
 * sectors and a capacity that fits 64-bit byte offsets) into private memory. Returns -1 on a bad
 * geometry or storage info; blkq_client_info_ready tells the two apart for a caller that waits.
 */
int blkq_client_init(struct blkq_client *c, void *queue_region, void *data, uint32_t depth, uint32_t slot_size);

/* Has the server marked the storage info ready (acquire)? */
bool blkq_client_info_ready(const void *queue_region);

/* A free slot (its data at blkq_client_slot_data), or -1 when all `depth` are outstanding. */
int blkq_client_free_slot(const struct blkq_client *c);

/* The slot's slot_size bytes of data (write data goes here; read data arrives here). */
uint8_t *blkq_client_slot_data(const struct blkq_client *c, uint32_t slot);

/*
 * Publish a request using free slot `slot` (the caller's arguments are trusted: count <=
 * slot_size / 512 for READ/WRITE, the range inside the capacity). Returns -1 if the slot is busy.
 */
int blkq_client_submit(struct blkq_client *c, uint32_t slot, enum blkq_code code, uint64_t block, uint16_t count);

/*
 * The next valid response, its slot freed (a slot is never reported twice per submit). Invalid
 * ones are counted and skipped. False when the ring is empty or broken. At most `depth` entries are
 * looked at per call.
 */
bool blkq_client_poll(struct blkq_client *c, struct blkq_done *out);

/* ---- notifications (both sides) ---- */

/*
 * Producer, after publishing a batch on the ring with header `h`: true when the consumer asked to
 * be told (the caller notifies it). Clears the request, so a batch costs at most one notification.
 */
bool blkq_must_notify(struct blkq_ring_hdr *h);

/*
 * Consumer, before waiting: ask for a notification, then look again. True if the ring already has
 * work past `head` (the consumer's private index): process it instead of waiting.
 */
bool blkq_ask_notify(struct blkq_ring_hdr *h, uint32_t head);

#endif
