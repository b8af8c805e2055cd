/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A driver VM's block relay (src/platform/kvm/blk_relay_host.c with blk_serve_shm.c): three VMMs in
 * this process, each with its own host and guest. The driver VMM has a virtio-console whose port
 * "svmm-blk" goes to the relay; its guest does the multiport handshake, opens the port and runs an
 * agent there (the svmm-blk-agent protocol of blk_relay.h) on a disk in its own memory. Two user
 * VMMs connect to the relay's socket as blkq clients u0 and u1 (blk_link_shm.c, each served by its
 * link thread) and their guests write a pattern over their whole disks with many requests in flight,
 * flush, and read everything back, both disks at once. Everything meets there: the relay thread
 * accepts the clients and pushes requests into the port while the driver guest's vCPU answers them
 * (the port's backend feeds the relay and kicks the clients in that vCPU's thread), and the user
 * VMMs' link threads complete requests while their vCPUs submit more. A third user VMM (u2) writes
 * one batch, queues another and goes away at once, while the others run: the relay thread detaches
 * it with requests still at the agent (their answers become orphans, dropped). Checks: the data read
 * back, the agent's disk (u0's and u1's partitions hold their patterns), the HELLOs, the relay's and
 * agent's counters (every request sent to the agent answered once); then u0 and u1 go away too and
 * the relay thread must detach them while the driver guest runs.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <svmm/blk_relay.h>
#include <svmm/virtio_blk.h>
#include <svmm/virtio_console.h>
#include "blk_link_shm.h"
#include "blk_relay_host.h"
#include "tsan.h"
#include <svmm/le.h>

#define NCLIENTS 3u
#define NFULL 2u                 /* u0 and u1 write, flush and read everything; u2 leaves mid-I/O */
#define PART_BYTES (4u << 20)    /* each client's disk */
#define NREQ 32u                 /* requests in flight per user guest */
#define REQ_BYTES (64u << 10)
#define SEGS 2u
#define BLK_FEATURES (1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_SEG_MAX)
#define HDR_GPA(i) (GUEST_DATA_GPA + 16u * (i))
#define STATUS_GPA(i) (GUEST_DATA_GPA + 0x1000u + (i))
#define WBUF_GPA(i) (GUEST_DATA_GPA + (1u << 20) + REQ_BYTES * (i))
#define RBUF_GPA(i) (GUEST_DATA_GPA + (8u << 20) + REQ_BYTES * (i))

/* The driver guest's console: port 0 (hvc0) and port 1, the agent's. */
#define CON_FEATURES (1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_CONSOLE_F_MULTIPORT)
#define CON_QUEUES 6u
#define AGENT_PORT 1u
#define CTRL_BUFS 16u
#define RXBUFS 64u
#define RXBUF_BYTES 4096u
#define SLOTS 64u
#define SLOT_BYTES (16u << 10)
#define CTRLBUF_GPA(i) (GUEST_DATA_GPA + 128u * (i))
#define RXBUF_GPA(p, i) (GUEST_DATA_GPA + 0x10000u + 0x100000u * (p) + RXBUF_BYTES * (i))
#define SLOT_GPA(s) (GUEST_DATA_GPA + (4u << 20) + SLOT_BYTES * (s))
#define AGENT_OUT_BYTES (16u << 20) /* answers not yet written to the port: more than 64 tags' worth */

static const char *const client_names[NCLIENTS] = { "u0", "u1", "u2" };

static uint8_t pattern(unsigned client, uint64_t off)
{
    return (uint8_t)((off * 2654435761u) >> 11 ^ off >> 16 ^ client * 0xa7u);
}

/* ---- the driver VM: console, relay, and the agent in its guest ---- */

static struct {
    struct kvm_host host;
    struct virtio_console con;
    struct blk_relay_host rel;
    struct svmm_cli cli;
    struct guest g;
    pthread_t vcpu;
    atomic_bool stop;
    /* the guest's console driver */
    bool slot_busy[SLOTS];
    bool port_added[2], port_open[2], name_ok, ctrl_bad;
    /* the agent */
    uint8_t *disk;                  /* NCLIENTS partitions, one after the other */
    bool hello[NCLIENTS], hello_ok, frames_ok, request_before_hello;
    uint64_t reads[NCLIENTS], writes[NCLIENTS], flushes[NCLIENTS];
    uint8_t *in;                    /* the frame being received: header, then WRITE data or a name */
    uint32_t in_got;
    uint8_t *out;                   /* answers waiting for tx slots (a ring of AGENT_OUT_BYTES) */
    uint32_t out_head, out_len;
    bool out_overflow;
} dvm;

