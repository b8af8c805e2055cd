/* SPDX-License-Identifier: BSD-2-Clause */
#include <svmm/aarch64.h>
#include <svmm/log.h>

#define ISS_ISV (1ull << 24)

int aarch64_decode_dabt(uint64_t esr, struct aarch64_dabt *out)
{
    if (esr_ec(esr) != ESR_EC_DABT_LOW || !(esr & ISS_ISV))
        return -1;
    out->size = 1u << ((esr >> 22) & 3);
    out->sign_extend = (esr >> 21) & 1;
    out->rt = (esr >> 16) & 0x1f;
    out->reg64 = (esr >> 15) & 1;
    out->write = (esr >> 6) & 1;
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
    return 0;
}

/* Extend a loaded value of `size` bytes as the syndrome asks (SSE, then SF). */
static uint64_t extend_load(const struct aarch64_dabt *d, uint64_t v)
{
    unsigned bits = d->size * 8;

    if (d->sign_extend && bits < 64 && (v >> (bits - 1)) & 1)
        v |= ~0ull << bits;
    if (!d->reg64)
        v &= 0xffffffffull;
    return v;
}

void aarch64_emulate_dabt(struct svmm_vm *vm, const struct aarch64_dabt *d, uint64_t gpa, struct aarch64_gprs *regs)
{
    uint64_t v;

    if (d->write) {
        v = d->rt == 31 ? 0 : regs->x[d->rt];
        svmm_vm_mmio_access(vm, gpa, true, d->size, &v);
    } else {
        svmm_vm_mmio_access(vm, gpa, false, d->size, &v);
        if (d->rt != 31)
            regs->x[d->rt] = extend_load(d, v);
    }
    regs->pc += 4;
}

int aarch64_emulate_mmio(struct svmm_vm *vm, uint64_t esr, uint64_t gpa, struct aarch64_gprs *regs)
{
    struct aarch64_dabt d;

    if (aarch64_decode_dabt(esr, &d) < 0)
        return -1;
    aarch64_emulate_dabt(vm, &d, gpa, regs);
    return 0;
}
