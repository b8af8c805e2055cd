/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A driver VM's VMM on seL4 (sel4_devices.h, sel4_serve_disks): other VMMs' blkq links end here, in
 * a blk_relay, whose frames travel over the virtio-console port "svmm-blk" to the agent in this VM's
 * guest, which does the I/O on the guest's own disk. The user VMMs' side is sel4_attach_blk_link, as
 * for a native block server: they cannot tell the two apart.
 *
 * Everything runs in the VMM's one thread, so the relay needs no lock. Work comes from three places:
 * a client's notification (its channel hook), the agent's bytes (the port's write callback, inside a
 * console queue notification) and new receive buffers on the port (its rx_ready callback, likewise).
 * The two callbacks run inside the console device and must not call back into it, so they defer
 * relay_run to the end of the exit; the channel hook runs it at once. relay_run is the one place
 * that moves requests to the agent, output into the port and signals to clients, so a whole exit or
 * notification costs each client at most one signal.
 */
#include <microkit.h>
#include <stdio.h>
#include <svmm/blk_relay.h>
#include <svmm/log.h>
#include <svmm/virtio_console.h>
#include "sel4_clock.h"
#include "sel4_devices.h"
#include "sel4_vm.h"

/* Mappings of each client's link, patched in by the Microkit tool (setvar_vaddr in the SDF). */
#define SERVE_VARS(i) uintptr_t blk_serve##i##_queues, blk_serve##i##_data;
SERVE_VARS(0) SERVE_VARS(1) SERVE_VARS(2) SERVE_VARS(3) SERVE_VARS(4) SERVE_VARS(5) SERVE_VARS(6) SERVE_VARS(7)
SERVE_VARS(8) SERVE_VARS(9) SERVE_VARS(10) SERVE_VARS(11) SERVE_VARS(12) SERVE_VARS(13) SERVE_VARS(14)
SERVE_VARS(15)
_Static_assert(SEL4_MAX_SERVED_DISKS == 16, "one SERVE_VARS per served disk");
_Static_assert(SEL4_MAX_SERVED_DISKS <= BLK_SERVER_MAX_CLIENTS, "every served disk is a relay client");
#define SERVE_ROW(i) { &blk_serve##i##_queues, &blk_serve##i##_data }
static const uintptr_t *const serve_vaddrs[SEL4_MAX_SERVED_DISKS][2] = {
    SERVE_ROW(0), SERVE_ROW(1), SERVE_ROW(2), SERVE_ROW(3), SERVE_ROW(4), SERVE_ROW(5), SERVE_ROW(6), SERVE_ROW(7),
    SERVE_ROW(8), SERVE_ROW(9), SERVE_ROW(10), SERVE_ROW(11), SERVE_ROW(12), SERVE_ROW(13), SERVE_ROW(14),
    SERVE_ROW(15),
};

/*
 * Rounds of relay_run per call. A round that moves nothing ends it; tags (BLK_RELAY_MAX_TAGS) bound
 * how many requests can move between two answers from the agent, so this is only a backstop against
 * clients that refill their rings as fast as a cut-off agent's requests are failed.
 */
#define RUN_ROUNDS 16u

static struct blk_relay relay;       /* about 2 MiB: its outbound buffer */
static struct virtio_console *console;
static unsigned port;
static bool serving;                 /* set-up succeeded: hooks and callbacks may run the relay */
static uint64_t away_since_ns;       /* when the agent's end of the port closed (relay.agent_away) */
static struct { uint64_t runs, signals; } counts; /* for the stop line: where the work went */

/* Signal the clients the relay answered (and that asked for it: blk_relay_take_notify). */
static void signal_clients(uint32_t mask)
{
    /* nclients <= SEL4_MAX_SERVED_DISKS (sel4_serve_disks) and bit i names client i. */
    for (unsigned i = 0; i < relay.srv.nclients; i++)
        if ((mask >> i) & 1) {
            microkit_notify(svmm_sel4_vm.blk_serve.clients[i].channel);
            counts.signals++;
        }
}

/* Move the relay's output into the port while the guest has receive buffers for it. */
static void push_output(void)
{
    const uint8_t *p;
    size_t len, n;

    while ((p = blk_relay_output(&relay, &len)) != NULL && len > 0) {
        n = virtio_console_port_input(console, port, p, len);
        blk_relay_consume(&relay, n);
        if (n < len)
            return; /* no buffers (the console asked the driver for a notification: rx_ready) or port closed */
    }
}

