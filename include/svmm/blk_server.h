/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The native block server: serves blkq links (blkq.h) from N clients, each confined to its own
 * partition (a byte range of one backing store, optionally read-only). The backing store sits
 * behind an ops table: hosted, a file (pread/pwrite/fdatasync/fallocate); on seL4, a RAM disk.
 *
 * Isolation: blkq_server validates every request against the client's partition and data region
 * before anything here acts on it; the partition's base is added only after that, so a client
 * cannot name a byte outside its range. Partitions are checked when they are added: inside the
 * store, sector aligned, and no writable partition overlaps another partition.
 *
 * Fairness: blk_server_poll serves at most BLK_SERVER_BURST requests of a client before moving to
 * the next, so a client that keeps its ring full cannot starve the others.
 *
 * Platform-free and synchronous (the store's calls complete before they return); the platform
 * maps the links, feeds notifications in and sends the ones blk_server_poll asks for.
 */
#ifndef SVMM_BLK_SERVER_H
#define SVMM_BLK_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <svmm/blkq.h>

#define BLK_SERVER_MAX_CLIENTS 16u /* clients (partitions) a server has at most */
#define BLK_SERVER_NAME_MAX 23u    /* characters of a partition's name (its disk's serial) */
#define BLK_SERVER_BURST 16u       /* requests of one client served before the next client's */

/* The backing store. Offsets and lengths are already inside the store. Each returns 0 or -1. */
struct blk_store_ops {
    int (*read)(void *ctx, uint64_t offset, void *buf, size_t len);        /* `len` bytes at `offset` into buf */
    int (*write)(void *ctx, uint64_t offset, const void *buf, size_t len); /* buf's `len` bytes at `offset` */
    int (*flush)(void *ctx);                                               /* make written data durable */
    int (*discard)(void *ctx, uint64_t offset, uint64_t len); /* may do nothing: contents become undefined */
};

/* Counters of one client, for the server's log. */
struct blk_server_client_stats {
    uint64_t reads, writes, flushes, discards; /* requests served, by kind */
    uint64_t read_bytes, write_bytes;          /* bytes read and written */
    uint64_t io_errors;  /* the store failed */
};

/* One client: its partition and its end of a blkq link. */
struct blk_server_client {
    char name[BLK_SERVER_NAME_MAX + 1]; /* the partition's name */
    uint64_t base, size; /* the partition: bytes [base, base + size) of the store */
    bool read_only;      /* writes and discards refused */
    bool attached;       /* its link is mapped (blk_server_attach) */
    struct blkq_server q; /* the server end of its link */
    struct blk_server_client_stats stats; /* counters */
};

/* A block server (see above): blk_server_init, clients, then blk_server_poll. */
struct blk_server {
    const struct blk_store_ops *ops; /* the backing store */
    void *ctx;           /* passed to ops */
    uint64_t store_bytes; /* its size */
    unsigned nclients;   /* clients declared */
    unsigned next;       /* the client served first by the next poll (round robin) */
    struct blk_server_client clients[BLK_SERVER_MAX_CLIENTS]; /* clients[0 .. nclients - 1] */
};

/* An empty server on a store of `store_bytes` bytes. */
void blk_server_init(struct blk_server *s, const struct blk_store_ops *ops, void *ctx, uint64_t store_bytes);

/*
 * Declare client `name` (1..23 bytes, unique) with partition [base, base + size). Returns its
 * index, or -1 with a one-line reason in err: name, alignment (512), outside the store, an overlap
 * with another partition where either is writable, too many clients.
 */
int blk_server_add_client(struct blk_server *s, const char *name, uint64_t base, uint64_t size, bool read_only,
                          char *err, size_t errlen);

/* The index of client `name`, or -1. */
int blk_server_find(const struct blk_server *s, const char *name);

/*
 * Attach client `i` to a link (mapped queue region and data region of depth * slot_size bytes):
 * writes the storage info. Returns -1 on a bad geometry or an attached client.
 */
int blk_server_attach(struct blk_server *s, unsigned i, void *queues, void *data, uint32_t depth,
                      uint32_t slot_size);

/* The client's link is gone: stop serving it (requests it left are dropped). */
void blk_server_detach(struct blk_server *s, unsigned i);

/*
 * Serve the attached clients' requests (bounded: BLK_SERVER_BURST per client per call). Sets bit i
 * of *notify for each client that must be signalled. Returns true if there is more to do at once.
 */
bool blk_server_poll(struct blk_server *s, uint32_t *notify);

#endif
