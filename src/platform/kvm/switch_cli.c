/* SPDX-License-Identifier: BSD-2-Clause */
/* `svmm switch` command line (switch_cli.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <svmm/netq.h>
#include <svmm/virtio_net.h>
#include "switch_cli.h"

const char switch_cli_usage[] =
    "usage: svmm switch --listen PATH --port NAME[,mac=XX:XX:XX:XX:XX:XX][,reach=NAME+NAME...] ...\n"
    "\n"
    "A virtual Ethernet switch for VMs on this host: VMMs started with\n"
    "  svmm run ... --net switch=PATH,port=NAME\n"
    "connect to it through the Unix socket PATH; frames move through shared memory.\n"
    "\n"
    "  --listen PATH        Unix socket the VMMs connect to (created; mode 0600, this user only)\n"
    "  --port NAME[,...]    a port (up to 16); sub-options:\n"
    "      mac=MAC          the only source MAC this port may send with (others are dropped and\n"
    "                       counted); also given to the VMM as the NIC's MAC\n"
    "      reach=A+B        the ports this one may exchange frames with (default: all); both ends\n"
    "                       must allow a pair\n"
    "  --buffers N          buffers per port and direction, a power of two 2..512 (default 256)\n"
    "  --buffer-size BYTES  bytes per buffer (default 65664: a virtio-net header and a 64 KiB\n"
    "                       segmentation-offload frame; below that VMMs offer no TSO)\n"
    "  --ageing SECONDS     how long a learned MAC stays in the table (default 300)\n"
    "  --uplink tap=NAME    one more port: the existing tap device NAME (the host's network side;\n"
    "                       no source filter, checksum and TSO offloads passed through)\n"
    "  -v, --verbose / -q, --quiet\n"
    "\n"
    "The switch runs until SIGINT or SIGTERM, then logs each port's counters.\n";

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    unsigned long long x;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    x = strtoull(s, &end, 0);
    if (*end != '\0')
        return -1;
    *v = x;
    return 0;
}

static int copy_name(char *dst, const char *s, size_t len, const char *what, char *err, size_t errlen)
{
    if (len == 0 || len > SWITCH_NAME_MAX || memchr(s, '+', len) || memchr(s, '=', len)) {
        snprintf(err, errlen, "--port: %s '%.*s' must be 1 to %d characters without '+', '=' or ','", what,
                 (int)len, s, SWITCH_NAME_MAX);
        return -1;
    }
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

static int parse_reach(struct switch_cli_port *p, const char *v, size_t vlen, char *err, size_t errlen)
{
    const char *end = v + vlen;

    p->has_reach = true;
    while (v < end) {
        const char *plus = memchr(v, '+', (size_t)(end - v));
        size_t n = (size_t)((plus ? plus : end) - v);
        if (p->nreach == VSWITCH_MAX_PORTS) {
            snprintf(err, errlen, "--port %s: reach= names more than %u ports", p->name, VSWITCH_MAX_PORTS);
            return -1;
        }
        if (copy_name(p->reach[p->nreach++], v, n, "reach= name", err, errlen) < 0)
            return -1;
        v += n + (plus != NULL);
    }
    return 0;
}

static int parse_port(struct switch_cli *c, const char *arg, char *err, size_t errlen)
{
    struct switch_cli_port *p = &c->ports[c->nports];
    const char *s = arg;
    bool first = true;

    if (c->nports == VSWITCH_MAX_PORTS) {
        snprintf(err, errlen, "--port: at most %u ports", VSWITCH_MAX_PORTS);
        return -1;
    }
    memset(p, 0, sizeof(*p));
    while (s != NULL && *s) {
        const char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s), *eq;
        size_t len = (size_t)(end - s);
        eq = memchr(s, '=', len);
        if (first) {
            if (copy_name(p->name, s, len, "name", err, errlen) < 0)
                return -1;
        } else if (eq && eq - s == 3 && !strncmp(s, "mac", 3)) {
            char mac[18];
            size_t vlen = (size_t)(end - eq - 1);
            snprintf(mac, sizeof(mac), "%.*s", (int)(vlen < 17 ? vlen : 17), eq + 1);
            if (vlen != 17 || virtio_net_parse_mac(mac, p->mac) < 0) {
                snprintf(err, errlen, "--port %s: bad MAC '%.*s' (six hex pairs, not multicast)", p->name, (int)vlen,
                         eq + 1);
                return -1;
            }
            p->has_mac = true;
        } else if (eq && eq - s == 5 && !strncmp(s, "reach", 5)) {
            if (parse_reach(p, eq + 1, (size_t)(end - eq - 1), err, errlen) < 0)
                return -1;
        } else {
            snprintf(err, errlen, "--port %s: unknown sub-option '%.*s' (mac=, reach=)", p->name, (int)len, s);
            return -1;
        }
        first = false;
        s = comma ? comma + 1 : NULL;
    }
    if (first) {
        snprintf(err, errlen, "--port needs a NAME");
        return -1;
    }
    c->nports++;
    return 0;
}

static int find_port(const struct switch_cli *c, const char *name)
{
    for (unsigned i = 0; i < c->nports; i++)
        if (!strcmp(c->ports[i].name, name))
            return (int)i;
    return -1;
}

/* What can only be checked once every port is known. */
static int check_ports(const struct switch_cli *c, char *err, size_t errlen)
{
    for (unsigned i = 0; i < c->nports; i++) {
        const struct switch_cli_port *p = &c->ports[i];
        for (unsigned j = 0; j < i; j++) {
            if (!strcmp(c->ports[j].name, p->name)) {
                snprintf(err, errlen, "--port %s: declared twice", p->name);
                return -1;
            }
            if (p->has_mac && c->ports[j].has_mac && !memcmp(p->mac, c->ports[j].mac, 6)) {
                snprintf(err, errlen, "--port %s: same MAC as port %s", p->name, c->ports[j].name);
                return -1;
            }
        }
        for (unsigned r = 0; r < p->nreach; r++)
            if (find_port(c, p->reach[r]) < 0) {
                snprintf(err, errlen, "--port %s: reach= names '%s', which is not a port", p->name, p->reach[r]);
                return -1;
            }
    }
    return 0;
}

