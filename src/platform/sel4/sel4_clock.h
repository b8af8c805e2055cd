/* SPDX-License-Identifier: BSD-2-Clause */
/* Time for seL4 protection domains (sel4_clock.c). */
#ifndef SVMM_SEL4_CLOCK_H
#define SVMM_SEL4_CLOCK_H

#include <stdint.h>

/*
 * Nanoseconds from the ARM generic timer's physical count, which Microkit's aarch64 kernels let a PD
 * read (KernelArmExportPCNTUser); the virtual count is not exported to user level.
 */
uint64_t sel4_counter_ns(void);

/* The same count in its own ticks (CNTFRQ_EL0 per second): the unit of the generic timer's compare values. */
uint64_t sel4_counter_ticks(void);
/* Its frequency (CNTFRQ_EL0), ticks per second. */
uint64_t sel4_counter_hz(void);

#endif
