/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-vsock on the Unix-socket bridge (src/platform/kvm/vsock_uds.c) and its socket thread, two
 * connections at once, each carrying data both ways:
 *   A: the guest connects to host port 1234 (svmm connects to PATH_1234, where a host thread echoes
 *      everything back); the guest sends a pattern and checks the echo.
 *   B: a host thread connects to PATH with "CONNECT 6000", gets "OK <port>", sends another pattern
 *      and checks what the guest echoes back.
 * The guest side speaks the protocol from fake guest RAM (credit, CREDIT_UPDATE, SHUTDOWN, RST).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "tsan.h"
#include "vsock_uds.h"
#include <svmm/le.h>

#define CID 3u
#define TOTAL (2u << 20)         /* bytes each connection carries each way */
#define GUEST_BUF_ALLOC (256u << 10)
#define HDR 44u
#define RXBUFS 64u
#define RXBUF_BYTES 4096u
#define TXSLOTS 32u
#define TXSLOT_BYTES (HDR + 4096u)
#define RXBUF_GPA(i) (GUEST_DATA_GPA + RXBUF_BYTES * (i))
#define TXBUF_GPA(i) (GUEST_DATA_GPA + (1u << 20) + TXSLOT_BYTES * (i))
#define PORT_A 1234u
#define GPORT_A 5000u
#define PORT_B 6000u
#define FEATURES (1ull << VIRTIO_F_VERSION_1)

static struct kvm_host host;
static struct vsock_uds uds;
static struct guest g;
static char path[80]; /* "PATH_<port>" must fit sun_path too */
static atomic_bool b_verified;
static atomic_uint host_errors;

static uint8_t pattern(unsigned which, uint32_t off)
{
    return (uint8_t)(off * 2654435761u >> 9 ^ off >> 13 ^ which * 0x5bu);
}

/* ---- the host side ---- */

static int listen_a = -1;
static uint32_t a_host_bytes;
static uint32_t b_hport_line, b_hport_req;
static bool b_eof;

/* Echo everything the guest sends on connection A. */
static void *host_a(void *arg)
{
    uint8_t buf[65536];
    int fd = accept(listen_a, NULL, NULL);

    (void)arg;
    if (fd < 0) {
        atomic_fetch_add(&host_errors, 1);
        return NULL;
    }
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf)), w = 0;
        if (n <= 0)
            break;
        for (ssize_t k = 0; k < n; k++)
            if (buf[k] != pattern(0, a_host_bytes + (uint32_t)k))
                atomic_fetch_add(&host_errors, 1);
        while (w < n) {
            ssize_t r = write(fd, buf + w, (size_t)(n - w));
            if (r <= 0)
                break;
            w += r;
        }
        a_host_bytes += (uint32_t)n;
    }
    close(fd);
    return NULL;
}

static void *host_b_writer(void *arg)
{
    int fd = *(int *)arg;
    uint8_t buf[8192];

    for (uint32_t off = 0; off < TOTAL;) {
        uint32_t n = TOTAL - off < sizeof(buf) ? TOTAL - off : (uint32_t)sizeof(buf);
        ssize_t w;
        for (uint32_t k = 0; k < n; k++)
            buf[k] = pattern(1, off + k);
        w = write(fd, buf, n);
        if (w <= 0) {
            atomic_fetch_add(&host_errors, 1);
            break;
        }
        off += (uint32_t)w;
    }
    return NULL;
}

/* Connect to the guest's port 6000 through PATH, send the pattern, check the echo. */
static void *host_b(void *arg)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    uint8_t buf[65536];
    char line[32];
    unsigned len = 0;
    uint32_t got = 0;
    pthread_t w;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    (void)arg;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        write(fd, "CONNECT 6000\n", 13) != 13) {
        atomic_fetch_add(&host_errors, 1);
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    while (len < sizeof(line) - 1 && read(fd, line + len, 1) == 1 && line[len] != '\n')
        len++;
    line[len] = '\0';
    if (sscanf(line, "OK %u", &b_hport_line) != 1)
        atomic_fetch_add(&host_errors, 1);
    pthread_create(&w, NULL, host_b_writer, &fd);
    while (got < TOTAL) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        for (ssize_t k = 0; k < n; k++)
            if (buf[k] != pattern(1, got + (uint32_t)k))
                atomic_fetch_add(&host_errors, 1);
        got += (uint32_t)n;
    }
    pthread_join(w, NULL);
    atomic_store(&b_verified, got == TOTAL);
    /* The guest closes once it knows we have everything: then the bridge closes our socket. */
    b_eof = read(fd, buf, sizeof(buf)) == 0;
    close(fd);
    return NULL;
}

