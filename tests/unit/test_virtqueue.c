/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include "fake_guest.h"
#include "test.h"

#define ALL_FEATURES (1ull << VIRTIO_F_INDIRECT_DESC | 1ull << VIRTIO_F_EVENT_IDX | 1ull << VIRTIO_F_VERSION_1)
#define IND (FG_BUF + 0x8000) /* an indirect table */

static struct fake_guest g;
static struct virtq q;
static struct virtq_chain c;

static void setup(uint64_t features)
{
    fg_init(&g, 16);
    CHECK_EQ(fg_enable(&g, &q, features), VIRTQ_OK);
}

/* Pop one chain and expect error `err`; the queue then stays broken. */
static void expect_error(int err)
{
    CHECK_EQ(virtq_pop(&q, &c), err);
    CHECK_EQ(virtq_pop(&q, &c), err);
    CHECK(!virtq_has_avail(&q));
    fg_free(&g);
}

TEST(vq_pops_direct_chain_in_order)
{
    uint8_t data[8];

    setup(ALL_FEATURES);
    memcpy(fg_ptr(&g, FG_BUF), "hello", 5);
    fg_desc(&g, FG_DESC, 3, FG_BUF, 5, VIRTQ_DESC_F_NEXT, 7);
    fg_desc(&g, FG_DESC, 7, FG_BUF + 0x100, 4, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    fg_desc(&g, FG_DESC, 1, FG_BUF + 0x200, 4, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(&g, 3);
    CHECK(virtq_has_avail(&q));
    CHECK_EQ(virtq_pop(&q, &c), 1);
    CHECK_EQ(c.head, 3);
    CHECK_EQ(c.n_out, 1);
    CHECK_EQ(c.n_in, 2);
    CHECK_EQ(c.out_len, 5);
    CHECK_EQ(c.in_len, 8);
    CHECK_EQ(virtq_chain_read(&c, 1, data, 8), 4);
    CHECK(memcmp(data, "ello", 4) == 0);
    CHECK_EQ(virtq_chain_write(&c, 2, "ABCDEFGH", 8), 6); /* spans both writable buffers */
    CHECK(memcmp(fg_ptr(&g, FG_BUF + 0x102), "AB", 2) == 0);
    CHECK(memcmp(fg_ptr(&g, FG_BUF + 0x200), "CDEF", 4) == 0);
    CHECK_EQ(virtq_push(&q, c.head, 6), VIRTQ_OK);
    CHECK_EQ(fg_used_idx(&g), 1);
    CHECK_EQ(fg_used_len(&g, 0), 6);
    CHECK_EQ(virtq_pop(&q, &c), 0);
    fg_free(&g);
}

TEST(vq_pops_indirect_chain)
{
    setup(ALL_FEATURES);
    fg_desc(&g, IND, 0, FG_BUF, 16, VIRTQ_DESC_F_NEXT, 2);
    fg_desc(&g, IND, 2, FG_BUF + 0x100, 32, VIRTQ_DESC_F_WRITE, 0);
    fg_desc(&g, FG_DESC, 5, IND, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    fg_publish(&g, 5);
    CHECK_EQ(virtq_pop(&q, &c), 1);
    CHECK_EQ(c.head, 5);
    CHECK_EQ(c.out_len, 16);
    CHECK_EQ(c.in_len, 32);
    fg_free(&g);
}

TEST(vq_rejects_head_out_of_range)
{
    setup(ALL_FEATURES);
    fg_publish(&g, 16);
    expect_error(VIRTQ_E_HEAD);
}

TEST(vq_rejects_next_out_of_range)
{
    setup(ALL_FEATURES);
    fg_desc(&g, FG_DESC, 0, FG_BUF, 4, VIRTQ_DESC_F_NEXT, 16);
    fg_publish(&g, 0);
    expect_error(VIRTQ_E_NEXT);
}

TEST(vq_rejects_descriptor_loop)
{
    setup(ALL_FEATURES);
    fg_desc(&g, FG_DESC, 0, FG_BUF, 4, VIRTQ_DESC_F_NEXT, 1);
    fg_desc(&g, FG_DESC, 1, FG_BUF, 4, VIRTQ_DESC_F_NEXT, 0);
    fg_publish(&g, 0);
    expect_error(VIRTQ_E_LOOP);
}

TEST(vq_rejects_self_loop_in_indirect_table)
{
    setup(ALL_FEATURES);
    fg_desc(&g, IND, 0, FG_BUF, 4, VIRTQ_DESC_F_NEXT, 0);
    fg_desc(&g, FG_DESC, 0, IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
    fg_publish(&g, 0);
    expect_error(VIRTQ_E_LOOP);
}

/* An indirect table as long as the queue is a valid chain (Linux virtio-blk: seg_max + 2 == num); one more is not. */
TEST(vq_indirect_table_of_queue_size)
{
    setup(ALL_FEATURES);
    for (uint16_t i = 0; i < 16; i++)
        fg_desc(&g, IND, i, FG_BUF, 4, i < 15 ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
    fg_desc(&g, FG_DESC, 0, IND, 16 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    fg_publish(&g, 0);
    CHECK_EQ(virtq_pop(&q, &c), 1);
    CHECK_EQ(c.n_out, 16);
    fg_free(&g);
    setup(ALL_FEATURES);
    for (uint16_t i = 0; i < 17; i++)
        fg_desc(&g, IND, i, FG_BUF, 4, i < 16 ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
    fg_desc(&g, FG_DESC, 0, IND, 16 * 17, VIRTQ_DESC_F_INDIRECT, 0);
    fg_publish(&g, 0);
    expect_error(VIRTQ_E_LOOP);
}

TEST(vq_rejects_indirect_when_not_negotiated)
{
    setup(1ull << VIRTIO_F_VERSION_1);
    fg_desc(&g, IND, 0, FG_BUF, 4, 0, 0);
    fg_desc(&g, FG_DESC, 0, IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
    fg_publish(&g, 0);
    expect_error(VIRTQ_E_INDIRECT);
}

TEST(vq_rejects_indirect_with_next)
{
    setup(ALL_FEATURES);
    fg_desc(&g, IND, 0, FG_BUF, 4, 0, 0);
    fg_desc(&g, FG_DESC, 0, IND, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
    fg_publish(&g, 0);
    expect_error(VIRTQ_E_INDIRECT);
}

TEST(vq_rejects_nested_indirect)
{
    setup(ALL_FEATURES);
    fg_desc(&g, IND, 0, IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
    fg_desc(&g, FG_DESC, 0, IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
    fg_publish(&g, 0);
    expect_error(VIRTQ_E_INDIRECT);
}

TEST(vq_rejects_indirect_after_direct)
{
    setup(ALL_FEATURES);
    fg_desc(&g, IND, 0, FG_BUF, 4, 0, 0);
    fg_desc(&g, FG_DESC, 0, FG_BUF, 4, VIRTQ_DESC_F_NEXT, 1);
    fg_desc(&g, FG_DESC, 1, IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
    fg_publish(&g, 0);
    expect_error(VIRTQ_E_INDIRECT);
}

TEST(vq_rejects_bad_indirect_lengths)
{
    const uint32_t bad[] = { 0, 15, 17, (VIRTQ_MAX_SIZE + 1) * 16 };

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setup(ALL_FEATURES);
        fg_desc(&g, FG_DESC, 0, IND, bad[i], VIRTQ_DESC_F_INDIRECT, 0);
        fg_publish(&g, 0);
        expect_error(VIRTQ_E_INDIRECT_LEN);
    }
}

TEST(vq_rejects_indirect_table_outside_ram_or_misaligned)
{
    setup(ALL_FEATURES);
    fg_desc(&g, FG_DESC, 0, FG_BASE + FG_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
    fg_publish(&g, 0);
    expect_error(VIRTQ_E_ADDR);
    setup(ALL_FEATURES);
    fg_desc(&g, FG_DESC, 0, IND + 8, 16, VIRTQ_DESC_F_INDIRECT, 0);
    fg_publish(&g, 0);
    expect_error(VIRTQ_E_ADDR);
}

TEST(vq_rejects_buffers_outside_ram)
{
    const uint64_t addrs[] = { 0, FG_BASE - 1, FG_BASE + FG_SIZE - 2, ~0ull - 1 };

    for (unsigned i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        setup(ALL_FEATURES);
        fg_desc(&g, FG_DESC, 0, addrs[i], 4, 0, 0);
        fg_publish(&g, 0);
        expect_error(VIRTQ_E_ADDR);
    }
}

TEST(vq_rejects_device_writes_to_read_only_memory)
{
    static uint8_t rom[4096] __attribute__((aligned(16)));

    setup(ALL_FEATURES);
    svmm_memmap_add(&g.mem, 0x10000000, sizeof(rom), rom, SVMM_MEM_RAM | SVMM_MEM_RO);
    fg_desc(&g, FG_DESC, 0, 0x10000000, 4, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(&g, 0);
    expect_error(VIRTQ_E_ADDR);
}

TEST(vq_rejects_readable_after_writable)
{
    setup(ALL_FEATURES);
    fg_desc(&g, FG_DESC, 0, FG_BUF, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    fg_desc(&g, FG_DESC, 1, FG_BUF, 4, 0, 0);
    fg_publish(&g, 0);
    expect_error(VIRTQ_E_ORDER);
}

TEST(vq_rejects_oversized_chain)
{
    setup(ALL_FEATURES);
    fg_desc(&g, FG_DESC, 0, FG_BUF, 0xf0000000u, VIRTQ_DESC_F_NEXT, 1);
    fg_desc(&g, FG_DESC, 1, FG_BUF, 0xf0000000u, 0, 0);
    fg_publish(&g, 0);
    expect_error(VIRTQ_E_TOO_BIG);
}

TEST(vq_rejects_avail_index_jump)
{
    setup(ALL_FEATURES);
    fg_desc(&g, FG_DESC, 0, FG_BUF, 4, 0, 0);
    fg_publish(&g, 0);
    g.avail_idx = 100;
    fg_publish(&g, 0); /* avail->idx now 101 with 0 consumed: more than the queue holds */
    expect_error(VIRTQ_E_AVAIL_IDX);
}

/* A 16-entry queue whose every slot the driver published and the device popped (none pushed yet). */
static void setup_and_hold_all(void)
{
    setup(ALL_FEATURES);
    for (uint16_t i = 0; i < 16; i++) {
        fg_desc(&g, FG_DESC, i, FG_BUF + 16u * i, 4, 0, 0);
        fg_publish(&g, i);
    }
    for (uint16_t i = 0; i < 16; i++)
        CHECK_EQ(virtq_pop(&q, &c), 1);
}

/*
 * A hostile driver refills the ring while the device holds every chain (a receive frame spread over
 * all buffers): the queue must never have more than num chains in flight, or per-queue arrays of
 * VIRTQ_MAX_SIZE entries overflow.
 */
TEST(vq_never_more_than_num_chains_in_flight)
{
    setup_and_hold_all();
    CHECK_EQ(q.in_flight, 16);
    CHECK_EQ(virtq_pop(&q, &c), 0); /* all held, none new */
    fg_publish(&g, 0);              /* a 17th outstanding buffer: the driver owns no free slot */
    expect_error(VIRTQ_E_AVAIL_IDX);
}

TEST(vq_refill_after_push_is_accepted)
{
    setup_and_hold_all();
    CHECK_EQ(virtq_push(&q, 3, 0), VIRTQ_OK); /* one slot back to the driver... */
    fg_publish(&g, 3);                        /* ...which it may reuse at once */
    CHECK_EQ(virtq_pop(&q, &c), 1);
    CHECK_EQ(c.head, 3);
    CHECK_EQ(q.in_flight, 16);
    fg_publish(&g, 4); /* but not twice */
    expect_error(VIRTQ_E_AVAIL_IDX);
}

TEST(vq_push_rejects_heads_not_in_flight)
{
    setup(ALL_FEATURES);
    CHECK_EQ(virtq_push(&q, 0, 0), VIRTQ_E_USED);
    fg_free(&g);
    setup(ALL_FEATURES);
    fg_desc(&g, FG_DESC, 0, FG_BUF, 4, 0, 0);
    fg_publish(&g, 0);
    CHECK_EQ(virtq_pop(&q, &c), 1);
    CHECK_EQ(virtq_push(&q, 16, 0), VIRTQ_E_USED);
    fg_free(&g);
}

TEST(vq_enable_validates_rings)
{
    struct virtq bad;

    fg_init(&g, 16);
    CHECK_EQ(fg_enable(&g, &q, 0), VIRTQ_OK);
    g.num = 0;
    CHECK_EQ(fg_enable(&g, &bad, 0), VIRTQ_E_RING);
    g.num = 12; /* not a power of two */
    CHECK_EQ(fg_enable(&g, &bad, 0), VIRTQ_E_RING);
    g.num = VIRTQ_MAX_SIZE * 2;
    CHECK_EQ(fg_enable(&g, &bad, 0), VIRTQ_E_RING);
    g.num = 16;
    virtq_reset(&bad);
    bad.num = 16;
    bad.desc_gpa = FG_DESC + 8; /* misaligned */
    bad.avail_gpa = FG_AVAIL;
    bad.used_gpa = FG_USED;
    CHECK_EQ(virtq_enable(&bad, &g.mem, 0), VIRTQ_E_RING);
    CHECK(!bad.ready);
    bad.desc_gpa = FG_DESC;
    bad.used_gpa = FG_BASE + FG_SIZE - 64; /* runs off the end of RAM */
    CHECK_EQ(virtq_enable(&bad, &g.mem, 0), VIRTQ_E_RING);
    CHECK_EQ(virtq_pop(&bad, &c), VIRTQ_E_NOT_READY);
    fg_free(&g);
}

TEST(vq_event_idx_suppresses_interrupts)
{
    uint8_t *used_event;

    setup(ALL_FEATURES);
    used_event = fg_ptr(&g, FG_AVAIL + 4 + 2 * 16);
    for (uint16_t i = 0; i < 3; i++) {
        fg_desc(&g, FG_DESC, i, FG_BUF, 4, 0, 0);
        fg_publish(&g, i);
    }
    used_event[0] = 1; /* driver wants an interrupt once used->idx passes 1 */
    CHECK_EQ(virtq_pop(&q, &c), 1);
    CHECK_EQ(virtq_push(&q, c.head, 0), VIRTQ_OK);
    CHECK(!virtq_should_interrupt(&q, 0)); /* used idx 1: not past event 1 yet */
    CHECK_EQ(virtq_pop(&q, &c), 1);
    CHECK_EQ(virtq_push(&q, c.head, 0), VIRTQ_OK);
    CHECK(virtq_should_interrupt(&q, 1));
    CHECK(virtq_arm_notify(&q)); /* one more buffer is waiting */
    CHECK_EQ(fg_ptr(&g, FG_USED + 4 + 8 * 16)[0], 2); /* avail_event = next index we will read */
    fg_free(&g);
}

TEST(vq_no_interrupt_flag_without_event_idx)
{
    setup(1ull << VIRTIO_F_VERSION_1);
    fg_desc(&g, FG_DESC, 0, FG_BUF, 4, 0, 0);
    fg_publish(&g, 0);
    fg_ptr(&g, FG_AVAIL)[0] = 1; /* VIRTQ_AVAIL_F_NO_INTERRUPT */
    CHECK_EQ(virtq_pop(&q, &c), 1);
    CHECK_EQ(virtq_push(&q, c.head, 0), VIRTQ_OK);
    CHECK(!virtq_should_interrupt(&q, 0));
    fg_ptr(&g, FG_AVAIL)[0] = 0;
    CHECK(virtq_should_interrupt(&q, 0));
    fg_free(&g);
}

TEST(vq_zero_length_buffers_are_skipped)
{
    setup(ALL_FEATURES);
    fg_desc(&g, FG_DESC, 0, 0xdead0000, 0, VIRTQ_DESC_F_NEXT, 1);
    fg_desc(&g, FG_DESC, 1, FG_BUF, 8, 0, 0);
    fg_publish(&g, 0);
    CHECK_EQ(virtq_pop(&q, &c), 1);
    CHECK_EQ(c.n_out, 1);
    CHECK_EQ(c.out_len, 8);
    fg_free(&g);
}

TEST(vq_unpop_returns_chains_to_the_ring)
{
    setup(ALL_FEATURES);
    for (uint16_t i = 0; i < 2; i++) {
        fg_desc(&g, FG_DESC, i, FG_BUF, 4, VIRTQ_DESC_F_WRITE, 0);
        fg_publish(&g, i);
    }
    CHECK_EQ(virtq_pop(&q, &c), 1);
    CHECK_EQ(virtq_pop(&q, &c), 1);
    virtq_unpop(&q, 2);
    CHECK(virtq_has_avail(&q));
    CHECK_EQ(virtq_pop(&q, &c), 1);
    CHECK_EQ(c.head, 0); /* the same chains again, in order */
    CHECK_EQ(virtq_push(&q, c.head, 4), VIRTQ_OK);
    virtq_unpop(&q, 5); /* more than in flight (none now): clamped, nothing pushed is undone */
    CHECK_EQ(virtq_pop(&q, &c), 1);
    CHECK_EQ(c.head, 1);
    CHECK_EQ(virtq_pop(&q, &c), 0);
    fg_free(&g);
}

TEST(vq_strerror_names_every_error)
{
    for (int e = 0; e >= VIRTQ_E_USED; e--)
        CHECK(strcmp(virtq_strerror(e), "unknown") != 0);
    CHECK(strcmp(virtq_strerror(-100), "unknown") == 0);
    CHECK(strcmp(virtq_strerror(5), "unknown") == 0);
}
