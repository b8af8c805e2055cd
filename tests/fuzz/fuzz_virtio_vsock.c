/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz virtio-vsock's packet parser and connection state machine (src/virtio/vsock.c) behind the
 * virtio-mmio transport, on the fake guest memory of fuzz_vdev.h: guest packets on the tx queue in
 * any order, interleaved with host-side backend calls, against a backend that models every
 * connection the device told it about.
 *
 * Input: u8 guest cid - 3, u16 backend buf_alloc, u8 connect policy (bit i: the i-th connect(),
 * mod 8, is refused), u8 send policy, u8 recv policy (see be_send/be_recv), then ops. op & 8
 * clear: fuzz_vdev.h's common ops (queue 0 = rx, 1 = tx, 2 = event); set: (op >> 4) & 7 picks
 *   0 host connect   u8 guest port              virtio_vsock_host_connect
 *   1 host readable  u8 id                      virtio_vsock_host_readable (ids >= 64 too)
 *   2 host consumed  u8 id, u16 n               virtio_vsock_host_consumed
 *   3 host reset     u8 id                      virtio_vsock_host_reset
 *   4 rx buffers     u8 n, u8 size              post n + 1 device-writable buffers, notify rx
 *   5 policy         u8 which, u8 value         new connect/send/recv policy
 *   6 device reset   -
 *   7 guest packet   u8 op|mods, u8 ports, u16 payload, u8 buf_alloc/64, u8 flags [u32 fwd_cnt]
 *                    a well-formed packet (header + payload descriptors) on the tx queue, notified;
 *                    mods: bit 3 foreign src_cid, 4 dst_cid not the host, 5 type not STREAM,
 *                    6 header len = payload + 1, 7 explicit fwd_cnt (else: all received data
 *                    consumed, as the device counted it)
 *
 * Invariants (besides fuzz_vdev.h's): backend calls name open connections only (connect() a free
 * id, connected() only for a host connect awaiting it, close() exactly once per open id); the
 * backend's table equals the device's (so it is bounded by VIRTIO_VSOCK_MAX_CONNS) and is empty
 * after a reset. Credit, guest -> host: send() never leaves more than buf_alloc bytes unconsumed,
 * and the device's unconsumed count equals the backend's. Credit, host -> guest: recv() is asked
 * for at most the credit the guest advertised (buf_alloc minus bytes in flight, by the backend's
 * own count of what it delivered), at most 64 KiB, in buffers that are offered device-writable
 * guest RAM; never after EOF or a shutdown of that direction. No send() after the guest's
 * SHUTDOWN_SEND; the RST ring stays bounded; wants_recv() only for open, readable connections.
 */
#include <svmm/virtio_vsock.h>
#include "fuzz_vdev.h"

#define MAX_OPS 512
#define NCONN VIRTIO_VSOCK_MAX_CONNS
#define RXQ VIRTIO_VSOCK_RXQ
#define TXQ VIRTIO_VSOCK_TXQ
#define HDR VIRTIO_VSOCK_HDR_SIZE

struct model {
    bool open, host_initiated, connecting, eof;
    uint32_t guest_port, host_port;
    uint32_t held;      /* guest bytes the backend keeps unconsumed */
    uint32_t base;      /* the device's tx_cnt when the connection was established */
    uint32_t delivered; /* host bytes the backend handed over */
    uint32_t shut;      /* SHUTDOWN flags the guest sent */
};

static struct {
    struct virtio_vsock v;
    uint64_t cid;
    uint32_t buf_alloc;
    uint8_t conn_pol, send_pol, recv_pol;
    unsigned connects, sends, recvs;
    struct model m[NCONN];
    unsigned nopen;
} vs;

static uint8_t payload[4096];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    vd_global_init();
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 13 + 5);
    return 0;
}

static struct model *open_conn(unsigned id)
{
    FUZZ_CHECK(id < NCONN);
    FUZZ_CHECK(vs.m[id].open);
    return &vs.m[id];
}

static int be_connect(void *ctx, unsigned id, uint32_t port)
{
    const struct vsock_conn *c = &vs.v.conns[id];
    struct model *m;

    FUZZ_CHECK(ctx == &vs && id < NCONN && !vs.m[id].open);
    FUZZ_CHECK(c->host_port == port);
    if ((vs.conn_pol >> (vs.connects++ % 8)) & 1)
        return -1;
    m = &vs.m[id];
    memset(m, 0, sizeof(*m));
    m->open = true;
    m->guest_port = c->guest_port;
    m->host_port = port;
    m->base = c->tx_cnt;
    vs.nopen++;
    return 0;
}

