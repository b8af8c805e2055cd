/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The SBI calls a platform hands the VMM. On KVM that is what the kernel forwards (legacy console,
 * probes of experimental and vendor extensions); a platform whose kernel forwards everything (a
 * future seL4 RISC-V one) gets BASE and SRST here too. Registers are the guest's: untrusted.
 */
#include <svmm/riscv.h>

#define SBI_SPEC_VERSION_1_0 ((1u << 24) | 0u) /* major in bits 24..30, minor in 0..23 */

static bool ext_supported(uint64_t ext)
{
    switch (ext) {
    case SBI_EXT_0_1_CONSOLE_PUTCHAR:
    case SBI_EXT_0_1_CONSOLE_GETCHAR:
    case SBI_EXT_0_1_SHUTDOWN:
    case SBI_EXT_BASE:
    case SBI_EXT_SRST:
        return true;
    default:
        return false;
    }
}

static void base(const struct riscv_sbi_call *call, struct riscv_sbi_ret *ret)
{
    ret->error = SBI_SUCCESS;
    switch (call->fid) {
    case SBI_BASE_GET_SPEC_VERSION: ret->value = SBI_SPEC_VERSION_1_0; break;
    case SBI_BASE_GET_IMP_ID: ret->value = SBI_SVMM_IMP_ID; break;
    case SBI_BASE_GET_IMP_VERSION: ret->value = 1; break;
    case SBI_BASE_PROBE_EXT: ret->value = ext_supported(call->args[0]) ? 1 : 0; break;
    case SBI_BASE_GET_MVENDORID:
    case SBI_BASE_GET_MARCHID:
    case SBI_BASE_GET_MIMPID: ret->value = 0; break; /* "not implemented" is 0 for these three */
    default: ret->error = SBI_ERR_NOT_SUPPORTED; break;
    }
}

static enum riscv_sbi_action srst(const struct riscv_sbi_call *call, struct riscv_sbi_ret *ret)
{
    /* The type and reason are 32-bit values: a caller's upper bits must be zero. */
    uint64_t type = call->args[0], reason = call->args[1];

    if (call->fid != SBI_SRST_RESET) {
        ret->error = SBI_ERR_NOT_SUPPORTED;
        return RISCV_SBI_RESUME;
    }
    if (type > 0xffffffffu || reason > 0xffffffffu) {
        ret->error = SBI_ERR_INVALID_PARAM;
        return RISCV_SBI_RESUME;
    }
    switch (type) {
    case SBI_SRST_TYPE_SHUTDOWN: return RISCV_SBI_SHUTDOWN;
    case SBI_SRST_TYPE_COLD_REBOOT:
    case SBI_SRST_TYPE_WARM_REBOOT: return RISCV_SBI_REBOOT;
    default:
        /* 0xf0000000.. are vendor types (none here), the rest reserved. */
        ret->error = type >= 0xf0000000u ? SBI_ERR_NOT_SUPPORTED : SBI_ERR_INVALID_PARAM;
        return RISCV_SBI_RESUME;
    }
}

enum riscv_sbi_action riscv_sbi_handle(const struct riscv_sbi_ops *ops, const struct riscv_sbi_call *call,
                                       struct riscv_sbi_ret *ret)
{
    ret->error = SBI_ERR_NOT_SUPPORTED;
    ret->value = 0;
    switch (call->ext) {
    case SBI_EXT_0_1_CONSOLE_PUTCHAR:
        /* Legacy calls return in a0 only; the character is the low byte of a0. */
        if (ops != NULL && ops->putchar != NULL)
            ops->putchar(ops->ctx, (uint8_t)call->args[0]);
        ret->error = 0;
        return RISCV_SBI_RESUME;
    case SBI_EXT_0_1_CONSOLE_GETCHAR: {
        int c = ops != NULL && ops->getchar != NULL ? ops->getchar(ops->ctx) : -1;
        ret->error = c >= 0 && c <= 0xff ? c : -1;
        return RISCV_SBI_RESUME;
    }
    case SBI_EXT_0_1_SHUTDOWN:
        return RISCV_SBI_SHUTDOWN;
    case SBI_EXT_BASE:
        base(call, ret);
        return RISCV_SBI_RESUME;
    case SBI_EXT_SRST:
        return srst(call, ret);
    default:
        return RISCV_SBI_RESUME; /* SBI_ERR_NOT_SUPPORTED */
    }
}