static int slot(void)
{
    for (unsigned s = 0; s < SLOTS; s++)
        if (!dvm.slot_busy[s])
            return (int)s;
    return -1;
}

static void send_buf(unsigned q, const void *data, uint32_t len)
{
    int s = slot();
    struct gbuf b;

    if (s < 0) {
        dvm.ctrl_bad = true;
        return;
    }
    b = (struct gbuf){ SLOT_GPA(s), len, false };
    memcpy(guest_ptr(&dvm.g, SLOT_GPA(s)), data, len);
    dvm.slot_busy[s] = true;
    guest_add(&dvm.g, q, &b, 1, (void *)(uintptr_t)(s + 1));
    guest_kick(&dvm.g, q); /* port 1: the backend (blk_relay_input, client kicks) runs right here */
}

static void send_ctrl(uint32_t id, uint16_t event, uint16_t value)
{
    uint8_t m[8];

    le_put(m, id, 4);
    le_put(m + 4, event, 2);
    le_put(m + 6, value, 2);
    send_buf(VIRTIO_CONSOLE_CTRL_TXQ, m, 8);
}

static void ctrl_msg(const uint8_t *m, uint32_t len)
{
    uint32_t id = (uint32_t)le_get(m, 4);
    uint16_t event = (uint16_t)le_get(m + 4, 2), value = (uint16_t)le_get(m + 6, 2);

    if (len < 8 || id >= 2) {
        dvm.ctrl_bad = true;
        return;
    }
    switch (event) {
    case VIRTIO_CONSOLE_DEVICE_ADD:
        dvm.port_added[id] = true;
        send_ctrl(id, VIRTIO_CONSOLE_PORT_READY, 1);
        break;
    case VIRTIO_CONSOLE_CONSOLE_PORT:
        break;
    case VIRTIO_CONSOLE_PORT_NAME:
        dvm.name_ok |= id == AGENT_PORT && len - 8 == strlen(BLK_AGENT_PORT) &&
                       memcmp(m + 8, BLK_AGENT_PORT, len - 8) == 0;
        break;
    case VIRTIO_CONSOLE_PORT_OPEN:
        /* The host end is there: the agent opens its port (the relay may send from now on). */
        if (value == 1 && !dvm.port_open[id]) {
            send_ctrl(id, VIRTIO_CONSOLE_PORT_OPEN, 1);
            dvm.port_open[id] = true;
        }
        break;
    default:
        dvm.ctrl_bad = true;
        break;
    }
}

static void agent_out(const uint8_t *p, uint32_t len)
{
    uint32_t pos = (dvm.out_head + dvm.out_len) % AGENT_OUT_BYTES;
    uint32_t first = AGENT_OUT_BYTES - pos < len ? AGENT_OUT_BYTES - pos : len;

    if (dvm.out_len + len > AGENT_OUT_BYTES) {
        dvm.out_overflow = true;
        return;
    }
    memcpy(dvm.out + pos, p, first);
    memcpy(dvm.out, p + first, len - first);
    dvm.out_len += len;
}

static void agent_answer(uint32_t op, uint32_t tag, bool ok, const uint8_t *data, uint32_t len)
{
    uint8_t a[sizeof(struct blk_agent_resp)] = { 0 };

    le_put(a, BLK_AGENT_MAGIC, 4);
    le_put(a + 4, op, 4);
    le_put(a + 8, ok ? BLK_AGENT_OK : BLK_AGENT_EIO, 4);
    le_put(a + 12, ok ? len : 0, 4);
    le_put(a + 16, tag, 4);
    agent_out(a, sizeof(a));
    if (ok && len)
        agent_out(data, len);
}

/* Bytes the frame in dvm.in needs in all: the header, plus a WRITE's data or a HELLO's name. */
static uint32_t frame_bytes(void)
{
    uint32_t op = (uint32_t)le_get(dvm.in + 4, 4), len = (uint32_t)le_get(dvm.in + 16, 4);

    return sizeof(struct blk_agent_req) + (op == BLK_AGENT_WRITE || op == BLK_AGENT_HELLO ? len : 0);
}

