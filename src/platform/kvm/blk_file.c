/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * virtio-blk backend on a raw image file, completed off the vCPU threads.
 *
 * Why a small pthread worker pool and not io_uring: the pool needs nothing beyond libc (svmm is a
 * static binary cross-built against Debian's arm64 libc; liburing would be another foreign-arch
 * package to unpack), works where io_uring is disabled (kernel.io_uring_disabled, seccomp'd
 * containers), and preadv/pwritev go straight between the file and guest RAM with no copy. Each
 * worker blocks in one syscall at a time, so a slow disk costs a worker, never a vCPU. With the
 * test machine's disk in RAM the pool is not the bottleneck; io_uring can replace the workers
 * behind the same virtio_blk_backend_ops if profiles ever say so.
 *
 * Locking: `lock` guards the job and done queues and the I/O error rate limit, and is never held
 * while taking the device lock.
 * submit() and cancel() run with the device lock held (they are called from device code) and take
 * `lock` inside it; workers do I/O holding neither, then one of them at a time (the "completer")
 * hands every finished request back under the device lock in one batch: one interrupt at most.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <svmm/config.h>
#include <svmm/log.h>
#include "blk_file.h"

#define NWORKERS 4
#define QCAP 256 /* >= VIRTIO_BLK_MAX_INFLIGHT queued + stale done entries around a reset */

_Static_assert(sizeof(struct blk_iov) == sizeof(struct iovec) && offsetof(struct blk_iov, len) ==
               offsetof(struct iovec, iov_len), "blk_iov must be laid out like struct iovec");
_Static_assert(QCAP >= 2 * VIRTIO_BLK_MAX_INFLIGHT + NWORKERS, "queue capacity");

struct done { uint32_t tag; uint8_t status; };

struct blk_file {
    int fd;
    struct virtio_blk *dev;
    pthread_mutex_t *dev_lock;
    pthread_mutex_t lock;
    pthread_cond_t work_cv, idle_cv;
    struct blk_request jobs[QCAP];
    unsigned job_head, job_count;
    struct done done[QCAP];
    unsigned done_head, done_count;
    unsigned active; /* workers inside an I/O syscall */
    bool completing, stop;
    struct svmm_ratelimit io_error_rl; /* this disk's I/O error messages (all workers share it) */
    unsigned nthreads;
    pthread_t threads[NWORKERS];
    char name[64];
};

/* One preadv/pwritev takes a whole request: Linux's UIO_MAXIOV (IOV_MAX) is 1024. */
_Static_assert(VIRTIO_BLK_MAX_IOV <= 1024, "a request's buffers fit one preadv/pwritev");

