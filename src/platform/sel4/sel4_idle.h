/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Idle vCPUs sleep (idle.c in each VMM, timer_pd.c as the idle timer PD).
 *
 * A vCPU that executes WFI with nothing to take is not resumed into the same WFI (which traps again
 * at once: a busy loop through the kernel and the VMM that holds the core for the rest of the vCPU's
 * budget) but suspended, and restarted by the next interrupt injected into it or when its virtual
 * timer's deadline passes, whichever comes first. seL4 stops delivering a vCPU's virtual-timer
 * interrupt while the vCPU does not run, so the deadline is watched by the idle timer PD, which owns
 * the EL1 physical timer: each VMM writes the earliest deadline of its sleeping vCPUs into its own
 * page of the timer (read-only to the timer) and signals it when the timer must look at the page
 * again (idle.c, timer_must_look); the timer signals the VMM once the deadline has passed.
 */
#ifndef SVMM_SEL4_IDLE_H
#define SVMM_SEL4_IDLE_H

#include <stdbool.h>
#include <stdint.h>

/* The page a VMM shares with the idle timer PD. Only the VMM writes it. */
struct sel4_idle_page {
    /* Physical counter value (CNTPCT_EL0) after which the VMM wants a signal; 0: none. */
    uint64_t deadline;
};

/* The timer PD's channels: its interrupt, then one per VMM (client i on IDLE_TIMER_CLIENT_CHANNEL(i)). */
#define IDLE_TIMER_IRQ_CHANNEL 0u
#define IDLE_TIMER_CLIENT_CHANNEL(i) (1u + (i))
#define IDLE_TIMER_MAX_CLIENTS 16u

/*
 * Set up for `ncpus` vCPUs, the timer PD on channel `channel`. Sleeping is on when the SDF maps
 * this VMM's timer page and `want` (the VM has an idle timer and its VMM is not passive: a passive
 * VMM runs an exit on the faulting vCPU's scheduling context, which a vCPU suspended inside its
 * exit would never get back); otherwise WFI keeps resuming at once.
 */
void sel4_idle_init(unsigned ncpus, bool want, unsigned channel);

/*
 * `vcpu` trapped on WFI and has no interrupt to take (vgic_vcpu_has_work): suspend it until
 * sel4_idle_kick() or its timer deadline. Returns false, leaving it running, when sleeping is off or
 * its virtual timer has already fired; true means the VMM must not reply to the exit.
 */
bool sel4_idle_sleep(unsigned vcpu);

/* An interrupt was put into `vcpu`'s list registers: restart it if it sleeps. */
void sel4_idle_kick(unsigned vcpu);

/* A notification on channel `ch`: if it is the idle timer's, restart the vCPUs whose deadline passed. */
void sel4_idle_notified(unsigned ch);

/*
 * A device's own deadline (the watchdog's), watched by the same timer: `fn(ctx)` runs from
 * sel4_idle_notified once the physical counter has passed what sel4_idle_device_arm() last gave.
 * Returns false when the idle timer is off (no timer page, or a passive VMM): the device has no clock.
 */
bool sel4_idle_device_timer(void (*fn)(void *ctx), void *ctx);
/* The device's next deadline, a physical counter value; 0: none. Replaces the last one. */
void sel4_idle_device_arm(uint64_t deadline);
/* The guest's virtual counter now (vCPU 0's: CNTVOFF is the same for every vCPU and never changes). */
uint64_t sel4_idle_guest_counter(void);
/* A guest counter value as a physical one (for sel4_idle_device_arm). */
uint64_t sel4_idle_guest_to_physical(uint64_t guest_count);

/* A VM restart, with every vCPU halted: nobody sleeps any more and no deadline is published. */
void sel4_idle_reset(void);

/* One log line of the boot's sleep counters, "<head>: ..." (when sleeping is on), then zeroed. */
void sel4_idle_log_stats(const char *head);

#endif
