/* SPDX-License-Identifier: BSD-2-Clause */
/* Idle vCPUs sleep: the VMM's side (sel4_idle.h explains the scheme). */
#include <microkit.h>
#include <svmm/config.h>
#include <svmm/log.h>
#include <svmm/sel4/channel.h>
#include <svmm/sel4/vcpu.h>
#include "sel4_clock.h"
#include "sel4_idle.h"

/* This VMM's page of the idle timer PD, patched in by the Microkit tool (setvar_vaddr); 0: no timer. */
uintptr_t idle_timer_vaddr;

#define CNTV_CTL_ENABLE 1u
#define CNTV_CTL_IMASK 2u
#define CNTV_CTL_ISTATUS 4u
#define NO_DEADLINE 0u

static struct {
    bool on;
    unsigned channel; /* the idle timer PD's */
    unsigned ncpus;
    bool asleep[SVMM_MAX_VCPUS];
    uint64_t deadline[SVMM_MAX_VCPUS]; /* physical counter; NO_DEADLINE: only an interrupt wakes it */
    uint64_t cntvoff[SVMM_MAX_VCPUS];  /* virtual count = physical count - CNTVOFF */
    uint64_t published;                /* what the timer page says now */
    struct {
        void (*fn)(void *ctx);
        void *ctx;
        uint64_t deadline; /* physical counter; NO_DEADLINE: none */
    } device;                          /* sel4_idle_device_timer: the watchdog's deadline */
    struct {
        uint64_t sleeps, irq_wakes, timer_wakes, signals;
    } stats;
} idle;

void sel4_idle_init(unsigned ncpus, bool want, unsigned channel)
{
    idle.ncpus = ncpus < SVMM_MAX_VCPUS ? ncpus : SVMM_MAX_VCPUS;
    idle.on = idle_timer_vaddr != 0 && want;
    idle.channel = channel;
    /* The kernel never changes CNTVOFF itself (KernelArmVtimerUpdateVOffset is off in Microkit's SDKs). */
    for (unsigned i = 0; idle.on && i < idle.ncpus; i++)
        idle.cntvoff[i] = sel4_vcpu_read_reg(i, seL4_VCPUReg_CNTVOFF);
    /* Nothing logged here: VMMs start together and their lines split each other's on the shared UART;
     * the exit summary's "idle:" line says that vCPUs slept. */
}

/*
 * Must the timer PD be told that the page now says `next` instead of `prev`? Not when `next` is
 * none, nor when it is later than a `prev` that has not passed yet (`now`: the counter read after
 * the page was written): the timer is then armed for `prev` or earlier, and when it fires it reads
 * the page again and arms for `next`. Once `prev` has passed, the timer may have fired for it
 * already, signalled us and turned itself off: a later deadline then needs the signal as much as
 * an earlier one (without it, a second vCPU's later deadline was never watched, and with every
 * vCPU asleep the VM stalled for good: 1 boot in 6 of sel4-boot on GICv3, during CPU hotplug).
 */
static bool timer_must_look(uint64_t prev, uint64_t next, uint64_t now)
{
    if (next == NO_DEADLINE)
        return false;
    return prev == NO_DEADLINE || next < prev || prev <= now;
}

