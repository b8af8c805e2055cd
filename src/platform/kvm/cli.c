/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <svmm/virtio.h>
#include <svmm/virtio_net.h>
#include <svmm/features.h>
#include <svmm/sbsa_gwdt.h>
#include "blk_server_cli.h"
#include "cli.h"

_Static_assert(SVMM_CLI_MAX_CONSOLE_PORTS == 2, "the usage text says 2 extra console ports");

const char svmm_cli_usage[] =
    "usage: svmm run --kernel IMAGE [options]\n"
    "       svmm switch --listen PATH --port NAME ...   (a virtual switch: svmm switch --help)\n"
    "       svmm blk-server --listen PATH --disk FILE --client NAME,... (svmm blk-server --help)\n"
    "       svmm up PLAN [--control PATH] [--run-dir DIR]   (supervise a system: svmm up --help)\n"
    "       svmm ctl --socket PATH COMMAND   (a running VMM's or svmm up's control socket: status,\n"
    "                stop, restart, start [VM]; svmm up also: list, boot SLOT IMAGE, shutdown)\n"
    "       svmm --help | --version\n"
    "\n"
    "Boot an arm64 Linux kernel Image in a KVM virtual machine. Guest output from the emulated\n"
    "16550 UART (ttyS0) and the virtio console (hvc0) goes to stdout; svmm's own log to stderr.\n"
    "\n"
    "options for run:\n"
    "  --kernel IMAGE     uncompressed arm64 Linux Image (required; zcat a vmlinuz first)\n"
    "  --initrd FILE      initramfs / initrd to load\n"
    "  --append \"ARGS\"    kernel command line (default: \"" SVMM_DEFAULT_BOOTARGS "\")\n"
    "  --mem SIZE         guest RAM, e.g. 512M or 1G; a plain number is MiB (default 256M)\n"
    "  --cpus N           number of vCPUs, 1.." "16" " (default 1)\n"
    "  --shared-window BASE,SIZE,PATH\n"
    "                     memory shared with other VMs (or the host): the file PATH (created 0600 if\n"
    "                     missing, e.g. /dev/shm/NAME) mapped at guest-physical BASE; every VMM given the\n"
    "                     same PATH shares it. In the guest DT as svmm,shared-window labelled NAME. Up to 4\n"
    "  --load-addr ADDR   the kernel is a raw binary built for guest-physical ADDR (no Linux Image\n"
    "                     header, not relocatable): loaded there and entered at its first byte, x0 = DTB\n"
    "  --mem-range BASE,SIZE\n"
    "                     more guest RAM at guest-physical BASE (e.g. 0x100000000,64M; both 2 MiB\n"
    "                     multiples), beside --mem's at 0x40000000: holes between are unmapped. Up to 3\n"
    "  --dtb-out FILE     also write the generated device tree blob to FILE\n"
    "  --disk PATH[,ro]   virtio-blk disk on a raw image file or block device (/dev/vdX in the\n"
    "                     guest, in order); ,ro: read-only. Repeat for up to 8 disks.\n"
    "                     ,no-event-idx (benchmarking): do not offer VIRTIO_F_EVENT_IDX, so the\n"
    "                     guest notifies and is interrupted without suppression\n"
    "  --disk ram=SIZE    virtio-blk disk on a RAM disk of SIZE bytes (K, M, G: binary; a 512\n"
    "                     multiple), zeroed at start and gone at exit; serial svmm-ramdisk\n"
    "  --disk server=PATH,client=NAME[,ro]\n"
    "                     virtio-blk on partition NAME of the block server listening on PATH (svmm\n"
    "                     blk-server --help); ,ro: read-only even if the server allows writes\n"
    "  --serve-disk listen=PATH,client=NAME,size=SIZE[,ro]\n"
    "                     make this VM a driver VM: VMMs started with --disk server=PATH,client=NAME\n"
    "                     get a disk of SIZE bytes (K, M, G: binary; a 512 multiple) served by the agent\n"
    "                     in this guest (svmm-blk-agent, on the virtio-console port 'svmm-blk'), which\n"
    "                     maps NAME to a range of its own disk; ,ro: the client may only read.\n"
    "                     Repeat for up to 16 clients, all with the same PATH\n"
    "  --rng              virtio-rng device fed by the host's getrandom() (/dev/hwrng)\n"
    "  --net tap=NAME[,mac=XX:XX:XX:XX:XX:XX]\n"
    "                     virtio-net on the existing tap device NAME (eth0, eth1... in the guest,\n"
    "                     in order); default MAC 02:73:76:6d:00:<n>. Repeat for up to 8 NICs\n"
    "  --net switch=PATH,port=NAME[,mac=...]\n"
    "                     virtio-net on port NAME of the virtual switch listening on PATH (svmm\n"
    "                     switch --help); the MAC is the port's when the switch gives it one\n"
    "  --vsock cid=N,uds=PATH[,peer=CID:SOCKPATH]...\n"
    "                     virtio-vsock with guest CID N (>= 3); host side on Unix sockets: the\n"
    "                     guest connecting to port P reaches PATH_P; a host client connecting to\n"
    "                     PATH and writing \"CONNECT <port>\\n\" reaches the guest (reply \"OK <n>\\n\")\n"
    "                     peer=CID:SOCKPATH (repeatable): the guest may reach the VM with that CID;\n"
    "                     of the two VMMs the one with the lower CID listens on SOCKPATH\n"
    "  --console stdio|pty\n"
    "                     where the virtio console (hvc0) goes: stdin/stdout (default), or a new\n"
    "                     pseudo-terminal, its path printed on stderr (\"svmm: virtio-console on\n"
    "                     /dev/pts/N\"); the UART stays on stdin/stdout\n"
    "  --console-port NAME=pty|file:PATH\n"
    "                     an extra virtio-console port named NAME (/dev/virtio-ports/NAME in the\n"
    "                     guest, with udev): on a new pseudo-terminal, or its output appended to\n"
    "                     PATH (no input). Repeat for up to 2 ports\n"
    "  --no-reboot        a guest's reset (PSCI SYSTEM_RESET) ends svmm with status 2; by default\n"
    "                     the VM restarts: devices reset, RAM zeroed, kernel and initrd loaded again\n"
    "                     from the copies read at start (disks, tap and switch ports, servers stay)\n"
    "  --control PATH     listen for admin commands on the Unix socket PATH (mode 0600, this user's\n"
    "                     processes only): svmm ctl --socket PATH status|stop|restart\n"
    "  --watchdog SECONDS[,boot=SECONDS]\n"
    "                     an SBSA Generic Watchdog (arm,sbsa-gwdt), running from power-on: when the\n"
    "                     guest has not refreshed it for SECONDS (1..3600), svmm ends with status 3.\n"
    "                     Linux's sbsa_gwdt module refreshes it from its probe on (docs/hosted.md);\n"
    "                     boot=: the guest's first window from power-on, if its driver loads later\n"
    "  --name NAME        the VM's name in svmm's log lines (default \"vm\")\n"
    "  --cpu-affinity CPU[,CPU...]\n"
    "                     pin vCPU i's thread to the i-th host CPU of the list (one per vCPU)\n"
    "  --rt-priority N    run the vCPU threads under SCHED_FIFO at priority N (1..99; needs\n"
    "                     CAP_SYS_NICE or an RLIMIT_RTPRIO of N, and --cpu-affinity with one vCPU\n"
    "                     per host CPU: a FIFO thread never yields to another of its priority)\n"
    "  -v, --verbose      more log lines (repeat for debug)\n"
    "  -q, --quiet        only warnings and errors\n"
    "\n"
    "exit status: 0 guest powered off, 2 guest requested a reset (--no-reboot), 3 guest fault (it\n"
    "             crashed, made an access svmm cannot emulate, or stopped refreshing its --watchdog),\n"
    "             130 stopped with Ctrl-A x, 143 stopped by SIGTERM, 1 error\n"
    "keys on a terminal: Ctrl-A x quits, Ctrl-A a sends Ctrl-A\n";

