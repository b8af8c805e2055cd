/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz a driver VM's block relay (src/blk/blk_relay.c) from a hostile agent: the agent is the guest
 * of the driver VM and sends whatever it likes back over the stream, while two honest VMMs
 * (blkq_client) use the relay: client 0 read-write, client 1 read-only. Each client's queue and data
 * regions are separate heap blocks of the exact size (ASan reports any access outside one), and a
 * detached client's data region is poisoned until it is attached again.
 *
 * Invariants checked after every operation:
 *   - every frame the relay sends the agent is well formed: a HELLO per client first, then requests
 *     with the magic, a known op, a tag below BLK_RELAY_MAX_TAGS that is not already out, a client
 *     that exists, [offset, offset + len) inside that client's partition, nothing but READ and FLUSH
 *     from the read-only client, and exactly `len` bytes of data after a WRITE;
 *   - the clients never see a bad answer (an id not outstanding, a second answer): their
 *     bad_response counters stay 0 and neither link breaks;
 *   - the relay's count of busy tags is the number of busy tags, at most BLK_RELAY_MAX_TAGS;
 *   - once the agent is cut off, or has been away too long, every request a client has out is
 *     answered (with an error) after one pump, so nothing hangs;
 *   - a READ answered OK from a well-formed frame carries the agent's bytes;
 *   - agent restarts: each new stream starts with the HELLOs again; the requests the old agent held
 *     are sent again unchanged (op, client, offset, length) on the new stream after one pump, unless
 *     they were failed (the agent away too long) or their client left; nothing is kept back once the
 *     stream is up again.
 *
 * Input: operations, each an opcode byte and operands:
 *   0 client 0 submits {code, block, count}   1 client 1 submits a READ
 *   2 pump and read what the relay sends      3 the agent sends raw bytes (length, bytes, split)
 *   4 the agent answers an outstanding tag with a well-formed frame, maybe one field changed
 *   5 detach client 0 (its data region poisoned)  6 attach client 0 again
 *   7 the agent's end closes   8 an agent opens the port   9 the agent has been away too long
 *   10 the agent maps a buffer (its number, page addresses: some in the guest's RAM, some not)
 *   11 the agent answers an outstanding tag from a buffer (READ_BUF), maybe one field changed
 * The relay offers mapped buffers over a guest RAM of GUEST_PAGES pages, a heap block of the exact
 * size (ASan reports a read past it).
 */
#include <svmm/blk_relay.h>
#include <svmm/le.h>
#include "fuzz.h"

#define DEPTH 8u
#define SLOT 4096u
#define SECTORS 64u
#define PART ((uint64_t)SECTORS * 512)
#define NCLIENTS 2u
#define MAX_OPS 256

static struct blk_relay relay;
static void *queues[NCLIENTS];
static uint8_t *data[NCLIENTS];
static struct blkq_client cl[NCLIENTS];
static bool attached[NCLIENTS];

/* What the agent was sent and has not answered, by tag (the harness's own model). */
static struct {
    bool out;
    uint32_t op, client, len;
    uint64_t offset;
} sent[BLK_RELAY_MAX_TAGS];
static bool hello_seen[NCLIENTS];
/* What the old agent held when the stream closed, by tag: it must come again unchanged. */
static struct {
    bool held;
    uint32_t op, client, len;
    uint64_t offset;
} kept[BLK_RELAY_MAX_TAGS];
/* Each client's requests out: slot -> the fill byte an OK READ must bring (-1 for none expected). */
static bool pending[NCLIENTS][DEPTH];
static int expect[NCLIENTS][DEPTH];

static uint8_t stream[BLK_RELAY_OUT_BYTES];

#define GUEST_GPA 0x80000000ull
#define GUEST_PAGES 4u
static uint8_t *guest;

static const uint8_t *guest_page(void *ctx, uint64_t gpa)
{
    (void)ctx;
    if (gpa < GUEST_GPA || gpa - GUEST_GPA >= (uint64_t)GUEST_PAGES * BLK_AGENT_PAGE)
        return NULL;
    return guest + (gpa - GUEST_GPA); /* page-aligned (the relay checked): a whole page inside guest[] */
}

/* One request frame the relay sent (h: its header; payload follows in `stream`). */
static void check_request(const uint8_t *h)
{
    uint32_t op = le32(h + offsetof(struct blk_agent_req, op)), len = le32(h + offsetof(struct blk_agent_req, len));
    uint32_t tag = le32(h + offsetof(struct blk_agent_req, tag)), c = le32(h + offsetof(struct blk_agent_req, client));
    uint64_t off = le64(h + offsetof(struct blk_agent_req, offset));

    FUZZ_CHECK(le32(h) == BLK_AGENT_MAGIC && op < BLK_AGENT_HELLO);
    FUZZ_CHECK(c < NCLIENTS && hello_seen[c]);
    FUZZ_CHECK(tag < BLK_RELAY_MAX_TAGS && !sent[tag].out);
    FUZZ_CHECK(le32(h + offsetof(struct blk_agent_req, flags)) == 0);
    if (op == BLK_AGENT_FLUSH)
        FUZZ_CHECK(off == 0 && len == 0);
    else
        FUZZ_CHECK(len > 0 && len % 512 == 0 && off % 512 == 0 && off <= PART && len <= PART - off);
    if (c == 1)
        FUZZ_CHECK(op == BLK_AGENT_READ || op == BLK_AGENT_FLUSH);
    /* tag < BLK_RELAY_MAX_TAGS (checked above): inside sent[] and kept[]. */
    if (kept[tag].held)
        FUZZ_CHECK(kept[tag].op == op && kept[tag].client == c && kept[tag].len == len && kept[tag].offset == off);
    kept[tag].held = false;
    sent[tag].out = true;
    sent[tag].op = op, sent[tag].client = c, sent[tag].len = len, sent[tag].offset = off;
}

/* Take everything the relay queued and check it frame by frame. */
static void drain(void)
{
    size_t n = 0, len, at = 0;
    const uint8_t *p;

    while ((p = blk_relay_output(&relay, &len)) != NULL && len > 0) {
        FUZZ_CHECK(len <= sizeof(stream) - n);
        memcpy(stream + n, p, len);
        n += len;
        blk_relay_consume(&relay, len);
    }
    while (at < n) {
        const uint8_t *h = stream + at;
        uint32_t op, len32;

        FUZZ_CHECK(n - at >= sizeof(struct blk_agent_req)); /* frames are queued whole */
        op = le32(h + offsetof(struct blk_agent_req, op));
        len32 = le32(h + offsetof(struct blk_agent_req, len));
        at += sizeof(struct blk_agent_req);
        if (op == BLK_AGENT_HELLO) {
            uint32_t c = le32(h + offsetof(struct blk_agent_req, client));
            FUZZ_CHECK(c < NCLIENTS && !hello_seen[c] && le64(h + offsetof(struct blk_agent_req, offset)) == PART);
            FUZZ_CHECK(len32 >= 1 && len32 <= BLK_SERVER_NAME_MAX && n - at >= len32);
            FUZZ_CHECK(le32(h + offsetof(struct blk_agent_req, flags)) ==
                       ((c == 1 ? BLK_AGENT_HELLO_RO : 0) | BLK_AGENT_HELLO_BUF));
            hello_seen[c] = true;
            at += len32;
            continue;
        }
        check_request(h);
        if (op == BLK_AGENT_WRITE) {
            FUZZ_CHECK(n - at >= len32);
            at += len32;
        }
    }
    /* A cut-off agent gets nothing more; an absent one nothing until it opens the port. */
    FUZZ_CHECK((hello_seen[0] && hello_seen[1]) || relay.agent_broken || relay.agent_away);
}

/* The clients' answers: never a bad one; an OK READ from a well-formed answer brings its fill byte. */
static void collect(void)
{
    for (unsigned c = 0; c < NCLIENTS; c++) {
        struct blkq_done d;

        if (!attached[c])
            continue;
        while (blkq_client_poll(&cl[c], &d)) {
            FUZZ_CHECK(d.slot < DEPTH && pending[c][d.slot]);
            if (d.status == BLKQ_RESP_OK && expect[c][d.slot] >= 0)
                FUZZ_CHECK(blkq_client_slot_data(&cl[c], d.slot)[0] == (uint8_t)expect[c][d.slot]);
            pending[c][d.slot] = false;
        }
        FUZZ_CHECK(cl[c].stats.bad_response == 0 && !cl[c].broken);
    }
}

static void check_tags(void)
{
    unsigned busy = 0;

    for (unsigned t = 0; t < BLK_RELAY_MAX_TAGS; t++)
        busy += relay.tags[t].busy;
    FUZZ_CHECK(busy == relay.ntags_busy && busy <= BLK_RELAY_MAX_TAGS);
    busy = 0;
    for (unsigned t = 0; t < BLK_RELAY_MAX_TAGS; t++) {
        busy += relay.tags[t].busy && !relay.tags[t].sent;
        if (!relay.tags[t].busy)
            sent[t].out = kept[t].held = false; /* answered (or failed when the agent was cut off or lost) */
    }
    FUZZ_CHECK(busy == relay.nheld);
}

static void pump(void)
{
    unsigned guard = 0;

    while (blk_relay_pump(&relay) && ++guard < 8)
        ;
    drain();
    blk_relay_take_notify(&relay);
    collect();
    /* Nothing waits on a cut-off agent that is still there, nor on one away too long. */
    if ((relay.agent_broken && !relay.agent_away) || relay.agent_lost)
        for (unsigned c = 0; c < NCLIENTS; c++)
            for (unsigned s = 0; attached[c] && s < DEPTH; s++)
                FUZZ_CHECK(!pending[c][s]);
    /* A stream that is up again carries every kept request (64 frames of one slot fit the FIFO). */
    if (!relay.agent_away) {
        FUZZ_CHECK(relay.nheld == 0);
        for (unsigned t = 0; t < BLK_RELAY_MAX_TAGS; t++)
            FUZZ_CHECK(!kept[t].held || !relay.tags[t].busy);
    }
}

/* The agent's end closed: what it was sent is gone with it, and what it held must come again. */
static void agent_closed(void)
{
    bool was_away = relay.agent_away;

    blk_relay_agent_closed(&relay);
    if (was_away)
        return;
    for (unsigned t = 0; t < BLK_RELAY_MAX_TAGS; t++) {
        if (sent[t].out && relay.tags[t].busy)
            kept[t].held = true, kept[t].op = sent[t].op, kept[t].client = sent[t].client,
            kept[t].len = sent[t].len, kept[t].offset = sent[t].offset;
        sent[t].out = false;
    }
    FUZZ_CHECK(relay.out_len == 0 && relay.in_got == 0 && !relay.in_data);
}

/* An agent opened the port: a new stream, which must start with the HELLOs. */
static void agent_opened(void)
{
    if (relay.agent_away)
        memset(hello_seen, 0, sizeof(hello_seen));
    blk_relay_agent_opened(&relay);
}

static void submit(unsigned c, enum blkq_code code, uint32_t a, uint32_t b)
{
    int slot = blkq_client_free_slot(&cl[c]);
    uint64_t block = a % SECTORS;
    uint16_t count = (uint16_t)(1 + b % (SLOT / 512 < SECTORS - block ? SLOT / 512 : SECTORS - block));

    if (slot < 0)
        return;
    if (code == BLKQ_REQ_FLUSH || code == BLKQ_REQ_BARRIER)
        block = 0, count = 0;
    memset(blkq_client_slot_data(&cl[c], (uint32_t)slot), 0x11, SLOT);
    pending[c][slot] = true;
    expect[c][slot] = -1;
    FUZZ_CHECK(blkq_client_submit(&cl[c], (uint32_t)slot, code, block, count) == 0);
}

/* The client's slot whose request went out as tag t (its data pointer tells), or -1. */
static int slot_of(unsigned t)
{
    const struct blk_relay_tag *rt = &relay.tags[t];
    unsigned c = rt->client;

    if (rt->data == NULL || c >= NCLIENTS || !attached[c])
        return -1;
    return (int)((size_t)(rt->data - data[c]) / SLOT);
}

/* A well-formed answer to an outstanding tag, one field maybe changed by the input. */
static void answer(struct fin *in)
{
    static uint8_t frame[sizeof(struct blk_agent_resp) + BLK_AGENT_MAX_PAD + SLOT];
    uint8_t pick = fin_u8(in), mutate = fin_u8(in), fill = fin_u8(in);
    unsigned t = pick % BLK_RELAY_MAX_TAGS, k;
    uint32_t status, len, pad;
    size_t n;
    int slot;

    for (k = 0; k < BLK_RELAY_MAX_TAGS && !sent[(t + k) % BLK_RELAY_MAX_TAGS].out; k++)
        ;
    if (k == BLK_RELAY_MAX_TAGS)
        return;
    t = (t + k) % BLK_RELAY_MAX_TAGS;
    status = mutate & 1 ? BLK_AGENT_EIO : BLK_AGENT_OK;
    len = status == BLK_AGENT_OK && sent[t].op == BLK_AGENT_READ ? sent[t].len : 0;
    memset(frame, 0, sizeof(struct blk_agent_resp));
    le_put(frame + offsetof(struct blk_agent_resp, magic), BLK_AGENT_MAGIC, 4);
    le_put(frame + offsetof(struct blk_agent_resp, op), sent[t].op, 4);
    le_put(frame + offsetof(struct blk_agent_resp, status), status, 4);
    le_put(frame + offsetof(struct blk_agent_resp, len), len, 4);
    le_put(frame + offsetof(struct blk_agent_resp, tag), t, 4);
    /* Sometimes padding before the data (the spliced answers' way), bytes the client must not see. */
    pad = len > 0 && (mutate & 0x40) ? fin_u32(in) % (BLK_AGENT_MAX_PAD + 1) : 0;
    le_put(frame + offsetof(struct blk_agent_resp, pad), pad, 4);
    if ((mutate >> 1) % 4 == 1) /* one field changed: the relay must refuse the frame */
        le_put(frame + 4 * ((mutate >> 3) % 6), fin_u32(in), 4);
    /* pad <= BLK_AGENT_MAX_PAD, len <= SLOT (a READ's length is at most one slot): inside frame[]. */
    memset(frame + sizeof(struct blk_agent_resp), (uint8_t)~fill, pad);
    memset(frame + sizeof(struct blk_agent_resp) + pad, fill, len);
    slot = slot_of(t);
    /* Only a frame that starts where the relay expects one is known to be read as sent. */
    if (slot >= 0 && (mutate >> 1) % 4 != 1 && sent[t].op == BLK_AGENT_READ && status == BLK_AGENT_OK &&
        relay.in_got == 0 && !relay.in_data)
        expect[relay.tags[t].client][slot] = fill;
    n = sizeof(struct blk_agent_resp) + pad + len;
    for (size_t at = 0, piece = 1 + fin_u8(in) % 64; at < n; at += piece)
        blk_relay_input(&relay, frame + at, n - at < piece ? n - at : piece);
}

/* A MAP frame: a buffer number (sometimes out of range), up to 4 addresses near the guest's RAM. */
static void map_buffer(struct fin *in)
{
    uint8_t f[sizeof(struct blk_agent_resp) + 4 * 8];
    uint32_t buf = fin_u8(in) % (BLK_AGENT_MAX_BUFS + 2), n = 1 + fin_u8(in) % 4;

    memset(f, 0, sizeof(struct blk_agent_resp));
    le_put(f + offsetof(struct blk_agent_resp, magic), BLK_AGENT_MAGIC, 4);
    le_put(f + offsetof(struct blk_agent_resp, op), BLK_AGENT_MAP, 4);
    le_put(f + offsetof(struct blk_agent_resp, len), 8 * n, 4);
    le_put(f + offsetof(struct blk_agent_resp, tag), buf, 4);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t how = fin_u8(in);
        /* Mostly a page of the guest's RAM (GUEST_PAGES + 1 options: one past it), else anything. */
        uint64_t gpa = how & 0x80 ? fin_u64(in) : GUEST_GPA + (uint64_t)(how % (GUEST_PAGES + 1)) * BLK_AGENT_PAGE;
        le_put(f + sizeof(struct blk_agent_resp) + 8 * i, gpa, 8); /* i < n <= 4: inside f[] */
    }
    blk_relay_input(&relay, f, sizeof(struct blk_agent_resp) + 8 * n);
}

