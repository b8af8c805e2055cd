/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-console with --console pty and two --console-port ports (a pty and a file), driven by the
 * console thread (console_pump in src/platform/kvm/stdio_console.c; svmm runs it on its main thread)
 * while the guest's vCPU writes output. The guest does the multiport handshake, then every port
 * carries data both ways at once: "users" on the pty slaves type a pattern and read the guest's
 * output; the file port's output is checked in the file afterwards.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "stdio_console.h"
#include "tsan.h"

#define NPORTS 3u
#define TOTAL (48u << 10)      /* bytes each way per port (the file port: output only) */
#define OUT_AHEAD 2048u        /* guest output not yet read by the user: a pty holds only a few KiB */
#define CHUNK 512u
#define RXBUFS 16u
#define RXBUF_BYTES 256u
#define CTRL_BUFS 16u
#define SLOTS 64u
#define RXBUF_GPA(p, i) (GUEST_DATA_GPA + 0x10000u * (p) + RXBUF_BYTES * (i))
#define CTRLBUF_GPA(i) (GUEST_DATA_GPA + 0x80000u + 128u * (i))
#define SLOT_GPA(s) (GUEST_DATA_GPA + 0x100000u + CHUNK * (s))
#define FEATURES (1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_CONSOLE_F_MULTIPORT)

static struct kvm_host host;
static struct virtio_console con;
static struct console_host ch;
static struct guest g;
static char file_path[128];

static const char *const names[NPORTS] = { "", "tsan.pty", "tsan.log" };

static uint8_t pattern(unsigned which, uint32_t off)
{
    return (uint8_t)(off * 40503u >> 5 ^ off >> 11 ^ which * 0x3du);
}

/* ---- the users at the pty slaves ---- */

struct user {
    unsigned port;
    int fd;
    atomic_uint out_read;  /* guest output read and checked */
    atomic_uint out_bad, in_written;
    atomic_bool stop;
};

static struct user users[2]; /* ports 0 and 1 */

/* Type TOTAL bytes of the port's input pattern, as fast as the pty takes them. */
static void *user_writer(void *arg)
{
    struct user *u = arg;
    uint8_t buf[1024];
    uint32_t off = 0;

    while (off < TOTAL && !atomic_load(&u->stop)) {
        struct pollfd p = { u->fd, POLLOUT, 0 };
        uint32_t n = TOTAL - off < sizeof(buf) ? TOTAL - off : (uint32_t)sizeof(buf);
        ssize_t w;

        if (poll(&p, 1, 100) <= 0)
            continue;
        for (uint32_t k = 0; k < n; k++)
            buf[k] = pattern(10 + u->port, off + k);
        w = write(u->fd, buf, n);
        if (w > 0)
            off += (uint32_t)w;
    }
    atomic_store(&u->in_written, off);
    return NULL;
}

/* Read the guest's output on the port and check it. */
static void *user_reader(void *arg)
{
    struct user *u = arg;
    uint8_t buf[4096];

    while (atomic_load(&u->out_read) < TOTAL && !atomic_load(&u->stop)) {
        struct pollfd p = { u->fd, POLLIN, 0 };
        uint32_t off = atomic_load(&u->out_read);
        ssize_t n;

        if (poll(&p, 1, 100) <= 0)
            continue;
        n = read(u->fd, buf, sizeof(buf));
        if (n <= 0)
            continue;
        for (ssize_t k = 0; k < n; k++)
            if (buf[k] != pattern(20 + u->port, off + (uint32_t)k))
                atomic_fetch_add(&u->out_bad, 1);
        atomic_store(&u->out_read, off + (uint32_t)n);
    }
    return NULL;
}

/* ---- the guest ---- */

static bool slot_busy[SLOTS];
static bool port_added[NPORTS], port_open[NPORTS], console_port, names_ok = true, ctrl_bad;
static uint32_t in_got[NPORTS], out_sent[NPORTS];
static bool in_ok = true;

static int slot(void)
{
    for (unsigned s = 0; s < SLOTS; s++)
        if (!slot_busy[s])
            return (int)s;
    return -1;
}

static void send_buf(unsigned q, const void *data, uint32_t len)
{
    int s = slot();
    struct gbuf b;

    if (s < 0) {
        ctrl_bad = true;
        return;
    }
    b = (struct gbuf){ SLOT_GPA(s), len, false };
    memcpy(guest_ptr(&g, SLOT_GPA(s)), data, len);
    slot_busy[s] = true;
    guest_add(&g, q, &b, 1, (void *)(uintptr_t)(s + 1));
    guest_kick(&g, q);
}

static void send_ctrl(uint32_t id, uint16_t event, uint16_t value)
{
    uint8_t m[8];

    memcpy(m, &id, 4);
    memcpy(m + 4, &event, 2);
    memcpy(m + 6, &value, 2);
    send_buf(VIRTIO_CONSOLE_CTRL_TXQ, m, 8);
}