int svmm_cli_parse_scaled(const char *s, size_t len, unsigned unit_shift, uint64_t *out)
{
    char buf[32], *end;
    unsigned long long v;
    unsigned shift = unit_shift;

    if (len == 0 || len >= sizeof(buf) || s[0] < '0' || s[0] > '9')
        return -1;
    memcpy(buf, s, len); /* len < sizeof(buf) */
    buf[len] = '\0';
    errno = 0;
    v = strtoull(buf, &end, 10);
    if (errno != 0)
        return -1;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    default: return -1;
    }
    if (*end == 'i' || *end == 'B') /* 64MiB, 64MB: after a unit letter only */
        end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
    if (*end != '\0' || v > (~0ull >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

int svmm_cli_parse_size(const char *s, unsigned long long *bytes)
{
    uint64_t v;

    if (svmm_cli_parse_scaled(s, strlen(s), 20, &v) < 0)
        return -1;
    *bytes = v;
    return 0;
}

static int parse_uint(const char *s, unsigned long *out)
{
    char *end;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    *out = strtoul(s, &end, 10);
    return errno != 0 || *end != '\0' ? -1 : 0;
}

static const char *const value_options[] = { "--kernel", "--initrd", "--append", "--mem", "--cpus", "--dtb-out",
                                             "--disk", "--net", "--vsock", "--console", "--console-port",
                                             "--serve-disk", "--control", "--watchdog", "--name",
                                             "--cpu-affinity", "--rt-priority", "--mem-range", "--load-addr",
                                             "--shared-window" };

/* The option name of `arg` ("--mem" for both "--mem" and "--mem=1G") if it is known, else NULL. */
static const char *known_option(const char *arg)
{
    size_t len = strcspn(arg, "=");

    for (size_t i = 0; i < sizeof(value_options) / sizeof(value_options[0]); i++)
        if (strlen(value_options[i]) == len && !strncmp(arg, value_options[i], len))
            return value_options[i];
    return NULL;
}

/* Give the next virtio slot to a device of type `id`; -1 with a message when none is left. */
static int add_virtio(struct svmm_cli *out, uint32_t id, const char *what, char *err, size_t errlen)
{
    if (out->cfg.nvirtio >= SVMM_MAX_VIRTIO) {
        snprintf(err, errlen, "%s: no virtio slot left (at most %u devices)", what, SVMM_MAX_VIRTIO);
        return -1;
    }
    out->cfg.virtio_ids[out->cfg.nvirtio++] = id;
    return 0;
}

/* The next "key=value" of a comma-separated option list; false at the end. */
static bool next_subopt(const char **p, const char **key, size_t *klen, const char **val, size_t *vlen)
{
    const char *s = *p, *end, *eq;

    if (s == NULL)
        return false;
    end = strchr(s, ',');
    *p = end ? end + 1 : NULL;
    end = end ? end : s + strlen(s);
    eq = memchr(s, '=', (size_t)(end - s));
    *key = s;
    *klen = (size_t)((eq ? eq : end) - s);
    *val = eq ? eq + 1 : end;
    *vlen = eq ? (size_t)(end - eq - 1) : 0;
    return true;
}


/* The client= and size= of --serve-disk (the value `v`, `vlen` bytes) into d; -1 + err. */
static int served_value(struct svmm_cli_served *d, bool is_client, const char *v, size_t vlen, char *err,
                        size_t errlen)
{
    uint64_t bytes;

    if (is_client) {
        if (vlen == 0 || vlen > SVMM_CLI_CLIENT_MAX) {
            snprintf(err, errlen, "--serve-disk: client name '%.*s' must be 1 to %d characters", (int)vlen, v,
                     SVMM_CLI_CLIENT_MAX);
            return -1;
        }
        memcpy(d->client, v, vlen); /* vlen <= SVMM_CLI_CLIENT_MAX: the NUL of the zeroed array stays */
        return 0;
    }
    /* Bytes unless a K, M or G follows, as svmm blk-server's size= (a plain --mem number is MiB). */
    if (blk_server_cli_parse_bytes(v, vlen, &bytes) < 0 || bytes == 0 || bytes % 512) {
        snprintf(err, errlen, "--serve-disk: size '%.*s' is not a byte count (e.g. 64M) that is a non-zero "
                 "multiple of 512", (int)(vlen > 40 ? 40 : vlen), v);
        return -1;
    }
    d->size = bytes;
    return 0;
}

/* --serve-disk listen=PATH,client=NAME,size=SIZE[,ro] */
static int add_served(struct svmm_cli *out, const char *val, char *err, size_t errlen)
{
    struct svmm_cli_served *d = &out->served[out->nserved];
    const char *p = val, *k, *v, *listen = NULL;
    size_t klen, vlen, listen_len = 0;

    if (out->nserved == SVMM_CLI_MAX_SERVED) {
        snprintf(err, errlen, "--serve-disk: at most %u clients", SVMM_CLI_MAX_SERVED);
        return -1;
    }
    memset(d, 0, sizeof(*d));
    while (next_subopt(&p, &k, &klen, &v, &vlen)) {
        if (klen == 6 && !strncmp(k, "listen", 6) && vlen > 0 && vlen <= 107) {
            listen = v, listen_len = vlen;
        } else if ((klen == 6 && !strncmp(k, "client", 6)) || (klen == 4 && !strncmp(k, "size", 4))) {
            if (served_value(d, klen == 6, v, vlen, err, errlen) < 0)
                return -1;
        } else if (klen == 2 && !strncmp(k, "ro", 2) && vlen == 0 && k[2] != '=') {
            d->ro = true;
        } else {
            snprintf(err, errlen, "--serve-disk: bad sub-option '%.*s' (use listen=PATH of 1 to 107 characters, "
                     "client=NAME, size=SIZE and ,ro)", (int)klen, k);
            return -1;
        }
    }
    if (listen == NULL || d->client[0] == '\0' || d->size == 0) {
        snprintf(err, errlen, "--serve-disk: '%s' needs listen=PATH, client=NAME and size=SIZE", val);
        return -1;
    }
    if (out->serve_listen && (out->serve_listen_len != listen_len || strncmp(out->serve_listen, listen, listen_len))) {
        snprintf(err, errlen, "--serve-disk: every client must use the same listen=PATH (one socket per driver VM)");
        return -1;
    }
    for (unsigned i = 0; i < out->nserved; i++) {
        if (!strcmp(out->served[i].client, d->client)) {
            snprintf(err, errlen, "--serve-disk: client '%s' given twice", d->client);
            return -1;
        }
    }
    out->serve_listen = listen, out->serve_listen_len = listen_len;
    out->nserved++; /* was < SVMM_CLI_MAX_SERVED (checked first) */
    return 0;
}

/* --disk server=PATH,client=NAME[,ro]: the options after "server=" (d->path and d->path_len are set). */
static int disk_server_opts(struct svmm_cli_disk *d, const char *val, const char *opt, char *err, size_t errlen)
{
    while (opt) {
        const char *o = opt + 1, *next = strchr(o, ',');
        size_t len = next ? (size_t)(next - o) : strlen(o);
        if (len == 2 && !strncmp(o, "ro", 2)) {
            d->ro = true;
        } else if (len > 7 && !strncmp(o, "client=", 7) && len - 7 <= SVMM_CLI_CLIENT_MAX) {
            memcpy(d->client, o + 7, len - 7);
            d->client[len - 7] = '\0';
        } else {
            snprintf(err, errlen, "--disk: bad option '%.*s' in '%s' (server=PATH takes client=NAME, 1 to %d "
                     "characters, and ,ro)", (int)len, o, val, SVMM_CLI_CLIENT_MAX);
            return -1;
        }
        opt = next;
    }
    if (d->client[0] == '\0' || d->path_len == 0 || d->path_len > 107) {
        snprintf(err, errlen, "--disk: '%s' needs a socket path of 1 to 107 characters and client=NAME", val);
        return -1;
    }
    return 0;
}

/* --disk ram=SIZE: d->path and d->path_len are the SIZE. */
static int disk_ram_size(struct svmm_cli_disk *d, const char *val, char *err, size_t errlen)
{
    if (blk_server_cli_parse_bytes(d->path, d->path_len, &d->ram_size) < 0 || d->ram_size == 0 ||
        d->ram_size % 512) {
        snprintf(err, errlen, "--disk: '%s': ram= takes a size (e.g. 64M) that is a non-zero multiple of 512", val);
        return -1;
    }
    return 0;
}

/* --disk PATH[,ro][,no-event-idx], --disk ram=SIZE[,no-event-idx] or --disk server=PATH,client=NAME[,ro] */
static int add_disk(struct svmm_cli *out, const char *val, char *err, size_t errlen)
{
    struct svmm_cli_disk *d = &out->disks[out->ndisks];
    bool server = !strncmp(val, "server=", 7), ram = !strncmp(val, "ram=", 4);
    const char *opt = strchr(server ? val + 7 : ram ? val + 4 : val, ',');

    if (out->ndisks == SVMM_CLI_MAX_DISKS) {
        snprintf(err, errlen, "--disk: at most %u disks", SVMM_CLI_MAX_DISKS);
        return -1;
    }
    memset(d, 0, sizeof(*d));
    d->path = server ? val + 7 : ram ? val + 4 : val;
    d->path_len = opt ? (size_t)(opt - d->path) : strlen(d->path);
    if (ram && disk_ram_size(d, val, err, errlen) < 0)
        return -1;
    if (server) {
        if (!SVMM_FEATURE_BLK_SERVER) {
            snprintf(err, errlen, "--disk server=: this svmm was built without the block server (FEATURES=-blk-server)");
            return -1;
        }
        if (disk_server_opts(d, val, opt, err, errlen) < 0)
            return -1;
        opt = NULL;
    } else if (d->path_len == 0) {
        snprintf(err, errlen, "--disk: '%s' names no file (use --disk PATH[,ro])", val);
        return -1;
    }
    while (opt) {
        const char *o = opt + 1, *next = strchr(o, ',');
        size_t len = next ? (size_t)(next - o) : strlen(o);
        if (len == 2 && !strncmp(o, "ro", 2) && ram) {
            snprintf(err, errlen, "--disk: '%s': a RAM disk starts zeroed, so a read-only one is of no use", val);
            return -1;
        } else if (len == 2 && !strncmp(o, "ro", 2)) {
            d->ro = true;
        } else if (len == 12 && !strncmp(o, "no-event-idx", 12)) {
            d->no_event_idx = true;
        } else {
            snprintf(err, errlen, "--disk: unknown option '%.*s' in '%s' (only ,ro and ,no-event-idx)", (int)len,
                     o, val);
            return -1;
        }
        opt = next;
    }
    d->slot = out->cfg.nvirtio;
    if (add_virtio(out, VIRTIO_ID_BLOCK, "--disk", err, errlen) < 0)
        return -1;
    out->ndisks++;
    return 0;
}

/* --net tap=NAME[,mac=XX:XX:XX:XX:XX:XX] or switch=PATH,port=NAME[,mac=...] */
static int add_net(struct svmm_cli *out, const char *val, char *err, size_t errlen)
{
    struct svmm_cli_net *n = &out->nets[out->nnets];
    const char *p = val, *k, *v;
    size_t klen, vlen;

    if (out->nnets == SVMM_CLI_MAX_NETS) {
        snprintf(err, errlen, "--net: at most %u network devices", SVMM_CLI_MAX_NETS);
        return -1;
    }
    memset(n, 0, sizeof(*n));
    while (next_subopt(&p, &k, &klen, &v, &vlen)) {
        if (klen == 3 && !strncmp(k, "tap", 3)) {
            if (vlen == 0 || vlen >= sizeof(n->tap)) {
                snprintf(err, errlen, "--net: tap name '%.*s' must be 1 to %zu characters", (int)vlen, v,
                         sizeof(n->tap) - 1);
                return -1;
            }
            snprintf(n->tap, sizeof(n->tap), "%.*s", (int)vlen, v);
        } else if (klen == 6 && !strncmp(k, "switch", 6)) {
            if (vlen == 0 || vlen > 107) {
                snprintf(err, errlen, "--net: switch socket path must be 1 to 107 characters");
                return -1;
            }
            n->switch_path = v;
            n->switch_len = vlen;
        } else if (klen == 4 && !strncmp(k, "port", 4)) {
            if (vlen == 0 || vlen > SVMM_CLI_PORT_MAX) {
                snprintf(err, errlen, "--net: port name '%.*s' must be 1 to %d characters", (int)vlen, v,
                         SVMM_CLI_PORT_MAX);
                return -1;
            }
            snprintf(n->port, sizeof(n->port), "%.*s", (int)vlen, v);
        } else if (klen == 3 && !strncmp(k, "mac", 3)) {
            char mac[18];
            snprintf(mac, sizeof(mac), "%.*s", (int)(vlen < 17 ? vlen : 17), v);
            if (vlen != 17 || virtio_net_parse_mac(mac, n->mac) < 0) {
                snprintf(err, errlen, "--net: bad MAC address '%.*s' (want six hex pairs like 52:54:00:12:34:56, "
                         "not multicast)", (int)vlen, v);
                return -1;
            }
            n->has_mac = true;
        } else {
            snprintf(err, errlen, "--net: unknown sub-option '%.*s' (use tap=NAME or switch=PATH,port=NAME, "
                     "and mac=XX:XX:XX:XX:XX:XX)", (int)klen, k);
            return -1;
        }
    }
    if ((n->tap[0] != '\0') == (n->switch_path != NULL)) {
        snprintf(err, errlen, n->tap[0] ? "--net: tap= and switch= exclude each other (one backend per NIC)"
                                        : "--net: missing tap=NAME or switch=PATH,port=NAME (e.g. --net tap=tap0)");
        return -1;
    }
    if ((n->switch_path != NULL) != (n->port[0] != '\0')) {
        snprintf(err, errlen, n->switch_path ? "--net switch=PATH needs port=NAME (the switch's port for this NIC)"
                                             : "--net: port= goes with switch=PATH");
        return -1;
    }
    if (add_virtio(out, VIRTIO_ID_NET, "--net", err, errlen) < 0)
        return -1;
    n->slot = out->cfg.nvirtio - 1;
    out->nnets++;
    return 0;
}

/* A guest CID in text of `len` bytes: 3 .. 0xfffffffe, or -1. */
static int parse_cid(const char *v, size_t len, uint64_t *cid)
{
    char num[24];
    unsigned long long c;
    char *end;

    snprintf(num, sizeof(num), "%.*s", (int)(len < 23 ? len : 23), v);
    errno = 0;
    c = strtoull(num, &end, 10);
    if (len == 0 || len > 20 || num[0] < '0' || num[0] > '9' || *end || errno || c < 3 || c > 0xfffffffeull)
        return -1;
    *cid = c;
    return 0;
}

/* peer=CID:SOCKPATH of --vsock (the guest's own CID is checked once all sub-options are read). */
static int add_vsock_peer(struct svmm_cli_vsock *vs, const char *v, size_t vlen, char *err, size_t errlen)
{
    const char *colon = memchr(v, ':', vlen);
    struct svmm_cli_vsock_peer *p;
    uint64_t cid;

    if (vs->npeers == SVMM_CLI_MAX_VSOCK_PEERS) {
        snprintf(err, errlen, "--vsock: at most %u peers", SVMM_CLI_MAX_VSOCK_PEERS);
        return -1;
    }
    if (colon == NULL || parse_cid(v, (size_t)(colon - v), &cid) < 0 || colon + 1 == v + vlen ||
        (size_t)(v + vlen - colon - 1) > 100) {
        snprintf(err, errlen, "--vsock: peer '%.*s' is not CID:SOCKPATH (a CID 3..4294967294, a path of 1 to 100 "
                 "characters)", (int)vlen, v);
        return -1;
    }
    for (unsigned i = 0; i < vs->npeers; i++) {
        if (vs->peers[i].cid == cid) {
            snprintf(err, errlen, "--vsock: peer %llu given twice", (unsigned long long)cid);
            return -1;
        }
    }
    /* Invariant: npeers < SVMM_CLI_MAX_VSOCK_PEERS (checked above). */
    p = &vs->peers[vs->npeers++];
    p->cid = cid;
    p->path = colon + 1;
    p->path_len = (size_t)(v + vlen - colon - 1);
    return 0;
}

/* --vsock cid=N,uds=PATH[,peer=CID:SOCKPATH]... */
static int add_vsock(struct svmm_cli *out, const char *val, char *err, size_t errlen)
{
    struct svmm_cli_vsock *vs = &out->vsock;
    const char *p = val, *k, *v;
    size_t klen, vlen;
    bool has_cid = false;

    if (out->has_vsock) {
        snprintf(err, errlen, "--vsock: given twice (one virtio-vsock device per VM)");
        return -1;
    }
    memset(vs, 0, sizeof(*vs));
    while (next_subopt(&p, &k, &klen, &v, &vlen)) {
        if (klen == 3 && !strncmp(k, "cid", 3)) {
            if (parse_cid(v, vlen, &vs->cid) < 0) {
                snprintf(err, errlen, "--vsock: cid '%.*s' is not a number between 3 and 4294967294 "
                         "(0-2 are reserved)", (int)vlen, v);
                return -1;
            }
            has_cid = true;
        } else if (klen == 4 && !strncmp(k, "peer", 4)) {
            if (add_vsock_peer(vs, v, vlen, err, errlen) < 0)
                return -1;
        } else if (klen == 3 && !strncmp(k, "uds", 3)) {
            if (vlen == 0) {
                snprintf(err, errlen, "--vsock: uds= needs a socket path");
                return -1;
            }
            vs->uds = v;
            vs->uds_len = vlen;
        } else {
            snprintf(err, errlen, "--vsock: unknown sub-option '%.*s' (use cid=N,uds=PATH[,peer=CID:SOCKPATH])",
                     (int)klen, k);
            return -1;
        }
    }
    if (!has_cid || vs->uds == NULL) {
        snprintf(err, errlen, "--vsock: missing %s (use --vsock cid=N,uds=PATH)", has_cid ? "uds=PATH" : "cid=N");
        return -1;
    }
    for (unsigned i = 0; i < vs->npeers; i++) {
        if (vs->peers[i].cid == vs->cid) {
            snprintf(err, errlen, "--vsock: peer %llu is this guest's own CID", (unsigned long long)vs->cid);
            return -1;
        }
    }
    if (add_virtio(out, VIRTIO_ID_VSOCK, "--vsock", err, errlen) < 0)
        return -1;
    vs->slot = out->cfg.nvirtio - 1;
    out->has_vsock = true;
    return 0;
}

/* --console stdio|pty */
static int set_console(struct svmm_cli *out, const char *val, char *err, size_t errlen)
{
    if (out->console_set) {
        snprintf(err, errlen, "--console: given twice (port 0 has one backend; extra ports: --console-port)");
        return -1;
    }
    if (!strcmp(val, "stdio")) {
        out->console = SVMM_CLI_CONSOLE_STDIO;
    } else if (!strcmp(val, "pty")) {
        out->console = SVMM_CLI_CONSOLE_PTY;
    } else {
        snprintf(err, errlen, "--console: unknown backend '%s' (use stdio or pty)", val);
        return -1;
    }
    out->console_set = true;
    return 0;
}

/* --console-port NAME=pty|file:PATH */
static int add_console_port(struct svmm_cli *out, const char *val, char *err, size_t errlen)
{
    struct svmm_cli_console_port *p = &out->console_ports[out->nconsole_ports];
    const char *eq = strchr(val, '='), *be;
    size_t nlen;

    if (eq == NULL) {
        snprintf(err, errlen, "--console-port: '%s' is not NAME=pty or NAME=file:PATH", val);
        return -1;
    }
    nlen = (size_t)(eq - val);
    be = eq + 1;
    if (nlen == 0 || nlen > VIRTIO_CONSOLE_NAME_MAX || strspn(val, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                   "0123456789._-") < nlen) {
        snprintf(err, errlen, "--console-port: bad port name '%.*s' (1 to %u characters of A-Z a-z 0-9 . _ -)",
                 (int)(nlen > 80 ? 80 : nlen), val, VIRTIO_CONSOLE_NAME_MAX);
        return -1;
    }
    for (unsigned i = 0; i < out->nconsole_ports; i++) {
        if (strlen(out->console_ports[i].name) == nlen && !strncmp(out->console_ports[i].name, val, nlen)) {
            snprintf(err, errlen, "--console-port: duplicate port name '%.*s'", (int)nlen, val);
            return -1;
        }
    }
    if (out->nconsole_ports == SVMM_CLI_MAX_CONSOLE_PORTS) {
        snprintf(err, errlen, "--console-port: too many ports (at most %u besides the console)",
                 SVMM_CLI_MAX_CONSOLE_PORTS);
        return -1;
    }
    memset(p, 0, sizeof(*p));
    memcpy(p->name, val, nlen);
    if (!strcmp(be, "pty")) {
        p->pty = true;
    } else if (!strncmp(be, "file:", 5)) {
        p->path = be + 5;
        if (p->path[0] == '\0') {
            snprintf(err, errlen, "--console-port: %.*s=file: needs a path (NAME=file:PATH)", (int)nlen, val);
            return -1;
        }
    } else {
        snprintf(err, errlen, "--console-port: unknown backend '%s' for port '%.*s' (use pty or file:PATH)", be,
                 (int)nlen, val);
        return -1;
    }
    out->nconsole_ports++;
    return 0;
}

/* The `len` bytes at s as seconds, 1 .. SBSA_GWDT_MAX_TIMEOUT; 0 when they are not. */
static unsigned watchdog_seconds(const char *s, size_t len)
{
    char buf[8];
    unsigned long n;

    if (len == 0 || len >= sizeof(buf))
        return 0;
    memcpy(buf, s, len); /* len < sizeof(buf) */
    buf[len] = '\0';
    return parse_uint(buf, &n) == 0 && n >= 1 && n <= SBSA_GWDT_MAX_TIMEOUT ? (unsigned)n : 0;
}

/* --watchdog SECONDS[,boot=SECONDS] */
static int set_watchdog(struct svmm_cli *out, const char *val, char *err, size_t errlen)
{
    const char *comma = strchr(val, ',');
    size_t len = comma ? (size_t)(comma - val) : strlen(val);

    out->cfg.watchdog_s = watchdog_seconds(val, len);
    out->cfg.watchdog_boot_s = 0;
    if (comma && !strncmp(comma + 1, "boot=", 5))
        out->cfg.watchdog_boot_s = watchdog_seconds(comma + 6, strlen(comma + 6));
    if (out->cfg.watchdog_s == 0 || (comma && out->cfg.watchdog_boot_s == 0)) {
        snprintf(err, errlen, "--watchdog: '%.40s' is not SECONDS[,boot=SECONDS], each between 1 and %u", val,
                 SBSA_GWDT_MAX_TIMEOUT);
        return -1;
    }
    return 0;
}

/* --shared-window BASE,SIZE,PATH: the window's label is PATH's last component. */
static int add_window(struct svmm_cli *out, const char *val, char *err, size_t errlen)
{
    const char *c1 = strchr(val, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL, *name;
    unsigned long long size;
    char sizebuf[32], *end;
    struct svmm_shared_window *w;
    uint64_t base;

    if (out->cfg.nwindows == SVMM_MAX_WINDOWS) {
        snprintf(err, errlen, "--shared-window: at most %u windows", SVMM_MAX_WINDOWS);
        return -1;
    }
    errno = 0;
    base = strtoull(val, &end, 0);
    if (val[0] < '0' || val[0] > '9' || errno || c1 == NULL || end != c1 || c2 == NULL ||
        (size_t)(c2 - c1 - 1) >= sizeof(sizebuf) || c2[1] != '/') {
        snprintf(err, errlen, "--shared-window: '%.60s' is not BASE,SIZE,/PATH (e.g. 0x10000000,2M,/dev/shm/win)", val);
        return -1;
    }
    memcpy(sizebuf, c1 + 1, (size_t)(c2 - c1 - 1)); /* < sizeof(sizebuf): checked above */
    sizebuf[c2 - c1 - 1] = '\0';
    name = strrchr(c2 + 1, '/') + 1;
    if (svmm_cli_parse_size(sizebuf, &size) < 0 || size == 0 || ((base | size) & 0xfff) || !name[0] ||
        strlen(name) >= SVMM_WINDOW_NAME_MAX) {
        snprintf(err, errlen, "--shared-window: '%.60s': BASE and SIZE must be 4 KiB multiples, PATH end in a name of "
                 "1 to %u characters", val, SVMM_WINDOW_NAME_MAX - 1);
        return -1;
    }
    out->window_path[out->cfg.nwindows] = c2 + 1;
    w = &out->cfg.windows[out->cfg.nwindows++]; /* nwindows < SVMM_MAX_WINDOWS: checked above */
    w->base = base;
    w->size = size;
    snprintf(w->name, sizeof(w->name), "%s", name);
    return 0;
}

/* --mem-range BASE,SIZE: a further guest RAM range (svmm_vm_config_validate checks its place). */
static int add_mem_range(struct svmm_cli *out, const char *val, char *err, size_t errlen)
{
    const char *comma = strchr(val, ',');
    unsigned long long size;
    char *end;
    uint64_t base;

    if (out->cfg.nextra_ram == SVMM_MAX_EXTRA_RAM) {
        snprintf(err, errlen, "--mem-range: at most %u ranges besides --mem", SVMM_MAX_EXTRA_RAM);
        return -1;
    }
    errno = 0;
    base = strtoull(val, &end, 0);
    if (val[0] < '0' || val[0] > '9' || errno || comma == NULL || end != comma ||
        svmm_cli_parse_size(comma + 1, &size) < 0 || size == 0 || ((base | size) & ((2u << 20) - 1))) {
        snprintf(err, errlen, "--mem-range: '%.60s' is not BASE,SIZE with both multiples of 2 MiB (e.g. 0x100000000,64M)",
                 val);
        return -1;
    }
    out->cfg.extra_ram[out->cfg.nextra_ram].base = base;
    out->cfg.extra_ram[out->cfg.nextra_ram++].size = size; /* nextra_ram < SVMM_MAX_EXTRA_RAM: checked above */
    return 0;
}

/* --cpu-affinity CPU[,CPU...]: host CPU numbers below CPU_SETSIZE (1024), one per vCPU. */
static int set_affinity(struct svmm_cli *out, const char *val, char *err, size_t errlen)
{
    const char *p = val;

    out->naffinity = 0;
    for (;;) {
        char *end;
        unsigned long cpu;
        if (*p < '0' || *p > '9' || (errno = 0, cpu = strtoul(p, &end, 10), errno) || cpu >= 1024 ||
            (*end != ',' && *end != '\0')) {
            snprintf(err, errlen, "--cpu-affinity: '%.40s' is not a list of host CPU numbers (0..1023), e.g. 0,1", val);
            return -1;
        }
        if (out->naffinity == SVMM_MAX_VCPUS) {
            snprintf(err, errlen, "--cpu-affinity: more than %u CPUs (one per vCPU)", SVMM_MAX_VCPUS);
            return -1;
        }
        out->cpu_affinity[out->naffinity++] = (unsigned)cpu; /* naffinity < SVMM_MAX_VCPUS: checked above */
        if (*end == '\0')
            return 0;
        p = end + 1;
    }
}

/* After all options: the affinity list matches --cpus, and FIFO vCPUs do not share a host CPU. */
static int check_affinity(const struct svmm_cli *out, char *err, size_t errlen)
{
    if (out->naffinity && out->naffinity != out->cfg.ncpus) {
        snprintf(err, errlen, "--cpu-affinity: %u host CPUs for %u vCPUs (give one per vCPU)", out->naffinity,
                 out->cfg.ncpus);
        return -1;
    }
    if (out->rt_priority && !out->naffinity) {
        snprintf(err, errlen, "--rt-priority: also give --cpu-affinity, one host CPU per vCPU");
        return -1;
    }
    for (unsigned i = 0; out->rt_priority && i < out->naffinity; i++)
        for (unsigned k = i + 1; k < out->naffinity; k++)
            if (out->cpu_affinity[i] == out->cpu_affinity[k]) {
                snprintf(err, errlen, "--rt-priority: vCPUs %u and %u share host CPU %u, and under SCHED_FIFO one "
                         "would starve the other", i, k, out->cpu_affinity[i]);
                return -1;
            }
    return 0;
}

static int set_option(struct svmm_cli *out, const char *name, const char *val, char *err, size_t errlen)
{
    unsigned long long bytes;
    unsigned long n;

    if (!strcmp(name, "--kernel")) {
        out->kernel = val;
    } else if (!strcmp(name, "--initrd")) {
        out->initrd = val;
    } else if (!strcmp(name, "--dtb-out")) {
        out->dtb_out = val;
    } else if (!strcmp(name, "--control")) {
        if (out->control != NULL) {
            snprintf(err, errlen, "--control: given twice (one control socket per VMM)");
            return -1;
        }
        if (strlen(val) == 0 || strlen(val) > 107) {
            snprintf(err, errlen, "--control: socket path must be 1 to 107 characters (a Unix socket's limit)");
            return -1;
        }
        out->control = val;
    } else if (!strcmp(name, "--watchdog")) {
        return set_watchdog(out, val, err, errlen);
    } else if (!strcmp(name, "--shared-window")) {
        return add_window(out, val, err, errlen);
    } else if (!strcmp(name, "--load-addr")) {
        char *end;
        errno = 0;
        out->cfg.raw_load_gpa = strtoull(val, &end, 0);
        if (val[0] < '0' || val[0] > '9' || errno || *end || out->cfg.raw_load_gpa == 0 || out->cfg.raw_load_gpa & 0xfff) {
            snprintf(err, errlen, "--load-addr: '%.40s' is not a 4 KiB aligned guest-physical address", val);
            return -1;
        }
    } else if (!strcmp(name, "--mem-range")) {
        return add_mem_range(out, val, err, errlen);
    } else if (!strcmp(name, "--cpu-affinity")) {
        return set_affinity(out, val, err, errlen);
    } else if (!strcmp(name, "--rt-priority")) {
        if (parse_uint(val, &n) < 0 || n < 1 || n > 99) {
            snprintf(err, errlen, "--rt-priority: '%s' is not a SCHED_FIFO priority between 1 and 99", val);
            return -1;
        }
        out->rt_priority = (int)n;
    } else if (!strcmp(name, "--name")) {
        size_t len = strlen(val);
        if (len == 0 || len > SVMM_CLI_NAME_MAX || strspn(val, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                           "0123456789._-") != len) {
            snprintf(err, errlen, "--name: '%.40s' is not 1 to %u characters of A-Z a-z 0-9 . _ -", val,
                     SVMM_CLI_NAME_MAX);
            return -1;
        }
        out->name = val;
    } else if (!strcmp(name, "--disk")) {
        return add_disk(out, val, err, errlen);
    } else if (SVMM_FEATURE_NET && !strcmp(name, "--net")) { /* else refused by check_built: add_net not linked */
        return add_net(out, val, err, errlen);
    } else if (!strcmp(name, "--vsock")) {
        return add_vsock(out, val, err, errlen);
    } else if (!strcmp(name, "--console")) {
        return set_console(out, val, err, errlen);
    } else if (!strcmp(name, "--console-port")) {
        return add_console_port(out, val, err, errlen);
    } else if (!strcmp(name, "--serve-disk")) {
        return add_served(out, val, err, errlen);
    } else if (!strcmp(name, "--append")) {
        if (strlen(val) >= SVMM_BOOTARGS_MAX) {
            snprintf(err, errlen, "--append: command line longer than %u bytes", SVMM_BOOTARGS_MAX - 1);
            return -1;
        }
        strcpy(out->cfg.bootargs, val);
    } else if (!strcmp(name, "--mem")) {
        if (svmm_cli_parse_size(val, &bytes) < 0 || bytes < SVMM_MIN_RAM || bytes > SVMM_MAX_RAM) {
            snprintf(err, errlen, "--mem: '%s' is not a size between %lluM and %lluG (e.g. 512M, 2G)", val,
                     SVMM_MIN_RAM >> 20, SVMM_MAX_RAM >> 30);
            return -1;
        }
        out->cfg.ram_size = bytes;
    } else { /* --cpus: known_option() admits nothing else */
        if (parse_uint(val, &n) < 0 || n == 0 || n > SVMM_MAX_VCPUS) {
            snprintf(err, errlen, "--cpus: '%s' is not a vCPU count between 1 and %u", val, SVMM_MAX_VCPUS);
            return -1;
        }
        out->cfg.ncpus = (unsigned)n;
    }
    return 0;
}

static int is_flag(const char *a, const char *s, const char *l)
{
    return !strcmp(a, s) || !strcmp(a, l);
}

/* ctl's commands: the word and how many arguments it takes (a VMM's socket: none; svmm up's: a VM). */
static const struct {
    const char *word;
    unsigned min_args, max_args;
} ctl_commands[] = {
    { "status", 0, 1 }, { "stop", 0, 1 }, { "restart", 0, 1 }, { "start", 0, 1 },
    { "list", 0, 0 },   { "boot", 2, 2 }, { "shutdown", 0, 0 },
};
#define CTL_USAGE "svmm ctl --socket PATH status|stop|restart|start [VM] | list | boot SLOT IMAGE | shutdown"

/* svmm ctl --socket PATH COMMAND [ARGS]: the words joined by spaces into out->ctl_buf. */
static int parse_ctl(int argc, char *const argv[], struct svmm_cli *out, char *err, size_t errlen)
{
    unsigned nwords = 0, len = 0;
    const char *first = NULL;

    out->cmd = SVMM_CLI_CTL;
    for (int i = 2; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (is_flag(argv[i], "-h", "--help")) {
            out->cmd = SVMM_CLI_HELP;
            return 0;
        }
        if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
            out->control = argv[++i];
            continue;
        }
        if (argv[i][0] == '-' || n == 0 || strpbrk(argv[i], " \t\r\n") || len + n + 1 >= sizeof(out->ctl_buf)) {
            snprintf(err, errlen, "ctl: unexpected argument '%.40s' (usage: " CTL_USAGE ")", argv[i]);
            return -1;
        }
        if (nwords++ == 0)
            first = argv[i];
        else
            out->ctl_buf[len++] = ' ';
        memcpy(out->ctl_buf + len, argv[i], n + 1);
        len += (unsigned)n;
    }
    if (out->control == NULL || first == NULL) {
        snprintf(err, errlen, "ctl: needs --socket PATH and a command (usage: " CTL_USAGE ")");
        return -1;
    }
    out->ctl_command = out->ctl_buf;
    for (unsigned i = 0; i < sizeof(ctl_commands) / sizeof(ctl_commands[0]); i++) {
        if (strcmp(first, ctl_commands[i].word) != 0)
            continue;
        if (nwords - 1 < ctl_commands[i].min_args || nwords - 1 > ctl_commands[i].max_args) {
            snprintf(err, errlen, "ctl: %s takes %u..%u arguments, not %u (usage: " CTL_USAGE ")", first,
                     ctl_commands[i].min_args, ctl_commands[i].max_args, nwords - 1);
            return -1;
        }
        return 0;
    }
    snprintf(err, errlen, "ctl: unknown command '%.40s' (usage: " CTL_USAGE ")", first);
    return -1;
}

/*
 * Options and commands whose code a build may leave out (include/svmm/features.h): asked for in an
 * svmm built without them, they are refused naming the switch, never ignored.
 */
static const struct {
    const char *arg;  /* the option or command */
    bool built;       /* SVMM_FEATURE_<NAME> */
    const char *what; /* what is left out */
    const char *name; /* FEATURES=-name */
} optional_parts[] = {
    { "--disk", SVMM_FEATURE_BLK, "virtio-blk", "blk" },
    { "--net", SVMM_FEATURE_NET, "virtio-net", "net" },
    { "--vsock", SVMM_FEATURE_VSOCK, "virtio-vsock", "vsock" },
    { "--rng", SVMM_FEATURE_RNG, "virtio-rng", "rng" },
    { "--serve-disk", SVMM_FEATURE_BLK_SERVER, "the block server", "blk-server" },
    { "--watchdog", SVMM_FEATURE_WATCHDOG, "the watchdog", "watchdog" },
    { "--control", SVMM_FEATURE_CTL, "the control socket", "ctl" },
    { "ctl", SVMM_FEATURE_CTL, "the control socket", "ctl" },
    { "switch", SVMM_FEATURE_SWITCH, "svmm switch", "switch" },
    { "up", SVMM_FEATURE_UP, "svmm up", "up" },
    { "blk-server", SVMM_FEATURE_BLK_SERVER, "the block server", "blk-server" },
};

/* -1 with the refusal in err if `arg` (an option name or a command) is of a part this build left out. */
static int check_built(const char *arg, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof(optional_parts) / sizeof(optional_parts[0]); i++)
        if (!optional_parts[i].built && !strcmp(arg, optional_parts[i].arg)) {
            snprintf(err, errlen, "%s: this svmm was built without %s (FEATURES=-%s)", arg, optional_parts[i].what,
                     optional_parts[i].name);
            return -1;
        }
    return 0;
}

static int parse_run(int argc, char *const argv[], int i, struct svmm_cli *out, char *err, size_t errlen)
{
    for (; i < argc; i++) {
        const char *a = argv[i], *name, *eq, *val;

        if (is_flag(a, "-h", "--help")) {
            out->cmd = SVMM_CLI_HELP;
            return 0;
        } else if (is_flag(a, "-v", "--verbose")) {
            out->verbosity++;
            continue;
        } else if (is_flag(a, "-q", "--quiet")) {
            out->verbosity = 0;
            continue;
        } else if (!strcmp(a, "--no-reboot")) {
            out->no_reboot = true;
            continue;
        } else if (!strcmp(a, "--rng")) {
            if (check_built(a, err, errlen) < 0)
                return -1;
            if (out->rng) {
                snprintf(err, errlen, "--rng: given twice (one virtio-rng device per VM)");
                return -1;
            }
            out->rng = true;
            if (add_virtio(out, VIRTIO_ID_RNG, "--rng", err, errlen) < 0)
                return -1;
            continue;
        }
        name = known_option(a);
        if (name == NULL) {
            snprintf(err, errlen, "%s '%s' (see svmm --help)",
                     a[0] == '-' ? "unknown option" : "unexpected argument", a);
            return -1;
        }
        eq = strchr(a, '=');
        val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (val == NULL) {
            snprintf(err, errlen, "%s needs a value (see svmm --help)", name);
            return -1;
        }
        if (check_built(name, err, errlen) < 0 || set_option(out, name, val, err, errlen) < 0)
            return -1;
    }
    if (out->kernel == NULL || out->kernel[0] == '\0') {
        snprintf(err, errlen, "run: --kernel IMAGE is required (see svmm --help)");
        return -1;
    }
    return check_affinity(out, err, errlen);
}

int svmm_cli_parse(int argc, char *const argv[], struct svmm_cli *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->verbosity = 1;
    svmm_vm_config_defaults(&out->cfg);
    snprintf(out->cfg.bootargs, sizeof(out->cfg.bootargs), "%s", SVMM_DEFAULT_BOOTARGS);
    out->cfg.nvirtio = 1;
    out->cfg.virtio_ids[0] = VIRTIO_ID_CONSOLE;
    err[0] = '\0';
    if (argc < 2) {
        snprintf(err, errlen, "no command given (try: svmm run --kernel IMAGE, or svmm --help)");
        return -1;
    }
    if (is_flag(argv[1], "-h", "--help") || !strcmp(argv[1], "help")) {
        out->cmd = SVMM_CLI_HELP;
        return 0;
    }
    if (is_flag(argv[1], "-V", "--version") || !strcmp(argv[1], "version")) {
        out->cmd = SVMM_CLI_VERSION;
        return 0;
    }
    if (check_built(argv[1], err, errlen) < 0)
        return -1;
    if (!strcmp(argv[1], "switch")) {
        out->cmd = SVMM_CLI_SWITCH; /* parsed by switch_cli_parse */
        return 0;
    }
    if (!strcmp(argv[1], "ctl"))
        return parse_ctl(argc, argv, out, err, errlen);
    if (!strcmp(argv[1], "up")) {
        out->cmd = SVMM_CLI_UP; /* parsed by up_main */
        return 0;
    }
    if (!strcmp(argv[1], "blk-server")) {
        out->cmd = SVMM_CLI_BLK_SERVER; /* parsed by blk_server_cli_parse */
        return 0;
    }
    if (strcmp(argv[1], "run") != 0) {
        snprintf(err, errlen, "unknown command '%s' (see svmm --help)", argv[1]);
        return -1;
    }
    out->cmd = SVMM_CLI_RUN;
    return parse_run(argc, argv, 2, out, err, errlen);
}
