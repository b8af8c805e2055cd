/* SPDX-License-Identifier: BSD-2-Clause */
/* blk_relay: a driver VM's relay between blkq clients and an agent, with honest and hostile agents. */
#include <stddef.h>
#include <stdlib.h>
#include <svmm/blk_relay.h>
#include <svmm/le.h>
#include "test.h"

#define DEPTH 8u
#define SLOT 8192u
#define DISK (4u << 20)
#define BASE 65536u   /* the test agent's table: client "user" starts here on its disk */
#define PART (2u << 20)

struct rig {
    struct blk_relay *r;
    void *q;
    uint8_t *data;
    struct blkq_client c;
    uint8_t disk[DISK];  /* the agent's disk */
};

static struct rig *rig_new_geo(bool ro, uint32_t depth, uint32_t slot)
{
    struct rig *g = calloc(1, sizeof(*g));
    char err[128];

    g->r = calloc(1, sizeof(*g->r));
    g->q = calloc(1, blkq_queue_bytes(depth));
    g->data = calloc(depth, slot);
    blk_relay_init(g->r);
    CHECK_EQ(blk_relay_add_client(g->r, "user", PART, ro, err, sizeof(err)), 0);
    CHECK_EQ(blk_relay_attach(g->r, 0, g->q, g->data, depth, slot), 0);
    CHECK_EQ(blkq_client_init(&g->c, g->q, g->data, depth, slot), 0);
    return g;
}

