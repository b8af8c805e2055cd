/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <svmm/virtio_mmio.h>
#include <svmm/virtio_rng.h>
#include "fake_guest.h"
#include "test.h"

#define STATUS_UP (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)

static struct fake_guest g;
static struct virtio_rng rng;
static struct virtio_mmio t;
static bool irq_level;
static size_t limit; /* bytes the fake source still has */

static size_t counting_fill(void *ctx, uint8_t *buf, size_t len)
{
    uint8_t *next = ctx;

    if (len > limit)
        len = limit;
    for (size_t i = 0; i < len; i++)
        buf[i] = (*next)++;
    limit -= len;
    return len;
}

static uint8_t counter;
static void irq(void *ctx, uint32_t n, bool level) { (void)ctx; (void)n; irq_level = level; }
static void wr(uint64_t off, uint32_t v) { virtio_mmio_ops.write(&t, 0, off, 4, v); }

static void setup(void)
{
    const struct virtio_rng_backend be = { counting_fill, &counter };
    const uint64_t f = 1ull << VIRTIO_F_VERSION_1;

    fg_init(&g, 16);
    counter = 1;
    limit = ~(size_t)0;
    irq_level = false;
    virtio_rng_init(&rng, &be);
    virtio_mmio_init(&t, &rng.dev, &g.mem, irq, NULL, 16);
    fg_negotiate(&t, f);
    wr(0x030, 0);
    wr(0x038, 16);
    wr(0x080, (uint32_t)FG_DESC);
    wr(0x090, (uint32_t)FG_AVAIL);
    wr(0x0a0, (uint32_t)FG_USED);
    wr(0x044, 1);
    wr(0x070, STATUS_UP);
}

TEST(rng_identifies_and_fills_writable_buffers)
{
    setup();
    CHECK_EQ(virtio_mmio_ops.read(&t, 0, 0x008, 4), VIRTIO_ID_RNG);
    fg_desc(&g, FG_DESC, 0, FG_BUF, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    fg_desc(&g, FG_DESC, 1, FG_BUF + 0x100, 4, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(&g, 0);
    fg_desc(&g, FG_DESC, 2, FG_BUF + 0x200, 3, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(&g, 2);
    wr(0x050, 0);
    CHECK_EQ(fg_used_idx(&g), 2);
    CHECK_EQ(fg_used_len(&g, 0), 12);
    CHECK_EQ(fg_used_len(&g, 1), 3);
    CHECK_EQ(*fg_ptr(&g, FG_BUF), 1);
    CHECK_EQ(*fg_ptr(&g, FG_BUF + 7), 8);
    CHECK_EQ(*fg_ptr(&g, FG_BUF + 0x100), 9);
    CHECK_EQ(*fg_ptr(&g, FG_BUF + 0x202), 15);
    CHECK_EQ(rng.bytes, 15);
    CHECK(irq_level);
    fg_free(&g);
}

TEST(rng_large_request_answered_in_part_and_dry_source)
{
    setup();
    fg_desc(&g, FG_DESC, 0, FG_BUF, 3 * VIRTIO_RNG_MAX_FILL, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(&g, 0);
    wr(0x050, 0);
    CHECK_EQ(fg_used_len(&g, 0), VIRTIO_RNG_MAX_FILL);
    limit = 5;
    fg_publish(&g, 0);
    wr(0x050, 0);
    CHECK_EQ(fg_used_len(&g, 1), 5);
    fg_publish(&g, 0);
    wr(0x050, 0);
    CHECK_EQ(fg_used_len(&g, 2), 0); /* nothing available: returned empty, the driver retries */
    fg_free(&g);
}

TEST(rng_readable_buffers_are_not_filled)
{
    setup();
    memset(fg_ptr(&g, FG_BUF), 0xaa, 16);
    fg_desc(&g, FG_DESC, 0, FG_BUF, 16, 0, 0);
    fg_publish(&g, 0);
    wr(0x050, 0);
    CHECK_EQ(fg_used_idx(&g), 1);
    CHECK_EQ(fg_used_len(&g, 0), 0);
    CHECK_EQ(*fg_ptr(&g, FG_BUF + 5), 0xaa);
    fg_free(&g);
}

TEST(rng_chacha20_matches_rfc8439_and_is_deterministic)
{
    static const uint8_t want[16] = { 0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15,
                                      0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4 };
    static const uint8_t want_tail[4] = { 0xa2, 0x50, 0x3c, 0x4e };
    const uint32_t nonce[3] = { 0x09000000, 0x4a000000, 0 };
    uint8_t seed[32], out[64], a[100], b[100];
    uint32_t key[8];
    struct chacha20_rng c1, c2;

    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)i;
    memcpy(key, seed, 32); /* little-endian host */
    chacha20_block(key, 1, nonce, out); /* RFC 8439 2.3.2 */
    CHECK(memcmp(out, want, 16) == 0);
    CHECK(memcmp(out + 60, want_tail, 4) == 0);
    chacha20_rng_init(&c1, seed);
    chacha20_rng_init(&c2, seed);
    CHECK_EQ(chacha20_rng_fill(&c1, a, 30), 30);
    CHECK_EQ(chacha20_rng_fill(&c1, a + 30, 70), 70);
    CHECK_EQ(chacha20_rng_fill(&c2, b, 100), 100);
    CHECK(memcmp(a, b, 100) == 0); /* same seed, same stream, however it is split */
    chacha20_block(key, 1, (const uint32_t[3]){ 0, 0, 0 }, out);
    CHECK(memcmp(b + 64, out, 36) == 0); /* block 1 follows block 0 */
    seed[0] ^= 1;
    chacha20_rng_init(&c2, seed);
    chacha20_rng_fill(&c2, b, 100);
    CHECK(memcmp(a, b, 100) != 0);
}
