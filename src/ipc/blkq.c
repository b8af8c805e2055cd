/* SPDX-License-Identifier: BSD-2-Clause */
/* blkq: sDDF-layout block request/response rings, validated on every peer-written value (blkq.h). */
#include <string.h>
#include <svmm/blkq.h>

_Static_assert(sizeof(struct blkq_req) == 32, "sDDF's blk_req_t is 32 bytes");
_Static_assert(sizeof(struct blkq_resp) == 12, "sDDF's blk_resp_t is 12 bytes");
_Static_assert(offsetof(struct blkq_storage_info, capacity) == 80, "sDDF's blk_storage_info_t layout");
_Static_assert(sizeof(struct blkq_ring_hdr) == 16, "ring entries start 16 bytes in, as sDDF's requests do");
_Static_assert(BLKQ_MAX_DEPTH <= 256, "the slot is the low 8 bits of an id");
_Static_assert(BLKQ_MAX_SLOT_SIZE / BLKQ_SECTOR <= BLKQ_MAX_COUNT, "a full slot's count fits 16 bits");

#define ID_SLOT_BITS 8u
#define ID_SEQ_MASK 0xffffffu

/* Shared indices: the peer writes them concurrently. Acquire on a tail we consume pairs with the
 * producer's release, so entries are visible before the index that covers them. */
