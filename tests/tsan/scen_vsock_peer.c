/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VM-to-VM vsock (src/platform/kvm/vsock_peers.c): two VMMs in this process, CIDs 3 and 4, each
 * with its own host, guest, virtio-vsock device, Unix-socket thread (vsock_uds.c, idle here) and
 * peers thread, meeting over a netq_shm link through one rendezvous socket. VMM 4 (the connector)
 * starts first, so its peers thread retries until VMM 3 (the listener) is up; meanwhile each guest's
 * REQUEST to the other is answered with RST by its own device (the link is down) and retried.
 * Then each guest has two connections with the other, one it opened and one it accepted, and every
 * connection carries a pattern both ways at once (the guests do the stream protocol end to end:
 * credit, CREDIT_UPDATE, SHUTDOWN, RST); all four streams are checked byte for byte. Last, VMM 4
 * stops: VMM 3's peers thread must see its socket hang up and take the link down while guest 3
 * runs, and guest 3's next REQUEST to CID 4 must come back as RST from CID 4.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tsan.h"
#include "vsock_peers.h"
#include "vsock_uds.h"
#include <svmm/le.h>

#define TOTAL (1u << 20)         /* bytes each connection carries each way */
#define ALLOC (256u << 10)       /* each guest's receive buffer per connection (buf_alloc) */
#define HDR 44u
#define RXBUFS 64u
#define RXBUF_BYTES (HDR + 4096u)
#define TXSLOTS 32u
#define TXSLOT_BYTES (HDR + 4096u)
#define RXBUF_GPA(i) (GUEST_DATA_GPA + RXBUF_BYTES * (i))
#define TXBUF_GPA(i) (GUEST_DATA_GPA + (1u << 20) + TXSLOT_BYTES * (i))
#define LISTEN_PORT(vm) (7000u + (vm))  /* each guest listens here */
#define OPEN_PORT(vm) (5000u + (vm))    /* the local port of the connection each guest opens */
#define PROBE_PORT 5100u                /* guest 0's REQUEST after the peer VMM went away */
#define RETRY_MS 20u
#define FEATURES (1ull << VIRTIO_F_VERSION_1)

enum { IDLE, CONNECTING, ESTABLISHED, CLOSED };

struct conn {
    int state;
    bool opener;                   /* this guest sent the REQUEST */
    uint32_t lport, rport;
    uint32_t tx_cnt, peer_alloc, peer_fwd;  /* sent, and the peer's credit */
    uint32_t rx_cnt, fwd_told;              /* received (consumed at once), fwd_cnt last told */
    bool shut_sent;
    uint64_t retry_at;
    unsigned refused;              /* REQUESTs answered with RST (the link was not up yet) */
};

struct vm {
    unsigned id;                   /* 0: CID 3, the listener; 1: CID 4, the connector */
    uint64_t cid, peer_cid;
    struct kvm_host host;
    struct vsock_uds uds;
    struct vsock_peers peers;
    struct svmm_cli_vsock cli;
    struct guest g;
    pthread_t vcpu;
    struct conn c[2];              /* [0]: opened by this guest, [1]: accepted from the other */
    bool tx_busy[TXSLOTS];
    bool data_ok, ring_ok;
    unsigned bad_packets;
    atomic_int done;               /* 0: running, 1: all four streams through and closed, -1: deadline */
    /* guest 0 only: the probe after VMM 1 is gone */
    struct conn probe;
    atomic_bool probe_rst;         /* RST from CID 4 for the probe */
};

static struct vm vms[2];
static char rendezvous[96];
static atomic_bool probe_go;

/* Stream bytes: which = 2 * (the opening guest) + (0: opener -> accepter, 1: back). */
static uint8_t pattern(unsigned which, uint32_t off)
{
    return (uint8_t)(off * 2654435761u >> 9 ^ off >> 13 ^ which * 0x5bu);
}