/*
 * The agent has been away (its port closed) for the grace period: fail what it held and what comes,
 * until one opens the port again. There is no timer here: this runs with the relay, at the next
 * client notification or console event after the grace has passed.
 */
static void check_agent_away(void)
{
    if (!relay.agent_away || relay.agent_lost ||
        sel4_counter_ns() - away_since_ns < (uint64_t)BLK_RELAY_AGENT_GRACE_MS * 1000000u)
        return;
    svmm_warn("serve-disk: no agent for %u s: failing its %u requests and new ones until one opens the port",
              BLK_RELAY_AGENT_GRACE_MS / 1000u, relay.ntags_busy);
    blk_relay_agent_lost(&relay);
}

/*
 * Take client requests to the agent and signal answered clients, until a round moves nothing or the
 * relay is out of tags or room (the agent's answers run this again).
 */
static void relay_run(void *ctx)
{
    const struct blk_relay_stats *st = &relay.stats;
    uint64_t before;
    bool more = true;

    (void)ctx;
    if (!serving)
        return;
    counts.runs++;
    check_agent_away();
    for (unsigned round = 0; round < RUN_ROUNDS && more; round++) {
        before = st->requests + st->responses;
        more = blk_relay_pump(&relay);
        push_output();
        signal_clients(blk_relay_take_notify(&relay));
        if (st->requests + st->responses == before)
            return;
    }
    if (more)
        (void)sel4_defer(relay_run, NULL); /* the backstop hit: go on after this exit, not never */
}

static void defer_run(void)
{
    /* relay_run takes one entry of the table however often it is deferred; the table has room for it. */
    if (sel4_defer(relay_run, NULL) < 0)
        svmm_err("serve-disk: cannot schedule the relay (deferred-work table full)");
}

/* The agent wrote to its port: act on its frames; answered clients are signalled by relay_run. */
static void port_write(void *ctx, const uint8_t *buf, size_t len)
{
    uint64_t answered = relay.stats.responses;
    bool broken = relay.agent_broken;

    (void)ctx;
    if (!serving)
        return;
    blk_relay_input(&relay, buf, len);
    if (relay.agent_broken && !broken)
        svmm_err("serve-disk: the agent sent a bad frame: cut off, every request it held and every new one fails");
    if (relay.stats.responses != answered)
        defer_run(); /* signals to send, and tags free for more requests */
}

/*
 * The guest posted receive buffers on the port or opened it: output may go now. An open after a
 * close is a new agent: its stream starts with the HELLOs and the requests kept for it.
 */
static void port_rx_ready(void *ctx)
{
    (void)ctx;
    if (!serving)
        return;
    if (relay.agent_away && console->ports[port].guest_open) {
        svmm_info("serve-disk: an agent opened the port: %u held request%s to send again", relay.nheld,
                  relay.nheld == 1 ? "" : "s");
        blk_relay_agent_opened(&relay);
    }
    defer_run();
}

/*
 * The agent closed the port (its process exited or was killed) or the driver VM reset its console:
 * the relay keeps what the agent held for the next one; the grace period starts.
 */
static void port_closed(void *ctx)
{
    (void)ctx;
    if (!serving || relay.agent_away)
        return; /* a console reset after the close: the grace period runs on */
    blk_relay_agent_closed(&relay);
    away_since_ns = sel4_counter_ns();
    svmm_info("serve-disk: the agent closed the port: %u unanswered request%s kept for the next one (%u s grace)",
              relay.nheld, relay.nheld == 1 ? "" : "s", BLK_RELAY_AGENT_GRACE_MS / 1000u);
}

/* A client published requests (or took answers and asked for more): its channel's hook. */
static void client_notified(void *ctx)
{
    relay_run(ctx);
}

/* What the relay did, for the log (and the tests). */
static void log_stats(void)
{
    const struct blk_relay_stats *st = &relay.stats;

    svmm_info("serve-disk: %llu requests to the agent, %llu answers (%llu I/O errors), %llu bad frames%s, "
              "the agent's port closed %llu times (%llu requests sent again); %llu relay runs, %llu signals to clients; port %llu "
              "bytes out, %llu in",
              (unsigned long long)st->requests, (unsigned long long)st->responses, (unsigned long long)st->io_errors,
              (unsigned long long)st->bad_frames, relay.agent_broken ? " (the agent was cut off)" : "",
              (unsigned long long)st->agent_closes, (unsigned long long)st->resent,
              (unsigned long long)counts.runs, (unsigned long long)counts.signals,
              (unsigned long long)console->ports[port].rx_bytes, (unsigned long long)console->ports[port].tx_bytes);
}

