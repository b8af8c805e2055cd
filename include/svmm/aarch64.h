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
#include <svmm/mmio.h>

/* Exception classes (ESR_ELx.EC) that reach a VMM. */
#define ESR_EC_WFX 0x01
#define ESR_EC_HVC64 0x16
#define ESR_EC_SMC64 0x17
#define ESR_EC_SYSREG 0x18
#define ESR_EC_DABT_LOW 0x24

/* The exception class (ESR_ELx.EC, bits [31:26]) of a syndrome. */
/*@ assigns \nothing; ensures \result <= 0x3f; */
static inline unsigned esr_ec(uint64_t esr) { return (unsigned)(esr >> 26) & 0x3f; }

/* A trapped WFx (EC 0x01) was a WFI: ISS.TI is 0 (1 is WFE; 2 and 3, the timeout forms of Armv8.7). */
/*@ assigns \nothing; */
static inline bool esr_wfx_is_wfi(uint64_t esr) { return (esr & 3u) == 0; }

/* Bytes to step over the trapped instruction: ESR.IL says 32-bit (4) or a 16-bit T32 one (2). */
/*@ assigns \nothing; ensures \result == 2 || \result == 4; */
static inline unsigned esr_insn_len(uint64_t esr) { return (esr >> 25) & 1 ? 4 : 2; }

/* SPSR_ELx.M[4]: the guest was executing in AArch32 state, whose registers svmm does not emulate. */
/*@ assigns \nothing; */
static inline bool aarch64_spsr_is_aarch32(uint64_t spsr) { return (spsr >> 4) & 1; }

/* A decoded data abort with a valid instruction syndrome. */
struct aarch64_dabt {
    bool write;        /* a store (WnR) */
    unsigned size;     /* bytes: 1, 2, 4 or 8 */
    unsigned rt;       /* 0..30, or 31 = XZR */
    bool sign_extend;  /* loads: SSE */
    bool reg64;        /* loads: SF, the destination is an X register */
    unsigned insn_len; /* esr_insn_len(): how far pc advances past the access */
};

/* Decode a data abort ESR; -1 when it is not a data abort or ISV = 0 (no syndrome to emulate from). */
/*@
  requires \valid(out);
  assigns *out;
  ensures \result == 0 || \result == -1;
  ensures \result == 0 ==> (out->size == 1 || out->size == 2 || out->size == 4 || out->size == 8) &&
      out->rt <= 31 && (out->insn_len == 2 || out->insn_len == 4);
*/
int aarch64_decode_dabt(uint64_t esr, struct aarch64_dabt *out);

/* A trapped MSR/MRS (EC 0x18). */
struct aarch64_sysreg {
    unsigned op0, op1, crn, crm, op2; /* the register's encoding */
    unsigned rt;       /* 0..30, or 31 = XZR */
    bool read;         /* MRS */
    unsigned insn_len; /* esr_insn_len() */
};

/* Encode op0..op2 the way aarch64_sysreg_id() reports them, for comparisons. */
#define AARCH64_SYSREG(op0, op1, crn, crm, op2) \
    (((op0) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))
#define SYSREG_ICC_SGI1R_EL1 AARCH64_SYSREG(3, 0, 12, 11, 5)

/* Decode an EC 0x18 ESR; -1 for another class. */
/*@
  requires \valid(out);
  assigns *out;
  ensures \result == 0 || \result == -1;
  ensures \result == 0 ==> out->op0 <= 3 && out->op1 <= 7 && out->op2 <= 7 && out->crn <= 15 &&
      out->crm <= 15 && out->rt <= 31 && (out->insn_len == 2 || out->insn_len == 4);
*/
int aarch64_decode_sysreg(uint64_t esr, struct aarch64_sysreg *out);

/* The AARCH64_SYSREG() id of a decoded access. */
/*@ requires \valid_read(s) && s->op0 <= 3 && s->op1 <= 7 && s->op2 <= 7 && s->crn <= 15 && s->crm <= 15;
    assigns \nothing; */
static inline unsigned aarch64_sysreg_id(const struct aarch64_sysreg *s)
{
    return AARCH64_SYSREG(s->op0, s->op1, s->crn, s->crm, s->op2);
}

/*
 * The general-purpose registers an exit handler needs, and the guest's PSTATE at the exit. Register
 * number 31 in an instruction syndrome is XZR: go through aarch64_gpr()/aarch64_set_gpr(), which
 * read it as zero and drop writes to it, never index x[] with a syndrome's register number.
 */
struct aarch64_gprs {
    uint64_t x[32]; /* x0..x30 (x[31] unused: see above) */
    uint64_t pc;    /* the trapped instruction's address */
    uint64_t spsr;  /* the guest's PSTATE at the exit */
};

/* Register `n` of a syndrome (31 reads as XZR, zero). */
/*@ requires \valid_read(r); assigns \nothing; ensures n < 31 ==> \result == r->x[n]; ensures n >= 31 ==> \result == 0; */
static inline uint64_t aarch64_gpr(const struct aarch64_gprs *r, unsigned n) { return n < 31 ? r->x[n] : 0; }
/* Write register `n` of a syndrome (a write to 31, XZR, is dropped). */
/*@ requires \valid(r); assigns r->x[0 .. 30]; ensures n < 31 ==> r->x[n] == v; */
static inline void aarch64_set_gpr(struct aarch64_gprs *r, unsigned n, uint64_t v)
{
    if (n < 31)
        r->x[n] = v;
}

/*
 * Emulate vCPU `vcpu`'s load or store of a data abort at guest-physical `gpa` against MMIO bus `bus` (the VM's, vm->bus):
 * stores take x[rt], loads write x[rt] (sign/zero-extended as the syndrome says), and pc advances
 * past the instruction (ESR.IL). Returns -1, changing nothing, when the ESR carries no usable
 * syndrome or regs->spsr says AArch32 (the caller must then stop the VM rather than guess).
 */
int aarch64_emulate_mmio(struct svmm_mmio_bus *bus, unsigned vcpu, uint64_t esr, uint64_t gpa, struct aarch64_gprs *regs);

/* The same for a syndrome the caller has already decoded with aarch64_decode_dabt(). */
int aarch64_emulate_dabt(struct svmm_mmio_bus *bus, unsigned vcpu, const struct aarch64_dabt *d, uint64_t gpa, struct aarch64_gprs *regs);

struct vgic;
/*
 * Emulate a trapped MSR/MRS of vCPU `vcpu`: a write of ICC_SGI1R_EL1 sends SGIs through `vgic`
 * (NULL: none); every other register reads as zero and ignores writes. pc advances past the
 * instruction. Returns 1 for ICC_SGI1R_EL1, 0 for a RAZ/WI register (worth a rate-limited log line).
 */
int aarch64_emulate_sysreg(struct vgic *vgic, unsigned vcpu, const struct aarch64_sysreg *s, struct aarch64_gprs *regs);

#endif
