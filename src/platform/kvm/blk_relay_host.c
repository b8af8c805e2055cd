/* SPDX-License-Identifier: BSD-2-Clause */
/* A driver VM's VMM: blkq clients relayed to the agent in this VM over the svmm-blk console port (blk_relay_host.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <svmm/config.h>
#include <svmm/log.h>
#include <svmm/virtio_mmio.h>
#include "blk_relay_host.h"

/*
 * The port's receive buffers: Linux's driver posts a page each and re-posts each one the agent has
 * read, so a WRITE's 128 KiB fill 33 of them; asking for a notification as soon as one came back cost
 * one VM exit every page or two. With a batch the driver notifies once per 64 (256 KiB), and the
 * thread looks again every RETRY_MS while output waits, in case a driver posts fewer.
 */
#define RX_BATCH 64u
#define RETRY_MS 20

/*
 * The clients' links: 8 slots of 1 MiB (8 MiB of data region, as svmm blk-server's 64 x 128 KiB).
 * Every part costs a frame, a round of the agent's I/O, VM exits, interrupts and thread wake-ups in
 * the driver VM whatever its size, and the user VM's reads and writes come as 1 MiB requests (its
 * readahead and writeback, up to max_sectors_kb): in slots of the largest size blkq allows each
 * request is one part (it was two of 512 KiB until 2026-12-04, four of 128 KiB before).
 */
#define LINK_DEPTH 8u
#define LINK_SLOT BLKQ_MAX_SLOT_SIZE

/* ---- the console port's backend (called inside the console device, under the device lock) ---- */

/*
 * The agent wrote: act on its frames and signal the clients it answered. The thread is woken only
 * when a tag came free (it may take more requests now); a piece of a frame needs nothing more.
 */
static void port_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct blk_relay_host *b = ctx;
    uint64_t answered = b->relay.stats.responses;

    b->port_writes++;
    blk_relay_input(&b->relay, buf, len);
    if (b->relay.stats.responses != answered) {
        blk_serve_kick(&b->serve, blk_relay_take_notify(&b->relay));
        if (!b->on_thread) /* else it runs the relay next anyway */
            shm_link_kick(b->wake_fd);
    }
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * The guest posted receive buffers or opened the port: the thread may push output now. An open
 * after a close is a new agent: its stream starts with the HELLOs and the requests kept for it.
 */
static void port_rx_ready(void *ctx)
{
    struct blk_relay_host *b = ctx;

    b->rx_readies++;
    if (b->relay.agent_away && b->con->ports[b->port].guest_open) {
        svmm_info("serve-disk: an agent opened the port: %u held request%s to send again", b->relay.nheld,
                  b->relay.nheld == 1 ? "" : "s");
        blk_relay_agent_opened(&b->relay);
    }
    if (!b->on_thread)
        shm_link_kick(b->wake_fd);
}

/*
 * The agent closed the port (its process exited or was killed) or the driver VM reset its console:
 * the relay keeps what the agent held for the next one, and the thread starts the grace clock.
 */
static void port_closed(void *ctx)
{
    struct blk_relay_host *b = ctx;

    if (b->relay.agent_away)
        return; /* a console reset after the close: the grace clock runs on */
    blk_relay_agent_closed(&b->relay);
    b->away_since_ms = now_ms();
    svmm_info("serve-disk: the agent closed the port: %u unanswered request%s kept for the next one (%u s grace)",
              b->relay.nheld, b->relay.nheld == 1 ? "" : "s", BLK_RELAY_AGENT_GRACE_MS / 1000u);
    shm_link_kick(b->wake_fd);
}

/*
 * The agent's buffers (blk_relay.h, mapped buffers): a page of this VM's RAM as this process maps
 * it, or NULL outside RAM. Guest RAM stays mapped for the process's life, so the pointer does too.
 * Frames come only once the thread runs (after blk_relay_host_start set the host).
 */
static const uint8_t *guest_page(void *ctx, uint64_t gpa)
{
    struct blk_relay_host *b = ctx;

    if (b->host == NULL)
        return NULL;
    return svmm_gpa_to_host(&b->host->vm->mem, gpa, BLK_AGENT_PAGE, false);
}