static void ctrl_msg(const uint8_t *m, uint32_t len)
{
    uint32_t id;
    uint16_t event, value;

    memcpy(&id, m, 4);
    memcpy(&event, m + 4, 2);
    memcpy(&value, m + 6, 2);
    if (len < 8 || id >= NPORTS) {
        ctrl_bad = true;
        return;
    }
    switch (event) {
    case VIRTIO_CONSOLE_DEVICE_ADD:
        port_added[id] = true;
        send_ctrl(id, VIRTIO_CONSOLE_PORT_READY, 1);
        break;
    case VIRTIO_CONSOLE_CONSOLE_PORT:
        console_port = id == 0;
        break;
    case VIRTIO_CONSOLE_PORT_NAME:
        names_ok &= len - 8 == strlen(names[id]) && memcmp(m + 8, names[id], len - 8) == 0;
        break;
    case VIRTIO_CONSOLE_PORT_OPEN:
        /* The host end is connected: an application in the guest opens the port. */
        if (value == 1 && !port_open[id]) {
            send_ctrl(id, VIRTIO_CONSOLE_PORT_OPEN, 1);
            port_open[id] = true;
        }
        break;
    default:
        ctrl_bad = true;
        break;
    }
}

static bool guest_done(void)
{
    for (unsigned p = 0; p < NPORTS; p++)
        if (out_sent[p] < TOTAL || (p < 2 && (in_got[p] < TOTAL || atomic_load(&users[p].out_read) < TOTAL)))
            return false;
    return true;
}

static void guest_run(void)
{
    uint64_t deadline = tsan_ms() + 30000;

    for (unsigned i = 0; i < CTRL_BUFS; i++) {
        struct gbuf b = { CTRLBUF_GPA(i), 128, true };
        guest_add(&g, VIRTIO_CONSOLE_CTRL_RXQ, &b, 1, (void *)(uintptr_t)(i + 1));
    }
    guest_kick(&g, VIRTIO_CONSOLE_CTRL_RXQ);
    for (unsigned p = 0; p < NPORTS; p++) {
        for (unsigned i = 0; i < RXBUFS; i++) {
            struct gbuf b = { RXBUF_GPA(p, i), RXBUF_BYTES, true };
            guest_add(&g, VIRTIO_CONSOLE_PORT_RXQ(p), &b, 1, (void *)(uintptr_t)(i + 1));
        }
        guest_kick(&g, VIRTIO_CONSOLE_PORT_RXQ(p));
    }
    send_ctrl(0xffffffffu, VIRTIO_CONSOLE_DEVICE_READY, 1);
    while (!guest_done() && tsan_ms() < deadline) {
        void *cookie;
        uint32_t len;

        for (unsigned q = 1; q < 2 * NPORTS + 2; q += 2)
            while (guest_get(&g, q, NULL, &cookie) == 1)
                slot_busy[(uintptr_t)cookie - 1] = false;
        while (guest_get(&g, VIRTIO_CONSOLE_CTRL_RXQ, &len, &cookie) == 1) {
            unsigned i = (unsigned)(uintptr_t)cookie - 1;
            struct gbuf b = { CTRLBUF_GPA(i), 128, true };
            ctrl_msg(guest_ptr(&g, CTRLBUF_GPA(i)), len);
            guest_add(&g, VIRTIO_CONSOLE_CTRL_RXQ, &b, 1, cookie);
            guest_kick(&g, VIRTIO_CONSOLE_CTRL_RXQ);
        }
        for (unsigned p = 0; p < NPORTS; p++) {
            bool reposted = false;
            while (guest_get(&g, VIRTIO_CONSOLE_PORT_RXQ(p), &len, &cookie) == 1) {
                unsigned i = (unsigned)(uintptr_t)cookie - 1;
                struct gbuf b = { RXBUF_GPA(p, i), RXBUF_BYTES, true };
                const uint8_t *d = guest_ptr(&g, RXBUF_GPA(p, i));
                for (uint32_t k = 0; k < len; k++)
                    in_ok &= d[k] == pattern(10 + p, in_got[p] + k);
                in_got[p] += len;
                guest_add(&g, VIRTIO_CONSOLE_PORT_RXQ(p), &b, 1, cookie);
                reposted = true;
            }
            if (reposted)
                guest_kick(&g, VIRTIO_CONSOLE_PORT_RXQ(p));
            /* Output once the port is open, paced by what the user has read (a file takes everything). */
            while (port_open[p] && out_sent[p] < TOTAL && slot() >= 0 &&
                   (p == 2 || out_sent[p] - atomic_load(&users[p].out_read) < OUT_AHEAD)) {
                uint8_t buf[CHUNK];
                uint32_t n = TOTAL - out_sent[p] < CHUNK ? TOTAL - out_sent[p] : CHUNK;
                for (uint32_t k = 0; k < n; k++)
                    buf[k] = pattern(20 + p, out_sent[p] + k);
                send_buf(VIRTIO_CONSOLE_PORT_TXQ(p), buf, n); /* written to the port's fd right here */
                out_sent[p] += n;
            }
        }
        guest_wait(&g, 10);
    }
}

