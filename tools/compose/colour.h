/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Cache colouring (issue 13 part 6): physical pages whose addresses map to the same sets of a
 * physically indexed last-level cache share a colour. With a cache of `size` bytes and `ways` ways,
 * one way spans size / ways bytes, so a page's colour is (paddr / page) mod (size / ways / page).
 * VMs given disjoint colours never evict each other's lines from that cache.
 */
#ifndef SVMM_COMPOSE_COLOUR_H
#define SVMM_COMPOSE_COLOUR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COLOUR_MAX 1024u /* colours a geometry may have */

struct colour_geometry {
    uint64_t page;     /* bytes per page (the unit colours are handed out in) */
    unsigned ncolours; /* way size / page */
};

/* A contiguous physical range of one VM's pages (several colours in a row make one run). */
struct colour_run {
    uint64_t phys, size;
};

/*
 * The geometry of a cache of `size` bytes with `ways` ways, coloured in pages of `page` bytes: 0, or
 * -1 with the reason in err (sizes not powers of two, a way smaller than a page, more than
 * COLOUR_MAX colours).
 */
int colour_geometry(uint64_t size, unsigned ways, uint64_t page, struct colour_geometry *g, char *err, size_t errlen);

/* The colour of the page holding physical address `paddr`. */
unsigned colour_of(const struct colour_geometry *g, uint64_t paddr);

/*
 * Take `bytes` (a multiple of the page) of pages whose colour c has mask[c] set from [base, end)
 * (page aligned), lowest first, as runs of contiguous pages into runs[0..maxruns). Returns 0 with
 * *nruns and *top (the end of the last page taken), or -1 when the range holds too few such pages
 * or they need more than maxruns runs.
 */
int colour_assign(const struct colour_geometry *g, const bool mask[COLOUR_MAX], uint64_t base, uint64_t end,
                  uint64_t bytes, struct colour_run *runs, unsigned maxruns, unsigned *nruns, uint64_t *top);

#endif
