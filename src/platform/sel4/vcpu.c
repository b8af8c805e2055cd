/* SPDX-License-Identifier: BSD-2-Clause */
/* vCPU registers and control (svmm/sel4/vcpu.h). */
#include <svmm/arch.h>
#include <svmm/sel4/vcpu.h>

/*
 * seL4_UserContext on aarch64 is pc, sp, spsr, x0..x8, x16, x17, x18, x29, x30, x9..x15,
 * x19..x28, tpidr_el0, tpidrro_el0. The kernel copies a prefix of it, so an exit that needs x3
 * copies 7 words, not 36.
 *
 * The exit path invokes TCB_ReadRegisters/WriteRegisters directly rather than through libsel4's
 * stubs, which marshal all 36 words every time (and a struct copy of them cost more than the
 * kernel's part; docs/performance.md): only the `words` message registers that carry the prefix
 * are read or written. Message register i + 2 of a WriteRegisters (i of a ReadRegisters reply)
 * holds context word i; the first four message registers travel in CPU registers.
 */
#define CTX_WORDS (sizeof(seL4_UserContext) / sizeof(seL4_Word))
#define NO_X 0xff

/* Context word -> x register number (NO_X for pc, sp, spsr and the thread-ID registers). */
static const uint8_t x_of_word[CTX_WORDS] = {
    NO_X, NO_X, NO_X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 17, 18, 29, 30,
    9, 10, 11, 12, 13, 14, 15, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, NO_X, NO_X,
};

static unsigned ctx_index(unsigned x)
{
    if (x <= 8)
        return 3 + x;
    if (x <= 15)
        return 17 + (x - 9);
    if (x <= 18)
        return 12 + (x - 16);
    if (x <= 28)
        return 24 + (x - 19);
    return 15 + (x - 29); /* x29, x30 */
}

unsigned sel4_vcpu_ctx_words_for_reg(unsigned x)
{
    /* At least pc, sp and spsr: the emulation checks the guest's execution state (SPSR.M[4]). */
    return x < 31 ? ctx_index(x) + 1 : 3;
}

/* Up to x28: the thread-ID registers after it are never needed by an exit, nor copied. */
#define MAX_WORDS 34

bool sel4_vcpu_regs_read(unsigned vcpu, unsigned words, struct aarch64_gprs *regs, seL4_UserContext *ctx)
{
    seL4_Word mr0 = 0, mr1 = words, mr2 = 0, mr3 = 0;
    const seL4_Word *msg = seL4_GetIPCBuffer()->msg;
    seL4_MessageInfo_t tag;

    if (words == 0 || words > MAX_WORDS)
        return false;
    tag = seL4_CallWithMRs(BASE_VM_TCB_CAP + vcpu, seL4_MessageInfo_new(TCBReadRegisters, 0, 0, 2), &mr0, &mr1, &mr2,
                           &mr3);
    if (seL4_MessageInfo_get_label(tag) != seL4_NoError)
        return false;
    /* Words past `words` hold whatever the kernel left in those registers: harmless, and never used. */
    regs->pc = mr0;
    ctx->sp = mr1;
    ctx->spsr = regs->spsr = mr2;
    regs->x[0] = mr3;
    regs->x[31] = 0; /* XZR, never read from the context */
    for (unsigned i = 4; i < words; i++)
        regs->x[x_of_word[i]] = msg[i];
    return true;
}

bool sel4_vcpu_regs_write(unsigned vcpu, unsigned words, const struct aarch64_gprs *regs, seL4_UserContext *ctx,
                          bool resume)
{
    seL4_Word *msg = seL4_GetIPCBuffer()->msg;
    seL4_Word mr0 = resume ? 1 : 0, mr1 = words, mr2 = regs->pc, mr3 = ctx->sp;
    seL4_MessageInfo_t tag;

    if (words == 0 || words > MAX_WORDS)
        return false;
    if (words > 2) {
        msg[4] = ctx->spsr;
        for (unsigned i = 3; i < words; i++)
            msg[i + 2] = regs->x[x_of_word[i]];
    }
    tag = seL4_CallWithMRs(BASE_VM_TCB_CAP + vcpu, seL4_MessageInfo_new(TCBWriteRegisters, 0, 0, 2 + words), &mr0,
                           &mr1, &mr2, &mr3);
    return seL4_MessageInfo_get_label(tag) == seL4_NoError;
}