static unsigned stream(const struct vm *v, const struct conn *c, bool sending)
{
    unsigned opener_vm = c->opener ? v->id : !v->id;
    return 2 * opener_vm + (sending == c->opener ? 0 : 1);
}

static uint32_t credit(const struct conn *c)
{
    uint32_t in_flight = c->tx_cnt - c->peer_fwd;
    return in_flight >= c->peer_alloc ? 0 : c->peer_alloc - in_flight;
}

static int free_slot(struct vm *v)
{
    for (unsigned s = 0; s < TXSLOTS; s++)
        if (!v->tx_busy[s])
            return (int)s;
    return -1;
}

/* Send a packet on c from tx slot s (payload already in the slot) to the other guest. */
static void send_pkt(struct vm *v, struct conn *c, int s, uint16_t op, uint32_t flags, uint32_t len)
{
    uint8_t *h = guest_ptr(&v->g, TXBUF_GPA(s));
    struct gbuf b[2] = { { TXBUF_GPA(s), HDR, false }, { TXBUF_GPA(s) + HDR, len, false } };

    memset(h, 0, HDR);
    le_put(h, v->cid, 8);
    le_put(h + 8, v->peer_cid, 8);
    le_put(h + 16, c->lport, 4);
    le_put(h + 20, c->rport, 4);
    le_put(h + 24, len, 4);
    le_put(h + 28, VIRTIO_VSOCK_TYPE_STREAM, 2);
    le_put(h + 30, op, 2);
    le_put(h + 32, flags, 4);
    le_put(h + 36, ALLOC, 4);
    le_put(h + 40, c->rx_cnt, 4);
    c->fwd_told = c->rx_cnt;
    c->tx_cnt += len;
    v->tx_busy[s] = true;
    v->ring_ok &= guest_add(&v->g, VIRTIO_VSOCK_TXQ, b, len ? 2 : 1, (void *)(uintptr_t)(s + 1)) >= 0;
    guest_kick(&v->g, VIRTIO_VSOCK_TXQ); /* the MMIO exit: the device relays it onto the link right here */
}

