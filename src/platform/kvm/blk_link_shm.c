/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-blk on a partition of an `svmm blk-server` (blk_link_shm.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <svmm/log.h>
#include "blk_link_shm.h"

void blk_shm_specs(struct shm_region_spec spec[BLK_SHM_REGIONS], uint32_t depth, uint32_t slot_size)
{
    spec[0] = (struct shm_region_spec){ "svmm-blkq-queues", blkq_queue_bytes(depth), true, true };
    spec[1] = (struct shm_region_spec){ "svmm-blkq-data", (size_t)depth * slot_size, true, true };
}

static void kick_server(void *ctx)
{
    struct blk_link_host *b = ctx;
    shm_link_kick(b->shm.to_server);
}

/* Ask for the link; on success b->shm holds it mapped and *w the geometry. */
static int handshake(struct blk_link_host *b, const char *path, const char *client, struct blk_shm_welcome *w,
                     char *err, size_t errlen)
{
    struct blk_shm_hello h = { .magic = BLK_SHM_MAGIC, .version = BLK_SHM_VERSION };
    struct shm_region_spec spec[BLK_SHM_REGIONS];
    bool got_fds;

    memcpy(h.client, client, strnlen(client, BLK_SHM_NAME_MAX));
    if (shm_link_request(&b->shm, BLK_SHM_REGIONS, path, "block server", &h, sizeof(h), w, sizeof(*w), &got_fds,
                         &b->sock, err, errlen) < 0)
        return -1;
    w->error[sizeof(w->error) - 1] = '\0';
    if (w->magic != BLK_SHM_MAGIC || w->version != BLK_SHM_VERSION)
        snprintf(err, errlen, "the block server at %s sent a foreign answer", path);
    else if (w->status != 0)
        snprintf(err, errlen, "the block server refused client '%s': %s", client, w->error);
    else if (!got_fds)
        snprintf(err, errlen, "the block server's answer carried no link");
    else if (!blkq_geometry_ok(w->depth, w->slot_size))
        snprintf(err, errlen, "the block server offered a bad geometry (%u x %u bytes)", w->depth, w->slot_size);
    else {
        blk_shm_specs(spec, w->depth, w->slot_size);
        if (shm_link_map(&b->shm, spec, BLK_SHM_REGIONS, err, errlen) == 0)
            return 0;
    }
    return -1;
}

int blk_link_host_open(struct blk_link_host *b, const char *path, const char *client, bool ro, char *err,
                       size_t errlen)
{
    struct blk_shm_welcome w;
    char why[256];

    memset(b, 0, sizeof(*b));
    shm_link_clear(&b->shm);
    b->sock = -1;
    snprintf(b->name, sizeof(b->name), "blk-server client %s", client);
    if (handshake(b, path, client, &w, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "--disk server=%s,client=%s: %s", path, client, why);
        goto fail;
    }
    if (blk_link_init(&b->link, b->shm.map[0], b->shm.map[1], w.depth, w.slot_size, ro, kick_server, b) < 0) {
        snprintf(err, errlen, "--disk server=%s,client=%s: the server's storage info is not valid", path, client);
        goto fail;
    }
    svmm_info("virtio-blk on %s (%s): %llu bytes%s, %u requests of up to %u bytes in flight", b->name, path,
              (unsigned long long)b->link.blk.be.capacity, b->link.blk.be.read_only ? ", read-only" : "", w.depth,
              w.slot_size);
    return 0;
fail:
    shm_link_destroy(&b->shm);
    if (b->sock >= 0)
        close(b->sock);
    b->sock = -1;
    return -1;
}

static bool service(void *ctx)
{
    struct blk_link_host *b = ctx;
    return blk_link_service(&b->link);
}

static void server_gone(void *ctx)
{
    struct blk_link_host *b = ctx;

    svmm_warn("%s: the block server went away; the guest's disk fails from now on", b->name);
    blk_link_fail(&b->link);
}

int blk_link_host_start(struct blk_link_host *b, struct kvm_host *h, char *err, size_t errlen)
{
    b->thread = (struct link_thread){ .host = h, .name = b->name, .peer_efd = b->shm.to_client, .wake_efd = -1,
                                      .sock = b->sock, .ctx = b, .service = service, .peer_gone = server_gone };
    return link_thread_start(&b->thread, err, errlen);
}

void blk_link_host_join(struct blk_link_host *b)
{
    const struct virtio_blk *d = &b->link.blk;
    const struct blkq_stats *q = &b->link.q.stats;

    link_thread_join(&b->thread);
    svmm_info("%s: %llu requests (%llu errors), %llu parts to the server, %llu server errors, %llu bad answers, "
              "%llu notifications to the server", b->name, (unsigned long long)d->requests,
              (unsigned long long)d->errors, (unsigned long long)b->link.stats.parts,
              (unsigned long long)b->link.stats.server_errors, (unsigned long long)q->bad_response,
              (unsigned long long)b->link.stats.notifies);
    shm_link_destroy(&b->shm);
    if (b->sock >= 0)
        close(b->sock);
    b->sock = -1;
}
