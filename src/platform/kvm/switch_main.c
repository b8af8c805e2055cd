/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `svmm switch`: the hosted virtual switch process. One thread: poll() on the listening socket,
 * each connected VMM's socket (its hangup detaches the port) and each port's to-switch eventfd;
 * vswitch_poll forwards, then the VMMs it names get their eventfd kicked.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <svmm/log.h>
#include <svmm/vswitch.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include "netq_shm.h"
#include "switch_cli.h"
#include "switch_main.h"
#include "tap.h"

struct switch_port_host {
    struct netq_shm_link link;
    int sock; /* the connected VMM, -1 when none */
};

static volatile sig_atomic_t stop_requested;

/* The optional tap uplink: one more port, fed by reads in the poll loop. */
#define UPLINK_BURST 64 /* frames read per wake-up before serving the VMMs again */
#define UPLINK_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)
static struct {
    int fd;
    int port;
    uint64_t write_errors;
    uint8_t frame[VSWITCH_SCRATCH];
} uplink = { .fd = -1, .port = -1 };

/* The switch hands the uplink a private copy, header first; the tap takes it as one write. */
static bool uplink_send(void *ctx, const uint8_t *frame, uint32_t len)
{
    (void)ctx;
    if (write(uplink.fd, frame, len) == (ssize_t)len)
        return true;
    uplink.write_errors++; /* EAGAIN: the tap's queue is full, a NIC would drop too */
    return false;
}

static int open_uplink(struct vswitch *sw, const char *tap)
{
    /* What the tap takes on write: the kernel finishes checksums and segments for its side. */
    const struct vswitch_uplink up = {
        .ctx = NULL,
        .accepts = VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_CSUM) | VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO4) |
                   VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_TSO6) | VIRTIO_NET_BIT(VIRTIO_NET_F_GUEST_ECN),
        .send = uplink_send,
    };
    char err[256];

    uplink.fd = tap_open_vnet(tap, "switch: --uplink", err, sizeof(err));
    if (uplink.fd < 0) {
        svmm_err("%s", err);
        return -1;
    }
    /* Reads may bring offloaded frames: the switch converts them for ports whose guests need it. */
    if (ioctl(uplink.fd, TUNSETOFFLOAD, (unsigned long)UPLINK_OFFLOADS) < 0)
        svmm_warn("switch: tap %s: TUNSETOFFLOAD: %s (frames from it come without offloads)", tap, strerror(errno));
    uplink.port = vswitch_add_uplink(sw, tap, &up);
    if (uplink.port < 0) {
        svmm_err("switch: no port left for the uplink");
        return -1;
    }
    svmm_info("switch: uplink port %s (tap)", tap);
    return 0;
}

static void close_uplink(void)
{
    if (uplink.fd < 0)
        return;
    /* A persistent tap keeps TUNSETOFFLOAD; its next user may read without a virtio header. */
    ioctl(uplink.fd, TUNSETOFFLOAD, 0ul);
    close(uplink.fd);
    uplink.fd = -1;
    if (uplink.write_errors)
        svmm_info("switch: uplink: %llu frames the tap did not take", (unsigned long long)uplink.write_errors);
}

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void refuse(int sock, const char *fmt, const char *arg)
{
    struct netq_shm_welcome w = { .magic = NETQ_SHM_MAGIC, .version = NETQ_SHM_VERSION, .status = -1 };
    snprintf(w.error, sizeof(w.error), fmt, arg);
    svmm_warn("switch: refused a VMM: %s", w.error);
    netq_shm_send_welcome(sock, &w, NULL);
    close(sock);
}

