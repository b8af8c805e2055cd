/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-net on `svmm switch` ports (src/platform/kvm/net_switch.c) with their service threads
 * (link_thread.c): two VMMs in this process, each with its own host, guest and link thread, on
 * ports "a" and "b" of a real switch (switch_main.c, single-threaded) forked into a child process,
 * as `svmm switch` runs beside its VMMs. Each guest sends numbered frames to the other through the
 * switch while receiving the other's, both directions at once; each guest keeps the other at most
 * TX_AHEAD frames ahead of what it read, so no switch ring overflows and every frame must arrive,
 * in order and intact. The guests pause now and then without receive buffers, so the link threads
 * wait for the device's wake-up (wake_fd). Port "a" has a MAC in the switch (the VMM takes it);
 * port "b" uses the VMM's own. Then the switch is stopped: both link threads must see its socket
 * hang up and take the link down (virtio_net_set_link under the device lock) while each guest is
 * still reading the link status from its vCPU thread.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "net_switch.h"
#include "switch_main.h"
#include "tsan.h"

#define NFRAMES 2000u           /* each way */
#define RXBUFS 32u
#define RXBUF_BYTES 2048u
#define TXSLOTS 32u
#define TX_AHEAD 40u            /* frames sent but not yet received: below the switch's 64 buffers */
#define RXBUF_GPA(i) (GUEST_DATA_GPA + RXBUF_BYTES * (i))
#define TXBUF_GPA(i) (GUEST_DATA_GPA + (1u << 20) + RXBUF_BYTES * (i))
#define FEATURES (1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS)
#define NET_STATUS_OFF (0x100u + 6u) /* virtio-mmio config space + virtio_net_config.status */

struct vmm {
    unsigned id;                 /* 0: port a, 1: port b */
    struct kvm_host host;
    struct net_switch sw;
    struct guest g;
    pthread_t vcpu;
    atomic_uint rx_seen;         /* frames received and checked (the other guest paces on it) */
    atomic_int traffic;          /* 0: frames still moving, 1: all went both ways, -1: the deadline passed */
    atomic_bool link_down_seen;  /* the guest read LINK_UP clear from the config space */
    uint32_t tx_sent, tx_done;
    bool rx_ok, link_up_at_start, ring_ok;
};

static struct vmm vmms[2];
static atomic_bool switch_stopped; /* the child is gone: the guests watch for the link going down */

static const uint8_t mac_a[6] = { 0x02, 0x73, 0x77, 0x00, 0x00, 0x0a }; /* the switch's for port a */
static const uint8_t mac_b[6] = { 0x02, 0x73, 0x77, 0x00, 0x00, 0x0b }; /* VMM b's own */
static const uint8_t mac_unused[6] = { 0x02, 0x73, 0x77, 0x00, 0x00, 0xee };

static size_t frame_len(uint32_t seq)
{
    return 60 + (seq * 53u) % 1455u;
}

/* Frame `seq` sent by VMM `from` to the other one. */
static void make_frame(uint8_t *f, uint32_t seq, unsigned from)
{
    size_t len = frame_len(seq);

    memcpy(f, from ? mac_a : mac_b, 6);
    memcpy(f + 6, from ? mac_b : mac_a, 6);
    f[12] = 0x88;
    f[13] = 0xb5; /* local experimental ethertype */
    memcpy(f + 14, &seq, 4);
    for (size_t k = 18; k < len; k++)
        f[k] = (uint8_t)(seq * 131u + k * 7u + from * 0x55u);
}

static bool frame_ok(const uint8_t *f, size_t len, uint32_t seq, unsigned from)
{
    uint8_t want[1600];

    if (len != frame_len(seq))
        return false;
    make_frame(want, seq, from);
    return memcmp(f, want, len) == 0;
}

static uint16_t link_status(struct vmm *v)
{
    return (uint16_t)virtio_mmio_ops.read(&v->g.t, 0, NET_STATUS_OFF, 2);
}

static void post_rx(struct vmm *v, unsigned i)
{
    struct gbuf b = { RXBUF_GPA(i), RXBUF_BYTES, true };

    v->ring_ok &= guest_add(&v->g, VIRTIO_NET_RXQ, &b, 1, (void *)(uintptr_t)(i + 1)) >= 0;
}