static void be_connected(void *ctx, unsigned id, bool ok)
{
    struct model *m = open_conn(id);

    FUZZ_CHECK(ctx == &vs && m->host_initiated && m->connecting);
    m->connecting = false;
    if (ok) {
        FUZZ_CHECK(vs.v.conns[id].state == VSOCK_ESTABLISHED);
        m->base = vs.v.conns[id].tx_cnt;
    }
}

/* send policy, 2 bits per call: consume everything, nothing, half, or fail (-1; 1 in 4: len + 1). */
static long be_send(void *ctx, unsigned id, const struct virtio_vsock_buf *b, unsigned n, size_t len)
{
    struct model *m = open_conn(id);
    size_t sum = 0;
    unsigned pol = (vs.send_pol >> (2 * (vs.sends++ % 4))) & 3;
    long r;

    FUZZ_CHECK(ctx == &vs && !m->connecting && vs.v.conns[id].state == VSOCK_ESTABLISHED);
    FUZZ_CHECK(!(m->shut & VIRTIO_VSOCK_SHUTDOWN_SEND));
    FUZZ_CHECK(len >= 1 && len <= VIRTIO_VSOCK_MAX_PAYLOAD && n >= 1 && n <= VIRTQ_MAX_SIZE);
    for (unsigned i = 0; i < n; i++) {
        FUZZ_CHECK(b[i].len > 0);
        FUZZ_CHECK(vd_in_ram(b[i].base, b[i].len) || vd_in_ro(b[i].base, b[i].len));
        sum += b[i].len;
    }
    FUZZ_CHECK(sum == len);
    /* Never more than buf_alloc bytes left with the backend. */
    FUZZ_CHECK(m->held <= vs.buf_alloc && len <= vs.buf_alloc - m->held);
    r = pol == 0 ? (long)len : pol == 1 ? 0 : pol == 2 ? (long)(len / 2) : (vs.sends % 4 ? -1 : (long)len + 1);
    if (r >= 0 && r <= (long)len)
        m->held += (uint32_t)(len - (size_t)r);
    return r;
}

/*
 * recv policy, 3 bits per call: 0/1 fill everything offered, 2 about half, 3 AGAIN, 4 EOF, 5 ERR,
 * 6 one byte, 7 claim one byte more than offered (a backend bug the device must contain).
 */
static long be_recv(void *ctx, unsigned id, const struct virtio_vsock_buf *b, unsigned n, size_t len)
{
    struct model *m = open_conn(id);
    const struct vsock_conn *c = &vs.v.conns[id];
    uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;
    unsigned pol = (vs.recv_pol >> (3 * (vs.recvs++ % 2))) & 7;
    size_t sum = 0, want, done = 0;

    FUZZ_CHECK(ctx == &vs && !m->connecting && c->state == VSOCK_ESTABLISHED && !m->eof);
    FUZZ_CHECK(!(m->shut & VIRTIO_VSOCK_SHUTDOWN_RCV));
    /* The device's count of bytes sent equals ours; the guest's fwd_cnt lies within it. */
    FUZZ_CHECK(c->tx_cnt == m->base + m->delivered);
    FUZZ_CHECK((uint32_t)(c->peer_fwd_cnt - m->base) <= m->delivered);
    /* Credit: what is asked for fits the guest's free buffer space. */
    FUZZ_CHECK(len >= 1 && len <= VIRTIO_VSOCK_MAX_PAYLOAD);
    FUZZ_CHECK(in_flight < c->peer_buf_alloc && len <= c->peer_buf_alloc - in_flight);
    FUZZ_CHECK(n >= 1 && n <= VIRTQ_MAX_SIZE);
    for (unsigned i = 0; i < n; i++) {
        FUZZ_CHECK(b[i].len > 0);
        vd_check_guest_writable(b[i].base, b[i].len);
        sum += b[i].len;
    }
    FUZZ_CHECK(sum == len);
    switch (pol) {
    case 3: return VIRTIO_VSOCK_RECV_AGAIN;
    case 4: m->eof = true; return VIRTIO_VSOCK_RECV_EOF;
    case 5: return VIRTIO_VSOCK_RECV_ERR;
    case 7: return (long)len + 1;
    default: break;
    }
    want = pol == 2 ? len / 2 + 1 : pol == 6 ? 1 : len;
    for (unsigned i = 0; i < n && done < want; i++) {
        size_t k = b[i].len < want - done ? b[i].len : want - done;
        memcpy(b[i].base, payload + (m->delivered + done) % 2048, k < 2048 ? k : 2048);
        if (k > 2048)
            memset((uint8_t *)b[i].base + 2048, 0x5a, k - 2048);
        vd_backend_wrote(b[i].base, k);
        done += k;
    }
    m->delivered += (uint32_t)want;
    return (long)want;
}

static void be_shutdown(void *ctx, unsigned id, uint32_t flags)
{
    struct model *m = open_conn(id);

    FUZZ_CHECK(ctx == &vs && !m->connecting);
    FUZZ_CHECK(flags >= 1 && flags <= 3);
    m->shut |= flags;
}

