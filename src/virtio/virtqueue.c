/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include <svmm/virtqueue.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "virtio rings are little-endian; add byte swaps");

#define DESC_SIZE 16u
#define AVAIL_F_NO_INTERRUPT 1u

/*
 * Guest memory is shared with running vCPUs: every load is a single atomic access, read once.
 * The proof takes these accessors at their contracts (WP has no model of the __atomic builtins).
 */
/*@ requires \valid_read(p + (0 .. 1)); assigns \nothing; */
static uint16_t ld16(const uint8_t *p) { return __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_RELAXED); }
/*@ requires \valid_read(p + (0 .. 3)); assigns \nothing; */
static uint32_t ld32(const uint8_t *p) { return __atomic_load_n((const uint32_t *)(const void *)p, __ATOMIC_RELAXED); }
/*@ requires \valid_read(p + (0 .. 7)); assigns \nothing; */
static uint64_t ld64(const uint8_t *p) { return __atomic_load_n((const uint64_t *)(const void *)p, __ATOMIC_RELAXED); }
/*@ requires \valid(p + (0 .. 1)); assigns p[0 .. 1]; */
static void st16(uint8_t *p, uint16_t v) { __atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELAXED); }
/*@ requires \valid(p + (0 .. 3)); assigns p[0 .. 3]; */
static void st32(uint8_t *p, uint32_t v) { __atomic_store_n((uint32_t *)(void *)p, v, __ATOMIC_RELAXED); }

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/*@ requires \valid_read(table + (16 * i .. 16 * i + 15)); assigns \nothing; */
static struct desc load_desc(const uint8_t *table, uint16_t i)
{
    const uint8_t *d = table + (uint32_t)i * DESC_SIZE;
    return (struct desc){ ld64(d), ld32(d + 8), ld16(d + 12), ld16(d + 14) };
}

/* Ring layout offsets (VirtIO 1.2, 2.7.6 and 2.7.8). */
/*@ requires \valid_read(q); assigns \nothing; ensures \result == q->avail + 2; */
static uint8_t *avail_idx_p(const struct virtq *q) { return q->avail + 2; }
/*@ requires \valid_read(q) && q->num > 0; assigns \nothing;
    ensures \result == q->avail + 4 + 2 * (i % q->num); */
static uint8_t *avail_ring_p(const struct virtq *q, uint16_t i) { return q->avail + 4 + 2u * (i % q->num); }
/*@ requires \valid_read(q); assigns \nothing; ensures \result == q->avail + 4 + 2 * q->num; */
static uint8_t *used_event_p(const struct virtq *q) { return q->avail + 4 + 2u * q->num; }
/*@ requires \valid_read(q); assigns \nothing; ensures \result == q->used + 2; */
static uint8_t *used_idx_p(const struct virtq *q) { return q->used + 2; }
/*@ requires \valid_read(q) && q->num > 0; assigns \nothing;
    ensures \result == q->used + 4 + 8 * (i % q->num); */
static uint8_t *used_elem_p(const struct virtq *q, uint16_t i) { return q->used + 4 + 8u * (i % q->num); }
/*@ requires \valid_read(q); assigns \nothing; ensures \result == q->used + 4 + 8 * q->num; */
static uint8_t *avail_event_p(const struct virtq *q) { return q->used + 4 + 8u * q->num; }

void virtq_reset(struct virtq *q)
{
    /*
     * Field by field rather than memset or a struct copy: WP models neither precisely enough to see
     * `ready` become false, which is what makes the reset keep the queue invariant (virtq_ok).
     */
    q->ready = false;
    q->num = 0;
    q->desc_gpa = q->avail_gpa = q->used_gpa = 0;
    q->mem = NULL;
    q->desc = q->avail = q->used = NULL;
    q->indirect_ok = q->event_idx = false;
    q->last_avail = q->used_idx = q->in_flight = 0;
    q->error = VIRTQ_OK;
}

/*@
  requires svmm_memmap_ok(mem);
  assigns \nothing;
  ensures \result == \null || (svmm_host_in_ram(mem, \result, len, wr) &&
      \valid_read(\result + (0 .. len - 1)) && (wr ==> \valid(\result + (0 .. len - 1))));
*/
static uint8_t *map_ring(const struct svmm_memmap *mem, uint64_t gpa, uint64_t len, uint64_t align, bool wr)
{
    if (gpa & (align - 1))
        return NULL;
    return svmm_gpa_to_host(mem, gpa, len, wr);
}