/* The vCPU: frames both ways until all arrived, then watch the link status until it goes down. */
static void *vcpu(void *arg)
{
    struct vmm *v = arg;
    struct vmm *other = &vmms[!v->id];
    bool tx_busy[TXSLOTS] = { false };
    uint64_t deadline = tsan_ms() + 40000;
    uint32_t rx = 0;

    pthread_mutex_lock(&v->host.dev_lock);
    v->link_up_at_start = (link_status(v) & VIRTIO_NET_S_LINK_UP) != 0;
    for (unsigned i = 0; i < RXBUFS; i++)
        post_rx(v, i);
    guest_kick(&v->g, VIRTIO_NET_RXQ);
    while ((rx < NFRAMES || v->tx_done < NFRAMES) && tsan_ms() < deadline) {
        void *cookie;
        uint32_t len;
        bool reposted = false;

        while (guest_get(&v->g, VIRTIO_NET_RXQ, &len, &cookie) == 1) {
            unsigned i = (unsigned)(uintptr_t)cookie - 1;
            const uint8_t *b = guest_ptr(&v->g, RXBUF_GPA(i));
            /* virtio_net_hdr_v1: no offloads negotiated, num_buffers 1; then the frame. */
            v->rx_ok &= len > 12 && b[10] == 1 && b[11] == 0 && frame_ok(b + 12, len - 12, rx, !v->id);
            atomic_store(&v->rx_seen, ++rx);
            if (rx % 400 == 0) {
                /* No receive buffers for a while: the link thread must wait for the wake-up. */
                pthread_mutex_unlock(&v->host.dev_lock);
                usleep(15000);
                pthread_mutex_lock(&v->host.dev_lock);
            }
            post_rx(v, i);
            reposted = true;
        }
        if (reposted)
            guest_kick(&v->g, VIRTIO_NET_RXQ);
        while (guest_get(&v->g, VIRTIO_NET_TXQ, &len, &cookie) == 1) {
            tx_busy[(uintptr_t)cookie - 1] = false;
            v->tx_done++;
        }
        for (unsigned s = 0; s < TXSLOTS && v->tx_sent < NFRAMES &&
                             v->tx_sent - atomic_load(&other->rx_seen) < TX_AHEAD; s++) {
            struct gbuf b[2] = { { TXBUF_GPA(s), 12, false },
                                 { TXBUF_GPA(s) + 12, (uint32_t)frame_len(v->tx_sent), false } };
            if (tx_busy[s])
                continue;
            memset(guest_ptr(&v->g, TXBUF_GPA(s)), 0, 12);
            make_frame(guest_ptr(&v->g, TXBUF_GPA(s) + 12), v->tx_sent, v->id);
            if (guest_add(&v->g, VIRTIO_NET_TXQ, b, 2, (void *)(uintptr_t)(s + 1)) < 0)
                break;
            tx_busy[s] = true;
            v->tx_sent++;
            guest_kick(&v->g, VIRTIO_NET_TXQ); /* the MMIO exit: the frame goes to the switch right here */
        }
        guest_wait(&v->g, 10);
    }
    atomic_store(&v->traffic, rx == NFRAMES && v->tx_done == NFRAMES ? 1 : -1);
    /* The switch goes away under us: the link thread takes the link down, the driver sees it. */
    while (!atomic_load(&v->link_down_seen) && tsan_ms() < deadline) {
        if (atomic_load(&switch_stopped) && !(link_status(v) & VIRTIO_NET_S_LINK_UP))
            atomic_store(&v->link_down_seen, true);
        else
            guest_wait(&v->g, 10);
    }
    pthread_mutex_unlock(&v->host.dev_lock);
    return NULL;
}

/* ---- the switch process ---- */

static void switch_log(enum svmm_log_level level, const char *line, unsigned len)
{
    if (getenv("TSAN_VERBOSE"))
        fprintf(stderr, "  switch %d: %.*s\n", (int)level, (int)len, line);
}

int tsan_switch_process(int argc, char **argv)
{
    return switch_main(argc, argv, switch_log);
}

/*
 * Run the switch as its own process: this binary again (fork, then exec), which tsan_main.c sends
 * to tsan_switch_process. Not the forked copy itself: TSan ignores everything in the child of a
 * multi-threaded fork, its signal handlers included, so SIGTERM would never stop that switch.
 */
