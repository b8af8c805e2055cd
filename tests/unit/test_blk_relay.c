/* SPDX-License-Identifier: BSD-2-Clause */
/* blk_relay: a driver VM's relay between blkq clients and an agent, with honest and hostile agents. */
#include <stddef.h>
#include <stdlib.h>
#include <svmm/blk_relay.h>
#include <svmm/le.h>
#include "test.h"

#define DEPTH 8u
#define SLOT 8192u
#define DISK (1u << 20)
#define BASE 65536u   /* the test agent's table: client "user" starts here on its disk */
#define PART 131072u

struct rig {
    struct blk_relay *r;
    void *q;
    uint8_t *data;
    struct blkq_client c;
    uint8_t disk[DISK];  /* the agent's disk */
};

static struct rig *rig_new(bool ro)
{
    struct rig *g = calloc(1, sizeof(*g));
    char err[128];

    g->r = calloc(1, sizeof(*g->r));
    g->q = calloc(1, blkq_queue_bytes(DEPTH));
    g->data = calloc(DEPTH, SLOT);
    blk_relay_init(g->r);
    CHECK_EQ(blk_relay_add_client(g->r, "user", PART, ro, err, sizeof(err)), 0);
    CHECK_EQ(blk_relay_attach(g->r, 0, g->q, g->data, DEPTH, SLOT), 0);
    CHECK_EQ(blkq_client_init(&g->c, g->q, g->data, DEPTH, SLOT), 0);
    return g;
}

static void rig_free(struct rig *g)
{
    free(g->r);
    free(g->q);
    free(g->data);
    free(g);
}

/* The agent's response header, as bytes. */
static void resp(uint8_t h[24], uint32_t magic, uint32_t op, uint32_t status, uint32_t len, uint32_t tag)
{
    memset(h, 0, 24);
    le_put(&h[offsetof(struct blk_agent_resp, magic)], magic, 4);
    le_put(&h[offsetof(struct blk_agent_resp, op)], op, 4);
    le_put(&h[offsetof(struct blk_agent_resp, status)], status, 4);
    le_put(&h[offsetof(struct blk_agent_resp, len)], len, 4);
    le_put(&h[offsetof(struct blk_agent_resp, tag)], tag, 4);
}

/*
 * An honest agent: serve every whole request frame in the relay's output on g->disk, answering
 * through blk_relay_input `chunk` bytes at a time. Returns the frames served.
 */
static unsigned agent_serve(struct rig *g, size_t chunk)
{
    static uint8_t stream[BLK_RELAY_OUT_BYTES], answer[24 + SLOT];
    size_t n = 0, len, at = 0;
    const uint8_t *p;
    unsigned frames = 0;

    while ((p = blk_relay_output(g->r, &len)) != NULL && len > 0) {
        memcpy(stream + n, p, len);
        n += len;
        blk_relay_consume(g->r, len);
    }
    while (at + 32 <= n) {
        uint32_t op = le32(stream + at + 4), alen = le32(stream + at + 16), tag = le32(stream + at + 20);
        uint64_t off = le64(stream + at + 8);
        size_t out = 24;
        CHECK_EQ(le32(stream + at), BLK_AGENT_MAGIC);
        at += 32;
        if (op == BLK_AGENT_HELLO) { /* the table's only client: "user", PART bytes at BASE */
            CHECK_EQ(le32(stream + at - 8), 0);
            CHECK_EQ(off, PART);
            CHECK(alen == 4 && !memcmp(stream + at, "user", 4));
            at += alen;
            continue;
        }
        CHECK_EQ(le32(stream + at - 8), 0); /* client 0 */
        CHECK(off + alen <= PART);
        off += BASE;
        if (op == BLK_AGENT_WRITE) {
            memcpy(g->disk + off, stream + at, alen);
            at += alen;
        }
        resp(answer, BLK_AGENT_MAGIC, op, BLK_AGENT_OK, op == BLK_AGENT_READ ? alen : 0, tag);
        if (op == BLK_AGENT_READ) {
            memcpy(answer + 24, g->disk + off, alen);
            out += alen;
        }
        for (size_t k = 0; k < out; k += chunk)
            blk_relay_input(g->r, answer + k, out - k < chunk ? out - k : chunk);
        frames++;
    }
    CHECK_EQ(at, n);
    return frames;
}

