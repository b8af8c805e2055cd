/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The low-level seL4 API, vCPUs (src/platform/sel4/vcpu.c). A Microkit VMM protection domain owns
 * its VM's vCPUs as `virtual_machine` children: vCPU i is TCB BASE_VM_TCB_CAP + i and VCPU object
 * BASE_VCPU_CAP + i. These calls start, stop and restart them and read and write their registers,
 * copying only the prefix of the register context an exit needs (the exit path's main cost).
 * Single-threaded, as a Microkit PD is; `vcpu` is never checked against the VM's count here.
 */
#ifndef SVMM_SEL4_VCPU_H
#define SVMM_SEL4_VCPU_H

#include <microkit.h>
#include <stdbool.h>
#include <stdint.h>
#include <svmm/aarch64.h>

/* Leading seL4_UserContext words to copy to reach register xN (pc, sp and spsr alone for N >= 31: XZR). */
unsigned sel4_vcpu_ctx_words_for_reg(unsigned x);

/*
 * Read the first `words` (1..34, i.e. up to x28) context words of `vcpu`: pc, spsr and the x
 * registers they hold into regs (x[31] = 0), sp and spsr into ctx. Registers beyond the prefix are
 * not meaningful (x0 holds junk when words < 4, sp and spsr when words < 3): read only what you
 * asked for. The vCPU must be blocked (in an exit, or halted).
 */
bool sel4_vcpu_regs_read(unsigned vcpu, unsigned words, struct aarch64_gprs *regs, seL4_UserContext *ctx);

/*
 * Write pc and x registers back, the first `words` (1..34) context words only (1 = pc alone), with
 * sp and spsr from `ctx` (as sel4_vcpu_regs_read filled it). `resume`: make the vCPU runnable now;
 * false for the vCPU whose exit is being handled (the reply resumes it).
 */
bool sel4_vcpu_regs_write(unsigned vcpu, unsigned words, const struct aarch64_gprs *regs, seL4_UserContext *ctx,
                          bool resume);

/*
 * Put `vcpu` at `pc` with x0 = `x0` and every other general register zero, in EL1h with interrupts
 * masked and the MMU and caches off. `resume`: make it runnable now; false: it runs when the exit it
 * is blocked in is replied to (the caller's own exit: a passive VMM must reply to give the vCPU its
 * scheduling context back, so it must not be restarted from under that exit).
 */
bool sel4_vcpu_enter(unsigned vcpu, uint64_t pc, uint64_t x0, bool resume);

/* sel4_vcpu_enter(vcpu, pc, x0, true): start a vCPU that is not in an exit being handled (boot, PSCI CPU_ON). */
bool sel4_vcpu_start(unsigned vcpu, uint64_t pc, uint64_t x0);

/* Suspend `vcpu` (TCB_Suspend): it runs no more and a reply pending to its exit is dropped. Halting a halted vCPU is harmless. */
void sel4_vcpu_halt(unsigned vcpu);

/* Resume a vCPU suspended by sel4_vcpu_halt (TCB_Resume): it re-executes the instruction it trapped on. Returns the seL4 error. */
int sel4_vcpu_resume(unsigned vcpu);

/* Read a register of the vCPU object (seL4_VCPUReg_*: EL1 system registers, the virtual timer, VMPIDR). */
uint64_t sel4_vcpu_read_reg(unsigned vcpu, seL4_Word reg);

/* Write a register of the vCPU object (seL4_VCPUReg_*). */
void sel4_vcpu_write_reg(unsigned vcpu, seL4_Word reg, uint64_t value);

/* Write VMPIDR_EL2 as the guest's device tree describes vCPU `vcpu` (svmm_arch_vcpu_affinity; bit 31 RES1). */
void sel4_vcpu_set_mpidr(unsigned vcpu);

/*
 * `vcpu`'s EL1 state back to its reset values, for a vCPU that ran a boot before: page tables,
 * vectors, stacks, thread pointer, syndrome, virtual timer (CNTV_CTL, CVAL, CNTKCTL) zeroed, VMPIDR
 * written again. CNTVOFF stays (the virtual counter runs on, as over a warm reset); the general
 * registers are sel4_vcpu_enter's. The kernel's mask of the virtual timer's VPPI is not touched:
 * sel4_irq_vtimer_ack (svmm/sel4/irq.h) lifts it.
 */
void sel4_vcpu_reset_el1(unsigned vcpu);

#endif