/* One whole frame from the relay: carry it out on the disk and queue the answer. */
static void agent_frame(void)
{
    const uint8_t *h = dvm.in;
    uint32_t op = (uint32_t)le_get(h + 4, 4), len = (uint32_t)le_get(h + 16, 4), tag = (uint32_t)le_get(h + 20, 4);
    uint32_t client = (uint32_t)le_get(h + 24, 4), flags = (uint32_t)le_get(h + 28, 4);
    uint64_t off = le_get(h + 8, 8);
    uint8_t *part;

    if (op == BLK_AGENT_HELLO) {
        /* The HELLOs lead the stream: client i is u<i>, PART_BYTES, writable; mapped buffers offered (unused here). */
        dvm.hello_ok &= client < NCLIENTS && !dvm.hello[client] && off == PART_BYTES && flags == BLK_AGENT_HELLO_BUF &&
                        len == strlen(client_names[client]) && memcmp(h + 32, client_names[client], len) == 0;
        if (client < NCLIENTS)
            dvm.hello[client] = true;
        return;
    }
    if (client >= NCLIENTS || !dvm.hello[client]) {
        dvm.request_before_hello = true;
        agent_answer(op, tag, false, NULL, 0);
        return;
    }
    part = dvm.disk + (uint64_t)client * PART_BYTES;
    switch (op) {
    case BLK_AGENT_READ:
        dvm.frames_ok &= off <= PART_BYTES && len <= PART_BYTES - off && flags == 0;
        dvm.reads[client]++;
        agent_answer(op, tag, off <= PART_BYTES && len <= PART_BYTES - off, part + off, len);
        break;
    case BLK_AGENT_WRITE:
        dvm.frames_ok &= off <= PART_BYTES && len <= PART_BYTES - off && flags == 0;
        if (off <= PART_BYTES && len <= PART_BYTES - off)
            memcpy(part + off, h + 32, len);
        dvm.writes[client]++;
        agent_answer(op, tag, off <= PART_BYTES && len <= PART_BYTES - off, NULL, 0);
        break;
    case BLK_AGENT_FLUSH:
        dvm.frames_ok &= len == 0 && flags == 0;
        dvm.flushes[client]++;
        agent_answer(op, tag, true, NULL, 0);
        break;
    default:
        dvm.frames_ok = false;
        agent_answer(op, tag, false, NULL, 0);
        break;
    }
}

/* Bytes the relay sent on the agent's port. */
static void agent_input(const uint8_t *p, uint32_t len)
{
    while (len > 0) {
        uint32_t want = dvm.in_got < sizeof(struct blk_agent_req) ? (uint32_t)sizeof(struct blk_agent_req)
                                                                    : frame_bytes();
        uint32_t n = want - dvm.in_got < len ? want - dvm.in_got : len;

        if (want > sizeof(struct blk_agent_req) + (256u << 10)) {
            dvm.frames_ok = false; /* nothing the relay sends is that long */
            return;
        }
        memcpy(dvm.in + dvm.in_got, p, n);
        dvm.in_got += n;
        p += n;
        len -= n;
        if (dvm.in_got == sizeof(struct blk_agent_req) && le_get(dvm.in, 4) != BLK_AGENT_MAGIC) {
            dvm.frames_ok = false;
            return;
        }
        if (dvm.in_got >= sizeof(struct blk_agent_req) && dvm.in_got == frame_bytes()) {
            agent_frame();
            dvm.in_got = 0;
        }
    }
}

/* Write queued answers to the port, a slot at a time. */
static void agent_flush_out(void)
{
    int s;

    while (dvm.out_len > 0 && (s = slot()) >= 0) {
        uint32_t n = dvm.out_len < SLOT_BYTES ? dvm.out_len : SLOT_BYTES;
        uint8_t *d = guest_ptr(&dvm.g, SLOT_GPA(s));
        struct gbuf b = { SLOT_GPA(s), n, false };
        uint32_t first = AGENT_OUT_BYTES - dvm.out_head < n ? AGENT_OUT_BYTES - dvm.out_head : n;

        memcpy(d, dvm.out + dvm.out_head, first);
        memcpy(d + first, dvm.out, n - first);
        dvm.out_head = (dvm.out_head + n) % AGENT_OUT_BYTES;
        dvm.out_len -= n;
        dvm.slot_busy[s] = true;
        guest_add(&dvm.g, VIRTIO_CONSOLE_PORT_TXQ(AGENT_PORT), &b, 1, (void *)(uintptr_t)(s + 1));
        guest_kick(&dvm.g, VIRTIO_CONSOLE_PORT_TXQ(AGENT_PORT));
    }
}