static int submit(struct rig *g, enum blkq_code code, uint64_t block, uint16_t count)
{
    int slot = blkq_client_free_slot(&g->c);
    CHECK(slot >= 0);
    CHECK_EQ(blkq_client_submit(&g->c, (uint32_t)slot, code, block, count), 0);
    return slot;
}

TEST(blk_relay_write_then_read_through_an_honest_agent)
{
    struct rig *g = rig_new(false);
    struct blkq_done d;
    int s;

    s = submit(g, BLKQ_REQ_WRITE, 4, 8);
    for (unsigned i = 0; i < 4096; i++)
        blkq_client_slot_data(&g->c, (uint32_t)s)[i] = (uint8_t)(i * 7 + 1);
    blk_relay_pump(g->r);
    CHECK_EQ(agent_serve(g, 5), 1); /* answers split into 5-byte pieces */
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_OK);
    CHECK_EQ(g->disk[BASE + 4 * 512 + 1], 8);       /* at the partition's base on the agent's disk */
    CHECK_EQ(g->disk[4 * 512 + 1], 0);              /* not at the client's own offset */
    s = submit(g, BLKQ_REQ_READ, 4, 8);
    memset(blkq_client_slot_data(&g->c, (uint32_t)s), 0, 4096);
    blk_relay_pump(g->r);
    CHECK_EQ(agent_serve(g, 4096 + 24), 1);
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_OK);
    CHECK_EQ(blkq_client_slot_data(&g->c, (uint32_t)s)[4095], (uint8_t)(4095 * 7 + 1));
    s = submit(g, BLKQ_REQ_FLUSH, 0, 0);
    blk_relay_pump(g->r);
    CHECK_EQ(agent_serve(g, 1), 1);
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_OK);
    CHECK_EQ(g->r->stats.bad_frames, 0);
    CHECK_EQ(g->r->ntags_busy, 0);
    rig_free(g);
}

TEST(blk_relay_client_requests_are_validated_before_the_agent_sees_them)
{
    struct rig *g = rig_new(true);
    struct blkq_done d;
    size_t len;

    CHECK_EQ(agent_serve(g, 1), 0);                     /* the HELLO only */
    submit(g, BLKQ_REQ_WRITE, 0, 1);                   /* read-only partition */
    submit(g, BLKQ_REQ_READ, PART / 512, 1);           /* past the partition */
    blk_relay_pump(g->r);
    blk_relay_output(g->r, &len);
    CHECK_EQ(len, 0);                                   /* nothing reached the agent */
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_ERR_INVALID_PARAM);
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_ERR_INVALID_PARAM);
    rig_free(g);
}

/* A hostile agent's frame after one READ of 8 sectors is outstanding as tag 0: the relay breaks. */
static void hostile_case(uint32_t magic, uint32_t op, uint32_t status, uint32_t len, uint32_t tag)
{
    struct rig *g = rig_new(false);
    uint8_t h[24];
    struct blkq_done d;
    size_t out;
    int s;

    s = submit(g, BLKQ_REQ_READ, 0, 8);
    memset(blkq_client_slot_data(&g->c, (uint32_t)s), 0xa5, SLOT);
    blk_relay_pump(g->r);
    blk_relay_output(g->r, &out);
    blk_relay_consume(g->r, out);
    resp(h, magic, op, status, len, tag);
    blk_relay_input(g->r, h, sizeof(h));
    CHECK(g->r->agent_broken);
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_ERR_IO);              /* the outstanding request fails, once */
    CHECK(!blkq_client_poll(&g->c, &d));
    CHECK_EQ(blkq_client_slot_data(&g->c, (uint32_t)s)[0], 0xa5); /* no data was written */
    submit(g, BLKQ_REQ_READ, 0, 1);                     /* later requests fail at once */
    blk_relay_pump(g->r);
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_ERR_IO);
    blk_relay_output(g->r, &out);
    CHECK_EQ(out, 0);
    CHECK_EQ(blk_relay_take_notify(g->r) & ~1u, 0);
    rig_free(g);
}