/* ---- attaching and detaching clients (blk_serve_shm.c's hooks, from the relay's thread) ---- */

static int attach_client(void *ctx, unsigned i, void *queues, void *data, uint32_t depth, uint32_t slot_size)
{
    struct blk_relay_host *b = ctx;
    int r;

    pthread_mutex_lock(&b->host->dev_lock);
    r = blk_relay_attach(&b->relay, i, queues, data, depth, slot_size);
    pthread_mutex_unlock(&b->host->dev_lock);
    return r;
}

/* Requests the agent still holds become orphans before the client's regions are unmapped. */
static void detach_client(void *ctx, unsigned i)
{
    struct blk_relay_host *b = ctx;

    pthread_mutex_lock(&b->host->dev_lock);
    blk_relay_detach(&b->relay, i);
    pthread_mutex_unlock(&b->host->dev_lock);
}

/* ---- the relay's thread ---- */

/*
 * Move the relay's output into the port while the guest has receive buffers for it. True if output
 * is left for an open port (its receive buffers ran out).
 */
static bool push_output(struct blk_relay_host *b)
{
    const uint8_t *p;
    size_t len, n;

    while ((p = blk_relay_output(&b->relay, &len)) != NULL && len > 0) {
        n = virtio_console_port_input(b->con, b->port, p, len);
        blk_relay_consume(&b->relay, n);
        if (n < len) /* no buffers (the console asked for a notification) or the port is closed */
            return virtio_console_port_ready(b->con, b->port);
    }
    return false;
}

/*
 * The agent has been away (closed port) for the grace period: fail what it held and what comes.
 * Returns the poll timeout until then (-1: no agent is away, or it is lost already).
 */
static int check_agent_away(struct blk_relay_host *b)
{
    uint64_t waited;

    if (!b->relay.agent_away || b->relay.agent_lost)
        return -1;
    waited = now_ms() - b->away_since_ms;
    if (waited < BLK_RELAY_AGENT_GRACE_MS)
        return (int)(BLK_RELAY_AGENT_GRACE_MS - waited);
    svmm_warn("serve-disk: no agent for %u s: failing its %u requests and new ones until one opens the port",
              BLK_RELAY_AGENT_GRACE_MS / 1000u, b->relay.ntags_busy);
    blk_relay_agent_lost(&b->relay);
    return -1;
}

/*
 * Take client requests and send them on, until the clients have no more or the relay has no tags
 * or room left (then the agent's answers wake the thread again). Returns the poll timeout: RETRY_MS
 * while output waits for receive buffers, else the agent's grace period (check_agent_away) or -1.
 */
static int run_relay(struct blk_relay_host *b)
{
    const struct blk_relay_stats *st = &b->relay.stats;
    uint64_t before;
    bool more, waiting;
    int timeout;

    pthread_mutex_lock(&b->host->dev_lock);
    timeout = check_agent_away(b);
    do {
        before = st->requests + st->responses;
        more = blk_relay_pump(&b->relay);
        waiting = push_output(b);
        blk_serve_kick(&b->serve, blk_relay_take_notify(&b->relay));
    } while (more && st->requests + st->responses != before);
    pthread_mutex_unlock(&b->host->dev_lock);
    b->wakeups++;
    return waiting && (timeout < 0 || timeout > RETRY_MS) ? RETRY_MS : timeout;
}

/*
 * The guest notified one of the port's queues (its ioeventfd fired): the notification goes the way
 * of a vCPU's QueueNotify write, through the transport's checks and counters, under the device
 * lock. Transmit: the agent's bytes reach the relay here; receive: buffers for the relay's output.
 */
static void take_kick(struct blk_relay_host *b, int fd, uint32_t queue, uint64_t *count)
{
    shm_link_drain(fd);
    (*count)++;
    pthread_mutex_lock(&b->host->dev_lock);
    b->on_thread = true;
    virtio_mmio_queue_notify(b->transport, queue);
    b->on_thread = false;
    pthread_mutex_unlock(&b->host->dev_lock);
}

/* poll() slots: the stop, the wake-up, the port's two notifications, then blk_serve's. */
enum { FD_STOP, FD_WAKE, FD_TX, FD_RX, FD_SERVE };

