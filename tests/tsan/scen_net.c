/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net on the tap backend (src/platform/kvm/net_tap.c) with its receive thread. The "tap" is
 * one end of a SOCK_SEQPACKET socketpair attached with net_tap_attach_fd (one frame per read and
 * writev, like a tap, and no CAP_NET_ADMIN or network namespace needed); a peer thread on the other
 * end sends numbered frames to the guest and checks the frames the guest sends, both directions at
 * once. The guest posts few receive buffers and pauses now and then, so the receive thread runs out
 * of buffers and waits for the device's rx_ready wake-up. The guest's tx notifications go through
 * the simulated ioeventfd (tsan_ioeventfd_write) to the tap's transmit thread, as KVM would deliver
 * them, so transmit, receive and the guest meet only under the device lock.
 */
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "net_tap.h"
#include "tsan.h"

#define NFRAMES 3000u          /* each way */
#define RXBUFS 32u
#define RXBUF_BYTES 2048u
#define TXSLOTS 32u
#define TX_AHEAD 48u           /* frames the guest sends before the peer has read them */
#define RXBUF_GPA(i) (GUEST_DATA_GPA + RXBUF_BYTES * (i))
#define TXBUF_GPA(i) (GUEST_DATA_GPA + (1u << 20) + RXBUF_BYTES * (i))
#define FEATURES (1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS)
#define NOTIFY_GPA (0x0a000200ull + VIRTIO_MMIO_QUEUE_NOTIFY) /* any address: it only names the register */

static struct kvm_host host;
static struct net_tap tap;
static struct guest g;
static int peer_fd;
static atomic_uint peer_got, peer_bad;

static const uint8_t guest_mac[6] = { 0x02, 0x73, 0x76, 0x6d, 0x00, 0x00 };
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };

static size_t frame_len(uint32_t seq)
{
    return 60 + (seq * 37u) % 1455u;
}

/* Frame `seq` of a direction (dir 0: to the guest, 1: from it). */
static void make_frame(uint8_t *f, uint32_t seq, unsigned dir)
{
    size_t len = frame_len(seq);

    memcpy(f, dir ? peer_mac : guest_mac, 6);
    memcpy(f + 6, dir ? guest_mac : peer_mac, 6);
    f[12] = 0x88;
    f[13] = 0xb5; /* local experimental ethertype */
    memcpy(f + 14, &seq, 4);
    for (size_t k = 18; k < len; k++)
        f[k] = (uint8_t)(seq * 131u + k * 7u + dir);
}

static bool frame_ok(const uint8_t *f, size_t len, uint32_t seq, unsigned dir)
{
    uint8_t want[1600];

    if (len != frame_len(seq))
        return false;
    make_frame(want, seq, dir);
    return memcmp(f, want, len) == 0;
}

static void *peer_writer(void *arg)
{
    uint8_t f[1600];

    (void)arg;
    for (uint32_t seq = 0; seq < NFRAMES; seq++) {
        make_frame(f, seq, 0);
        if (write(peer_fd, f, frame_len(seq)) != (ssize_t)frame_len(seq)) {
            atomic_fetch_add(&peer_bad, 1);
            break;
        }
    }
    return NULL;
}

static void *peer_reader(void *arg)
{
    uint8_t f[2048];

    (void)arg;
    while (atomic_load(&peer_got) < NFRAMES) {
        ssize_t n = read(peer_fd, f, sizeof(f));
        if (n <= 0)
            break;
        if (!frame_ok(f, (size_t)n, atomic_load(&peer_got), 1))
            atomic_fetch_add(&peer_bad, 1);
        atomic_fetch_add(&peer_got, 1);
    }
    return NULL;
}

static void post_rx(unsigned i)
{
    struct gbuf b = { RXBUF_GPA(i), RXBUF_BYTES, true };

    guest_add(&g, VIRTIO_NET_RXQ, &b, 1, (void *)(uintptr_t)(i + 1));
}

