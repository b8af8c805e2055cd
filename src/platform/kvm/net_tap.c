/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <svmm/log.h>
#include "net_tap.h"

_Static_assert(sizeof(struct virtio_net_frag) == sizeof(struct iovec) &&
                   offsetof(struct virtio_net_frag, len) == offsetof(struct iovec, iov_len),
               "virtio_net_frag must match struct iovec");

_Static_assert(sizeof(((struct net_tap *)0)->tx_hdr) == VIRTIO_NET_HDR_SIZE, "one virtio_net_hdr");

#define RX_BURST 64 /* frames read per wake-up before polling again */
/* One read: the header, the largest frame, and one byte more so that a larger frame shows as one. */
#define RX_BUF_SIZE (VIRTIO_NET_HDR_SIZE + VIRTIO_NET_MAX_FRAME + 1u)

/* USO came with Linux 6.2; older uapi headers lack the flags (values from linux/if_tun.h). */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

#define F(bit) VIRTIO_NET_BIT(VIRTIO_NET_F_##bit)

/* Called from the transmit thread (or, without an ioeventfd, a vCPU thread) with the device lock held. */
static enum virtio_net_tx_result tap_send(void *ctx, const struct virtio_net_hdr *hdr,
                                          const struct virtio_net_frag *frags, unsigned n, size_t len)
{
    struct net_tap *t = ctx;
    const struct virtio_net_frag *iov = frags;
    size_t want = len;
    ssize_t r;

    if (t->vnet_hdr) {
        /* n <= VIRTQ_MAX_SIZE (the device's fragment array), so tx_iov holds the header and all. */
        if (n > VIRTQ_MAX_SIZE)
            return VIRTIO_NET_TX_DROPPED;
        virtio_net_hdr_put(t->tx_hdr, hdr, 0);
        t->tx_iov[0] = (struct virtio_net_frag){ t->tx_hdr, VIRTIO_NET_HDR_SIZE };
        memcpy(&t->tx_iov[1], frags, n * sizeof(*frags));
        iov = t->tx_iov;
        n++;
        want += VIRTIO_NET_HDR_SIZE;
    }
    r = writev(t->fd, (const struct iovec *)(const void *)iov, (int)n);
    if (r == (ssize_t)want)
        return VIRTIO_NET_TX_OK;
    /* EAGAIN: the tap queue is full (a real NIC drops too); anything else is counted the same. */
    t->tx_errors++;
    return VIRTIO_NET_TX_DROPPED;
}

static void tap_rx_ready(void *ctx)
{
    struct net_tap *t = ctx;
    uint64_t one = 1;

    if (write(t->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        svmm_warn("%s: cannot wake the receive thread: %s", t->ifname, strerror(errno));
}

/* TUN_F_* for the receive offloads the guest accepts (the device only lets consistent sets through). */
static unsigned tun_flags(uint64_t guest)
{
    unsigned f = 0;

    if (guest & F(GUEST_CSUM))
        f |= TUN_F_CSUM;
    if (guest & F(GUEST_TSO4))
        f |= TUN_F_TSO4;
    if (guest & F(GUEST_TSO6))
        f |= TUN_F_TSO6;
    if (guest & F(GUEST_ECN))
        f |= TUN_F_TSO_ECN;
    /* The kernel enables USO only with both; so does the device (it does not parse the IP version). */
    if ((guest & (F(GUEST_USO4) | F(GUEST_USO6))) == (F(GUEST_USO4) | F(GUEST_USO6)))
        f |= TUN_F_USO4 | TUN_F_USO6;
    return f;
}

/*
 * If `fd` is a tap with IFF_VNET_HDR, make its header the 12-byte VirtIO 1 one (little-endian, what
 * the device parses) and return the offloads it can take: 0 with *vnet false for anything else.
 * TUNSETOFFLOAD starts at none (a persistent tap keeps its last user's setting) and grows with the
 * guest. The kernel refuses TUN_F_* bits it does not know, which tells whether it has USO.
 */
static int probe_vnet(struct net_tap *t, bool *vnet, uint64_t *offloads, char *err, size_t errlen)
{
    struct ifreq ifr;
    int sz = VIRTIO_NET_HDR_SIZE, le = 1;

    *vnet = false;
    *offloads = 0;
    memset(&ifr, 0, sizeof(ifr));
    if (ioctl(t->fd, TUNGETIFF, &ifr) < 0 || !(ifr.ifr_flags & IFF_VNET_HDR))
        return 0;
    if (ioctl(t->fd, TUNSETVNETHDRSZ, &sz) < 0 || ioctl(t->fd, TUNSETVNETLE, &le) < 0) {
        snprintf(err, errlen, "%s: cannot set up the tap's virtio-net header: %s", t->ifname, strerror(errno));
        return -1;
    }
    *vnet = true;
    /* What any vnet-header writer may hand the kernel (ECN needs TSO, which needs CSUM: all here). */
    *offloads = F(CSUM) | F(HOST_TSO4) | F(HOST_TSO6) | F(HOST_ECN) | F(HOST_UFO) | F(GUEST_CSUM) |
                F(GUEST_TSO4) | F(GUEST_TSO6) | F(GUEST_ECN);
    if (ioctl(t->fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_USO4 | TUN_F_USO6)) == 0)
        *offloads |= F(HOST_USO) | F(GUEST_USO4) | F(GUEST_USO6);
    if (ioctl(t->fd, TUNSETOFFLOAD, 0ul) < 0) {
        snprintf(err, errlen, "%s: TUNSETOFFLOAD: %s", t->ifname, strerror(errno));
        return -1;
    }
    return 0;
}

int net_tap_attach_fd(struct net_tap *t, int fd, const char *name, const uint8_t *mac, char *err, size_t errlen)
{
    struct virtio_net_backend be = { .ctx = t, .send = tap_send, .rx_ready = tap_rx_ready };
    int fl = fcntl(fd, F_GETFL);

    memset(t, 0, sizeof(*t));
    t->fd = fd;
    t->wake_fd = t->kick_fd = -1;
    snprintf(t->ifname, sizeof(t->ifname), "%s", name);
    if (probe_vnet(t, &t->vnet_hdr, &be.offloads, err, errlen) < 0)
        goto fail;
    virtio_net_init(&t->net, mac, &be);
    /* The receive thread reads until EAGAIN and vCPUs must never block on a full queue. */
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "%s: cannot make the descriptor non-blocking: %s", name, strerror(errno));
        goto fail;
    }
    t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    t->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (t->wake_fd < 0 || t->kick_fd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        goto fail;
    }
    return 0;
