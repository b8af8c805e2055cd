/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hosted transport of an inter-component link (a netq link to `svmm switch`, a blkq link to
 * `svmm blk-server`): a few sealed memfds and two eventfds, created by the server process and
 * handed to a VMM over a Unix socket with SCM_RIGHTS.
 *
 * Why the server creates every memfd: it maps them all, and a memfd the VMM created could be
 * truncated under it (SIGBUS in the server). Each is sealed against resizing (F_SEAL_SHRINK |
 * F_SEAL_GROW, then F_SEAL_SEAL); a region the VMM may only read also gets F_SEAL_FUTURE_WRITE
 * after the server mapped it writable. The VMM checks seals and sizes before mapping anything.
 *
 * The socket (SOCK_SEQPACKET, mode 0600, the peer's uid checked) carries one message each way: the
 * VMM's request, the server's answer (with the fds when it accepts). It then stays open: its
 * hangup tells each side the other is gone. Message contents are the caller's (netq_shm.h,
 * blk_server_main.c).
 */
#ifndef SVMM_KVM_SHM_LINK_H
#define SVMM_KVM_SHM_LINK_H

#include <stdbool.h>
#include <stddef.h>

#define SHM_LINK_MAX_REGIONS 3u

/* One shared region as both sides must agree on it. */
struct shm_region_spec {
    const char *name;     /* memfd name (for /proc/PID/maps) and error messages */
    size_t bytes;         /* a multiple of 4 KiB */
    bool server_writes;   /* the server maps it writable (else read-only) */
    bool client_writes;   /* the VMM maps it writable; if not, sealed with F_SEAL_FUTURE_WRITE */
};

struct shm_link {
    unsigned nregions;
    int fd[SHM_LINK_MAX_REGIONS];
    void *map[SHM_LINK_MAX_REGIONS];
    size_t bytes[SHM_LINK_MAX_REGIONS];
    int to_server, to_client; /* eventfds: notifications each way */
};

/* A link with no resources (every fd -1, nothing mapped). */
void shm_link_clear(struct shm_link *l);

/* Server side: create, map and seal `n` regions and the two eventfds; -1 + err. */
int shm_link_create(struct shm_link *l, const struct shm_region_spec *spec, unsigned n, char *err, size_t errlen);

/* Server side: send `msg` on `sock`, with the link's fds when `l` is not NULL. */
int shm_link_send(int sock, const void *msg, size_t len, const struct shm_link *l);

/*
 * VMM side: connect to `path` (`what` names the server in errors), send `req`, receive the answer
 * (`ans_len` bytes exactly) and the fds of `nregions` regions when there are any (*got_fds). On
 * success *sock is the connected socket. -1 + err.
 */
int shm_link_request(struct shm_link *l, unsigned nregions, const char *path, const char *what, const void *req,
                     size_t req_len, void *ans, size_t ans_len, bool *got_fds, int *sock, char *err, size_t errlen);

/* VMM side: check the received regions against `spec` (seals, sizes) and map them; -1 + err. */
int shm_link_map(struct shm_link *l, const struct shm_region_spec *spec, unsigned n, char *err, size_t errlen);

/* Unmap and close everything (safe on a cleared or half-built link). */
void shm_link_destroy(struct shm_link *l);

/* Server side: listen on a fresh socket at `path` (mode 0600, a stale socket replaced); -1 + err. */
int shm_link_listen(const char *path, char *err, size_t errlen);

/*
 * Server side: accept a VMM. The peer must run as this user (or root), and gets 2 s to send its
 * request. Returns the socket, or -1 with err set (*refuse_fd >= 0: a socket to send the refusal on,
 * then close).
 */
int shm_link_accept(int lfd, int *refuse_fd, int *peer_pid, char *err, size_t errlen);

/* Write 1 to an eventfd (a notification); EAGAIN (counter full) is fine: one is pending anyway. */
void shm_link_kick(int efd);

/* Read an eventfd to zero (non-blocking). */
void shm_link_drain(int efd);

#endif
