/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <svmm/log.h>
#include "vsock_uds.h"

_Static_assert(sizeof(struct virtio_vsock_buf) == sizeof(struct iovec) &&
                   offsetof(struct virtio_vsock_buf, len) == offsetof(struct iovec, iov_len),
               "virtio_vsock_buf must match struct iovec");

#define BUF_ALLOC (64u * 1024) /* host-side buffer per connection, advertised to the guest */

static struct vsock_uds_conn *conn_of(struct vsock_uds *u, unsigned id)
{
    return id < VIRTIO_VSOCK_MAX_CONNS ? &u->conns[id] : NULL;
}

static void wake(void *ctx)
{
    struct vsock_uds *u = ctx;
    uint64_t one = 1;

    if (write(u->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        svmm_warn("vsock: cannot wake the socket thread: %s", strerror(errno));
}

static void release(struct vsock_uds_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    *c = (struct vsock_uds_conn){ .fd = -1 };
}

/* ---- device callbacks (device lock held) ---- */

static int be_connect(void *ctx, unsigned id, uint32_t port)
{
    struct vsock_uds *u = ctx;
    struct vsock_uds_conn *c = conn_of(u, id);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", u->path, port) >= sizeof(sa.sun_path))
        return -1;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    /* A Unix stream connect completes at once, or fails (no listener, backlog full: EAGAIN). */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        svmm_dbg("vsock: guest connect to port %u: %s: %s", port, sa.sun_path, strerror(errno));
        close(fd);
        return -1;
    }
    release(c);
    c->fd = fd;
    return 0;
}

static void be_connected(void *ctx, unsigned id, bool ok)
{
    struct vsock_uds *u = ctx;
    struct vsock_uds_conn *c = conn_of(u, id);
    char line[32];
    int n;

    if (!ok || c->fd < 0)
        return; /* close() follows a refusal */
    n = snprintf(line, sizeof(line), "OK %u\n", u->vsock.conns[id].host_port);
    if (send(c->fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
        c->dead = true; /* no calls back into the device from its callback: the thread resets it */
        wake(u);
    }
}

/* Append guest bytes to the connection's ring (the device guarantees they fit). */
static void ring_put(struct vsock_uds_conn *c, const uint8_t *p, size_t len)
{
    while (len > 0) {
        size_t tail = (c->head + c->len) % BUF_ALLOC, k = BUF_ALLOC - tail;
        if (k > len)
            k = len;
        memcpy(c->buf + tail, p, k);
        c->len += k;
        p += k;
        len -= k;
    }
}

static long be_send(void *ctx, unsigned id, const struct virtio_vsock_buf *b, unsigned n, size_t len)
{
    struct vsock_uds *u = ctx;
    struct vsock_uds_conn *c = conn_of(u, id);
    size_t done = 0;

    if (c->fd < 0)
        return -1;
    if (c->len == 0) {
        struct msghdr m = { .msg_iov = (struct iovec *)(void *)b, .msg_iovlen = n };
        ssize_t r = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r < 0 && errno != EAGAIN)
            return -1;
        done = r < 0 ? 0 : (size_t)r;
    }
    if (done < len) {
        size_t skip = done;
        if (c->buf == NULL && (c->buf = malloc(BUF_ALLOC)) == NULL)
            return -1;
        if (len - done > BUF_ALLOC - c->len)
            return -1; /* cannot happen: the device enforces the credit */
        for (unsigned i = 0; i < n; i++) {
            if (skip >= b[i].len) {
                skip -= b[i].len;
                continue;
            }
            ring_put(c, (const uint8_t *)b[i].base + skip, b[i].len - skip);
            skip = 0;
        }
        wake(u); /* poll for POLLOUT */
    }
    return (long)done;
}

static long be_recv(void *ctx, unsigned id, const struct virtio_vsock_buf *b, unsigned n, size_t len)
{
    struct vsock_uds *u = ctx;
    struct vsock_uds_conn *c = conn_of(u, id);
    ssize_t r;

    (void)len; /* the pieces add up to len */
    if (c->fd < 0)
        return VIRTIO_VSOCK_RECV_ERR;
    r = readv(c->fd, (const struct iovec *)(const void *)b, (int)n);
    if (r > 0)
        return r;
    if (r == 0)
        return VIRTIO_VSOCK_RECV_EOF;
    return errno == EAGAIN || errno == EINTR ? VIRTIO_VSOCK_RECV_AGAIN : VIRTIO_VSOCK_RECV_ERR;
}

static void be_shutdown(void *ctx, unsigned id, uint32_t flags)
{
    struct vsock_uds *u = ctx;
    struct vsock_uds_conn *c = conn_of(u, id);

    if (c->fd < 0 || !(flags & VIRTIO_VSOCK_SHUTDOWN_SEND))
        return;
    c->shut_wr = true;
    if (c->len == 0)
        shutdown(c->fd, SHUT_WR);
}

static void be_close(void *ctx, unsigned id)
{
    struct vsock_uds *u = ctx;

    release(conn_of(u, id));
    wake(u);
}

int vsock_uds_open(struct vsock_uds *u, uint64_t cid, const char *path, char *err, size_t errlen)
{
    const struct virtio_vsock_backend be = {
        .ctx = u, .buf_alloc = BUF_ALLOC, .connect = be_connect, .connected = be_connected, .send = be_send,
        .recv = be_recv, .shutdown = be_shutdown, .close = be_close, .wake = wake,
    };
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;

    memset(u, 0, sizeof(*u));
    u->listen_fd = u->wake_fd = -1;
    for (unsigned i = 0; i < VIRTIO_VSOCK_MAX_CONNS; i++)
        u->conns[i].fd = -1;
    for (unsigned i = 0; i < VSOCK_UDS_HANDSHAKES; i++)
        u->hs[i].fd = -1;
    virtio_vsock_init(&u->vsock, cid, &be);
    /* "PATH_<port>" must fit sun_path too. */
    if (strlen(path) + 11 >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "--vsock: uds path '%s' is too long (at most %zu bytes)", path, sizeof(sa.sun_path) - 12);
        return -1;
    }
    snprintf(u->path, sizeof(u->path), "%s", path);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errlen, "--vsock: '%s' exists and is not a socket", path);
            return -1;
        }
        unlink(path);
    }
    u->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (u->listen_fd < 0 || bind(u->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(u->listen_fd, 16) < 0) {
        snprintf(err, errlen, "--vsock: cannot listen on '%s': %s", path, strerror(errno));
        return -1;
    }
    u->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (u->wake_fd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        return -1;
    }
    svmm_info("virtio-vsock: guest cid %llu, host sockets %s (connect here) and %s_<port> (guest connects)",
              (unsigned long long)cid, path, path);
    return 0;
}

