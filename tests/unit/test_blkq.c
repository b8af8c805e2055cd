/* SPDX-License-Identifier: BSD-2-Clause */
/* blkq: the block request/response rings, with honest and hostile clients and servers. */
#include <stdlib.h>
#include <svmm/blkq.h>
#include "test.h"

#define DEPTH 8u
#define SLOT 8192u
#define CAP 1000u /* partition sectors */

struct link {
    void *q;
    uint8_t *data;
    struct blkq_rings r;
    struct blkq_server s;
    struct blkq_client c;
};

static void link_init(struct link *l, bool ro)
{
    l->q = calloc(1, blkq_queue_bytes(DEPTH));
    l->data = calloc(DEPTH, SLOT);
    blkq_rings(l->q, DEPTH, &l->r);
    CHECK_EQ(blkq_server_init(&l->s, l->q, l->data, DEPTH, SLOT, CAP, ro, "client-a"), 0);
    CHECK_EQ(blkq_client_init(&l->c, l->q, l->data, DEPTH, SLOT), 0);
}

static void link_free(struct link *l)
{
    free(l->q);
    free(l->data);
}

/* A hostile client: write request `i` of the ring directly and publish it. */
static void raw_req(struct link *l, uint32_t code, uint64_t off, uint64_t block, uint16_t count, uint32_t id)
{
    uint32_t t = l->r.req->hdr.tail;
    l->r.req->desc[t % DEPTH] = (struct blkq_req){ .code = code, .io_or_offset = off, .block_number = block,
                                                   .count = count, .id = id };
    l->r.req->hdr.tail = t + 1;
}

/* A hostile server: write a response directly and publish it. */
static void raw_resp(struct link *l, uint32_t status, uint16_t success, uint32_t id)
{
    uint32_t t = l->r.resp->hdr.tail;
    l->r.resp->desc[t % DEPTH] = (struct blkq_resp){ .status = status, .success_count = success, .id = id };
    l->r.resp->hdr.tail = t + 1;
}

TEST(blkq_geometry_and_sddf_layout)
{
    CHECK(blkq_geometry_ok(2, 4096));
    CHECK(blkq_geometry_ok(256, 1u << 20));
    CHECK(!blkq_geometry_ok(1, 4096));
    CHECK(!blkq_geometry_ok(12, 4096));      /* not a power of two */
    CHECK(!blkq_geometry_ok(512, 4096));     /* above BLKQ_MAX_DEPTH */
    CHECK(!blkq_geometry_ok(8, 2048));       /* under 4 KiB */
    CHECK(!blkq_geometry_ok(8, 4096 + 512)); /* not whole pages */
    CHECK(!blkq_geometry_ok(8, (1u << 20) + 4096));
    CHECK_EQ(sizeof(struct blkq_req), 32);
    CHECK_EQ(offsetof(struct blkq_req, io_or_offset), 8);
    CHECK_EQ(offsetof(struct blkq_req, block_number), 16);
    CHECK_EQ(offsetof(struct blkq_req, count), 24);
    CHECK_EQ(offsetof(struct blkq_req, id), 28);
    CHECK_EQ(sizeof(struct blkq_resp), 12);
    CHECK_EQ(offsetof(struct blkq_resp, id), 8);
    CHECK_EQ(offsetof(struct blkq_storage_info, read_only), 64);
    CHECK_EQ(offsetof(struct blkq_storage_info, sector_size), 66);
    CHECK_EQ(offsetof(struct blkq_storage_info, queue_depth), 70);
    CHECK_EQ(offsetof(struct blkq_storage_info, capacity), 80);
    CHECK_EQ(offsetof(struct blkq_req_ring, desc), 16);
    CHECK_EQ(blkq_queue_bytes(DEPTH) % 4096, 0);
    CHECK(blkq_queue_bytes(256) >= 4096 + 16 + 256 * 32 + 16 + 256 * 12);
}

