/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-console multiport: queue layout, the control protocol and every validation rule. */
#include <stdlib.h>
#include <svmm/virtio_console.h>
#include "cli.h"
#include "fake_guest.h"
#include "test.h"
#include <svmm/le.h>

#define NQ 6 /* port 0 rx/tx, control rx/tx, port 1 rx/tx */
#define CTRL_BUF(i) (FG_BUF + 0x100ull * (i))

static struct fake_guest gq[NQ];
static struct virtio_console con;
static char out[2][256];
static size_t nout[2];
static unsigned needs_reset_calls, irqs;
static uint16_t ctrl_seen, ctrl_tx_n;

static void port_write(void *ctx, const uint8_t *buf, size_t len)
{
    unsigned port = (unsigned)(uintptr_t)ctx;
    for (size_t i = 0; i < len && nout[port] < sizeof(out[port]) - 1; i++)
        out[port][nout[port]++] = (char)buf[i];
}

static void tr_irq(void *ctx, uint32_t bits) { (void)ctx; (void)bits; irqs++; }
static void tr_needs_reset(void *ctx) { (void)ctx; needs_reset_calls++; }

/* A console with port 0 and, if `named`, port 1 "org.test.log"; the driver accepts `features`. */
static void setup(bool named, bool offer_multiport, uint64_t features)
{
    const struct virtio_console_backend be0 = { port_write, (void *)0 }, be1 = { port_write, (void *)1 };

    memset(out, 0, sizeof(out));
    nout[0] = nout[1] = 0;
    needs_reset_calls = irqs = 0;
    ctrl_seen = ctrl_tx_n = 0;
    virtio_console_init(&con, &be0);
    if (offer_multiport)
        virtio_console_offer_multiport(&con);
    if (named)
        CHECK_EQ(virtio_console_add_port(&con, "org.test.log", &be1), 1);
    con.dev.transport = (struct virtio_transport){ tr_irq, tr_needs_reset, NULL };
    con.dev.driver_features = features & con.dev.device_features;
    for (unsigned i = 0; i < NQ; i++) {
        fg_init(&gq[i], 16);
        if (i < con.dev.num_queues)
            CHECK_EQ(fg_enable(&gq[i], &con.dev.queues[i], con.dev.driver_features), 0);
    }
}

static void teardown(void)
{
    for (unsigned i = 0; i < NQ; i++)
        fg_free(&gq[i]);
}

#define MP (1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_CONSOLE_F_MULTIPORT)

/* The driver posts `n` 128-byte control receive buffers. */
static void post_ctrl_rx(unsigned n)
{
    struct fake_guest *g = &gq[VIRTIO_CONSOLE_CTRL_RXQ];
    for (unsigned k = 0; k < n; k++) {
        uint16_t i = (uint16_t)(g->avail_idx % 16);
        fg_desc(g, FG_DESC, i, CTRL_BUF(i), 128, VIRTQ_DESC_F_WRITE, 0);
        fg_publish(g, i);
    }
    con.dev.ops->queue_notify(&con.dev, VIRTIO_CONSOLE_CTRL_RXQ);
}

/* The driver sends a control message of `len` bytes (8 is right) on the control tx queue. */
static void send_ctrl_len(uint32_t id, uint16_t event, uint16_t value, uint32_t len)
{
    struct fake_guest *g = &gq[VIRTIO_CONSOLE_CTRL_TXQ];
    uint16_t d = (uint16_t)(ctrl_tx_n++ % 16);
    uint8_t *m = fg_ptr(g, CTRL_BUF(d));

    memset(m, 0, 16);
    le_put(m, id, 4);
    le_put(m + 4, event, 2);
    le_put(m + 6, value, 2);
    fg_desc(g, FG_DESC, d, CTRL_BUF(d), len, 0, 0);
    fg_publish(g, d);
    con.dev.ops->queue_notify(&con.dev, VIRTIO_CONSOLE_CTRL_TXQ);
}

static void send_ctrl(uint32_t id, uint16_t event, uint16_t value)
{
    send_ctrl_len(id, event, value, VIRTIO_CONSOLE_CTRL_SIZE);
}

struct ctrl { uint32_t id; uint16_t event, value; char name[80]; };

