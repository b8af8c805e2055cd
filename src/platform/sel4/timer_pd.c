/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The idle timer as a Microkit protection domain (its own program, svmm-timer.elf): it wakes the
 * VMMs whose vCPUs sleep in WFI at their virtual-timer deadlines (sel4_idle.h).
 *
 * Its clock is the EL1 physical timer (CNTP_*_EL0, INTID 30), which Microkit's qemu_virt_aarch64
 * kernels export to user level (KernelArmExportPTMRUser) and nothing else on the board uses: the
 * kernel's own timer is the hypervisor timer, the guests' is the virtual timer. Client i (a VMM)
 * publishes a deadline in its page, mapped here read-only at idle_client<i> and read once per look,
 * and signals channel IDLE_TIMER_CLIENT_CHANNEL(i); the timer signals it back when that deadline has
 * passed, once per deadline, whatever the page says. It has nothing to log, so it has no UART either
 * (a line from it would also run into the other PDs' start-up lines on the shared UART).
 */
#include <microkit.h>
#include "sel4_clock.h"
#include "sel4_idle.h"

#define CLIENT_VARS(i) uintptr_t idle_client##i;
CLIENT_VARS(0) CLIENT_VARS(1) CLIENT_VARS(2) CLIENT_VARS(3) CLIENT_VARS(4) CLIENT_VARS(5) CLIENT_VARS(6)
CLIENT_VARS(7) CLIENT_VARS(8) CLIENT_VARS(9) CLIENT_VARS(10) CLIENT_VARS(11) CLIENT_VARS(12) CLIENT_VARS(13)
CLIENT_VARS(14) CLIENT_VARS(15)
_Static_assert(IDLE_TIMER_MAX_CLIENTS == 16, "one CLIENT_VARS per client");
static const uintptr_t *const client_vaddrs[IDLE_TIMER_MAX_CLIENTS] = {
    &idle_client0, &idle_client1, &idle_client2,  &idle_client3,  &idle_client4,  &idle_client5,
    &idle_client6, &idle_client7, &idle_client8,  &idle_client9,  &idle_client10, &idle_client11,
    &idle_client12, &idle_client13, &idle_client14, &idle_client15,
};

#define CNTP_CTL_ENABLE 1u

/* The deadline each client was last signalled for: a passed deadline is signalled once. */
static uint64_t signalled[IDLE_TIMER_MAX_CLIENTS];

/* Interrupt at `cval` (physical count); the timer condition holding already raises it at once. */
static void timer_arm(uint64_t cval)
{
    __asm__ volatile("msr cntp_cval_el0, %0; msr cntp_ctl_el0, %1; isb" : : "r"(cval), "r"((uint64_t)CNTP_CTL_ENABLE)
                     : "memory");
}

/* Disabled, the timer drops its (level-triggered) interrupt line. */
static void timer_off(void)
{
    __asm__ volatile("msr cntp_ctl_el0, %0; isb" : : "r"((uint64_t)0) : "memory");
}

static uint64_t client_deadline(unsigned i)
{
    const struct sel4_idle_page *page = (const struct sel4_idle_page *)*client_vaddrs[i];

    return __atomic_load_n(&page->deadline, __ATOMIC_ACQUIRE);
}

/* Signal every client whose deadline has passed, then arm the timer for the earliest one still ahead. */
static void serve(void)
{
    uint64_t now = sel4_counter_ticks(), next = UINT64_MAX;

    for (unsigned i = 0; i < IDLE_TIMER_MAX_CLIENTS; i++) {
        uint64_t d;
        if (*client_vaddrs[i] == 0)
            continue;
        d = client_deadline(i);
        if (d == 0 || d == signalled[i])
            continue;
        if (d <= now) {
            signalled[i] = d;
            microkit_notify(IDLE_TIMER_CLIENT_CHANNEL(i));
        } else if (d < next) {
            next = d;
        }
    }
    if (next == UINT64_MAX)
        timer_off();
    else
        timer_arm(next);
}

void init(void)
{
    timer_off();
}

void notified(microkit_channel ch)
{
    /* Any client's signal or the interrupt: look at every client (a deadline may have moved either way). */
    serve();
    if (ch == IDLE_TIMER_IRQ_CHANNEL)
        microkit_irq_ack(ch);
}
