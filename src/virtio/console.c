/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include <svmm/log.h>
#include <svmm/virtio_console.h>
#include <svmm/le.h>

/* Config space: cols (u16), rows (u16), max_nr_ports (u32), emerg_wr (u32). */
#define CFG_MAX_NR_PORTS 4
#define CFG_EMERG_WR 8
#define CFG_SIZE 12

static struct virtio_console *to_console(struct virtio_dev *d)
{
    return (struct virtio_console *)((char *)d - offsetof(struct virtio_console, dev));
}

static bool multiport(const struct virtio_console *c)
{
    return virtio_has_feature(&c->dev, VIRTIO_CONSOLE_F_MULTIPORT);
}

/* ---- data ports ---- */

static void transmit(struct virtio_console *c, unsigned port)
{
    unsigned qi = VIRTIO_CONSOLE_PORT_TXQ(port);
    struct virtq *q = &c->dev.queues[qi];
    struct virtio_console_port *p = &c->ports[port];
    uint16_t old_used = q->used_idx;
    int r;

    do {
        while ((r = virtq_pop(q, &c->chain)) == 1) {
            for (uint16_t i = 0; i < c->chain.n_out; i++)
                p->backend.write(p->backend.ctx, c->chain.iov[i].host, c->chain.iov[i].len);
            p->tx_bytes += c->chain.out_len;
            virtq_push(q, c->chain.head, 0);
        }
    } while (r == 0 && virtq_arm_notify(q));
    if (r < 0)
        virtio_dev_queue_error(&c->dev, qi, r);
    virtio_dev_signal_used(&c->dev, qi, old_used);
}

/* ---- control channel ---- */

/* Queue a device->driver control message; sent as soon as the driver has a control buffer. */
static void ctrl_queue(struct virtio_console *c, uint32_t id, uint16_t event, uint16_t value)
{
    if (c->pending_count == VIRTIO_CONSOLE_CTRL_PENDING) {
        c->ctrl_dropped++;
        if (svmm_ratelimit_ok(&c->ctrl_full_rl, 5))
            svmm_warn("%s: control queue full, event %u for port %u dropped", c->dev.name, event, id);
        return;
    }
    c->pending[(c->pending_head + c->pending_count++) % VIRTIO_CONSOLE_CTRL_PENDING] =
        (struct virtio_console_ctrl_msg){ id, event, value };
}

/* Move pending control messages into the receive buffers the driver posted on the control rx queue. */
static void ctrl_flush(struct virtio_console *c)
{
    struct virtq *q = &c->dev.queues[VIRTIO_CONSOLE_CTRL_RXQ];
    uint16_t old_used = q->used_idx;
    int r = 0;

    if (!multiport(c) || !q->ready || q->error != VIRTQ_OK)
        return;
    while (c->pending_count > 0 && (r = virtq_pop(q, &c->chain)) == 1) {
        const struct virtio_console_ctrl_msg *m = &c->pending[c->pending_head];
        uint8_t buf[VIRTIO_CONSOLE_CTRL_SIZE + VIRTIO_CONSOLE_NAME_MAX];
        uint32_t len = VIRTIO_CONSOLE_CTRL_SIZE;

        if (c->chain.n_out != 0 || c->chain.in_len < VIRTIO_CONSOLE_CTRL_SIZE) {
            if (svmm_ratelimit_ok(&c->ctrl_buf_rl, 5))
                svmm_warn("%s: control receive buffer %s: device needs reset", c->dev.name,
                          c->chain.n_out ? "is device-readable" : "is shorter than 8 bytes");
            c->dev.transport.needs_reset(c->dev.transport.ctx);
            return;
        }
        le_put(buf, m->id, 4);
        le_put(buf + 4, m->event, 2);
        le_put(buf + 6, m->value, 2);
        if (m->event == VIRTIO_CONSOLE_PORT_NAME) {
            size_t n = strlen(c->ports[m->id].name);
            memcpy(buf + len, c->ports[m->id].name, n);
            len += (uint32_t)n; /* the name is not NUL-terminated: its length is the buffer's */
        }
        len = virtq_chain_write(&c->chain, 0, buf, len);
        virtq_push(q, c->chain.head, len);
        c->pending_head = (c->pending_head + 1) % VIRTIO_CONSOLE_CTRL_PENDING;
        c->pending_count--;
    }
    if (r < 0)
        virtio_dev_queue_error(&c->dev, VIRTIO_CONSOLE_CTRL_RXQ, r);
    if (c->pending_count > 0)
        virtq_arm_notify(q);
    virtio_dev_signal_used(&c->dev, VIRTIO_CONSOLE_CTRL_RXQ, old_used);
}

