/* SPDX-License-Identifier: BSD-2-Clause */
/* `svmm blk-server` command line (blk_server_cli.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <svmm/blkq.h>
#include "blk_server_cli.h"
#include "cli.h"

const char blk_server_cli_usage[] =
    "usage: svmm blk-server --listen PATH --disk FILE --client NAME,offset=N,size=N[,ro] ...\n"
    "\n"
    "A block server for VMs on this host: each client is a partition (a byte range) of FILE. VMMs\n"
    "started with\n"
    "  svmm run ... --disk server=PATH,client=NAME\n"
    "connect through the Unix socket PATH and see that range as a whole disk; data moves through\n"
    "shared memory (blkq links, docs/inter-vm.md).\n"
    "\n"
    "  --listen PATH        Unix socket the VMMs connect to (created; mode 0600, this user only)\n"
    "  --disk FILE          raw image file or block device holding every partition\n"
    "  --client NAME,...    a client (up to 16); sub-options:\n"
    "      offset=N         first byte of its partition (a multiple of 512; K, M, G suffixes)\n"
    "      size=N           bytes of its partition (a multiple of 512); partitions must not overlap\n"
    "                       unless both are read-only\n"
    "      ro               the partition refuses writes and discards\n"
    "  --depth N            requests in flight per client, a power of two 2..256 (default 64)\n"
    "  --slot-size N        bytes of data per request, 4K..1M in whole 4 KiB (default 128K)\n"
    "  -v, --verbose / -q, --quiet\n"
    "\n"
    "The server runs until SIGINT or SIGTERM, then logs each client's counters.\n";

int blk_server_cli_parse_bytes(const char *s, size_t len, uint64_t *out)
{
    return svmm_cli_parse_scaled(s, len, 0, out);
}

/* NAME,offset=N,size=N[,ro] */
static int parse_client(struct blk_server_cli *c, const char *arg, char *err, size_t errlen)
{
    struct blk_server_cli_client *cl;
    const char *s = strchr(arg, ','), *end;
    size_t n = s ? (size_t)(s - arg) : strlen(arg);
    bool has_off = false, has_size = false;

    if (c->nclients == BLK_SERVER_MAX_CLIENTS) {
        snprintf(err, errlen, "--client: at most %u clients", BLK_SERVER_MAX_CLIENTS);
        return -1;
    }
    /* nclients < BLK_SERVER_MAX_CLIENTS: inside clients[]. */
    cl = &c->clients[c->nclients];
    memset(cl, 0, sizeof(*cl));
    if (n == 0 || n > BLK_SERVER_NAME_MAX || memchr(arg, '=', n)) {
        snprintf(err, errlen, "--client '%s': the name must be 1 to %u characters without '=' or ','", arg,
                 BLK_SERVER_NAME_MAX);
        return -1;
    }
    memcpy(cl->name, arg, n);
    for (unsigned i = 0; i < c->nclients; i++)
        if (!strcmp(c->clients[i].name, cl->name)) {
            snprintf(err, errlen, "--client: the name '%s' is used twice", cl->name);
            return -1;
        }
    for (; s; s = end) {
        const char *o = s + 1;
        size_t len;
        end = strchr(o, ',');
        len = end ? (size_t)(end - o) : strlen(o);
        if (len == 2 && !strncmp(o, "ro", 2)) {
            cl->read_only = true;
        } else if (len > 7 && !strncmp(o, "offset=", 7) && blk_server_cli_parse_bytes(o + 7, len - 7, &cl->offset) == 0) {
            has_off = true;
        } else if (len > 5 && !strncmp(o, "size=", 5) && blk_server_cli_parse_bytes(o + 5, len - 5, &cl->size) == 0) {
            has_size = true;
        } else {
            snprintf(err, errlen, "--client %s: bad sub-option '%.*s' (offset=N, size=N, ro)", cl->name, (int)len, o);
            return -1;
        }
    }
    if (!has_off || !has_size || cl->size == 0 || cl->offset % BLKQ_SECTOR || cl->size % BLKQ_SECTOR) {
        snprintf(err, errlen, "--client %s: needs offset= and size= (size > 0, both multiples of 512)", cl->name);
        return -1;
    }
    c->nclients++;
    return 0;
}

static int parse_u32(const char *s, uint32_t *v)
{
    uint64_t x;

    if (blk_server_cli_parse_bytes(s, strlen(s), &x) < 0 || x > UINT32_MAX)
        return -1;
    *v = (uint32_t)x;
    return 0;
}

int blk_server_cli_parse(int argc, char *const argv[], struct blk_server_cli *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->verbosity = 1;
    out->depth = BLK_SERVER_DEFAULT_DEPTH;
    out->slot_size = BLK_SERVER_DEFAULT_SLOT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;

        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            out->help = true;
            return 0;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            out->verbosity++;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            out->verbosity = 0;
        } else if (!has_val) {
            snprintf(err, errlen, "'%s' needs a value or is unknown (svmm blk-server --help)", a);
            return -1;
        } else if (!strcmp(a, "--listen")) {
            out->listen = argv[++i];
        } else if (!strcmp(a, "--disk")) {
            out->disk = argv[++i];
        } else if (!strcmp(a, "--client")) {
            if (parse_client(out, argv[++i], err, errlen) < 0)
                return -1;
        } else if (!strcmp(a, "--depth")) {
            if (parse_u32(argv[++i], &out->depth) < 0) {
                snprintf(err, errlen, "--depth: '%s' is not a number", argv[i]);
                return -1;
            }
        } else if (!strcmp(a, "--slot-size")) {
            if (parse_u32(argv[++i], &out->slot_size) < 0) {
                snprintf(err, errlen, "--slot-size: '%s' is not a size", argv[i]);
                return -1;
            }
        } else {
            snprintf(err, errlen, "unknown option '%s' (svmm blk-server --help)", a);
            return -1;
        }
    }
    if (out->listen == NULL || out->listen[0] == '\0' || strlen(out->listen) > 107 || out->disk == NULL ||
        out->nclients == 0) {
        snprintf(err, errlen, "svmm blk-server needs --listen PATH (1 to 107 characters), --disk FILE and at least "
                 "one --client");
        return -1;
    }
    if (!blkq_geometry_ok(out->depth, out->slot_size)) {
        snprintf(err, errlen, "--depth %u / --slot-size %u: depth must be a power of two 2..%u, the slot 4K..1M in "
                 "whole 4 KiB", out->depth, out->slot_size, BLKQ_MAX_DEPTH);
        return -1;
    }
    return 0;
}
