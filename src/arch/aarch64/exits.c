/* SPDX-License-Identifier: BSD-2-Clause */
#include <svmm/aarch64.h>
#include <svmm/log.h>
#include <svmm/vgic.h>

#define ISS_ISV (1ull << 24)

int aarch64_decode_dabt(uint64_t esr, struct aarch64_dabt *out)
{
    /* ISS.SAS is log2 of the access size; a table keeps the four sizes explicit for the proof. */
    static const uint8_t sas_bytes[4] = { 1, 2, 4, 8 };

    if (esr_ec(esr) != ESR_EC_DABT_LOW || !(esr & ISS_ISV))
        return -1;
    unsigned sas = (unsigned)(esr >> 22) % 4; /* bits [23:22] */

    /*@ assert sas == 0 || sas == 1 || sas == 2 || sas == 3; */
    out->size = sas_bytes[sas];
    out->sign_extend = (esr >> 21) & 1;
    out->rt = (esr >> 16) & 0x1f;
    out->reg64 = (esr >> 15) & 1;
    out->write = (esr >> 6) & 1;
    out->insn_len = esr_insn_len(esr);
    return 0;
}

int aarch64_decode_sysreg(uint64_t esr, struct aarch64_sysreg *out)
{
    if (esr_ec(esr) != ESR_EC_SYSREG)
        return -1;
    out->op0 = (esr >> 20) & 3;
    out->op2 = (esr >> 17) & 7;
    out->op1 = (esr >> 14) & 7;
    out->crn = (esr >> 10) & 0xf;
    out->rt = (esr >> 5) & 0x1f;
    out->crm = (esr >> 1) & 0xf;
    out->read = esr & 1;
    out->insn_len = esr_insn_len(esr);
    return 0;
}

/* Extend a loaded value of `size` bytes as the syndrome asks (SSE, then SF). */
/*@ requires \valid_read(d) && (d->size == 1 || d->size == 2 || d->size == 4 || d->size == 8);
    assigns \nothing;
    ensures !d->reg64 ==> \result <= 0xffffffff; */
static uint64_t extend_load(const struct aarch64_dabt *d, uint64_t v)
{
    unsigned bits = d->size * 8;

    if (d->sign_extend && bits < 64 && (v >> (bits - 1)) & 1)
        v |= ~0ull << bits;
    if (!d->reg64)
        v &= 0xffffffffull;
    return v;
}

int aarch64_emulate_dabt(struct svmm_mmio_bus *bus, unsigned vcpu, const struct aarch64_dabt *d, uint64_t gpa, struct aarch64_gprs *regs)
{
    uint64_t v;

    /* AArch32 numbers its registers differently (banked SP/LR): emulating with X numbers would corrupt. */
    if (aarch64_spsr_is_aarch32(regs->spsr))
        return -1;
    if (d->write) {
        v = aarch64_gpr(regs, d->rt);
        svmm_mmio_access(bus, vcpu, gpa, true, d->size, &v);
    } else {
        svmm_mmio_access(bus, vcpu, gpa, false, d->size, &v);
        aarch64_set_gpr(regs, d->rt, extend_load(d, v));
    }
    regs->pc += d->insn_len;
    return 0;
}

int aarch64_emulate_mmio(struct svmm_mmio_bus *bus, unsigned vcpu, uint64_t esr, uint64_t gpa, struct aarch64_gprs *regs)
{
    struct aarch64_dabt d;

    if (aarch64_decode_dabt(esr, &d) < 0)
        return -1;
    return aarch64_emulate_dabt(bus, vcpu, &d, gpa, regs);
}

int aarch64_emulate_sysreg(struct vgic *vgic, unsigned vcpu, const struct aarch64_sysreg *s, struct aarch64_gprs *regs)
{
    int known = 0;

    if (aarch64_sysreg_id(s) == SYSREG_ICC_SGI1R_EL1 && !s->read) {
        if (vgic != NULL)
            vgic_sgi_v3(vgic, vcpu, aarch64_gpr(regs, s->rt));
        known = 1;
    } else if (s->read) {
        aarch64_set_gpr(regs, s->rt, 0);
    }
    regs->pc += s->insn_len;
    return known;
}
