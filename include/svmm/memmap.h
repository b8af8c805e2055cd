/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest physical memory map: the RAM regions a VM has and where the VMM sees them.
 * Every guest-physical address that reaches device or loader code is translated here, with the
 * whole [gpa, gpa+len) range checked against one region, so no caller does address arithmetic
 * on guest-controlled values.
 */
#ifndef SVMM_MEMMAP_H
#define SVMM_MEMMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SVMM_MEMMAP_MAX_REGIONS 8

enum svmm_mem_flags {
    SVMM_MEM_RAM = 1u << 0, /* guest RAM: devices may DMA into it */
    SVMM_MEM_RO = 1u << 1,  /* the guest may not write (e.g. a flash image) */
};

struct svmm_mem_region {
    uint64_t gpa;
    uint64_t size;
    void *host;
    uint32_t flags;
};

struct svmm_memmap {
    unsigned count;
    struct svmm_mem_region regions[SVMM_MEMMAP_MAX_REGIONS];
};

enum svmm_memmap_err {
    SVMM_MEMMAP_OK = 0,
    SVMM_MEMMAP_E_FULL = -1,     /* no free slot */
    SVMM_MEMMAP_E_EMPTY = -2,    /* zero-sized region or NULL host pointer */
    SVMM_MEMMAP_E_WRAP = -3,     /* gpa + size overflows 64 bits */
    SVMM_MEMMAP_E_OVERLAP = -4,  /* intersects an existing region */
};

/* Reset `map` to no regions. */
void svmm_memmap_init(struct svmm_memmap *map);

/* Add a region; rejects empty, wrapping or overlapping ranges (returns an svmm_memmap_err). */
int svmm_memmap_add(struct svmm_memmap *map, uint64_t gpa, uint64_t size, void *host, uint32_t flags);

/* The region containing all of [gpa, gpa+len), or NULL (also NULL for len 0 or a wrapping range). */
const struct svmm_mem_region *svmm_memmap_find(const struct svmm_memmap *map, uint64_t gpa, uint64_t len);

/*
 * Host pointer for guest range [gpa, gpa+len) if it lies inside one RAM region, else NULL.
 * `for_write` additionally refuses read-only regions.
 */
void *svmm_gpa_to_host(const struct svmm_memmap *map, uint64_t gpa, uint64_t len, bool for_write);

/* Copy between the VMM and guest memory; false (nothing copied) when the range is not guest RAM. */
bool svmm_guest_read(const struct svmm_memmap *map, uint64_t gpa, void *dst, uint64_t len);
bool svmm_guest_write(const struct svmm_memmap *map, uint64_t gpa, const void *src, uint64_t len);

#endif