/* Full preadv/pwritev of `len` bytes at `off`, retrying short transfers. Returns 0 or an errno. */
static int rw_all(int fd, const struct blk_iov *iov_in, unsigned niov, uint64_t off, bool write)
{
    struct iovec iov[VIRTIO_BLK_MAX_IOV];
    unsigned i = 0;

    memcpy(iov, iov_in, niov * sizeof(iov[0]));
    while (i < niov) {
        ssize_t n = write ? pwritev(fd, iov + i, (int)(niov - i), (off_t)off)
                          : preadv(fd, iov + i, (int)(niov - i), (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (n == 0)
            return EIO; /* the file shrank under us */
        off += (uint64_t)n;
        while (i < niov && (size_t)n >= iov[i].iov_len) {
            n -= (ssize_t)iov[i].iov_len;
            i++;
        }
        if (i < niov) {
            iov[i].iov_base = (char *)iov[i].iov_base + n;
            iov[i].iov_len -= (size_t)n;
        }
    }
    return 0;
}

static int write_zeroes(int fd, uint64_t off, uint64_t len, bool unmap)
{
    static const uint8_t zeroes[65536];

    if (unmap && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
        return 0;
    if (fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
        return 0;
    while (len > 0) {
        size_t n = len > sizeof(zeroes) ? sizeof(zeroes) : (size_t)len;
        ssize_t w = pwrite(fd, zeroes, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : EIO;
        off += (uint64_t)w;
        len -= (uint64_t)w;
    }
    return 0;
}

static uint8_t execute(struct blk_file *f, const struct blk_request *r)
{
    int fd = f->fd, e = 0;

    switch (r->op) {
    case BLK_OP_READ:
    case BLK_OP_WRITE:
        e = rw_all(fd, r->iov, r->niov, r->offset, r->op == BLK_OP_WRITE);
        break;
    case BLK_OP_FLUSH:
        e = fsync(fd) < 0 ? errno : 0;
        break;
    case BLK_OP_DISCARD:
        /* A hint: a file system without hole punching just keeps the data. */
        for (unsigned i = 0; i < r->nranges; i++)
            if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)r->ranges[i].offset,
                          (off_t)r->ranges[i].len) < 0 && errno != EOPNOTSUPP)
                e = errno;
        break;
    case BLK_OP_WRITE_ZEROES:
        for (unsigned i = 0; i < r->nranges && e == 0; i++)
            e = write_zeroes(fd, r->ranges[i].offset, r->ranges[i].len, r->ranges[i].unmap);
        break;
    }
    if (e == 0 && r->write_through && fdatasync(fd) < 0)
        e = errno;
    if (e == 0)
        return VIRTIO_BLK_S_OK;
    /*
     * Workers fail concurrently and the limiter is shared state: take the backend lock (rarely: on
     * errors only), and log under it so the limiter's "suppressed N" line stays next to this one.
     */
    pthread_mutex_lock(&f->lock);
    if (svmm_ratelimit_ok(&f->io_error_rl, 20))
        svmm_warn("virtio-blk %s: I/O error at offset %llu: %s", f->name, (unsigned long long)r->offset, strerror(e));
    pthread_mutex_unlock(&f->lock);
    return VIRTIO_BLK_S_IOERR;
}

/* Called with f->lock held; returns with it held. Hands every finished request to the device. */
static void complete_all(struct blk_file *f)
{
    struct done batch[QCAP];

    f->completing = true;
    while (f->done_count > 0) {
        unsigned n = f->done_count;
        for (unsigned i = 0; i < n; i++)
            batch[i] = f->done[(f->done_head + i) % QCAP];
        f->done_head = (f->done_head + n) % QCAP;
        f->done_count = 0;
        pthread_mutex_unlock(&f->lock);
        pthread_mutex_lock(f->dev_lock);
        virtio_blk_batch_begin(f->dev);
        for (unsigned i = 0; i < n; i++)
            virtio_blk_complete(f->dev, batch[i].tag, batch[i].status);
        virtio_blk_batch_end(f->dev);
        pthread_mutex_unlock(f->dev_lock);
        pthread_mutex_lock(&f->lock);
    }
    f->completing = false;
}

static void *worker(void *arg)
{
    struct blk_file *f = arg;

    pthread_mutex_lock(&f->lock);
    for (;;) {
        struct blk_request job;
        uint8_t status;

        while (!f->stop && f->job_count == 0)
            pthread_cond_wait(&f->work_cv, &f->lock);
        if (f->stop)
            break;
        job = f->jobs[f->job_head];
        f->job_head = (f->job_head + 1) % QCAP;
        f->job_count--;
        f->active++;
        pthread_mutex_unlock(&f->lock);

        status = execute(f, &job);

        pthread_mutex_lock(&f->lock);
        if (--f->active == 0)
            pthread_cond_broadcast(&f->idle_cv);
        if (f->done_count < QCAP) {
            f->done[(f->done_head + f->done_count) % QCAP] = (struct done){ job.tag, status };
            f->done_count++;
        }
        if (!f->completing)
            complete_all(f);
    }
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

/* Device lock held. */
static void file_submit(void *ctx, const struct blk_request *req)
{
    struct blk_file *f = ctx;

    pthread_mutex_lock(&f->lock);
    if (f->job_count < QCAP) { /* the device never has more than VIRTIO_BLK_MAX_INFLIGHT out */
        f->jobs[(f->job_head + f->job_count) % QCAP] = *req;
        f->job_count++;
        pthread_cond_signal(&f->work_cv);
    }
    pthread_mutex_unlock(&f->lock);
}

/* Device lock held: drop jobs not started, wait for running ones (they never need the device lock). */
static void file_cancel(void *ctx)
{
    struct blk_file *f = ctx;

    pthread_mutex_lock(&f->lock);
    f->job_count = 0;
    while (f->active > 0)
        pthread_cond_wait(&f->idle_cv, &f->lock);
    pthread_mutex_unlock(&f->lock);
}

/* At exit, one statistics line per disk: requests against the guest's notifications and interrupts. */
static struct blk_file *all_files[SVMM_MAX_VIRTIO];
static unsigned nfiles;

static void log_stats(void)
{
    for (unsigned i = 0; i < nfiles; i++) {
        const struct virtio_blk *b = all_files[i]->dev;
        svmm_info("virtio-blk %s: %llu requests (%llu rejected), %llu notifies, %llu interrupts", all_files[i]->name,
                  (unsigned long long)b->requests, (unsigned long long)b->errors,
                  (unsigned long long)b->dev.notifies, (unsigned long long)b->dev.interrupts);
    }
}

static const struct virtio_blk_backend_ops file_ops = { .submit = file_submit, .cancel = file_cancel };

/*
 * The device for an open disk `fd` of `size` bytes: workers started, `dev` initialised. `name` is for
 * log lines, `id` the serial the guest sees; takes `fd` (closed on failure).
 */
static struct blk_file *blk_file_start(int fd, uint64_t size, bool ro, bool holes_read_zero, const char *name,
                                       const char *id, struct virtio_blk *dev, pthread_mutex_t *dev_lock, char *err,
                                       size_t errlen)
{
    struct virtio_blk_backend be = { .ops = &file_ops, .read_only = ro };
    struct blk_file *f;
    sigset_t all, old;

    f = calloc(1, sizeof(*f));
    if (f == NULL) {
        snprintf(err, errlen, "--disk: out of memory");
        close(fd);
        return NULL;
    }
    f->fd = fd;
    f->dev = dev;
    snprintf(f->name, sizeof(f->name), "%s", name); /* before the workers start: they log it */
    f->dev_lock = dev_lock;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->work_cv, NULL);
    pthread_cond_init(&f->idle_cv, NULL);
    be.ctx = f;
    be.capacity = size;
    be.discard = be.write_zeroes = !ro;
    be.zeroes_may_unmap = !ro && holes_read_zero;
    memcpy(be.id, id, strnlen(id, sizeof(be.id)));
    virtio_blk_init(dev, &be);
    /* Workers take no signals: the vCPU kick signal and Ctrl-C belong to other threads. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (unsigned i = 0; i < NWORKERS; i++) {
        int e = pthread_create(&f->threads[i], NULL, worker, f);
        if (e != 0) {
            snprintf(err, errlen, "--disk '%s': cannot start an I/O thread: %s", name, strerror(e));
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            blk_file_close(f);
            return NULL;
        }
        f->nthreads++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (nfiles == 0)
        atexit(log_stats);
    if (nfiles < SVMM_MAX_VIRTIO)
        all_files[nfiles++] = f;
    return f;
}

struct blk_file *blk_file_open(const char *path, bool ro, struct virtio_blk *dev, pthread_mutex_t *dev_lock,
                               char *err, size_t errlen)
{
    struct blk_file *f;
    struct stat st;
    uint64_t size;
    int fd;

    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "--disk: '%s' is a directory, not a disk image file", path);
        return NULL;
    }
    fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "--disk: cannot open '%s'%s: %s", path, ro ? "" : " for writing", strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (S_ISBLK(st.st_mode)) {
        if (ioctl(fd, BLKGETSIZE64, &size) < 0)
            size = 0;
    } else if (S_ISREG(st.st_mode)) {
        size = (uint64_t)st.st_size;
    } else {
        snprintf(err, errlen, "--disk: '%s' is a special file, not a disk image file or block device", path);
        close(fd);
        return NULL;
    }
    if (size < VIRTIO_BLK_SECTOR) {
        snprintf(err, errlen, "--disk: '%s' is smaller than one 512-byte sector", path);
        close(fd);
        return NULL;
    }
    /* The serial the guest sees in /sys/block/vdX/serial: the image's file name, truncated. Punched
     * holes in a regular file read back as zeroes. */
    f = blk_file_start(fd, size, ro, S_ISREG(st.st_mode), path, strrchr(path, '/') ? strrchr(path, '/') + 1 : path,
                       dev, dev_lock, err, errlen);
    if (f == NULL)
        return NULL;
    if (size % VIRTIO_BLK_SECTOR)
        svmm_warn("--disk '%s': size %llu is not a multiple of 512; the last %llu bytes are not visible", path,
                  (unsigned long long)size, (unsigned long long)(size % VIRTIO_BLK_SECTOR));
    svmm_info("disk %s: %llu MiB%s", path, (unsigned long long)(size >> 20), ro ? ", read-only" : "");
    return f;
}

struct blk_file *blk_file_open_ram(uint64_t size, struct virtio_blk *dev, pthread_mutex_t *dev_lock, char *err,
                                   size_t errlen)
{
    struct blk_file *f;
    int fd = memfd_create(BLK_RAM_SERIAL, MFD_CLOEXEC);

    if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
        snprintf(err, errlen, "--disk ram=%llu: cannot create the RAM disk: %s", (unsigned long long)size,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    /* Pages are allocated as the guest writes; punched holes (discard) read back as zeroes. */
    f = blk_file_start(fd, size, false, true, "ram", BLK_RAM_SERIAL, dev, dev_lock, err, errlen);
    if (f != NULL)
        svmm_info("disk ram: a RAM disk of %llu MiB (starts zeroed, gone when svmm exits)",
                  (unsigned long long)(size >> 20));
    return f;
}

void blk_file_close(struct blk_file *f)
{
    if (f == NULL)
        return;
    for (unsigned i = 0; i < nfiles; i++)
        if (all_files[i] == f)
            all_files[i] = all_files[--nfiles];
    pthread_mutex_lock(&f->lock);
    f->stop = true;
    pthread_cond_broadcast(&f->work_cv);
    pthread_mutex_unlock(&f->lock);
    for (unsigned i = 0; i < f->nthreads; i++)
        pthread_join(f->threads[i], NULL);
    close(f->fd);
    free(f);
}