static void ctrl_reject(struct virtio_console *c, const char *why, uint32_t id, uint16_t event)
{
    c->ctrl_errors++;
    if (svmm_ratelimit_ok(&c->ctrl_reject_rl, 10))
        svmm_warn("%s: control message dropped: %s (id %u, event %u)", c->dev.name, why, id, event);
}

/* One control message from the driver (already known to be 8 bytes). */
static void ctrl_handle(struct virtio_console *c, uint32_t id, uint16_t event, uint16_t value)
{
    struct virtio_console_port *p;

    if (event != VIRTIO_CONSOLE_DEVICE_READY && event != VIRTIO_CONSOLE_PORT_READY &&
        event != VIRTIO_CONSOLE_PORT_OPEN) {
        ctrl_reject(c, "unknown or device-only event", id, event);
        return;
    }
    if (value > 1) {
        ctrl_reject(c, "value not 0 or 1", id, event);
        return;
    }
    if (event == VIRTIO_CONSOLE_DEVICE_READY) { /* the id is unused (Linux sends 0xffffffff) */
        if (value == 0) {
            svmm_warn("%s: the driver failed to initialise", c->dev.name);
            return;
        }
        if (c->driver_ready)
            return; /* announce the ports once per reset */
        c->driver_ready = true;
        for (unsigned i = 0; i < c->nports; i++)
            ctrl_queue(c, i, VIRTIO_CONSOLE_DEVICE_ADD, 1);
        return;
    }
    if (id >= c->nports) {
        ctrl_reject(c, "port id out of range", id, event);
        return;
    }
    p = &c->ports[id];
    if (event == VIRTIO_CONSOLE_PORT_OPEN) {
        bool was_open = p->guest_open;
        const struct virtq *tq = &c->dev.queues[VIRTIO_CONSOLE_PORT_TXQ(id)]; /* id < nports */
        p->guest_open = value == 1;
        if (p->guest_open && p->backend.rx_ready) {
            p->backend.rx_ready(p->backend.ctx); /* input held back for a closed port may go now */
        } else if (was_open && !p->guest_open && p->backend.closed) {
            /*
             * What the application wrote before it closed goes to the backend first, as it would
             * have if the port's notification had been taken at once (a backend may take them on
             * a thread of its own, through an ioeventfd, and be behind this control message).
             */
            if (tq->ready && tq->error == VIRTQ_OK)
                transmit(c, id);
            p->backend.closed(p->backend.ctx);
        }
        return;
    }
    if (value == 0) { /* PORT_READY(0): the driver could not set the port up */
        svmm_warn("%s: the driver failed to add port %u", c->dev.name, id);
        p->ready = false;
        return;
    }
    p->ready = true;
    if (id == 0)
        ctrl_queue(c, 0, VIRTIO_CONSOLE_CONSOLE_PORT, 1);
    if (p->name[0])
        ctrl_queue(c, id, VIRTIO_CONSOLE_PORT_NAME, 1);
    ctrl_queue(c, id, VIRTIO_CONSOLE_PORT_OPEN, 1); /* the host side is always connected */
}