static pid_t start_switch(const char *path)
{
    pid_t parent = getpid(), pid = fork();

    if (pid == 0) {
        char *const argv[] = { "tsan-tests", "--switch-process", "switch", "-v", "--listen", (char *)path,
                               "--buffers", "64", "--buffer-size", "2048", "--port", "a,mac=02:73:77:00:00:0a",
                               "--port", "b", NULL };
        /*
         * Die with the runner: when TSan halts it, or the watchdog fires, a switch left behind would
         * poll forever and hold the run's stdout open.
         */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
            _exit(126);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    return pid;
}

/* The switch's exit status once it ended (SIGKILL after 10 s), or -1. */
static int wait_switch(pid_t pid)
{
    int status;

    for (unsigned i = 0; i < 1000; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

/* Connect VMM v to its port, retrying while the switch is still starting up. */
static bool connect_port(struct vmm *v, const char *path)
{
    char err[256] = "";
    uint64_t deadline = tsan_ms() + 10000;

    while (tsan_ms() < deadline) {
        if (v->id == 0 ? net_switch_open(&v->sw, path, "a", mac_unused, false, err, sizeof(err)) == 0
                       : net_switch_open(&v->sw, path, "b", mac_b, true, err, sizeof(err)) == 0)
            return true;
        usleep(10000);
    }
    fprintf(stderr, "    net_switch_open: %s\n", err);
    return false;
}

void scenario_switch(void)
{
    char path[96], err[256] = "";
    pid_t pid;
    bool up = true;

    snprintf(path, sizeof(path), "%s/switch.sock", tsan_tmpdir());
    atomic_store(&switch_stopped, false);
    pid = start_switch(path);
    if (!CHECK(pid > 0))
        return;
    for (unsigned i = 0; i < 2; i++) {
        struct vmm *v = &vmms[i];

        memset(v, 0, sizeof(*v));
        v->id = i;
        v->rx_ok = v->ring_ok = true;
        tsan_host_init(&v->host);
        up &= CHECK(connect_port(v, path));
    }
    if (!up) {
        kill(pid, SIGKILL);
        wait_switch(pid);
        return;
    }
    CHECK(memcmp(vmms[0].sw.link.net.mac, mac_a, 6) == 0); /* the switch's MAC for port a won */
    CHECK(memcmp(vmms[1].sw.link.net.mac, mac_b, 6) == 0);
    for (unsigned i = 0; i < 2; i++) {
        struct vmm *v = &vmms[i];

        guest_init(&v->g, &v->sw.link.net.dev, &v->host);
        pthread_mutex_lock(&v->host.dev_lock);
        CHECK(guest_bring_up(&v->g, FEATURES, 2));
        pthread_mutex_unlock(&v->host.dev_lock);
        CHECK(net_switch_start(&v->sw, &v->host, err, sizeof(err)) == 0);
    }
    for (unsigned i = 0; i < 2; i++)
        pthread_create(&vmms[i].vcpu, NULL, vcpu, &vmms[i]);

    /* Once both guests are through, stop the switch (SIGTERM: it detaches its ports and exits). */
    for (uint64_t deadline = tsan_ms() + 40000; tsan_ms() < deadline;) {
        if (atomic_load(&vmms[0].traffic) != 0 && atomic_load(&vmms[1].traffic) != 0)
            break;
        usleep(5000);
    }
    kill(pid, SIGTERM);
    CHECK(wait_switch(pid) == 0);
    atomic_store(&switch_stopped, true);
    for (unsigned i = 0; i < 2; i++)
        pthread_join(vmms[i].vcpu, NULL);
    for (unsigned i = 0; i < 2; i++) {
        kvm_host_stop(&vmms[i].host, 0);
        net_switch_join(&vmms[i].sw);
    }

    for (unsigned i = 0; i < 2; i++) {
        struct vmm *v = &vmms[i];
        const struct virtio_net_stats *s = &v->sw.link.net.stats;

        CHECK(v->link_up_at_start);
        CHECK(atomic_load(&v->traffic) == 1);
        CHECK(atomic_load(&v->rx_seen) == NFRAMES && v->rx_ok && v->ring_ok);
        CHECK(v->tx_sent == NFRAMES && v->tx_done == NFRAMES);
        CHECK(s->rx_packets == NFRAMES && s->tx_packets == NFRAMES);
        CHECK(s->rx_dropped == 0 && s->tx_dropped == 0 && v->sw.link.stats.tx_too_big == 0 &&
              v->sw.link.stats.rx_malformed == 0);
        CHECK(s->rx_no_buffers > 0); /* the link thread did wait for buffers */
        CHECK(v->sw.link.stats.notifies > 0 && v->g.irqs > 0);
        CHECK(atomic_load(&v->link_down_seen));
        guest_free(&v->g);
        tsan_host_close(&v->host);
    }
    CHECK(tsan_log_count("the switch went away; the guest's link is down") == 2);
    CHECK(tsan_log_count("switch port a: tx 2000 packets") == 1 && tsan_log_count("switch port b: tx 2000 packets") == 1);
}
