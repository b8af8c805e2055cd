/* SPDX-License-Identifier: BSD-2-Clause */
/* See hosted_vm.h: the parts of a hosted VMM that the svmm command and the API library share. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <svmm/hosted.h>
#include "hosted_vm.h"

#define MAX_FILE (1ull << 30)

void hosted_log_stderr(enum svmm_log_level level, const char *line, unsigned len)
{
    static const char *const prefix[] = { "svmm: error: ", "svmm: warning: ", "svmm: ", "svmm: debug: " };
    /* In raw terminal mode a bare \n does not return the carriage. */
    const char *eol = isatty(STDERR_FILENO) ? "\r\n" : "\n";

    fprintf(stderr, "%s%.*s%s", prefix[level], (int)len, line, eol);
}

uint64_t hosted_monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Read-only pages: the pristine copy of a boot image, loaded into guest RAM again at every restart. */
const void *svmm_read_file(const char *what, const char *path, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    uint8_t *buf = NULL;
    size_t done = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "cannot read %s '%s': %s", what, path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_size == 0 || (unsigned long long)st.st_size > MAX_FILE) {
        snprintf(err, errlen, "%s '%s' is %s", what, path,
                 !S_ISREG(st.st_mode) ? "not a regular file" : st.st_size == 0 ? "empty" : "larger than 1 GiB");
        goto out;
    }
    buf = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) {
        snprintf(err, errlen, "out of memory reading %s '%s'", what, path);
        buf = NULL;
        goto out;
    }
    while (done < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);
        if (n <= 0) {
            snprintf(err, errlen, "cannot read %s '%s': %s", what, path, n < 0 ? strerror(errno) : "short read");
            munmap(buf, (size_t)st.st_size);
            buf = NULL;
            goto out;
        }
        done += (size_t)n;
    }
    mprotect(buf, done, PROT_READ);
    *len = done;
out:
    if (fd >= 0)
        close(fd);
    return buf;
}

/*
 * Guest RAM: private anonymous memory (zero pages, handed back by a restart's scrub) between two
 * inaccessible guard pages, so a stray access past either end faults instead of reaching the
 * VMM's other data, and the mapping stays one region of its own in /proc/PID/maps.
 */
static void *map_guest_ram(uint64_t size)
{
    const size_t guard = 4096;
    uint8_t *p = mmap(NULL, size + 2 * guard, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (p == MAP_FAILED)
        return NULL;
    if (mprotect(p + guard, size, PROT_READ | PROT_WRITE) < 0) {
        munmap(p, size + 2 * guard);
        return NULL;
    }
    return p + guard;
}

int hosted_guest_map_ram(struct hosted_guest *g, char *err, size_t errlen)
{
    const struct svmm_vm_config *cfg = &g->vm->cfg;

    g->ram = map_guest_ram(cfg->ram_size);
    if (g->ram == NULL) {
        snprintf(err, errlen, "cannot allocate %llu MiB of guest RAM: %s", (unsigned long long)(cfg->ram_size >> 20),
                 strerror(errno));
        return -1;
    }
    svmm_vm_add_ram(g->vm, g->ram);
    for (unsigned i = 0; i < cfg->nextra_ram && i < SVMM_MAX_EXTRA_RAM; i++) {
        g->extra_ram[i] = map_guest_ram(cfg->extra_ram[i].size);
        if (g->extra_ram[i] == NULL || svmm_vm_add_extra_ram(g->vm, i, g->extra_ram[i]) < 0) {
            snprintf(err, errlen, "cannot allocate RAM range %u (%llu MiB): %s", i + 1,
                     (unsigned long long)(cfg->extra_ram[i].size >> 20), strerror(errno));
            return -1;
        }
    }
    return 0;
}

int hosted_guest_load(void *ctx, char *err, size_t errlen)
{
    const struct hosted_guest *g = ctx;
    char reason[256];

    if (svmm_vm_load_linux(g->vm, g->kernel, g->kernel_len, g->initrd, g->initrd_len, reason, sizeof(reason)) < 0) {
        snprintf(err, errlen, "cannot boot '%.200s': %s", g->kernel_path, reason);
        return -1;
    }
    return 0;
}

/* A restart's reload: guest RAM back to zero pages (private anonymous memory), then the images. */
static int reload_guest(void *ctx, char *err, size_t errlen)
{
    const struct hosted_guest *g = ctx;

    if (madvise(g->ram, g->vm->cfg.ram_size, MADV_DONTNEED) < 0) {
        snprintf(err, errlen, "cannot scrub guest RAM: %s", strerror(errno));
        return -1;
    }
    for (unsigned i = 0; i < g->vm->cfg.nextra_ram && i < SVMM_MAX_EXTRA_RAM; i++)
        if (madvise(g->extra_ram[i], g->vm->cfg.extra_ram[i].size, MADV_DONTNEED) < 0) {
            snprintf(err, errlen, "cannot scrub guest RAM range %u: %s", i + 1, strerror(errno));
            return -1;
        }
    return hosted_guest_load(ctx, err, errlen);
}

/* The running VM, for the SIGTERM handler. */
static struct kvm_host *running_host;

/* SIGTERM stops the VM as a guest power-off would (devices drained, counters logged), status 143. */
static void on_sigterm(int sig)
{
    (void)sig;
    kvm_host_stop(running_host, SVMM_EXIT_TERMINATED); /* an atomic, pthread_kill and write: signal-safe */
}

void hosted_block_sigterm(bool block)
{
    sigset_t term;

    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &term, NULL);
}

static void catch_sigterm(struct kvm_host *host)
{
    struct sigaction sa = { .sa_handler = on_sigterm };

    running_host = host;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    hosted_block_sigterm(false);
}

void hosted_serve(struct kvm_host *host, struct virtio_console *c, struct console_host *ch, struct hosted_guest *g)
{
    char err[512];

    catch_sigterm(host);
    for (;;) {
        console_pump(host, c, ch);
        if (!kvm_host_restart_pending(host))
            return;
        hosted_block_sigterm(true); /* the handler touches the vCPUs, which a restart replaces */
        if (kvm_host_restart(host, reload_guest, g, err, sizeof(err)) < 0) {
            svmm_err("restart failed: %s", err);
            kvm_host_stop(host, SVMM_EXIT_ERROR);
        }
        hosted_block_sigterm(false);
    }
}
