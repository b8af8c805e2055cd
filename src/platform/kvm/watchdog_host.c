/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <svmm/log.h>
#include "watchdog_host.h"

#define NS_PER_S 1000000000ull
#define MAX_WAIT_S (1ull << 30) /* a later deadline is looked at again after this long (tick re-arms) */

static uint64_t clock_now(void *ctx)
{
    const struct kvm_watchdog *w = ctx;

    return kvm_host_guest_counter(w->host);
}

/*
 * `ticks` of a counter at `hz` (1 .. 2^32-1) as a relative timerfd value: rounded up, so the timer
 * never fires before the deadline, and never zero, which would disarm it.
 */
static struct timespec ticks_to_timespec(uint64_t ticks, uint64_t hz)
{
    uint64_t s = ticks / hz, ns = ((ticks % hz) * NS_PER_S + hz - 1) / hz; /* (ticks % hz) * 1e9 < 2^62 */

    if (ns >= NS_PER_S) {
        s++;
        ns -= NS_PER_S;
    }
    if (s > MAX_WAIT_S) {
        s = MAX_WAIT_S;
        ns = 0;
    }
    if (s == 0 && ns == 0)
        ns = 1;
    return (struct timespec){ .tv_sec = (time_t)s, .tv_nsec = (long)ns };
}

/* The device's next deadline (called under the device lock, from any thread): replaces the last one. */
static void clock_arm(void *ctx, uint64_t deadline)
{
    const struct kvm_watchdog *w = ctx;
    struct itimerspec its = { { 0, 0 }, { 0, 0 } };

    if (deadline != SBSA_GWDT_NEVER) {
        uint64_t now = kvm_host_guest_counter(w->host);
        its.it_value = ticks_to_timespec(deadline > now ? deadline - now : 0, kvm_host_counter_hz());
    }
    if (timerfd_settime(w->timer_fd, 0, &its, NULL) < 0)
        svmm_warn("watchdog timer: %s", strerror(errno));
}

int kvm_watchdog_open(struct kvm_watchdog *w, struct kvm_host *host, const char *name,
                      struct sbsa_gwdt_clock *clock, char *err, size_t errlen)
{
    *w = (struct kvm_watchdog){ .host = host, .name = name, .timer_fd = -1 };
    w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (w->timer_fd < 0) {
        snprintf(err, errlen, "watchdog: timerfd_create: %s", strerror(errno));
        return -1;
    }
    *clock = (struct sbsa_gwdt_clock){ .hz = kvm_host_counter_hz(), .now = clock_now, .arm = clock_arm, .ctx = w };
    return 0;
}

/* The timer fired: advance the device; true when the guest just reached WS1 (*secs: since its last refresh). */
static bool tick(struct kvm_watchdog *w, uint64_t *secs)
{
    struct kvm_host *h = w->host;
    uint64_t expirations;
    bool fired;

    if (read(w->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
        svmm_warn("watchdog timer: %s", strerror(errno));
    /* Whatever the read said: a re-arm may have raced it, and a tick with nothing due only re-arms. */
    pthread_mutex_lock(&h->dev_lock);
    fired = sbsa_gwdt_tick(&h->vm->wdt);
    *secs = sbsa_gwdt_ws1_seconds(&h->vm->wdt);
    pthread_mutex_unlock(&h->dev_lock);
    return fired;
}

static void *watchdog_thread(void *arg)
{
    struct kvm_watchdog *w = arg;
    uint64_t secs;

    for (;;) {
        struct pollfd fds[2] = { { w->host->stop_fd, POLLIN, 0 }, { w->timer_fd, POLLIN, 0 } };

        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            svmm_err("watchdog: poll: %s; the guest is no longer watched", strerror(errno));
            return NULL;
        }
        if (fds[0].revents)
            return NULL; /* the VM stopped */
        if (fds[1].revents && tick(w, &secs)) {
            svmm_err("VM %s: guest stopped refreshing its watchdog (WS1 after %llu s)", w->name,
                     (unsigned long long)secs);
            kvm_host_fault(w->host);
        }
    }
}

int kvm_watchdog_start(struct kvm_watchdog *w, char *err, size_t errlen)
{
    int e = pthread_create(&w->thread, NULL, watchdog_thread, w);

    if (e != 0) {
        snprintf(err, errlen, "cannot start the watchdog thread: %s", strerror(e));
        return -1;
    }
    w->started = true;
    return 0;
}

void kvm_watchdog_close(struct kvm_watchdog *w)
{
    if (w->started)
        pthread_join(w->thread, NULL);
    w->started = false;
    if (w->timer_fd >= 0)
        close(w->timer_fd);
    w->timer_fd = -1;
}
