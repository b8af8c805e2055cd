/* SPDX-License-Identifier: BSD-2-Clause */
/* Command line of `svmm blk-server` (pure: no I/O, unit-tested on the host). */
#ifndef SVMM_KVM_BLK_SERVER_CLI_H
#define SVMM_KVM_BLK_SERVER_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <svmm/blk_server.h>

#define BLK_SERVER_DEFAULT_DEPTH 64u
#define BLK_SERVER_DEFAULT_SLOT (128u << 10)

struct blk_server_cli_client {
    char name[BLK_SERVER_NAME_MAX + 1];
    uint64_t offset, size;  /* bytes of the disk; checked against it when the disk is open */
    bool read_only;
};

struct blk_server_cli {
    bool help;
    int verbosity;
    const char *listen;
    const char *disk;
    uint32_t depth, slot_size;
    struct blk_server_cli_client clients[BLK_SERVER_MAX_CLIENTS];
    unsigned nclients;
};

extern const char blk_server_cli_usage[];

/* A byte count of `len` bytes at s: digits, then optionally K, M or G (binary). 0, or -1 if it is not one. */
int blk_server_cli_parse_bytes(const char *s, size_t len, uint64_t *out);

/*
 * Parse `svmm blk-server ARGS` (argv[0] is "blk-server"). Checks what can be checked without the
 * disk: names unique, sizes, geometry. Returns 0, or -1 with a one-line message in err.
 */
int blk_server_cli_parse(int argc, char *const argv[], struct blk_server_cli *out, char *err, size_t errlen);

#endif
