/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include "vcpu_regs.h"

/*
 * seL4_UserContext on aarch64 is pc, sp, spsr, x0..x8, x16, x17, x18, x29, x30, x9..x15,
 * x19..x28, tpidr_el0, tpidrro_el0. The kernel copies a prefix of it, so an exit that needs x3
 * copies 7 words, not 36.
 */
#define CTX_WORDS (sizeof(seL4_UserContext) / sizeof(seL4_Word))

union ctx_words {
    seL4_UserContext ctx;
    seL4_Word w[CTX_WORDS];
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

unsigned vcpu_ctx_words_for_reg(unsigned x)
{
    return x < 31 ? ctx_index(x) + 1 : 1;
}

bool vcpu_regs_read(unsigned vcpu, unsigned words, struct aarch64_gprs *regs, seL4_UserContext *ctx)
{
    union ctx_words u;

    if (words > CTX_WORDS || seL4_TCB_ReadRegisters(BASE_VM_TCB_CAP + vcpu, false, 0, words, &u.ctx) != seL4_NoError)
        return false;
    memset(regs, 0, sizeof(*regs));
    regs->pc = u.w[0];
    for (unsigned x = 0; x < 31; x++)
        if (ctx_index(x) < words)
            regs->x[x] = u.w[ctx_index(x)];
    *ctx = u.ctx;
    return true;
}

bool vcpu_regs_write(unsigned vcpu, unsigned words, const struct aarch64_gprs *regs, seL4_UserContext *ctx,
                     bool resume)
{
    union ctx_words u;

    if (words > CTX_WORDS)
        return false;
    u.ctx = *ctx;
    u.w[0] = regs->pc;
    for (unsigned x = 0; x < 31; x++)
        if (ctx_index(x) < words)
            u.w[ctx_index(x)] = regs->x[x];
    return seL4_TCB_WriteRegisters(BASE_VM_TCB_CAP + vcpu, resume, 0, words, &u.ctx) == seL4_NoError;
}

bool vcpu_start(unsigned vcpu, uint64_t pc, uint64_t x0)
{
    seL4_UserContext ctx = { 0 };

    ctx.pc = pc;
    ctx.x0 = x0;
    ctx.spsr = 0x3c5; /* EL1h, DAIF masked */
    return seL4_TCB_WriteRegisters(BASE_VM_TCB_CAP + vcpu, true, 0, 4, &ctx) == seL4_NoError;
}