static void rx_packet(struct vm *v, const uint8_t *p, uint32_t used_len)
{
    uint32_t sport = (uint32_t)le_get(p + 16, 4), dport = (uint32_t)le_get(p + 20, 4);
    uint32_t len = (uint32_t)le_get(p + 24, 4);
    uint16_t op = (uint16_t)le_get(p + 30, 2);
    struct conn *c = NULL;

    if (le_get(p, 8) != v->peer_cid || le_get(p + 8, 8) != v->cid || used_len != HDR + len) {
        v->bad_packets++;
        return;
    }
    if (v->id == 0 && dport == PROBE_PORT && sport == LISTEN_PORT(1) && v->probe.state == CONNECTING) {
        if (op == VIRTIO_VSOCK_OP_RST)
            atomic_store(&v->probe_rst, true);
        else
            v->bad_packets++;
        v->probe.state = CLOSED;
        return;
    }
    if (op == VIRTIO_VSOCK_OP_REQUEST && dport == LISTEN_PORT(v->id) && v->c[1].state == IDLE) {
        c = &v->c[1];
        *c = (struct conn){ .state = ESTABLISHED, .lport = dport, .rport = sport,
                            .peer_alloc = (uint32_t)le_get(p + 36, 4), .peer_fwd = (uint32_t)le_get(p + 40, 4) };
        send_pkt(v, c, free_slot(v), VIRTIO_VSOCK_OP_RESPONSE, 0, 0);
        return;
    }
    for (unsigned i = 0; i < 2; i++)
        if (v->c[i].state != IDLE && v->c[i].state != CLOSED && dport == v->c[i].lport && sport == v->c[i].rport)
            c = &v->c[i];
    if (c == NULL) {
        v->bad_packets++;
        return;
    }
    if (op == VIRTIO_VSOCK_OP_RST) {
        if (c->state == CONNECTING) {
            /* From our own device: the link is not up yet. Try again shortly. */
            c->state = IDLE;
            c->refused++;
            c->retry_at = tsan_ms() + RETRY_MS;
        } else {
            /* The accepter's answer to our SHUTDOWN: the connection is over. */
            v->data_ok &= c->opener && c->shut_sent;
            c->state = CLOSED;
        }
        return;
    }
    c->peer_alloc = (uint32_t)le_get(p + 36, 4);
    c->peer_fwd = (uint32_t)le_get(p + 40, 4);
    switch (op) {
    case VIRTIO_VSOCK_OP_RESPONSE:
        v->data_ok &= c->state == CONNECTING;
        c->state = ESTABLISHED;
        break;
    case VIRTIO_VSOCK_OP_RW: {
        unsigned which = stream(v, c, false);
        for (uint32_t k = 0; k < len; k++)
            v->data_ok &= p[HDR + k] == pattern(which, c->rx_cnt + k);
        /* The peer must stay within the credit we gave. */
        v->data_ok &= c->rx_cnt + len - c->fwd_told <= ALLOC;
        c->rx_cnt += len; /* checked and consumed at once */
        break;
    }
    case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
        break;
    case VIRTIO_VSOCK_OP_SHUTDOWN: {
        /* The opener has everything and closes: the accepter answers with RST, as Linux does. */
        int s = free_slot(v);
        v->data_ok &= !c->opener && c->rx_cnt == TOTAL && c->tx_cnt == TOTAL;
        if (s >= 0)
            send_pkt(v, c, s, VIRTIO_VSOCK_OP_RST, 0, 0);
        else
            v->bad_packets++;
        c->state = CLOSED;
        break;
    }
    default:
        v->bad_packets++;
        break;
    }
}

/* Requests, data within credit, credit updates and the opener's SHUTDOWN, as far as slots allow. */
static void tx_work(struct vm *v)
{
    struct conn *o = &v->c[0];
    int s;

    if (o->state == IDLE && tsan_ms() >= o->retry_at && (s = free_slot(v)) >= 0) {
        unsigned refused = o->refused;
        *o = (struct conn){ .state = CONNECTING, .opener = true, .lport = OPEN_PORT(v->id),
                            .rport = LISTEN_PORT(!v->id), .refused = refused };
        send_pkt(v, o, s, VIRTIO_VSOCK_OP_REQUEST, 0, 0);
    }
    for (unsigned i = 0; i < 2; i++) {
        struct conn *c = &v->c[i];
        unsigned which = stream(v, c, true);

        if (c->state != ESTABLISHED)
            continue;
        while (c->tx_cnt < TOTAL && credit(c) > 0 && (s = free_slot(v)) >= 0) {
            uint32_t n = TOTAL - c->tx_cnt, cr = credit(c);
            uint8_t *d = guest_ptr(&v->g, TXBUF_GPA(s) + HDR);
            if (n > 4096)
                n = 4096;
            if (n > cr)
                n = cr;
            for (uint32_t k = 0; k < n; k++)
                d[k] = pattern(which, c->tx_cnt + k);
            send_pkt(v, c, s, VIRTIO_VSOCK_OP_RW, 0, n);
        }
        if (c->rx_cnt - c->fwd_told >= ALLOC / 4 && (s = free_slot(v)) >= 0)
            send_pkt(v, c, s, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, 0);
        if (c->opener && !c->shut_sent && c->tx_cnt == TOTAL && c->rx_cnt == TOTAL && (s = free_slot(v)) >= 0) {
            send_pkt(v, c, s, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND, 0);
            c->shut_sent = true;
        }
    }
    /*
     * The peers thread logs the hangup just before it takes the link down: a REQUEST in between
     * goes onto the dead link and is never answered, so the probe is sent again until the RST.
     */
    if (v->id == 0 && atomic_load(&probe_go) && v->probe.state != CLOSED && tsan_ms() >= v->probe.retry_at &&
        (s = free_slot(v)) >= 0) {
        v->probe = (struct conn){ .state = CONNECTING, .opener = true, .lport = PROBE_PORT, .rport = LISTEN_PORT(1),
                                  .retry_at = tsan_ms() + 50 };
        send_pkt(v, &v->probe, s, VIRTIO_VSOCK_OP_REQUEST, 0, 0);
    }
}