static void ctrl_transmit(struct virtio_console *c)
{
    struct virtq *q = &c->dev.queues[VIRTIO_CONSOLE_CTRL_TXQ];
    uint16_t old_used = q->used_idx;
    int r;

    do {
        while ((r = virtq_pop(q, &c->chain)) == 1) {
            uint8_t m[VIRTIO_CONSOLE_CTRL_SIZE];
            uint32_t n = virtq_chain_read(&c->chain, 0, m, sizeof(m));
            uint16_t head = c->chain.head; /* ctrl_handle may pop a port's chains into c->chain */

            if (c->chain.n_in != 0)
                ctrl_reject(c, "device-writable buffer in a control message", 0, 0);
            else if (c->chain.out_len != VIRTIO_CONSOLE_CTRL_SIZE || n != VIRTIO_CONSOLE_CTRL_SIZE)
                ctrl_reject(c, "not 8 bytes long", c->chain.out_len, 0);
            else
                ctrl_handle(c, le32(m), le16(m + 4), le16(m + 6));
            virtq_push(q, head, 0);
        }
    } while (r == 0 && virtq_arm_notify(q));
    if (r < 0)
        virtio_dev_queue_error(&c->dev, VIRTIO_CONSOLE_CTRL_TXQ, r);
    virtio_dev_signal_used(&c->dev, VIRTIO_CONSOLE_CTRL_TXQ, old_used);
    ctrl_flush(c);
}

/* ---- device ops ---- */

/* The driver posted receive buffers on port p's receive queue. */
static void rx_ready(struct virtio_console *c, unsigned p)
{
    if (c->ports[p].backend.rx_ready)
        c->ports[p].backend.rx_ready(c->ports[p].backend.ctx);
}

static void console_queue_notify(struct virtio_dev *d, unsigned q)
{
    struct virtio_console *c = to_console(d);

    /*
     * Data receive buffers are consumed when input arrives; a data RX notify only tells the port's
     * backend that buffers are there (it asked, by input that did not fit).
     */
    if (q == 1) {
        transmit(c, 0);
    } else if (q == 0) {
        rx_ready(c, 0);
    } else if (!multiport(c)) {
        return; /* queues above 1 do not exist for a single-port driver */
    } else if (q == VIRTIO_CONSOLE_CTRL_RXQ) {
        ctrl_flush(c);
    } else if (q == VIRTIO_CONSOLE_CTRL_TXQ) {
        ctrl_transmit(c);
    } else if (q % 2 == 1 && (q - 3) / 2 < c->nports) {
        transmit(c, (q - 3) / 2);
    } else if (q % 2 == 0 && (q - 2) / 2 < c->nports) {
        rx_ready(c, (q - 2) / 2);
    }
}

static uint32_t console_config_read(struct virtio_dev *d, uint32_t off, unsigned size)
{
    struct virtio_console *c = to_console(d);
    /* cols = rows = 0 (no size), max_nr_ports, emerg_wr reads as 0. */
    uint8_t cfg[CFG_SIZE] = { 0 };
    uint32_t v = 0;

    le_put(cfg + CFG_MAX_NR_PORTS, c->multiport_offered ? c->nports : 1, 4);
    memcpy(&v, cfg + off, size);
    return v;
}

static void console_config_write(struct virtio_dev *d, uint32_t off, unsigned size, uint32_t val)
{
    struct virtio_console *c = to_console(d);
    uint8_t ch = (uint8_t)val;

    /* Emergency write: one character to port 0, usable before the queues are set up. */
    if (off == CFG_EMERG_WR && virtio_has_feature(d, VIRTIO_CONSOLE_F_EMERG_WRITE))
        c->ports[0].backend.write(c->ports[0].backend.ctx, &ch, 1);
    (void)size;
}

static void console_reset(struct virtio_dev *d)
{
    struct virtio_console *c = to_console(d);

    /* Work is synchronous, so nothing is in flight; forget the control-channel state. */
    c->driver_ready = false;
    c->pending_head = c->pending_count = 0;
    for (unsigned i = 0; i < c->nports; i++) {
        struct virtio_console_port *p = &c->ports[i];
        bool was_open = p->guest_open;
        p->ready = p->guest_open = false;
        if (was_open && p->backend.closed)
            p->backend.closed(p->backend.ctx); /* a rebooting guest's application is gone too */
    }
}

