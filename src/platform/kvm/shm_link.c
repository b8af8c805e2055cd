/* SPDX-License-Identifier: BSD-2-Clause */
/* Inter-process links: sealed memfds + eventfds over a Unix socket (shm_link.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include "shm_link.h"

#define MAX_FDS (SHM_LINK_MAX_REGIONS + 2u)
#define SIZE_SEALS (F_SEAL_SHRINK | F_SEAL_GROW)

void shm_link_clear(struct shm_link *l)
{
    memset(l, 0, sizeof(*l));
    for (unsigned i = 0; i < SHM_LINK_MAX_REGIONS; i++)
        l->fd[i] = -1;
    l->to_server = l->to_client = -1;
}

void shm_link_destroy(struct shm_link *l)
{
    for (unsigned i = 0; i < SHM_LINK_MAX_REGIONS; i++) {
        if (l->map[i])
            munmap(l->map[i], l->bytes[i]);
        if (l->fd[i] >= 0)
            close(l->fd[i]);
    }
    if (l->to_server >= 0)
        close(l->to_server);
    if (l->to_client >= 0)
        close(l->to_client);
    shm_link_clear(l);
}

static int make_memfd(const char *name, size_t bytes, char *err, size_t errlen)
{
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

    if (fd < 0) {
        snprintf(err, errlen, "memfd_create: %s", strerror(errno));
        return -1;
    }
    if (ftruncate(fd, (off_t)bytes) < 0 || fcntl(fd, F_ADD_SEALS, SIZE_SEALS) < 0) {
        snprintf(err, errlen, "cannot size and seal a %zu-byte memfd: %s", bytes, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static void *map(int fd, size_t bytes, bool writable)
{
    void *p = mmap(NULL, bytes, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}

int shm_link_create(struct shm_link *l, const struct shm_region_spec *spec, unsigned n, char *err, size_t errlen)
{
    shm_link_clear(l);
    if (n > SHM_LINK_MAX_REGIONS) {
        snprintf(err, errlen, "a link has at most %u regions", SHM_LINK_MAX_REGIONS);
        return -1;
    }
    l->nregions = n;
    for (unsigned i = 0; i < n; i++) {
        int seals = F_SEAL_SEAL | (spec[i].client_writes ? 0 : F_SEAL_FUTURE_WRITE);
        l->bytes[i] = spec[i].bytes;
        if ((l->fd[i] = make_memfd(spec[i].name, spec[i].bytes, err, errlen)) < 0)
            goto fail;
        if ((l->map[i] = map(l->fd[i], spec[i].bytes, spec[i].server_writes)) == NULL) {
            snprintf(err, errlen, "cannot map the %s region: %s", spec[i].name, strerror(errno));
            goto fail;
        }
        /* Our own mapping exists now; from here on the VMM can map it only as the spec says. */
        if (fcntl(l->fd[i], F_ADD_SEALS, seals) < 0) {
            snprintf(err, errlen, "cannot seal the %s region: %s", spec[i].name, strerror(errno));
            goto fail;
        }
    }
    l->to_server = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    l->to_client = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->to_server < 0 || l->to_client < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        goto fail;
    }
    return 0;
fail:
    shm_link_destroy(l);
    return -1;
}

int shm_link_send(int sock, const void *msg, size_t len, const struct shm_link *l)
{
    union {
        char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

    if (l != NULL) {
        int fds[MAX_FDS];
        unsigned n = 0;
        struct cmsghdr *c;

        /* nregions <= SHM_LINK_MAX_REGIONS (shm_link_create): n <= MAX_FDS. */
        for (unsigned i = 0; i < l->nregions; i++)
            fds[n++] = l->fd[i];
        fds[n++] = l->to_server;
        fds[n++] = l->to_client;
        memset(&u, 0, sizeof(u));
        m.msg_control = u.buf;
        m.msg_controllen = CMSG_SPACE(n * sizeof(int));
        c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    }
    return sendmsg(sock, &m, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* Receive the answer and, if it carries exactly nregions + 2 fds, take them into `l`. */
static int recv_answer(int sock, struct shm_link *l, unsigned nregions, void *ans, size_t ans_len, bool *got_fds)
{
    union {
        char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = { .iov_base = ans, .iov_len = ans_len };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
    ssize_t n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
    unsigned want = nregions + 2;
    int fds[MAX_FDS];

    *got_fds = false;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); n > 0 && c; c = CMSG_NXTHDR(&m, c)) {
        size_t k;
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0))
            continue;
        k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); /* the kernel bounds it by our buffer: k <= MAX_FDS */
        memcpy(fds, CMSG_DATA(c), k * sizeof(int));
        if (k == want && !*got_fds) {
            for (unsigned i = 0; i < nregions; i++)
                l->fd[i] = fds[i];
            l->to_server = fds[nregions];
            l->to_client = fds[nregions + 1];
            l->nregions = nregions;
            *got_fds = true;
        } else {
            for (size_t i = 0; i < k; i++)
                close(fds[i]); /* not the shape we asked for: never keep a stray fd */
        }
    }
    if (m.msg_flags & MSG_CTRUNC)
        *got_fds = false; /* the fds we took are closed by the caller's shm_link_destroy */
    return n == (ssize_t)ans_len ? 0 : -1;
}