fail:
    close(fd);
    if (t->wake_fd >= 0)
        close(t->wake_fd);
    if (t->kick_fd >= 0)
        close(t->kick_fd);
    t->fd = t->wake_fd = t->kick_fd = -1;
    return -1;
}

int net_tap_open(struct net_tap *t, const char *ifname, const uint8_t *mac, char *err, size_t errlen)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

    memset(t, 0, sizeof(*t));
    t->fd = t->wake_fd = t->kick_fd = -1;
    if (fd < 0) {
        snprintf(err, errlen, "--net tap=%s: cannot open /dev/net/tun: %s (load the tun module: modprobe tun)",
                 ifname, strerror(errno));
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        snprintf(err, errlen, "--net tap=%s: cannot attach to the tap device: %s%s", ifname, strerror(errno),
                 errno == EPERM ? " (needs CAP_NET_ADMIN, or a tap created for this user: ip tuntap add ... user U)"
                                : errno == EINVAL || errno == EBUSY ? " (is it a tun device, or in use?)" : "");
        close(fd);
        return -1;
    }
    if (net_tap_attach_fd(t, fd, ifname, mac, err, errlen) < 0)
        return -1;
    svmm_info("virtio-net on tap %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, offloads offered 0x%llx", t->ifname,
              t->net.mac[0], t->net.mac[1], t->net.mac[2], t->net.mac[3], t->net.mac[4], t->net.mac[5],
              (unsigned long long)(t->net.dev.device_features & VIRTIO_NET_OFFLOADS));
    return 0;
}

/*
 * Make TUNSETOFFLOAD match the guest's receive offloads `want`. Called by the receive thread only,
 * without the device lock (the ioctl takes the kernel's RTNL lock and may wait).
 */
static void match_offloads(struct net_tap *t, uint64_t want)
{
    if (want == t->rx_offloads)
        return;
    if (ioctl(t->fd, TUNSETOFFLOAD, (unsigned long)tun_flags(want)) < 0)
        svmm_warn("%s: TUNSETOFFLOAD 0x%x: %s (the device drops frames the guest cannot take)", t->ifname,
                  tun_flags(want), strerror(errno));
    else
        svmm_info("%s: receive offloads now 0x%llx (TUN_F 0x%x)", t->ifname, (unsigned long long)want,
                   tun_flags(want));
    t->rx_offloads = want; /* not retried on failure: one warning, not one per frame */
}

