/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `svmm blk-server`: the hosted native block server. One thread: poll() on the listening socket,
 * each connected VMM's socket (its hangup detaches the client) and each client's to-server eventfd;
 * blk_server_poll serves requests synchronously with pread/pwrite on the disk file (the page cache
 * makes that cheap enough; fdatasync only on FLUSH), then the VMMs it names get their eventfd kicked.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <svmm/blk_server.h>
#include <svmm/log.h>
#include "blk_link_shm.h"
#include "blk_server_cli.h"
#include "blk_server_main.h"

struct client_host {
    struct shm_link link;
    int sock; /* the connected VMM, -1 when none */
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* ---- the store: a file ---- */

static int file_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    int fd = *(int *)ctx;

    while (len > 0) {
        ssize_t n = pread(fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf = (uint8_t *)buf + n, off += (uint64_t)n, len -= (size_t)n;
    }
    return 0;
}

static int file_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    int fd = *(int *)ctx;

    while (len > 0) {
        ssize_t n = pwrite(fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf = (const uint8_t *)buf + n, off += (uint64_t)n, len -= (size_t)n;
    }
    return 0;
}

static int file_flush(void *ctx)
{
    return fdatasync(*(int *)ctx);
}

static int file_discard(void *ctx, uint64_t off, uint64_t len)
{
    /* A hint: a file system that cannot punch holes keeps the data, which discard allows. */
    if (fallocate(*(int *)ctx, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0 &&
        errno != EOPNOTSUPP)
        return -1;
    return 0;
}

static const struct blk_store_ops file_ops = { file_read, file_write, file_flush, file_discard };

/* Open the disk (read-only when every client is) and find its size; -1 + a logged error. */
static int open_disk(const struct blk_server_cli *cli, uint64_t *bytes)
{
    bool any_rw = false;
    struct stat st;
    off_t end;
    int fd;

    for (unsigned i = 0; i < cli->nclients; i++)
        any_rw = any_rw || !cli->clients[i].read_only;
    fd = open(cli->disk, (any_rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
        svmm_err("blk-server: cannot use disk '%s': %s", cli->disk, fd < 0 ? strerror(errno) : "not a file or block device");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    end = lseek(fd, 0, SEEK_END); /* a block device's size too */
    if (end < 0) {
        svmm_err("blk-server: cannot size disk '%s': %s", cli->disk, strerror(errno));
        close(fd);
        return -1;
    }
    *bytes = (uint64_t)end;
    return fd;
}

/* ---- connections ---- */

static void refuse(int sock, const char *fmt, const char *arg)
{
    struct blk_shm_welcome w = { .magic = BLK_SHM_MAGIC, .version = BLK_SHM_VERSION, .status = -1 };
    snprintf(w.error, sizeof(w.error), fmt, arg);
    svmm_warn("blk-server: refused a VMM: %s", w.error);
    shm_link_send(sock, &w, sizeof(w), NULL);
    close(sock);
}

/* The client a VMM asks for by name, free to attach; -1 after refusing the VMM. */
static int pick_client(int sock, const struct blk_server *srv, const struct client_host *ch)
{
    struct blk_shm_hello h;
    int i;

    if (recv(sock, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.magic != BLK_SHM_MAGIC ||
        h.version != BLK_SHM_VERSION) {
        refuse(sock, "%s", "not an svmm block link request of this version");
        return -1;
    }
    h.client[sizeof(h.client) - 1] = '\0';
    i = blk_server_find(srv, h.client);
    if (i < 0)
        refuse(sock, "no client named '%s'", h.client);
    else if (ch[i].sock >= 0)
        refuse(sock, "client '%s' is in use by another VMM", h.client);
    return i < 0 || ch[i].sock >= 0 ? -1 : i;
}

static void accept_vmm(int lfd, struct blk_server *srv, const struct blk_server_cli *cli, struct client_host *ch)
{
    struct blk_shm_welcome w = { .magic = BLK_SHM_MAGIC, .version = BLK_SHM_VERSION };
    struct shm_region_spec spec[BLK_SHM_REGIONS];
    char err[256];
    int refuse_fd, pid = 0, i, sock = shm_link_accept(lfd, &refuse_fd, &pid, err, sizeof(err));

    if (sock < 0) {
        if (refuse_fd >= 0)
            refuse(refuse_fd, "%s", err);
        return;
    }
    if ((i = pick_client(sock, srv, ch)) < 0)
        return;
    blk_shm_specs(spec, cli->depth, cli->slot_size);
    if (shm_link_create(&ch[i].link, spec, BLK_SHM_REGIONS, err, sizeof(err)) < 0) {
        refuse(sock, "%s", err);
        return;
    }
    /* The storage info is written (and marked ready) before the VMM ever sees the region. */
    blk_server_attach(srv, (unsigned)i, ch[i].link.map[0], ch[i].link.map[1], cli->depth, cli->slot_size);
    w.depth = cli->depth;
    w.slot_size = cli->slot_size;
    if (shm_link_send(sock, &w, sizeof(w), &ch[i].link) < 0) {
        svmm_warn("blk-server: client %s: the VMM went away during the handshake", srv->clients[i].name);
        blk_server_detach(srv, (unsigned)i);
        shm_link_destroy(&ch[i].link);
        close(sock);
        return;
    }
    ch[i].sock = sock;
    svmm_info("blk-server: client %s connected (pid %d): bytes %llu..%llu%s", srv->clients[i].name, pid,
              (unsigned long long)srv->clients[i].base,
              (unsigned long long)(srv->clients[i].base + srv->clients[i].size),
              srv->clients[i].read_only ? ", read-only" : "");
}

static void log_client(const struct blk_server_client *c)
{
    svmm_info("blk-server: client %s: %llu reads (%llu bytes), %llu writes (%llu bytes), %llu flushes, %llu discards, "
              "%llu refused requests, %llu I/O errors", c->name, (unsigned long long)c->stats.reads,
              (unsigned long long)c->stats.read_bytes, (unsigned long long)c->stats.writes,
              (unsigned long long)c->stats.write_bytes, (unsigned long long)c->stats.flushes,
              (unsigned long long)c->stats.discards, (unsigned long long)c->q.stats.bad_request,
              (unsigned long long)c->stats.io_errors);
}

static void detach_vmm(struct blk_server *srv, struct client_host *ch, unsigned i)
{
    blk_server_detach(srv, i);
    shm_link_destroy(&ch[i].link);
    close(ch[i].sock);
    ch[i].sock = -1;
    svmm_info("blk-server: client %s disconnected", srv->clients[i].name);
    log_client(&srv->clients[i]);
}

static void serve_all(struct blk_server *srv, struct client_host *ch)
{
    uint32_t notify;
    bool more;

    do {
        more = blk_server_poll(srv, &notify);
        for (unsigned i = 0; i < srv->nclients; i++)
            if ((notify >> i) & 1)
                shm_link_kick(ch[i].link.to_client);
    } while (more && !stop_requested);
}

static void serve(int lfd, struct blk_server *srv, const struct blk_server_cli *cli, struct client_host *ch)
{
    while (!stop_requested) {
        struct pollfd fds[1 + 2 * BLK_SERVER_MAX_CLIENTS];
        int who[1 + 2 * BLK_SERVER_MAX_CLIENTS];
        bool is_sock[1 + 2 * BLK_SERVER_MAX_CLIENTS];
        unsigned n = 0;

        fds[n] = (struct pollfd){ lfd, POLLIN, 0 }, who[n] = -1, is_sock[n++] = false;
        /* Two entries per client, nclients <= BLK_SERVER_MAX_CLIENTS: n stays inside the arrays. */
        for (unsigned i = 0; i < srv->nclients; i++) {
            if (ch[i].sock < 0)
                continue;
            fds[n] = (struct pollfd){ ch[i].sock, POLLIN, 0 }, who[n] = (int)i, is_sock[n++] = true;
            fds[n] = (struct pollfd){ ch[i].link.to_server, POLLIN, 0 }, who[n] = (int)i, is_sock[n++] = false;
        }
        if (poll(fds, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            svmm_err("blk-server: poll: %s", strerror(errno));
            return;
        }
        for (unsigned k = 1; k < n; k++) {
            if (!fds[k].revents)
                continue;
            if (!is_sock[k]) {
                shm_link_drain(fds[k].fd);
            } else if (ch[who[k]].sock >= 0) {
                char c;
                /* A VMM never sends after the handshake: data or hangup both end the link. */
                if (recv(fds[k].fd, &c, 1, MSG_DONTWAIT) >= 0 || errno != EAGAIN)
                    detach_vmm(srv, ch, (unsigned)who[k]);
            }
        }
        serve_all(srv, ch);
        if (fds[0].revents)
            accept_vmm(lfd, srv, cli, ch);
    }
}

/* Declare the command line's clients; -1 after logging the first bad one. */
static int add_clients(struct blk_server *srv, const struct blk_server_cli *cli, struct client_host *ch)
{
    char err[256];

    for (unsigned i = 0; i < cli->nclients; i++) {
        const struct blk_server_cli_client *c = &cli->clients[i];
        if (blk_server_add_client(srv, c->name, c->offset, c->size, c->read_only, err, sizeof(err)) < 0) {
            svmm_err("blk-server: --client %s: %s", c->name, err);
            return -1;
        }
        shm_link_clear(&ch[i].link);
        ch[i].sock = -1;
    }
    return 0;
}

int blk_server_main(int argc, char *const argv[], void (*log_sink)(enum svmm_log_level, const char *, unsigned))
{
    static struct blk_server srv;
    static struct client_host ch[BLK_SERVER_MAX_CLIENTS];
    static int disk_fd;
    struct blk_server_cli cli;
    struct sigaction sa = { .sa_handler = on_signal };
    uint64_t bytes;
    char err[256];
    int lfd;

    if (blk_server_cli_parse(argc, argv, &cli, err, sizeof(err)) < 0) {
        fprintf(stderr, "svmm: error: %s\n", err);
        return 1;
    }
    if (cli.help) {
        fputs(blk_server_cli_usage, stdout);
        return 0;
    }
    svmm_log_init(log_sink, cli.verbosity >= 2 ? SVMM_LOG_DEBUG : cli.verbosity == 1 ? SVMM_LOG_INFO : SVMM_LOG_WARN);
    signal(SIGPIPE, SIG_IGN);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if ((disk_fd = open_disk(&cli, &bytes)) < 0)
        return 1;
    blk_server_init(&srv, &file_ops, &disk_fd, bytes);
    if (add_clients(&srv, &cli, ch) < 0)
        return 1;
    if ((lfd = shm_link_listen(cli.listen, err, sizeof(err))) < 0) {
        svmm_err("blk-server: %s", err);
        return 1;
    }
    svmm_info("blk-server: %u client%s on %s (%llu bytes), listening on %s", cli.nclients, cli.nclients > 1 ? "s" : "",
              cli.disk, (unsigned long long)bytes, cli.listen);
    serve(lfd, &srv, &cli, ch);
    for (unsigned i = 0; i < srv.nclients; i++) {
        if (ch[i].sock >= 0)
            detach_vmm(&srv, ch, i);
        else
            log_client(&srv.clients[i]);
    }
    fdatasync(disk_fd);
    close(disk_fd);
    close(lfd);
    unlink(cli.listen);
    svmm_info("blk-server: stopped");
    return 0;
}