/* The guest: receive and check NFRAMES, send NFRAMES, until both are done (device lock held). */
static void guest_run(uint32_t *rx_seen, bool *rx_ok, uint32_t *tx_sent)
{
    bool tx_busy[TXSLOTS] = { false };
    uint64_t deadline = tsan_ms() + 30000;
    uint32_t tx_done = 0;

    for (unsigned i = 0; i < RXBUFS; i++)
        post_rx(i);
    guest_kick(&g, VIRTIO_NET_RXQ);
    while ((*rx_seen < NFRAMES || tx_done < NFRAMES) && tsan_ms() < deadline) {
        void *cookie;
        uint32_t len;
        bool reposted = false;

        while (guest_get(&g, VIRTIO_NET_RXQ, &len, &cookie) == 1) {
            unsigned i = (unsigned)(uintptr_t)cookie - 1;
            const uint8_t *b = guest_ptr(&g, RXBUF_GPA(i));
            *rx_ok &= len > 12 && b[10] == 1 && b[11] == 0 && frame_ok(b + 12, len - 12, *rx_seen, 0);
            (*rx_seen)++;
            if (*rx_seen % 500 == 0) {
                /* Leave the receive thread without buffers for a while: it must wait, then resume. */
                pthread_mutex_unlock(&host.dev_lock);
                usleep(20000);
                pthread_mutex_lock(&host.dev_lock);
            }
            post_rx(i);
            reposted = true;
        }
        if (reposted)
            guest_kick(&g, VIRTIO_NET_RXQ);
        while (guest_get(&g, VIRTIO_NET_TXQ, &len, &cookie) == 1) {
            tx_busy[(uintptr_t)cookie - 1] = false;
            tx_done++;
        }
        for (unsigned s = 0; s < TXSLOTS && *tx_sent < NFRAMES && *tx_sent - atomic_load(&peer_got) < TX_AHEAD; s++) {
            struct gbuf b[2] = { { TXBUF_GPA(s), 12, false }, { TXBUF_GPA(s) + 12, (uint32_t)frame_len(*tx_sent), false } };
            if (tx_busy[s])
                continue;
            memset(guest_ptr(&g, TXBUF_GPA(s)), 0, 12);
            make_frame(guest_ptr(&g, TXBUF_GPA(s) + 12), *tx_sent, 1);
            if (guest_add(&g, VIRTIO_NET_TXQ, b, 2, (void *)(uintptr_t)(s + 1)) < 0)
                break;
            tx_busy[s] = true;
            (*tx_sent)++;
            /* KVM's part: the write signals the transmit thread's eventfd instead of exiting. */
            if (!tsan_ioeventfd_write(NOTIFY_GPA, VIRTIO_NET_TXQ))
                guest_kick(&g, VIRTIO_NET_TXQ);
        }
        guest_wait(&g, 10);
    }
}

void scenario_net(void)
{
    char err[256] = "";
    int sv[2];
    pthread_t w, r;
    uint32_t rx_seen = 0, tx_sent = 0;
    bool rx_ok = true;
    const struct virtio_net_stats *s = &tap.net.stats;

    atomic_store(&peer_got, 0);
    atomic_store(&peer_bad, 0);
    if (!CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0))
        return;
    peer_fd = sv[1];
    tsan_host_init(&host);
    if (!CHECK(net_tap_attach_fd(&tap, sv[0], "tsan-net", NULL, err, sizeof(err)) == 0)) {
        fprintf(stderr, "    net_tap_attach_fd: %s\n", err);
        return;
    }
    guest_init(&g, &tap.net.dev, &host);
    pthread_mutex_lock(&host.dev_lock);
    CHECK(guest_bring_up(&g, FEATURES, 2));
    pthread_mutex_unlock(&host.dev_lock);
    CHECK(net_tap_start(&tap, &host, &g.t, NOTIFY_GPA, err, sizeof(err)) == 0);
    CHECK(tap.tx_started);
    pthread_create(&w, NULL, peer_writer, NULL);
    pthread_create(&r, NULL, peer_reader, NULL);

    pthread_mutex_lock(&host.dev_lock);
    guest_run(&rx_seen, &rx_ok, &tx_sent);
    pthread_mutex_unlock(&host.dev_lock);

    pthread_join(w, NULL);
    for (int i = 0; i < 2000 && atomic_load(&peer_got) < NFRAMES; i++)
        usleep(1000);
    kvm_host_stop(&host, 0);
    net_tap_join(&tap); /* ends the receive thread and closes our end: the reader sees EOF */
    pthread_join(r, NULL);
    close(peer_fd);

    CHECK(rx_seen == NFRAMES);
    CHECK(rx_ok);
    CHECK(tx_sent == NFRAMES);
    CHECK(atomic_load(&peer_got) == NFRAMES);
    CHECK(atomic_load(&peer_bad) == 0);
    CHECK(s->rx_packets == NFRAMES && s->tx_packets == NFRAMES);
    CHECK(s->rx_dropped == 0 && s->tx_dropped == 0 && tap.tx_errors == 0);
    CHECK(s->rx_no_buffers > 0); /* the receive thread did wait for buffers */
    CHECK(g.irqs > 0);
    CHECK(tsan_log_count("tsan-net: tx 3000 packets") == 1);
    /* Every tx notification went to the transmit thread, none through the registers. */
    CHECK(tap.tx_wakeups > 0 && tap.tx_wakeups <= NFRAMES);
    CHECK(tsan_log_count("through the transmit thread") == 1);
    guest_free(&g);
    tsan_host_close(&host);
}