/* Next control message the device delivered; false if none. */
static bool next_ctrl(struct ctrl *c)
{
    struct fake_guest *g = &gq[VIRTIO_CONSOLE_CTRL_RXQ];
    uint8_t *e, *m;
    uint32_t len;

    if (fg_used_idx(g) == ctrl_seen)
        return false;
    e = fg_ptr(g, FG_USED + 4 + 8u * (ctrl_seen++ % 16));
    len = (uint32_t)le_get(e + 4, 4);
    m = fg_ptr(g, CTRL_BUF(le_get(e, 4)));
    memset(c, 0, sizeof(*c));
    CHECK(len >= VIRTIO_CONSOLE_CTRL_SIZE && len < VIRTIO_CONSOLE_CTRL_SIZE + sizeof(c->name));
    c->id = (uint32_t)le_get(m, 4);
    c->event = (uint16_t)le_get(m + 4, 2);
    c->value = (uint16_t)le_get(m + 6, 2);
    if (len > VIRTIO_CONSOLE_CTRL_SIZE && len < VIRTIO_CONSOLE_CTRL_SIZE + sizeof(c->name))
        memcpy(c->name, m + VIRTIO_CONSOLE_CTRL_SIZE, len - VIRTIO_CONSOLE_CTRL_SIZE);
    return true;
}

static bool expect_ctrl(uint32_t id, uint16_t event, uint16_t value)
{
    struct ctrl c;
    bool ok = next_ctrl(&c) && c.id == id && c.event == event && c.value == value;
    if (!ok)
        fprintf(stderr, "    got id %u event %u value %u\n", c.id, c.event, c.value);
    return ok;
}

/* The Linux driver's bring-up: DEVICE_READY, then PORT_READY for each port announced, opening port 1. */
static void linux_bring_up(void)
{
    post_ctrl_rx(16);
    send_ctrl(0xffffffff, VIRTIO_CONSOLE_DEVICE_READY, 1);
    CHECK(expect_ctrl(0, VIRTIO_CONSOLE_DEVICE_ADD, 1));
    CHECK(expect_ctrl(1, VIRTIO_CONSOLE_DEVICE_ADD, 1));
    send_ctrl(0, VIRTIO_CONSOLE_PORT_READY, 1);
    CHECK(expect_ctrl(0, VIRTIO_CONSOLE_CONSOLE_PORT, 1));
    CHECK(expect_ctrl(0, VIRTIO_CONSOLE_PORT_OPEN, 1));
    CHECK(!virtio_console_input_ready(&con)); /* the driver has not connected hvc0 yet */
    send_ctrl(0, VIRTIO_CONSOLE_PORT_OPEN, 1);
    CHECK(virtio_console_input_ready(&con));
    send_ctrl(1, VIRTIO_CONSOLE_PORT_READY, 1);
}

/* Port p's tx: the guest writes `s`. */
static void guest_write(unsigned port, const char *s)
{
    struct fake_guest *g = &gq[VIRTIO_CONSOLE_PORT_TXQ(port)];
    uint16_t i = (uint16_t)(g->avail_idx % 16);

    memcpy(fg_ptr(g, FG_BUF + 0x100ull * i), s, strlen(s));
    fg_desc(g, FG_DESC, i, FG_BUF + 0x100ull * i, (uint32_t)strlen(s), 0, 0);
    fg_publish(g, i);
    con.dev.ops->queue_notify(&con.dev, VIRTIO_CONSOLE_PORT_TXQ(port));
}