static struct rig *rig_new(bool ro)
{
    return rig_new_geo(ro, DEPTH, SLOT);
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

/* Padding the honest agent puts between a READ's header and its data (the spliced answers' way). */
static uint32_t serve_pad;

/*
 * An honest agent: serve every whole request frame in the relay's output on g->disk, answering
 * through blk_relay_input `chunk` bytes at a time. Returns the frames served.
 */
static unsigned agent_serve(struct rig *g, size_t chunk)
{
    static uint8_t stream[BLK_RELAY_OUT_BYTES], answer[24 + BLK_AGENT_MAX_PAD + BLKQ_MAX_SLOT_SIZE];
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
            le_put(&answer[offsetof(struct blk_agent_resp, pad)], serve_pad, 4);
            memset(answer + 24, 0xee, serve_pad); /* must never reach the client */
            memcpy(answer + 24 + serve_pad, g->disk + off, alen);
            out += serve_pad + alen;
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

TEST(blk_relay_padded_read_answers_skip_the_padding)
{
    static const uint32_t pads[] = { 1, 4096 - 24 - 48, BLK_AGENT_MAX_PAD };
    static const size_t chunks[] = { 7, 4096, 4096 + 24 + BLK_AGENT_MAX_PAD };

    for (unsigned k = 0; k < 3; k++) {
        struct rig *g = rig_new(false);
        struct blkq_done d;
        int s;

        for (unsigned i = 0; i < 8192; i++)
            g->disk[BASE + 512 + i] = (uint8_t)(i * 3 + k);
        serve_pad = pads[k];
        s = submit(g, BLKQ_REQ_READ, 1, 16);
        memset(blkq_client_slot_data(&g->c, (uint32_t)s), 0, 8192);
        blk_relay_pump(g->r);
        CHECK_EQ(agent_serve(g, chunks[k]), 1); /* the READ (the HELLO is not counted) */
        CHECK(blkq_client_poll(&g->c, &d));
        CHECK_EQ(d.status, BLKQ_RESP_OK);
        CHECK(!memcmp(blkq_client_slot_data(&g->c, (uint32_t)s), g->disk + BASE + 512, 8192));
        s = submit(g, BLKQ_REQ_FLUSH, 0, 0); /* the next frame is in step */
        blk_relay_pump(g->r);
        CHECK_EQ(agent_serve(g, chunks[k]), 1);
        CHECK(blkq_client_poll(&g->c, &d));
        CHECK_EQ(d.status, BLKQ_RESP_OK);
        CHECK_EQ(g->r->stats.bad_frames, 0);
        serve_pad = 0;
        rig_free(g);
    }
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

/* The pad field of hostile_case's frame. */
static uint32_t hostile_pad;

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
    le_put(&h[offsetof(struct blk_agent_resp, pad)], hostile_pad, 4);
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
    hostile_pad = BLK_AGENT_MAX_PAD + 1;                                   /* padding past the bound */
    hostile_case(BLK_AGENT_MAGIC, BLK_AGENT_READ, BLK_AGENT_OK, 4096, 0);
    hostile_pad = 0xffffffffu;
    hostile_case(BLK_AGENT_MAGIC, BLK_AGENT_READ, BLK_AGENT_OK, 4096, 0);
    hostile_pad = 8;                                                       /* padding without data */
    hostile_case(BLK_AGENT_MAGIC, BLK_AGENT_READ, BLK_AGENT_EIO, 0, 0);
    hostile_pad = 0;
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

/* ---- agent restarts ---- */

/* The agent takes everything queued so far and answers nothing (it is about to die). */
static size_t agent_swallow(struct rig *g)
{
    size_t len, total = 0;

    while (blk_relay_output(g->r, &len) != NULL && len > 0) {
        blk_relay_consume(g->r, len);
        total += len;
    }
    return total;
}

/* The ops of the request frames queued now, in order (HELLOs skipped); returns how many, at most max. */
static unsigned queued_ops(struct rig *g, uint32_t *ops, unsigned max)
{
    static uint8_t stream[BLK_RELAY_OUT_BYTES];
    size_t n = 0, len, at = 0;
    const uint8_t *p;
    unsigned k = 0;

    /* Look without consuming: the FIFO starts at 0 after a restart, so one contiguous run holds it all. */
    p = blk_relay_output(g->r, &len);
    memcpy(stream, p, len);
    n = len;
    while (at + 32 <= n) {
        uint32_t op = le32(stream + at + 4), alen = le32(stream + at + 16);
        at += 32 + (op == BLK_AGENT_HELLO || op == BLK_AGENT_WRITE ? alen : 0);
        if (op != BLK_AGENT_HELLO && k < max)
            ops[k++] = op;
    }
    return k;
}

TEST(blk_relay_agent_restart_sends_the_held_requests_again_in_order)
{
    struct rig *g = rig_new(false);
    struct blkq_done d;
    uint32_t ops[8];
    size_t len;
    int w, rd;

    CHECK_EQ(agent_serve(g, 64), 0);                    /* the first agent got the HELLO */
    w = submit(g, BLKQ_REQ_WRITE, 8, 8);
    for (unsigned i = 0; i < 4096; i++)
        blkq_client_slot_data(&g->c, (uint32_t)w)[i] = (uint8_t)(i * 3 + 5);
    rd = submit(g, BLKQ_REQ_READ, 64, 1);
    submit(g, BLKQ_REQ_FLUSH, 0, 0);
    blk_relay_pump(g->r);
    CHECK(agent_swallow(g) > 4096);                     /* the agent read all three, then died */
    blk_relay_agent_closed(g->r);
    CHECK_EQ(g->r->nheld, 3);
    blk_relay_pump(g->r);                               /* no agent: nothing is queued, nothing answered */
    blk_relay_output(g->r, &len);
    CHECK_EQ(len, 0);
    CHECK(!blkq_client_poll(&g->c, &d));
    memcpy(g->disk + BASE + 64 * 512, "sixty-four", 10);
    blk_relay_agent_opened(g->r);
    blk_relay_pump(g->r);
    CHECK_EQ(queued_ops(g, ops, 8), 3);                 /* oldest first: the FLUSH still follows the WRITE */
    CHECK(ops[0] == BLK_AGENT_WRITE && ops[1] == BLK_AGENT_READ && ops[2] == BLK_AGENT_FLUSH);
    CHECK_EQ(agent_serve(g, 100), 3);                   /* agent_serve checks the HELLO comes first */
    for (unsigned k = 0; k < 3; k++) {
        CHECK(blkq_client_poll(&g->c, &d));
        CHECK_EQ(d.status, BLKQ_RESP_OK);
    }
    CHECK(!blkq_client_poll(&g->c, &d));                /* each answered once */
    CHECK_EQ(g->disk[BASE + 8 * 512 + 2], 11);          /* the WRITE's bytes, from the client's slot */
    CHECK(!memcmp(blkq_client_slot_data(&g->c, (uint32_t)rd), "sixty-four", 10));
    CHECK_EQ(g->r->stats.resent, 3);
    CHECK_EQ(g->r->stats.agent_closes, 1);
    CHECK_EQ(g->r->stats.bad_frames, 0);
    CHECK_EQ(g->r->ntags_busy, 0);
    rig_free(g);
}

TEST(blk_relay_agent_restart_drops_a_half_received_answer)
{
    struct rig *g = rig_new(false);
    uint8_t answer[24 + 4096];
    struct blkq_done d;
    int s;

    s = submit(g, BLKQ_REQ_READ, 0, 8);
    blk_relay_pump(g->r);
    agent_swallow(g);
    resp(answer, BLK_AGENT_MAGIC, BLK_AGENT_READ, BLK_AGENT_OK, 4096, 0);
    memset(answer + 24, 0xee, 4096);
    blk_relay_input(g->r, answer, 24 + 1000);           /* the agent died in the middle of its answer */
    blk_relay_agent_closed(g->r);
    blk_relay_input(g->r, answer + 1024, 3096);         /* nothing comes after a close; if it did, ignored */
    CHECK(!blkq_client_poll(&g->c, &d));
    CHECK(!g->r->agent_broken);
    memset(g->disk + BASE, 0x42, 4096);
    blk_relay_agent_opened(g->r);
    blk_relay_pump(g->r);
    CHECK_EQ(agent_serve(g, 7), 1);                     /* the new agent starts on a frame boundary */
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_OK);
    CHECK_EQ(blkq_client_slot_data(&g->c, (uint32_t)s)[4095], 0x42);
    CHECK(!blkq_client_poll(&g->c, &d));
    CHECK_EQ(g->r->stats.bad_frames, 0);
    rig_free(g);
}

TEST(blk_relay_an_answer_to_a_request_not_yet_sent_again_breaks_the_new_agent)
{
    struct rig *g = rig_new(false);
    uint8_t h[24];
    struct blkq_done d;

    submit(g, BLKQ_REQ_WRITE, 0, 1);
    blk_relay_pump(g->r);
    agent_swallow(g);
    blk_relay_agent_closed(g->r);
    blk_relay_agent_opened(g->r);                       /* the HELLO is queued, the WRITE not yet again */
    resp(h, BLK_AGENT_MAGIC, BLK_AGENT_WRITE, BLK_AGENT_OK, 0, 0);
    blk_relay_input(g->r, h, sizeof(h));                /* tag 0 is not on this stream */
    CHECK(g->r->agent_broken);
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_ERR_IO);               /* failed once, never resent */
    blk_relay_pump(g->r);
    CHECK(!blkq_client_poll(&g->c, &d));
    CHECK_EQ(g->r->ntags_busy, 0);
    CHECK_EQ(g->r->nheld, 0);
    rig_free(g);
}

TEST(blk_relay_agent_away_too_long_fails_requests_until_one_opens)
{
    struct rig *g = rig_new(false);
    struct blkq_done d;
    size_t len;

    agent_serve(g, 64);
    submit(g, BLKQ_REQ_READ, 0, 1);
    blk_relay_pump(g->r);
    agent_swallow(g);
    blk_relay_agent_lost(g->r);                         /* not away: nothing happens */
    CHECK(!blkq_client_poll(&g->c, &d));
    blk_relay_agent_closed(g->r);
    blk_relay_agent_lost(g->r);
    CHECK(blkq_client_poll(&g->c, &d));                 /* the held request fails, once */
    CHECK_EQ(d.status, BLKQ_RESP_ERR_IO);
    CHECK(blk_relay_take_notify(g->r) & 1u);
    submit(g, BLKQ_REQ_WRITE, 0, 1);                    /* and so do new ones, at once */
    blk_relay_pump(g->r);
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_ERR_IO);
    blk_relay_output(g->r, &len);
    CHECK_EQ(len, 0);
    blk_relay_agent_opened(g->r);                       /* an agent again: HELLO, then service */
    submit(g, BLKQ_REQ_WRITE, 0, 1);
    blk_relay_pump(g->r);
    CHECK_EQ(agent_serve(g, 24), 1);
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_OK);
    CHECK_EQ(g->r->stats.resent, 0);
    rig_free(g);
}