static void *rx_thread(void *arg)
{
    struct net_tap *t = arg;
    struct kvm_host *h = t->host;
    uint8_t *buf = malloc(RX_BUF_SIZE);
    size_t skip = t->vnet_hdr ? VIRTIO_NET_HDR_SIZE : 0, len = 0;
    struct virtio_net_hdr hdr = { 0 };
    bool holding = false;

    if (buf == NULL) {
        svmm_err("%s: out of memory for the receive buffer", t->ifname);
        return NULL;
    }
    for (;;) {
        /* While a frame waits for guest buffers, only a wake-up (buffers posted) or a stop matters. */
        struct pollfd fds[3] = { { h->stop_fd, POLLIN, 0 }, { t->wake_fd, POLLIN, 0 }, { t->fd, POLLIN, 0 } };
        uint64_t cnt, want = 0;

        if (poll(fds, holding ? 2 : 3, -1) < 0 && errno != EINTR)
            break;
        if (fds[0].revents)
            break;
        if (fds[1].revents && read(t->wake_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
            break;
        /*
         * The guest's offloads change at driver start and reset, and the driver's first receive
         * buffers wake this thread: matching here, before reading, means frames read from now on
         * suit the guest.
         */
        if (t->vnet_hdr) {
            pthread_mutex_lock(&h->dev_lock);
            want = virtio_net_rx_offloads(&t->net);
            pthread_mutex_unlock(&h->dev_lock);
            match_offloads(t, want);
        }
        for (unsigned burst = 0; burst < RX_BURST; burst++) {
            int r;
            if (!holding) {
                ssize_t n = read(t->fd, buf, RX_BUF_SIZE);
                if (n <= 0)
                    break; /* EAGAIN: drained */
                /*
                 * A frame above the buffer reads as RX_BUF_SIZE (the device drops it as oversized);
                 * nothing behind the header gives length 0 (dropped too). Both are counted there.
                 */
                len = (size_t)n > RX_BUF_SIZE ? RX_BUF_SIZE - skip : (size_t)n > skip ? (size_t)n - skip : 0;
                if (skip && (size_t)n >= skip)
                    virtio_net_hdr_get(&hdr, buf);
                holding = true;
            }
            pthread_mutex_lock(&h->dev_lock);
            r = virtio_net_receive(&t->net, &hdr, buf + skip, len);
            pthread_mutex_unlock(&h->dev_lock);
            if (r == VIRTIO_NET_RX_NO_BUFFERS)
                break; /* keep the frame; the device calls tap_rx_ready when buffers arrive */
            holding = false;
        }
    }
    free(buf);
    return NULL;
}

/*
 * Transmit batching. A notification wakes the transmit thread, which drains the ring without asking
 * for the next notification (the device's tx_polled mode: with EVENT_IDX avail_event stays behind, so
 * the guest does not write QueueNotify for the frames that follow) and looks at the ring again
 * TX_POLL_US later. While each such poll finds a burst (TX_BURST_MIN frames or more) the thread
 * polls on; a poll that finds less re-arms the notification (sending what raced in) and the thread
 * sleeps until notified. A stream of frames then costs a timer wake-up per burst, not an ioeventfd
 * write per frame or two, and the guest sees one used-ring update (one interrupt at most) per burst;
 * left to drain each frame at once, the thread made the guest notify for, and take an interrupt
 * after, nearly every frame in some runs (docs/performance.md). The cost is latency: a frame that
 * follows another within a poll period, with nothing else in between, waits up to TX_POLL_US; a lone
 * frame goes out as soon as it is notified, and TX_BURST_MIN 2 ends the polling when request and
 * answer alternate. 100 us measured as fast as 200 us, and faster than 50 us, at half the delay.
 */
#define TX_POLL_US 100
#define TX_BURST_MIN 2u

/* Wait up to `us` microseconds (< 0: forever) for a notification or the stop; -1 to stop, else 1 if notified. */
static int tx_wait(struct net_tap *t, long us)
{
    struct pollfd fds[2] = { { t->host->stop_fd, POLLIN, 0 }, { t->kick_fd, POLLIN, 0 } };
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    uint64_t cnt;

    for (;;) {
        if (ppoll(fds, 2, us < 0 ? NULL : &ts, NULL) < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (fds[0].revents)
            return -1;
        if (!fds[1].revents)
            return 0;
        if (read(t->kick_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
            return -1;
        return 1;
    }
}

/* Frames the device has given back so far (sent or dropped); device lock held. */
static uint64_t tx_frames(const struct net_tap *t)
{
    return t->net.stats.tx_packets + t->net.stats.tx_dropped;
}

/*
 * The transmit thread. A notification (the tx queue's ioeventfd) goes the way of a vCPU's
 * QueueNotify write, through the transport's checks and counters; a poll asks the device directly
 * (virtio_net_tx_poll, refused where a notification would be). Both run under the device lock, as
 * a vCPU's MMIO exit would. KVM coalesces notifications that arrive meanwhile into one wake-up, and
 * re-arming looks at the ring once more after publishing avail_event, so none is lost.
 */
static void *tx_thread(void *arg)
{
    struct net_tap *t = arg;
    struct kvm_host *h = t->host;
    bool polling = false;

    for (;;) {
        int w = tx_wait(t, polling ? TX_POLL_US : -1);
        unsigned moved;

        if (w < 0)
            break;
        if (w > 0)
            t->tx_wakeups++;
        else
            t->tx_polls++;
        pthread_mutex_lock(&h->dev_lock);
        if (w > 0) {
            uint64_t before = tx_frames(t);
            virtio_mmio_queue_notify(t->transport, VIRTIO_NET_TXQ);
            moved = (unsigned)(tx_frames(t) - before);
        } else {
            moved = virtio_net_tx_poll(&t->net, false);
        }
        /* After a notification poll once; then poll on while each poll finds a burst. */
        polling = w > 0 ? moved > 0 : moved >= TX_BURST_MIN;
        if (!polling)
            polling = virtio_net_tx_poll(&t->net, true) > 0; /* re-armed; frames raced in: poll on */
        pthread_mutex_unlock(&h->dev_lock);
    }
    return NULL;
}

/*
 * Route the tx queue's notifications to the transmit thread and start it. Without an ioeventfd the
 * vCPU keeps transmitting (0, a warning). -1 + err when the thread cannot start after the ioeventfd
 * is in place: the guest's tx notifications would then reach nobody.
 */
static int start_tx(struct net_tap *t, uint64_t notify_gpa, char *err, size_t errlen)
{
    char why[160];
    int e;

    if (kvm_host_add_ioeventfd(t->host, notify_gpa, VIRTIO_NET_TXQ, t->kick_fd, why, sizeof(why)) < 0) {
        svmm_warn("%s: %s; the notifying vCPU transmits", t->ifname, why);
        return 0;
    }
    e = pthread_create(&t->tx_thread, NULL, tx_thread, t);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the transmit thread for tap %s: %s", t->ifname, strerror(e));
        return -1;
    }
    t->tx_started = true;
    /* Only now, with a thread to poll: a notification stops re-arming itself (see TX_POLL_US). */
    pthread_mutex_lock(&t->host->dev_lock);
    t->net.tx_polled = true;
    pthread_mutex_unlock(&t->host->dev_lock);
    return 0;
}

int net_tap_start(struct net_tap *t, struct kvm_host *h, struct virtio_mmio *transport, uint64_t notify_gpa,
                  char *err, size_t errlen)
{
    int e;

    t->host = h;
    t->transport = transport;
    if (start_tx(t, notify_gpa, err, errlen) < 0)
        return -1;
    e = pthread_create(&t->thread, NULL, rx_thread, t);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the receive thread for tap %s: %s", t->ifname, strerror(e));
        return -1;
    }
    t->started = true;
    return 0;
}

void net_tap_join(struct net_tap *t)
{
    const struct virtio_net_stats *s = &t->net.stats;

    if (t->started)
        pthread_join(t->thread, NULL);
    if (t->tx_started)
        pthread_join(t->tx_thread, NULL);
    t->started = t->tx_started = false;
    /* The vCPUs are joined before this (they may still send until then): nobody uses the fds now. */
    /*
     * A persistent tap keeps TUNSETOFFLOAD after we close it, and its next user may read without a
     * vnet header, getting unchecksummed or 64 KiB frames: leave it as we found it, with none.
     */
    if (t->vnet_hdr && t->rx_offloads != 0 && ioctl(t->fd, TUNSETOFFLOAD, 0ul) < 0)
        svmm_warn("%s: cannot clear TUNSETOFFLOAD: %s", t->ifname, strerror(errno));
    if (t->fd >= 0)
        close(t->fd);
    if (t->wake_fd >= 0)
        close(t->wake_fd);
    if (t->kick_fd >= 0)
        close(t->kick_fd); /* KVM holds its own reference for as long as the VM exists */
    t->fd = t->wake_fd = t->kick_fd = -1;
    svmm_info("%s: tx %llu packets %llu bytes (%llu dropped), rx %llu packets %llu bytes in %llu buffers "
              "(%llu dropped, %llu waits for buffers)", t->ifname, (unsigned long long)s->tx_packets,
              (unsigned long long)s->tx_bytes, (unsigned long long)s->tx_dropped, (unsigned long long)s->rx_packets,
              (unsigned long long)s->rx_bytes, (unsigned long long)s->rx_buffers_used,
              (unsigned long long)s->rx_dropped, (unsigned long long)s->rx_no_buffers);
    svmm_info("%s: %llu queue notifications (%llu through the transmit thread), %llu polls of the tx ring, "
              "%llu interrupts", t->ifname, (unsigned long long)t->net.dev.notifies,
              (unsigned long long)t->tx_wakeups, (unsigned long long)t->tx_polls,
              (unsigned long long)t->net.dev.interrupts);
}
