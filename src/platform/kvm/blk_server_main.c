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
#include <sys/stat.h>
#include <unistd.h>
#include <svmm/blk_server.h>
#include <svmm/log.h>
#include "blk_serve_shm.h"
#include "blk_server_cli.h"
#include "blk_server_main.h"

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

/* ---- connections (blk_serve_shm.c): the native server attaches and detaches as it is ---- */

static int attach_client(void *ctx, unsigned i, void *queues, void *data, uint32_t depth, uint32_t slot_size)
{
    return blk_server_attach(ctx, i, queues, data, depth, slot_size);
}

static void detach_client(void *ctx, unsigned i)
{
    blk_server_detach(ctx, i);
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

static void serve_all(struct blk_serve *bs)
{
    uint32_t notify;
    bool more;

    do {
        more = blk_server_poll(bs->srv, &notify);
        blk_serve_kick(bs, notify);
    } while (more && !stop_requested);
}

static void serve(struct blk_serve *bs)
{
    while (!stop_requested) {
        struct pollfd fds[BLK_SERVE_MAX_FDS];
        struct blk_serve_fd what[BLK_SERVE_MAX_FDS];
        unsigned n = blk_serve_pollfds(bs, fds, what, BLK_SERVE_MAX_FDS);
        int gone;

        if (poll(fds, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            svmm_err("blk-server: poll: %s", strerror(errno));
            return;
        }
        /* Entry 0 is the listening socket: accept after serving, as a new client starts empty. */
        for (unsigned k = 1; k < n; k++)
            if ((gone = blk_serve_event(bs, &fds[k], &what[k])) > 0)
                log_client(&bs->srv->clients[gone - 1]);
        serve_all(bs);
        blk_serve_event(bs, &fds[0], &what[0]);
    }
}

/* Declare the command line's clients; -1 after logging the first bad one. */
static int add_clients(struct blk_server *srv, const struct blk_server_cli *cli)
{
    char err[256];

    for (unsigned i = 0; i < cli->nclients; i++) {
        const struct blk_server_cli_client *c = &cli->clients[i];
        if (blk_server_add_client(srv, c->name, c->offset, c->size, c->read_only, err, sizeof(err)) < 0) {
            svmm_err("blk-server: --client %s: %s", c->name, err);
            return -1;
        }
    }
    return 0;
}

int blk_server_main(int argc, char *const argv[], void (*log_sink)(enum svmm_log_level, const char *, unsigned))
{
    static struct blk_server srv;
    static struct blk_serve bs;
    const struct blk_serve_hooks hooks = { attach_client, detach_client, &srv };
    static int disk_fd;
    struct blk_server_cli cli;
    struct sigaction sa = { .sa_handler = on_signal };
    uint64_t bytes;
    char err[256];

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
    if (add_clients(&srv, &cli) < 0)
        return 1;
    blk_serve_init(&bs, &srv, "blk-server", cli.depth, cli.slot_size, &hooks);
    if (blk_serve_listen(&bs, cli.listen, err, sizeof(err)) < 0) {
        svmm_err("blk-server: %s", err);
        return 1;
    }
    svmm_info("blk-server: %u client%s on %s (%llu bytes), listening on %s", cli.nclients, cli.nclients > 1 ? "s" : "",
              cli.disk, (unsigned long long)bytes, cli.listen);
    serve(&bs);
    for (unsigned i = 0; i < srv.nclients; i++) {
        blk_serve_close(&bs, i);
        log_client(&srv.clients[i]);
    }
    fdatasync(disk_fd);
    close(disk_fd);
    blk_serve_shutdown(&bs, cli.listen);
    svmm_info("blk-server: stopped");
    return 0;
}