TEST(blk_relay_client_leaving_while_the_agent_is_away_drops_its_held_requests)
{
    struct rig *g = rig_new(false);
    size_t len;

    submit(g, BLKQ_REQ_READ, 0, 8);
    submit(g, BLKQ_REQ_WRITE, 16, 8);
    blk_relay_pump(g->r);
    agent_swallow(g);
    blk_relay_agent_closed(g->r);
    blk_relay_detach(g->r, 0);
    CHECK_EQ(g->r->ntags_busy, 0);                      /* nothing is kept for a client that is gone */
    CHECK_EQ(g->r->nheld, 0);
    blk_relay_agent_opened(g->r);
    blk_relay_pump(g->r);
    CHECK_EQ(agent_serve(g, 64), 0);                    /* the HELLO only */
    blk_relay_output(g->r, &len);
    CHECK_EQ(len, 0);
    rig_free(g);
}

TEST(blk_relay_orphans_are_dropped_at_a_restart_and_a_broken_agent_recovers)
{
    struct rig *g = rig_new(false);
    uint8_t h[24];
    struct blkq_done d;

    submit(g, BLKQ_REQ_READ, 0, 8);
    blk_relay_pump(g->r);
    agent_swallow(g);
    blk_relay_detach(g->r, 0);                          /* an orphan at the agent */
    blk_relay_agent_closed(g->r);
    CHECK_EQ(g->r->ntags_busy, 0);
    blk_relay_agent_opened(g->r);
    memset(g->q, 0, blkq_queue_bytes(DEPTH));           /* the client comes back on a new link */
    CHECK_EQ(blk_relay_attach(g->r, 0, g->q, g->data, DEPTH, SLOT), 0);
    CHECK_EQ(blkq_client_init(&g->c, g->q, g->data, DEPTH, SLOT), 0);
    submit(g, BLKQ_REQ_READ, 0, 8);
    blk_relay_pump(g->r);
    CHECK_EQ(agent_serve(g, 4096), 1);                  /* its new request only, not the orphan */
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_OK);
    CHECK_EQ(g->r->stats.resent, 0);
    rig_free(g);

    g = rig_new(false);
    submit(g, BLKQ_REQ_READ, 0, 8);
    blk_relay_pump(g->r);
    agent_swallow(g);
    resp(h, 0xbad, BLK_AGENT_READ, BLK_AGENT_OK, 0, 0);
    blk_relay_input(g->r, h, sizeof(h));
    CHECK(g->r->agent_broken);
    CHECK(blkq_client_poll(&g->c, &d));
    blk_relay_agent_closed(g->r);                       /* the broken agent exits, a new one opens */
    blk_relay_agent_opened(g->r);
    CHECK(!g->r->agent_broken);
    submit(g, BLKQ_REQ_READ, 0, 8);
    blk_relay_pump(g->r);
    CHECK_EQ(agent_serve(g, 4096), 1);
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_OK);
    rig_free(g);
}

