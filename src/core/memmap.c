/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include <svmm/memmap.h>

/* The ACSL predicate svmm_host_in_ram (memmap.h) names each of the table's slots. */
_Static_assert(SVMM_MEMMAP_MAX_REGIONS == 8, "update svmm_host_in_ram in memmap.h");

void svmm_memmap_init(struct svmm_memmap *map)
{
    memset(map, 0, sizeof(*map));
}

/* Inclusive last address of [base, base+size), or false when the range is empty or wraps. */
/*@
  requires \valid(last);
  assigns *last;
  ensures \result <==> (size != 0 && base + size <= 18446744073709551616);
  ensures \result ==> *last == base + size - 1;
*/
static bool range_last(uint64_t base, uint64_t size, uint64_t *last)
{
    /* Compared without wrapping: base + (size - 1) fits in 64 bits. */
    if (size == 0 || size - 1 > UINT64_MAX - base)
        return false;
    *last = base + (size - 1);
    return true;
}

int svmm_memmap_add(struct svmm_memmap *map, uint64_t gpa, uint64_t size, void *host, uint32_t flags)
{
    uint64_t last;

    if (map->count >= SVMM_MEMMAP_MAX_REGIONS)
        return SVMM_MEMMAP_E_FULL;
    if (size == 0 || host == NULL)
        return SVMM_MEMMAP_E_EMPTY;
    if (!range_last(gpa, size, &last))
        return SVMM_MEMMAP_E_WRAP;
    for (unsigned i = 0; i < map->count; i++) {
        const struct svmm_mem_region *r = &map->regions[i];
        uint64_t r_last = r->gpa + (r->size - 1);
        if (gpa <= r_last && r->gpa <= last)
            return SVMM_MEMMAP_E_OVERLAP;
    }
    map->regions[map->count++] = (struct svmm_mem_region){ gpa, size, host, flags };
    return SVMM_MEMMAP_OK;
}

/*@
  requires svmm_memmap_ok(map);
  assigns \nothing;
  ensures \result == \null || \exists integer i; 0 <= i < map->count && \result == &map->regions[i] &&
      0 < len && map->regions[i].gpa <= gpa && gpa + len <= map->regions[i].gpa + map->regions[i].size;
*/
const struct svmm_mem_region *svmm_memmap_find(const struct svmm_memmap *map, uint64_t gpa, uint64_t len)
{
    uint64_t last;

    if (!range_last(gpa, len, &last))
        return NULL;
    /*@ loop invariant 0 <= i <= map->count;
        loop assigns i;
        loop variant map->count - i; */
    for (unsigned i = 0; i < map->count; i++) {
        const struct svmm_mem_region *r = &map->regions[i];
        /* r->size > 0 by construction, so r_last cannot underflow. */
        if (gpa >= r->gpa && last <= r->gpa + (r->size - 1))
            return r;
    }
    return NULL;
}

void *svmm_gpa_to_host(const struct svmm_memmap *map, uint64_t gpa, uint64_t len, bool for_write)
{
    const struct svmm_mem_region *r = svmm_memmap_find(map, gpa, len);

    if (r == NULL || !(r->flags & SVMM_MEM_RAM))
        return NULL;
    if (for_write && (r->flags & SVMM_MEM_RO))
        return NULL;
    /*@ assert r == &map->regions[0] || r == &map->regions[1] || r == &map->regions[2] || r == &map->regions[3] ||
               r == &map->regions[4] || r == &map->regions[5] || r == &map->regions[6] || r == &map->regions[7]; */
    /*@ assert svmm_host_in_region(map, r - &map->regions[0], (uint8_t *)r->host + (gpa - r->gpa), len, for_write); */
    return (uint8_t *)r->host + (gpa - r->gpa);
}

bool svmm_guest_read(const struct svmm_memmap *map, uint64_t gpa, void *dst, uint64_t len)
{
    const void *src = svmm_gpa_to_host(map, gpa, len, false);

    if (src == NULL)
        return false;
    memcpy(dst, src, len);
    return true;
}

bool svmm_guest_write(const struct svmm_memmap *map, uint64_t gpa, const void *src, uint64_t len)
{
    void *dst = svmm_gpa_to_host(map, gpa, len, true);

    if (dst == NULL)
        return false;
    memcpy(dst, src, len);
    return true;
}
