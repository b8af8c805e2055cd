/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz a VMM's end of a block server link (src/blk/blk_link.c over src/ipc/blkq.c) from a hostile
 * server, with a guest driving the virtio-blk device (src/virtio/blk.c) through fuzz_vdev.h. The
 * server side writes anything into the queue region (storage info, response ring, indices, flags,
 * even the request ring) and the data region, answers requests honestly or not, in any order.
 *
 * Input: u8 flags (bit 0: the VMM forces read-only, bit 1: the server says read-only), u16
 * capacity in sectors (0 allowed: the link then refuses to start), then ops. op & 8 clear: the
 * common ops of fuzz_vdev.h; set: (op >> 4) & 7 picks
 *   0 serve      u8 status             honest server: take the next request, do it on a RAM store,
 *                                      answer with status (mod 6), then the VMM services the link
 *   1 forge      u8 status, u16 count, u8 how, u32 id   a response with a recent request's id
 *                                      (how & 1) or any id, tail++, then service
 *   2 tail       u32                   set the response tail outright, then service
 *   3 poke       u16 off, u32 value    any u32 of the queue region
 *   4 data       u16 off, u8 value     any byte of the data region
 *   5 service    -                     blk_link_service
 *   6 fail       -                     blk_link_fail (the server went away)
 *   7 drain      -                     serve everything honestly until the link is idle
 *
 * Invariants (besides fuzz_vdev.h's: the device writes only the used ring and buffers the driver
 * offered device-writable, so read data never lands anywhere else): a guest request is in flight
 * in the device exactly when blk_link tracks it (never completed twice, never lost while the link
 * lives); each busy slot of the link carries at most one part of one live request, and a request's
 * part count matches the slots naming it; the pending FIFO never holds more than the device can
 * have in flight; a dead link holds no request.
 */
#include <svmm/blk_link.h>
#include "fuzz_vdev.h"

#define MAX_OPS 512
#define DEPTH 4u
#define SLOT 4096u

static struct blk_link link;
static struct blkq_server srv;
static void *queues;
static uint8_t *data;
static uint8_t store[64 * 512];
static bool started;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    vd_global_init();
    queues = malloc(blkq_queue_bytes(DEPTH));
    data = malloc((size_t)DEPTH * SLOT);
    return 0;
}

static void notify_server(void *ctx)
{
    FUZZ_CHECK(ctx == &link);
}

static void service(void)
{
    unsigned guard = 0;

    while (blk_link_service(&link))
        FUZZ_CHECK(++guard <= 64);
}

/* The honest server: one request, done on a RAM store (addresses wrap inside it). */
static bool serve_one(uint8_t status)
{
    struct blkq_io io;

    if (!blkq_server_next(&srv, &io))
        return false;
    for (uint64_t k = 0; k < io.len && io.data; k++) {
        uint8_t *s = &store[(io.offset + k) % sizeof(store)];
        if (io.code == BLKQ_REQ_READ)
            io.data[k] = *s;
        else if (io.code == BLKQ_REQ_WRITE)
            *s = io.data[k];
    }
    blkq_server_respond(&srv, io.id, (enum blkq_status)(status % 6),
                        status % 6 == BLKQ_RESP_OK ? (uint16_t)(io.len / 512) : 0);
    return true;
}

static void check(void)
{
    unsigned busy = 0, active = 0;
    unsigned parts[VIRTIO_BLK_MAX_INFLIGHT] = { 0 };

    if (!started)
        return;
    for (unsigned s = 0; s < DEPTH; s++) {
        int g = link.parts[s].greq;
        busy += link.q.slot[s].busy;
        if (g < 0)
            continue;
        FUZZ_CHECK(g < (int)VIRTIO_BLK_MAX_INFLIGHT && link.q.slot[s].busy && link.greqs[g].active);
        parts[g]++;
    }
    FUZZ_CHECK(busy == link.q.nbusy);
    for (unsigned i = 0; i < VIRTIO_BLK_MAX_INFLIGHT; i++) {
        FUZZ_CHECK(link.blk.slots[i].busy == link.greqs[i].active); /* completed once, never lost */
        if (link.greqs[i].active) {
            active++;
            FUZZ_CHECK(link.greqs[i].parts == parts[i]);
        }
    }
    FUZZ_CHECK(active == link.blk.inflight);
    FUZZ_CHECK(link.pend_count <= VIRTIO_BLK_MAX_INFLIGHT);
    FUZZ_CHECK(!link.dead || active == 0);
    vd_check();
}

static void own_op(uint8_t op, struct fin *f)
{
    struct blkq_resp_ring *resp = link.q.r.resp;
    uint32_t t;

    if (!started)
        return;
    switch ((op >> 4) & 7) {
    case 0:
        serve_one(fin_u8(f));
        service();
        break;
    case 1: {
        uint8_t st = fin_u8(f);
        uint16_t count = fin_u16(f);
        uint8_t how = fin_u8(f);
        uint32_t id = fin_u32(f);
        if (how & 1)
            id = link.q.r.req->desc[(link.q.req_tail - 1 - (how >> 1)) % DEPTH].id;
        t = resp->hdr.tail;
        resp->desc[t % DEPTH] = (struct blkq_resp){ .status = st % 7, .success_count = count, .id = id };
        resp->hdr.tail = t + 1;
        service();
        break;
    }
    case 2:
        resp->hdr.tail = fin_u32(f);
        service();
        break;
    case 3:
        t = fin_u16(f);
        ((uint32_t *)queues)[t % (blkq_queue_bytes(DEPTH) / 4)] = fin_u32(f);
        break;
    case 4:
        t = fin_u16(f);
        data[t % (DEPTH * SLOT)] = fin_u8(f);
        break;
    case 5:
        service();
        break;
    case 6:
        blk_link_fail(&link);
        break;
    default:
        for (unsigned n = 0; n < 64 && serve_one(BLKQ_RESP_OK); n++)
            service();
        service();
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    static const unsigned feats[6] = { VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_DISCARD,
                                       VIRTIO_BLK_F_SIZE_MAX, VIRTIO_BLK_F_RO, VIRTIO_BLK_F_BLK_SIZE };
    struct fin f = fin_make(in, size);
    uint8_t flags = fin_u8(&f);
    uint16_t cap = fin_u16(&f);

    memset(queues, 0, blkq_queue_bytes(DEPTH));
    memset(data, 0, (size_t)DEPTH * SLOT);
    started = false;
    if (blkq_server_init(&srv, queues, data, DEPTH, SLOT, cap, flags & 2, "fuzz-client") < 0)
        abort();
    if (blk_link_init(&link, queues, data, DEPTH, SLOT, flags & 1, notify_server, &link) < 0) {
        FUZZ_CHECK(cap == 0); /* the only storage info this server writes that a client refuses */
        return 0;
    }
    FUZZ_CHECK(cap != 0);
    started = true;
    vd_setup(&link.blk.dev, NULL, feats);
    FUZZ_CHECK(vd_rd32(0x008) == VIRTIO_ID_BLOCK);
    vd_run_ops(&f, MAX_OPS, own_op, check);
    vd_wr32(0x070, 0); /* the VM goes away with whatever is in flight */
    check();
    return 0;
}