int virtq_enable(struct virtq *q, const struct svmm_memmap *mem, uint64_t features)
{
    uint16_t n = q->num;
    uint8_t *desc, *avail, *used;

    q->ready = false;
    if (n == 0 || n > VIRTQ_MAX_SIZE || (n & (n - 1)) != 0)
        return VIRTQ_E_RING;
    desc = map_ring(mem, q->desc_gpa, (uint64_t)DESC_SIZE * n, 16, false);
    avail = map_ring(mem, q->avail_gpa, 6 + 2ull * n, 2, false);
    used = map_ring(mem, q->used_gpa, 6 + 8ull * n, 4, true);
    /* The rings a queue uses are guest RAM (the used ring writable RAM), whatever the driver wrote. */
    /*@ assert desc != \null ==> svmm_host_in_ram(mem, desc, 16 * n, 0); */
    /*@ assert avail != \null ==> svmm_host_in_ram(mem, avail, 6 + 2 * n, 0); */
    /*@ assert used != \null ==> svmm_host_in_ram(mem, used, 6 + 8 * n, 1); */
    q->desc = desc;
    q->avail = avail;
    q->used = used;
    if (desc == NULL || avail == NULL || used == NULL)
        return VIRTQ_E_RING;
    q->mem = mem;
    q->indirect_ok = (features >> VIRTIO_F_INDIRECT_DESC) & 1;
    q->event_idx = (features >> VIRTIO_F_EVENT_IDX) & 1;
    /* The driver may enable a queue whose rings it already filled: start from its used index. */
    q->used_idx = ld16(used_idx_p(q));
    q->last_avail = q->used_idx;
    q->in_flight = 0;
    q->error = VIRTQ_OK;
    q->ready = true;
    return VIRTQ_OK;
}

/*@ requires \valid(q) && virtq_ok(q); assigns q->error; ensures \result == err && virtq_ok(q); */
static int fail(struct virtq *q, int err)
{
    if (q->error == VIRTQ_OK)
        q->error = err;
    return err;
}

/*@ requires \valid_read(q) && virtq_ok(q); assigns \nothing; */
bool virtq_has_avail(const struct virtq *q)
{
    return q->ready && q->error == VIRTQ_OK && ld16(avail_idx_p(q)) != q->last_avail;
}

/*
 * The chain walk: chain_add, walk_table, walk_indirect and walk_chain see guest RAM only through
 * `mem` and the descriptor table they are given, and write only *c.
 */

/* Append one buffer to the chain after checking direction order, size and RAM bounds. */
/*@
  requires svmm_memmap_ok(mem);
  requires \valid(c) && \valid_read(d) && \separated(c, mem, d);
  requires virtq_chain_ok(mem, c);
  assigns c->iov[0 .. VIRTQ_MAX_SIZE - 1], c->n_out, c->n_in, c->out_len, c->in_len;
  ensures svmm_memmap_ok(mem);
  ensures virtq_chain_ok(mem, c);
  ensures -12 <= \result <= 0;
*/
static int chain_add(const struct svmm_memmap *mem, struct virtq_chain *c, const struct desc *d)
{
    bool wr = d->flags & VIRTQ_DESC_F_WRITE;
    uint8_t *host;
    unsigned idx;

    if (!wr && c->n_in > 0)
        return VIRTQ_E_ORDER;
    if ((uint64_t)c->out_len + c->in_len + d->len > VIRTQ_MAX_CHAIN_BYTES)
        return VIRTQ_E_TOO_BIG;
    if (d->len == 0)
        return VIRTQ_OK; /* nothing to transfer; harmless */
    host = svmm_gpa_to_host(mem, d->addr, d->len, wr);
    if (host == NULL)
        return VIRTQ_E_ADDR;
    /* Each descriptor costs one unit of a budget of num <= VIRTQ_MAX_SIZE: the index stays in iov[]. */
    if (c->n_out + c->n_in >= VIRTQ_MAX_SIZE)
        return VIRTQ_E_LOOP;
    idx = c->n_out + c->n_in;
    c->iov[idx].host = host;
    c->iov[idx].len = d->len;
    /*@ assert virtq_iov_ok(mem, &c->iov[idx], wr ? 1 : 0); */
    /*@ assert \forall integer k; 0 <= k < c->n_out ==> virtq_iov_ok(mem, &c->iov[k], 0); */
    /*@ assert \forall integer k; c->n_out <= k < idx ==> virtq_iov_ok(mem, &c->iov[k], 1); */
    if (wr) {
        c->n_in++;
        c->in_len += d->len;
    } else {
        c->n_out++;
        c->out_len += d->len;
    }
    return VIRTQ_OK;
}