/* The earliest deadline of the sleeping vCPUs into the timer page, and a signal if timer_must_look. */
static void publish(void)
{
    volatile struct sel4_idle_page *page = (volatile struct sel4_idle_page *)idle_timer_vaddr;
    uint64_t d = NO_DEADLINE, prev = idle.published;

    for (unsigned i = 0; i < idle.ncpus; i++)
        if (idle.asleep[i] && idle.deadline[i] != NO_DEADLINE && (d == NO_DEADLINE || idle.deadline[i] < d))
            d = idle.deadline[i];
    if (idle.device.deadline != NO_DEADLINE && (d == NO_DEADLINE || idle.device.deadline < d))
        d = idle.device.deadline;
    if (d == prev)
        return;
    __atomic_store_n(&page->deadline, d, __ATOMIC_RELEASE);
    idle.published = d;
    /* The page is written before the counter is read: a timer that looks after `now` sees `d`. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (timer_must_look(prev, d, sel4_counter_ticks())) {
        idle.stats.signals++;
        sel4_channel_notify(idle.channel);
    }
}

/*
 * When `vcpu`'s virtual timer fires, as a physical counter value, into *deadline (NO_DEADLINE if it
 * is off or masked). False if it has fired already: the vCPU must run to take that interrupt.
 */
static bool timer_deadline(unsigned vcpu, uint64_t *deadline)
{
    seL4_Word ctl = sel4_vcpu_read_reg(vcpu, seL4_VCPUReg_CNTV_CTL);

    *deadline = NO_DEADLINE;
    if (!(ctl & CNTV_CTL_ENABLE) || (ctl & CNTV_CTL_IMASK))
        return true;
    if (ctl & CNTV_CTL_ISTATUS)
        return false;
    *deadline = sel4_vcpu_read_reg(vcpu, seL4_VCPUReg_CNTV_CVAL) + idle.cntvoff[vcpu];
    /* Also refuses a deadline that wrapped to NO_DEADLINE: it lies in the past. */
    return *deadline > sel4_counter_ticks();
}

bool sel4_idle_sleep(unsigned vcpu)
{
    uint64_t deadline;

    if (!idle.on || vcpu >= idle.ncpus || !timer_deadline(vcpu, &deadline))
        return false;
    /* Suspending also drops the pending reply to its exit: the WFI re-executes when it is resumed. */
    sel4_vcpu_halt(vcpu);
    idle.asleep[vcpu] = true;
    idle.deadline[vcpu] = deadline;
    idle.stats.sleeps++;
    publish();
    return true;
}

static void wake(unsigned vcpu)
{
    int err;

    idle.asleep[vcpu] = false;
    err = sel4_vcpu_resume(vcpu);
    if (err != seL4_NoError)
        svmm_err("vCPU %u: cannot resume it from WFI (seL4 error %d)", vcpu, (int)err);
    publish();
}

void sel4_idle_kick(unsigned vcpu)
{
    if (vcpu >= idle.ncpus || !idle.asleep[vcpu])
        return;
    idle.stats.irq_wakes++;
    wake(vcpu);
}

void sel4_idle_notified(unsigned ch)
{
    uint64_t now;

    if (!idle.on || ch != idle.channel)
        return;
    now = sel4_counter_ticks();
    for (unsigned i = 0; i < idle.ncpus; i++) {
        if (idle.asleep[i] && idle.deadline[i] != NO_DEADLINE && idle.deadline[i] <= now) {
            idle.stats.timer_wakes++;
            wake(i);
        }
    }
    if (idle.device.deadline != NO_DEADLINE && idle.device.deadline <= now) {
        idle.device.deadline = NO_DEADLINE; /* fn re-arms if it needs to */
        publish();
        idle.device.fn(idle.device.ctx);
    }
}

bool sel4_idle_device_timer(void (*fn)(void *ctx), void *ctx)
{
    if (!idle.on)
        return false;
    idle.device.fn = fn;
    idle.device.ctx = ctx;
    idle.device.deadline = NO_DEADLINE;
    return true;
}

void sel4_idle_device_arm(uint64_t deadline)
{
    if (!idle.on || idle.device.fn == NULL)
        return;
    idle.device.deadline = deadline;
    publish();
}

uint64_t sel4_idle_guest_counter(void)
{
    return sel4_counter_ticks() - idle.cntvoff[0];
}

uint64_t sel4_idle_guest_to_physical(uint64_t guest_count)
{
    uint64_t phys = guest_count + idle.cntvoff[0];

    return phys < guest_count ? UINT64_MAX : phys; /* past the counter's range: never (in practice) */
}

void sel4_idle_reset(void)
{
    /* The vCPUs are suspended already (the VMM halted them): forget who slept and when it was due. */
    for (unsigned i = 0; i < idle.ncpus; i++) {
        idle.asleep[i] = false;
        idle.deadline[i] = NO_DEADLINE;
    }
    /* Withdraws the published deadline without a signal; one already in flight finds nobody asleep. */
    if (idle.on)
        publish();
}

void sel4_idle_log_stats(const char *head)
{
    if (idle.on)
        svmm_info("%s: %llu WFI sleeps, woken %llu times by an interrupt and %llu by the timer; %llu timer signals",
                  head, (unsigned long long)idle.stats.sleeps, (unsigned long long)idle.stats.irq_wakes,
                  (unsigned long long)idle.stats.timer_wakes, (unsigned long long)idle.stats.signals);
    idle.stats.sleeps = idle.stats.irq_wakes = idle.stats.timer_wakes = idle.stats.signals = 0; /* per boot */
}
