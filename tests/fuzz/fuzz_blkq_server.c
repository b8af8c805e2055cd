/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz the native block server (src/blk/blk_server.c) and the server side of the blkq rings
 * (src/ipc/blkq.c) from a hostile client: client 0's VMM is compromised and writes anything into
 * its queue region (storage info, ring indices, requests, notification flags) and its data region,
 * while client 1 is an honest VMM (blkq_client) writing and reading its own partition. The store,
 * each queue region and each data region are separate heap blocks of the exact size, so ASan
 * reports any access outside one.
 *
 * Invariants checked after every operation:
 *   - every store access lies inside the partition of the client whose data region it moves data
 *     to or from; writes and discards never touch the read-only client 2's partition;
 *   - client 1's partition holds exactly what client 1 wrote (a shadow copy): the hostile client
 *     can never reach it;
 *   - client 1 gets every answer, OK, and reads return its own data (no stall, no corruption);
 *   - the server comes to rest (bounded polls).
 *
 * Input: operations, each an opcode byte and operands:
 *   0 poke a u32 at an offset into client 0's queue region   1 poke a byte into client 0's data
 *   2 client 0 publishes a request {code, offset, block, count, id}, tail++
 *   3 client 0 sets its request tail outright                 4 client 1 writes a pattern to blocks
 *   5 client 1 reads blocks                                   6 detach and re-attach client 0
 *   7 poll only (the server is polled after every op)
 */
#include <svmm/blk_server.h>
#include "fuzz.h"

#define DEPTH 8u
#define SLOT 4096u
#define SECTORS 16u                     /* per partition */
#define PART ((uint64_t)SECTORS * 512)
#define NCLIENTS 3u
#define STORE (NCLIENTS * PART)
#define MAX_OPS 256

static struct blk_server srv;
static uint8_t *store, *shadow;         /* shadow: what client 1's partition must hold */
static void *queues[2];
static uint8_t *data[2];
static struct blkq_client honest;
static struct {
    bool busy, read;
    uint64_t block;
    uint16_t count;
} pend[DEPTH];

/* Which partition an access [off, off + len) lies in; aborts unless it is inside exactly one. */
static unsigned partition_of(uint64_t off, uint64_t len)
{
    FUZZ_CHECK(len <= PART && off <= STORE - len);
    FUZZ_CHECK(off / PART == (off + len - 1) / PART || len == 0);
    return (unsigned)(off / PART);
}

/* Whose data region a buffer lies in (the server moves data only between a client and its own region). */
static unsigned client_of(const void *buf, size_t len)
{
    for (unsigned i = 0; i < 2; i++)
        if ((const uint8_t *)buf >= data[i] && (const uint8_t *)buf + len <= data[i] + (size_t)DEPTH * SLOT)
            return i;
    abort();
}

static int st_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    (void)ctx;
    FUZZ_CHECK(partition_of(off, len) == client_of(buf, len)); /* nobody reads another's partition */
    memcpy(buf, store + off, len);
    return 0;
}

static int st_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    (void)ctx;
    FUZZ_CHECK(partition_of(off, len) == client_of(buf, len)); /* so client 2 (read-only) is never written */
    memcpy(store + off, buf, len);
    return 0;
}

static int st_flush(void *ctx)
{
    (void)ctx;
    return 0;
}

static int st_discard(void *ctx, uint64_t off, uint64_t len)
{
    (void)ctx;
    FUZZ_CHECK(partition_of(off, len) != 2);
    memset(store + off, 0, len);
    return 0;
}

static const struct blk_store_ops ops = { st_read, st_write, st_flush, st_discard };

static void attach(unsigned i)
{
    memset(queues[i], 0, blkq_queue_bytes(DEPTH));
    if (blk_server_attach(&srv, i, queues[i], data[i], DEPTH, SLOT) < 0)
        abort();
}

/* Client 1's answers: all OK; reads match the shadow. */
static void honest_collect(void)
{
    struct blkq_done d;

    while (blkq_client_poll(&honest, &d)) {
        FUZZ_CHECK(d.slot < DEPTH && pend[d.slot].busy);
        FUZZ_CHECK(d.status == BLKQ_RESP_OK);
        if (pend[d.slot].read)
            FUZZ_CHECK(!memcmp(blkq_client_slot_data(&honest, d.slot), shadow + pend[d.slot].block * 512,
                               (size_t)pend[d.slot].count * 512));
        pend[d.slot].busy = false;
    }
    FUZZ_CHECK(honest.stats.bad_response == 0 && !honest.broken);
}

