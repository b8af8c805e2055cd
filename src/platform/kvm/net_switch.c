/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-net on an `svmm switch` port (net_switch.h). */
#include <errno.h>
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

static bool service(void *ctx)
{
    struct net_switch *s = ctx;
    return net_link_service(&s->link);
}

static void switch_gone(void *ctx)
{
    struct net_switch *s = ctx;

    svmm_warn("%s: the switch went away; the guest's link is down", s->name);
    virtio_net_set_link(&s->link.net, false);
}

int net_switch_start(struct net_switch *s, struct kvm_host *h, char *err, size_t errlen)
{
    s->thread = (struct link_thread){ .host = h, .name = s->name, .peer_efd = s->shm.to_vmm, .wake_efd = s->wake_fd,
                                      .sock = s->sock, .ctx = s, .service = service, .peer_gone = switch_gone };
    return link_thread_start(&s->thread, err, errlen);
}

void net_switch_join(struct net_switch *s)
{
    const struct virtio_net_stats *st = &s->link.net.stats;

    link_thread_join(&s->thread);
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
