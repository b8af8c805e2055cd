/* SPDX-License-Identifier: BSD-2-Clause */
/* Cache colouring: colours of physical pages, and frames for a VM of given colours (colour.h). */
#include <stdio.h>
#include "colour.h"

static bool power_of_two(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

int colour_geometry(uint64_t size, unsigned ways, uint64_t page, struct colour_geometry *g, char *err, size_t errlen)
{
    uint64_t way;

    if (!power_of_two(size) || !power_of_two(ways) || !power_of_two(page)) {
        snprintf(err, errlen, "cache size (%llu), ways (%u) and page (%llu) must be powers of two",
                 (unsigned long long)size, ways, (unsigned long long)page);
        return -1;
    }
    way = size / ways;
    if (way < page) {
        snprintf(err, errlen, "a way of %llu bytes is smaller than a %llu-byte page: nothing to colour",
                 (unsigned long long)way, (unsigned long long)page);
        return -1;
    }
    if (way / page > COLOUR_MAX) {
        snprintf(err, errlen, "%llu colours: at most %u", (unsigned long long)(way / page), COLOUR_MAX);
        return -1;
    }
    g->page = page;
    g->ncolours = (unsigned)(way / page);
    return 0;
}

unsigned colour_of(const struct colour_geometry *g, uint64_t paddr)
{
    return (unsigned)((paddr / g->page) % g->ncolours);
}

int colour_assign(const struct colour_geometry *g, const bool mask[COLOUR_MAX], uint64_t base, uint64_t end,
                  uint64_t bytes, struct colour_run *runs, unsigned maxruns, unsigned *nruns, uint64_t *top)
{
    uint64_t left = bytes;
    unsigned n = 0;

    *nruns = 0;
    if (base % g->page || end % g->page || bytes % g->page || end < base)
        return -1;
    for (uint64_t p = base; p < end && left; p += g->page) {
        if (!mask[colour_of(g, p)]) /* colour_of < ncolours <= COLOUR_MAX */
            continue;
        if (n > 0 && runs[n - 1].phys + runs[n - 1].size == p) {
            runs[n - 1].size += g->page;
        } else {
            if (n == maxruns)
                return -1;
            runs[n++] = (struct colour_run){ p, g->page }; /* n < maxruns: checked above */
        }
        left -= g->page;
        *top = p + g->page;
    }
    *nruns = n;
    return left ? -1 : 0;
}