static void post_port_rx(unsigned port)
{
    struct fake_guest *g = &gq[VIRTIO_CONSOLE_PORT_RXQ(port)];
    fg_desc(g, FG_DESC, 0, FG_BUF, 64, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(g, 0);
}

TEST(vcon_single_port_by_default)
{
    setup(false, false, MP);
    CHECK_EQ(con.dev.num_queues, 2);
    CHECK(!(con.dev.device_features & 1ull << VIRTIO_CONSOLE_F_MULTIPORT));
    CHECK_EQ(con.dev.ops->config_read(&con.dev, 4, 4), 1);
    guest_write(0, "hi");
    CHECK(strcmp(out[0], "hi") == 0);
    CHECK(virtio_console_input_ready(&con));
    teardown();
}

TEST(vcon_multiport_offered_layout_and_config)
{
    setup(true, false, MP);
    CHECK(con.dev.device_features & 1ull << VIRTIO_CONSOLE_F_MULTIPORT);
    CHECK_EQ(con.dev.num_queues, 6);
    CHECK_EQ(con.dev.ops->config_read(&con.dev, 4, 4), 2); /* max_nr_ports */
    CHECK_EQ(con.dev.ops->config_read(&con.dev, 0, 4), 0); /* no size */
    CHECK_EQ(VIRTIO_CONSOLE_PORT_RXQ(1), 4);
    CHECK_EQ(VIRTIO_CONSOLE_PORT_TXQ(1), 5);
    CHECK_EQ(VIRTIO_CONSOLE_PORT_TXQ(0), 1);
    teardown();
}

TEST(vcon_add_port_limits)
{
    const struct virtio_console_backend be = { port_write, (void *)1 };
    char longname[VIRTIO_CONSOLE_NAME_MAX + 2];

    setup(false, false, MP);
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    CHECK_EQ(virtio_console_add_port(&con, "", &be), -1);
    CHECK_EQ(virtio_console_add_port(&con, longname, &be), -1);
    for (unsigned i = 1; i < VIRTIO_CONSOLE_MAX_PORTS; i++)
        CHECK_EQ(virtio_console_add_port(&con, "p", &be), (int)i);
    CHECK_EQ(virtio_console_add_port(&con, "p", &be), -1);
    CHECK(con.dev.num_queues <= VIRTIO_MAX_QUEUES);
    teardown();
}

TEST(vcon_control_protocol_linux_sequence)
{
    struct ctrl c;

    setup(true, false, MP);
    linux_bring_up();
    CHECK(next_ctrl(&c));
    CHECK_EQ(c.id, 1);
    CHECK_EQ(c.event, VIRTIO_CONSOLE_PORT_NAME);
    CHECK(strcmp(c.name, "org.test.log") == 0);
    CHECK(expect_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 1));
    CHECK(!next_ctrl(&c));
    CHECK_EQ(con.ctrl_errors, 0);
    CHECK(irqs > 0);
    /* Port 1 is ready but not open in the guest: no input yet. */
    post_port_rx(1);
    CHECK(!virtio_console_port_ready(&con, 1));
    CHECK_EQ(virtio_console_port_input(&con, 1, (const uint8_t *)"x", 1), 0);
    send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 1);
    CHECK(virtio_console_port_ready(&con, 1));
    CHECK_EQ(virtio_console_port_input(&con, 1, (const uint8_t *)"in1", 3), 3);
    CHECK(memcmp(fg_ptr(&gq[4], FG_BUF), "in1", 3) == 0);
    /* Output of each port goes to its own backend. */
    guest_write(0, "zero");
    guest_write(1, "one");
    CHECK(strcmp(out[0], "zero") == 0);
    CHECK(strcmp(out[1], "one") == 0);
    CHECK_EQ(con.ports[1].tx_bytes, 3);
    post_port_rx(0);
    CHECK_EQ(virtio_console_input(&con, (const uint8_t *)"in0", 3), 3);
    CHECK(memcmp(fg_ptr(&gq[0], FG_BUF), "in0", 3) == 0);
    /* Closing the port stops input. */
    send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 0);
    CHECK(!virtio_console_port_ready(&con, 1));
    CHECK_EQ(needs_reset_calls, 0);
    teardown();
}

TEST(vcon_control_messages_wait_for_buffers)
{
    setup(true, false, MP);
    send_ctrl(0xffffffff, VIRTIO_CONSOLE_DEVICE_READY, 1); /* no control rx buffers yet */
    CHECK_EQ(con.pending_count, 2);
    post_ctrl_rx(1);
    CHECK(expect_ctrl(0, VIRTIO_CONSOLE_DEVICE_ADD, 1));
    CHECK_EQ(con.pending_count, 1);
    post_ctrl_rx(4);
    CHECK(expect_ctrl(1, VIRTIO_CONSOLE_DEVICE_ADD, 1));
    CHECK_EQ(con.pending_count, 0);
    /* A second DEVICE_READY does not announce the ports again. */
    send_ctrl(0xffffffff, VIRTIO_CONSOLE_DEVICE_READY, 1);
    CHECK_EQ(fg_used_idx(&gq[2]), 2);
    teardown();
}