TEST(blkq_storage_info_and_client_checks)
{
    struct link l;
    struct blkq_server s;
    struct blkq_client c;
    void *q = calloc(1, blkq_queue_bytes(DEPTH));
    uint8_t data[64];

    CHECK_EQ(blkq_client_init(&c, q, data, DEPTH, SLOT), -1); /* not ready yet */
    CHECK_EQ(blkq_server_init(&s, q, data, DEPTH, SLOT, 0, false, "x"), 0);
    CHECK_EQ(blkq_client_init(&c, q, data, DEPTH, SLOT), -1); /* capacity 0 */
    CHECK_EQ(blkq_server_init(&s, q, data, DEPTH, SLOT, UINT64_MAX / 256, false, "x"), -1);
    CHECK_EQ(blkq_server_init(&s, q, data, 3, SLOT, 8, false, "x"), -1);
    /* A server that writes a 64-byte serial without a NUL and another sector size. */
    CHECK_EQ(blkq_server_init(&s, q, data, DEPTH, SLOT, 8, false, "x"), 0);
    memset(s.r.info->serial_number, 'S', sizeof(s.r.info->serial_number));
    CHECK_EQ(blkq_client_init(&c, q, data, DEPTH, SLOT), 0);
    CHECK_EQ(strlen(c.serial), BLKQ_SERIAL_MAX);
    s.r.info->sector_size = 4096;
    CHECK_EQ(blkq_client_init(&c, q, data, DEPTH, SLOT), -1);
    free(q);

    link_init(&l, true);
    CHECK_EQ(l.c.capacity, CAP);
    CHECK(l.c.read_only);
    CHECK(!strcmp(l.c.serial, "client-a"));
    CHECK_EQ(l.r.info->queue_depth, DEPTH);
    CHECK_EQ(l.r.info->block_size, 8);
    link_free(&l);
}

TEST(blkq_round_trip_every_code)
{
    struct link l;
    struct blkq_io io;
    struct blkq_done d;

    link_init(&l, false);
    CHECK(!blkq_server_next(&l.s, &io));
    CHECK_EQ(blkq_client_free_slot(&l.c), 0);
    memset(blkq_client_slot_data(&l.c, 0), 0x11, SLOT);
    CHECK_EQ(blkq_client_submit(&l.c, 0, BLKQ_REQ_WRITE, 10, 16), 0);
    CHECK_EQ(blkq_client_submit(&l.c, 0, BLKQ_REQ_READ, 10, 16), -1); /* busy */
    CHECK_EQ(blkq_client_free_slot(&l.c), 1);
    CHECK_EQ(blkq_client_submit(&l.c, 1, BLKQ_REQ_READ, CAP - 16, 16), 0);
    CHECK_EQ(blkq_client_submit(&l.c, 2, BLKQ_REQ_FLUSH, 0, 0), 0);
    CHECK_EQ(blkq_client_submit(&l.c, 3, BLKQ_REQ_DISCARD, 0, CAP), 0);

    CHECK(blkq_server_next(&l.s, &io));
    CHECK_EQ(io.code, BLKQ_REQ_WRITE);
    CHECK_EQ(io.offset, 10 * 512);
    CHECK_EQ(io.len, 16 * 512);
    CHECK(io.data == l.data);
    CHECK_EQ(io.data[0], 0x11);
    blkq_server_respond(&l.s, io.id, BLKQ_RESP_OK, 16);
    CHECK(blkq_server_next(&l.s, &io));
    CHECK_EQ(io.code, BLKQ_REQ_READ);
    CHECK(io.data == l.data + SLOT);
    memset(io.data, 0x22, io.len);
    blkq_server_respond(&l.s, io.id, BLKQ_RESP_OK, 16);
    CHECK(blkq_server_next(&l.s, &io));
    CHECK_EQ(io.code, BLKQ_REQ_FLUSH);
    CHECK_EQ(io.len, 0);
    blkq_server_respond(&l.s, io.id, BLKQ_RESP_OK, 0);
    CHECK(blkq_server_next(&l.s, &io));
    CHECK_EQ(io.code, BLKQ_REQ_DISCARD);
    CHECK_EQ(io.len, CAP * 512ull);
    CHECK(io.data == NULL);
    blkq_server_respond(&l.s, io.id, BLKQ_RESP_ERR_IO, 0);
    CHECK(!blkq_server_next(&l.s, &io));

    for (uint32_t i = 0; i < 4; i++) {
        CHECK(blkq_client_poll(&l.c, &d));
        CHECK_EQ(d.slot, i);
        CHECK_EQ(d.status, i == 3 ? BLKQ_RESP_ERR_IO : BLKQ_RESP_OK);
    }
    CHECK(!blkq_client_poll(&l.c, &d));
    CHECK_EQ(blkq_client_slot_data(&l.c, 1)[0], 0x22);
    CHECK_EQ(l.c.nbusy, 0);
    CHECK_EQ(l.s.stats.bad_request + l.c.stats.bad_response, 0);
    link_free(&l);
}

