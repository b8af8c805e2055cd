/* SPDX-License-Identifier: BSD-2-Clause */
/* The server side of hosted blkq links, shared by svmm blk-server and svmm run --serve-disk (blk_serve_shm.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <svmm/log.h>
#include "blk_link_shm.h"
#include "blk_serve_shm.h"

void blk_serve_init(struct blk_serve *s, struct blk_server *srv, const char *who, uint32_t depth,
                    uint32_t slot_size, const struct blk_serve_hooks *hooks)
{
    memset(s, 0, sizeof(*s));
    s->srv = srv;
    s->who = who;
    s->depth = depth;
    s->slot_size = slot_size;
    s->hooks = *hooks;
    s->lfd = -1;
    for (unsigned i = 0; i < BLK_SERVER_MAX_CLIENTS; i++) {
        shm_link_clear(&s->ch[i].link);
        s->ch[i].sock = -1;
    }
}

int blk_serve_listen(struct blk_serve *s, const char *path, char *err, size_t errlen)
{
    s->lfd = shm_link_listen(path, err, errlen);
    return s->lfd < 0 ? -1 : 0;
}

static void refuse(const struct blk_serve *s, int sock, const char *fmt, const char *arg)
{
    struct blk_shm_welcome w = { .magic = BLK_SHM_MAGIC, .version = BLK_SHM_VERSION, .status = -1 };
    snprintf(w.error, sizeof(w.error), fmt, arg);
    svmm_warn("%s: refused a VMM: %s", s->who, w.error);
    shm_link_send(sock, &w, sizeof(w), NULL);
    close(sock);
}

/* The client a VMM asks for by name, free to attach; -1 after refusing the VMM. */
static int pick_client(const struct blk_serve *s, int sock)
{
    struct blk_shm_hello h;
    int i;

    if (recv(sock, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.magic != BLK_SHM_MAGIC ||
        h.version != BLK_SHM_VERSION) {
        refuse(s, sock, "%s", "not an svmm block link request of this version");
        return -1;
    }
    h.client[sizeof(h.client) - 1] = '\0';
    i = blk_server_find(s->srv, h.client);
    if (i < 0)
        refuse(s, sock, "no client named '%s'", h.client);
    else if (s->ch[i].sock >= 0)
        refuse(s, sock, "client '%s' is in use by another VMM", h.client);
    return i < 0 || s->ch[i].sock >= 0 ? -1 : i;
}


static void accept_vmm(struct blk_serve *s)
{
    struct blk_shm_welcome w = { .magic = BLK_SHM_MAGIC, .version = BLK_SHM_VERSION };
    struct shm_region_spec spec[BLK_SHM_REGIONS];
    const struct blk_server_client *c;
    char err[256];
    int refuse_fd, pid = 0, i, sock = shm_link_accept(s->lfd, &refuse_fd, &pid, err, sizeof(err));

    if (sock < 0) {
        if (refuse_fd >= 0)
            refuse(s, refuse_fd, "%s", err);
        return;
    }
    if ((i = pick_client(s, sock)) < 0)
        return;
    blk_shm_specs(spec, s->depth, s->slot_size);
    if (shm_link_create(&s->ch[i].link, spec, BLK_SHM_REGIONS, err, sizeof(err)) < 0) {
        refuse(s, sock, "%s", err);
        return;
    }
    /* The storage info is written (and marked ready) before the VMM ever sees the region. */
    if (s->hooks.attach(s->hooks.ctx, (unsigned)i, s->ch[i].link.map[0], s->ch[i].link.map[1], s->depth,
                        s->slot_size) < 0) {
        shm_link_destroy(&s->ch[i].link);
        refuse(s, sock, "%s", "the link's geometry was refused");
        return;
    }
    w.depth = s->depth;
    w.slot_size = s->slot_size;
    c = &s->srv->clients[i];
    if (shm_link_send(sock, &w, sizeof(w), &s->ch[i].link) < 0) {
        svmm_warn("%s: client %s: the VMM went away during the handshake", s->who, c->name);
        s->hooks.detach(s->hooks.ctx, (unsigned)i);
        shm_link_destroy(&s->ch[i].link);
        close(sock);
        return;
    }
    s->ch[i].sock = sock;
    svmm_info("%s: client %s connected (pid %d): %llu bytes%s", s->who, c->name, pid, (unsigned long long)c->size,
              c->read_only ? ", read-only" : "");
}

unsigned blk_serve_pollfds(const struct blk_serve *s, struct pollfd *fds, struct blk_serve_fd *what, unsigned max)
{
    unsigned n = 0;

    if (s->lfd >= 0 && n < max)
        fds[n] = (struct pollfd){ s->lfd, POLLIN, 0 }, what[n++] = (struct blk_serve_fd){ -1, false };
    for (unsigned i = 0; i < s->srv->nclients; i++) {
        if (s->ch[i].sock < 0 || n + 2 > max)
            continue;
        /* n + 2 <= max: both entries inside the caller's arrays. */
        fds[n] = (struct pollfd){ s->ch[i].sock, POLLIN, 0 }, what[n++] = (struct blk_serve_fd){ (int)i, true };
        fds[n] = (struct pollfd){ s->ch[i].link.to_server, POLLIN, 0 }, what[n++] = (struct blk_serve_fd){ (int)i, false };
    }
    return n;
}

int blk_serve_event(struct blk_serve *s, const struct pollfd *fd, const struct blk_serve_fd *what)
{
    char c;

    if (!fd->revents)
        return 0;
    if (what->client < 0) {
        accept_vmm(s);
        return 0;
    }
    if (!what->is_sock) {
        shm_link_drain(fd->fd);
        return 0;
    }
    if (s->ch[what->client].sock < 0)
        return 0;
    /* A VMM never sends after the handshake: data or hangup both end the link. */
    if (recv(fd->fd, &c, 1, MSG_DONTWAIT) >= 0 || errno != EAGAIN) {
        blk_serve_close(s, (unsigned)what->client);
        return 1 + what->client;
    }
    return 0;
}

void blk_serve_kick(const struct blk_serve *s, uint32_t notify)
{
    for (unsigned i = 0; i < s->srv->nclients; i++)
        if ((notify >> i) & 1)
            shm_link_kick(s->ch[i].link.to_client);
}

void blk_serve_close(struct blk_serve *s, unsigned i)
{
    if (s->ch[i].sock < 0)
        return;
    s->hooks.detach(s->hooks.ctx, i);
    shm_link_destroy(&s->ch[i].link);
    if (s->ch[i].sock >= 0)
        close(s->ch[i].sock);
    s->ch[i].sock = -1;
    svmm_info("%s: client %s disconnected", s->who, s->srv->clients[i].name);
}

void blk_serve_shutdown(struct blk_serve *s, const char *path)
{
    if (s->lfd >= 0) {
        close(s->lfd);
        unlink(path);
    }
    s->lfd = -1;
}
