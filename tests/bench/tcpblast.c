/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tcpblast: TCP bulk throughput with as little CPU per byte as possible, for tests/bench/net.sh
 * (static arm64, in the guest and the outer machine). tests/e2e/vsock_helper.c's tcp-send/tcp-sink
 * hash every byte (SHA-256) to prove integrity; under -icount that hashing, not the VMM, would set
 * the rate. Here the sender writes one constant buffer again and again and the sink only counts.
 *
 *   tcpblast send IP PORT BYTES   connect, write BYTES, close; print the bytes and the rate
 *   tcpblast sink PORT [KVMDIR]   accept one connection, read to EOF; print "tcpblast-sink: N bytes
 *                                 in S s, R MB/s" (S from the first byte read to EOF, MB = 10^6 B);
 *                                 with KVMDIR (KVM's debugfs directory, /sys/kernel/debug/kvm) also
 *                                 "tcpblast-kvm: exits=N mmio_exit_user=N mmio_exit_kernel=N": what
 *                                 KVM counted, over all its VMs, between the first byte and EOF, so
 *                                 the VMMs' exits per frame compare over the transfer alone
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256u << 10) /* bytes per write/read: few syscalls, TSO-sized sends */

static char buf[CHUNK];

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *what)
{
    perror(what);
    return 1;
}

/* KVM's per-vCPU exit counters that tell the VMMs apart (debugfs sums them over every VM). */
static const char *const kvm_stat_names[] = { "exits", "mmio_exit_user", "mmio_exit_kernel" };
#define NSTATS (sizeof(kvm_stat_names) / sizeof(kvm_stat_names[0]))

static void kvm_stats(const char *dir, unsigned long long v[NSTATS])
{
    char path[256];

    for (unsigned i = 0; i < NSTATS; i++) {
        FILE *f;
        v[i] = 0;
        snprintf(path, sizeof(path), "%s/%s", dir, kvm_stat_names[i]);
        f = fopen(path, "r");
        if (f == NULL)
            continue;
        if (fscanf(f, "%llu", &v[i]) != 1)
            v[i] = 0;
        fclose(f);
    }
}

static int sink(int port, const char *kvmdir)
{
    unsigned long long k0[NSTATS] = { 0 }, k1[NSTATS];
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    int one = 1, l = socket(AF_INET, SOCK_STREAM, 0), c;
    unsigned long long total = 0;
    double t0 = 0, t1;
    ssize_t n;

    /* A sink per run on the same port: the previous run's connection may still be in TIME_WAIT. */
    if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0)
        return die("tcpblast sink: listen");
    c = accept(l, NULL, NULL);
    if (c < 0)
        return die("tcpblast sink: accept");
    while ((n = read(c, buf, sizeof(buf))) > 0) {
        if (total == 0) {
            t0 = now();
            if (kvmdir)
                kvm_stats(kvmdir, k0);
        }
        total += (unsigned long long)n;
    }
    t1 = now();
    if (n < 0)
        return die("tcpblast sink: read");
    printf("tcpblast-sink: %llu bytes in %.3f s, %.2f MB/s\n", total, t1 - t0,
           t1 > t0 ? (double)total / (t1 - t0) / 1e6 : 0.0);
    if (kvmdir) {
        kvm_stats(kvmdir, k1);
        printf("tcpblast-kvm:");
        for (unsigned i = 0; i < NSTATS; i++)
            printf(" %s=%llu", kvm_stat_names[i], k1[i] - k0[i]);
        printf("\n");
    }
    return 0;
}

static int send_bytes(const char *ip, int port, unsigned long long bytes)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    int s = socket(AF_INET, SOCK_STREAM, 0);
    unsigned long long done = 0;
    double t0;

    if (s < 0 || inet_pton(AF_INET, ip, &a.sin_addr) != 1 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
        return die("tcpblast send: connect");
    memset(buf, 0x5a, sizeof(buf));
    t0 = now();
    while (done < bytes) {
        size_t want = bytes - done < CHUNK ? (size_t)(bytes - done) : CHUNK;
        ssize_t n = write(s, buf, want);
        if (n <= 0)
            return die("tcpblast send: write");
        done += (unsigned long long)n;
    }
    close(s);
    printf("tcpblast-send: %llu bytes in %.3f s, %.2f MB/s\n", done, now() - t0, (double)done / (now() - t0) / 1e6);
    return 0;
}

int main(int argc, char **argv)
{
    if ((argc == 3 || argc == 4) && !strcmp(argv[1], "sink"))
        return sink(atoi(argv[2]), argc == 4 ? argv[3] : NULL);
    if (argc == 5 && !strcmp(argv[1], "send"))
        return send_bytes(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 0));
    fprintf(stderr, "usage: tcpblast send IP PORT BYTES | tcpblast sink PORT [KVMDIR]\n");
    return 2;
}
