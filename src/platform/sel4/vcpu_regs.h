/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading and writing just the guest registers an exit needs, through the vCPU's TCB. */
#ifndef SVMM_SEL4_VCPU_REGS_H
#define SVMM_SEL4_VCPU_REGS_H

#include <microkit.h>
#include <stdbool.h>
#include <svmm/aarch64.h>

/* Leading seL4_UserContext words to copy to reach register xN (pc, sp and spsr alone for N >= 31: XZR). */
unsigned vcpu_ctx_words_for_reg(unsigned x);

/* Read the first `words` (1..34, i.e. up to x28) context words of `vcpu`: pc, spsr and the x registers
 * they hold into regs (x[31] = 0), sp and spsr into ctx. Registers beyond the prefix are not meaningful
 * (x0 holds junk when words < 4, sp and spsr when words < 3), so read only what you asked for. */
bool vcpu_regs_read(unsigned vcpu, unsigned words, struct aarch64_gprs *regs, seL4_UserContext *ctx);

/* Write pc and x registers back, the first `words` (1..34) context words only (1 = pc alone). */
bool vcpu_regs_write(unsigned vcpu, unsigned words, const struct aarch64_gprs *regs, seL4_UserContext *ctx,
                     bool resume);

/*
 * Put `vcpu` at `pc` with x0 = `x0` and every other general register zero, in EL1h with interrupts
 * masked and the MMU and caches off. `resume`: make it runnable now; false: it runs when the exit it
 * is blocked in is replied to (the caller's own exit: a passive VMM must reply to give the vCPU its
 * scheduling context back, so it must not be restarted from under that exit).
 */
bool vcpu_enter(unsigned vcpu, uint64_t pc, uint64_t x0, bool resume);

/* vcpu_enter(vcpu, pc, x0, true): start a vCPU that is not in an exit being handled (PSCI CPU_ON). */
bool vcpu_start(unsigned vcpu, uint64_t pc, uint64_t x0);

#endif