TEST(vcon_single_port_when_driver_refuses_multiport)
{
    setup(true, false, 1ull << VIRTIO_F_VERSION_1);
    CHECK(!(con.dev.driver_features & 1ull << VIRTIO_CONSOLE_F_MULTIPORT));
    post_ctrl_rx(4); /* ignored: no control queues without MULTIPORT */
    send_ctrl(0xffffffff, VIRTIO_CONSOLE_DEVICE_READY, 1);
    CHECK_EQ(fg_used_idx(&gq[2]), 0);
    CHECK_EQ(fg_used_idx(&gq[3]), 0);
    guest_write(1, "no"); /* port 1's queue does not exist for this driver */
    CHECK_EQ(nout[1], 0);
    guest_write(0, "yes");
    CHECK(strcmp(out[0], "yes") == 0);
    CHECK(virtio_console_input_ready(&con));
    CHECK(!virtio_console_port_ready(&con, 1));
    post_port_rx(0);
    CHECK_EQ(virtio_console_input(&con, (const uint8_t *)"ab", 2), 2);
    teardown();
}

TEST(vcon_rejects_bad_port_id)
{
    setup(true, false, MP);
    post_ctrl_rx(16);
    send_ctrl(2, VIRTIO_CONSOLE_PORT_READY, 1); /* max_nr_ports is 2 */
    CHECK_EQ(con.ctrl_errors, 1);
    send_ctrl(0xffffffff, VIRTIO_CONSOLE_PORT_OPEN, 1);
    CHECK_EQ(con.ctrl_errors, 2);
    CHECK_EQ(fg_used_idx(&gq[2]), 0); /* nothing answered */
    CHECK_EQ(fg_used_idx(&gq[3]), 2); /* the buffers went back */
    send_ctrl(1, VIRTIO_CONSOLE_PORT_READY, 1); /* a good one still works */
    CHECK_EQ(con.ctrl_errors, 2);
    CHECK(con.ports[1].ready);
    CHECK_EQ(needs_reset_calls, 0);
    teardown();
}

TEST(vcon_rejects_short_and_long_messages)
{
    setup(true, false, MP);
    post_ctrl_rx(16);
    send_ctrl_len(0xffffffff, VIRTIO_CONSOLE_DEVICE_READY, 1, 7);
    CHECK_EQ(con.ctrl_errors, 1);
    CHECK(!con.driver_ready);
    send_ctrl_len(0xffffffff, VIRTIO_CONSOLE_DEVICE_READY, 1, 0);
    CHECK_EQ(con.ctrl_errors, 2);
    send_ctrl_len(0xffffffff, VIRTIO_CONSOLE_DEVICE_READY, 1, 12);
    CHECK_EQ(con.ctrl_errors, 3);
    CHECK(!con.driver_ready);
    CHECK_EQ(fg_used_idx(&gq[2]), 0);
    teardown();
}

TEST(vcon_rejects_writable_control_tx_buffer)
{
    struct fake_guest *g;

    setup(true, false, MP);
    g = &gq[VIRTIO_CONSOLE_CTRL_TXQ];
    le_put(fg_ptr(g, FG_BUF), 0xffffffff, 4);
    fg_desc(g, FG_DESC, 0, FG_BUF, 8, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(g, 0);
    con.dev.ops->queue_notify(&con.dev, VIRTIO_CONSOLE_CTRL_TXQ);
    CHECK_EQ(con.ctrl_errors, 1);
    CHECK(!con.driver_ready);
    teardown();
}

TEST(vcon_rejects_unknown_and_device_only_events)
{
    setup(true, false, MP);
    post_ctrl_rx(16);
    send_ctrl(0, 8, 1);   /* unknown */
    send_ctrl(0, 0xffff, 1);
    send_ctrl(0, VIRTIO_CONSOLE_DEVICE_ADD, 1);   /* device -> driver only */
    send_ctrl(0, VIRTIO_CONSOLE_CONSOLE_PORT, 1);
    send_ctrl(0, VIRTIO_CONSOLE_PORT_NAME, 1);
    send_ctrl(0, VIRTIO_CONSOLE_RESIZE, 1);
    send_ctrl(0, VIRTIO_CONSOLE_DEVICE_REMOVE, 1);
    CHECK_EQ(con.ctrl_errors, 7);
    CHECK_EQ(fg_used_idx(&gq[2]), 0);
    teardown();
}

TEST(vcon_rejects_bad_values)
{
    setup(true, false, MP);
    post_ctrl_rx(16);
    send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 2);
    CHECK_EQ(con.ctrl_errors, 1);
    CHECK(!con.ports[1].guest_open);
    send_ctrl(1, VIRTIO_CONSOLE_PORT_READY, 0x100);
    CHECK_EQ(con.ctrl_errors, 2);
    CHECK(!con.ports[1].ready);
    send_ctrl(0xffffffff, VIRTIO_CONSOLE_DEVICE_READY, 7);
    CHECK_EQ(con.ctrl_errors, 3);
    /* PORT_READY(0) is legal (the driver failed to add the port): nothing is answered. */
    send_ctrl(1, VIRTIO_CONSOLE_PORT_READY, 0);
    CHECK_EQ(con.ctrl_errors, 3);
    CHECK_EQ(fg_used_idx(&gq[2]), 0);
    teardown();
}