static bool streams_done(const struct vm *v)
{
    return v->c[0].state == CLOSED && v->c[1].state == CLOSED;
}

/* The vCPU: both connections to the end; guest 0 then stays for the probe. */
static void *vcpu(void *arg)
{
    struct vm *v = arg;
    uint64_t deadline = tsan_ms() + 40000;

    pthread_mutex_lock(&v->host.dev_lock);
    for (unsigned i = 0; i < RXBUFS; i++) {
        struct gbuf b = { RXBUF_GPA(i), RXBUF_BYTES, true };
        v->ring_ok &= guest_add(&v->g, VIRTIO_VSOCK_RXQ, &b, 1, (void *)(uintptr_t)(i + 1)) >= 0;
    }
    guest_kick(&v->g, VIRTIO_VSOCK_RXQ);
    while (tsan_ms() < deadline) {
        void *cookie;
        uint32_t len;
        bool reposted = false;

        if (atomic_load(&v->done) == 0 && streams_done(v))
            atomic_store(&v->done, 1);
        if (atomic_load(&v->done) != 0 && (v->id == 1 || v->probe.state == CLOSED))
            break;
        while (guest_get(&v->g, VIRTIO_VSOCK_TXQ, NULL, &cookie) == 1)
            v->tx_busy[(uintptr_t)cookie - 1] = false;
        while (guest_get(&v->g, VIRTIO_VSOCK_RXQ, &len, &cookie) == 1) {
            unsigned i = (unsigned)(uintptr_t)cookie - 1;
            struct gbuf b = { RXBUF_GPA(i), RXBUF_BYTES, true };
            rx_packet(v, guest_ptr(&v->g, RXBUF_GPA(i)), len);
            v->ring_ok &= guest_add(&v->g, VIRTIO_VSOCK_RXQ, &b, 1, cookie) >= 0;
            reposted = true;
            while (guest_get(&v->g, VIRTIO_VSOCK_TXQ, NULL, &cookie) == 1)
                v->tx_busy[(uintptr_t)cookie - 1] = false;
        }
        if (reposted)
            guest_kick(&v->g, VIRTIO_VSOCK_RXQ);
        tx_work(v);
        guest_wait(&v->g, 10);
    }
    if (atomic_load(&v->done) == 0)
        atomic_store(&v->done, -1);
    pthread_mutex_unlock(&v->host.dev_lock);
    return NULL;
}

/* Open VMM i's device, its Unix-socket bridge and its peer link (VMM 0 listens on the rendezvous). */
static bool open_vm(struct vm *v, unsigned i)
{
    char err[256] = "", uds_path[96];

    memset(v, 0, sizeof(*v));
    v->id = i;
    v->cid = 3 + i;
    v->peer_cid = 4 - i;
    v->data_ok = v->ring_ok = true;
    v->cli.cid = v->cid;
    v->cli.npeers = 1;
    v->cli.peers[0] = (struct svmm_cli_vsock_peer){ v->peer_cid, rendezvous, strlen(rendezvous) };
    snprintf(uds_path, sizeof(uds_path), "%s/vm%u.vsock", tsan_tmpdir(), i);
    tsan_host_init(&v->host);
    if (!CHECK(vsock_uds_open(&v->uds, v->cid, uds_path, err, sizeof(err)) == 0) ||
        !CHECK(vsock_peers_open(&v->peers, &v->uds.vsock, &v->cli, err, sizeof(err)) == 0)) {
        fprintf(stderr, "    vm %u: %s\n", i, err);
        return false;
    }
    CHECK(v->peers.n == 1 && v->peers.peers[0].listener == (i == 0));
    guest_init(&v->g, &v->uds.vsock.dev, &v->host);
    pthread_mutex_lock(&v->host.dev_lock);
    CHECK(guest_bring_up(&v->g, FEATURES, 3));
    pthread_mutex_unlock(&v->host.dev_lock);
    return true;
}

