/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The native block server as a Microkit protection domain (its own program, svmm-blk-<name>.elf):
 * the platform-free blk_server over a RAM disk and the client links the SDF maps in, one channel
 * per client. It owns no guest memory: each VMM copies between its guest and its own data region,
 * and this PD copies between that region and the store, inside the client's partition only.
 */
#include <microkit.h>
#include <stdio.h>
#include <string.h>
#include <svmm/blk_server.h>
#include <svmm/log.h>
#include "board_uart.h"
#include "sel4_blk_server.h"
#include "sel4_clock.h"

uintptr_t board_uart_vaddr;
/* Patched in by the Microkit tool (setvar_vaddr / setvar_size in the SDF). */
uintptr_t blk_store_vaddr;
uint64_t blk_store_size;

#define CLIENT_VARS(i) uintptr_t blk_client##i##_queues, blk_client##i##_data;
CLIENT_VARS(0) CLIENT_VARS(1) CLIENT_VARS(2) CLIENT_VARS(3) CLIENT_VARS(4) CLIENT_VARS(5) CLIENT_VARS(6)
CLIENT_VARS(7) CLIENT_VARS(8) CLIENT_VARS(9) CLIENT_VARS(10) CLIENT_VARS(11) CLIENT_VARS(12) CLIENT_VARS(13)
CLIENT_VARS(14) CLIENT_VARS(15)
_Static_assert(BLK_SERVER_MAX_CLIENTS == 16, "one CLIENT_VARS per client");
#define CLIENT_ROW(i) { &blk_client##i##_queues, &blk_client##i##_data }
static const uintptr_t *const client_vaddrs[BLK_SERVER_MAX_CLIENTS][2] = {
    CLIENT_ROW(0), CLIENT_ROW(1), CLIENT_ROW(2), CLIENT_ROW(3), CLIENT_ROW(4), CLIENT_ROW(5),
    CLIENT_ROW(6), CLIENT_ROW(7), CLIENT_ROW(8), CLIENT_ROW(9), CLIENT_ROW(10), CLIENT_ROW(11),
    CLIENT_ROW(12), CLIENT_ROW(13), CLIENT_ROW(14), CLIENT_ROW(15),
};

static struct blk_server srv;
static bool serving; /* init succeeded: notifications are served */
/* ---- the store: the RAM disk region ---- */

/*
 * blk_server passes ranges it already placed inside the store (the partition's base added to a
 * validated offset); the check here only keeps a bug in that chain from becoming a wild copy.
 */
static bool in_store(uint64_t off, uint64_t len)
{
    return off <= svmm_sel4_blk_server.store_size && len <= svmm_sel4_blk_server.store_size - off;
}

static int ram_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    (void)ctx;
    if (!in_store(off, len))
        return -1;
    memcpy(buf, (const uint8_t *)blk_store_vaddr + off, len);
    return 0;
}

static int ram_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    (void)ctx;
    if (!in_store(off, len))
        return -1;
    memcpy((uint8_t *)blk_store_vaddr + off, buf, len);
    return 0;
}

static int ram_flush(void *ctx)
{
    (void)ctx; /* RAM: every write is already where a read finds it */
    return 0;
}

static int ram_discard(void *ctx, uint64_t off, uint64_t len)
{
    (void)ctx, (void)off, (void)len; /* a hint: keeping the data is allowed */
    return 0;
}

static const struct blk_store_ops ram_ops = { ram_read, ram_write, ram_flush, ram_discard };

/* ---- set-up and service ---- */

/* Declare and attach client i from the configuration; -1 after logging why. */
static int setup_client(unsigned i)
{
    const struct svmm_sel4_blk_server *c = &svmm_sel4_blk_server;
    const struct svmm_sel4_blk_client *p = &c->clients[i];
    char err[160];

    if (*client_vaddrs[i][0] == 0 || *client_vaddrs[i][1] == 0) {
        svmm_err("%s: client %u (%s): its link is not mapped into this PD", c->name, i, p->name);
        return -1;
    }
    if (blk_server_add_client(&srv, p->name, p->offset, p->size, p->read_only, err, sizeof(err)) != (int)i) {
        svmm_err("%s: %s", c->name, err);
        return -1;
    }
    if (blk_server_attach(&srv, i, (void *)*client_vaddrs[i][0], (void *)*client_vaddrs[i][1], c->depth,
                          c->slot_size) < 0) {
        svmm_err("%s: client %s: bad link geometry (%u x %u bytes)", c->name, p->name, c->depth, c->slot_size);
        return -1;
    }
    return 0;
}

void init(void)
{
    const struct svmm_sel4_blk_server *c = &svmm_sel4_blk_server;

    board_uart_start_log(board_uart_vaddr, "", c->name);
    if (blk_store_vaddr == 0 || c->store_size == 0 || c->store_size > blk_store_size) {
        svmm_err("%s: the store (%llu bytes) is not mapped into this PD (%llu bytes mapped)", c->name,
                 (unsigned long long)c->store_size, (unsigned long long)blk_store_size);
        return;
    }
    if (c->nclients > BLK_SERVER_MAX_CLIENTS) {
        svmm_err("%s: %u clients configured, at most %u", c->name, c->nclients, BLK_SERVER_MAX_CLIENTS);
        return;
    }
    blk_server_init(&srv, &ram_ops, NULL, c->store_size);
    /* nclients <= BLK_SERVER_MAX_CLIENTS (checked above): i indexes clients[] and client_vaddrs[]. */
    for (unsigned i = 0; i < c->nclients; i++)
        if (setup_client(i) < 0)
            return;
    serving = true;
    svmm_info("%s: RAM disk of %llu MiB, %u clients, %u requests of up to %u bytes each", c->name,
              (unsigned long long)(c->store_size >> 20), c->nclients, c->depth, c->slot_size);
}

void notified(microkit_channel ch)
{
    uint32_t notify;
    bool more;

    (void)ch; /* any client's notification: look at every client (bounded per call, round robin) */
    if (!serving)
        return;
    do {
        more = blk_server_poll(&srv, &notify);
        for (unsigned i = 0; i < srv.nclients; i++)
            if ((notify >> i) & 1)
                microkit_notify(svmm_sel4_blk_server.clients[i].channel);
    } while (more);
}