/* Each refused request is answered INVALID_PARAM with its id, and nothing else happens. */
static void expect_refused(struct link *l, uint32_t code, uint64_t off, uint64_t block, uint16_t count)
{
    struct blkq_io io;
    uint64_t before = l->s.stats.bad_request;
    uint32_t t = l->r.resp->hdr.tail;

    raw_req(l, code, off, block, count, 0xabc00 + (uint32_t)before);
    CHECK(!blkq_server_next(&l->s, &io));
    CHECK_EQ(l->s.stats.bad_request, before + 1);
    CHECK_EQ(l->r.resp->hdr.tail, t + 1);
    CHECK_EQ(l->r.resp->desc[t % DEPTH].status, BLKQ_RESP_ERR_INVALID_PARAM);
    CHECK_EQ(l->r.resp->desc[t % DEPTH].id, 0xabc00 + (uint32_t)before);
    CHECK_EQ(l->s.inflight, 0);
}

TEST(blkq_server_refuses_every_bad_request)
{
    struct link l;
    struct blkq_io io;

    link_init(&l, false);
    expect_refused(&l, 5, 0, 0, 1);                        /* unknown code */
    expect_refused(&l, 0xffffffffu, 0, 0, 1);
    expect_refused(&l, BLKQ_REQ_READ, 0, 0, 0);            /* count 0 */
    expect_refused(&l, BLKQ_REQ_DISCARD, 0, 0, 0);
    expect_refused(&l, BLKQ_REQ_READ, 0, CAP, 1);          /* past the partition */
    expect_refused(&l, BLKQ_REQ_WRITE, 0, CAP - 1, 2);
    expect_refused(&l, BLKQ_REQ_READ, 0, UINT64_MAX, 2);   /* block + count wraps */
    expect_refused(&l, BLKQ_REQ_DISCARD, 0, UINT64_MAX / 512, 1);
    expect_refused(&l, BLKQ_REQ_READ, 100, 0, 1);          /* data offset not sector aligned */
    expect_refused(&l, BLKQ_REQ_READ, DEPTH * SLOT, 0, 1); /* data past the region */
    expect_refused(&l, BLKQ_REQ_WRITE, DEPTH * SLOT - 512, 0, 2);
    expect_refused(&l, BLKQ_REQ_WRITE, UINT64_MAX - 511, 0, 2); /* offset + length wraps */
    /* A whole-region request at offset 0 is fine; so is the last sector. */
    raw_req(&l, BLKQ_REQ_READ, 0, 0, (uint16_t)(DEPTH * SLOT / 512), 1);
    CHECK(blkq_server_next(&l.s, &io));
    blkq_server_respond(&l.s, io.id, BLKQ_RESP_OK, 0);
    raw_req(&l, BLKQ_REQ_WRITE, DEPTH * SLOT - 512, CAP - 1, 1, 2);
    CHECK(blkq_server_next(&l.s, &io));
    CHECK(io.data == l.data + DEPTH * SLOT - 512);
    CHECK_EQ(io.offset, (CAP - 1) * 512ull);
    blkq_server_respond(&l.s, io.id, BLKQ_RESP_OK, 1);
    /* Flush ignores its other fields, whatever they say. */
    raw_req(&l, BLKQ_REQ_BARRIER, UINT64_MAX, UINT64_MAX, 0xffff, 3);
    CHECK(blkq_server_next(&l.s, &io));
    CHECK_EQ(io.code, BLKQ_REQ_BARRIER);
    blkq_server_respond(&l.s, io.id, BLKQ_RESP_OK, 0);
    link_free(&l);

    link_init(&l, true); /* read-only: writes and discards refused, reads served */
    expect_refused(&l, BLKQ_REQ_WRITE, 0, 0, 1);
    expect_refused(&l, BLKQ_REQ_DISCARD, 0, 0, 1);
    raw_req(&l, BLKQ_REQ_READ, 0, 0, 1, 4);
    CHECK(blkq_server_next(&l.s, &io));
    blkq_server_respond(&l.s, io.id, BLKQ_RESP_OK, 1);
    raw_req(&l, BLKQ_REQ_FLUSH, 0, 0, 0, 5);
    CHECK(blkq_server_next(&l.s, &io));
    blkq_server_respond(&l.s, io.id, BLKQ_RESP_OK, 0);
    link_free(&l);
}