/* A READ_BUF answer to an outstanding tag from a buffer, one field maybe changed by the input. */
static void answer_from_buffer(struct fin *in)
{
    uint8_t h[sizeof(struct blk_agent_resp)];
    uint8_t pick = fin_u8(in), mutate = fin_u8(in);
    unsigned t = pick % BLK_RELAY_MAX_TAGS, k;

    for (k = 0; k < BLK_RELAY_MAX_TAGS && !sent[(t + k) % BLK_RELAY_MAX_TAGS].out; k++)
        ;
    if (k == BLK_RELAY_MAX_TAGS)
        return;
    t = (t + k) % BLK_RELAY_MAX_TAGS;
    memset(h, 0, sizeof(h));
    le_put(h + offsetof(struct blk_agent_resp, magic), BLK_AGENT_MAGIC, 4);
    le_put(h + offsetof(struct blk_agent_resp, op), BLK_AGENT_READ_BUF, 4);
    le_put(h + offsetof(struct blk_agent_resp, len), sent[t].len, 4);
    le_put(h + offsetof(struct blk_agent_resp, tag), t, 4);
    le_put(h + offsetof(struct blk_agent_resp, pad), fin_u8(in) % (BLK_AGENT_MAX_BUFS + 2), 4);
    if (mutate % 4 == 1) /* one field changed */
        le_put(h + 4 * ((mutate >> 2) % 6), fin_u32(in), 4);
    blk_relay_input(&relay, h, sizeof(h));
}

