/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <svmm/virtio_console.h>
#include <svmm/virtio_mmio.h>
#include "fake_guest.h"
#include "test.h"

#define F_EMERG_WRITE 2

static struct fake_guest g;
static struct virtio_console con;
static struct virtio_mmio t;
static char out[256];
static size_t nout;
static bool irq_level;

static void con_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len && nout < sizeof(out) - 1; i++)
        out[nout++] = (char)buf[i];
}

static void irq(void *ctx, uint32_t n, bool level) { (void)ctx; (void)n; irq_level = level; }

static uint32_t rd(uint64_t off) { return (uint32_t)virtio_mmio_ops.read(&t, 0, off, 4); }
static void wr(uint64_t off, uint32_t v) { virtio_mmio_ops.write(&t, 0, off, 4, v); }

static void setup(void)
{
    const struct virtio_console_backend be = { con_write, NULL };

    fg_init(&g, 16);
    nout = 0;
    memset(out, 0, sizeof(out));
    irq_level = false;
    virtio_console_init(&con, &be);
    virtio_mmio_init(&t, &con.dev, &g.mem, irq, NULL, 16);
}

/* Program queue `q` at the fake guest's ring addresses. */
static void setup_queue(unsigned q, uint64_t ring_offset)
{
    wr(0x030, q);
    wr(0x038, 16);
    wr(0x080, (uint32_t)(FG_DESC + ring_offset));
    wr(0x084, 0);
    wr(0x090, (uint32_t)(FG_AVAIL + ring_offset));
    wr(0x094, 0);
    wr(0x0a0, (uint32_t)(FG_USED + ring_offset));
    wr(0x0a4, 0);
    wr(0x044, 1);
}


#define STATUS_UP (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK)

TEST(vmmio_identifies_device)
{
    setup();
    CHECK_EQ(rd(0x000), 0x74726976);
    CHECK_EQ(rd(0x004), 2);
    CHECK_EQ(rd(0x008), VIRTIO_ID_CONSOLE);
    wr(0x014, 1);
    CHECK_EQ(rd(0x010), 1); /* VERSION_1 is bit 32 */
    wr(0x014, 7);
    CHECK_EQ(rd(0x010), 0);
    CHECK_EQ(rd(0x0b0), 0xffffffff); /* no shared memory */
    wr(0x030, 0);
    CHECK_EQ(rd(0x034), VIRTQ_MAX_SIZE);
    wr(0x030, 2);
    CHECK_EQ(rd(0x034), 0); /* nonexistent queue */
    CHECK_EQ(virtio_mmio_ops.read(&t, 0, 0x104, 4), 1); /* max_nr_ports */
    fg_free(&g);
}

TEST(vmmio_rejects_unoffered_features_and_missing_version_1)
{
    setup();
    fg_negotiate(&t, 1ull << VIRTIO_F_VERSION_1 | 1ull << 40);
    CHECK_EQ(rd(0x070) & VIRTIO_STATUS_FEATURES_OK, 0);
    wr(0x070, 0);
    fg_negotiate(&t, 1ull << VIRTIO_F_EVENT_IDX);
    CHECK_EQ(rd(0x070) & VIRTIO_STATUS_FEATURES_OK, 0);
    wr(0x070, 0);
    fg_negotiate(&t, 1ull << VIRTIO_F_VERSION_1);
    CHECK(rd(0x070) & VIRTIO_STATUS_FEATURES_OK);
    fg_free(&g);
}

TEST(vmmio_ignores_queue_setup_before_features_ok)
{
    setup();
    wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    setup_queue(1, 0);
    CHECK_EQ(rd(0x044), 0);
    CHECK_EQ(con.dev.queues[1].num, 0);
    fg_free(&g);
}