TEST(blk_relay_kept_requests_go_again_as_room_allows)
{
    /* Two 1 MiB writes: the outbound FIFO (2 MiB) takes a frame only with room for the largest one. */
    struct rig *g = rig_new_geo(false, 2, BLKQ_MAX_SLOT_SIZE);
    struct blkq_done d;
    uint32_t ops[4];

    for (unsigned k = 0; k < 2; k++) {
        int s = submit(g, BLKQ_REQ_WRITE, 2048 * k, 2048);
        memset(blkq_client_slot_data(&g->c, (uint32_t)s), 0x30 + (int)k, BLKQ_MAX_SLOT_SIZE);
    }
    blk_relay_pump(g->r);
    agent_swallow(g);
    blk_relay_pump(g->r);
    agent_swallow(g);                                   /* both at the agent */
    blk_relay_agent_closed(g->r);
    blk_relay_agent_closed(g->r);                       /* twice: the same */
    CHECK_EQ(g->r->stats.agent_closes, 1);
    CHECK_EQ(g->r->nheld, 2);
    blk_relay_agent_opened(g->r);
    CHECK(blk_relay_pump(g->r));                        /* one fits behind the HELLO; more to come */
    CHECK_EQ(g->r->nheld, 1);
    CHECK_EQ(queued_ops(g, ops, 4), 1);
    CHECK_EQ(agent_serve(g, 65536), 1);
    blk_relay_pump(g->r);
    CHECK_EQ(g->r->nheld, 0);
    CHECK_EQ(agent_serve(g, 65536), 1);
    for (unsigned k = 0; k < 2; k++) {
        CHECK(blkq_client_poll(&g->c, &d));
        CHECK_EQ(d.status, BLKQ_RESP_OK);
    }
    CHECK(!blkq_client_poll(&g->c, &d));
    CHECK_EQ(g->disk[BASE + 1], 0x30);                  /* the older one first, each in its place */
    CHECK_EQ(g->disk[BASE + BLKQ_MAX_SLOT_SIZE + 1], 0x31);
    CHECK_EQ(g->r->stats.resent, 2);
    rig_free(g);
}

