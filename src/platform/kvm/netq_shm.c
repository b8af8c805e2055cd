/* SPDX-License-Identifier: BSD-2-Clause */
/* netq links between processes: sealed memfds + eventfds over a Unix socket (netq_shm.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <svmm/netq.h>
#include "netq_shm.h"

#define NFDS 5
#define SIZE_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

void netq_shm_link_clear(struct netq_shm_link *l)
{
    memset(l, 0, sizeof(*l));
    l->qfd = l->txfd = l->rxfd = l->to_switch = l->to_vmm = -1;
}

void netq_shm_destroy(struct netq_shm_link *l)
{
    if (l->queues)
        munmap(l->queues, l->qbytes);
    if (l->tx)
        munmap(l->tx, l->dbytes);
    if (l->rx)
        munmap(l->rx, l->dbytes);
    for (int *fd = &l->qfd; fd <= &l->to_vmm; fd++)
        if (*fd >= 0)
            close(*fd);
    netq_shm_link_clear(l);
}

static int make_memfd(const char *name, size_t bytes, char *err, size_t errlen)
{
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

    if (fd < 0) {
        snprintf(err, errlen, "memfd_create: %s", strerror(errno));
        return -1;
    }
    if (ftruncate(fd, (off_t)bytes) < 0 || fcntl(fd, F_ADD_SEALS, SIZE_SEALS & ~F_SEAL_SEAL) < 0) {
        snprintf(err, errlen, "cannot size and seal a %zu-byte memfd: %s", bytes, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static void *map(int fd, size_t bytes, int prot)
{
    void *p = mmap(NULL, bytes, prot, MAP_SHARED, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}

int netq_shm_create(struct netq_shm_link *l, uint32_t nbufs, uint32_t buf_size, char *err, size_t errlen)
{
    netq_shm_link_clear(l);
    if (!netq_geometry_ok(nbufs, buf_size)) {
        snprintf(err, errlen, "bad link geometry: %u buffers of %u bytes", nbufs, buf_size);
        return -1;
    }
    l->nbufs = nbufs;
    l->buf_size = buf_size;
    l->qbytes = netq_link_queue_bytes(nbufs);
    l->dbytes = ((size_t)nbufs * buf_size + 4095) & ~(size_t)4095;
    if ((l->qfd = make_memfd("svmm-netq-queues", l->qbytes, err, errlen)) < 0 ||
        (l->txfd = make_memfd("svmm-netq-tx", l->dbytes, err, errlen)) < 0 ||
        (l->rxfd = make_memfd("svmm-netq-rx", l->dbytes, err, errlen)) < 0)
        goto fail;
    l->queues = map(l->qfd, l->qbytes, PROT_READ | PROT_WRITE);
    l->tx = map(l->txfd, l->dbytes, PROT_READ);               /* the VMM's buffers: we only read them */
    l->rx = map(l->rxfd, l->dbytes, PROT_READ | PROT_WRITE);
    if (l->queues == NULL || l->tx == NULL || l->rx == NULL) {
        snprintf(err, errlen, "cannot map a link: %s", strerror(errno));
        goto fail;
    }
    /* Our writable mapping of rx exists now; from here on the VMM can only map it read-only. */
    if (fcntl(l->rxfd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) < 0 ||
        fcntl(l->qfd, F_ADD_SEALS, F_SEAL_SEAL) < 0 || fcntl(l->txfd, F_ADD_SEALS, F_SEAL_SEAL) < 0) {
        snprintf(err, errlen, "cannot seal the link's memory: %s", strerror(errno));
        goto fail;
    }
    l->to_switch = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    l->to_vmm = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->to_switch < 0 || l->to_vmm < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        goto fail;
    }
    return 0;
fail:
    netq_shm_destroy(l);
    return -1;
}

int netq_shm_send_welcome(int sock, const struct netq_shm_welcome *w, const struct netq_shm_link *l)
{
    union {
        char buf[CMSG_SPACE(NFDS * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = { .iov_base = (void *)w, .iov_len = sizeof(*w) };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

    if (w->status == 0) {
        int fds[NFDS] = { l->qfd, l->txfd, l->rxfd, l->to_switch, l->to_vmm };
        struct cmsghdr *c;
        memset(&u, 0, sizeof(u));
        msg.msg_control = u.buf;
        msg.msg_controllen = sizeof(u.buf);
        c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(fds));
        memcpy(CMSG_DATA(c), fds, sizeof(fds));
    }
    return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(*w) ? 0 : -1;
}

/* A received memfd must be exactly what a switch creates: sealed against resizing, big enough. */
static int check_memfd(int fd, size_t bytes, bool read_only, const char *what, char *err, size_t errlen)
{
    struct stat st;
    int seals = fcntl(fd, F_GET_SEALS);

    if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW) ||
        (read_only && !(seals & F_SEAL_FUTURE_WRITE)) || fstat(fd, &st) < 0 || (size_t)st.st_size < bytes) {
        snprintf(err, errlen, "the switch sent a %s region that is not a sealed memfd of %zu bytes", what, bytes);
        return -1;
    }
    return 0;
}