/* kvm_host_start's part for VMM i: the device threads, then the vCPU. */
static void start_vm(struct vm *v)
{
    char err[256] = "";

    CHECK(vsock_peers_start(&v->peers, &v->host, err, sizeof(err)) == 0);
    CHECK(vsock_uds_start(&v->uds, &v->host, err, sizeof(err)) == 0);
    pthread_create(&v->vcpu, NULL, vcpu, v);
}

static void stop_vm(struct vm *v)
{
    pthread_join(v->vcpu, NULL);
    kvm_host_stop(&v->host, 0);
    vsock_peers_join(&v->peers);
    vsock_uds_join(&v->uds);
}

void scenario_vsock_peer(void)
{
    uint64_t deadline;

    snprintf(rendezvous, sizeof(rendezvous), "%s/pair.sock", tsan_tmpdir());
    atomic_store(&probe_go, false);
    /* The connector first: its peers thread retries (every 100 ms) until the listener is there. */
    if (!open_vm(&vms[1], 1))
        return;
    start_vm(&vms[1]);
    usleep(250000);
    if (!open_vm(&vms[0], 0)) {
        kvm_host_stop(&vms[1].host, 0);
        stop_vm(&vms[1]);
        return;
    }
    start_vm(&vms[0]);

    /* Both guests through: stop VMM 1; VMM 0's peers thread must notice, then guest 0 probes. */
    deadline = tsan_ms() + 40000;
    while (atomic_load(&vms[1].done) == 0 && tsan_ms() < deadline)
        usleep(5000);
    stop_vm(&vms[1]);
    while (tsan_log_count("vsock: the VMM of peer cid 4 went away") == 0 && tsan_ms() < deadline)
        usleep(5000);
    atomic_store(&probe_go, true);
    stop_vm(&vms[0]);

    for (unsigned i = 0; i < 2; i++) {
        struct vm *v = &vms[i];
        const struct vsock_link_stats *ls = &v->peers.peers[0].link.stats;
        const struct virtio_vsock_stats *vs = &v->uds.vsock.stats;

        CHECK(atomic_load(&v->done) == 1);
        for (unsigned k = 0; k < 2; k++)
            CHECK(v->c[k].state == CLOSED && v->c[k].tx_cnt == TOTAL && v->c[k].rx_cnt == TOTAL);
        CHECK(v->data_ok && v->ring_ok && v->bad_packets == 0);
        CHECK(ls->sent > 0 && ls->received > 0 && ls->bad_packets == 0 && ls->full == 0 && ls->notifies > 0);
        CHECK(vs->tx_bytes == 2ull * TOTAL && vs->link_full == 0 &&
              vs->refused_cid == 0 && vs->peer_packets > 0);
        CHECK(v->g.irqs > 0);
    }
    /* Guest 1 started alone: its first REQUEST found the link down. */
    CHECK(vms[1].c[0].refused > 0);
    CHECK(atomic_load(&vms[0].probe_rst));
    CHECK(tsan_log_count("vsock: link to cid 3 up") == 1 && tsan_log_count("vsock: link to cid 4 up") == 1);
    CHECK(tsan_log_count("vsock: the VMM of peer cid 4 went away") == 1);
    for (unsigned i = 0; i < 2; i++) {
        guest_free(&vms[i].g);
        tsan_host_close(&vms[i].host);
    }
}
