/* SPDX-License-Identifier: BSD-2-Clause */
/* netq: sDDF-layout frame rings between components, validated on every peer-written value (netq.h). */
#include <string.h>
#include <svmm/netq.h>

/* Shared indices: the peer writes them concurrently. Acquire on the tail we consume pairs with the
 * producer's release, so descriptor contents are visible before the index that covers them. */
static uint32_t load_acquire(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_release(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* One copy of a descriptor in private memory: it is validated and used from there only. */
static struct netq_desc read_desc(const struct netq_ring *ring, uint32_t slot)
{
    const volatile struct netq_desc *d = &ring->desc[slot];
    struct netq_desc c = { .offset = d->offset, .len = d->len };
    return c;
}

static void write_desc(struct netq_ring *ring, uint32_t slot, uint64_t offset, uint32_t len)
{
    volatile struct netq_desc *d = &ring->desc[slot];
    d->offset = offset;
    d->len = len;
    d->reserved = 0;
}

bool netq_geometry_ok(uint32_t nbufs, uint32_t buf_size)
{
    return nbufs >= 2 && nbufs <= NETQ_MAX_BUFS && (nbufs & (nbufs - 1)) == 0 && buf_size >= 64 &&
           buf_size <= NETQ_MAX_BUF_SIZE;
}

/* The buffer index an offset names, or -1 unless it is exactly the start of one of our buffers. */
static int64_t offset_to_index(uint64_t offset, uint32_t nbufs, uint32_t buf_size)
{
    if (offset % buf_size != 0 || offset / buf_size >= nbufs)
        return -1;
    return (int64_t)(offset / buf_size);
}

int netq_sender_init(struct netq_sender *s, struct netq_ring *active, struct netq_ring *free, void *data,
                     uint32_t nbufs, uint32_t buf_size)
{
    if (!netq_geometry_ok(nbufs, buf_size))
        return -1;
    memset(s, 0, sizeof(*s));
    s->active = active;
    s->free = free;
    s->data = data;
    s->nbufs = nbufs;
    s->buf_size = buf_size;
    /* Stack order: buffer 0 on top, so a fresh link uses its buffers in ascending order. */
    for (uint32_t i = 0; i < nbufs; i++)
        s->owned[i] = (uint16_t)(nbufs - 1 - i);
    s->nowned = nbufs;
    store_release(&active->tail, 0);
    store_release(&free->head, 0);
    /* Returns are collected when buffers run out; a notification is asked for only then. */
    __atomic_store_n(&free->consumer_signalled, 1, __ATOMIC_RELAXED);
    return 0;
}

int netq_receiver_init(struct netq_receiver *r, struct netq_ring *active, struct netq_ring *free,
                       const void *data, uint32_t nbufs, uint32_t buf_size)
{
    if (!netq_geometry_ok(nbufs, buf_size))
        return -1;
    memset(r, 0, sizeof(*r));
    r->active = active;
    r->free = free;
    r->data = data;
    r->nbufs = nbufs;
    r->buf_size = buf_size;
    store_release(&active->head, 0);
    store_release(&free->tail, 0);
    __atomic_store_n(&active->consumer_signalled, 0, __ATOMIC_RELAXED); /* tell us about frames */
    return 0;
}

/* Take back what the peer returned on the free ring; only buffers we had given it count. */
static void sender_reclaim(struct netq_sender *s)
{
    uint32_t tail, n;

    if (s->broken)
        return;
    tail = load_acquire(&s->free->tail);
    n = tail - s->free_head;
    if (n > s->nbufs) {
        /* More returns than buffers exist: not a ring state an honest peer can produce. */
        s->stats.bad_index++;
        s->broken = true;
        return;
    }
    for (; n > 0; n--, s->free_head++) {
        struct netq_desc d = read_desc(s->free, s->free_head & (s->nbufs - 1));
        int64_t i = offset_to_index(d.offset, s->nbufs, s->buf_size);
        uint8_t bit;

        if (i < 0) {
            s->stats.bad_return++;
            continue;
        }
        bit = (uint8_t)(1u << (i & 7));
        if (!(s->with_peer[i >> 3] & bit)) {
            s->stats.bad_return++; /* not ours to take back: a duplicate or a forgery */
            continue;
        }
        s->with_peer[i >> 3] &= (uint8_t)~bit;
        /* Invariant: nowned + (buffers with the peer) == nbufs, so nowned < nbufs here. */
        s->owned[s->nowned++] = (uint16_t)i;
    }
    store_release(&s->free->head, s->free_head);
}

void *netq_sender_get(struct netq_sender *s, uint32_t *idx)
{
    if (s->nowned == 0)
        sender_reclaim(s);
    if (s->nowned == 0)
        return NULL;
    *idx = s->owned[--s->nowned];
    return s->data + (size_t)*idx * s->buf_size;
}

void netq_sender_unget(struct netq_sender *s, uint32_t idx)
{
    if (idx < s->nbufs && s->nowned < s->nbufs)
        s->owned[s->nowned++] = (uint16_t)idx;
}

void netq_send(struct netq_sender *s, uint32_t idx, uint32_t len)
{
    if (idx >= s->nbufs || len > s->buf_size)
        return; /* caller bug; never publish a descriptor we would refuse ourselves */
    s->with_peer[idx >> 3] |= (uint8_t)(1u << (idx & 7));
    /* No overflow check against the peer's head: at most nbufs buffers can be with the peer, and a
     * peer that stops consuming only overwrites its own unread slots. */
    write_desc(s->active, s->active_tail & (s->nbufs - 1), (uint64_t)idx * s->buf_size, len);
    store_release(&s->active->tail, ++s->active_tail);
    s->stats.sent++;
}

uint32_t netq_sender_room(struct netq_sender *s)
{
    sender_reclaim(s);
    return s->nowned;
}

/* Hand a descriptor back on the free ring (the receiver's only write to shared rings). */
static void receiver_return(struct netq_receiver *r, struct netq_desc d)
{
    write_desc(r->free, r->free_tail & (r->nbufs - 1), d.offset, d.len);
    store_release(&r->free->tail, ++r->free_tail);
}

const uint8_t *netq_recv_peek(struct netq_receiver *r, uint32_t *len)
{
    for (;;) {
        uint32_t tail, n;
        struct netq_desc d;

        if (r->broken)
            return NULL;
        tail = load_acquire(&r->active->tail);
        n = tail - r->active_head;
        if (n == 0)
            return NULL;
        if (n > r->nbufs) {
            r->stats.bad_index++;
            r->broken = true;
            return NULL;
        }
        d = read_desc(r->active, r->active_head & (r->nbufs - 1));
        if (offset_to_index(d.offset, r->nbufs, r->buf_size) >= 0 && d.len <= r->buf_size && d.len > 0) {
            r->cur = d;
            *len = d.len;
            return r->data + d.offset;
        }
        /* Outside the region, not a buffer start, or a length past the buffer: skip it, hand it back. */
        r->stats.bad_desc++;
        receiver_return(r, d);
        store_release(&r->active->head, ++r->active_head);
    }
}

void netq_recv_done(struct netq_receiver *r)
{
    if (r->broken || load_acquire(&r->active->tail) == r->active_head)
        return;
    /* The validated private copy goes back, not whatever the slot holds by now. */
    receiver_return(r, r->cur);
    store_release(&r->active->head, ++r->active_head);
    r->stats.received++;
}

bool netq_must_notify(struct netq_ring *ring)
{
    /* The index store must be visible before we look at the flag, or both sides may sleep. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&ring->consumer_signalled, __ATOMIC_RELAXED) != 0)
        return false;
    __atomic_store_n(&ring->consumer_signalled, 1, __ATOMIC_RELAXED);
    return true;
}

bool netq_ask_notify(struct netq_ring *ring, uint32_t head)
{
    __atomic_store_n(&ring->consumer_signalled, 0, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return load_acquire(&ring->tail) != head;
}

size_t netq_link_queue_bytes(uint32_t nbufs)
{
    _Static_assert(sizeof(struct netq_link_info) == NETQ_ALIGN, "the info block is one NETQ_ALIGN unit");
    return (NETQ_ALIGN + 4 * netq_ring_bytes(nbufs) + 4095) & ~(size_t)4095;
}

void netq_link_rings(void *queue_region, uint32_t nbufs, struct netq_link_rings *out)
{
    uint8_t *base = (uint8_t *)queue_region + NETQ_ALIGN;
    size_t stride = netq_ring_bytes(nbufs);

    out->info = queue_region;
    out->tx_active = (struct netq_ring *)(void *)base;
    out->tx_free = (struct netq_ring *)(void *)(base + stride);
    out->rx_active = (struct netq_ring *)(void *)(base + 2 * stride);
    out->rx_free = (struct netq_ring *)(void *)(base + 3 * stride);
}