/* A VMM connects: check who it is, which port it wants, and hand it a fresh link. */
static void accept_vmm(int lfd, struct vswitch *sw, const struct switch_cli *cli, struct switch_port_host *ph)
{
    struct netq_shm_hello h;
    struct netq_shm_welcome w = { .magic = NETQ_SHM_MAGIC, .version = NETQ_SHM_VERSION };
    char err[256];
    int refuse_fd, pid = 0, sock = shm_link_accept(lfd, &refuse_fd, &pid, err, sizeof(err)), port = -1;

    if (sock < 0) {
        if (refuse_fd >= 0)
            refuse(refuse_fd, "%s", err);
        return;
    }
    if (recv(sock, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.magic != NETQ_SHM_MAGIC ||
        h.version != NETQ_SHM_VERSION) {
        refuse(sock, "%s", "not an svmm link request of this version");
        return;
    }
    h.port[sizeof(h.port) - 1] = '\0';
    for (unsigned i = 0; i < sw->nports; i++)
        if (!strcmp(sw->ports[i].name, h.port) && !sw->ports[i].uplink.send)
            port = (int)i;
    if (port < 0) {
        refuse(sock, "no port named '%s'", h.port);
        return;
    }
    if (ph[port].sock >= 0) {
        refuse(sock, "port '%s' is in use by another VMM", h.port);
        return;
    }
    if (netq_shm_create(&ph[port].link, cli->nbufs, cli->buf_size, err, sizeof(err)) < 0) {
        refuse(sock, "%s", err);
        return;
    }
    vswitch_attach(sw, (unsigned)port, ph[port].link.queues, ph[port].link.tx, ph[port].link.rx, cli->nbufs,
                   cli->buf_size);
    w.nbufs = cli->nbufs;
    w.buf_size = cli->buf_size;
    w.has_mac = cli->ports[port].has_mac;
    memcpy(w.mac, cli->ports[port].mac, 6);
    if (netq_shm_send_welcome(sock, &w, &ph[port].link) < 0) {
        svmm_warn("switch: port %s: the VMM went away during the handshake", h.port);
        vswitch_detach(sw, (unsigned)port);
        netq_shm_destroy(&ph[port].link);
        close(sock);
        return;
    }
    ph[port].sock = sock;
    svmm_info("switch: port %s connected (pid %d), %u buffers of %u bytes each way", h.port, pid,
              cli->nbufs, cli->buf_size);
}

static void detach_vmm(struct vswitch *sw, struct switch_port_host *ph, unsigned port)
{
    vswitch_detach(sw, port);
    netq_shm_destroy(&ph[port].link);
    close(ph[port].sock);
    ph[port].sock = -1;
    svmm_info("switch: port %s disconnected", sw->ports[port].name);
}

static void forward(struct vswitch *sw, struct switch_port_host *ph)
{
    uint32_t notify;
    bool more;

    do {
        more = vswitch_poll(sw, now_ns(), &notify);
        for (unsigned q = 0; q < sw->nports; q++)
            if ((notify >> q) & 1)
                netq_shm_kick(ph[q].link.to_vmm);
    } while (more && !stop_requested);
}

/* Frames the host's network sent through the tap: forward a burst of them. */
static void read_uplink(struct vswitch *sw, struct switch_port_host *ph)
{
    for (unsigned n = 0; n < UPLINK_BURST; n++) {
        ssize_t len = read(uplink.fd, uplink.frame, sizeof(uplink.frame));
        uint32_t notify;
        if (len <= 0)
            break; /* EAGAIN: drained */
        vswitch_input(sw, (unsigned)uplink.port, uplink.frame, (uint32_t)len, now_ns(), &notify);
        for (unsigned q = 0; q < sw->nports; q++)
            if ((notify >> q) & 1)
                netq_shm_kick(ph[q].link.to_vmm);
    }
}

static void serve(int lfd, struct vswitch *sw, const struct switch_cli *cli, struct switch_port_host *ph)
{
    while (!stop_requested) {
        struct pollfd fds[2 + 2 * VSWITCH_MAX_PORTS];
        int who[2 + 2 * VSWITCH_MAX_PORTS]; /* port of fds[i], or -1 for the listener and the uplink */
        bool is_sock[2 + 2 * VSWITCH_MAX_PORTS];
        unsigned n = 0, first_port;

        fds[n] = (struct pollfd){ lfd, POLLIN, 0 }, who[n] = -1, is_sock[n++] = false;
        if (uplink.fd >= 0)
            fds[n] = (struct pollfd){ uplink.fd, POLLIN, 0 }, who[n] = -1, is_sock[n++] = false;
        first_port = n;
        for (unsigned q = 0; q < sw->nports; q++) {
            if (ph[q].sock < 0 || (int)q == uplink.port)
                continue;
            fds[n] = (struct pollfd){ ph[q].sock, POLLIN, 0 }, who[n] = (int)q, is_sock[n++] = true;
            fds[n] = (struct pollfd){ ph[q].link.to_switch, POLLIN, 0 }, who[n] = (int)q, is_sock[n++] = false;
        }
        if (poll(fds, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            svmm_err("switch: poll: %s", strerror(errno));
            return;
        }
        if (uplink.fd >= 0 && fds[1].revents)
            read_uplink(sw, ph);
        for (unsigned i = first_port; i < n; i++) {
            if (!fds[i].revents)
                continue;
            if (!is_sock[i]) {
                netq_shm_drain(fds[i].fd);
            } else if (ph[who[i]].sock >= 0) {
                char c;
                /* A VMM never sends after the handshake: data or hangup both end the link. */
                if (recv(fds[i].fd, &c, 1, MSG_DONTWAIT) >= 0 || errno != EAGAIN)
                    detach_vmm(sw, ph, (unsigned)who[i]);
            }
        }
        forward(sw, ph);
        if (fds[0].revents)
            accept_vmm(lfd, sw, cli, ph);
    }
}

int switch_main(int argc, char *const argv[], void (*log_sink)(enum svmm_log_level, const char *, unsigned))
{
    static struct vswitch sw;
    static struct switch_port_host ph[VSWITCH_MAX_PORTS];
    struct switch_cli cli;
    struct sigaction sa = { .sa_handler = on_signal };
    char err[256];
    int lfd;

    if (switch_cli_parse(argc, argv, &cli, err, sizeof(err)) < 0) {
        fprintf(stderr, "svmm: error: %s\n", err);
        return 1;
    }
    if (cli.help) {
        fputs(switch_cli_usage, stdout);
        return 0;
    }
    svmm_log_init(log_sink, cli.verbosity >= 2 ? SVMM_LOG_DEBUG : cli.verbosity == 1 ? SVMM_LOG_INFO : SVMM_LOG_WARN);
    signal(SIGPIPE, SIG_IGN);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    vswitch_init(&sw, cli.ageing_s * 1000000000ull);
    for (unsigned i = 0; i < VSWITCH_MAX_PORTS; i++) {
        netq_shm_link_clear(&ph[i].link);
        ph[i].sock = -1;
    }
    for (unsigned i = 0; i < cli.nports; i++) {
        const struct switch_cli_port *p = &cli.ports[i];
        vswitch_add_port(&sw, p->name, p->has_mac ? p->mac : NULL, p->has_mac);
    }
    for (unsigned i = 0; i < cli.nports; i++)
        vswitch_set_reach(&sw, i, switch_cli_reach_mask(&cli, i));
    if (cli.uplink_tap[0] && open_uplink(&sw, cli.uplink_tap) < 0)
        return 1;
    lfd = shm_link_listen(cli.listen, err, sizeof(err));
    if (lfd < 0) {
        svmm_err("switch: %s", err);
        close_uplink();
        return 1;
    }
    svmm_info("switch: %u port%s, listening on %s", cli.nports, cli.nports > 1 ? "s" : "", cli.listen);
    serve(lfd, &sw, &cli, ph);
    vswitch_log_stats(&sw);
    for (unsigned q = 0; q < sw.nports; q++)
        if (ph[q].sock >= 0)
            detach_vmm(&sw, ph, q);
    close_uplink();
    close(lfd);
    unlink(cli.listen);
    svmm_info("switch: stopped");
    return 0;
}
