/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The server side of hosted blkq links (blk_link_shm.h), shared by the two hosted servers: `svmm
 * blk-server` (the native server, blk_server_main.c) and a driver VM's VMM (`svmm run
 * --serve-disk`, blk_relay_host.c). Both keep their clients in a struct blk_server (the relay's is
 * inside struct blk_relay), so accepting is the same: the VMM's hello names a client, which must
 * exist and be free; the server creates the link's regions and eventfds, attaches the client
 * (writing its storage info) and only then hands the fds over.
 *
 * What differs is left to the caller: serving requests, and detaching a client (the relay must
 * orphan what its agent still holds) before blk_serve_close unmaps its regions.
 */
#ifndef SVMM_KVM_BLK_SERVE_SHM_H
#define SVMM_KVM_BLK_SERVE_SHM_H

#include <poll.h>
#include <stdint.h>
#include <svmm/blk_server.h>
#include "shm_link.h"

struct blk_serve_client {
    struct shm_link link;
    int sock; /* the connected VMM, -1 when none */
};

/*
 * How the caller attaches client i to its new link's mapped regions (blk_server_attach's contract)
 * and detaches it before the regions are unmapped. The relay's hooks take the device lock and
 * orphan what the agent holds; the native server's are blk_server_attach/_detach as they are.
 */
struct blk_serve_hooks {
    int (*attach)(void *ctx, unsigned i, void *queues, void *data, uint32_t depth, uint32_t slot_size);
    void (*detach)(void *ctx, unsigned i);
    void *ctx;
};

struct blk_serve {
    struct blk_server *srv;    /* client names, partitions */
    struct blk_serve_hooks hooks;
    const char *who;           /* "blk-server" or "serve-disk": the log lines' prefix */
    uint32_t depth, slot_size; /* every link's geometry */
    int lfd;                   /* the listening socket, -1 before blk_serve_listen */
    struct blk_serve_client ch[BLK_SERVER_MAX_CLIENTS];
};

/* What a poll entry made by blk_serve_pollfds stands for. */
struct blk_serve_fd {
    int client;   /* -1: the listening socket */
    bool is_sock; /* the client's socket (else its to-server eventfd) */
};

/* Entries blk_serve_pollfds may add: the listening socket and two per client. */
#define BLK_SERVE_MAX_FDS (1u + 2u * BLK_SERVER_MAX_CLIENTS)

/* No client connected, nothing listening; `srv`'s clients are declared already or later. */
void blk_serve_init(struct blk_serve *s, struct blk_server *srv, const char *who, uint32_t depth,
                    uint32_t slot_size, const struct blk_serve_hooks *hooks);

/* Listen at `path` (shm_link_listen: mode 0600, a stale socket replaced). -1 + err. */
int blk_serve_listen(struct blk_serve *s, const char *path, char *err, size_t errlen);

/*
 * Append the poll entries (the listening socket, each connected client's socket and eventfd) to
 * fds/what, at most `max`; returns how many were added.
 */
unsigned blk_serve_pollfds(const struct blk_serve *s, struct pollfd *fds, struct blk_serve_fd *what, unsigned max);

/*
 * Act on one returned poll entry: drain an eventfd, accept a VMM on the listening socket (attached,
 * logged or refused), or a client's socket hung up: detach it (hook), unmap its link, close it.
 * Returns 1 + the client's number after a disconnection (for the caller's counters), else 0.
 */
int blk_serve_event(struct blk_serve *s, const struct pollfd *fd, const struct blk_serve_fd *what);

/* Kick the VMM of each client whose bit is set in `notify`. */
void blk_serve_kick(const struct blk_serve *s, uint32_t notify);

/* Disconnect client i if it is connected (detach hook, unmap, close). */
void blk_serve_close(struct blk_serve *s, unsigned i);

/* Close the listening socket and unlink `path` (clients stay: blk_serve_close each). */
void blk_serve_shutdown(struct blk_serve *s, const char *path);

#endif