TEST(vcon_short_control_rx_buffer_needs_reset)
{
    struct fake_guest *g;

    setup(true, false, MP);
    g = &gq[VIRTIO_CONSOLE_CTRL_RXQ];
    fg_desc(g, FG_DESC, 0, FG_BUF, 4, VIRTQ_DESC_F_WRITE, 0);
    fg_publish(g, 0);
    send_ctrl(0xffffffff, VIRTIO_CONSOLE_DEVICE_READY, 1);
    CHECK_EQ(needs_reset_calls, 1);
    CHECK_EQ(fg_used_idx(g), 0);
    teardown();
}

TEST(vcon_reset_forgets_control_state)
{
    setup(true, false, MP);
    linux_bring_up();
    send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 1);
    CHECK(con.ports[1].guest_open);
    con.dev.ops->reset(&con.dev);
    CHECK(!con.driver_ready);
    CHECK(!con.ports[1].ready);
    CHECK(!con.ports[1].guest_open);
    CHECK_EQ(con.pending_count, 0);
    teardown();
}

static unsigned closed_calls;
static void port_closed(void *ctx) { (void)ctx; closed_calls++; }

TEST(vcon_port_close_and_reset_tell_the_backend)
{
    const struct virtio_console_backend be2 = { .write = port_write, .ctx = (void *)1, .closed = port_closed };

    setup(false, true, MP);
    CHECK_EQ(virtio_console_add_port(&con, "org.test.agent", &be2), 1);
    for (unsigned i = 0; i < NQ; i++)
        if (i >= 4)
            CHECK_EQ(fg_enable(&gq[i], &con.dev.queues[i], con.dev.driver_features), 0);
    closed_calls = 0;
    linux_bring_up();
    send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 0);          /* not open yet: nothing to tell */
    CHECK_EQ(closed_calls, 0);
    send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 1);
    send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 0);          /* the application closed it */
    CHECK_EQ(closed_calls, 1);
    send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 0);
    CHECK_EQ(closed_calls, 1);                          /* once per close */
    send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 1);
    con.dev.ops->reset(&con.dev);                       /* the guest rebooted with the port open */
    CHECK_EQ(closed_calls, 2);
    con.dev.ops->reset(&con.dev);
    CHECK_EQ(closed_calls, 2);
    teardown();
}

static size_t written_at_close;
static void port_closed_note(void *ctx) { (void)ctx; closed_calls++; written_at_close = nout[1]; }

TEST(vcon_port_close_hands_over_what_was_written_before_it)
{
    const struct virtio_console_backend be2 = { .write = port_write, .ctx = (void *)1, .closed = port_closed_note };
    struct fake_guest *g;
    uint16_t ctrl_used;

    setup(false, true, MP);
    CHECK_EQ(virtio_console_add_port(&con, "org.test.agent", &be2), 1);
    for (unsigned i = 4; i < NQ; i++)
        CHECK_EQ(fg_enable(&gq[i], &con.dev.queues[i], con.dev.driver_features), 0);
    closed_calls = 0;
    linux_bring_up();
    send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 1);
    /* The application's last bytes are published, their notification not yet taken (a backend's thread). */
    g = &gq[VIRTIO_CONSOLE_PORT_TXQ(1)];
    memcpy(fg_ptr(g, FG_BUF), "last", 4);
    fg_desc(g, FG_DESC, 0, FG_BUF, 4, 0, 0);
    fg_publish(g, 0);
    ctrl_used = fg_used_idx(&gq[VIRTIO_CONSOLE_CTRL_TXQ]);
    send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 0);
    CHECK_EQ(closed_calls, 1);
    CHECK_EQ(written_at_close, 4);                      /* the bytes went first */
    CHECK(strcmp(out[1], "last") == 0);
    CHECK_EQ(fg_used_idx(g), 1);
    /* The control message's own buffer went back, not the port's chain popped meanwhile. */
    CHECK_EQ(fg_used_idx(&gq[VIRTIO_CONSOLE_CTRL_TXQ]), (uint16_t)(ctrl_used + 1));
    g = &gq[VIRTIO_CONSOLE_CTRL_TXQ];
    CHECK_EQ(le_get(fg_ptr(g, FG_USED + 4 + 8u * (ctrl_used % g->num)), 4), (uint64_t)((ctrl_tx_n - 1) % 16));
    CHECK_EQ(con.ctrl_errors, 0);
    teardown();
}

