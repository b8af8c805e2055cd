/* SPDX-License-Identifier: BSD-2-Clause */
/* Hosted VM-to-VM vsock links: rendezvous over Unix sockets, netq_shm memory, one service thread (vsock_peers.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <svmm/log.h>
#include "vsock_peers.h"

#define RETRY_MS 100

static void kick_peer(void *ctx)
{
    struct vsock_peer *p = ctx;
    shm_link_kick(p->out_fd);
}

/* The name both ends of a pair agree on: lower CID first, in hex so it fits the hello's port field. */
static void pair_name(uint64_t a, uint64_t b, char *out, size_t len)
{
    uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
    snprintf(out, len, "v%llx-%llx", (unsigned long long)lo, (unsigned long long)hi);
}

int vsock_peers_open(struct vsock_peers *ps, struct virtio_vsock *dev, const struct svmm_cli_vsock *vs, char *err,
                     size_t errlen)
{
    memset(ps, 0, sizeof(*ps));
    ps->dev = dev;
    ps->cid = vs->cid;
    for (unsigned i = 0; i < vs->npeers && i < SVMM_CLI_MAX_VSOCK_PEERS; i++) {
        struct vsock_peer *p = &ps->peers[i];
        p->listen_fd = p->sock = p->in_fd = p->out_fd = -1;
        netq_shm_link_clear(&p->shm);
        snprintf(p->path, sizeof(p->path), "%.*s", (int)vs->peers[i].path_len, vs->peers[i].path);
        p->listener = vs->cid < vs->peers[i].cid;
        p->link.peer_cid = vs->peers[i].cid;
        ps->n = i + 1;
        if (virtio_vsock_add_link(dev, &p->link) < 0) {
            snprintf(err, errlen, "--vsock: peer %llu: cannot add a link", (unsigned long long)p->link.peer_cid);
            return -1;
        }
        if (p->listener && (p->listen_fd = shm_link_listen(p->path, err, errlen)) < 0)
            return -1;
        svmm_info("virtio-vsock: peer cid %llu via %s (%s)", (unsigned long long)p->link.peer_cid, p->path,
                  p->listener ? "we listen" : "we connect");
    }
    return 0;
}

/* Map the link into the device (under the device lock): from now on the guest reaches the peer. */
static void link_up(struct vsock_peers *ps, struct vsock_peer *p)
{
    void *send = p->listener ? p->shm.rx : p->shm.tx, *recv = p->listener ? p->shm.tx : p->shm.rx;
    uint64_t peer = p->link.peer_cid;

    p->in_fd = p->listener ? p->shm.to_switch : p->shm.to_vmm;
    p->out_fd = p->listener ? p->shm.to_vmm : p->shm.to_switch;
    pthread_mutex_lock(&ps->host->dev_lock);
    if (vsock_link_init(&p->link, ps->cid, peer, p->listener, p->shm.queues, send, recv, p->shm.nbufs,
                        p->shm.buf_size, kick_peer, p) < 0) {
        p->link.peer_cid = peer; /* the device still knows the CID; the link stays down */
        svmm_warn("vsock: peer cid %llu offered a link geometry we cannot use", (unsigned long long)p->link.peer_cid);
    } else {
        virtio_vsock_links_notified(ps->dev); /* packets may be waiting already */
    }
    pthread_mutex_unlock(&ps->host->dev_lock);
    svmm_info("vsock: link to cid %llu up (%u buffers of %u bytes each way)", (unsigned long long)p->link.peer_cid,
              p->shm.nbufs, p->shm.buf_size);
}

static void refuse(int sock, const char *why)
{
    struct netq_shm_welcome w = { .magic = NETQ_SHM_MAGIC, .version = NETQ_SHM_VERSION, .status = -1 };

    snprintf(w.error, sizeof(w.error), "%s", why);
    netq_shm_send_welcome(sock, &w, NULL);
    close(sock);
}