static void *dvm_vcpu(void *arg)
{
    uint64_t deadline = tsan_ms() + 60000;

    (void)arg;
    pthread_mutex_lock(&dvm.host.dev_lock);
    for (unsigned i = 0; i < CTRL_BUFS; i++) {
        struct gbuf b = { CTRLBUF_GPA(i), 128, true };
        guest_add(&dvm.g, VIRTIO_CONSOLE_CTRL_RXQ, &b, 1, (void *)(uintptr_t)(i + 1));
    }
    guest_kick(&dvm.g, VIRTIO_CONSOLE_CTRL_RXQ);
    for (unsigned p = 0; p < 2; p++) {
        for (unsigned i = 0; i < (p ? RXBUFS : 4u); i++) {
            struct gbuf b = { RXBUF_GPA(p, i), RXBUF_BYTES, true };
            guest_add(&dvm.g, VIRTIO_CONSOLE_PORT_RXQ(p), &b, 1, (void *)(uintptr_t)(i + 1));
        }
        guest_kick(&dvm.g, VIRTIO_CONSOLE_PORT_RXQ(p));
    }
    send_ctrl(0xffffffffu, VIRTIO_CONSOLE_DEVICE_READY, 1);
    while (!atomic_load(&dvm.stop) && tsan_ms() < deadline) {
        void *cookie;
        uint32_t len;
        bool reposted = false;

        for (unsigned q = 1; q < CON_QUEUES; q += 2)
            while (guest_get(&dvm.g, q, NULL, &cookie) == 1)
                dvm.slot_busy[(uintptr_t)cookie - 1] = false;
        while (guest_get(&dvm.g, VIRTIO_CONSOLE_CTRL_RXQ, &len, &cookie) == 1) {
            unsigned i = (unsigned)(uintptr_t)cookie - 1;
            struct gbuf b = { CTRLBUF_GPA(i), 128, true };
            ctrl_msg(guest_ptr(&dvm.g, CTRLBUF_GPA(i)), len);
            guest_add(&dvm.g, VIRTIO_CONSOLE_CTRL_RXQ, &b, 1, cookie);
            guest_kick(&dvm.g, VIRTIO_CONSOLE_CTRL_RXQ);
        }
        while (guest_get(&dvm.g, VIRTIO_CONSOLE_PORT_RXQ(AGENT_PORT), &len, &cookie) == 1) {
            unsigned i = (unsigned)(uintptr_t)cookie - 1;
            struct gbuf b = { RXBUF_GPA(AGENT_PORT, i), RXBUF_BYTES, true };
            agent_input(guest_ptr(&dvm.g, RXBUF_GPA(AGENT_PORT, i)), len);
            guest_add(&dvm.g, VIRTIO_CONSOLE_PORT_RXQ(AGENT_PORT), &b, 1, cookie);
            reposted = true;
            agent_flush_out();
        }
        if (reposted)
            guest_kick(&dvm.g, VIRTIO_CONSOLE_PORT_RXQ(AGENT_PORT)); /* the relay thread may push more */
        agent_flush_out();
        guest_wait(&dvm.g, 10);
    }
    pthread_mutex_unlock(&dvm.host.dev_lock);
    return NULL;
}

/* ---- the user VMs: virtio-blk on a blkq link to the relay ---- */

struct req {
    uint32_t type;
    uint64_t offset;
    uint64_t data_gpa;
    uint32_t len;
    bool done;
};

static struct uvm {
    unsigned id;
    struct kvm_host host;
    struct blk_link_host bl;
    struct guest g;
    pthread_t vcpu;
    struct req r[NREQ];
    bool batches_ok, status_ok, data_ok;
    atomic_bool done;
} uvms[NCLIENTS];