static void be_close(void *ctx, unsigned id)
{
    struct model *m = open_conn(id);

    FUZZ_CHECK(ctx == &vs);
    memset(m, 0, sizeof(*m));
    vs.nopen--;
}

static void be_wake(void *ctx) { FUZZ_CHECK(ctx == &vs); }

static void on_reset(void)
{
    FUZZ_CHECK(vs.nopen == 0);
    FUZZ_CHECK(vs.v.rst_count == 0 && !vs.v.broken);
}

static void check(void)
{
    unsigned live = 0;

    vd_check();
    FUZZ_CHECK(vs.nopen <= NCONN && vs.v.rst_count <= VIRTIO_VSOCK_RST_RING);
    for (unsigned id = 0; id < NCONN; id++) {
        const struct vsock_conn *c = &vs.v.conns[id];
        const struct model *m = &vs.m[id];
        FUZZ_CHECK(m->open == (c->state != VSOCK_FREE));
        if (!m->open) {
            FUZZ_CHECK(!virtio_vsock_wants_recv(&vs.v, id));
            continue;
        }
        live++;
        FUZZ_CHECK(c->guest_port == m->guest_port && c->host_port == m->host_port);
        FUZZ_CHECK((c->state == VSOCK_CONNECTING) == m->connecting);
        if (c->state == VSOCK_ESTABLISHED) {
            FUZZ_CHECK(c->rx_cnt - c->fwd_cnt == m->held);
            FUZZ_CHECK(m->held <= vs.buf_alloc);
            FUZZ_CHECK(c->tx_cnt == m->base + m->delivered);
        }
        if (virtio_vsock_wants_recv(&vs.v, id))
            FUZZ_CHECK(!m->eof && !(m->shut & VIRTIO_VSOCK_SHUTDOWN_RCV) && !c->host_readable);
        /* At most one live connection per port pair. */
        for (unsigned j = id + 1; j < NCONN; j++)
            FUZZ_CHECK(vs.v.conns[j].state == VSOCK_FREE || vs.v.conns[j].guest_port != c->guest_port ||
                       vs.v.conns[j].host_port != c->host_port);
    }
    FUZZ_CHECK(live == vs.nopen);
}

static uint8_t *drv_buf(uint32_t len, uint64_t *gpa)
{
    *gpa = vd_alloc(len);
    return vd_drv_ptr(*gpa, len);
}

static void post_rx(struct fin *f)
{
    static const uint32_t extra[8] = { 0, 1, 16, 100, 512, 4096, 2048, 64 };
    const struct virtq *q = &vs.v.dev.queues[RXQ];
    unsigned n = fin_u8(f) % 8 + 1;
    uint32_t len = HDR + extra[fin_u8(f) % 8];
    const uint8_t *avail;

    if (!q->ready || (avail = vd_drv_ptr(q->avail_gpa, 4)) == NULL)
        return;
    for (unsigned i = 0; i < n; i++) {
        uint16_t d = (uint16_t)(fz_get(avail + 2, 2) % q->num);
        uint64_t gpa;
        if (drv_buf(len, &gpa) == NULL)
            return;
        vd_desc_write(q->desc_gpa, d, gpa, len, VIRTQ_DESC_F_WRITE, 0);
        vd_publish(q, d);
    }
    vd_capture();
    vd_wr32(0x050, RXQ);
}