static int recv_welcome(int sock, struct netq_shm_welcome *w, int fds[NFDS], char *err, size_t errlen)
{
    union {
        char buf[CMSG_SPACE(NFDS * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = { .iov_base = w, .iov_len = sizeof(*w) };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);

    for (int i = 0; i < NFDS; i++)
        fds[i] = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); n > 0 && c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(NFDS * sizeof(int)))
            memcpy(fds, CMSG_DATA(c), NFDS * sizeof(int));
    if (n != (ssize_t)sizeof(*w) || w->magic != NETQ_SHM_MAGIC || w->version != NETQ_SHM_VERSION) {
        snprintf(err, errlen, "no valid answer from the switch (%s)", n < 0 ? strerror(errno) : "short or foreign message");
        return -1;
    }
    w->error[sizeof(w->error) - 1] = '\0';
    if (w->status != 0) {
        snprintf(err, errlen, "the switch refused the port: %s", w->error);
        return -1;
    }
    if (msg.msg_flags & MSG_CTRUNC || fds[NFDS - 1] < 0) {
        snprintf(err, errlen, "the switch's answer carried no link");
        return -1;
    }
    return 0;
}

int netq_shm_connect(struct netq_shm_link *l, const char *path, const char *port, uint8_t mac[6], bool *has_mac,
                     int *sockp, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct netq_shm_hello h = { .magic = NETQ_SHM_MAGIC, .version = NETQ_SHM_VERSION };
    struct netq_shm_welcome w;
    int fds[NFDS] = { -1, -1, -1, -1, -1 }, sock;

    netq_shm_link_clear(l);
    if (strlen(path) >= sizeof(sa.sun_path) || strlen(port) > NETQ_SHM_NAME_MAX) {
        snprintf(err, errlen, "switch socket path or port name too long");
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path));
    memcpy(h.port, port, strlen(port));
    sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        snprintf(err, errlen, "cannot connect to the switch at %s: %s (is `svmm switch` running?)", path,
                 strerror(errno));
        goto fail_sock;
    }
    if (send(sock, &h, sizeof(h), MSG_NOSIGNAL) != (ssize_t)sizeof(h) || recv_welcome(sock, &w, fds, err, errlen) < 0)
        goto fail_fds;
    l->qfd = fds[0], l->txfd = fds[1], l->rxfd = fds[2], l->to_switch = fds[3], l->to_vmm = fds[4];
    if (!netq_geometry_ok(w.nbufs, w.buf_size)) {
        snprintf(err, errlen, "the switch offered a bad geometry (%u buffers of %u bytes)", w.nbufs, w.buf_size);
        goto fail;
    }
    l->nbufs = w.nbufs;
    l->buf_size = w.buf_size;
    l->qbytes = netq_link_queue_bytes(w.nbufs);
    l->dbytes = ((size_t)w.nbufs * w.buf_size + 4095) & ~(size_t)4095;
    if (check_memfd(l->qfd, l->qbytes, false, "queue", err, errlen) < 0 ||
        check_memfd(l->txfd, l->dbytes, false, "tx", err, errlen) < 0 ||
        check_memfd(l->rxfd, l->dbytes, true, "rx", err, errlen) < 0)
        goto fail;
    l->queues = map(l->qfd, l->qbytes, PROT_READ | PROT_WRITE);
    l->tx = map(l->txfd, l->dbytes, PROT_READ | PROT_WRITE);
    l->rx = map(l->rxfd, l->dbytes, PROT_READ);
    if (l->queues == NULL || l->tx == NULL || l->rx == NULL) {
        snprintf(err, errlen, "cannot map the switch link: %s", strerror(errno));
        goto fail;
    }
    memcpy(mac, w.mac, 6);
    *has_mac = w.has_mac != 0;
    *sockp = sock;
    return 0;
fail_fds:
    for (int i = 0; i < NFDS; i++)
        if (fds[i] >= 0)
            close(fds[i]);
fail_sock:
    if (sock >= 0)
        close(sock);
    return -1;
fail:
    netq_shm_destroy(l);
    close(sock);
    return -1;
}

void netq_shm_kick(int efd)
{
    uint64_t one = 1;
    ssize_t r = write(efd, &one, sizeof(one));
    (void)r; /* EAGAIN: the counter is saturated, a wake-up is pending anyway */
}

void netq_shm_drain(int efd)
{
    uint64_t v;
    ssize_t r = read(efd, &v, sizeof(v));
    (void)r;
}
