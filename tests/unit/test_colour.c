/* SPDX-License-Identifier: BSD-2-Clause */
/* Cache colouring (tools/compose/colour.c): geometry, page colours, frame assignment. */
#include "../../tools/compose/colour.h"
#include "test.h"

TEST(colour_geometry_checks)
{
    struct colour_geometry g;
    char err[160];

    /* 2 MiB, 16 ways: 128 KiB a way, 32 colours of 4 KiB pages */
    CHECK_EQ(colour_geometry(2u << 20, 16, 4096, &g, err, sizeof(err)), 0);
    CHECK_EQ(g.ncolours, 32);
    CHECK_EQ(colour_of(&g, 0x40000000), 0);
    CHECK_EQ(colour_of(&g, 0x40001000), 1);
    CHECK_EQ(colour_of(&g, 0x4001f000), 31);
    CHECK_EQ(colour_of(&g, 0x40020000), 0);
    CHECK_EQ(colour_geometry(3u << 20, 16, 4096, &g, err, sizeof(err)), -1);
    CHECK_STR_CONTAINS(err, "powers of two");
    CHECK_EQ(colour_geometry(64u << 10, 32, 4096, &g, err, sizeof(err)), -1); /* 2 KiB ways */
    CHECK_STR_CONTAINS(err, "smaller than a 4096-byte page");
    CHECK_EQ(colour_geometry(1ull << 32, 1, 4096, &g, err, sizeof(err)), -1);
    CHECK_STR_CONTAINS(err, "at most 1024");
    CHECK_EQ(colour_geometry(1u << 20, 0, 4096, &g, err, sizeof(err)), -1);
}

TEST(colour_assign_takes_only_its_colours)
{
    static bool mask[COLOUR_MAX], other[COLOUR_MAX];
    struct colour_geometry g;
    struct colour_run runs[64];
    unsigned n = 0;
    uint64_t top = 0, got = 0;
    char err[160];

    CHECK_EQ(colour_geometry(2u << 20, 16, 4096, &g, err, sizeof(err)), 0);
    for (unsigned c = 4; c < 8; c++)
        mask[c] = true; /* colours 4..7: 16 KiB runs every 128 KiB */
    CHECK_EQ(colour_assign(&g, mask, 0x48000000, 0x48400000, 256u << 10, runs, 64, &n, &top), 0);
    CHECK_EQ(n, 16);
    for (unsigned i = 0; i < n; i++) {
        CHECK_EQ(runs[i].size, 16384);
        CHECK_EQ(runs[i].phys, 0x48000000 + i * 0x20000ull + 0x4000);
        for (uint64_t p = runs[i].phys; p < runs[i].phys + runs[i].size; p += 4096)
            CHECK(mask[colour_of(&g, p)]);
        got += runs[i].size;
    }
    CHECK_EQ(got, 256u << 10);
    CHECK_EQ(top, runs[n - 1].phys + runs[n - 1].size);
    /* another VM's disjoint colours never get one of those pages */
    for (unsigned c = 8; c < 32; c++)
        other[c] = true;
    CHECK_EQ(colour_assign(&g, other, 0x48000000, 0x48400000, 1u << 20, runs, 64, &n, &top), 0);
    for (unsigned i = 0; i < n; i++)
        for (uint64_t p = runs[i].phys; p < runs[i].phys + runs[i].size; p += 4096)
            CHECK(!mask[colour_of(&g, p)]);
    /* too little of those colours in the range, too many runs, misaligned */
    CHECK_EQ(colour_assign(&g, mask, 0x48000000, 0x48020000, 32u << 10, runs, 64, &n, &top), -1);
    CHECK_EQ(colour_assign(&g, mask, 0x48000000, 0x48400000, 256u << 10, runs, 8, &n, &top), -1);
    CHECK_EQ(colour_assign(&g, mask, 0x48000100, 0x48400000, 16u << 10, runs, 64, &n, &top), -1);
    CHECK_EQ(colour_assign(&g, mask, 0x48000000, 0x48400000, 100, runs, 64, &n, &top), -1);
}