static void guest_packet(struct fin *f)
{
    const struct virtq *q = &vs.v.dev.queues[TXQ];
    uint8_t om = fin_u8(f), ports = fin_u8(f), h[HDR];
    uint32_t plen = fin_u16(f) % (sizeof(payload) + 1), buf = (uint32_t)fin_u8(f) * 64, flags = fin_u8(f);
    uint32_t gport = 1024 + (ports & 7);
    uint32_t hport = (ports & 0x80) ? VIRTIO_VSOCK_LOCAL_PORT_BASE + 1 + ((ports >> 3) & 7) : 5000 + ((ports >> 3) & 15);
    uint32_t fwd = 0;
    const uint8_t *avail;
    uint64_t hgpa, pgpa;
    uint16_t d;

    if (om & 0x80) {
        fwd = fin_u32(f);
    } else {
        for (unsigned id = 0; id < NCONN; id++)
            if (vs.v.conns[id].state != VSOCK_FREE && vs.v.conns[id].guest_port == gport &&
                vs.v.conns[id].host_port == hport)
                fwd = vs.v.conns[id].tx_cnt;
    }
    if (!q->ready || (avail = vd_drv_ptr(q->avail_gpa, 4)) == NULL)
        return;
    fz_put(h, (om & 0x08) ? vs.cid + 1 : vs.cid, 8);
    fz_put(h + 8, (om & 0x10) ? 1 : VIRTIO_VSOCK_HOST_CID, 8);
    fz_put(h + 16, gport, 4);
    fz_put(h + 20, hport, 4);
    fz_put(h + 24, plen + ((om & 0x40) ? 1 : 0), 4);
    fz_put(h + 28, (om & 0x20) ? 2 : VIRTIO_VSOCK_TYPE_STREAM, 2);
    fz_put(h + 30, om & 7, 2);
    fz_put(h + 32, flags, 4);
    fz_put(h + 36, buf, 4);
    fz_put(h + 40, fwd, 4);
    hgpa = vd_alloc(HDR);
    vd_drv_write(hgpa, h, HDR);
    d = (uint16_t)((2 * fz_get(avail + 2, 2)) % q->num);
    if (plen > 0) {
        pgpa = vd_alloc(plen);
        vd_drv_write(pgpa, payload, plen);
        vd_desc_write(q->desc_gpa, d, hgpa, HDR, VIRTQ_DESC_F_NEXT, (uint16_t)((d + 1) % q->num));
        vd_desc_write(q->desc_gpa, (uint16_t)((d + 1) % q->num), pgpa, plen, 0, 0);
    } else {
        vd_desc_write(q->desc_gpa, d, hgpa, HDR, 0, 0);
    }
    vd_publish(q, d);
    vd_capture();
    vd_wr32(0x050, TXQ);
}

static void vsock_op(uint8_t op, struct fin *f)
{
    switch ((op >> 4) & 7) {
    case 0: {
        uint32_t port = 1024 + (fin_u8(f) & 7), hp = 0;
        int id = virtio_vsock_host_connect(&vs.v, port, &hp);
        FUZZ_CHECK(id >= -1 && id < (int)NCONN);
        if (id >= 0) {
            struct model *m = &vs.m[id];
            FUZZ_CHECK(!m->open && vs.v.conns[id].state != VSOCK_FREE);
            FUZZ_CHECK(hp >= VIRTIO_VSOCK_LOCAL_PORT_BASE);
            memset(m, 0, sizeof(*m));
            m->open = m->host_initiated = m->connecting = true;
            m->guest_port = port;
            m->host_port = hp;
            vs.nopen++;
            /* rx_process ran inside: the REQUEST may already be out; nothing else changed state */
            FUZZ_CHECK(vs.v.conns[id].state == VSOCK_CONNECTING);
        }
        break;
    }
    case 1: virtio_vsock_host_readable(&vs.v, fin_u8(f) % (NCONN + 4)); break;
    case 2: {
        unsigned id = fin_u8(f) % (NCONN + 4);
        uint16_t n = fin_u16(f);
        if (id < NCONN && vs.m[id].open && vs.v.conns[id].state == VSOCK_ESTABLISHED)
            vs.m[id].held -= n < vs.m[id].held ? n : vs.m[id].held;
        virtio_vsock_host_consumed(&vs.v, id, n);
        break;
    }
    case 3: virtio_vsock_host_reset(&vs.v, fin_u8(f) % (NCONN + 4)); break;
    case 4: post_rx(f); break;
    case 5: {
        uint8_t which = fin_u8(f), val = fin_u8(f);
        if (which % 3 == 0)
            vs.conn_pol = val;
        else if (which % 3 == 1)
            vs.send_pol = val;
        else
            vs.recv_pol = val;
        break;
    }
    case 6: vd_wr32(0x070, 0); break;
    case 7: guest_packet(f); break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned feats[6] = { VIRTIO_F_INDIRECT_DESC, VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC,
                                       VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_EVENT_IDX };
    struct fin f = fin_make(data, size);
    struct virtio_vsock_backend be = { &vs, 0, be_connect, be_connected, be_send, be_recv,
                                       be_shutdown, be_close, be_wake };

    memset(&vs, 0, sizeof(vs));
    vs.cid = 3 + fin_u8(&f);
    vs.buf_alloc = be.buf_alloc = fin_u16(&f);
    vs.conn_pol = fin_u8(&f);
    vs.send_pol = fin_u8(&f);
    vs.recv_pol = fin_u8(&f);
    virtio_vsock_init(&vs.v, vs.cid, &be);
    vd_setup(&vs.v.dev, on_reset, feats);
    FUZZ_CHECK(vd_rd32(0x000) == 0x74726976u && vd_rd32(0x008) == VIRTIO_ID_VSOCK);
    FUZZ_CHECK(vd_rd32(0x100) == (uint32_t)vs.cid && vd_rd32(0x104) == 0);
    vd_run_ops(&f, MAX_OPS, vsock_op, check);
    /* The VM goes away: the reset closes every connection. */
    vd_wr32(0x070, 0);
    check();
    return 0;
}