/* ---- mapped buffers (MAP, READ_BUF) ---- */

#define GUEST_GPA 0x40000000ull
#define GUEST_PAGES 16u
static uint8_t guest_ram[GUEST_PAGES][BLK_AGENT_PAGE];

/* The test's guest RAM: GUEST_PAGES pages at GUEST_GPA. */
static const uint8_t *test_guest_page(void *ctx, uint64_t gpa)
{
    (void)ctx;
    if (gpa < GUEST_GPA || gpa - GUEST_GPA >= (uint64_t)GUEST_PAGES * BLK_AGENT_PAGE)
        return NULL;
    return guest_ram[(gpa - GUEST_GPA) / BLK_AGENT_PAGE];
}

/* A rig whose relay offers mapped buffers; every HELLO says so. Its output (the HELLO) is taken. */
static struct rig *rig_mapped(void)
{
    struct rig *g = calloc(1, sizeof(*g));
    char err[128];
    const uint8_t *p;
    size_t len;

    g->r = calloc(1, sizeof(*g->r));
    g->q = calloc(1, blkq_queue_bytes(DEPTH));
    g->data = calloc(DEPTH, SLOT);
    blk_relay_init(g->r);
    blk_relay_set_guest(g->r, test_guest_page, NULL);
    CHECK_EQ(blk_relay_add_client(g->r, "user", PART, false, err, sizeof(err)), 0);
    CHECK_EQ(blk_relay_attach(g->r, 0, g->q, g->data, DEPTH, SLOT), 0);
    CHECK_EQ(blkq_client_init(&g->c, g->q, g->data, DEPTH, SLOT), 0);
    p = blk_relay_output(g->r, &len);
    CHECK(len >= 32);
    CHECK_EQ(le32(p + offsetof(struct blk_agent_req, flags)), BLK_AGENT_HELLO_BUF);
    blk_relay_consume(g->r, len);
    return g;
}

/* A MAP frame for buffer `buf`: its pages' addresses, fed `chunk` bytes at a time. */
static void send_map(struct rig *g, uint32_t buf, const uint64_t *gpa, unsigned n, size_t chunk)
{
    uint8_t f[24 + 8 * 8];

    CHECK(n <= 8);
    resp(f, BLK_AGENT_MAGIC, BLK_AGENT_MAP, BLK_AGENT_OK, 8 * n, buf);
    for (unsigned i = 0; i < n; i++)
        le_put(f + 24 + 8 * i, gpa[i], 8);
    for (size_t k = 0; k < 24 + 8 * n; k += chunk)
        blk_relay_input(g->r, f + k, 24 + 8 * n - k < chunk ? 24 + 8 * n - k : chunk);
}

/* A READ_BUF answer for `tag`: `len` bytes in buffer `buf`. */
static void send_read_buf(struct rig *g, uint32_t tag, uint32_t len, uint32_t buf, uint32_t status)
{
    uint8_t h[24];

    resp(h, BLK_AGENT_MAGIC, BLK_AGENT_READ_BUF, status, len, tag);
    le_put(&h[offsetof(struct blk_agent_resp, pad)], buf, 4);
    blk_relay_input(g->r, h, sizeof(h));
}