TEST(vmmio_ignores_feature_and_queue_writes_after_negotiation)
{
    setup();
    fg_negotiate(&t, 1ull << VIRTIO_F_VERSION_1);
    wr(0x024, 0);
    wr(0x020, 1u << VIRTIO_F_EVENT_IDX);
    CHECK(!virtio_has_feature(&con.dev, VIRTIO_F_EVENT_IDX));
    setup_queue(1, 0);
    wr(0x070, STATUS_UP);
    wr(0x038, 4); /* resize an enabled queue: forbidden */
    CHECK_EQ(con.dev.queues[1].num, 16);
    wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE); /* clearing bits is not a reset */
    CHECK_EQ(rd(0x070), STATUS_UP);
    fg_free(&g);
}

TEST(vmmio_driver_ok_requires_features_ok)
{
    setup();
    fg_negotiate(&t, 1ull << VIRTIO_F_VERSION_1);
    CHECK(!con.dev.driver_ok);
    wr(0x070, STATUS_UP);
    CHECK(con.dev.driver_ok); /* devices may use buffers only from here on */
    wr(0x070, 0);
    CHECK(!con.dev.driver_ok);
    wr(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
    CHECK_EQ(rd(0x070) & VIRTIO_STATUS_DRIVER_OK, 0);
    fg_free(&g);
}

TEST(vmmio_console_transmits_and_interrupts)
{
    setup();
    fg_negotiate(&t, 1ull << VIRTIO_F_VERSION_1);
    setup_queue(1, 0);
    wr(0x070, STATUS_UP);
    memcpy(fg_ptr(&g, FG_BUF), "hello hvc0", 10);
    fg_desc(&g, FG_DESC, 0, FG_BUF, 10, 0, 0);
    fg_publish(&g, 0);
    wr(0x050, 1);
    CHECK(strcmp(out, "hello hvc0") == 0);
    CHECK_EQ(fg_used_idx(&g), 1);
    CHECK_EQ(rd(0x060), VIRTIO_ISR_USED);
    CHECK(irq_level);
    wr(0x064, VIRTIO_ISR_USED);
    CHECK_EQ(rd(0x060), 0);
    CHECK(!irq_level);
    fg_free(&g);
}

TEST(vmmio_console_receives_input)
{
    setup();
    fg_negotiate(&t, 1ull << VIRTIO_F_VERSION_1);
    setup_queue(0, 0);
    wr(0x070, STATUS_UP);
    CHECK(virtio_console_input_ready(&con));
    CHECK_EQ(virtio_console_input(&con, (const uint8_t *)"ls\n", 3), 0); /* no buffers yet */
    fg_desc(&g, FG_DESC, 0, FG_BUF, 2, VIRTQ_DESC_F_WRITE, 0);
    fg_desc(&g, FG_DESC, 1, FG_BUF + 0x100, 64, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(&g, 0);
    fg_publish(&g, 1);
    CHECK_EQ(virtio_console_input(&con, (const uint8_t *)"ls\n", 3), 3);
    CHECK(memcmp(fg_ptr(&g, FG_BUF), "ls", 2) == 0);
    CHECK_EQ(*fg_ptr(&g, FG_BUF + 0x100), '\n');
    CHECK_EQ(fg_used_len(&g, 0), 2);
    CHECK_EQ(fg_used_len(&g, 1), 1);
    CHECK(irq_level);
    fg_free(&g);
}

TEST(vmmio_bad_descriptor_sets_needs_reset_and_reset_recovers)
{
    setup();
    fg_negotiate(&t, 1ull << VIRTIO_F_VERSION_1);
    setup_queue(1, 0);
    wr(0x070, STATUS_UP);
    fg_desc(&g, FG_DESC, 0, 0x1, 10, 0, 0); /* outside guest RAM */
    fg_publish(&g, 0);
    wr(0x050, 1);
    CHECK(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
    CHECK(rd(0x060) & VIRTIO_ISR_CONFIG);
    CHECK_EQ(rd(0x0fc), 1); /* config generation bumped */
    CHECK_EQ(nout, 0);
    wr(0x050, 1); /* further notifies are ignored while broken */
    wr(0x070, 0);
    CHECK_EQ(rd(0x070), 0);
    CHECK_EQ(rd(0x060), 0);
    CHECK(!irq_level);
    CHECK(!con.dev.queues[1].ready);
    g.avail_idx = 0;
    fg_negotiate(&t, 1ull << VIRTIO_F_VERSION_1);
    setup_queue(1, 0);
    wr(0x070, STATUS_UP);
    memcpy(fg_ptr(&g, FG_BUF), "ok", 2);
    fg_desc(&g, FG_DESC, 0, FG_BUF, 2, 0, 0);
    memset(fg_ptr(&g, FG_AVAIL), 0, 64);
    memset(fg_ptr(&g, FG_USED), 0, 256);
    fg_publish(&g, 0);
    wr(0x050, 1);
    CHECK(strcmp(out, "ok") == 0);
    fg_free(&g);
}

TEST(vmmio_bad_ring_address_sets_needs_reset)
{
    setup();
    fg_negotiate(&t, 1ull << VIRTIO_F_VERSION_1);
    wr(0x030, 1);
    wr(0x038, 16);
    wr(0x080, 0x10); /* descriptor table outside RAM */
    wr(0x044, 1);
    CHECK_EQ(rd(0x044), 1); /* reads the last value written (VirtIO 1.2, 4.2.2)... */
    CHECK(rd(0x070) & VIRTIO_STATUS_NEEDS_RESET);
    CHECK(!con.dev.queues[1].ready); /* ...but the device never uses the queue */
    wr(0x070, rd(0x070) | VIRTIO_STATUS_DRIVER_OK);
    fg_desc(&g, FG_DESC, 0, FG_BUF, 4, 0, 0);
    fg_publish(&g, 0);
    wr(0x050, 1);
    CHECK_EQ(nout, 0);
    wr(0x030, 0); /* another queue reads its own register */
    CHECK_EQ(rd(0x044), 0);
    wr(0x030, 1);
    CHECK_EQ(rd(0x044), 1);
    wr(0x070, 0); /* reset clears it */
    CHECK_EQ(rd(0x044), 0);
    fg_free(&g);
}

TEST(vmmio_ignores_wrong_size_and_unknown_accesses)
{
    setup();
    CHECK_EQ(virtio_mmio_ops.read(&t, 0, 0x000, 2), 0);
    CHECK_EQ(virtio_mmio_ops.read(&t, 0, 0x002, 4), 0);
    CHECK_EQ(virtio_mmio_ops.read(&t, 0, 0x0e0, 4), 0);
    virtio_mmio_ops.write(&t, 0, 0x070, 1, VIRTIO_STATUS_ACKNOWLEDGE);
    CHECK_EQ(rd(0x070), 0);
    wr(0x000, 5); /* read-only */
    CHECK_EQ(rd(0x000), 0x74726976);
    CHECK_EQ(virtio_mmio_ops.read(&t, 0, 0x100 + 12, 4), 0); /* past the config space */
    CHECK_EQ(virtio_mmio_ops.read(&t, 0, 0x100 + 1, 2), 0);  /* misaligned config read */
    CHECK_EQ(virtio_mmio_ops.read(&t, 0, 0x100 + 4, 1), 1);
    /* Config accesses are 1, 2 or 4 bytes inside the config space whatever the caller passes (the
     * bus only passes 1/2/4/8-byte accesses inside the window; the proved check does not rely on it). */
    CHECK_EQ(virtio_mmio_ops.read(&t, 0, ~0ull - 3, 4), 0);
    CHECK_EQ(virtio_mmio_ops.read(&t, 0, 0x100 + 4, 3), 0); /* not a field width */
    wr(0x050, 0); /* notify before DRIVER_OK */
    wr(0x050, 99);
    CHECK_EQ(con.dev.notifies, 0);
    fg_free(&g);
}

TEST(vmmio_console_emergency_write)
{
    setup();
    fg_negotiate(&t, 1ull << VIRTIO_F_VERSION_1 | 1ull << F_EMERG_WRITE);
    virtio_mmio_ops.write(&t, 0, 0x100 + 8, 4, '!');
    CHECK(strcmp(out, "!") == 0);
    fg_free(&g);
}
