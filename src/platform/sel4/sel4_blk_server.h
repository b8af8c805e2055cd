/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The build-time configuration of a block server protection domain (svmm-blk-<name>.elf), generated
 * from the system description (<name>_blkcfg.c defines `svmm_sel4_blk_server`), never edited by
 * hand. The store (a RAM disk) is mapped at blk_store_vaddr (setvar_vaddr, setvar_size
 * blk_store_size); client i's link at blk_client<i>_queues and blk_client<i>_data (setvar_vaddr),
 * notified on channel clients[i].channel.
 */
#ifndef SVMM_SEL4_BLK_SERVER_H
#define SVMM_SEL4_BLK_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <svmm/blk_server.h>

struct svmm_sel4_blk_client {
    const char *name;      /* the partition's name: the disk's serial as its VM sees it */
    uint64_t offset, size; /* bytes [offset, offset + size) of the store */
    bool read_only;
    unsigned channel;      /* to the VMM of the VM whose disk this is */
};

struct svmm_sel4_blk_server {
    const char *name;           /* the PD's name in log lines */
    uint64_t store_size;        /* bytes of the RAM disk the SDF maps (checked against blk_store_size) */
    uint32_t depth, slot_size;  /* every link's geometry (blkq.h) */
    unsigned nclients;
    struct svmm_sel4_blk_client clients[BLK_SERVER_MAX_CLIENTS];
};

extern const struct svmm_sel4_blk_server svmm_sel4_blk_server;

#endif
