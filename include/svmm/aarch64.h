/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * arm64 exit decoding and emulation shared by every platform that sees raw exits (seL4): ESR
 * decode for data aborts and trapped system registers, MMIO emulation against the VM's bus.
 * Values come straight from a guest exit and are validated here.
 */
#ifndef SVMM_AARCH64_H
#define SVMM_AARCH64_H

#include <stdbool.h>
#include <stdint.h>
#include <svmm/vm.h>

/* Exception classes (ESR_ELx.EC) that reach a VMM. */
#define ESR_EC_WFX 0x01
#define ESR_EC_HVC64 0x16
#define ESR_EC_SMC64 0x17
#define ESR_EC_SYSREG 0x18
#define ESR_EC_DABT_LOW 0x24

static inline unsigned esr_ec(uint64_t esr) { return (unsigned)(esr >> 26) & 0x3f; }

/* A decoded data abort with a valid instruction syndrome. */
struct aarch64_dabt {
    bool write;
    unsigned size;     /* bytes: 1, 2, 4 or 8 */
    unsigned rt;       /* 0..30, or 31 = XZR */
    bool sign_extend;  /* loads: SSE */
    bool reg64;        /* loads: SF, the destination is an X register */
};

/* Decode a data abort ESR; -1 when it is not a data abort or ISV = 0 (no syndrome to emulate from). */
int aarch64_decode_dabt(uint64_t esr, struct aarch64_dabt *out);

/* A trapped MSR/MRS (EC 0x18). */
struct aarch64_sysreg {
    unsigned op0, op1, crn, crm, op2;
    unsigned rt;
    bool read; /* MRS */
};

/* Encode op0..op2 the way aarch64_sysreg_id() reports them, for comparisons. */
#define AARCH64_SYSREG(op0, op1, crn, crm, op2) \
    (((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))
#define SYSREG_ICC_SGI1R_EL1 AARCH64_SYSREG(3, 0, 12, 11, 5)

/* Decode an EC 0x18 ESR; -1 for another class. */
int aarch64_decode_sysreg(uint64_t esr, struct aarch64_sysreg *out);

/* The AARCH64_SYSREG() id of a decoded access. */
static inline unsigned aarch64_sysreg_id(const struct aarch64_sysreg *s)
{
    return AARCH64_SYSREG(s->op0, s->op1, s->crn, s->crm, s->op2);
}

/* The general-purpose registers an exit handler needs; x[31] reads as zero (XZR). */
struct aarch64_gprs {
    uint64_t x[32];
    uint64_t pc;
};

/*
 * Emulate the load or store of a data abort at guest-physical `gpa` against the VM's MMIO bus:
 * stores take x[rt], loads write x[rt] (sign/zero-extended as the syndrome says), and pc advances
 * by 4. Returns -1, changing nothing, when the ESR carries no usable syndrome (the caller must
 * then stop the vCPU rather than guess).
 */
int aarch64_emulate_mmio(struct svmm_vm *vm, uint64_t esr, uint64_t gpa, struct aarch64_gprs *regs);

/* The same for a syndrome the caller has already decoded with aarch64_decode_dabt(); cannot fail. */
void aarch64_emulate_dabt(struct svmm_vm *vm, const struct aarch64_dabt *d, uint64_t gpa, struct aarch64_gprs *regs);

#endif
