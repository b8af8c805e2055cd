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
#include <unistd.h>
#include <svmm/log.h>
#include "net_tap.h"

_Static_assert(sizeof(struct virtio_net_frag) == sizeof(struct iovec) &&
                   offsetof(struct virtio_net_frag, len) == offsetof(struct iovec, iov_len),
               "virtio_net_frag must match struct iovec");

#define RX_BURST 64 /* frames read per wake-up before polling again */

/* Called from a vCPU thread with the device lock held. */
static enum virtio_net_tx_result tap_send(void *ctx, const struct virtio_net_frag *frags, unsigned n, size_t len)
{
    struct net_tap *t = ctx;
    ssize_t r = writev(t->fd, (const struct iovec *)(const void *)frags, (int)n);

    if (r == (ssize_t)len)
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

int net_tap_attach_fd(struct net_tap *t, int fd, const char *name, const uint8_t *mac, char *err, size_t errlen)
{
    const struct virtio_net_backend be = { .ctx = t, .send = tap_send, .rx_ready = tap_rx_ready };
    int fl = fcntl(fd, F_GETFL);

    memset(t, 0, sizeof(*t));
    t->fd = fd;
    t->wake_fd = -1;
    snprintf(t->ifname, sizeof(t->ifname), "%s", name);
    virtio_net_init(&t->net, mac, &be);
    /* The receive thread reads until EAGAIN and vCPUs must never block on a full queue. */
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "%s: cannot make the descriptor non-blocking: %s", name, strerror(errno));
        goto fail;
    }
    t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (t->wake_fd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        goto fail;
    }
    return 0;
fail:
    close(fd);
    t->fd = -1;
    return -1;
}

int net_tap_open(struct net_tap *t, const char *ifname, const uint8_t *mac, char *err, size_t errlen)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

    memset(t, 0, sizeof(*t));
    t->fd = t->wake_fd = -1;
    if (fd < 0) {
        snprintf(err, errlen, "--net tap=%s: cannot open /dev/net/tun: %s (load the tun module: modprobe tun)",
                 ifname, strerror(errno));
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
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
    svmm_info("virtio-net on tap %s, MAC %02x:%02x:%02x:%02x:%02x:%02x", t->ifname, t->net.mac[0], t->net.mac[1],
              t->net.mac[2], t->net.mac[3], t->net.mac[4], t->net.mac[5]);
    return 0;
}

static void *rx_thread(void *arg)
{
    struct net_tap *t = arg;
    struct kvm_host *h = t->host;
    uint8_t *frame = malloc(VIRTIO_NET_MAX_FRAME);
    size_t len = 0;
    bool holding = false;

    if (frame == NULL) {
        svmm_err("%s: out of memory for the receive buffer", t->ifname);
        return NULL;
    }
    for (;;) {
        /* While a frame waits for guest buffers, only a wake-up (buffers posted) or a stop matters. */
        struct pollfd fds[3] = { { h->stop_fd, POLLIN, 0 }, { t->wake_fd, POLLIN, 0 }, { t->fd, POLLIN, 0 } };
        uint64_t cnt;

        if (poll(fds, holding ? 2 : 3, -1) < 0 && errno != EINTR)
            break;
        if (fds[0].revents)
            break;
        if (fds[1].revents && read(t->wake_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
            break;
        for (unsigned burst = 0; burst < RX_BURST; burst++) {
            int r;
            if (!holding) {
                ssize_t n = read(t->fd, frame, VIRTIO_NET_MAX_FRAME);
                if (n <= 0)
                    break; /* EAGAIN: drained */
                len = (size_t)n;
                holding = true;
            }
            pthread_mutex_lock(&h->dev_lock);
            r = virtio_net_receive(&t->net, frame, len);
            pthread_mutex_unlock(&h->dev_lock);
            if (r == VIRTIO_NET_RX_NO_BUFFERS)
                break; /* keep the frame; the device calls tap_rx_ready when buffers arrive */
            holding = false;
        }
    }
    free(frame);
    return NULL;
}

int net_tap_start(struct net_tap *t, struct kvm_host *h, char *err, size_t errlen)
{
    int e;

    t->host = h;
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
    t->started = false;
    /* The vCPUs are joined before this (they may still send until then): nobody uses the fds now. */
    if (t->fd >= 0)
        close(t->fd);
    if (t->wake_fd >= 0)
        close(t->wake_fd);
    t->fd = t->wake_fd = -1;
    svmm_info("%s: tx %llu packets %llu bytes (%llu dropped), rx %llu packets %llu bytes in %llu buffers "
              "(%llu dropped, %llu waits for buffers)", t->ifname, (unsigned long long)s->tx_packets,
              (unsigned long long)s->tx_bytes, (unsigned long long)s->tx_dropped, (unsigned long long)s->rx_packets,
              (unsigned long long)s->rx_bytes, (unsigned long long)s->rx_buffers_used,
              (unsigned long long)s->rx_dropped, (unsigned long long)s->rx_no_buffers);
}
