/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test helper for tests/e2e/hosted-vsock.sh, built static for arm64 (busybox has no vsock and its
 * nc no Unix sockets). One binary, four roles:
 *   vsock_helper vsock-echo PORT             guest: accept one vsock connection on PORT, echo it
 *   vsock_helper vsock-send CID PORT MSG|@N  guest: connect, send, read the echo back, print it
 *   vsock_helper uds-echo PATH               host: accept one connection on a Unix socket, echo it
 *   vsock_helper uds-send PATH PORT MSG|@N   host: connect to svmm's socket, "CONNECT PORT", send,
 *                                            read the echo (retries while the guest is not listening)
 *   vsock_helper tcp-sink PORT               accept one TCP connection, read to EOF, print bytes and MB/s
 *   vsock_helper tcp-send IP PORT N          connect, write N bytes, print MB/s (hosted-net.sh)
 * "@N" sends N bytes of a pseudo-random stream and prints only a byte count, the SHA-256 of what was
 * sent and of what came back, and the throughput; every receiving end prints the SHA-256 of what it
 * got, so the scripts compare the bytes exactly on both ends (reordering or loss changes the digest).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/vm_sockets.h>
#include "sha256.h"

/* The bulk stream: an LCG's top byte per position, the same for every sender. */
static void pattern_fill(uint64_t *state, char *buf, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        *state = *state * 6364136223846793005ull + 1442695040888963407ull;
        buf[i] = (char)(*state >> 56);
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "vsock_helper: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void echo(int fd)
{
    static char buf[65536];
    unsigned long long total = 0;
    struct sha256 h;
    char hex[65];
    ssize_t n;

    sha256_init(&h);
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        sha256_update(&h, buf, (size_t)n);
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(fd, buf + off, (size_t)(n - off));
            if (w <= 0)
                die("echo write");
            off += w;
        }
        total += (unsigned long long)n;
    }
    sha256_hex(&h, hex);
    printf("echo: served %llu bytes, sha256 %s\n", total, hex);
}

static void serve(int lfd)
{
    int fd;

    if (listen(lfd, 4) < 0)
        die("listen");
    fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        die("accept");
    echo(fd);
    close(fd);
}