static void honest_submit(bool read, uint32_t a, uint32_t b)
{
    int slot = blkq_client_free_slot(&honest);
    uint64_t block = a % SECTORS;
    uint16_t count = (uint16_t)(1 + b % (SECTORS - block));
    uint8_t *buf;

    if (slot < 0)
        return;
    buf = blkq_client_slot_data(&honest, (uint32_t)slot);
    if (!read) {
        for (uint32_t k = 0; k < count * 512u; k++)
            buf[k] = (uint8_t)(a ^ b ^ k);
        /* The server serves in order: the shadow may change now, before the answer. */
        memcpy(shadow + block * 512, buf, (size_t)count * 512);
    }
    pend[slot].busy = true;
    pend[slot].read = read;
    pend[slot].block = block;
    pend[slot].count = count;
    blkq_client_submit(&honest, (uint32_t)slot, read ? BLKQ_REQ_READ : BLKQ_REQ_WRITE, block, count);
}

static void poll_server(void)
{
    uint32_t notify;
    unsigned guard = 0;

    while (blk_server_poll(&srv, &notify))
        FUZZ_CHECK(++guard <= 64); /* bounded producers: the server must come to rest */
    honest_collect();
    FUZZ_CHECK(!memcmp(store + PART, shadow, PART)); /* client 1's partition is client 1's alone */
    for (uint64_t k = 0; k < PART; k++)
        FUZZ_CHECK(store[2 * PART + k] == (uint8_t)(k * 3)); /* read-only client 2 untouched */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    store = malloc(STORE);
    shadow = malloc(PART);
    for (unsigned i = 0; i < 2; i++) {
        queues[i] = malloc(blkq_queue_bytes(DEPTH));
        data[i] = malloc((size_t)DEPTH * SLOT);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *in_data, size_t size)
{
    struct fin in = fin_make(in_data, size);
    char err[128];

    memset(store, 0, STORE);
    for (uint64_t k = 0; k < PART; k++)
        store[2 * PART + k] = (uint8_t)(k * 3);
    memset(shadow, 0, PART);
    memset(pend, 0, sizeof(pend));
    blk_server_init(&srv, &ops, NULL, STORE);
    if (blk_server_add_client(&srv, "hostile", 0, PART, false, err, sizeof(err)) != 0 ||
        blk_server_add_client(&srv, "honest", PART, PART, false, err, sizeof(err)) != 1 ||
        blk_server_add_client(&srv, "readonly", 2 * PART, PART, true, err, sizeof(err)) != 2)
        abort();
    attach(0);
    attach(1);
    if (blkq_client_init(&honest, queues[1], data[1], DEPTH, SLOT) < 0)
        abort();
    for (unsigned op = 0; op < MAX_OPS && !fin_empty(&in); op++) {
        struct blkq_req_ring *req = srv.clients[0].q.r.req;
        uint8_t code = fin_u8(&in) % 8;
        uint32_t a = fin_u16(&in), b = fin_u16(&in), t;

        switch (code) {
        case 0:
            ((uint32_t *)queues[0])[a % (blkq_queue_bytes(DEPTH) / 4)] = b | (uint32_t)fin_u16(&in) << 16;
            break;
        case 1:
            data[0][(a | (uint32_t)fin_u8(&in) << 16) % (DEPTH * SLOT)] = (uint8_t)b;
            break;
        case 2:
            t = req->hdr.tail;
            req->desc[t % DEPTH] = (struct blkq_req){
                .code = a % 7, .io_or_offset = b % 4 == 0 ? (uint64_t)(b / 4 % (DEPTH + 2)) * SLOT : fin_u64(&in),
                .block_number = a & 0x100 ? fin_u64(&in) : fin_u8(&in), .count = fin_u16(&in), .id = fin_u32(&in) };
            req->hdr.tail = t + 1;
            break;
        case 3:
            req->hdr.tail = a | b << 16;
            break;
        case 4:
        case 5:
            honest_submit(code == 5, a, b);
            break;
        case 6:
            blk_server_detach(&srv, 0);
            attach(0);
            break;
        default:
            break;
        }
        poll_server();
    }
    /* Everything client 1 asked for was answered. */
    for (unsigned i = 0; i < DEPTH; i++)
        FUZZ_CHECK(!pend[i].busy);
    return 0;
}