TEST(blkq_server_bounds_a_flooding_client)
{
    struct link l;
    struct blkq_io io;

    link_init(&l, false);
    /* The server takes `depth` requests, then waits for its own answers before taking more. */
    for (uint32_t i = 0; i < DEPTH; i++)
        raw_req(&l, BLKQ_REQ_READ, 0, 0, 1, i);
    for (uint32_t i = 0; i < DEPTH; i++)
        CHECK(blkq_server_next(&l.s, &io));
    raw_req(&l, BLKQ_REQ_READ, 0, 0, 1, 99);
    CHECK(!blkq_server_next(&l.s, &io));
    blkq_server_respond(&l.s, 0, BLKQ_RESP_OK, 1);
    CHECK(blkq_server_next(&l.s, &io));
    CHECK_EQ(io.id, 99);
    /* Extra answers (a server bug) never overrun the count of requests taken. */
    for (uint32_t i = 0; i < DEPTH + 3; i++)
        blkq_server_respond(&l.s, 0, BLKQ_RESP_OK, 1);
    CHECK_EQ(l.s.stats.responses, DEPTH + 1);
    /* A tail more than a ring ahead: the link is broken, nothing more is read. */
    l.r.req->hdr.tail = l.s.req_head + DEPTH + 1;
    CHECK(!blkq_server_next(&l.s, &io));
    CHECK(l.s.broken);
    CHECK_EQ(l.s.stats.bad_index, 1);
    link_free(&l);
}

TEST(blkq_client_ignores_bad_responses)
{
    struct link l;
    struct blkq_done d;
    uint32_t id0, id1;

    link_init(&l, false);
    CHECK_EQ(blkq_client_submit(&l.c, 0, BLKQ_REQ_READ, 0, 4), 0);
    CHECK_EQ(blkq_client_submit(&l.c, 1, BLKQ_REQ_WRITE, 0, 4), 0);
    id0 = l.r.req->desc[0].id;
    id1 = l.r.req->desc[1].id;
    raw_resp(&l, BLKQ_RESP_OK, 4, 2);                      /* slot 2 is not out */
    raw_resp(&l, BLKQ_RESP_OK, 4, 200);                    /* slot beyond depth */
    raw_resp(&l, BLKQ_RESP_OK, 4, id0 + (1u << 8));        /* right slot, wrong sequence */
    raw_resp(&l, BLKQ_RESP_STATUSES, 4, id0);              /* unknown status */
    raw_resp(&l, BLKQ_RESP_OK, 5, id0);                    /* more blocks than asked for */
    raw_resp(&l, BLKQ_RESP_OK, 3, id0);                    /* partial: valid, but a failure */
    raw_resp(&l, BLKQ_RESP_OK, 4, id0);                    /* slot 0 again: already done */
    CHECK(blkq_client_poll(&l.c, &d));
    CHECK_EQ(d.slot, 0);
    CHECK_EQ(d.status, BLKQ_RESP_ERR_IO);
    CHECK_EQ(l.c.stats.bad_response, 5);
    CHECK(!blkq_client_poll(&l.c, &d));
    CHECK_EQ(l.c.stats.bad_response, 6);
    /* The old id of a reused slot is refused. */
    CHECK_EQ(blkq_client_submit(&l.c, 0, BLKQ_REQ_READ, 0, 4), 0);
    raw_resp(&l, BLKQ_RESP_OK, 4, id0);
    raw_resp(&l, BLKQ_RESP_OK, 4, id1);
    CHECK(blkq_client_poll(&l.c, &d));
    CHECK_EQ(d.slot, 1);
    CHECK_EQ(d.status, BLKQ_RESP_OK);
    CHECK_EQ(l.c.stats.bad_response, 7);
    CHECK_EQ(l.c.nbusy, 1);
    /* A wild tail breaks the link. */
    l.r.resp->hdr.tail = l.c.resp_head + DEPTH + 1;
    CHECK(!blkq_client_poll(&l.c, &d));
    CHECK(l.c.broken);
    link_free(&l);
}

TEST(blkq_notification_flags)
{
    struct link l;

    link_init(&l, false);
    /* Both consumers start out asking; one notification per batch. */
    CHECK(blkq_must_notify(&l.r.req->hdr));
    CHECK(!blkq_must_notify(&l.r.req->hdr));
    CHECK(blkq_must_notify(&l.r.resp->hdr));
    CHECK(!blkq_ask_notify(&l.r.req->hdr, l.s.req_head));
    CHECK_EQ(blkq_client_submit(&l.c, 0, BLKQ_REQ_FLUSH, 0, 0), 0);
    CHECK(blkq_must_notify(&l.r.req->hdr));
    CHECK(blkq_ask_notify(&l.r.req->hdr, l.s.req_head)); /* work is there: do not sleep */
    link_free(&l);
}
