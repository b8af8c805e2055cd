/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-net on an `svmm switch` port (net_switch.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <svmm/log.h>
#include "net_switch.h"

static void kick_switch(void *ctx)
{
    struct net_switch *s = ctx;
    netq_shm_kick(s->shm.to_switch);
}

/* Called with the device lock held: only wake the service thread. */
static void wake_self(void *ctx)
{
    struct net_switch *s = ctx;
    netq_shm_kick(s->wake_fd);
}

int net_switch_open(struct net_switch *s, const char *path, const char *port, const uint8_t *mac, bool mac_given,
                    char *err, size_t errlen)
{
    uint8_t port_mac[6];
    bool has_mac;
    char why[200];

    memset(s, 0, sizeof(*s));
    s->sock = s->wake_fd = -1;
    snprintf(s->name, sizeof(s->name), "switch port %s", port);
    if (netq_shm_connect(&s->shm, path, port, port_mac, &has_mac, &s->sock, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "--net switch=%s,port=%s: %s", path, port, why);
        return -1;
    }
    if (has_mac && mac_given && memcmp(mac, port_mac, 6) != 0) {
        snprintf(err, errlen, "--net switch=%s,port=%s: mac= differs from the MAC the switch gives this port "
                 "(%02x:%02x:%02x:%02x:%02x:%02x); leave mac= out", path, port, port_mac[0], port_mac[1],
                 port_mac[2], port_mac[3], port_mac[4], port_mac[5]);
        goto fail;
    }
    s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->wake_fd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        goto fail;
    }
    if (net_link_init(&s->link, has_mac ? port_mac : mac, s->shm.queues, s->shm.tx, s->shm.rx, s->shm.nbufs,
                      s->shm.buf_size, kick_switch, wake_self, s) < 0) {
        snprintf(err, errlen, "--net switch=%s,port=%s: the link's buffers are too small", path, port);
        goto fail;
    }
    svmm_info("virtio-net on %s (%s), MAC %02x:%02x:%02x:%02x:%02x:%02x, %u buffers of %u bytes", s->name, path,
              s->link.net.mac[0], s->link.net.mac[1], s->link.net.mac[2], s->link.net.mac[3], s->link.net.mac[4],
              s->link.net.mac[5], s->shm.nbufs, s->shm.buf_size);
    return 0;
fail:
    netq_shm_destroy(&s->shm);
    close(s->sock);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    s->sock = s->wake_fd = -1;
    return -1;
}

static void service(struct net_switch *s)
{
    pthread_mutex_lock(&s->host->dev_lock);
    while (net_link_service(&s->link))
        ;
    pthread_mutex_unlock(&s->host->dev_lock);
}

static void *service_thread(void *arg)
{
    struct net_switch *s = arg;
    bool switch_up = true;

    service(s); /* frames may have arrived before the thread started */
    for (;;) {
        struct pollfd fds[4] = { { s->host->stop_fd, POLLIN, 0 }, { s->shm.to_vmm, POLLIN, 0 },
                                 { s->wake_fd, POLLIN, 0 }, { s->sock, POLLIN, 0 } };
        if (poll(fds, switch_up ? 4 : 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[0].revents)
            break;
        if (fds[1].revents)
            netq_shm_drain(s->shm.to_vmm);
        if (fds[2].revents)
            netq_shm_drain(s->wake_fd);
        if (switch_up && fds[3].revents) {
            /* The switch never writes after the handshake: this is its exit. */
            svmm_warn("%s: the switch went away; the guest's link is down", s->name);
            pthread_mutex_lock(&s->host->dev_lock);
            virtio_net_set_link(&s->link.net, false);
            pthread_mutex_unlock(&s->host->dev_lock);
            switch_up = false;
            continue;
        }
        service(s);
    }
    return NULL;
}

int net_switch_start(struct net_switch *s, struct kvm_host *h, char *err, size_t errlen)
{
    int e;

    s->host = h;
    e = pthread_create(&s->thread, NULL, service_thread, s);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the service thread for %s: %s", s->name, strerror(e));
        return -1;
    }
    s->started = true;
    return 0;
}

void net_switch_join(struct net_switch *s)
{
    const struct virtio_net_stats *st = &s->link.net.stats;

    if (s->started)
        pthread_join(s->thread, NULL);
    s->started = false;
    svmm_info("%s: tx %llu packets %llu bytes (%llu dropped, %llu too big for the link), rx %llu packets %llu bytes "
              "(%llu dropped, %llu waits for buffers); %llu notifications to the switch", s->name,
              (unsigned long long)st->tx_packets, (unsigned long long)st->tx_bytes,
              (unsigned long long)st->tx_dropped, (unsigned long long)s->link.stats.tx_too_big,
              (unsigned long long)st->rx_packets, (unsigned long long)st->rx_bytes,
              (unsigned long long)st->rx_dropped, (unsigned long long)st->rx_no_buffers,
              (unsigned long long)s->link.stats.notifies);
    netq_shm_destroy(&s->shm);
    if (s->sock >= 0)
        close(s->sock);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    s->sock = s->wake_fd = -1;
}
