/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ThreadSanitizer tier's runner: runs each scenario, counts every check, and prints
 * "tsan: N passed, N failed" last, also when TSan stops the process at its first report
 * (halt_on_error=1: the death callback prints the line) or a scenario hangs (the watchdog does).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sanitizer/common_interface_defs.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <svmm/log.h>
#include "tsan.h"

#define WATCHDOG_S 100 /* the whole tier should take well under a minute */

static atomic_uint passed, failed;
static char tmpdir[64];

/* TSan's defaults for this binary; TSAN_OPTIONS in the environment still overrides them. */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
    return "halt_on_error=1:second_deadlock_stack=1";
}

bool tsan_check(bool ok, const char *file, int line, const char *expr)
{
    if (ok) {
        atomic_fetch_add(&passed, 1);
    } else {
        atomic_fetch_add(&failed, 1);
        fprintf(stderr, "    %s:%d: check failed: %s\n", file, line, expr);
    }
    return ok;
}

uint64_t tsan_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const char *tsan_tmpdir(void)
{
    return tmpdir;
}

/* ---- the log: the devices' lines, kept for scenarios to count ---- */

#define LOG_KEEP 512
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_lines[LOG_KEEP][160];
static unsigned log_n;
static bool verbose;

static void log_sink(enum svmm_log_level level, const char *line, unsigned len)
{
    pthread_mutex_lock(&log_lock);
    if (log_n < LOG_KEEP)
        snprintf(log_lines[log_n++], sizeof(log_lines[0]), "%.*s", (int)len, line);
    pthread_mutex_unlock(&log_lock);
    if (verbose)
        fprintf(stderr, "  log %d: %.*s\n", (int)level, (int)len, line);
}

unsigned tsan_log_count(const char *needle)
{
    unsigned n = 0;

    pthread_mutex_lock(&log_lock);
    for (unsigned i = 0; i < log_n; i++)
        n += strstr(log_lines[i], needle) != NULL;
    pthread_mutex_unlock(&log_lock);
    return n;
}

/* ---- the host ---- */

/* The ioeventfds registered since the last tsan_host_init (registration and use are on any thread). */
#define MAX_IOEVENTFDS 8
static pthread_mutex_t ioeventfd_lock = PTHREAD_MUTEX_INITIALIZER;
struct ioeventfd {
    uint64_t gpa;
    uint32_t val;
    int fd;
};
static struct ioeventfd ioeventfds[MAX_IOEVENTFDS];
static unsigned n_ioeventfds;

int kvm_host_add_ioeventfd(struct kvm_host *h, uint64_t gpa, uint32_t datamatch, int fd, char *err, size_t errlen)
{
    int r = -1;

    (void)h;
    pthread_mutex_lock(&ioeventfd_lock);
    if (n_ioeventfds < MAX_IOEVENTFDS) {
        ioeventfds[n_ioeventfds++] = (struct ioeventfd){ gpa, datamatch, fd };
        r = 0;
    }
    pthread_mutex_unlock(&ioeventfd_lock);
    if (r < 0)
        snprintf(err, errlen, "tsan: more than %d ioeventfds", MAX_IOEVENTFDS);
    return r;
}

bool tsan_ioeventfd_write(uint64_t gpa, uint32_t val)
{
    uint64_t one = 1;
    int fd = -1;

    pthread_mutex_lock(&ioeventfd_lock);
    for (unsigned i = 0; i < n_ioeventfds && fd < 0; i++)
        if (ioeventfds[i].gpa == gpa && ioeventfds[i].val == val)
            fd = ioeventfds[i].fd;
    pthread_mutex_unlock(&ioeventfd_lock);
    if (fd < 0)
        return false;
    CHECK(write(fd, &one, sizeof(one)) == sizeof(one));
    return true;
}

void tsan_host_init(struct kvm_host *h)
{
    static struct svmm_vm no_vm; /* console input for the UART is dropped: no UART in this VM */

    memset(h, 0, sizeof(*h));
    h->kvm_fd = h->vm_fd = h->gic_fd = -1;
    pthread_mutex_init(&h->dev_lock, NULL);
    atomic_init(&h->exit_status, -1);
    h->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    h->restart_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); /* never signalled: no restarts here */
    h->vm = &no_vm;
    CHECK(h->stop_fd >= 0 && h->restart_fd >= 0);
    pthread_mutex_lock(&ioeventfd_lock);
    n_ioeventfds = 0;
    pthread_mutex_unlock(&ioeventfd_lock);
}

