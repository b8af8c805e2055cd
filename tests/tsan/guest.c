/* SPDX-License-Identifier: BSD-2-Clause */
/* The simulated guest driver side: split virtqueues in fake guest RAM, virtio-mmio registers, interrupts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tsan.h"
#include <svmm/le.h>

#define QSTRIDE 0x4000u /* per queue: descriptors, avail ring at +0x1000, used ring at +0x2000 */

static uint32_t rd(struct guest *g, uint64_t off) { return (uint32_t)virtio_mmio_ops.read(&g->t, 0, off, 4); }
static void wr(struct guest *g, uint64_t off, uint32_t v) { virtio_mmio_ops.write(&g->t, 0, off, 4, v); }

/* The transport's interrupt line (device lock held): a rising edge wakes the guest. */
static void irq_fn(void *ctx, uint32_t irq, bool level)
{
    struct guest *g = ctx;

    (void)irq;
    if (level && !g->line) {
        g->irqs++;
        pthread_cond_broadcast(&g->irq_cv);
    }
    g->line = level;
}

void guest_init(struct guest *g, struct virtio_dev *d, struct kvm_host *h)
{
    pthread_condattr_t a;

    memset(g, 0, sizeof(*g));
    fg_init(&g->fg, GUEST_QNUM);
    g->data = aligned_alloc(4096, GUEST_DATA_SIZE);
    memset(g->data, 0, GUEST_DATA_SIZE);
    svmm_memmap_add(&g->fg.mem, GUEST_DATA_GPA, GUEST_DATA_SIZE, g->data, SVMM_MEM_RAM);
    g->h = h;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&g->irq_cv, &a);
    pthread_condattr_destroy(&a);
    pthread_mutex_lock(&h->dev_lock);
    virtio_mmio_init(&g->t, d, &g->fg.mem, irq_fn, g, 16);
    pthread_mutex_unlock(&h->dev_lock);
}

void guest_free(struct guest *g)
{
    pthread_cond_destroy(&g->irq_cv);
    free(g->data);
    fg_free(&g->fg);
}

uint8_t *guest_ptr(struct guest *g, uint64_t gpa)
{
    if (gpa >= GUEST_DATA_GPA && gpa - GUEST_DATA_GPA < GUEST_DATA_SIZE)
        return g->data + (gpa - GUEST_DATA_GPA);
    return fg_ptr(&g->fg, gpa);
}

bool guest_bring_up(struct guest *g, uint64_t features, unsigned nq)
{
    wr(g, 0x070, 0);
    fg_negotiate(&g->t, features);
    if (!(rd(g, 0x070) & VIRTIO_STATUS_FEATURES_OK))
        return false;
    memset(g->fg.ram, 0, QSTRIDE * GUEST_MAX_QUEUES);
    g->nq = nq;
    for (unsigned i = 0; i < nq; i++) {
        struct gq *q = &g->q[i];

        memset(q, 0, sizeof(*q));
        q->num = GUEST_QNUM;
        q->desc = FG_BASE + QSTRIDE * i;
        q->avail = q->desc + 0x1000;
        q->used = q->desc + 0x2000;
        for (uint16_t d = 0; d < q->num; d++)
            q->next[d] = (uint16_t)(d + 1);
        q->nfree = q->num;
        wr(g, 0x030, i);
        if (rd(g, 0x034) < q->num)
            return false;
        wr(g, 0x038, q->num);
        wr(g, 0x080, (uint32_t)q->desc);
        wr(g, 0x084, (uint32_t)(q->desc >> 32));
        wr(g, 0x090, (uint32_t)q->avail);
        wr(g, 0x094, (uint32_t)(q->avail >> 32));
        wr(g, 0x0a0, (uint32_t)q->used);
        wr(g, 0x0a4, (uint32_t)(q->used >> 32));
        wr(g, 0x044, 1);
    }
    wr(g, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                     VIRTIO_STATUS_DRIVER_OK);
    return rd(g, 0x070) == (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                            VIRTIO_STATUS_DRIVER_OK);
}

int guest_add(struct guest *g, unsigned qi, const struct gbuf *b, unsigned n, void *cookie)
{
    struct gq *q = &g->q[qi];
    uint16_t head = q->free_head, d = head;

    if (n == 0 || n > q->nfree)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        uint16_t nx = q->next[d];
        uint16_t flags = (uint16_t)((b[i].write ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));

        fg_desc(&g->fg, q->desc, d, b[i].gpa, b[i].len, flags, i + 1 < n ? nx : 0);
        if (i + 1 == n)
            q->free_head = nx;
        d = nx;
    }
    q->nfree = (uint16_t)(q->nfree - n);
    q->chain_len[head] = (uint16_t)n;
    q->cookie[head] = cookie;
    le_put(fg_ptr(&g->fg, q->avail + 4 + 2u * (q->avail_idx % q->num)), head, 2);
    q->avail_idx++;
    le_put(fg_ptr(&g->fg, q->avail + 2), q->avail_idx, 2);
    return head;
}

void guest_kick(struct guest *g, unsigned qi)
{
    wr(g, 0x050, qi);
}

int guest_get(struct guest *g, unsigned qi, uint32_t *len, void **cookie)
{
    struct gq *q = &g->q[qi];
    uint16_t used_idx = (uint16_t)le_get(fg_ptr(&g->fg, q->used + 2), 2);
    const uint8_t *e;
    uint16_t head, d;

    if (used_idx == q->used_seen)
        return 0;
    e = fg_ptr(&g->fg, q->used + 4 + 8u * (q->used_seen % q->num));
    head = (uint16_t)le_get(e, 4);
    if (len)
        *len = (uint32_t)le_get(e + 4, 4);
    q->used_seen++;
    if (head >= q->num || q->chain_len[head] == 0)
        return -1; /* the device returned something it was never given */
    if (cookie)
        *cookie = q->cookie[head];
    /* Give the chain's descriptors back to the free list (they are consecutive in next[]). */
    d = head;
    for (unsigned i = 1; i < q->chain_len[head]; i++)
        d = q->next[d];
    q->next[d] = q->free_head;
    q->free_head = head;
    q->nfree = (uint16_t)(q->nfree + q->chain_len[head]);
    q->chain_len[head] = 0;
    return 1;
}

void guest_wait(struct guest *g, unsigned ms)
{
    struct timespec ts;
    unsigned before = g->irqs;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (g->irqs == before && !g->line)
        if (pthread_cond_timedwait(&g->irq_cv, &g->h->dev_lock, &ts) == ETIMEDOUT)
            break;
    /* The interrupt handler: read and acknowledge the status, which lowers the line. */
    if (g->line) {
        uint32_t isr = rd(g, 0x060);
        wr(g, 0x064, isr);
    }
}

uint32_t guest_status(struct guest *g)
{
    return rd(g, 0x070);
}