/* One READ of `sectors` at block 0 sent to the agent as tag 0; its slot (filled with 0xa5). */
static int read_out(struct rig *g, uint16_t sectors)
{
    int s = submit(g, BLKQ_REQ_READ, 0, sectors);
    size_t out;

    memset(blkq_client_slot_data(&g->c, (uint32_t)s), 0xa5, SLOT);
    blk_relay_pump(g->r);
    blk_relay_output(g->r, &out);
    CHECK_EQ(out, 32);
    blk_relay_consume(g->r, out);
    return s;
}

TEST(blk_relay_mapped_read_copies_from_the_agents_pages)
{
    struct rig *g = rig_mapped();
    const uint64_t apart[2] = { GUEST_GPA + 7 * BLK_AGENT_PAGE, GUEST_GPA + 2 * BLK_AGENT_PAGE };
    const uint64_t adjacent[2] = { GUEST_GPA + 10 * BLK_AGENT_PAGE, GUEST_GPA + 11 * BLK_AGENT_PAGE };
    struct blkq_done d;
    uint8_t *slot;
    int s;

    for (unsigned i = 0; i < GUEST_PAGES; i++)
        memset(guest_ram[i], (int)(0x10 + i), BLK_AGENT_PAGE);
    send_map(g, 3, apart, 2, 5);        /* in 5-byte pieces */
    send_map(g, 31, adjacent, 2, 4096); /* the last buffer number */
    CHECK(!g->r->agent_broken);
    CHECK_EQ(g->r->stats.maps, 2);
    s = read_out(g, 16);
    send_read_buf(g, 0, 8192, 3, BLK_AGENT_OK);
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_OK);
    slot = blkq_client_slot_data(&g->c, (uint32_t)s);
    CHECK(slot[0] == 0x17 && slot[4095] == 0x17 && slot[4096] == 0x12 && slot[8191] == 0x12); /* in the map's order */
    s = read_out(g, 9); /* 4608 bytes: a page and part of the next, adjacent ones */
    send_read_buf(g, 0, 9 * 512, 31, BLK_AGENT_OK);
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_OK);
    slot = blkq_client_slot_data(&g->c, (uint32_t)s);
    CHECK(slot[0] == 0x1a && slot[4096] == 0x1b && slot[4607] == 0x1b && slot[4608] == 0xa5); /* no more */
    CHECK_EQ(g->r->stats.mapped_reads, 2);
    CHECK_EQ(g->r->stats.bad_frames, 0);
    CHECK_EQ(g->r->ntags_busy, 0);
    rig_free(g);
}

/* A hostile MAP (buffer `buf`, `n` addresses, the header's len `len`) breaks the agent. */
static void hostile_map(bool offered, uint32_t buf, const uint64_t *gpa, unsigned n, uint32_t len)
{
    struct rig *g = offered ? rig_mapped() : rig_new(false);
    uint8_t f[24 + 8 * 8];

    resp(f, BLK_AGENT_MAGIC, BLK_AGENT_MAP, BLK_AGENT_OK, len, buf);
    for (unsigned i = 0; i < n; i++)
        le_put(f + 24 + 8 * i, gpa[i], 8);
    blk_relay_input(g->r, f, 24 + 8 * n);
    CHECK(g->r->agent_broken);
    CHECK_EQ(g->r->stats.maps, 0);
    rig_free(g);
}

TEST(blk_relay_hostile_maps_break_the_agent)
{
    const uint64_t ok[2] = { GUEST_GPA, GUEST_GPA + BLK_AGENT_PAGE };
    const uint64_t odd[1] = { GUEST_GPA + 512 };
    const uint64_t outside[2] = { GUEST_GPA, GUEST_GPA + (uint64_t)GUEST_PAGES * BLK_AGENT_PAGE };
    const uint64_t below[1] = { GUEST_GPA - BLK_AGENT_PAGE };
    const uint64_t wrap[1] = { UINT64_MAX & ~(uint64_t)(BLK_AGENT_PAGE - 1) };

    hostile_map(false, 0, ok, 2, 16);                           /* never offered */
    hostile_map(true, BLK_AGENT_MAX_BUFS, ok, 2, 16);           /* a buffer number out of range */
    hostile_map(true, 0, ok, 0, 0);                             /* no pages */
    hostile_map(true, 0, ok, 2, 12);                            /* not whole addresses */
    hostile_map(true, 0, ok, 0, 8 * (BLK_AGENT_BUF_PAGES + 1)); /* more pages than a buffer has */
    hostile_map(true, 0, odd, 1, 8);                            /* not page-aligned */
    hostile_map(true, 0, outside, 2, 16);                       /* past the guest's RAM */
    hostile_map(true, 0, below, 1, 8);                          /* below it */
    hostile_map(true, 0, wrap, 1, 8);                           /* at the top of the address space */
}

