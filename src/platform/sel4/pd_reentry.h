/* SPDX-License-Identifier: BSD-2-Clause */
/* A protection domain its parent can start again as freshly loaded (pd_reentry.c has how). */
#ifndef SVMM_SEL4_PD_REENTRY_H
#define SVMM_SEL4_PD_REENTRY_H
#include <stdbool.h>
#include <stdint.h>

/*
 * Where the parent restarts this PD (seL4_TCB_WriteRegisters: pc, sp, resume): false when the image
 * was too big to save or its saved copy no longer checks out, and the PD cannot be restarted.
 */
bool pd_reentry_entry(uintptr_t *pc, uintptr_t *sp);

/* How many times the program has started: 1 at boot, +1 for each restart by the parent. */
unsigned pd_reentry_starts(void);

#endif