void tsan_host_close(struct kvm_host *h)
{
    close(h->stop_fd);
    close(h->restart_fd);
    pthread_mutex_destroy(&h->dev_lock);
}

/*
 * kvm.c's stop without the vCPU kicks (kvm.c needs arm64 KVM headers; this tier is built for the
 * x86 host): record the status once and make stop_fd readable, which ends the device threads.
 */
void kvm_host_stop(struct kvm_host *h, int status)
{
    int expected = -1;
    uint64_t one = 1;

    if (!atomic_compare_exchange_strong(&h->exit_status, &expected, status))
        return;
    if (write(h->stop_fd, &one, sizeof(one)) < 0)
        fprintf(stderr, "cannot signal the stop event: %s\n", strerror(errno));
}

/* ---- the runner ---- */

static void summary(const char *why)
{
    char line[160];
    unsigned f = atomic_load(&failed) + (why ? 1 : 0);
    int n = snprintf(line, sizeof(line), "%s%s%stsan: %u passed, %u failed\n", why ? "FAIL tsan: " : "",
                     why ? why : "", why ? "\n" : "", atomic_load(&passed), f);

    if (write(STDOUT_FILENO, line, (size_t)n) < 0)
        _exit(3);
}

/* TSan's Die(): after a report with halt_on_error=1. */
static void on_tsan_death(void)
{
    summary("ThreadSanitizer reported a problem (above); halt_on_error=1 stopped the run");
}

static void *watchdog(void *arg)
{
    char why[64];

    (void)arg;
    sleep(WATCHDOG_S);
    snprintf(why, sizeof(why), "a scenario hung (the watchdog fired after %d s)", WATCHDOG_S);
    summary(why);
    _exit(2);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

/* The rate limiters' clock, as the KVM platform installs it (main.c). */
static uint64_t monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const struct {
    const char *name;
    void (*fn)(void);
} scenarios[] = {
    { "blk", scenario_blk },
    { "net", scenario_net },
    { "vsock", scenario_vsock },
    { "console", scenario_console },
    { "switch", scenario_switch },
    { "peers", scenario_vsock_peer },
    { "relay", scenario_relay },
    { "watchdog", scenario_watchdog },
};

int main(int argc, char **argv)
{
    pthread_t wd;
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

    if (argc > 2 && strcmp(argv[1], "--switch-process") == 0)
        return tsan_switch_process(argc - 2, argv + 2); /* scen_switch.c's switch: no runner, no watchdog */
    setvbuf(stdout, NULL, _IOLBF, 0);
    verbose = getenv("TSAN_VERBOSE") != NULL;
    __sanitizer_set_death_callback(on_tsan_death);
    pthread_create(&wd, NULL, watchdog, NULL);
    pthread_detach(wd);
    snprintf(tmpdir, sizeof(tmpdir), "%.40s/svmm-tsan-XXXXXX", base);
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        summary("cannot create a scratch directory");
        return 1;
    }
    svmm_log_init(log_sink, SVMM_LOG_INFO);
    svmm_log_set_clock(monotonic_ns);
    for (unsigned i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        unsigned p0 = atomic_load(&passed), f0 = atomic_load(&failed);
        uint64_t t0 = tsan_ms();

        if (argc > 1 && strstr(scenarios[i].name, argv[1]) == NULL)
            continue;
        scenarios[i].fn();
        printf("%s %-8s %u checks, %u failed (%.1f s)\n", atomic_load(&failed) == f0 ? "ok  " : "FAIL",
               scenarios[i].name, atomic_load(&passed) - p0 + atomic_load(&failed) - f0,
               atomic_load(&failed) - f0, (double)(tsan_ms() - t0) / 1000.0);
    }
    nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    summary(NULL);
    return atomic_load(&failed) ? 1 : 0;
}