/* Send the message (or N pattern bytes) while reading the echo back; print the result. */
static int exchange(int fd, const char *msg, const char *tag)
{
    static char out[65536], in[65536];
    size_t len, sent = 0, got = 0;
    uint64_t seed = 1;
    struct sha256 h_out, h_in;
    char hex_out[65], hex_in[65];
    int bulk = msg[0] == '@';
    char *text = NULL;
    double t0 = now();

    len = bulk ? strtoull(msg + 1, NULL, 10) : strlen(msg);
    if (!bulk)
        text = calloc(1, len + 1);
    sha256_init(&h_out);
    sha256_init(&h_in);
    while (got < len) {
        if (sent < len && sent - got < 131072) {
            size_t k = len - sent < sizeof(out) ? len - sent : sizeof(out);
            if (bulk)
                pattern_fill(&seed, out, k);
            else
                memcpy(out, msg + sent, k);
            for (size_t off = 0; off < k;) { /* all of it: the stream position is the pattern's */
                ssize_t w = write(fd, out + off, k - off);
                if (w <= 0)
                    die("write");
                off += (size_t)w;
            }
            sha256_update(&h_out, out, k);
            sent += k;
        }
        ssize_t r = read(fd, in, sizeof(in));
        if (r <= 0) {
            fprintf(stderr, "vsock_helper: connection ended after %zu of %zu echoed bytes\n", got, len);
            return 1;
        }
        sha256_update(&h_in, in, (size_t)r);
        if (text)
            memcpy(text + got, in, (size_t)r);
        got += (size_t)r;
    }
    if (bulk) {
        double dt = now() - t0;
        sha256_hex(&h_out, hex_out);
        sha256_hex(&h_in, hex_in);
        printf("%s: %zu bytes echoed, sent sha256 %s, received sha256 %s, %s, %.1f s, %.2f MB/s each way\n", tag,
               got, hex_out, hex_in, strcmp(hex_out, hex_in) ? "MISMATCH" : "identical", dt, got / dt / 1e6);
        return strcmp(hex_out, hex_in) != 0;
    }
    printf("%s: %s\n", tag, text);
    return strcmp(text, msg) != 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 3 && !strcmp(argv[1], "vsock-echo")) {
        struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
                                 .svm_port = (unsigned)atoi(argv[2]) };
        int lfd = socket(AF_VSOCK, SOCK_STREAM, 0);
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0)
            die("vsock bind");
        printf("vsock-echo: listening on port %s\n", argv[2]);
        serve(lfd);
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "vsock-send")) {
        struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = (unsigned)atoi(argv[2]),
                                 .svm_port = (unsigned)atoi(argv[3]) };
        int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
            die("vsock connect");
        return exchange(fd, argv[4], "vsock-send reply");
    }
    if (argc == 3 && !strcmp(argv[1], "uds-echo")) {
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
        snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[2]);
        unlink(argv[2]);
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0)
            die("uds bind");
        serve(lfd);
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "uds-send")) {
        for (int attempt = 0; attempt < 120; attempt++) {
            struct sockaddr_un a = { .sun_family = AF_UNIX };
            char line[64];
            size_t n = 0;
            int fd = socket(AF_UNIX, SOCK_STREAM, 0);
            snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[2]);
            if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
                dprintf(fd, "CONNECT %s\n", argv[3]);
                while (n < sizeof(line) - 1 && read(fd, line + n, 1) == 1 && line[n] != '\n')
                    n++;
                line[n] = '\0';
                if (!strncmp(line, "OK ", 3)) {
                    printf("uds-send: connected to guest port %s (%s)\n", argv[3], line);
                    return exchange(fd, argv[4], "uds-send reply");
                }
            }
            close(fd);
            usleep(500000); /* the guest is not listening yet */
        }
        fprintf(stderr, "vsock_helper: could not reach guest port %s through %s\n", argv[3], argv[2]);
        return 1;
    }
    if (argc == 3 && !strcmp(argv[1], "tcp-sink")) {
        static char buf[65536];
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
        unsigned long long total = 0;
        int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0), fd;
        struct sha256 h;
        char hex[65];
        ssize_t n;
        double t0;
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 1) < 0 || (fd = accept(lfd, NULL, NULL)) < 0)
            die("tcp-sink");
        t0 = now();
        sha256_init(&h);
        while ((n = read(fd, buf, sizeof(buf))) > 0) {
            sha256_update(&h, buf, (size_t)n);
            total += (unsigned long long)n;
        }
        sha256_hex(&h, hex);
        printf("tcp-sink: %llu bytes in %.2f s, %.2f MB/s, sha256 %s\n", total, now() - t0, total / (now() - t0) / 1e6,
               hex);
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "tcp-send")) {
        static char buf[65536];
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3])) };
        unsigned long long total = strtoull(argv[4], NULL, 10), done = 0;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        uint64_t seed = 1;
        struct sha256 h;
        char hex[65];
        double t0;
        inet_pton(AF_INET, argv[2], &a.sin_addr);
        for (int i = 0; connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0; i++) {
            if (i == 60)
                die("tcp connect");
            close(fd);
            fd = socket(AF_INET, SOCK_STREAM, 0);
            usleep(500000);
        }
        t0 = now();
        sha256_init(&h);
        while (done < total) {
            size_t k = total - done < sizeof(buf) ? (size_t)(total - done) : sizeof(buf);
            pattern_fill(&seed, buf, k);
            sha256_update(&h, buf, k);
            for (size_t off = 0; off < k;) {
                ssize_t w = write(fd, buf + off, k - off);
                if (w <= 0)
                    die("tcp write");
                off += (size_t)w;
            }
            done += k;
        }
        sha256_hex(&h, hex);
        shutdown(fd, SHUT_WR);
        while (read(fd, buf, sizeof(buf)) > 0)
            ;
        printf("tcp-send: %llu bytes in %.2f s, %.2f MB/s, sha256 %s\n", done, now() - t0, done / (now() - t0) / 1e6,
               hex);
        return 0;
    }
    fprintf(stderr, "usage: see the comment at the top of vsock_helper.c\n");
    return 2;
}
