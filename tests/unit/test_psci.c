/* SPDX-License-Identifier: BSD-2-Clause */
#include <svmm/psci.h>
#include "test.h"

static int on_calls, off_calls, sysoff_calls, reset_calls;
static unsigned on_vcpu;
static uint64_t on_entry, on_ctx;

static void cpu_on(void *c, unsigned v, uint64_t e, uint64_t x) { (void)c; on_calls++; on_vcpu = v; on_entry = e; on_ctx = x; }
static void cpu_off(void *c, unsigned v) { (void)c; (void)v; off_calls++; }
static void sys_off(void *c) { (void)c; sysoff_calls++; }
static void sys_reset(void *c) { (void)c; reset_calls++; }

static uint8_t ram[4096] __attribute__((aligned(16)));
static struct svmm_memmap mem;
static struct psci p;

static void setup(unsigned ncpus)
{
    const struct psci_ops ops = { NULL, cpu_on, cpu_off, sys_off, sys_reset };

    on_calls = off_calls = sysoff_calls = reset_calls = 0;
    svmm_memmap_init(&mem);
    svmm_memmap_add(&mem, 0x40000000, sizeof(ram), ram, SVMM_MEM_RAM);
    psci_init(&p, ncpus, &mem, &ops);
}

static int64_t call(unsigned vcpu, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, enum psci_action want)
{
    uint64_t x[4] = { a0, a1, a2, a3 };

    CHECK_EQ(psci_call(&p, vcpu, x), want);
    return (int64_t)x[0];
}

TEST(psci_version_features_and_smccc)
{
    setup(2);
    CHECK_EQ(call(0, PSCI_VERSION, 0, 0, 0, PSCI_RESUME), 0x10001);
    CHECK_EQ(call(0, PSCI_FEATURES, PSCI_CPU_ON_64, 0, 0, PSCI_RESUME), 0);
    CHECK_EQ(call(0, PSCI_FEATURES, PSCI_CPU_ON_64 & ~SMC32_BIT, 0, 0, PSCI_RESUME), 0);
    CHECK_EQ(call(0, PSCI_FEATURES, 0x8400000e, 0, 0, PSCI_RESUME), PSCI_RET_NOT_SUPPORTED);
    CHECK_EQ(call(0, PSCI_FEATURES, 1ull << 40 | PSCI_VERSION, 0, 0, PSCI_RESUME), 0); /* SMC32: x1 truncated */
    CHECK_EQ(call(0, SMCCC_VERSION, 0, 0, 0, PSCI_RESUME), 0x10001);
    CHECK_EQ(call(0, SMCCC_ARCH_FEATURES, 0x80008000, 0, 0, PSCI_RESUME), PSCI_RET_NOT_SUPPORTED);
    CHECK_EQ(call(0, 0xc2000000, 0, 0, 0, PSCI_RESUME), PSCI_RET_NOT_SUPPORTED); /* unknown id */
    CHECK_EQ(call(0, 1ull << 32 | PSCI_VERSION, 0, 0, 0, PSCI_RESUME), PSCI_RET_NOT_SUPPORTED);
    CHECK_EQ(call(0, PSCI_MIGRATE_INFO_TYPE, 0, 0, 0, PSCI_RESUME), 2);
}

TEST(psci_cpu_on_validates_target_and_entry)
{
    setup(2);
    CHECK_EQ(call(0, PSCI_CPU_ON_64, 5, 0x40000000, 0, PSCI_RESUME), PSCI_RET_INVALID_PARAMETERS); /* no such CPU */
    CHECK_EQ(call(0, PSCI_CPU_ON_64, 0x100, 0x40000000, 0, PSCI_RESUME), PSCI_RET_INVALID_PARAMETERS); /* Aff1 */
    CHECK_EQ(call(0, PSCI_CPU_ON_64, 0, 0x40000000, 0, PSCI_RESUME), PSCI_RET_ALREADY_ON);
    CHECK_EQ(call(0, PSCI_CPU_ON_64, 1, 0x1000, 0, PSCI_RESUME), PSCI_RET_INVALID_ADDRESS);      /* not RAM */
    CHECK_EQ(call(0, PSCI_CPU_ON_64, 1, 0x40000002, 0, PSCI_RESUME), PSCI_RET_INVALID_ADDRESS);  /* unaligned */
    CHECK_EQ(on_calls, 0);
    CHECK_EQ(call(0, PSCI_AFFINITY_INFO_64, 1, 0, 0, PSCI_RESUME), 1); /* off */
    CHECK_EQ(call(0, PSCI_CPU_ON_64, 1, 0x40000100, 0xabc, PSCI_RESUME), PSCI_RET_SUCCESS);
    CHECK(on_calls == 1 && on_vcpu == 1 && on_entry == 0x40000100 && on_ctx == 0xabc);
    CHECK_EQ(call(0, PSCI_CPU_ON_64, 1, 0x40000100, 0, PSCI_RESUME), PSCI_RET_ALREADY_ON);
    CHECK_EQ(call(0, PSCI_AFFINITY_INFO_64, 1, 0, 0, PSCI_RESUME), 0); /* on */
    CHECK_EQ(call(0, PSCI_AFFINITY_INFO_64, 1, 1, 0, PSCI_RESUME), PSCI_RET_INVALID_PARAMETERS);
    CHECK_EQ(call(0, PSCI_AFFINITY_INFO_64, 9, 0, 0, PSCI_RESUME), PSCI_RET_INVALID_PARAMETERS);
}

TEST(psci_smc32_cpu_on_truncates_arguments)
{
    setup(2);
    CHECK_EQ(call(0, PSCI_CPU_ON_64 & ~SMC32_BIT, 0xffffffff00000001ull, 0xffffffff40000000ull, 7, PSCI_RESUME), 0);
    CHECK(on_calls == 1 && on_vcpu == 1 && on_entry == 0x40000000);
}

TEST(psci_cpu_off_and_system_calls)
{
    setup(2);
    CHECK_EQ(call(0, PSCI_CPU_ON_64, 1, 0x40000000, 0, PSCI_RESUME), 0);
    call(1, PSCI_CPU_OFF, 0, 0, 0, PSCI_VCPU_OFF);
    CHECK_EQ(off_calls, 1);
    CHECK_EQ(call(0, PSCI_AFFINITY_INFO_64, 1, 0, 0, PSCI_RESUME), 1);
    CHECK_EQ(call(0, PSCI_CPU_ON_64, 1, 0x40000000, 0, PSCI_RESUME), 0); /* can come back */
    call(0, PSCI_SYSTEM_OFF, 0, 0, 0, PSCI_VM_DOWN);
    CHECK_EQ(sysoff_calls, 1);
    call(0, PSCI_SYSTEM_RESET, 0, 0, 0, PSCI_VM_DOWN);
    CHECK_EQ(reset_calls, 1);
    call(40, PSCI_CPU_OFF, 0, 0, 0, PSCI_VCPU_OFF); /* bad vCPU id from a confused platform: no overflow */
    CHECK_EQ(call(0, PSCI_CPU_SUSPEND_64, 0, 0x40000000, 0, PSCI_RESUME), 0);
}
