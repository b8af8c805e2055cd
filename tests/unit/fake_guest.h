/* SPDX-License-Identifier: BSD-2-Clause */
/* A fake guest RAM with a driver-side split virtqueue, for virtqueue and transport tests. */
#ifndef SVMM_FAKE_GUEST_H
#define SVMM_FAKE_GUEST_H

#include <svmm/memmap.h>
#include <svmm/virtio_mmio.h>
#include <svmm/virtqueue.h>

#define FG_BASE 0x100000ull
#define FG_SIZE 0x100000ull
#define FG_DESC (FG_BASE + 0x0000)
#define FG_AVAIL (FG_BASE + 0x2000)
#define FG_USED (FG_BASE + 0x3000)
#define FG_BUF (FG_BASE + 0x10000) /* free space for buffers and indirect tables */

struct fake_guest {
    struct svmm_memmap mem;
    uint8_t *ram;
    uint16_t num;
    uint16_t avail_idx;
};

/* Allocate RAM (zeroed) and register it; the queue size driver-side is `num`. */
void fg_init(struct fake_guest *g, uint16_t num);
void fg_free(struct fake_guest *g);
/* Host pointer for a guest address inside the fake RAM. */
uint8_t *fg_ptr(struct fake_guest *g, uint64_t gpa);
/* Write descriptor i of the table at `table_gpa`. */
void fg_desc(struct fake_guest *g, uint64_t table_gpa, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
             uint16_t next);
/* Publish `head` in the avail ring. */
void fg_publish(struct fake_guest *g, uint16_t head);
/* Program q like a driver (num and ring addresses) and enable it with `features`. */
int fg_enable(struct fake_guest *g, struct virtq *q, uint64_t features);
/* The driver's status and feature handshake on transport `t`, up to FEATURES_OK, accepting `features`. */
void fg_negotiate(struct virtio_mmio *t, uint64_t features);
/* used->idx and used ring entry i as the driver sees them. */
uint16_t fg_used_idx(struct fake_guest *g);
uint32_t fg_used_len(struct fake_guest *g, uint16_t i);

#endif