int switch_cli_parse(int argc, char *const argv[], struct switch_cli *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->verbosity = 1;
    out->nbufs = SWITCH_DEFAULT_BUFFERS;
    out->buf_size = SWITCH_DEFAULT_BUFFER_SIZE;
    out->ageing_s = 300;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t v;

        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            out->help = true;
            return 0;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            out->verbosity++;
            continue;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            out->verbosity = 0;
            continue;
        }
        if (strcmp(a, "--listen") && strcmp(a, "--port") && strcmp(a, "--buffers") && strcmp(a, "--buffer-size") &&
            strcmp(a, "--ageing") && strcmp(a, "--uplink")) {
            snprintf(err, errlen, "switch: unknown option '%s' (see svmm switch --help)", a);
            return -1;
        }
        if (val == NULL) {
            snprintf(err, errlen, "switch: %s needs a value", a);
            return -1;
        }
        i++;
        if (!strcmp(a, "--listen")) {
            out->listen = val;
        } else if (!strcmp(a, "--port")) {
            if (parse_port(out, val, err, errlen) < 0)
                return -1;
        } else if (!strcmp(a, "--uplink")) {
            if (strncmp(val, "tap=", 4) || strlen(val + 4) == 0 || strlen(val + 4) >= sizeof(out->uplink_tap)) {
                snprintf(err, errlen, "switch: --uplink '%s': want tap=NAME (1 to %zu characters)", val,
                         sizeof(out->uplink_tap) - 1);
                return -1;
            }
            snprintf(out->uplink_tap, sizeof(out->uplink_tap), "%s", val + 4);
        } else if (!strcmp(a, "--ageing")) {
            if (parse_u64(val, &v) < 0 || v == 0 || v > 1000000) {
                snprintf(err, errlen, "switch: --ageing '%s': want seconds, 1..1000000", val);
                return -1;
            }
            out->ageing_s = v;
        } else {
            bool bufs = !strcmp(a, "--buffers");
            if (parse_u64(val, &v) < 0 || v > UINT32_MAX ||
                !netq_geometry_ok(bufs ? (uint32_t)v : out->nbufs, bufs ? out->buf_size : (uint32_t)v)) {
                snprintf(err, errlen, "switch: %s '%s': %s", a, val,
                         bufs ? "want a power of two, 2..512" : "want 64..1048576 bytes");
                return -1;
            }
            *(bufs ? &out->nbufs : &out->buf_size) = (uint32_t)v;
        }
    }
    if (out->listen == NULL || out->listen[0] == '\0') {
        snprintf(err, errlen, "switch: --listen PATH is required (see svmm switch --help)");
        return -1;
    }
    if (out->uplink_tap[0] && out->nports == VSWITCH_MAX_PORTS) {
        snprintf(err, errlen, "switch: the uplink needs a port of its own: at most %u --port with --uplink",
                 VSWITCH_MAX_PORTS - 1);
        return -1;
    }
    if (out->nports == 0) {
        snprintf(err, errlen, "switch: give at least one --port NAME");
        return -1;
    }
    return check_ports(out, err, errlen);
}

uint32_t switch_cli_reach_mask(const struct switch_cli *c, unsigned i)
{
    uint32_t m = 0;

    if (!c->ports[i].has_reach)
        return ~0u;
    for (unsigned r = 0; r < c->ports[i].nreach; r++)
        m |= 1u << find_port(c, c->ports[i].reach[r]);
    return m;
}
