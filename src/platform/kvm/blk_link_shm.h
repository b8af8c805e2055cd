/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hosted blkq links between `svmm blk-server` and `svmm run --disk server=PATH,client=NAME`, over
 * shm_link.h: two sealed memfds created by the server (the queue region, with the storage info and
 * both rings; the client's data region, writable by both: write data one way, read data the other)
 * and two eventfds.
 *
 * Handshake (host-endian structs, one message each way): VMM -> server: struct blk_shm_hello (the
 * client name); server -> VMM: struct blk_shm_welcome (status, geometry) with the fds when status
 * is 0, else an error text.
 *
 * The VMM side (struct blk_link_host): the platform-free blk_link over such a link, and one service
 * thread that waits on the server's eventfd and runs blk_link_service under the host's device lock.
 */
#ifndef SVMM_KVM_BLK_LINK_SHM_H
#define SVMM_KVM_BLK_LINK_SHM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <svmm/blk_link.h>
#include "kvm.h"
#include "link_thread.h"
#include "shm_link.h"

#define BLK_SHM_MAGIC 0x716b6273u /* "sbkq" */
#define BLK_SHM_VERSION 1u
#define BLK_SHM_NAME_MAX 23
#define BLK_SHM_REGIONS 2u

struct blk_shm_hello {
    uint32_t magic, version;
    char client[BLK_SHM_NAME_MAX + 1];
};

struct blk_shm_welcome {
    uint32_t magic, version;
    int32_t status;       /* 0, or refused and `error` says why */
    uint32_t depth, slot_size;
    uint32_t reserved;
    char error[160];
};

/* The regions of a link for this geometry (both sides build the same list). */
void blk_shm_specs(struct shm_region_spec spec[BLK_SHM_REGIONS], uint32_t depth, uint32_t slot_size);

struct blk_link_host {
    struct blk_link link;  /* link.blk is the device, attached to a virtio slot by the caller */
    struct shm_link shm;
    int sock;
    char name[64];
    struct link_thread thread;
};

/* Connect to the block server at `path` as client `client`; `ro` forces a read-only disk. -1 + err. */
int blk_link_host_open(struct blk_link_host *b, const char *path, const char *client, bool ro, char *err,
                       size_t errlen);

/* Start the service thread (after kvm_host_start); it ends when the VM stops. */
int blk_link_host_start(struct blk_link_host *b, struct kvm_host *h, char *err, size_t errlen);

/* Wait for the thread (after the vCPUs), disconnect, and log the device's and link's counters. */
void blk_link_host_join(struct blk_link_host *b);

#endif
