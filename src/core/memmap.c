/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include <svmm/memmap.h>

void svmm_memmap_init(struct svmm_memmap *map)
{
    memset(map, 0, sizeof(*map));
}

/* Inclusive last address of [base, base+size), or false when the range is empty or wraps. */
static bool range_last(uint64_t base, uint64_t size, uint64_t *last)
{
    if (size == 0 || base + (size - 1) < base)
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

const struct svmm_mem_region *svmm_memmap_find(const struct svmm_memmap *map, uint64_t gpa, uint64_t len)
{
    uint64_t last;

    if (!range_last(gpa, len, &last))
        return NULL;
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