/* Put requests 0..n-1 on the queue (header + SEGS data pieces + status), a kick each (device lock held). */
static bool queue_batch(struct uvm *u, unsigned n)
{
    bool ok = true;

    for (unsigned i = 0; i < n; i++) {
        struct req *r = &u->r[i];
        struct gbuf b[SEGS + 2];
        unsigned nb = 0;
        uint8_t *hdr = guest_ptr(&u->g, HDR_GPA(i));

        memset(hdr, 0, 16);
        le_put(hdr, r->type, 4);
        le_put(hdr + 8, r->offset / VIRTIO_BLK_SECTOR, 8);
        *guest_ptr(&u->g, STATUS_GPA(i)) = 0xee;
        r->done = false;
        b[nb++] = (struct gbuf){ HDR_GPA(i), 16, false };
        for (unsigned s = 0; s < SEGS && r->len; s++)
            b[nb++] = (struct gbuf){ r->data_gpa + s * (r->len / SEGS), r->len / SEGS, r->type == VIRTIO_BLK_T_IN };
        b[nb++] = (struct gbuf){ STATUS_GPA(i), 1, true };
        ok &= guest_add(&u->g, 0, b, nb, r) >= 0;
        /* A kick per request: the link publishes while the link thread completes earlier ones. */
        guest_kick(&u->g, 0);
    }
    return ok;
}

/* Queue requests 0..n-1 and wait for all of them. */
static bool run_batch(struct uvm *u, unsigned n)
{
    uint64_t deadline = tsan_ms() + 30000;
    unsigned done = 0;
    bool ok;

    pthread_mutex_lock(&u->host.dev_lock);
    ok = queue_batch(u, n);
    while (done < n && tsan_ms() < deadline) {
        void *cookie;
        uint32_t len;
        int rc;

        while ((rc = guest_get(&u->g, 0, &len, &cookie)) == 1) {
            struct req *r = cookie;
            ok &= !r->done && len == (r->type == VIRTIO_BLK_T_IN ? r->len : 0) + 1;
            r->done = true;
            done++;
        }
        ok &= rc == 0;
        if (done < n)
            guest_wait(&u->g, 20);
    }
    for (unsigned i = 0; i < n; i++)
        u->status_ok &= *guest_ptr(&u->g, STATUS_GPA(i)) == VIRTIO_BLK_S_OK;
    pthread_mutex_unlock(&u->host.dev_lock);
    return ok && done == n;
}

/* Requests 0..NREQ-1: write the client's pattern at base.. */
static void fill_writes(struct uvm *u, uint64_t base)
{
    for (unsigned i = 0; i < NREQ; i++) {
        uint8_t *buf = guest_ptr(&u->g, WBUF_GPA(i));
        u->r[i] = (struct req){ VIRTIO_BLK_T_OUT, base + (uint64_t)i * REQ_BYTES, WBUF_GPA(i), REQ_BYTES, false };
        for (unsigned k = 0; k < REQ_BYTES; k++)
            buf[k] = pattern(u->id, u->r[i].offset + k);
    }
}

/* u0, u1: write the pattern over the whole disk, flush, read it all back. */
static void *uvm_vcpu(void *arg)
{
    struct uvm *u = arg;

    for (uint64_t base = 0; base < PART_BYTES; base += NREQ * REQ_BYTES) {
        fill_writes(u, base);
        u->batches_ok &= run_batch(u, NREQ);
    }
    u->r[0] = (struct req){ VIRTIO_BLK_T_FLUSH, 0, 0, 0, false };
    u->batches_ok &= run_batch(u, 1);
    for (uint64_t base = 0; base < PART_BYTES; base += NREQ * REQ_BYTES) {
        for (unsigned i = 0; i < NREQ; i++) {
            memset(guest_ptr(&u->g, RBUF_GPA(i)), 0, REQ_BYTES);
            u->r[i] = (struct req){ VIRTIO_BLK_T_IN, base + (uint64_t)i * REQ_BYTES, RBUF_GPA(i), REQ_BYTES, false };
        }
        u->batches_ok &= run_batch(u, NREQ);
        for (unsigned i = 0; i < NREQ; i++) {
            const uint8_t *buf = guest_ptr(&u->g, RBUF_GPA(i));
            for (unsigned k = 0; k < REQ_BYTES; k++)
                u->data_ok &= buf[k] == pattern(u->id, u->r[i].offset + k);
        }
    }
    atomic_store(&u->done, true);
    return NULL;
}

