/* SPDX-License-Identifier: BSD-2-Clause */
#include "sel4_clock.h"

uint64_t sel4_counter_ticks(void)
{
    uint64_t cnt;

    /* The isb keeps the read from being taken early, before the code that asks for the time. */
    __asm__ volatile("isb; mrs %0, cntpct_el0" : "=r"(cnt) : : "memory");
    return cnt;
}

uint64_t sel4_counter_hz(void)
{
    uint64_t frq;

    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
    return frq;
}

uint64_t sel4_counter_ns(void)
{
    uint64_t cnt = sel4_counter_ticks(), frq = sel4_counter_hz();

    /* Split so that cnt * 10^9 cannot overflow. */
    return frq ? cnt / frq * 1000000000u + cnt % frq * 1000000000u / frq : 0;
}