/*
 * Walk a descriptor table of `n` entries from index `i`. Each step consumes one unit of the
 * `budget` (the queue size), so no chain can exceed the queue size, whatever loops it has.
 */
/*@
  requires svmm_memmap_ok(mem);
  requires \valid(c) && \separated(c, mem);
  requires 0 < n && i < n && \valid_read(table + (0 .. 16 * n - 1));
  requires virtq_chain_ok(mem, c);
  assigns c->iov[0 .. VIRTQ_MAX_SIZE - 1], c->n_out, c->n_in, c->out_len, c->in_len;
  ensures svmm_memmap_ok(mem) && virtq_chain_ok(mem, c);
  ensures -12 <= \result <= 0;
*/
static int walk_table(const struct svmm_memmap *mem, struct virtq_chain *c, const uint8_t *table, uint16_t n,
                      uint16_t i, unsigned budget)
{
    /*@ loop invariant i < n && svmm_memmap_ok(mem) && virtq_chain_ok(mem, c);
        loop assigns i, budget, c->iov[0 .. VIRTQ_MAX_SIZE - 1], c->n_out, c->n_in, c->out_len, c->in_len;
        loop variant budget; */
    for (;;) {
        struct desc d = load_desc(table, i);
        int err;

        if (budget == 0)
            return VIRTQ_E_LOOP;
        budget--;
        if (d.flags & VIRTQ_DESC_F_INDIRECT)
            return VIRTQ_E_INDIRECT; /* the head case was handled by the caller */
        err = chain_add(mem, c, &d);
        if (err)
            return err;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return VIRTQ_OK;
        if (d.next >= n)
            return VIRTQ_E_NEXT;
        i = d.next;
    }
}

/* Switch to an indirect table named by head descriptor `d` (VirtIO 1.2, 2.7.5.3). */
/*@
  requires svmm_memmap_ok(mem);
  requires \valid(c) && \valid_read(d) && \separated(c, mem, d);
  requires virtq_chain_ok(mem, c);
  assigns c->iov[0 .. VIRTQ_MAX_SIZE - 1], c->n_out, c->n_in, c->out_len, c->in_len;
  ensures svmm_memmap_ok(mem) && virtq_chain_ok(mem, c);
  ensures -12 <= \result <= 0;
*/
static int walk_indirect(const struct svmm_memmap *mem, bool indirect_ok, struct virtq_chain *c,
                         const struct desc *d, unsigned budget)
{
    const uint8_t *table;
    uint32_t n;

    if (!indirect_ok || (d->flags & VIRTQ_DESC_F_NEXT))
        return VIRTQ_E_INDIRECT;
    if (d->len == 0 || d->len % DESC_SIZE != 0 || d->len / DESC_SIZE > VIRTQ_MAX_SIZE)
        return VIRTQ_E_INDIRECT_LEN;
    if (d->addr & (DESC_SIZE - 1))
        return VIRTQ_E_ADDR;
    table = svmm_gpa_to_host(mem, d->addr, d->len, false);
    if (table == NULL)
        return VIRTQ_E_ADDR;
    n = d->len / DESC_SIZE;
    return walk_table(mem, c, table, (uint16_t)n, 0, budget);
}

/*
 * Collect the chain whose head is `head` in a descriptor table of `num` entries into *c. A budget
 * of `num` descriptors bounds the walk; an indirect head only names its table and costs none.
 */