/* u2: one batch of writes to the end, then another queued, and the VM is gone without waiting. */
static void *uvm_leaver(void *arg)
{
    struct uvm *u = arg;

    fill_writes(u, 0);
    u->batches_ok &= run_batch(u, NREQ);
    fill_writes(u, NREQ * REQ_BYTES);
    pthread_mutex_lock(&u->host.dev_lock);
    u->batches_ok &= queue_batch(u, NREQ);
    pthread_mutex_unlock(&u->host.dev_lock);
    atomic_store(&u->done, true);
    return NULL;
}

/* u0's and u1's partitions on the agent's disk hold their patterns, u2's its first batch. */
static bool disk_holds_patterns(void)
{
    bool same = true;

    for (unsigned c = 0; c < NCLIENTS; c++)
        for (uint64_t k = 0; k < (c < NFULL ? PART_BYTES : NREQ * REQ_BYTES); k++)
            same &= dvm.disk[(uint64_t)c * PART_BYTES + k] == pattern(c, k);
    return same;
}

static void discard_console(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx; (void)buf; (void)len;
}

void scenario_relay(void)
{
    static const struct virtio_console_backend con0 = { discard_console, NULL, NULL };
    char path[96], err[256] = "";
    uint64_t deadline;
    bool up = true;

    snprintf(path, sizeof(path), "%s/relay.sock", tsan_tmpdir());
    memset(&dvm, 0, sizeof(dvm));
    dvm.hello_ok = dvm.frames_ok = true;
    dvm.disk = calloc(NCLIENTS, PART_BYTES);
    dvm.in = malloc(sizeof(struct blk_agent_req) + (256u << 10));
    dvm.out = malloc(AGENT_OUT_BYTES);
    if (!CHECK(dvm.disk && dvm.in && dvm.out))
        goto out;

    /* The driver VMM: console with the agent's port, relay listening, guest up, relay thread. */
    dvm.cli.serve_listen = path;
    dvm.cli.serve_listen_len = strlen(path);
    dvm.cli.nserved = NCLIENTS;
    for (unsigned c = 0; c < NCLIENTS; c++) {
        snprintf(dvm.cli.served[c].client, sizeof(dvm.cli.served[c].client), "%s", client_names[c]);
        dvm.cli.served[c].size = PART_BYTES;
    }
    tsan_host_init(&dvm.host);
    virtio_console_init(&dvm.con, &con0);
    if (!CHECK(blk_relay_host_open(&dvm.rel, &dvm.cli, &dvm.con, err, sizeof(err)) == 0)) {
        fprintf(stderr, "    blk_relay_host_open: %s\n", err);
        goto out;
    }
    CHECK(dvm.rel.port == AGENT_PORT);
    guest_init(&dvm.g, &dvm.con.dev, &dvm.host);
    pthread_mutex_lock(&dvm.host.dev_lock);
    CHECK(guest_bring_up(&dvm.g, CON_FEATURES, CON_QUEUES));
    pthread_mutex_unlock(&dvm.host.dev_lock);
    CHECK(blk_relay_host_start(&dvm.rel, &dvm.host, err, sizeof(err)) == 0);
    pthread_create(&dvm.vcpu, NULL, dvm_vcpu, NULL);

    /* The user VMMs: connect (the relay thread accepts and attaches), then run. */
    for (unsigned c = 0; c < NCLIENTS; c++) {
        struct uvm *u = &uvms[c];

        memset(u, 0, sizeof(*u));
        u->id = c;
        u->batches_ok = u->status_ok = u->data_ok = true;
        tsan_host_init(&u->host);
        if (!CHECK(blk_link_host_open(&u->bl, path, client_names[c], false, err, sizeof(err)) == 0)) {
            fprintf(stderr, "    blk_link_host_open %s: %s\n", client_names[c], err);
            up = false;
            tsan_host_close(&u->host);
            continue;
        }
        guest_init(&u->g, &u->bl.link.blk.dev, &u->host);
        pthread_mutex_lock(&u->host.dev_lock);
        CHECK(guest_bring_up(&u->g, BLK_FEATURES, 1));
        pthread_mutex_unlock(&u->host.dev_lock);
        CHECK(blk_link_host_start(&u->bl, &u->host, err, sizeof(err)) == 0);
    }
    if (up) {
        for (unsigned c = 0; c < NCLIENTS; c++)
            pthread_create(&uvms[c].vcpu, NULL, c < NFULL ? uvm_vcpu : uvm_leaver, &uvms[c]);
        /* u2 goes away with requests in flight while u0 and u1 run. */
        pthread_join(uvms[NFULL].vcpu, NULL);
        kvm_host_stop(&uvms[NFULL].host, 0);
        blk_link_host_join(&uvms[NFULL].bl);
        for (unsigned c = 0; c < NFULL; c++)
            pthread_join(uvms[c].vcpu, NULL);
    }
    /* u0 and u1 go away: the relay thread sees their sockets hang up and detaches them. */
    for (unsigned c = 0; c < NFULL && up; c++) {
        kvm_host_stop(&uvms[c].host, 0);
        blk_link_host_join(&uvms[c].bl);
    }
    for (deadline = tsan_ms() + 10000; tsan_ms() < deadline; usleep(5000)) {
        unsigned gone = 0;
        bool idle;

        for (unsigned c = 0; c < NCLIENTS; c++) {
            char line[64];
            snprintf(line, sizeof(line), "serve-disk: client %s disconnected", client_names[c]);
            gone += tsan_log_count(line);
        }
        /* ... and the agent answered what it was sent (u2's orphans too). */
        pthread_mutex_lock(&dvm.host.dev_lock);
        idle = dvm.rel.relay.ntags_busy == 0;
        pthread_mutex_unlock(&dvm.host.dev_lock);
        if (gone == NCLIENTS && idle)
            break;
    }
    atomic_store(&dvm.stop, true);
    pthread_join(dvm.vcpu, NULL);
    kvm_host_stop(&dvm.host, 0);
    blk_relay_host_join(&dvm.rel);

    for (unsigned c = 0; c < NCLIENTS && up; c++) {
        struct uvm *u = &uvms[c];
        char line[64];

        CHECK(atomic_load(&u->done) && u->batches_ok && u->status_ok);
        CHECK(u->data_ok);
        CHECK(u->bl.link.stats.server_errors == 0 && u->bl.link.stats.parts > 0);
        CHECK(u->g.irqs > 0);
        snprintf(line, sizeof(line), "serve-disk: client %s connected", client_names[c]);
        CHECK(tsan_log_count(line) == 1);
        snprintf(line, sizeof(line), "serve-disk: client %s disconnected", client_names[c]);
        CHECK(tsan_log_count(line) == 1);
        CHECK(dvm.hello[c]);
        guest_free(&u->g);
        tsan_host_close(&u->host);
    }
    CHECK(dvm.port_added[0] && dvm.port_added[1] && dvm.port_open[1] && dvm.name_ok && !dvm.ctrl_bad);
    CHECK(dvm.hello_ok && !dvm.request_before_hello);
    CHECK(dvm.frames_ok && !dvm.out_overflow && dvm.in_got == 0 && dvm.out_len == 0);
    /* 64 KiB requests fit a 128 KiB slot: one agent request each, plus each client's FLUSH. */
    for (unsigned c = 0; c < NFULL; c++)
        CHECK(dvm.writes[c] == PART_BYTES / REQ_BYTES && dvm.reads[c] == PART_BYTES / REQ_BYTES && dvm.flushes[c] == 1);
    /* u2: its first batch, and as much of the second as the relay took before it went away. */
    CHECK(dvm.writes[NFULL] >= NREQ && dvm.writes[NFULL] <= 2 * NREQ && dvm.reads[NFULL] == 0 &&
          dvm.flushes[NFULL] == 0);
    CHECK(disk_holds_patterns());
    {
        const struct blk_relay_stats *st = &dvm.rel.relay.stats;
        uint64_t carried = 0;

        for (unsigned c = 0; c < NCLIENTS; c++)
            carried += dvm.reads[c] + dvm.writes[c] + dvm.flushes[c];
        CHECK(st->requests == carried && st->responses == carried);
        CHECK(st->io_errors == 0 && st->bad_frames == 0 && !dvm.rel.relay.agent_broken &&
              dvm.rel.relay.ntags_busy == 0);
    }
    CHECK(dvm.rel.wakeups > 0 && dvm.g.irqs > 0);
    guest_free(&dvm.g);
    tsan_host_close(&dvm.host);
out:
    free(dvm.disk);
    free(dvm.in);
    free(dvm.out);
}
