/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * blkrand: 4 KiB random reads or writes with O_DIRECT on a block device, for the guest of
 * tests/bench/blk.sh (cross-compiled static: the guest is busybox only, no fio, no dynamic loader).
 *
 * usage: blkrand DEV read|write COUNT THREADS SPAN_MIB MAX_SECONDS
 *   THREADS workers (the queue depth), each doing synchronous pread/pwrite of 4 KiB at random
 *   4 KiB-aligned offsets in the first SPAN_MIB MiB of DEV, until COUNT operations are done in
 *   total or MAX_SECONDS have passed. Prints one line:
 *   BLKRAND mode=read qd=4 ops=N seconds=S iops=I errors=E
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BS 4096

static const char *dev;
static int writing;
static long count, span_blocks;
static double max_seconds, t0;
static long done, errors;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Claim the next operation; 0 when the count or the time is used up. */
static int claim(void)
{
    int ok;
    pthread_mutex_lock(&lock);
    ok = done < count && now() - t0 < max_seconds;
    if (ok)
        done++;
    pthread_mutex_unlock(&lock);
    return ok;
}

static void *worker(void *arg)
{
    uint64_t x = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull + 12345;
    void *buf;
    int fd = open(dev, (writing ? O_WRONLY : O_RDONLY) | O_DIRECT);

    if (fd < 0 || posix_memalign(&buf, BS, BS) != 0) {
        fprintf(stderr, "blkrand: %s: %s\n", dev, strerror(errno));
        exit(1);
    }
    memset(buf, 0xa5, BS);
    while (claim()) {
        off_t off;
        ssize_t n;
        x ^= x << 13; x ^= x >> 7; x ^= x << 17; /* xorshift64 */
        off = (off_t)(x % (uint64_t)span_blocks) * BS;
        n = writing ? pwrite(fd, buf, BS, off) : pread(fd, buf, BS, off);
        if (n != BS) {
            pthread_mutex_lock(&lock);
            errors++;
            pthread_mutex_unlock(&lock);
        }
    }
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t th[64];
    long threads;
    double secs;

    if (argc != 7) {
        fprintf(stderr, "usage: blkrand DEV read|write COUNT THREADS SPAN_MIB MAX_SECONDS\n");
        return 2;
    }
    dev = argv[1];
    writing = !strcmp(argv[2], "write");
    count = atol(argv[3]);
    threads = atol(argv[4]);
    span_blocks = atol(argv[5]) * (1024 * 1024 / BS);
    max_seconds = atof(argv[6]);
    if (threads < 1 || threads > 64 || span_blocks < 1 || count < 1) {
        fprintf(stderr, "blkrand: bad arguments\n");
        return 2;
    }
    t0 = now();
    for (long i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i + 1));
    for (long i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    secs = now() - t0;
    printf("BLKRAND mode=%s qd=%ld ops=%ld seconds=%.2f iops=%.0f errors=%ld\n", writing ? "write" : "read", threads,
           done, secs, (double)done / secs, errors);
    return errors != 0;
}