TEST(blk_relay_hostile_agent_frames_break_the_agent)
{
    hostile_case(0x12345678, BLK_AGENT_READ, BLK_AGENT_OK, 4096, 0);   /* bad magic */
    hostile_case(BLK_AGENT_MAGIC, BLK_AGENT_READ, BLK_AGENT_OK, 4096, 1); /* a tag not outstanding */
    hostile_case(BLK_AGENT_MAGIC, BLK_AGENT_READ, BLK_AGENT_OK, 4096, 999); /* a tag out of range */
    hostile_case(BLK_AGENT_MAGIC, BLK_AGENT_WRITE, BLK_AGENT_OK, 0, 0);   /* another op */
    hostile_case(BLK_AGENT_MAGIC, BLK_AGENT_READ, 7, 0, 0);               /* unknown status */
    hostile_case(BLK_AGENT_MAGIC, BLK_AGENT_READ, BLK_AGENT_OK, 8192, 0); /* more data than asked */
    hostile_case(BLK_AGENT_MAGIC, BLK_AGENT_READ, BLK_AGENT_OK, 512, 0);  /* less data than asked */
    hostile_case(BLK_AGENT_MAGIC, BLK_AGENT_READ, BLK_AGENT_EIO, 4096, 0); /* data with an error */
}

TEST(blk_relay_agent_error_fails_only_that_request)
{
    struct rig *g = rig_new(false);
    uint8_t h[24];
    struct blkq_done d;
    size_t out;

    submit(g, BLKQ_REQ_READ, 0, 8);
    blk_relay_pump(g->r);
    blk_relay_output(g->r, &out);
    blk_relay_consume(g->r, out);
    resp(h, BLK_AGENT_MAGIC, BLK_AGENT_READ, BLK_AGENT_EIO, 0, 0);
    blk_relay_input(g->r, h, sizeof(h));
    CHECK(!g->r->agent_broken);
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_ERR_IO);
    resp(h, BLK_AGENT_MAGIC, BLK_AGENT_READ, BLK_AGENT_OK, 0, 0);      /* a second answer: tag no longer out */
    blk_relay_input(g->r, h, sizeof(h));
    CHECK(g->r->agent_broken);
    CHECK(!blkq_client_poll(&g->c, &d));                               /* never answered twice */
    rig_free(g);
}

TEST(blk_relay_detached_client_read_data_is_dropped)
{
    struct rig *g = rig_new(false);
    uint8_t answer[24 + 4096];
    size_t out;

    submit(g, BLKQ_REQ_READ, 0, 8);
    blk_relay_pump(g->r);
    blk_relay_output(g->r, &out);
    blk_relay_consume(g->r, out);
    blk_relay_detach(g->r, 0);
    memset(g->data, 0x5a, (size_t)DEPTH * SLOT);
    resp(answer, BLK_AGENT_MAGIC, BLK_AGENT_READ, BLK_AGENT_OK, 4096, 0);
    memset(answer + 24, 0xee, 4096);
    blk_relay_input(g->r, answer, sizeof(answer));
    CHECK(!g->r->agent_broken);
    CHECK_EQ(g->r->ntags_busy, 0);
    for (size_t i = 0; i < (size_t)DEPTH * SLOT; i++)
        if (g->data[i] != 0x5a) {
            CHECK(!"the detached client's region was written");
            break;
        }
    rig_free(g);
}

TEST(blk_relay_many_requests_are_bounded_by_tags_and_ring)
{
    struct rig *g = rig_new(false);
    struct blkq_done d;
    unsigned done = 0;

    for (unsigned round = 0; round < 20; round++) {
        while (blkq_client_free_slot(&g->c) >= 0)
            submit(g, BLKQ_REQ_WRITE, (round * 8 + done % 8) % (PART / 512 - 16), 16);
        blk_relay_pump(g->r);
        CHECK(g->r->ntags_busy <= BLK_RELAY_MAX_TAGS);
        agent_serve(g, 1000);
        while (blkq_client_poll(&g->c, &d)) {
            CHECK_EQ(d.status, BLKQ_RESP_OK);
            done++;
        }
    }
    CHECK_EQ(done, 20 * DEPTH);
    CHECK_EQ(g->r->stats.bad_frames, 0);
    rig_free(g);
}
