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

#define SVMM_MEMMAP_MAX_REGIONS 8 /* regions a memory map holds */

/* Flags of a region. */
enum svmm_mem_flags {
    SVMM_MEM_RAM = 1u << 0, /* guest RAM: devices may DMA into it */
    SVMM_MEM_RO = 1u << 1,  /* the guest may not write (e.g. a flash image) */
};

/* One range of guest-physical memory and where the VMM sees it. */
struct svmm_mem_region {
    uint64_t gpa;   /* guest-physical base */
    uint64_t size;  /* bytes */
    void *host;     /* the VMM's mapping of it */
    uint32_t flags; /* enum svmm_mem_flags */
};

/* A VM's memory map: disjoint regions (svmm_memmap_add). */
struct svmm_memmap {
    unsigned count; /* regions in use */
    struct svmm_mem_region regions[SVMM_MEMMAP_MAX_REGIONS]; /* regions[0 .. count - 1] */
};

/*
 * ACSL (Frama-C WP, make prove; docs/proofs.md). A well-formed table: every region is non-empty,
 * does not wrap 2^64, and its host mapping is readable (writable unless read-only) for its whole
 * size. svmm_memmap_add() keeps a table well-formed; the host mappings are the platform's promise.
 */
/*@
  predicate svmm_region_ok(struct svmm_mem_region *r) =
      0 < r->size && r->gpa + r->size <= 18446744073709551616 &&
      \valid_read((uint8_t *)r->host + (0 .. r->size - 1)) &&
      ((r->flags & SVMM_MEM_RO) == 0 ==> \valid((uint8_t *)r->host + (0 .. r->size - 1)));

  predicate svmm_memmap_ok(struct svmm_memmap *m) =
      \valid_read(m) && m->count <= SVMM_MEMMAP_MAX_REGIONS &&
      \forall integer i; 0 <= i < m->count ==> svmm_region_ok(&m->regions[i]);

  // [p, p+len) lies inside the host mapping of RAM region i (writable too when wr != 0).
  predicate svmm_host_in_region(struct svmm_memmap *m, integer i, uint8_t *p, integer len, integer wr) =
      0 <= i < m->count && (m->regions[i].flags & SVMM_MEM_RAM) != 0 &&
      (wr != 0 ==> (m->regions[i].flags & SVMM_MEM_RO) == 0) &&
      \base_addr(p) == \base_addr((uint8_t *)m->regions[i].host) &&
      0 <= p - (uint8_t *)m->regions[i].host &&
      (p - (uint8_t *)m->regions[i].host) + len <= m->regions[i].size;

  // The property the guest-facing parsers are proved to keep: a host range formed from guest
  // values is inside one guest-RAM region of the table. One disjunct per slot rather than an
  // existential, so that solvers see the region directly (SVMM_MEMMAP_MAX_REGIONS == 8).
  predicate svmm_host_in_ram(struct svmm_memmap *m, uint8_t *p, integer len, integer wr) =
      0 < len && (svmm_host_in_region(m, 0, p, len, wr) || svmm_host_in_region(m, 1, p, len, wr) ||
                  svmm_host_in_region(m, 2, p, len, wr) || svmm_host_in_region(m, 3, p, len, wr) ||
                  svmm_host_in_region(m, 4, p, len, wr) || svmm_host_in_region(m, 5, p, len, wr) ||
                  svmm_host_in_region(m, 6, p, len, wr) || svmm_host_in_region(m, 7, p, len, wr));
*/

/* Results of svmm_memmap_add(). */
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
/*@
  requires svmm_memmap_ok(map);
  assigns \nothing;
  ensures \result == \null || svmm_host_in_ram(map, (uint8_t *)\result, len, for_write);
  ensures \result != \null ==> \exists integer i; 0 <= i < map->count &&
      map->regions[i].gpa <= gpa && gpa + len <= map->regions[i].gpa + map->regions[i].size &&
      (uint8_t *)\result == (uint8_t *)map->regions[i].host + (gpa - map->regions[i].gpa);
  ensures \result != \null ==> \valid_read((uint8_t *)\result + (0 .. len - 1));
  ensures \result != \null && for_write ==> \valid((uint8_t *)\result + (0 .. len - 1));
*/
void *svmm_gpa_to_host(const struct svmm_memmap *map, uint64_t gpa, uint64_t len, bool for_write);

/* Copy between the VMM and guest memory; false (nothing copied) when the range is not guest RAM. */
bool svmm_guest_read(const struct svmm_memmap *map, uint64_t gpa, void *dst, uint64_t len);
bool svmm_guest_write(const struct svmm_memmap *map, uint64_t gpa, const void *src, uint64_t len);

#endif