static void attach(unsigned c)
{
    ASAN_UNPOISON_MEMORY_REGION(data[c], (size_t)DEPTH * SLOT);
    memset(queues[c], 0, blkq_queue_bytes(DEPTH));
    FUZZ_CHECK(blk_relay_attach(&relay, c, queues[c], data[c], DEPTH, SLOT) == 0);
    FUZZ_CHECK(blkq_client_init(&cl[c], queues[c], data[c], DEPTH, SLOT) == 0);
    memset(pending[c], 0, sizeof(pending[c]));
    attached[c] = true;
}

static void detach(unsigned c)
{
    blk_relay_detach(&relay, c);
    attached[c] = false;
    memset(pending[c], 0, sizeof(pending[c]));
    ASAN_POISON_MEMORY_REGION(data[c], (size_t)DEPTH * SLOT); /* unmapped, as far as the relay knows */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    for (unsigned c = 0; c < NCLIENTS; c++) {
        queues[c] = malloc(blkq_queue_bytes(DEPTH));
        data[c] = malloc((size_t)DEPTH * SLOT);
    }
    guest = malloc((size_t)GUEST_PAGES * BLK_AGENT_PAGE);
    memset(guest, 0x5a, (size_t)GUEST_PAGES * BLK_AGENT_PAGE);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *in_data, size_t size)
{
    static const enum blkq_code codes[] = { BLKQ_REQ_READ, BLKQ_REQ_WRITE, BLKQ_REQ_FLUSH, BLKQ_REQ_BARRIER,
                                            BLKQ_REQ_DISCARD };
    struct fin in = fin_make(in_data, size);
    char err[128];

    blk_relay_init(&relay);
    blk_relay_set_guest(&relay, guest_page, NULL);
    memset(sent, 0, sizeof(sent));
    memset(kept, 0, sizeof(kept));
    memset(hello_seen, 0, sizeof(hello_seen));
    if (blk_relay_add_client(&relay, "rw", PART, false, err, sizeof(err)) != 0 ||
        blk_relay_add_client(&relay, "ro", PART, true, err, sizeof(err)) != 1)
        abort();
    attach(0);
    attach(1);
    for (unsigned op = 0; op < MAX_OPS && !fin_empty(&in); op++) {
        uint8_t code = fin_u8(&in) % 12;
        uint8_t raw[256];
        size_t n;

        switch (code) {
        case 0:
            if (attached[0])
                submit(0, codes[fin_u8(&in) % 5], fin_u16(&in), fin_u16(&in));
            break;
        case 1:
            submit(1, BLKQ_REQ_READ, fin_u16(&in), fin_u16(&in));
            break;
        case 2:
            pump();
            break;
        case 3:
            n = fin_bytes(&in, raw, 1 + fin_u8(&in) % sizeof(raw));
            blk_relay_input(&relay, raw, n);
            break;
        case 4:
            answer(&in);
            break;
        case 5:
            if (attached[0])
                detach(0);
            break;
        case 6:
            if (!attached[0])
                attach(0);
            break;
        case 7:
            agent_closed();
            break;
        case 8:
            agent_opened();
            break;
        case 9:
            blk_relay_agent_lost(&relay);
            break;
        case 10:
            map_buffer(&in);
            break;
        default:
            answer_from_buffer(&in);
            break;
        }
        check_tags();
        blk_relay_take_notify(&relay);
        collect();
    }
    pump();
    if (!attached[0])
        attach(0); /* leave the region usable for the next input */
    return 0;
}