/*@
  requires svmm_memmap_ok(mem);
  requires \valid(c) && \separated(c, mem);
  requires 0 < num <= VIRTQ_MAX_SIZE && head < num && \valid_read(desc + (0 .. 16 * num - 1));
  assigns *c;
  ensures svmm_memmap_ok(mem);
  ensures -12 <= \result <= 0;
  ensures \result == 0 ==> c->head == head && virtq_chain_ok(mem, c);
*/
static int walk_chain(const struct svmm_memmap *mem, const uint8_t *desc, uint16_t num, bool indirect_ok,
                      uint16_t head, struct virtq_chain *c)
{
    struct desc d;

    c->head = head;
    c->n_out = c->n_in = 0;
    c->out_len = c->in_len = 0;
    d = load_desc(desc, head);
    /* The head only names the table, which may hold a whole queue's worth (as QEMU allows):
     * Linux's virtio-blk fills one with seg_max + 2 == num descriptors. */
    if (d.flags & VIRTQ_DESC_F_INDIRECT)
        return walk_indirect(mem, indirect_ok, c, &d, num);
    return walk_table(mem, c, desc, num, head, num);
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
    uint16_t pending, head; /* pending: buffers the driver published that we have not popped */
    int err;

    if (!q->ready)
        return VIRTQ_E_NOT_READY;
    if (q->error != VIRTQ_OK)
        return q->error;
    /*
     * Never more than `num` chains in flight, whatever the guest writes: it may publish new
     * buffers only for the slots the device does not hold (num - in_flight). A driver that keeps
     * refilling while the device pops without pushing (a frame spread over many receive buffers)
     * would otherwise let the device hold more chains than any per-queue array has room for.
     * in_flight <= num holds by induction: a pop needs 1 <= pending <= num - in_flight.
     */
    pending = (uint16_t)(ld16(avail_idx_p(q)) - q->last_avail);
    if (pending == 0)
        return 0;
    if (pending > q->num - q->in_flight) /* in int: 0 <= num - in_flight <= num */
        return fail(q, VIRTQ_E_AVAIL_IDX);
    /*@ assert q->in_flight < q->num; */
    /* Ring entries and descriptors written before avail->idx must be seen after it. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    head = ld16(avail_ring_p(q, q->last_avail));
    if (head >= q->num)
        return fail(q, VIRTQ_E_HEAD);
    err = walk_chain(q->mem, q->desc, q->num, q->indirect_ok, head, c);
    if (err)
        return fail(q, err);
    /* Every buffer handed to the device is inside one guest-RAM region of the table. */
    /*@ assert c->head == head && head < q->num && virtq_chain_ok(q->mem, c); */
    /* The walk wrote only *c: the queue's rings are as they were (the frame step of virtq_ok). */
    /*@ assert virtq_rings_ok(q); */
    q->last_avail++;
    q->in_flight++;
    return 1;
}

/*@ requires \valid(q) && virtq_ok(q);
    assigns q->last_avail, q->in_flight;
    ensures q->in_flight <= \old(q->in_flight);
    ensures virtq_ok(q); */
void virtq_unpop(struct virtq *q, uint16_t n)
{
    if (n > q->in_flight)
        n = q->in_flight;
    q->last_avail = (uint16_t)(q->last_avail - n);
    q->in_flight = (uint16_t)(q->in_flight - n);
}

/*@ requires \valid(q) && virtq_ok(q);
    requires q->ready ==> \separated(q->used + (0 .. 6 + 8 * q->num - 1), q, q->mem);
    assigns q->used_idx, q->in_flight, q->error, q->used[0 .. 6 + 8 * q->num - 1];
    ensures q->in_flight <= \old(q->in_flight);
    ensures virtq_ok(q); */
int virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
    uint8_t *elem;

    if (!q->ready)
        return VIRTQ_E_NOT_READY;
    if (head >= q->num || q->in_flight == 0)
        return fail(q, VIRTQ_E_USED);
    elem = used_elem_p(q, q->used_idx);
    st32(elem, head);
    st32(elem + 4, written);
    q->used_idx++;
    q->in_flight--;
    /* The element must be visible before the index that publishes it. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    st16(used_idx_p(q), q->used_idx);
    return VIRTQ_OK;
}

/*@ requires \valid_read(q) && virtq_ok(q); assigns \nothing; */
bool virtq_should_interrupt(struct virtq *q, uint16_t old_used)
{
    uint16_t new_used = q->used_idx, event;

    if (!q->ready)
        return false;
    /* Order our used->idx store before reading the driver's suppression state. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!q->event_idx)
        return !(ld16(q->avail) & AVAIL_F_NO_INTERRUPT);
    event = ld16(used_event_p(q));
    return (uint16_t)(new_used - event - 1) < (uint16_t)(new_used - old_used);
}

/*@ requires \valid(q) && virtq_ok(q);
    requires q->ready ==> \separated(q->used + (0 .. 6 + 8 * q->num - 1), q, q->mem);
    assigns q->used[0 .. 6 + 8 * q->num - 1];
    ensures virtq_ok(q); */
bool virtq_arm_notify(struct virtq *q)
{
    return virtq_arm_notify_after(q, 1);
}

/*@ requires \valid(q) && virtq_ok(q);
    requires q->ready ==> \separated(q->used + (0 .. 6 + 8 * q->num - 1), q, q->mem);
    assigns q->used[0 .. 6 + 8 * q->num - 1];
    ensures virtq_ok(q); */
bool virtq_arm_notify_after(struct virtq *q, uint16_t n)
{
    if (!q->ready || q->error != VIRTQ_OK)
        return false;
    /* The driver notifies when its avail index passes avail_event: at its n-th new buffer. */
    if (q->event_idx)
        st16(avail_event_p(q), (uint16_t)(q->last_avail + (n > 1 ? n - 1u : 0u)));
    /* Publish avail_event before re-reading avail->idx, or a notification could be lost. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return virtq_has_avail(q);
}

/*
 * memcpy, taken at this contract by the proof (docs/proofs.md), like the atomic accessors: WP's
 * typed memory model cannot follow the libc contract's char view of these byte buffers.
 */
/*@ requires \valid(dst + (0 .. n - 1)) && \valid_read(src + (0 .. n - 1));
    requires \separated(dst + (0 .. n - 1), src + (0 .. n - 1));
    assigns dst[0 .. n - 1] \from src[0 .. n - 1]; */
static void copy_bytes(uint8_t *dst, const uint8_t *src, uint32_t n)
{
    memcpy(dst, src, n);
}

/*
 * One step of a copy walk over a chain's buffers: how many bytes of buffer v to copy, after
 * skipping *skip of them, at most room. A buffer lying wholly in the skipped part gives 0 and
 * shortens *skip by its length; otherwise the copy starts at *skip and stays inside the buffer.
 */
/*@
  requires \valid(skip) && \valid_read(v) && \separated(skip, v);
  assigns *skip;
  ensures \old(*skip) >= v->len ==> \result == 0 && *skip == \old(*skip) - v->len;
  ensures \old(*skip) < v->len ==> *skip == \old(*skip) && \result <= room &&
      *skip + \result <= v->len && (room > 0 ==> \result > 0);
*/
static uint32_t copy_span(const struct virtq_iov *v, uint32_t *skip, uint32_t room)
{
    if (*skip >= v->len) {
        *skip -= v->len;
        return 0;
    }
    return v->len - *skip < room ? v->len - *skip : room;
}

uint32_t virtq_chain_read(const struct virtq_chain *c, uint32_t offset, void *dst, uint32_t len)
{
    uint8_t *out = dst;
    uint32_t done = 0;

    /*@ loop invariant 0 <= i <= c->n_out && done <= len;
        loop assigns i, done, offset, out[0 .. len - 1];
        loop variant c->n_out - i; */
    for (uint16_t i = 0; i < c->n_out && done < len; i++) {
        uint32_t n = copy_span(&c->iov[i], &offset, len - done);

        if (n == 0)
            continue;
        /*@ assert offset + n <= c->iov[i].len && done + n <= len; */
        copy_bytes(out + done, c->iov[i].host + offset, n);
        done += n;
        offset = 0;
    }
    return done;
}

uint32_t virtq_chain_write(const struct virtq_chain *c, uint32_t offset, const void *src, uint32_t len)
{
    const uint8_t *in = src;
    uint32_t done = 0;

    /*@ loop invariant 0 <= i <= c->n_in && done <= len;
        loop assigns i, done, offset,
            { c->iov[k].host[j] | integer k, j; c->n_out <= k < c->n_out + c->n_in && 0 <= j < c->iov[k].len };
        loop variant c->n_in - i; */
    for (uint16_t i = 0; i < c->n_in && done < len; i++) {
        const struct virtq_iov *v = &c->iov[c->n_out + i];
        uint32_t n = copy_span(v, &offset, len - done);

        if (n == 0)
            continue;
        /*@ assert c->n_out <= c->n_out + i < c->n_out + c->n_in && offset + n <= v->len && done + n <= len; */
        copy_bytes(v->host + offset, in + done, n);
        done += n;
        offset = 0;
    }
    return done;
}

const char *virtq_strerror(int err)
{
    static const char *const names[] = {
        "ok", "queue not ready", "avail index jumped past queue size", "head index out of range",
        "next index out of range", "descriptor loop", "bad indirect descriptor",
        "bad indirect table length", "buffer outside guest RAM", "readable after writable buffer",
        "chain too long", "bad ring address or size", "used head not in flight",
    };
    unsigned i = (unsigned)-err;
    return err <= 0 && i < sizeof(names) / sizeof(names[0]) ? names[i] : "unknown";
}