static void *pump(void *arg)
{
    (void)arg;
    console_pump(&host, &con, &ch);
    return NULL;
}

void scenario_console(void)
{
    static struct svmm_cli cli;
    char err[256] = "";
    pthread_t pt, wr[2], rd[2];
    const struct console_endpoint *ep_pty0 = NULL, *ep_pty1 = NULL, *ep_file = NULL;
    uint8_t *file;
    int fd;

    snprintf(file_path, sizeof(file_path), "%s/port2.log", tsan_tmpdir());
    memset(&cli, 0, sizeof(cli));
    cli.console = SVMM_CLI_CONSOLE_PTY;
    cli.nconsole_ports = 2;
    snprintf(cli.console_ports[0].name, sizeof(cli.console_ports[0].name), "%s", names[1]);
    cli.console_ports[0].pty = true;
    snprintf(cli.console_ports[1].name, sizeof(cli.console_ports[1].name), "%s", names[2]);
    cli.console_ports[1].path = file_path;
    tsan_host_init(&host);
    if (!CHECK(console_host_setup(&cli, &con, &ch, err, sizeof(err)) == 0)) {
        fprintf(stderr, "    console_host_setup: %s\n", err);
        return;
    }
    for (unsigned i = 0; i < ch.n; i++) {
        if (ch.ep[i].target == CONSOLE_TO_PORT && ch.ep[i].port == 0)
            ep_pty0 = &ch.ep[i];
        else if (ch.ep[i].port == 1)
            ep_pty1 = &ch.ep[i];
        else if (ch.ep[i].port == 2)
            ep_file = &ch.ep[i];
    }
    if (!CHECK(ep_pty0 && ep_pty1 && ep_file))
        return;
    guest_init(&g, &con.dev, &host);
    pthread_mutex_lock(&host.dev_lock);
    CHECK(guest_bring_up(&g, FEATURES, 2 + 2 * NPORTS));
    pthread_mutex_unlock(&host.dev_lock);
    for (unsigned p = 0; p < 2; p++) {
        users[p].port = p;
        users[p].fd = open(p ? ep_pty1->path : ep_pty0->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        atomic_store(&users[p].out_read, 0);
        atomic_store(&users[p].out_bad, 0);
        atomic_store(&users[p].stop, false);
        CHECK(users[p].fd >= 0);
        pthread_create(&wr[p], NULL, user_writer, &users[p]);
        pthread_create(&rd[p], NULL, user_reader, &users[p]);
    }
    pthread_create(&pt, NULL, pump, NULL);

    pthread_mutex_lock(&host.dev_lock);
    guest_run();
    pthread_mutex_unlock(&host.dev_lock);

    for (unsigned p = 0; p < 2; p++) {
        atomic_store(&users[p].stop, true);
        pthread_join(wr[p], NULL);
        pthread_join(rd[p], NULL);
    }
    kvm_host_stop(&host, 0);
    pthread_join(pt, NULL);

    CHECK(port_added[0] && port_added[1] && port_added[2] && console_port && names_ok && !ctrl_bad);
    CHECK(port_open[0] && port_open[1] && port_open[2]);
    for (unsigned p = 0; p < 2; p++) {
        CHECK(atomic_load(&users[p].in_written) == TOTAL && in_got[p] == TOTAL);
        CHECK(atomic_load(&users[p].out_read) == TOTAL && atomic_load(&users[p].out_bad) == 0);
    }
    CHECK(in_ok);
    CHECK(out_sent[2] == TOTAL);
    CHECK(ep_pty0->out_bytes == TOTAL && ep_pty0->out_dropped == 0 && ep_pty0->in_bytes == TOTAL);
    CHECK(ep_pty1->out_bytes == TOTAL && ep_pty1->out_dropped == 0 && ep_pty1->in_bytes == TOTAL);
    CHECK(con.ports[1].rx_bytes == TOTAL && con.ports[2].tx_bytes == TOTAL && con.ctrl_errors == 0);
    CHECK(g.irqs > 0);
    console_host_close(&ch, &con);
    for (unsigned p = 0; p < 2; p++)
        close(users[p].fd);

    file = malloc(TOTAL + 1);
    fd = open(file_path, O_RDONLY);
    CHECK(fd >= 0 && file && read(fd, file, TOTAL + 1) == (ssize_t)TOTAL);
    {
        bool same = file != NULL;
        for (uint32_t k = 0; file && k < TOTAL; k++)
            same &= file[k] == pattern(22, k);
        CHECK(same);
    }
    if (fd >= 0)
        close(fd);
    free(file);
    guest_free(&g);
    tsan_host_close(&host);
}