static void *relay_thread(void *arg)
{
    struct blk_relay_host *b = arg;
    int timeout = run_relay(b);

    for (;;) {
        struct pollfd fds[FD_SERVE + BLK_SERVE_MAX_FDS] = {
            [FD_STOP] = { b->host->stop_fd, POLLIN, 0 }, [FD_WAKE] = { b->wake_fd, POLLIN, 0 },
            [FD_TX] = { b->tx_kick_fd, POLLIN, 0 }, [FD_RX] = { b->rx_kick_fd, POLLIN, 0 } /* fd -1: ignored */
        };
        struct blk_serve_fd what[FD_SERVE + BLK_SERVE_MAX_FDS];
        unsigned n = FD_SERVE + blk_serve_pollfds(&b->serve, fds + FD_SERVE, what + FD_SERVE, BLK_SERVE_MAX_FDS);

        if (poll(fds, n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            svmm_err("serve-disk: poll: %s", strerror(errno));
            break;
        }
        if (fds[FD_STOP].revents)
            break;
        if (fds[FD_WAKE].revents)
            shm_link_drain(b->wake_fd);
        /* The agent's answers first: they free tags for the requests pumped below. */
        if (fds[FD_TX].revents)
            take_kick(b, b->tx_kick_fd, VIRTIO_CONSOLE_PORT_TXQ(b->port), &b->tx_kicks);
        if (fds[FD_RX].revents)
            take_kick(b, b->rx_kick_fd, VIRTIO_CONSOLE_PORT_RXQ(b->port), &b->rx_kicks);
        for (unsigned k = FD_SERVE; k < n; k++)
            blk_serve_event(&b->serve, &fds[k], &what[k]);
        timeout = run_relay(b);
    }
    return NULL;
}

/*
 * Route the port's queue notifications to the relay's thread: an eventfd each, registered with KVM
 * at the console's QueueNotify with the queue's number. Without (no slot found, a KVM without
 * ioeventfds) the vCPUs keep taking them, as before: a warning, not an error.
 */
static void route_kicks(struct blk_relay_host *b, struct kvm_host *h)
{
    const uint32_t queues[2] = { VIRTIO_CONSOLE_PORT_TXQ(b->port), VIRTIO_CONSOLE_PORT_RXQ(b->port) };
    int *fds[2] = { &b->tx_kick_fd, &b->rx_kick_fd };
    unsigned slot = SVMM_MAX_VIRTIO;
    char why[160];

    for (unsigned i = 0; i < SVMM_MAX_VIRTIO && slot == SVMM_MAX_VIRTIO; i++)
        if (h->vm->virtio[i] == &b->con->dev)
            slot = i;
    if (slot == SVMM_MAX_VIRTIO) {
        svmm_warn("serve-disk: the console is in no virtio slot; its vCPUs take the port's notifications");
        return;
    }
    b->transport = &h->vm->transports[slot];
    for (unsigned q = 0; q < 2; q++) {
        int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (fd < 0 || kvm_host_add_ioeventfd(h, svmm_virtio_slot_base(&h->vm->cfg, slot) + VIRTIO_MMIO_QUEUE_NOTIFY,
                                             queues[q], fd, why, sizeof(why)) < 0) {
            svmm_warn("serve-disk: %s; a vCPU takes the port's queue %u notifications",
                      fd < 0 ? strerror(errno) : why, queues[q]);
            if (fd >= 0)
                close(fd);
            continue;
        }
        *fds[q] = fd;
    }
}

/* ---- set-up and tear-down ---- */

/* The command line's clients, in order: client i is --serve-disk number i. */
static int add_clients(struct blk_relay_host *b, const struct svmm_cli *cli, char *err, size_t errlen)
{
    char why[256];

    for (unsigned i = 0; i < cli->nserved; i++) {
        const struct svmm_cli_served *d = &cli->served[i];
        if (blk_relay_add_client(&b->relay, d->client, d->size, d->ro, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "--serve-disk client=%s: %s", d->client, why);
            return -1;
        }
    }
    return 0;
}

int blk_relay_host_open(struct blk_relay_host *b, const struct svmm_cli *cli, struct virtio_console *con, char *err,
                        size_t errlen)
{
    const struct virtio_console_backend be = { .write = port_write, .ctx = b, .rx_ready = port_rx_ready,
                                               .closed = port_closed, .rx_batch = RX_BATCH };
    const struct blk_serve_hooks hooks = { attach_client, detach_client, b };
    int port;

    b->wake_fd = b->rx_kick_fd = b->tx_kick_fd = -1;
    if (cli->nserved == 0)
        return 0;
    blk_relay_init(&b->relay);
    b->con = con;
    snprintf(b->listen, sizeof(b->listen), "%.*s", (int)cli->serve_listen_len, cli->serve_listen);
    blk_relay_set_guest(&b->relay, guest_page, b); /* before the clients: their HELLOs offer the buffers */
    if (add_clients(b, cli, err, errlen) < 0)
        return -1;
    if ((port = virtio_console_add_port(con, BLK_AGENT_PORT, &be)) < 0) {
        snprintf(err, errlen, "--serve-disk: no virtio-console port left for '%s' (use fewer --console-port)",
                 BLK_AGENT_PORT);
        return -1;
    }
    b->port = (unsigned)port;
    b->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (b->wake_fd < 0) {
        snprintf(err, errlen, "--serve-disk: eventfd: %s", strerror(errno));
        return -1;
    }
    blk_serve_init(&b->serve, &b->relay.srv, "serve-disk", LINK_DEPTH, LINK_SLOT, &hooks);
    if (blk_serve_listen(&b->serve, b->listen, err, errlen) < 0)
        return -1;
    svmm_info("serve-disk: %u client%s for the agent on virtio-console port %u '%s', listening on %s", cli->nserved,
              cli->nserved > 1 ? "s" : "", b->port, BLK_AGENT_PORT, b->listen);
    return 0;
}

int blk_relay_host_start(struct blk_relay_host *b, struct kvm_host *h, char *err, size_t errlen)
{
    int e;

    if (b->wake_fd < 0)
        return 0;
    b->host = h;
    route_kicks(b, h);
    e = pthread_create(&b->thread, NULL, relay_thread, b);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the serve-disk thread: %s", strerror(e));
        return -1;
    }
    b->started = true;
    return 0;
}