int shm_link_request(struct shm_link *l, unsigned nregions, const char *path, const char *what, const void *req,
                     size_t req_len, void *ans, size_t ans_len, bool *got_fds, int *sockp, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int sock;

    shm_link_clear(l);
    *got_fds = false;
    if (nregions > SHM_LINK_MAX_REGIONS || strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "%s socket path too long", what);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path));
    sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        snprintf(err, errlen, "cannot connect to the %s at %s: %s (is it running?)", what, path, strerror(errno));
        if (sock >= 0)
            close(sock);
        return -1;
    }
    if (send(sock, req, req_len, MSG_NOSIGNAL) != (ssize_t)req_len ||
        recv_answer(sock, l, nregions, ans, ans_len, got_fds) < 0) {
        snprintf(err, errlen, "no valid answer from the %s at %s", what, path);
        shm_link_destroy(l);
        close(sock);
        return -1;
    }
    *sockp = sock;
    return 0;
}

int shm_link_map(struct shm_link *l, const struct shm_region_spec *spec, unsigned n, char *err, size_t errlen)
{
    if (n != l->nregions) {
        snprintf(err, errlen, "the link has %u regions, not %u", l->nregions, n);
        return -1;
    }
    for (unsigned i = 0; i < n; i++) {
        struct stat st;
        int seals = fcntl(l->fd[i], F_GET_SEALS);

        /* Exactly what a server creates: resizing sealed, big enough, write-sealed where we only read. */
        if (seals < 0 || (seals & SIZE_SEALS) != SIZE_SEALS ||
            (!spec[i].client_writes && !(seals & F_SEAL_FUTURE_WRITE)) || fstat(l->fd[i], &st) < 0 ||
            (size_t)st.st_size < spec[i].bytes) {
            snprintf(err, errlen, "the server sent a %s region that is not a sealed memfd of %zu bytes", spec[i].name,
                     spec[i].bytes);
            return -1;
        }
        l->bytes[i] = spec[i].bytes;
        if ((l->map[i] = map(l->fd[i], spec[i].bytes, spec[i].client_writes)) == NULL) {
            snprintf(err, errlen, "cannot map the %s region: %s", spec[i].name, strerror(errno));
            return -1;
        }
    }
    return 0;
}

int shm_link_listen(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;
    mode_t old;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "socket path '%s' is too long", path);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path));
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    unlink(path); /* a stale socket from an earlier run */
    old = umask(0177); /* mode 0600: only this user's processes may connect (checked again per peer) */
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
        umask(old);
        close(fd);
        return -1;
    }
    umask(old);
    return fd;
}

int shm_link_accept(int lfd, int *refuse_fd, int *peer_pid, char *err, size_t errlen)
{
    struct timeval tv = { .tv_sec = 2 }; /* a peer that connects and says nothing must not stall us */
    struct ucred cred;
    socklen_t cl = sizeof(cred);
    int sock = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

    *refuse_fd = -1;
    if (sock < 0) {
        snprintf(err, errlen, "accept: %s", strerror(errno));
        return -1;
    }
    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 || (cred.uid != geteuid() && cred.uid != 0)) {
        snprintf(err, errlen, "the peer runs as another user");
        *refuse_fd = sock;
        return -1;
    }
    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    *peer_pid = (int)cred.pid;
    return sock;
}

void shm_link_kick(int efd)
{
    uint64_t one = 1;
    ssize_t r = write(efd, &one, sizeof(one));
    (void)r; /* EAGAIN: the counter is saturated, a wake-up is pending anyway */
}

void shm_link_drain(int efd)
{
    uint64_t v;
    ssize_t r = read(efd, &v, sizeof(v));
    (void)r;
}
