/* SPDX-License-Identifier: BSD-2-Clause */
/* The riscv64 SBI decoder: legacy console, BASE, SRST, unknown extensions, hostile arguments. */
#include <svmm/riscv.h>
#include "test.h"

struct con {
    char out[16];
    unsigned n;
    int in;
};

static void put(void *ctx, uint8_t c)
{
    struct con *k = ctx;

    if (k->n < sizeof(k->out))
        k->out[k->n++] = (char)c;
}

static int get(void *ctx)
{
    struct con *k = ctx;
    int c = k->in;

    k->in = -1;
    return c;
}

static enum riscv_sbi_action call(const struct riscv_sbi_ops *ops, uint64_t ext, uint64_t fid, uint64_t a0,
                                  uint64_t a1, struct riscv_sbi_ret *r)
{
    struct riscv_sbi_call c = { .ext = ext, .fid = fid, .args = { a0, a1 } };

    return riscv_sbi_handle(ops, &c, r);
}

TEST(sbi_legacy_console)
{
    struct con k = { .in = 'x' };
    struct riscv_sbi_ops ops = { .ctx = &k, .putchar = put, .getchar = get };
    struct riscv_sbi_ret r;

    CHECK_EQ(call(&ops, SBI_EXT_0_1_CONSOLE_PUTCHAR, 0, 0x4142, 0, &r), RISCV_SBI_RESUME);
    CHECK_EQ(r.error, 0);
    CHECK_EQ(k.n, 1);
    CHECK_EQ(k.out[0], 0x42); /* the low byte only */
    CHECK_EQ(call(&ops, SBI_EXT_0_1_CONSOLE_GETCHAR, 0, 0, 0, &r), RISCV_SBI_RESUME);
    CHECK_EQ(r.error, 'x');
    CHECK_EQ(call(&ops, SBI_EXT_0_1_CONSOLE_GETCHAR, 0, 0, 0, &r), RISCV_SBI_RESUME);
    CHECK_EQ(r.error, -1); /* no input */
    /* No console at all: output dropped, no input. */
    CHECK_EQ(call(NULL, SBI_EXT_0_1_CONSOLE_PUTCHAR, 0, 'a', 0, &r), RISCV_SBI_RESUME);
    CHECK_EQ(call(NULL, SBI_EXT_0_1_CONSOLE_GETCHAR, 0, 0, 0, &r), RISCV_SBI_RESUME);
    CHECK_EQ(r.error, -1);
}

TEST(sbi_base)
{
    struct riscv_sbi_ret r;

    call(NULL, SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0, &r);
    CHECK_EQ(r.error, SBI_SUCCESS);
    CHECK_EQ(r.value, 1u << 24);
    call(NULL, SBI_EXT_BASE, SBI_BASE_PROBE_EXT, SBI_EXT_SRST, 0, &r);
    CHECK_EQ(r.value, 1);
    call(NULL, SBI_EXT_BASE, SBI_BASE_PROBE_EXT, SBI_EXT_VENDOR_START + 5, 0, &r);
    CHECK_EQ(r.error, SBI_SUCCESS);
    CHECK_EQ(r.value, 0); /* what KVM forwards: probes of vendor and experimental extensions */
    call(NULL, SBI_EXT_BASE, SBI_BASE_PROBE_EXT, ~0ull, 0, &r);
    CHECK_EQ(r.value, 0);
    call(NULL, SBI_EXT_BASE, SBI_BASE_GET_IMP_ID, 0, 0, &r);
    CHECK_EQ(r.value, SBI_SVMM_IMP_ID);
    call(NULL, SBI_EXT_BASE, SBI_BASE_GET_MARCHID, 0, 0, &r);
    CHECK_EQ(r.value, 0);
    call(NULL, SBI_EXT_BASE, 7, 0, 0, &r);
    CHECK_EQ(r.error, SBI_ERR_NOT_SUPPORTED);
    call(NULL, SBI_EXT_BASE, ~0ull, 0, 0, &r);
    CHECK_EQ(r.error, SBI_ERR_NOT_SUPPORTED);
}

TEST(sbi_srst)
{
    struct riscv_sbi_ret r;

    CHECK_EQ(call(NULL, SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_SHUTDOWN, 0, &r), RISCV_SBI_SHUTDOWN);
    CHECK_EQ(call(NULL, SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_COLD_REBOOT, 1, &r), RISCV_SBI_REBOOT);
    CHECK_EQ(call(NULL, SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_WARM_REBOOT, 0, &r), RISCV_SBI_REBOOT);
    CHECK_EQ(call(NULL, SBI_EXT_SRST, SBI_SRST_RESET, 3, 0, &r), RISCV_SBI_RESUME);
    CHECK_EQ(r.error, SBI_ERR_INVALID_PARAM); /* reserved type */
    CHECK_EQ(call(NULL, SBI_EXT_SRST, SBI_SRST_RESET, 0xf0000001u, 0, &r), RISCV_SBI_RESUME);
    CHECK_EQ(r.error, SBI_ERR_NOT_SUPPORTED); /* vendor type */
    CHECK_EQ(call(NULL, SBI_EXT_SRST, SBI_SRST_RESET, 1ull << 32, 0, &r), RISCV_SBI_RESUME);
    CHECK_EQ(r.error, SBI_ERR_INVALID_PARAM); /* upper bits set: not shutdown */
    CHECK_EQ(call(NULL, SBI_EXT_SRST, SBI_SRST_RESET, 0, 1ull << 40, &r), RISCV_SBI_RESUME);
    CHECK_EQ(r.error, SBI_ERR_INVALID_PARAM);
    CHECK_EQ(call(NULL, SBI_EXT_SRST, 1, 0, 0, &r), RISCV_SBI_RESUME);
    CHECK_EQ(r.error, SBI_ERR_NOT_SUPPORTED);
    CHECK_EQ(call(NULL, SBI_EXT_0_1_SHUTDOWN, 0, 0, 0, &r), RISCV_SBI_SHUTDOWN);
}

TEST(sbi_unknown_extensions)
{
    static const uint64_t exts[] = { 0, 3, 4, 5, 6, 7, 9, 0x54494d45u /* TIME: the kernel's */, 0x48534du,
                                     SBI_EXT_EXPERIMENTAL_START, SBI_EXT_VENDOR_END, 0xffffffffull, ~0ull };
    struct riscv_sbi_ret r;

    for (unsigned i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        r.value = 99;
        CHECK_EQ(call(NULL, exts[i], 0, 0, 0, &r), RISCV_SBI_RESUME);
        CHECK_EQ(r.error, SBI_ERR_NOT_SUPPORTED);
        CHECK_EQ(r.value, 0);
    }
}