static uint32_t load_acquire(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_release(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

bool blkq_geometry_ok(uint32_t depth, uint32_t slot_size)
{
    return depth >= 2 && depth <= BLKQ_MAX_DEPTH && (depth & (depth - 1)) == 0 && slot_size >= 4096 &&
           slot_size <= BLKQ_MAX_SLOT_SIZE && slot_size % 4096 == 0;
}

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static size_t req_ring_bytes(uint32_t depth)
{
    return align_up(sizeof(struct blkq_req_ring) + (size_t)depth * sizeof(struct blkq_req), BLKQ_ALIGN);
}

static size_t resp_ring_bytes(uint32_t depth)
{
    return align_up(sizeof(struct blkq_resp_ring) + (size_t)depth * sizeof(struct blkq_resp), BLKQ_ALIGN);
}

size_t blkq_queue_bytes(uint32_t depth)
{
    return align_up(BLKQ_INFO_BYTES + req_ring_bytes(depth) + resp_ring_bytes(depth), 4096);
}

void blkq_rings(void *queue_region, uint32_t depth, struct blkq_rings *out)
{
    uint8_t *base = queue_region;

    out->info = (struct blkq_storage_info *)(void *)base;
    out->req = (struct blkq_req_ring *)(void *)(base + BLKQ_INFO_BYTES);
    out->resp = (struct blkq_resp_ring *)(void *)(base + BLKQ_INFO_BYTES + req_ring_bytes(depth));
}

/* ---- server ---- */

int blkq_server_init(struct blkq_server *s, void *queue_region, void *data, uint32_t depth, uint32_t slot_size,
                     uint64_t capacity_sectors, bool read_only, const char *serial)
{
    struct blkq_storage_info *info;
    size_t n = strlen(serial);

    if (!blkq_geometry_ok(depth, slot_size) || capacity_sectors > UINT64_MAX / BLKQ_SECTOR)
        return -1;
    memset(s, 0, sizeof(*s));
    blkq_rings(queue_region, depth, &s->r);
    s->data = data;
    s->data_bytes = (uint64_t)depth * slot_size;
    s->depth = depth;
    s->capacity = capacity_sectors;
    s->read_only = read_only;
    store_release(&s->r.req->hdr.head, 0);
    store_release(&s->r.resp->hdr.tail, 0);
    __atomic_store_n(&s->r.req->hdr.consumer_signalled, 0, __ATOMIC_RELAXED); /* tell us about requests */
    info = s->r.info;
    memset(info, 0, sizeof(*info));
    if (n > BLKQ_SERIAL_MAX)
        n = BLKQ_SERIAL_MAX;
    memcpy(info->serial_number, serial, n); /* n <= 63: the array's NUL stays */
    info->read_only = read_only;
    info->sector_size = BLKQ_SECTOR;
    info->block_size = 4096 / BLKQ_SECTOR;
    info->queue_depth = (uint16_t)depth;
    info->capacity = capacity_sectors;
    __atomic_store_n(&info->ready, 1, __ATOMIC_RELEASE);
    return 0;
}

/* Is [block, block + count) inside the partition? Checked without overflow. */
static bool range_ok(const struct blkq_server *s, uint64_t block, uint64_t count)
{
    return block <= s->capacity && count <= s->capacity - block;
}

/*
 * Validate one request (a private copy) into *io. Returns BLKQ_RESP_OK or the refusal. Every
 * field the client wrote is checked here and nowhere else.
 */
static enum blkq_status validate(const struct blkq_server *s, const struct blkq_req *q, struct blkq_io *io)
{
    uint64_t bytes = (uint64_t)q->count * BLKQ_SECTOR;

    memset(io, 0, sizeof(*io));
    io->id = q->id;
    switch (q->code) {
    case BLKQ_REQ_FLUSH:
    case BLKQ_REQ_BARRIER:
        io->code = (enum blkq_code)q->code; /* the other fields mean nothing here and are ignored */
        return BLKQ_RESP_OK;
    case BLKQ_REQ_READ:
    case BLKQ_REQ_WRITE:
        /* The data range: inside the client's region, sector aligned, without wrapping. */
        if (q->io_or_offset % BLKQ_SECTOR != 0 || q->io_or_offset > s->data_bytes ||
            bytes > s->data_bytes - q->io_or_offset)
            return BLKQ_RESP_ERR_INVALID_PARAM;
        io->data = s->data + q->io_or_offset;
        break;
    case BLKQ_REQ_DISCARD:
        break;
    default:
        return BLKQ_RESP_ERR_INVALID_PARAM;
    }
    if (q->count == 0 || !range_ok(s, q->block_number, q->count))
        return BLKQ_RESP_ERR_INVALID_PARAM;
    if (s->read_only && q->code != BLKQ_REQ_READ)
        return BLKQ_RESP_ERR_INVALID_PARAM;
    io->code = (enum blkq_code)q->code;
    io->offset = q->block_number * BLKQ_SECTOR; /* block_number < capacity <= 2^64 / 512 (server config) */
    io->len = bytes;
    return BLKQ_RESP_OK;
}

static struct blkq_req read_req(const struct blkq_req_ring *ring, uint32_t slot)
{
    const volatile struct blkq_req *d = &ring->desc[slot];
    struct blkq_req c = { .code = d->code, .io_or_offset = d->io_or_offset, .block_number = d->block_number,
                          .count = d->count, .id = d->id };
    return c;
}

bool blkq_server_next(struct blkq_server *s, struct blkq_io *io)
{
    for (uint32_t looked = 0; looked < s->depth; looked++) {
        uint32_t n;
        struct blkq_req q;
        enum blkq_status st;

        if (s->broken || s->inflight >= s->depth)
            return false;
        n = load_acquire(&s->r.req->hdr.tail) - s->req_head;
        if (n == 0)
            return false;
        if (n > s->depth) {
            /* More requests than the ring holds: not a state an honest client can produce. */
            s->stats.bad_index++;
            s->broken = true;
            return false;
        }
        q = read_req(s->r.req, s->req_head & (s->depth - 1));
        store_release(&s->r.req->hdr.head, ++s->req_head);
        s->inflight++;
        s->stats.requests++;
        st = validate(s, &q, io);
        if (st == BLKQ_RESP_OK)
            return true;
        s->stats.bad_request++;
        blkq_server_respond(s, q.id, st, 0);
    }
    return false;
}

void blkq_server_respond(struct blkq_server *s, uint32_t id, enum blkq_status status, uint16_t success_count)
{
    volatile struct blkq_resp *d;

    if (s->inflight == 0)
        return; /* caller bug: more answers than requests would overrun the client's ring */
    s->inflight--;
    /* No check against the client's head: at most `depth` answers are outstanding for an honest
     * client, and one that stops consuming only overwrites its own unread answers. */
    d = &s->r.resp->desc[s->resp_tail & (s->depth - 1)];
    d->status = (uint32_t)status;
    d->success_count = success_count;
    d->reserved = 0;
    d->id = id;
    store_release(&s->r.resp->hdr.tail, ++s->resp_tail);
    s->stats.responses++;
}

/* ---- client ---- */

bool blkq_client_info_ready(const void *queue_region)
{
    const struct blkq_storage_info *info = queue_region;
    return __atomic_load_n(&info->ready, __ATOMIC_ACQUIRE) != 0;
}

int blkq_client_init(struct blkq_client *c, void *queue_region, void *data, uint32_t depth, uint32_t slot_size)
{
    const volatile struct blkq_storage_info *info;
    uint64_t capacity;

    if (!blkq_geometry_ok(depth, slot_size) || !blkq_client_info_ready(queue_region))
        return -1;
    memset(c, 0, sizeof(*c));
    blkq_rings(queue_region, depth, &c->r);
    info = c->r.info;
    /* One read of each field; the private copies are all that is used from here on. */
    capacity = info->capacity;
    if (info->sector_size != BLKQ_SECTOR || capacity == 0 || capacity > UINT64_MAX / BLKQ_SECTOR)
        return -1;
    for (unsigned i = 0; i < BLKQ_SERIAL_MAX; i++)
        c->serial[i] = info->serial_number[i]; /* i < 63: serial[63] stays NUL */
    c->capacity = capacity;
    c->read_only = info->read_only != 0;
    c->data = data;
    c->depth = depth;
    c->slot_size = slot_size;
    store_release(&c->r.req->hdr.tail, 0);
    store_release(&c->r.resp->hdr.head, 0);
    __atomic_store_n(&c->r.resp->hdr.consumer_signalled, 0, __ATOMIC_RELAXED); /* tell us about answers */
    return 0;
}

int blkq_client_free_slot(const struct blkq_client *c)
{
    if (c->nbusy >= c->depth)
        return -1;
    for (uint32_t i = 0; i < c->depth; i++)
        if (!c->slot[i].busy)
            return (int)i;
    return -1;
}

uint8_t *blkq_client_slot_data(const struct blkq_client *c, uint32_t slot)
{
    return c->data + (size_t)(slot % c->depth) * c->slot_size;
}

int blkq_client_submit(struct blkq_client *c, uint32_t slot, enum blkq_code code, uint64_t block, uint16_t count)
{
    struct blkq_client_slot *sl;
    volatile struct blkq_req *d;
    bool has_data = code == BLKQ_REQ_READ || code == BLKQ_REQ_WRITE;

    if (slot >= c->depth || c->slot[slot].busy)
        return -1;
    sl = &c->slot[slot];
    sl->busy = true;
    sl->code = (uint8_t)code;
    sl->count = count;
    sl->seq = (sl->seq + 1) & ID_SEQ_MASK;
    c->nbusy++;
    /* nbusy <= depth == ring size: our entry never overwrites one the server has not taken yet. */
    d = &c->r.req->desc[c->req_tail & (c->depth - 1)];
    d->code = (uint32_t)code;
    d->reserved0 = 0;
    d->io_or_offset = has_data ? (uint64_t)slot * c->slot_size : 0;
    d->block_number = block;
    d->count = count;
    d->reserved1 = 0;
    d->id = sl->seq << ID_SLOT_BITS | slot;
    store_release(&c->r.req->hdr.tail, ++c->req_tail);
    c->stats.requests++;
    return 0;
}

/* The slot an answer completes, or -1 unless it names a slot we have out with that sequence number. */
static int check_resp(const struct blkq_client *c, const struct blkq_resp *r)
{
    uint32_t slot = r->id & ((1u << ID_SLOT_BITS) - 1);
    const struct blkq_client_slot *sl = &c->slot[slot]; /* slot < 256 == BLKQ_MAX_DEPTH: inside slot[] */

    if (slot >= c->depth || !sl->busy || r->id >> ID_SLOT_BITS != sl->seq)
        return -1;
    if (r->status >= BLKQ_RESP_STATUSES || r->success_count > sl->count)
        return -1;
    return (int)slot;
}

bool blkq_client_poll(struct blkq_client *c, struct blkq_done *out)
{
    for (uint32_t looked = 0; looked < c->depth; looked++) {
        const volatile struct blkq_resp *d;
        struct blkq_resp r;
        uint32_t n;
        int slot;

        if (c->broken)
            return false;
        n = load_acquire(&c->r.resp->hdr.tail) - c->resp_head;
        if (n == 0)
            return false;
        if (n > c->depth) {
            c->stats.bad_index++;
            c->broken = true;
            return false;
        }
        d = &c->r.resp->desc[c->resp_head & (c->depth - 1)];
        r = (struct blkq_resp){ .status = d->status, .success_count = d->success_count, .id = d->id };
        store_release(&c->r.resp->hdr.head, ++c->resp_head);
        slot = check_resp(c, &r);
        if (slot < 0) {
            c->stats.bad_response++;
            continue;
        }
        out->slot = (uint32_t)slot;
        /* OK counts only if every requested block was done: a partial success is a failure here. */
        out->status = r.status == BLKQ_RESP_OK && r.success_count != c->slot[slot].count
                          ? BLKQ_RESP_ERR_IO
                          : (enum blkq_status)r.status;
        c->slot[slot].busy = false;
        c->nbusy--;
        c->stats.responses++;
        return true;
    }
    return false;
}

/* ---- notifications ---- */

bool blkq_must_notify(struct blkq_ring_hdr *h)
{
    /* The index store must be visible before we look at the flag, or both sides may sleep. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&h->consumer_signalled, __ATOMIC_RELAXED) != 0)
        return false;
    __atomic_store_n(&h->consumer_signalled, 1, __ATOMIC_RELAXED);
    return true;
}

bool blkq_ask_notify(struct blkq_ring_hdr *h, uint32_t head)
{
    __atomic_store_n(&h->consumer_signalled, 0, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return load_acquire(&h->tail) != head;
}