/* A backend with rx_batch: out of receive buffers, the driver is asked to notify after that many more. */
static void rx_batch_case(uint16_t rx_batch, uint16_t want_avail_event)
{
    const struct virtio_console_backend be2 = { .write = port_write, .ctx = (void *)1, .rx_batch = rx_batch };
    const uint64_t feats = MP | 1ull << VIRTIO_F_EVENT_IDX;
    struct fake_guest *g = &gq[4];
    uint8_t in[1000] = { 0 };

    setup(false, true, feats);
    CHECK_EQ(virtio_console_add_port(&con, "org.test.bulk", &be2), 1);
    for (unsigned i = 4; i < NQ; i++)
        CHECK_EQ(fg_enable(&gq[i], &con.dev.queues[i], con.dev.driver_features), 0);
    linux_bring_up();
    send_ctrl(1, VIRTIO_CONSOLE_PORT_OPEN, 1);
    for (uint16_t i = 0; i < 4; i++) {
        fg_desc(g, FG_DESC, i, FG_BUF + 0x100ull * i, 64, VIRTQ_DESC_F_WRITE, 0);
        fg_publish(g, i);
    }
    CHECK_EQ(virtio_console_port_input(&con, 1, in, sizeof(in)), 4 * 64); /* out of buffers */
    CHECK_EQ(le_get(fg_ptr(g, FG_USED + 4 + 8u * 16), 2), want_avail_event);
    teardown();
}

TEST(vcon_rx_batch_asks_for_a_notification_after_a_batch)
{
    rx_batch_case(0, 4);  /* the default: at the next buffer (avail index 4 is the 5th) */
    rx_batch_case(1, 4);
    rx_batch_case(3, 6);  /* after three more */
    rx_batch_case(64, 11); /* at most half the queue (16 entries): after eight */
}

TEST(vcon_multiport_with_port0_only)
{
    setup(false, true, MP);
    CHECK_EQ(con.dev.num_queues, 4);
    CHECK_EQ(con.dev.ops->config_read(&con.dev, 4, 4), 1);
    post_ctrl_rx(8);
    send_ctrl(0xffffffff, VIRTIO_CONSOLE_DEVICE_READY, 1);
    CHECK(expect_ctrl(0, VIRTIO_CONSOLE_DEVICE_ADD, 1));
    send_ctrl(0, VIRTIO_CONSOLE_PORT_READY, 1);
    CHECK(expect_ctrl(0, VIRTIO_CONSOLE_CONSOLE_PORT, 1));
    CHECK(expect_ctrl(0, VIRTIO_CONSOLE_PORT_OPEN, 1));
    send_ctrl(1, VIRTIO_CONSOLE_PORT_READY, 1); /* no port 1 */
    CHECK_EQ(con.ctrl_errors, 1);
    guest_write(0, "c");
    CHECK(strcmp(out[0], "c") == 0);
    teardown();
}

/* ---- the hosted command line (--console, --console-port) ---- */

static int parse(char *err, size_t errlen, struct svmm_cli *cli, const char *a1, const char *a2, const char *a3,
                 const char *a4)
{
    char *argv[9] = { "svmm", "run", "--kernel", "Image" };
    int argc = 4;
    const char *extra[] = { a1, a2, a3, a4 };

    for (unsigned i = 0; i < 4 && extra[i]; i++)
        argv[argc++] = (char *)extra[i];
    return svmm_cli_parse(argc, argv, cli, err, errlen);
}