/* ---- the socket thread ---- */

static void accept_host(struct vsock_uds *u)
{
    for (;;) {
        int fd = accept4(u->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        unsigned i;

        if (fd < 0)
            return;
        for (i = 0; i < VSOCK_UDS_HANDSHAKES && u->hs[i].fd >= 0; i++)
            ;
        if (i == VSOCK_UDS_HANDSHAKES) {
            close(fd); /* too many half-open host connections */
            continue;
        }
        u->hs[i] = (struct vsock_uds_handshake){ .fd = fd };
    }
}

/* Read the "CONNECT <port>\n" line byte by byte (what follows it belongs to the stream). */
static void handshake(struct vsock_uds *u, struct vsock_uds_handshake *s)
{
    for (;;) {
        char ch;
        ssize_t r = recv(s->fd, &ch, 1, MSG_DONTWAIT);
        unsigned long port;
        uint32_t hport;
        char *end;
        int id;

        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (r <= 0 || (ch != '\n' && s->len >= sizeof(s->line) - 1))
            goto drop;
        if (ch != '\n') {
            s->line[s->len++] = ch;
            continue;
        }
        s->line[s->len] = '\0';
        if (s->len > 0 && s->line[s->len - 1] == '\r')
            s->line[--s->len] = '\0';
        if (strncmp(s->line, "CONNECT ", 8) != 0 || s->line[8] < '0' || s->line[8] > '9')
            goto drop;
        errno = 0;
        port = strtoul(s->line + 8, &end, 10);
        if (errno || *end || port > 0xffffffffu)
            goto drop;
        id = virtio_vsock_host_connect(&u->vsock, (uint32_t)port, &hport);
        if (id < 0)
            goto drop;
        release(&u->conns[id]);
        u->conns[id].fd = s->fd;
        s->fd = -1;
        return;
    }
drop:
    close(s->fd);
    s->fd = -1;
}

/* Write buffered guest data; report what the host end consumed. */
static void flush(struct vsock_uds *u, unsigned id)
{
    struct vsock_uds_conn *c = &u->conns[id];
    uint32_t total = 0;

    while (c->len > 0) {
        size_t k = BUF_ALLOC - c->head < c->len ? BUF_ALLOC - c->head : c->len;
        ssize_t r = send(c->fd, c->buf + c->head, k, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r < 0 && errno == EAGAIN)
            break;
        if (r <= 0) {
            virtio_vsock_host_reset(&u->vsock, id); /* closes c */
            return;
        }
        c->head = (c->head + (size_t)r) % BUF_ALLOC;
        c->len -= (size_t)r;
        total += (uint32_t)r;
    }
    if (c->len == 0 && c->shut_wr)
        shutdown(c->fd, SHUT_WR);
    if (total)
        virtio_vsock_host_consumed(&u->vsock, id, total);
}

static void *socket_thread(void *arg)
{
    struct vsock_uds *u = arg;
    struct kvm_host *h = u->host;
    enum { FIXED = 3, MAXFDS = FIXED + VSOCK_UDS_HANDSHAKES + VIRTIO_VSOCK_MAX_CONNS };
    struct pollfd fds[MAXFDS];
    int what[MAXFDS]; /* >= 0: connection id; < 0: -1 - handshake index */

    for (;;) {
        nfds_t n = FIXED;
        uint64_t cnt;

        fds[0] = (struct pollfd){ h->stop_fd, POLLIN, 0 };
        fds[1] = (struct pollfd){ u->wake_fd, POLLIN, 0 };
        fds[2] = (struct pollfd){ u->listen_fd, POLLIN, 0 };
        pthread_mutex_lock(&h->dev_lock);
        for (unsigned i = 0; i < VIRTIO_VSOCK_MAX_CONNS; i++) {
            if (u->conns[i].dead) {
                u->conns[i].dead = false;
                virtio_vsock_host_reset(&u->vsock, i);
            }
        }
        for (unsigned i = 0; i < VSOCK_UDS_HANDSHAKES; i++) {
            if (u->hs[i].fd >= 0) {
                what[n] = -1 - (int)i;
                fds[n++] = (struct pollfd){ u->hs[i].fd, POLLIN, 0 };
            }
        }
        for (unsigned i = 0; i < VIRTIO_VSOCK_MAX_CONNS; i++) {
            const struct vsock_uds_conn *c = &u->conns[i];
            short ev = (short)((virtio_vsock_wants_recv(&u->vsock, i) ? POLLIN : 0) | (c->len ? POLLOUT : 0));
            if (c->fd >= 0 && ev) {
                what[n] = (int)i;
                fds[n++] = (struct pollfd){ c->fd, ev, 0 };
            }
        }
        pthread_mutex_unlock(&h->dev_lock);
        if (poll(fds, n, -1) < 0 && errno != EINTR)
            break;
        if (fds[0].revents)
            break;
        if (fds[1].revents && read(u->wake_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
            break;
        pthread_mutex_lock(&h->dev_lock);
        if (fds[2].revents)
            accept_host(u);
        for (nfds_t k = FIXED; k < n; k++) {
            short re = fds[k].revents;
            if (re == 0)
                continue;
            if (what[k] < 0) {
                struct vsock_uds_handshake *s = &u->hs[-1 - what[k]];
                if (s->fd == fds[k].fd)
                    handshake(u, s);
                continue;
            }
            /* The connection may have been closed (and the id reused) while handling earlier fds. */
            if (u->conns[what[k]].fd != fds[k].fd)
                continue;
            if (re & POLLOUT)
                flush(u, (unsigned)what[k]);
            if (u->conns[what[k]].fd == fds[k].fd && (re & (POLLIN | POLLHUP | POLLERR)) && (fds[k].events & POLLIN))
                virtio_vsock_host_readable(&u->vsock, (unsigned)what[k]);
        }
        pthread_mutex_unlock(&h->dev_lock);
    }
    return NULL;
}

int vsock_uds_start(struct vsock_uds *u, struct kvm_host *h, char *err, size_t errlen)
{
    int e;

    u->host = h;
    e = pthread_create(&u->thread, NULL, socket_thread, u);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the vsock socket thread: %s", strerror(e));
        return -1;
    }
    u->started = true;
    return 0;
}

void vsock_uds_join(struct vsock_uds *u)
{
    const struct virtio_vsock_stats *s = &u->vsock.stats;

    if (u->started)
        pthread_join(u->thread, NULL);
    for (unsigned i = 0; i < VIRTIO_VSOCK_MAX_CONNS; i++)
        release(&u->conns[i]);
    for (unsigned i = 0; i < VSOCK_UDS_HANDSHAKES; i++)
        if (u->hs[i].fd >= 0)
            close(u->hs[i].fd);
    if (u->listen_fd >= 0) {
        close(u->listen_fd);
        unlink(u->path);
    }
    svmm_info("vsock: guest->host %llu packets %llu bytes, host->guest %llu packets %llu bytes, %llu resets sent, "
              "%llu dropped (bad cid); to peers %llu packets, %llu refused (no such cid), %llu dropped (link full)",
              (unsigned long long)s->tx_packets, (unsigned long long)s->tx_bytes, (unsigned long long)s->rx_packets,
              (unsigned long long)s->rx_bytes, (unsigned long long)s->resets_sent, (unsigned long long)s->dropped_bad_cid,
              (unsigned long long)s->peer_packets, (unsigned long long)s->refused_cid, (unsigned long long)s->link_full);
}
