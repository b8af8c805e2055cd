/* SPDX-License-Identifier: BSD-2-Clause */
/* Command-line parsing for the hosted `svmm` binary (pure: no I/O, unit-tested on the host). */
#ifndef SVMM_KVM_CLI_H
#define SVMM_KVM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <svmm/config.h>
#include <svmm/virtio_console.h>

#define SVMM_DEFAULT_BOOTARGS "console=ttyS0 earlycon"

enum svmm_cli_cmd { SVMM_CLI_RUN, SVMM_CLI_HELP, SVMM_CLI_VERSION, SVMM_CLI_SWITCH, SVMM_CLI_BLK_SERVER, SVMM_CLI_CTL,
                   SVMM_CLI_UP };

#define SVMM_CLI_MAX_DISKS 8

#define SVMM_CLI_CLIENT_MAX 23 /* a block server's client name */

#define SVMM_CLI_NAME_MAX 31 /* --name */

/*
 * --disk PATH[,ro][,no-event-idx]: the path is the first path_len bytes of `path` (the argument,
 * unmodified). --disk server=PATH,client=NAME[,ro]: `path` is the server's socket, `client` set.
 */
struct svmm_cli_disk {
    const char *path;
    size_t path_len;
    char client[SVMM_CLI_CLIENT_MAX + 1]; /* non-empty: a partition of `svmm blk-server` at path */
    uint64_t ram_size; /* non-zero: --disk ram=SIZE, a RAM disk of this many bytes (path unused) */
    bool ro;
    bool no_event_idx; /* benchmarking: do not offer VIRTIO_F_EVENT_IDX */
    unsigned slot; /* virtio slot (cfg.virtio_ids[slot] == VIRTIO_ID_BLOCK) */
};

/*
 * --serve-disk listen=PATH,client=NAME,size=N[,ro] (repeatable): this VM is a driver VM whose agent
 * serves partition NAME (N bytes) to the VMM that connects to PATH as client NAME. Every one names
 * the same PATH (one socket per driver VM). Where NAME lies on the driver VM's disk is its agent's
 * business (docs/inter-vm.md).
 */
#define SVMM_CLI_MAX_SERVED 16 /* BLK_SERVER_MAX_CLIENTS */
struct svmm_cli_served {
    char client[SVMM_CLI_CLIENT_MAX + 1];
    uint64_t size;    /* bytes, a non-zero multiple of 512 */
    bool ro;
};

#define SVMM_CLI_MAX_NETS 8

#define SVMM_CLI_PORT_MAX 23 /* a switch port name */

/* --net tap=NAME[,mac=XX:XX:XX:XX:XX:XX] or --net switch=PATH,port=NAME[,mac=...]: one of tap, switch. */
struct svmm_cli_net {
    char tap[16];     /* interface name (IFNAMSIZ) */
    const char *switch_path; /* points into the argument: the value after "switch=" up to ',' or the end */
    size_t switch_len;
    char port[SVMM_CLI_PORT_MAX + 1];
    bool has_mac;
    uint8_t mac[6];
    unsigned slot;    /* virtio slot (cfg.virtio_ids[slot] == VIRTIO_ID_NET) */
};

/* --vsock cid=N,uds=PATH[,peer=CID:SOCKPATH]...: peer VMs the guest may reach (docs/hosted.md). */
#define SVMM_CLI_MAX_VSOCK_PEERS 8 /* VIRTIO_VSOCK_MAX_LINKS */
struct svmm_cli_vsock_peer {
    uint64_t cid;     /* 3 .. 0xfffffffe, not the guest's own, each peer once */
    const char *path; /* points into the argument: the socket path after "CID:" up to ',' or the end */
    size_t path_len;
};

struct svmm_cli_vsock {
    uint64_t cid;     /* 3 .. 0xfffffffe */
    const char *uds;  /* points into the argument: the value after "uds=" up to ',' or the end */
    size_t uds_len;
    struct svmm_cli_vsock_peer peers[SVMM_CLI_MAX_VSOCK_PEERS];
    unsigned npeers;
    unsigned slot;
};

/* --console stdio|pty: where virtio-console port 0 (hvc0) is connected. */
enum svmm_cli_console { SVMM_CLI_CONSOLE_STDIO, SVMM_CLI_CONSOLE_PTY };

#define SVMM_CLI_MAX_CONSOLE_PORTS (VIRTIO_CONSOLE_MAX_PORTS - 1)

/* --console-port NAME=pty|file:PATH: an extra, named virtio-console port (1, 2, ... in order). */
struct svmm_cli_console_port {
    char name[VIRTIO_CONSOLE_NAME_MAX + 1];
    bool pty;         /* else file: */
    const char *path; /* file: the rest of the argument after "file:" */
};

struct svmm_cli {
    enum svmm_cli_cmd cmd;
    const char *kernel;
    const char *initrd;
    const char *dtb_out;
    const char *name; /* --name: the VM's name in log lines; NULL: "vm" */
    int verbosity; /* 0 = errors and warnings, 1 = info (default), 2 = debug */
    bool no_reboot; /* --no-reboot: a guest reset ends svmm (status 2) instead of restarting the VM */
    const char *control; /* --control PATH (run) or --socket PATH (ctl): the VMM's control socket */
    const char *ctl_command; /* ctl: the command's words, space-separated (in ctl_buf) */
    char ctl_buf[256];
    struct svmm_cli_disk disks[SVMM_CLI_MAX_DISKS];
    unsigned ndisks;
    bool rng; /* --rng: a virtio-rng device in the next virtio slot */
    struct svmm_cli_net nets[SVMM_CLI_MAX_NETS];
    unsigned nnets;
    bool has_vsock;
    struct svmm_cli_vsock vsock;
    enum svmm_cli_console console;
    bool console_set;
    struct svmm_cli_console_port console_ports[SVMM_CLI_MAX_CONSOLE_PORTS];
    unsigned nconsole_ports;
    const char *serve_listen; /* --serve-disk's listen=: points into the argument, serve_listen_len bytes */
    size_t serve_listen_len;
    struct svmm_cli_served served[SVMM_CLI_MAX_SERVED];
    unsigned nserved;
    /* --cpu-affinity: vCPU i runs on host CPU cpu_affinity[i] (naffinity == cfg.ncpus), 0 entries: unpinned */
    unsigned cpu_affinity[SVMM_MAX_VCPUS];
    unsigned naffinity;
    int rt_priority; /* --rt-priority: the vCPU threads' SCHED_FIFO priority (1..99); 0: normal */
    const char *window_path[SVMM_MAX_WINDOWS]; /* --shared-window: the file behind cfg.windows[i] */
    struct svmm_vm_config cfg;
};

/* Usage text printed by --help. */
extern const char svmm_cli_usage[];

/*
 * Parse argv into `out` (config defaults applied first). Returns 0, or -1 with a one-line message
 * naming the offending argument in `err`.
 */
int svmm_cli_parse(int argc, char *const argv[], struct svmm_cli *out, char *err, size_t errlen);

/* Parse a memory size: a number with optional K, M, G or T suffix; no suffix means MiB. */
int svmm_cli_parse_size(const char *s, unsigned long long *bytes);

/*
 * Parse the `len` bytes at s as a decimal number with an optional binary suffix K, M, G or T (then
 * optionally "iB" or "B"); without a suffix the number is in units of 2^unit_shift bytes. Returns
 * 0 with the byte count in *out, or -1 (not a number, a stray character, or over 2^64).
 */
int svmm_cli_parse_scaled(const char *s, size_t len, unsigned unit_shift, uint64_t *out);

#endif