/*
 * The driver VM stopped for good (powered off, or failed): no agent will come back, so every
 * request the relay holds and every new one is answered with an I/O error, at once, instead of
 * leaving the clients' guests waiting for good. The client channels' hooks run on after the stop
 * (sel4_on_notify_always) for that.
 */
static void relay_stop(void *ctx)
{
    unsigned held;

    (void)ctx;
    log_stats();
    if (!relay.agent_away)
        blk_relay_agent_closed(&relay);
    held = relay.nheld;
    blk_relay_agent_lost(&relay);
    svmm_warn("serve-disk: the driver VM stopped: %u held request%s and every new one fail with I/O errors", held,
              held == 1 ? "" : "s");
    relay_run(NULL);
}

/* Declare client i to the relay (its HELLO) and attach its mapped link, which publishes its storage info. */
static int add_client(unsigned i, char *err, size_t errlen)
{
    const struct svmm_sel4_blk_serve *c = &svmm_sel4_vm.blk_serve;
    char why[128];

    if (*serve_vaddrs[i][0] == 0 || *serve_vaddrs[i][1] == 0) {
        snprintf(err, errlen, "served disk %u (%s): its link is not mapped into this VMM", i, c->clients[i].name);
        return -1;
    }
    if (blk_relay_add_client(&relay, c->clients[i].name, c->clients[i].size, c->clients[i].read_only, why,
                             sizeof(why)) != (int)i) {
        snprintf(err, errlen, "served disk %u: %s", i, why);
        return -1;
    }
    if (blk_relay_attach(&relay, i, (void *)*serve_vaddrs[i][0], (void *)*serve_vaddrs[i][1], c->depth,
                         c->slot_size) < 0) {
        snprintf(err, errlen, "served disk %u (%s): bad link geometry (%u x %u bytes)", i, c->clients[i].name,
                 c->depth, c->slot_size);
        return -1;
    }
    if (sel4_on_notify_always(c->clients[i].channel, client_notified, NULL) < 0) {
        snprintf(err, errlen, "served disk %u (%s): too many channel hooks", i, c->clients[i].name);
        return -1;
    }
    return 0;
}

int sel4_serve_disks(struct virtio_console *con, char *err, size_t errlen)
{
    const struct svmm_sel4_blk_serve *c = &svmm_sel4_vm.blk_serve;
    const struct virtio_console_backend be = { .write = port_write, .ctx = NULL, .rx_ready = port_rx_ready,
                                               .closed = port_closed };
    int p;

    if (con == NULL) {
        snprintf(err, errlen, "a VM that serves disks needs a virtio-console: the agent's port '%s' is on it",
                 BLK_AGENT_PORT);
        return -1;
    }
    if (c->nclients == 0 || c->nclients > SEL4_MAX_SERVED_DISKS) {
        snprintf(err, errlen, "%u served disks configured, 1 to %u supported", c->nclients, SEL4_MAX_SERVED_DISKS);
        return -1;
    }
    blk_relay_init(&relay);
    /* nclients <= SEL4_MAX_SERVED_DISKS (checked above): i indexes clients[] and serve_vaddrs[]. */
    for (unsigned i = 0; i < c->nclients; i++)
        if (add_client(i, err, errlen) < 0)
            return -1;
    if ((p = virtio_console_add_port(con, BLK_AGENT_PORT, &be)) < 0) {
        snprintf(err, errlen, "no virtio-console port left for '%s'", BLK_AGENT_PORT);
        return -1;
    }
    console = con;
    port = (unsigned)p;
    if (sel4_on_stop(relay_stop, NULL) < 0)
        svmm_warn("serve-disk: no room for the stop hook: the relay's counters will not be logged, nor its "
                  "clients answered once the VM stops");
    serving = true;
    svmm_info("serve-disk: %u client%s for the agent on virtio-console port %u '%s', %u requests of up to %u "
              "bytes per link", c->nclients, c->nclients > 1 ? "s" : "", port, BLK_AGENT_PORT, c->depth, c->slot_size);
    return 0;
}