#define SCTLR_M (1u << 0)  /* stage-1 MMU */
#define SCTLR_C (1u << 2)  /* data caches */
#define SCTLR_I (1u << 12) /* instruction caches */

bool sel4_vcpu_enter(unsigned vcpu, uint64_t pc, uint64_t x0, bool resume)
{
    seL4_UserContext ctx = { 0 };
    seL4_ARM_VCPU_ReadRegs_t sctlr = seL4_ARM_VCPU_ReadRegs(BASE_VCPU_CAP + vcpu, seL4_VCPUReg_SCTLR);

    /* PSCI CPU_ON and a reset enter with the MMU and caches off: a vCPU that ran before still has them on. */
    if (sctlr.error != seL4_NoError ||
        seL4_ARM_VCPU_WriteRegs(BASE_VCPU_CAP + vcpu, seL4_VCPUReg_SCTLR, sctlr.value & ~(seL4_Word)(SCTLR_M | SCTLR_C | SCTLR_I)) !=
            seL4_NoError)
        return false;

    ctx.pc = pc;
    ctx.x0 = x0;
    ctx.spsr = 0x3c5; /* EL1h, DAIF masked */
    /*
     * The whole context, not just pc..x0: Linux's boot protocol wants x1-x3 zero (it warns
     * otherwise), and a restarted vCPU must not carry the last boot's registers into the next.
     */
    return seL4_TCB_WriteRegisters(BASE_VM_TCB_CAP + vcpu, resume, 0, CTX_WORDS, &ctx) == seL4_NoError;
}

bool sel4_vcpu_start(unsigned vcpu, uint64_t pc, uint64_t x0)
{
    return sel4_vcpu_enter(vcpu, pc, x0, true);
}

void sel4_vcpu_halt(unsigned vcpu)
{
    microkit_vcpu_stop(vcpu);
}

int sel4_vcpu_resume(unsigned vcpu)
{
    return (int)seL4_TCB_Resume(BASE_VM_TCB_CAP + vcpu);
}

uint64_t sel4_vcpu_read_reg(unsigned vcpu, seL4_Word reg)
{
    return microkit_vcpu_arm_read_reg(vcpu, reg);
}

void sel4_vcpu_write_reg(unsigned vcpu, seL4_Word reg, uint64_t value)
{
    microkit_vcpu_arm_write_reg(vcpu, reg, value);
}

void sel4_vcpu_set_mpidr(unsigned vcpu)
{
    microkit_vcpu_arm_write_reg(vcpu, seL4_VCPUReg_VMPIDR_EL2, (1ull << 31) | svmm_arch_vcpu_affinity(vcpu));
}

/*
 * EL1 state a boot leaves in the vCPU object. Linux sets each before relying on it; zeroing them
 * keeps one boot's addresses and values from the next, whatever it runs. Zero is each one's reset
 * value or an allowed one. SCTLR loses M/C/I in sel4_vcpu_enter; ACTLR is implementation defined
 * and ISR read-only; CNTVOFF stays (idle.c relies on it never changing).
 */
static const seL4_Word el1_regs_zeroed[] = {
    seL4_VCPUReg_CPACR, seL4_VCPUReg_TTBR0, seL4_VCPUReg_TTBR1, seL4_VCPUReg_TCR, seL4_VCPUReg_MAIR,
    seL4_VCPUReg_AMAIR, seL4_VCPUReg_CIDR, seL4_VCPUReg_AFSR0, seL4_VCPUReg_AFSR1, seL4_VCPUReg_ESR,
    seL4_VCPUReg_FAR, seL4_VCPUReg_VBAR, seL4_VCPUReg_TPIDR_EL1, seL4_VCPUReg_SP_EL1, seL4_VCPUReg_ELR_EL1,
    seL4_VCPUReg_SPSR_EL1, seL4_VCPUReg_CNTV_CTL, seL4_VCPUReg_CNTV_CVAL, seL4_VCPUReg_CNTKCTL_EL1,
};

void sel4_vcpu_reset_el1(unsigned vcpu)
{
    for (unsigned r = 0; r < sizeof(el1_regs_zeroed) / sizeof(el1_regs_zeroed[0]); r++)
        microkit_vcpu_arm_write_reg(vcpu, el1_regs_zeroed[r], 0);
    sel4_vcpu_set_mpidr(vcpu);
}
