/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <string.h>
#include "fake_guest.h"
#include <svmm/le.h>

void fg_init(struct fake_guest *g, uint16_t num)
{
    memset(g, 0, sizeof(*g));
    g->ram = aligned_alloc(4096, FG_SIZE);
    memset(g->ram, 0, FG_SIZE);
    g->num = num;
    svmm_memmap_init(&g->mem);
    svmm_memmap_add(&g->mem, FG_BASE, FG_SIZE, g->ram, SVMM_MEM_RAM);
}

void fg_free(struct fake_guest *g)
{
    free(g->ram);
}

uint8_t *fg_ptr(struct fake_guest *g, uint64_t gpa)
{
    return g->ram + (gpa - FG_BASE);
}

void fg_desc(struct fake_guest *g, uint64_t table_gpa, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
             uint16_t next)
{
    uint8_t *d = fg_ptr(g, table_gpa + 16ull * i);

    le_put(d, addr, 8);
    le_put(d + 8, len, 4);
    le_put(d + 12, flags, 2);
    le_put(d + 14, next, 2);
}

void fg_publish(struct fake_guest *g, uint16_t head)
{
    le_put(fg_ptr(g, FG_AVAIL + 4 + 2u * (g->avail_idx % g->num)), head, 2);
    g->avail_idx++;
    le_put(fg_ptr(g, FG_AVAIL + 2), g->avail_idx, 2);
}

int fg_enable(struct fake_guest *g, struct virtq *q, uint64_t features)
{
    virtq_reset(q);
    q->num = g->num;
    q->desc_gpa = FG_DESC;
    q->avail_gpa = FG_AVAIL;
    q->used_gpa = FG_USED;
    return virtq_enable(q, &g->mem, features);
}

void fg_negotiate(struct virtio_mmio *t, uint64_t features)
{
    const uint32_t ad = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

    virtio_mmio_ops.write(t, 0, 0x070, 4, VIRTIO_STATUS_ACKNOWLEDGE);
    virtio_mmio_ops.write(t, 0, 0x070, 4, ad);
    virtio_mmio_ops.write(t, 0, 0x024, 4, 0); /* DriverFeaturesSel */
    virtio_mmio_ops.write(t, 0, 0x020, 4, (uint32_t)features);
    virtio_mmio_ops.write(t, 0, 0x024, 4, 1);
    virtio_mmio_ops.write(t, 0, 0x020, 4, (uint32_t)(features >> 32));
    virtio_mmio_ops.write(t, 0, 0x070, 4, ad | VIRTIO_STATUS_FEATURES_OK);
}

uint16_t fg_used_idx(struct fake_guest *g)
{
    return (uint16_t)le_get(fg_ptr(g, FG_USED + 2), 2);
}

uint32_t fg_used_len(struct fake_guest *g, uint16_t i)
{
    return (uint32_t)le_get(fg_ptr(g, FG_USED + 4 + 8u * (i % g->num) + 4), 4);
}