TEST(vcon_cli_console_backends)
{
    static struct svmm_cli cli;
    char err[256];

    CHECK_EQ(parse(err, sizeof(err), &cli, NULL, NULL, NULL, NULL), 0);
    CHECK_EQ(cli.console, SVMM_CLI_CONSOLE_STDIO);
    CHECK_EQ(cli.nconsole_ports, 0);
    CHECK_EQ(parse(err, sizeof(err), &cli, "--console", "pty", NULL, NULL), 0);
    CHECK_EQ(cli.console, SVMM_CLI_CONSOLE_PTY);
    CHECK_EQ(parse(err, sizeof(err), &cli, "--console=stdio", NULL, NULL, NULL), 0);
    CHECK_EQ(cli.console, SVMM_CLI_CONSOLE_STDIO);
    CHECK_EQ(parse(err, sizeof(err), &cli, "--console", "serial", NULL, NULL), -1);
    CHECK_STR_CONTAINS(err, "--console: unknown backend 'serial'");
    CHECK_EQ(parse(err, sizeof(err), &cli, "--console", "pty", "--console", "stdio"), -1);
    CHECK_STR_CONTAINS(err, "--console: given twice");
}

TEST(vcon_cli_console_ports)
{
    static struct svmm_cli cli;
    char err[256];

    CHECK_EQ(parse(err, sizeof(err), &cli, "--console-port", "log=file:/tmp/a b,c", "--console-port", "sh=pty"), 0);
    CHECK_EQ(cli.nconsole_ports, 2);
    CHECK(strcmp(cli.console_ports[0].name, "log") == 0);
    CHECK(!cli.console_ports[0].pty);
    CHECK(strcmp(cli.console_ports[0].path, "/tmp/a b,c") == 0);
    CHECK(strcmp(cli.console_ports[1].name, "sh") == 0);
    CHECK(cli.console_ports[1].pty);
    CHECK_EQ(parse(err, sizeof(err), &cli, "--console-port", "log=tcp:1", NULL, NULL), -1);
    CHECK_STR_CONTAINS(err, "--console-port: unknown backend 'tcp:1'");
    CHECK_EQ(parse(err, sizeof(err), &cli, "--console-port", "log", NULL, NULL), -1);
    CHECK_STR_CONTAINS(err, "--console-port: 'log'");
    CHECK_EQ(parse(err, sizeof(err), &cli, "--console-port", "=pty", NULL, NULL), -1);
    CHECK_STR_CONTAINS(err, "--console-port: bad port name ''");
    CHECK_EQ(parse(err, sizeof(err), &cli, "--console-port", "a/b=pty", NULL, NULL), -1);
    CHECK_STR_CONTAINS(err, "bad port name 'a/b'");
    CHECK_EQ(parse(err, sizeof(err), &cli, "--console-port", "log=file:", NULL, NULL), -1);
    CHECK_STR_CONTAINS(err, "file: needs a path");
    CHECK_EQ(parse(err, sizeof(err), &cli, "--console-port", "x=pty", "--console-port", "x=file:/y"), -1);
    CHECK_STR_CONTAINS(err, "--console-port: duplicate port name 'x'");
}

TEST(vcon_cli_too_many_ports)
{
    static struct svmm_cli cli;
    char err[256], names[VIRTIO_CONSOLE_MAX_PORTS + 1][16];
    char *argv[4 + 2 * (VIRTIO_CONSOLE_MAX_PORTS + 1)] = { "svmm", "run", "--kernel", "Image" };
    int argc = 4;

    for (unsigned i = 0; i < VIRTIO_CONSOLE_MAX_PORTS; i++) { /* one more than the extra ports allowed */
        snprintf(names[i], sizeof(names[i]), "p%u=pty", i);
        argv[argc++] = "--console-port";
        argv[argc++] = names[i];
    }
    CHECK_EQ(svmm_cli_parse(argc, argv, &cli, err, sizeof(err)), -1);
    CHECK_STR_CONTAINS(err, "--console-port: too many ports");
    CHECK_EQ(svmm_cli_parse(argc - 2, argv, &cli, err, sizeof(err)), 0);
    CHECK_EQ(cli.nconsole_ports, VIRTIO_CONSOLE_MAX_PORTS - 1);
}
