/* SPDX-License-Identifier: BSD-2-Clause */
/* Fault decode (svmm/sel4/fault.h): a Microkit fault label and its message registers as a portable exit. */
#include <svmm/aarch64.h>
#include <svmm/sel4/fault.h>

static enum sel4_exit_kind vcpu_fault_kind(uint64_t esr)
{
    switch (esr_ec(esr)) {
    case ESR_EC_SMC64:
        return SEL4_EXIT_SMC;
    case ESR_EC_WFX:
        return SEL4_EXIT_WFX;
    case ESR_EC_SYSREG:
        return SEL4_EXIT_SYSREG;
    default:
        return SEL4_EXIT_VCPU_OTHER;
    }
}

void sel4_fault_decode(microkit_msginfo msginfo, struct sel4_exit *e)
{
    seL4_Word idx;

    e->label = microkit_msginfo_get_label(msginfo);
    switch (e->label) {
    case seL4_Fault_VMFault:
        e->esr = microkit_mr_get(seL4_VMFault_FSR);
        e->ipa = microkit_mr_get(seL4_VMFault_Addr);
        e->pc = microkit_mr_get(seL4_VMFault_IP);
        e->kind = microkit_mr_get(seL4_VMFault_PrefetchFault) ? SEL4_EXIT_PREFETCH_ABORT : SEL4_EXIT_DATA_ABORT;
        return;
    case seL4_Fault_VCPUFault:
        e->esr = microkit_mr_get(seL4_VCPUFault_HSR);
        e->kind = vcpu_fault_kind(e->esr);
        return;
    case seL4_Fault_VGICMaintenance:
        idx = microkit_mr_get(seL4_VGICMaintenance_IDX); /* -1 (all ones) when the kernel found no LR */
        e->lr = idx < 64 ? (int)idx : -1;
        e->kind = SEL4_EXIT_VGIC_MAINTENANCE;
        return;
    case seL4_Fault_VPPIEvent:
        e->irq = (uint32_t)microkit_mr_get(seL4_VPPIEvent_IRQ);
        e->kind = SEL4_EXIT_VPPI;
        return;
    case seL4_Fault_UnknownSyscall:
        e->kind = SEL4_EXIT_HVC;
        return;
    default:
        e->kind = SEL4_EXIT_UNKNOWN;
        return;
    }
}

const char *sel4_exit_kind_name(enum sel4_exit_kind kind)
{
    static const char *const names[] = {
        [SEL4_EXIT_DATA_ABORT] = "data abort",  [SEL4_EXIT_PREFETCH_ABORT] = "prefetch abort",
        [SEL4_EXIT_SMC] = "SMC",                [SEL4_EXIT_HVC] = "HVC",
        [SEL4_EXIT_SYSREG] = "MSR/MRS",         [SEL4_EXIT_WFX] = "WFx",
        [SEL4_EXIT_VCPU_OTHER] = "vCPU fault",  [SEL4_EXIT_VGIC_MAINTENANCE] = "VGIC maintenance",
        [SEL4_EXIT_VPPI] = "VPPI",              [SEL4_EXIT_UNKNOWN] = "unknown fault",
    };

    return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown fault";
}
