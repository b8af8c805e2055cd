/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PSCI 1.1 and SMCCC 1.1 emulation for platforms whose kernel leaves firmware calls to the VMM
 * (seL4). The arguments are the guest's x0..x3, untrusted; results follow the specs' error codes.
 */
#ifndef SVMM_PSCI_H
#define SVMM_PSCI_H

#include <stdbool.h>
#include <stdint.h>
#include <svmm/config.h>
#include <svmm/memmap.h>

/* Function ids (SMCCC function identifiers in x0) of the PSCI and SMCCC calls svmm implements. */
#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_SUSPEND_64 0xc4000001u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON_64 0xc4000003u
#define PSCI_AFFINITY_INFO_64 0xc4000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES 0x8400000au
#define SMCCC_VERSION 0x80000000u
#define SMCCC_ARCH_FEATURES 0x80000001u
#define SMC32_BIT 0x40000000u /* clear in the SMC32 variant of a function id */

/* PSCI return codes (x0 after the call). */
#define PSCI_RET_SUCCESS 0
#define PSCI_RET_NOT_SUPPORTED (-1)
#define PSCI_RET_INVALID_PARAMETERS (-2)
#define PSCI_RET_ALREADY_ON (-4)
#define PSCI_RET_INVALID_ADDRESS (-9)

/* What the platform does for the calls that change vCPU or VM state. */
struct psci_ops {
    void *ctx; /* passed to every operation */
    /* Start `vcpu` at `entry` (EL1h, interrupts masked, MMU off) with x0 = context_id. */
    void (*cpu_on)(void *ctx, unsigned vcpu, uint64_t entry, uint64_t context_id);
    /* Stop the calling vCPU; it does not return to the guest until a later CPU_ON. */
    void (*cpu_off)(void *ctx, unsigned vcpu);
    void (*system_off)(void *ctx);   /* SYSTEM_OFF: power the VM off */
    void (*system_reset)(void *ctx); /* SYSTEM_RESET: restart the VM */
};

/* The PSCI state of one VM: which vCPUs are on (psci_init, then psci_call per call). */
struct psci {
    unsigned ncpus;                /* vCPUs the VM has */
    bool on[SVMM_MAX_VCPUS];       /* whether each is on */
    const struct svmm_memmap *mem; /* CPU_ON entry points must be in guest RAM */
    struct psci_ops ops;           /* the platform's operations */
};

/* vCPU 0 starts on, the others off. */
void psci_init(struct psci *p, unsigned ncpus, const struct svmm_memmap *mem, const struct psci_ops *ops);

/* What the platform must do with the calling vCPU after psci_call(). */
enum psci_action {
    PSCI_RESUME,    /* write x[0] back and resume the caller */
    PSCI_VCPU_OFF,  /* the caller is off: do not resume it */
    PSCI_VM_DOWN,   /* SYSTEM_OFF or SYSTEM_RESET was requested */
};

/*
 * Handle an SMCCC call from `vcpu` with the guest's x[0..3]; on PSCI_RESUME, x[0] holds the
 * result (registers x1..x3 are left as the guest had them, as SMCCC 1.1 allows).
 */
enum psci_action psci_call(struct psci *p, unsigned vcpu, uint64_t x[4]);

#endif
