/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hosted side of the SBSA watchdog (--watchdog): its clock (the guest's system counter, from
 * kvm.c) and its timer, a timerfd that one thread waits on. When the deadline the device armed
 * passes, the thread ticks the device under the device lock; when WS1 rises it logs the fault and
 * ends the boot through the lifecycle's FAIL (svmm exits 3). The thread lives as long as the VMM:
 * across restarts the device is reset and powered on again under the same lock.
 */
#ifndef SVMM_KVM_WATCHDOG_HOST_H
#define SVMM_KVM_WATCHDOG_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <svmm/sbsa_gwdt.h>
#include "kvm.h"

struct kvm_watchdog {
    struct kvm_host *host;
    const char *name; /* the VM's, for the log line */
    int timer_fd;     /* CLOCK_MONOTONIC timerfd, non-blocking; -1 when closed */
    pthread_t thread;
    bool started;
};

/*
 * Create the timer for VM `name` run by `host` (which may still be unopened: only its address is
 * kept) and fill `clock` for svmm_vm_backends. -1 with a reason in err.
 */
int kvm_watchdog_open(struct kvm_watchdog *w, struct kvm_host *host, const char *name,
                      struct sbsa_gwdt_clock *clock, char *err, size_t errlen);

/* Start the thread (after kvm_host_start): it returns when the VM stops (host->stop_fd). */
int kvm_watchdog_start(struct kvm_watchdog *w, char *err, size_t errlen);

/* Join the thread, if started, and close the timer. */
void kvm_watchdog_close(struct kvm_watchdog *w);

#endif