/* ---- the guest side ---- */

struct gconn {
    bool live, established, rst, shut_sent, unexpected;
    uint32_t gport, hport;
    uint32_t tx_cnt, peer_buf_alloc, peer_fwd_cnt; /* guest -> host credit */
    uint32_t rx_cnt, fwd_cnt, fwd_told;            /* host -> guest */
};

static struct gconn ca, cb;
static uint8_t *echo;          /* B: received, not yet echoed (ring of GUEST_BUF_ALLOC) */
static uint32_t a_sent, a_recv; /* A: pattern bytes sent, echo bytes checked */
static bool guest_data_ok = true;
static unsigned bad_packets;
static bool tx_busy[TXSLOTS];

static uint32_t credit(const struct gconn *c)
{
    uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

    return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

static int free_slot(void)
{
    for (unsigned s = 0; s < TXSLOTS; s++)
        if (!tx_busy[s])
            return (int)s;
    return -1;
}

/* Send one packet on c from tx slot s; the payload is already at the slot's data area. */
static void send_pkt(struct gconn *c, int s, uint16_t op, uint32_t flags, uint32_t len)
{
    uint8_t *h = guest_ptr(&g, TXBUF_GPA(s));
    struct gbuf b[2] = { { TXBUF_GPA(s), HDR, false }, { TXBUF_GPA(s) + HDR, len, false } };

    memset(h, 0, HDR);
    le_put(h, CID, 8);
    le_put(h + 8, VIRTIO_VSOCK_HOST_CID, 8);
    le_put(h + 16, c->gport, 4);
    le_put(h + 20, c->hport, 4);
    le_put(h + 24, len, 4);
    le_put(h + 28, VIRTIO_VSOCK_TYPE_STREAM, 2);
    le_put(h + 30, op, 2);
    le_put(h + 32, flags, 4);
    le_put(h + 36, GUEST_BUF_ALLOC, 4);
    le_put(h + 40, c->fwd_cnt, 4);
    c->fwd_told = c->fwd_cnt;
    c->tx_cnt += len;
    tx_busy[s] = true;
    if (guest_add(&g, VIRTIO_VSOCK_TXQ, b, len ? 2 : 1, (void *)(uintptr_t)(s + 1)) < 0)
        bad_packets++;
    guest_kick(&g, VIRTIO_VSOCK_TXQ);
}

static void take_credit(struct gconn *c, const uint8_t *h)
{
    c->peer_buf_alloc = (uint32_t)le_get(h + 36, 4);
    c->peer_fwd_cnt = (uint32_t)le_get(h + 40, 4);
}

/* One packet from the device. */
static void rx_packet(const uint8_t *p, uint32_t used_len)
{
    uint32_t sport = (uint32_t)le_get(p + 16, 4), dport = (uint32_t)le_get(p + 20, 4);
    uint32_t len = (uint32_t)le_get(p + 24, 4);
    uint16_t op = (uint16_t)le_get(p + 30, 2);
    struct gconn *c = NULL;

    if (le_get(p, 8) != VIRTIO_VSOCK_HOST_CID || le_get(p + 8, 8) != CID || used_len != HDR + len) {
        bad_packets++;
        return;
    }
    if (op == VIRTIO_VSOCK_OP_REQUEST && dport == PORT_B && !cb.live) {
        cb = (struct gconn){ .live = true, .established = true, .gport = PORT_B, .hport = sport };
        b_hport_req = sport;
        take_credit(&cb, p);
        send_pkt(&cb, free_slot(), VIRTIO_VSOCK_OP_RESPONSE, 0, 0);
        return;
    }
    if (ca.live && dport == ca.gport && sport == ca.hport)
        c = &ca;
    else if (cb.live && dport == cb.gport && sport == cb.hport)
        c = &cb;
    if (c == NULL || c->rst) {
        bad_packets++;
        return;
    }
    if (op == VIRTIO_VSOCK_OP_RST) {
        c->rst = true;
        return;
    }
    take_credit(c, p);
    switch (op) {
    case VIRTIO_VSOCK_OP_RESPONSE:
        c->unexpected |= c != &ca || c->established;
        c->established = true;
        break;
    case VIRTIO_VSOCK_OP_RW:
        for (uint32_t k = 0; k < len; k++) {
            if (c == &ca) {
                guest_data_ok &= p[HDR + k] == pattern(0, a_recv + k);
            } else {
                guest_data_ok &= p[HDR + k] == pattern(1, c->rx_cnt + k);
                echo[(c->rx_cnt + k) % GUEST_BUF_ALLOC] = p[HDR + k];
            }
        }
        /* The device must stay within the credit we advertised. */
        guest_data_ok &= c->rx_cnt + len - c->fwd_cnt <= GUEST_BUF_ALLOC;
        c->rx_cnt += len;
        if (c == &ca) {
            a_recv += len;
            c->fwd_cnt = c->rx_cnt; /* checked and consumed at once */
        }
        break;
    case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
        break;
    default:
        c->unexpected = true;
        break;
    }
}

/* Send what credit and tx slots allow: A's pattern, B's echo, credit updates, the final SHUTDOWNs. */
static void tx_work(void)
{
    int s;

    while (ca.established && !ca.shut_sent && a_sent < TOTAL && credit(&ca) > 0 && (s = free_slot()) >= 0) {
        uint32_t n = TOTAL - a_sent, cr = credit(&ca);
        uint8_t *d = guest_ptr(&g, TXBUF_GPA(s) + HDR);
        if (n > 4096)
            n = 4096;
        if (n > cr)
            n = cr;
        for (uint32_t k = 0; k < n; k++)
            d[k] = pattern(0, a_sent + k);
        a_sent += n;
        send_pkt(&ca, s, VIRTIO_VSOCK_OP_RW, 0, n);
    }
    while (cb.established && !cb.shut_sent && cb.rx_cnt != cb.fwd_cnt && credit(&cb) > 0 && (s = free_slot()) >= 0) {
        uint32_t n = cb.rx_cnt - cb.fwd_cnt, cr = credit(&cb);
        uint8_t *d = guest_ptr(&g, TXBUF_GPA(s) + HDR);
        if (n > 4096)
            n = 4096;
        if (n > cr)
            n = cr;
        for (uint32_t k = 0; k < n; k++)
            d[k] = echo[(cb.fwd_cnt + k) % GUEST_BUF_ALLOC];
        cb.fwd_cnt += n; /* consumed once echoed: this packet tells the device */
        send_pkt(&cb, s, VIRTIO_VSOCK_OP_RW, 0, n);
    }
    for (struct gconn *c = &ca; c; c = c == &ca ? &cb : NULL)
        if (c->established && !c->shut_sent && c->fwd_cnt - c->fwd_told >= GUEST_BUF_ALLOC / 4 &&
            (s = free_slot()) >= 0)
            send_pkt(c, s, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, 0);
    /* Close each connection once its data went both ways: the device answers with RST. */
    if (ca.established && !ca.shut_sent && a_recv == TOTAL && (s = free_slot()) >= 0) {
        send_pkt(&ca, s, VIRTIO_VSOCK_OP_SHUTDOWN, 3, 0);
        ca.shut_sent = true;
    }
    if (cb.established && !cb.shut_sent && atomic_load(&b_verified) && cb.rx_cnt == cb.fwd_cnt &&
        (s = free_slot()) >= 0) {
        send_pkt(&cb, s, VIRTIO_VSOCK_OP_SHUTDOWN, 3, 0);
        cb.shut_sent = true;
    }
}

static void guest_run(void)
{
    uint64_t deadline = tsan_ms() + 30000;

    for (unsigned i = 0; i < RXBUFS; i++) {
        struct gbuf b = { RXBUF_GPA(i), RXBUF_BYTES, true };
        guest_add(&g, VIRTIO_VSOCK_RXQ, &b, 1, (void *)(uintptr_t)(i + 1));
    }
    guest_kick(&g, VIRTIO_VSOCK_RXQ);
    ca = (struct gconn){ .live = true, .gport = GPORT_A, .hport = PORT_A };
    send_pkt(&ca, free_slot(), VIRTIO_VSOCK_OP_REQUEST, 0, 0);
    while (!(ca.rst && cb.rst) && tsan_ms() < deadline) {
        void *cookie;
        uint32_t len;
        bool reposted = false;

        while (guest_get(&g, VIRTIO_VSOCK_TXQ, NULL, &cookie) == 1)
            tx_busy[(uintptr_t)cookie - 1] = false;
        while (guest_get(&g, VIRTIO_VSOCK_RXQ, &len, &cookie) == 1) {
            unsigned i = (unsigned)(uintptr_t)cookie - 1;
            struct gbuf b = { RXBUF_GPA(i), RXBUF_BYTES, true };
            rx_packet(guest_ptr(&g, RXBUF_GPA(i)), len);
            guest_add(&g, VIRTIO_VSOCK_RXQ, &b, 1, cookie);
            reposted = true;
            while (guest_get(&g, VIRTIO_VSOCK_TXQ, NULL, &cookie) == 1)
                tx_busy[(uintptr_t)cookie - 1] = false;
        }
        if (reposted)
            guest_kick(&g, VIRTIO_VSOCK_RXQ);
        tx_work();
        guest_wait(&g, 10);
    }
}

void scenario_vsock(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char err[256] = "";
    pthread_t ta, tb;

    echo = malloc(GUEST_BUF_ALLOC);
    atomic_store(&b_verified, false);
    snprintf(path, sizeof(path), "%s/vsock.sock", tsan_tmpdir());
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", path, PORT_A);
    listen_a = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (!CHECK(listen_a >= 0 && bind(listen_a, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(listen_a, 4) == 0))
        return;
    tsan_host_init(&host);
    if (!CHECK(vsock_uds_open(&uds, CID, path, err, sizeof(err)) == 0)) {
        fprintf(stderr, "    vsock_uds_open: %s\n", err);
        return;
    }
    guest_init(&g, &uds.vsock.dev, &host);
    pthread_mutex_lock(&host.dev_lock);
    CHECK(guest_bring_up(&g, FEATURES, 3));
    pthread_mutex_unlock(&host.dev_lock);
    CHECK(vsock_uds_start(&uds, &host, err, sizeof(err)) == 0);
    pthread_create(&ta, NULL, host_a, NULL);
    pthread_create(&tb, NULL, host_b, NULL);

    pthread_mutex_lock(&host.dev_lock);
    guest_run();
    pthread_mutex_unlock(&host.dev_lock);

    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    kvm_host_stop(&host, 0);
    vsock_uds_join(&uds);
    close(listen_a);

    CHECK(ca.established && ca.rst && !ca.unexpected);          /* A: connected, closed by RST */
    CHECK(a_sent == TOTAL && a_recv == TOTAL && a_host_bytes == TOTAL);
    CHECK(cb.established && cb.rst && !cb.unexpected);          /* B: the guest accepted, closed */
    CHECK(b_hport_req >= VIRTIO_VSOCK_LOCAL_PORT_BASE && b_hport_line == b_hport_req);
    CHECK(atomic_load(&b_verified) && cb.rx_cnt == TOTAL && b_eof);
    CHECK(guest_data_ok);
    CHECK(bad_packets == 0);
    CHECK(atomic_load(&host_errors) == 0);
    CHECK(uds.vsock.stats.tx_bytes == 2ull * TOTAL && uds.vsock.stats.rx_bytes == 2ull * TOTAL);
    CHECK(uds.vsock.stats.resets_sent == 2 && uds.vsock.stats.dropped_bad_cid == 0);
    CHECK(g.irqs > 0);
    guest_free(&g);
    tsan_host_close(&host);
    free(echo);
}