/* Listener: a VMM connected; it must ask for our pair, then gets a fresh link. */
static void accept_peer(struct vsock_peers *ps, struct vsock_peer *p)
{
    struct netq_shm_welcome w = { .magic = NETQ_SHM_MAGIC, .version = NETQ_SHM_VERSION };
    struct netq_shm_hello h;
    char err[200], want[NETQ_SHM_NAME_MAX + 1];
    int refuse_fd, pid = 0, sock = shm_link_accept(p->listen_fd, &refuse_fd, &pid, err, sizeof(err));

    if (sock < 0) {
        if (refuse_fd >= 0)
            refuse(refuse_fd, err);
        return;
    }
    pair_name(ps->cid, p->link.peer_cid, want, sizeof(want));
    if (recv(sock, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.magic != NETQ_SHM_MAGIC ||
        h.version != NETQ_SHM_VERSION || (h.port[sizeof(h.port) - 1] = '\0', strcmp(h.port, want) != 0)) {
        svmm_warn("vsock: refused a VMM on %s: it did not ask for pair %s", p->path, want);
        refuse(sock, "not the vsock pair this socket serves");
        return;
    }
    if (netq_shm_create(&p->shm, VSOCK_LINK_NBUFS, VSOCK_LINK_BUF_SIZE, err, sizeof(err)) < 0) {
        refuse(sock, err);
        return;
    }
    w.nbufs = VSOCK_LINK_NBUFS;
    w.buf_size = VSOCK_LINK_BUF_SIZE;
    if (netq_shm_send_welcome(sock, &w, &p->shm) < 0) {
        netq_shm_destroy(&p->shm);
        close(sock);
        return;
    }
    p->sock = sock;
    /* One link per pair and run: nobody else may connect now. */
    close(p->listen_fd);
    p->listen_fd = -1;
    unlink(p->path);
    link_up(ps, p);
}

/* Connector: try once; the listener may not be up yet. */
static void try_connect(struct vsock_peers *ps, struct vsock_peer *p)
{
    char name[NETQ_SHM_NAME_MAX + 1], err[256];
    uint8_t mac[6];
    bool has_mac;

    pair_name(ps->cid, p->link.peer_cid, name, sizeof(name));
    if (netq_shm_connect(&p->shm, p->path, name, mac, &has_mac, &p->sock, err, sizeof(err)) < 0) {
        svmm_dbg("vsock: peer cid %llu not there yet: %s", (unsigned long long)p->link.peer_cid, err);
        return;
    }
    if (p->shm.nbufs != VSOCK_LINK_NBUFS || p->shm.buf_size != VSOCK_LINK_BUF_SIZE) {
        svmm_warn("vsock: peer cid %llu offered %u buffers of %u bytes, not %u of %u: link refused",
                  (unsigned long long)p->link.peer_cid, p->shm.nbufs, p->shm.buf_size, VSOCK_LINK_NBUFS,
                  VSOCK_LINK_BUF_SIZE);
        netq_shm_destroy(&p->shm);
        close(p->sock);
        p->sock = -1;
        p->gone = true;
        return;
    }
    link_up(ps, p);
}

static void peer_gone(struct vsock_peers *ps, struct vsock_peer *p)
{
    svmm_warn("vsock: the VMM of peer cid %llu went away; its link is down", (unsigned long long)p->link.peer_cid);
    pthread_mutex_lock(&ps->host->dev_lock);
    p->link.up = false; /* the device answers the guest's packets for that CID with RST from now on */
    pthread_mutex_unlock(&ps->host->dev_lock);
    p->gone = true;
}

static void *peers_thread(void *arg)
{
    struct vsock_peers *ps = arg;
    enum { MAXFDS = 1 + 2 * SVMM_CLI_MAX_VSOCK_PEERS };
    struct pollfd fds[MAXFDS];
    int who[MAXFDS]; /* peer index; fds[k] is its listen fd, eventfd or socket */

    for (;;) {
        nfds_t n = 1;
        bool retry = false;

        fds[0] = (struct pollfd){ ps->host->stop_fd, POLLIN, 0 };
        for (unsigned i = 0; i < ps->n; i++) {
            struct vsock_peer *p = &ps->peers[i];
            if (p->gone)
                continue;
            if (!p->link.up) {
                if (p->listener && p->listen_fd >= 0) {
                    who[n] = (int)i;
                    fds[n++] = (struct pollfd){ p->listen_fd, POLLIN, 0 };
                } else if (!p->listener) {
                    retry = true;
                }
                continue;
            }
            /* n <= 1 + 2 * i < MAXFDS: two entries per peer at most. */
            who[n] = (int)i;
            fds[n++] = (struct pollfd){ p->in_fd, POLLIN, 0 };
            who[n] = (int)i;
            fds[n++] = (struct pollfd){ p->sock, POLLIN, 0 };
        }
        if (poll(fds, n, retry ? RETRY_MS : -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[0].revents)
            break;
        for (nfds_t k = 1; k < n; k++) {
            struct vsock_peer *p = &ps->peers[who[k]];
            if (!fds[k].revents || p->gone)
                continue;
            if (fds[k].fd == p->listen_fd) {
                accept_peer(ps, p);
            } else if (fds[k].fd == p->sock) {
                peer_gone(ps, p); /* the peer never writes after the handshake: this is its exit */
            } else {
                shm_link_drain(p->in_fd);
                pthread_mutex_lock(&ps->host->dev_lock);
                virtio_vsock_links_notified(ps->dev);
                pthread_mutex_unlock(&ps->host->dev_lock);
            }
        }
        for (unsigned i = 0; retry && i < ps->n; i++)
            if (!ps->peers[i].listener && !ps->peers[i].link.up && !ps->peers[i].gone)
                try_connect(ps, &ps->peers[i]);
    }
    return NULL;
}

int vsock_peers_start(struct vsock_peers *ps, struct kvm_host *h, char *err, size_t errlen)
{
    int e;

    if (ps->n == 0)
        return 0;
    ps->host = h;
    e = pthread_create(&ps->thread, NULL, peers_thread, ps);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the vsock peers' thread: %s", strerror(e));
        return -1;
    }
    ps->started = true;
    return 0;
}

void vsock_peers_join(struct vsock_peers *ps)
{
    if (ps->started)
        pthread_join(ps->thread, NULL);
    ps->started = false;
    for (unsigned i = 0; i < ps->n; i++) {
        struct vsock_peer *p = &ps->peers[i];
        const struct vsock_link_stats *s = &p->link.stats;
        svmm_info("vsock: link to cid %llu: %llu packets sent, %llu received, %llu refused (bad header), %llu guest "
                  "packets dropped (link full), %llu notifications", (unsigned long long)p->link.peer_cid,
                  (unsigned long long)s->sent, (unsigned long long)s->received, (unsigned long long)s->bad_packets,
                  (unsigned long long)s->full, (unsigned long long)s->notifies);
        p->link.up = false;
        netq_shm_destroy(&p->shm);
        if (p->sock >= 0)
            close(p->sock);
        if (p->listen_fd >= 0) {
            close(p->listen_fd);
            unlink(p->path);
        }
        p->sock = p->listen_fd = -1;
    }
}