void blk_relay_host_join(struct blk_relay_host *b)
{
    const struct blk_relay_stats *st = &b->relay.stats;

    if (b->wake_fd < 0)
        return;
    if (b->started)
        pthread_join(b->thread, NULL);
    b->started = false;
    for (unsigned i = 0; i < b->relay.srv.nclients; i++)
        blk_serve_close(&b->serve, i);
    blk_serve_shutdown(&b->serve, b->listen);
    svmm_info("serve-disk: %llu requests to the agent, %llu answers (%llu I/O errors), %llu bad frames%s, "
              "%llu agent restarts (%llu requests sent again), %llu wake-ups, %llu buffers mapped, %llu READs from "
              "them; port %llu bytes out, %llu in "
              "(%llu receive-buffer notifications, %llu transmitted pieces; by ioeventfd %llu receive and %llu "
              "transmit notifications)",
              (unsigned long long)st->requests, (unsigned long long)st->responses, (unsigned long long)st->io_errors,
              (unsigned long long)st->bad_frames, b->relay.agent_broken ? " (the agent was cut off)" : "",
              (unsigned long long)st->agent_closes, (unsigned long long)st->resent, (unsigned long long)b->wakeups,
              (unsigned long long)st->maps, (unsigned long long)st->mapped_reads,
              (unsigned long long)b->con->ports[b->port].rx_bytes, (unsigned long long)b->con->ports[b->port].tx_bytes,
              (unsigned long long)b->rx_readies, (unsigned long long)b->port_writes, (unsigned long long)b->rx_kicks,
              (unsigned long long)b->tx_kicks);
    close(b->wake_fd);
    b->wake_fd = -1;
    /* KVM holds its own references to the ioeventfds; the VM is gone with its vCPUs by now. */
    if (b->rx_kick_fd >= 0)
        close(b->rx_kick_fd);
    if (b->tx_kick_fd >= 0)
        close(b->tx_kick_fd);
    b->rx_kick_fd = b->tx_kick_fd = -1;
}