static const struct virtio_dev_ops console_ops = {
    .queue_notify = console_queue_notify,
    .config_read = console_config_read,
    .config_write = console_config_write,
    .reset = console_reset,
};

void virtio_console_init(struct virtio_console *c, const struct virtio_console_backend *backend)
{
    memset(c, 0, sizeof(*c));
    c->backend = *backend;
    c->ports[0].backend = *backend;
    c->nports = 1;
    c->dev.name = "virtio-console";
    c->dev.device_id = VIRTIO_ID_CONSOLE;
    c->dev.device_features = 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_INDIRECT_DESC |
                             1ull << VIRTIO_F_EVENT_IDX | 1ull << VIRTIO_CONSOLE_F_EMERG_WRITE;
    c->dev.num_queues = 2;
    c->dev.config_size = CFG_SIZE;
    c->dev.ops = &console_ops;
}

void virtio_console_offer_multiport(struct virtio_console *c)
{
    c->multiport_offered = true;
    c->dev.device_features |= 1ull << VIRTIO_CONSOLE_F_MULTIPORT;
    c->dev.num_queues = (uint16_t)(2 + 2 * c->nports);
}

int virtio_console_add_port(struct virtio_console *c, const char *name, const struct virtio_console_backend *backend)
{
    size_t len = strlen(name);
    struct virtio_console_port *p;

    if (c->nports >= VIRTIO_CONSOLE_MAX_PORTS || len == 0 || len > VIRTIO_CONSOLE_NAME_MAX)
        return -1;
    p = &c->ports[c->nports++];
    memset(p, 0, sizeof(*p));
    p->backend = *backend;
    memcpy(p->name, name, len + 1);
    virtio_console_offer_multiport(c);
    return (int)(c->nports - 1);
}

bool virtio_console_port_ready(const struct virtio_console *c, unsigned port)
{
    const struct virtq *q;

    /*
     * With MULTIPORT, Linux drops data for a port it has not connected yet: a console port is
     * connected when the driver handles CONSOLE_PORT, and then it sends PORT_OPEN(1).
     */
    if (port >= c->nports || (port > 0 && !multiport(c)) ||
        (multiport(c) && (!c->ports[port].ready || !c->ports[port].guest_open)))
        return false;
    q = &c->dev.queues[VIRTIO_CONSOLE_PORT_RXQ(port)];
    return q->ready && q->error == VIRTQ_OK;
}

bool virtio_console_input_ready(const struct virtio_console *c)
{
    return virtio_console_port_ready(c, 0);
}

size_t virtio_console_port_input(struct virtio_console *c, unsigned port, const uint8_t *buf, size_t len)
{
    unsigned qi = VIRTIO_CONSOLE_PORT_RXQ(port);
    struct virtq *q;
    uint16_t old_used, batch;
    size_t done = 0;
    int r = 0;

    if (!virtio_console_port_ready(c, port))
        return 0;
    batch = c->ports[port].backend.rx_batch; /* port < nports: port_ready */
    q = &c->dev.queues[qi];
    old_used = q->used_idx;
    if (batch > q->num / 2)
        batch = (uint16_t)(q->num / 2);
    /*
     * Out of buffers with input left: ask for a notification (after `batch` new buffers), and look
     * again in case the driver posted some before it could see the request (else neither side would
     * move).
     */
    do {
        while (done < len && (r = virtq_pop(q, &c->chain)) == 1) {
            uint32_t chunk = len - done > c->chain.in_len ? c->chain.in_len : (uint32_t)(len - done);
            uint32_t n = virtq_chain_write(&c->chain, 0, buf + done, chunk);
            virtq_push(q, c->chain.head, n);
            done += n;
        }
    } while (r == 0 && done < len && virtq_arm_notify_after(q, batch));
    if (r < 0)
        virtio_dev_queue_error(&c->dev, qi, r);
    c->ports[port].rx_bytes += done;
    virtio_dev_signal_used(&c->dev, qi, old_used);
    return done;
}

size_t virtio_console_input(struct virtio_console *c, const uint8_t *buf, size_t len)
{
    return virtio_console_port_input(c, 0, buf, len);
}
