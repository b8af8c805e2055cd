/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The low-level seL4 API, fault decode (src/platform/sel4/fault.c). Every exit of a vCPU reaches
 * its VMM as a fault message: Microkit calls the PD's fault() with the child (the vCPU) and the
 * message info, whose label says the kind and whose message registers carry its data. This turns
 * one into a portable exit that names what happened in the architecture's words (ESR, IPA, INTID),
 * so the VMM dispatches on a kind and never reads a message register itself.
 */
#ifndef SVMM_SEL4_FAULT_H
#define SVMM_SEL4_FAULT_H

#include <microkit.h>
#include <stdint.h>

/* What a vCPU's exit is. */
enum sel4_exit_kind {
    SEL4_EXIT_DATA_ABORT,       /* stage-2 fault on a load or store: an emulated device (esr, ipa, pc) */
    SEL4_EXIT_PREFETCH_ABORT,   /* stage-2 fault on an instruction fetch (esr, ipa, pc) */
    SEL4_EXIT_SMC,              /* SMC trapped (esr): PSCI and SMCCC on seL4 */
    SEL4_EXIT_HVC,              /* HVC: seL4 takes it as an unknown syscall (pc not advanced) */
    SEL4_EXIT_SYSREG,           /* MSR/MRS trapped (esr) */
    SEL4_EXIT_WFX,              /* WFI or WFE trapped (esr) */
    SEL4_EXIT_VCPU_OTHER,       /* any other exception class the kernel passed up (esr) */
    SEL4_EXIT_VGIC_MAINTENANCE, /* the guest EOI'd list register `lr` (-1: the kernel names none) */
    SEL4_EXIT_VPPI,             /* a private peripheral interrupt for the vCPU (irq: the virtual timer's) */
    SEL4_EXIT_UNKNOWN,          /* a fault label no vCPU exit has (label) */
};

/* One decoded exit; which fields mean something depends on `kind` (above). */
struct sel4_exit {
    enum sel4_exit_kind kind; /* what happened */
    uint64_t esr;   /* the syndrome (ESR_EL2) of aborts and trapped instructions */
    uint64_t ipa;   /* aborts: the guest-physical address (seL4 reports the IPA, not the guest's virtual FAR) */
    uint64_t pc;    /* aborts: the faulting instruction's address */
    int lr;         /* VGIC maintenance: the list register the guest EOI'd, or -1 */
    uint32_t irq;   /* VPPI: the interrupt's INTID */
    uint64_t label; /* the seL4 fault label as received */
};

/* Decode the fault message Microkit passed to fault() into `e`. Reads only the message registers. */
void sel4_fault_decode(microkit_msginfo msginfo, struct sel4_exit *e);

/* A short name of an exit kind for log lines ("data abort", "SMC", ...). */
const char *sel4_exit_kind_name(enum sel4_exit_kind kind);

#endif
