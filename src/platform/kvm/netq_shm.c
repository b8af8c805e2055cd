/* SPDX-License-Identifier: BSD-2-Clause */
/* netq links between processes over shm_link (netq_shm.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <svmm/netq.h>
#include "netq_shm.h"

#define NREGIONS 3u

/* The three regions of a link for `nbufs` x `buf_size`: who writes which is the protocol's rule. */
static void specs(struct shm_region_spec spec[NREGIONS], uint32_t nbufs, uint32_t buf_size)
{
    size_t dbytes = ((size_t)nbufs * buf_size + 4095) & ~(size_t)4095;

    spec[0] = (struct shm_region_spec){ "svmm-netq-queues", netq_link_queue_bytes(nbufs), true, true };
    spec[1] = (struct shm_region_spec){ "svmm-netq-tx", dbytes, false, true }; /* the VMM's buffers */
    spec[2] = (struct shm_region_spec){ "svmm-netq-rx", dbytes, true, false }; /* the switch's buffers */
}

/* Name the mapped regions and eventfds after their role. */
static void expose(struct netq_shm_link *l, uint32_t nbufs, uint32_t buf_size)
{
    l->queues = l->shm.map[0];
    l->tx = l->shm.map[1];
    l->rx = l->shm.map[2];
    l->to_switch = l->shm.to_server;
    l->to_vmm = l->shm.to_client;
    l->nbufs = nbufs;
    l->buf_size = buf_size;
}

void netq_shm_link_clear(struct netq_shm_link *l)
{
    memset(l, 0, sizeof(*l));
    shm_link_clear(&l->shm);
    l->to_switch = l->to_vmm = -1;
}

void netq_shm_destroy(struct netq_shm_link *l)
{
    shm_link_destroy(&l->shm);
    netq_shm_link_clear(l);
}

int netq_shm_create(struct netq_shm_link *l, uint32_t nbufs, uint32_t buf_size, char *err, size_t errlen)
{
    struct shm_region_spec spec[NREGIONS];

    netq_shm_link_clear(l);
    if (!netq_geometry_ok(nbufs, buf_size)) {
        snprintf(err, errlen, "bad link geometry: %u buffers of %u bytes", nbufs, buf_size);
        return -1;
    }
    specs(spec, nbufs, buf_size);
    if (shm_link_create(&l->shm, spec, NREGIONS, err, errlen) < 0)
        return -1;
    expose(l, nbufs, buf_size);
    return 0;
}

int netq_shm_send_welcome(int sock, const struct netq_shm_welcome *w, const struct netq_shm_link *l)
{
    return shm_link_send(sock, w, sizeof(*w), w->status == 0 ? &l->shm : NULL);
}

int netq_shm_connect(struct netq_shm_link *l, const char *path, const char *port, uint8_t mac[6], bool *has_mac,
                     int *sockp, char *err, size_t errlen)
{
    struct netq_shm_hello h = { .magic = NETQ_SHM_MAGIC, .version = NETQ_SHM_VERSION };
    struct netq_shm_welcome w;
    struct shm_region_spec spec[NREGIONS];
    bool got_fds;
    int sock;

    netq_shm_link_clear(l);
    if (strlen(port) > NETQ_SHM_NAME_MAX) {
        snprintf(err, errlen, "port name too long");
        return -1;
    }
    memcpy(h.port, port, strlen(port));
    if (shm_link_request(&l->shm, NREGIONS, path, "switch", &h, sizeof(h), &w, sizeof(w), &got_fds, &sock, err,
                         errlen) < 0)
        return -1;
    w.error[sizeof(w.error) - 1] = '\0';
    if (w.magic != NETQ_SHM_MAGIC || w.version != NETQ_SHM_VERSION) {
        snprintf(err, errlen, "no valid answer from the switch (a foreign message)");
        goto fail;
    }
    if (w.status != 0) {
        snprintf(err, errlen, "the switch refused the port: %s", w.error);
        goto fail;
    }
    if (!got_fds) {
        snprintf(err, errlen, "the switch's answer carried no link");
        goto fail;
    }
    if (!netq_geometry_ok(w.nbufs, w.buf_size)) {
        snprintf(err, errlen, "the switch offered a bad geometry (%u buffers of %u bytes)", w.nbufs, w.buf_size);
        goto fail;
    }
    specs(spec, w.nbufs, w.buf_size);
    if (shm_link_map(&l->shm, spec, NREGIONS, err, errlen) < 0)
        goto fail;
    expose(l, w.nbufs, w.buf_size);
    memcpy(mac, w.mac, 6);
    *has_mac = w.has_mac != 0;
    *sockp = sock;
    return 0;
fail:
    netq_shm_destroy(l);
    close(sock);
    return -1;
}
