/* SPDX-License-Identifier: BSD-2-Clause */
#include <svmm/memmap.h>
#include "test.h"

static uint8_t ram_a[4096], ram_b[4096];

static void two_regions(struct svmm_memmap *m)
{
    svmm_memmap_init(m);
    CHECK_EQ(svmm_memmap_add(m, 0x1000, sizeof(ram_a), ram_a, SVMM_MEM_RAM), SVMM_MEMMAP_OK);
    CHECK_EQ(svmm_memmap_add(m, 0x3000, sizeof(ram_b), ram_b, SVMM_MEM_RAM | SVMM_MEM_RO), SVMM_MEMMAP_OK);
}

TEST(memmap_translates_inside_region)
{
    struct svmm_memmap m;

    two_regions(&m);
    CHECK(svmm_gpa_to_host(&m, 0x1000, 1, true) == ram_a);
    CHECK(svmm_gpa_to_host(&m, 0x1fff, 1, true) == ram_a + 4095);
    CHECK(svmm_gpa_to_host(&m, 0x1000, 4096, true) == ram_a);
    CHECK(svmm_gpa_to_host(&m, 0x3010, 16, false) == ram_b + 16);
}

TEST(memmap_rejects_ranges_outside_or_across)
{
    struct svmm_memmap m;

    two_regions(&m);
    CHECK(svmm_gpa_to_host(&m, 0x0fff, 1, false) == NULL);       /* just below */
    CHECK(svmm_gpa_to_host(&m, 0x2000, 1, false) == NULL);       /* just above (hole) */
    CHECK(svmm_gpa_to_host(&m, 0x1fff, 2, false) == NULL);       /* crosses the end */
    CHECK(svmm_gpa_to_host(&m, 0x1000, 4097, false) == NULL);    /* one byte too long */
    CHECK(svmm_gpa_to_host(&m, 0x1000, 0, false) == NULL);       /* empty */
    CHECK(svmm_gpa_to_host(&m, 0x1800, 0x2000, false) == NULL);  /* spans hole into next region */
}

TEST(memmap_rejects_wrapping_ranges)
{
    struct svmm_memmap m;
    static uint8_t top[16];

    svmm_memmap_init(&m);
    CHECK_EQ(svmm_memmap_add(&m, ~0ull - 15, 16, top, SVMM_MEM_RAM), SVMM_MEMMAP_OK);
    CHECK(svmm_gpa_to_host(&m, ~0ull - 15, 16, false) == top);
    CHECK(svmm_gpa_to_host(&m, ~0ull, 2, false) == NULL);
    CHECK(svmm_gpa_to_host(&m, 0x10, ~0ull, false) == NULL);
    CHECK_EQ(svmm_memmap_add(&m, ~0ull, 2, top, SVMM_MEM_RAM), SVMM_MEMMAP_E_WRAP);
}

TEST(memmap_add_rejects_overlap_empty_and_full)
{
    struct svmm_memmap m;

    two_regions(&m);
    CHECK_EQ(svmm_memmap_add(&m, 0x1fff, 1, ram_a, SVMM_MEM_RAM), SVMM_MEMMAP_E_OVERLAP);
    CHECK_EQ(svmm_memmap_add(&m, 0x0, 0x1001, ram_a, SVMM_MEM_RAM), SVMM_MEMMAP_E_OVERLAP);
    CHECK_EQ(svmm_memmap_add(&m, 0x0, 0x10000, ram_a, SVMM_MEM_RAM), SVMM_MEMMAP_E_OVERLAP);
    CHECK_EQ(svmm_memmap_add(&m, 0x2000, 0x1000, ram_a, SVMM_MEM_RAM), SVMM_MEMMAP_OK); /* touching is fine */
    CHECK_EQ(svmm_memmap_add(&m, 0x9000, 0, ram_a, SVMM_MEM_RAM), SVMM_MEMMAP_E_EMPTY);
    CHECK_EQ(svmm_memmap_add(&m, 0x9000, 1, NULL, SVMM_MEM_RAM), SVMM_MEMMAP_E_EMPTY);
    for (unsigned i = m.count; i < SVMM_MEMMAP_MAX_REGIONS; i++)
        CHECK_EQ(svmm_memmap_add(&m, 0x100000 * (i + 1), 1, ram_a, SVMM_MEM_RAM), SVMM_MEMMAP_OK);
    CHECK_EQ(svmm_memmap_add(&m, 0x7000000, 1, ram_a, SVMM_MEM_RAM), SVMM_MEMMAP_E_FULL);
}

TEST(memmap_read_only_regions_refuse_writes)
{
    struct svmm_memmap m;
    uint8_t v = 7;

    two_regions(&m);
    CHECK(svmm_gpa_to_host(&m, 0x3000, 1, true) == NULL);
    CHECK(!svmm_guest_write(&m, 0x3000, &v, 1));
    CHECK(svmm_guest_write(&m, 0x1000, &v, 1));
    CHECK(svmm_guest_read(&m, 0x1000, &v, 1) && v == 7);
    CHECK(!svmm_guest_read(&m, 0x2fff, &v, 2));
}
