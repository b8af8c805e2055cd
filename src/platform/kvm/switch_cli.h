/* SPDX-License-Identifier: BSD-2-Clause */
/* Command line of `svmm switch` (pure: no I/O, unit-tested on the host). */
#ifndef SVMM_KVM_SWITCH_CLI_H
#define SVMM_KVM_SWITCH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <svmm/vswitch.h>

#define SWITCH_NAME_MAX 23 /* a port name, as in the link handshake */
#define SWITCH_DEFAULT_BUFFERS 256u
/* A virtio-net header and the largest (segmentation-offload) frame, rounded up to 64 bytes. */
#define SWITCH_DEFAULT_BUFFER_SIZE 65664u

struct switch_cli_port {
    char name[SWITCH_NAME_MAX + 1];
    bool has_mac;
    uint8_t mac[6];
    bool has_reach;
    char reach[VSWITCH_MAX_PORTS][SWITCH_NAME_MAX + 1]; /* names of the ports it may exchange frames with */
    unsigned nreach;
};

struct switch_cli {
    bool help;
    int verbosity;
    const char *listen;
    uint32_t nbufs, buf_size;
    uint64_t ageing_s;
    char uplink_tap[16];   /* --uplink tap=NAME ("" = none) */
    struct switch_cli_port ports[VSWITCH_MAX_PORTS];
    unsigned nports;
};

extern const char switch_cli_usage[];

/*
 * Parse `svmm switch ARGS` (argv[0] is "switch"). Checks everything that can be checked without
 * the system: port names unique, reach lists naming declared ports, MACs unicast and unique,
 * buffer geometry. Returns 0, or -1 with a one-line message in err.
 */
int switch_cli_parse(int argc, char *const argv[], struct switch_cli *out, char *err, size_t errlen);

/* The port numbered `i`'s reach as a vswitch_set_reach mask (all ports when it gave none). */
uint32_t switch_cli_reach_mask(const struct switch_cli *c, unsigned i);

#endif