/* A hostile READ_BUF after buffer 1 is mapped with 2 pages and a READ of `sectors` is out as tag 0. */
static void hostile_read_buf(uint16_t sectors, uint32_t tag, uint32_t len, uint32_t buf, uint32_t status)
{
    struct rig *g = rig_mapped();
    const uint64_t pages[2] = { GUEST_GPA, GUEST_GPA + BLK_AGENT_PAGE };
    struct blkq_done d;
    int s;

    send_map(g, 1, pages, 2, 4096);
    s = read_out(g, sectors);
    send_read_buf(g, tag, len, buf, status);
    CHECK(g->r->agent_broken);
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_ERR_IO);
    CHECK_EQ(blkq_client_slot_data(&g->c, (uint32_t)s)[0], 0xa5); /* nothing copied */
    CHECK_EQ(g->r->stats.mapped_reads, 0);
    rig_free(g);
}

TEST(blk_relay_hostile_mapped_answers_break_the_agent)
{
    hostile_read_buf(8, 0, 4096, 2, BLK_AGENT_OK);                 /* a buffer never mapped */
    hostile_read_buf(8, 0, 4096, BLK_AGENT_MAX_BUFS, BLK_AGENT_OK); /* out of range */
    hostile_read_buf(8, 0, 4096, 0xffffffffu, BLK_AGENT_OK);
    hostile_read_buf(8, 1, 4096, 1, BLK_AGENT_OK);                 /* a tag not out */
    hostile_read_buf(8, 999, 4096, 1, BLK_AGENT_OK);               /* a tag out of range */
    hostile_read_buf(8, 0, 2048, 1, BLK_AGENT_OK);                 /* not the READ's length */
    hostile_read_buf(8, 0, 4096, 1, BLK_AGENT_EIO);                /* an error is a plain READ answer */
    hostile_read_buf(8, 0, 4096, 1, 7);
}

TEST(blk_relay_mapped_read_longer_than_the_buffer_breaks_the_agent)
{
    struct rig *g = rig_mapped();
    const uint64_t one[1] = { GUEST_GPA };
    struct blkq_done d;

    send_map(g, 0, one, 1, 4096);
    read_out(g, 16);                                    /* 8192 bytes, the buffer has 4096 */
    send_read_buf(g, 0, 8192, 0, BLK_AGENT_OK);
    CHECK(g->r->agent_broken);
    CHECK(blkq_client_poll(&g->c, &d));
    CHECK_EQ(d.status, BLKQ_RESP_ERR_IO);
    rig_free(g);
}

TEST(blk_relay_a_restart_drops_the_agents_maps)
{
    struct rig *g = rig_mapped();
    const uint64_t pages[2] = { GUEST_GPA, GUEST_GPA + BLK_AGENT_PAGE };
    const uint8_t *p;
    size_t out;

    send_map(g, 1, pages, 2, 4096);
    blk_relay_agent_closed(g->r);
    blk_relay_agent_opened(g->r);
    p = blk_relay_output(g->r, &out);                   /* the new stream's HELLO offers them again */
    CHECK(out >= 32);
    CHECK_EQ(le32(p + offsetof(struct blk_agent_req, flags)), BLK_AGENT_HELLO_BUF);
    blk_relay_consume(g->r, out);
    read_out(g, 8);
    send_read_buf(g, 0, 4096, 1, BLK_AGENT_OK);         /* the old agent's buffer */
    CHECK(g->r->agent_broken);
    rig_free(g);
}
