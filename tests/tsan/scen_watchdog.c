/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The SBSA watchdog's timer thread (src/platform/kvm/watchdog_host.c) against a vCPU that refreshes
 * the watchdog through its WRR register under the device lock, re-arming the thread's timerfd each
 * time, and once resets and powers it on again as a restart does. While the vCPU refreshes, the
 * thread's ticks find nothing due; when it stops, the thread sees WS1 within the timeout (1 s, so
 * WOR 0.5 s), logs the fault once and ends the VM through kvm_host_fault (status 3).
 * kvm.c is not built here: its counter is stood in for by CLOCK_MONOTONIC in nanoseconds (1 GHz),
 * and kvm_host_fault by a stop with SVMM_EXIT_CRASH.
 */
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <svmm/sbsa_gwdt.h>
#include "tsan.h"
#include "watchdog_host.h"

#define REFRESH_MS 20
#define HEALTHY_MS 1500 /* three timeouts of refreshing */

static struct kvm_host host;
static struct svmm_vm vm;
static struct kvm_watchdog wdog;
static atomic_uint faults;
static atomic_uint_least64_t last_refresh_ms;

uint64_t kvm_host_counter_hz(void)
{
    return 1000000000u;
}

uint64_t kvm_host_guest_counter(const struct kvm_host *h)
{
    struct timespec ts;

    (void)h;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void kvm_host_fault(struct kvm_host *h)
{
    atomic_fetch_add(&faults, 1);
    kvm_host_stop(h, SVMM_EXIT_CRASH);
}

static void irq(void *ctx, uint32_t spi, bool level)
{
    (void)ctx;
    (void)spi;
    (void)level; /* WS0: the guest would get its interrupt */
}

static void vcpu_write(uint64_t off, uint64_t val)
{
    pthread_mutex_lock(&host.dev_lock);
    sbsa_gwdt_ops.write(&vm.wdt, 0, off, 4, val);
    pthread_mutex_unlock(&host.dev_lock);
}

static void *vcpu(void *arg)
{
    uint64_t start = tsan_ms();

    (void)arg;
    while (tsan_ms() - start < HEALTHY_MS) {
        vcpu_write(SBSA_GWDT_FRAME_SIZE, 0); /* WRR */
        atomic_store(&last_refresh_ms, tsan_ms());
        if (tsan_ms() - start >= HEALTHY_MS / 2 && tsan_ms() - start < HEALTHY_MS / 2 + REFRESH_MS) {
            pthread_mutex_lock(&host.dev_lock); /* a restart's reset and power-on */
            sbsa_gwdt_reset(&vm.wdt);
            sbsa_gwdt_power_on(&vm.wdt);
            pthread_mutex_unlock(&host.dev_lock);
        }
        usleep(REFRESH_MS * 1000);
    }
    return NULL; /* the guest hangs: no more refreshes */
}

void scenario_watchdog(void)
{
    struct sbsa_gwdt_clock clock;
    char err[128];
    pthread_t t;
    uint64_t end;

    tsan_host_init(&host);
    host.vm = &vm;
    atomic_store(&faults, 0);
    CHECK(kvm_watchdog_open(&wdog, &host, "tsan", &clock, err, sizeof(err)) == 0);
    sbsa_gwdt_init(&vm.wdt, &clock, irq, NULL, 2, 1);
    pthread_mutex_lock(&host.dev_lock);
    sbsa_gwdt_power_on(&vm.wdt);
    pthread_mutex_unlock(&host.dev_lock);
    CHECK(kvm_watchdog_start(&wdog, err, sizeof(err)) == 0);
    CHECK(pthread_create(&t, NULL, vcpu, NULL) == 0);
    pthread_join(t, NULL);
    CHECK(atomic_load(&faults) == 0); /* nothing while the guest refreshed */
    kvm_watchdog_close(&wdog);         /* returns once the fault stopped the VM */
    end = tsan_ms();
    CHECK(atomic_load(&faults) == 1);
    CHECK(atomic_load(&host.exit_status) == SVMM_EXIT_CRASH);
    CHECK(tsan_log_count("VM tsan: guest stopped refreshing its watchdog (WS1 after 1 s)") == 1);
    CHECK(end - atomic_load(&last_refresh_ms) >= 1000 && end - atomic_load(&last_refresh_ms) < 3000);
    tsan_host_close(&host);
}
