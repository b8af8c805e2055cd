/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz the arm64 exit path for platforms that see raw exits (seL4): ESR decoding and MMIO
 * emulation (src/arch/aarch64/exits.c) against the VM's bus, and PSCI/SMCCC calls
 * (src/arch/aarch64/psci.c) with guest-chosen x0..x3. A reference model checks:
 *   - data aborts without ISV or of another class are refused and change nothing;
 *   - stores hand the device x[rt] (0 for XZR), loads put the bus value into x[rt], zero- or
 *     sign-extended as SAS/SSE/SF say (never into XZR); no other register changes; pc += 4;
 *   - trapped MSR/MRS decode into in-range fields;
 *   - PSCI results are what the spec says for the model's on/off state; CPU_ON starts only
 *     existing, off vCPUs at 4-byte aligned entry points in guest RAM; x1..x3 are preserved.
 * Input: u8 vCPU count, 32 initial register values, then operations (see run_op).
 */
#include <svmm/aarch64.h>
#include <svmm/vm.h>
#include <svmm/arch.h>
#include <svmm/psci.h>
#include "fuzz.h"

#define MAX_OPS 256
#define DEV_BASE 0x09000000ull
#define DEV_SIZE 0x1000ull
#define RAM_GPA 0x40000000ull
#define RAM_SIZE 0x10000ull

static struct svmm_vm vm; /* only its MMIO bus is used */
static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));

struct state {
    struct svmm_memmap mem;
    struct psci psci;
    bool on[SVMM_MAX_VCPUS];
    uint64_t dev_val;   /* what the device returns on reads */
    int dev_calls;
    bool dev_write;
    uint64_t dev_off, dev_wval;
    unsigned dev_size, dev_vcpu; /* dev_vcpu: the vCPU op_dabt accesses the device as */
    int cpu_on_calls, cpu_off_calls, down_calls;
    unsigned on_vcpu;
    uint64_t on_entry, on_ctx;
};

static struct state st;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static uint64_t dev_read(void *d, unsigned vcpu, uint64_t off, unsigned size)
{
    FUZZ_CHECK(d == &st && off < DEV_SIZE && vcpu == st.dev_vcpu); /* the accessing vCPU reaches the device */
    st.dev_calls++;
    st.dev_write = false;
    st.dev_off = off;
    st.dev_size = size;
    return st.dev_val;
}

static void dev_write(void *d, unsigned vcpu, uint64_t off, unsigned size, uint64_t val)
{
    FUZZ_CHECK(d == &st && off < DEV_SIZE && vcpu == st.dev_vcpu);
    st.dev_calls++;
    st.dev_write = true;
    st.dev_off = off;
    st.dev_size = size;
    st.dev_wval = val;
}

static const struct svmm_mmio_ops dev_ops = { dev_read, dev_write };

static void cpu_on(void *ctx, unsigned vcpu, uint64_t entry, uint64_t context_id)
{
    FUZZ_CHECK(ctx == &st);
    st.cpu_on_calls++;
    st.on_vcpu = vcpu;
    st.on_entry = entry;
    st.on_ctx = context_id;
}

static void cpu_off(void *ctx, unsigned vcpu)
{
    FUZZ_CHECK(ctx == &st);
    (void)vcpu;
    st.cpu_off_calls++;
}

static void vm_down(void *ctx)
{
    FUZZ_CHECK(ctx == &st);
    st.down_calls++;
}

/* The data abort path: a load or store at gpa, decoded from esr. */
static void op_dabt(struct fin *f, struct aarch64_gprs *regs, uint8_t op)
{
    struct aarch64_gprs before = *regs;
    uint64_t esr = fin_u64(f), gpa = DEV_BASE + fin_u16(f) % (DEV_SIZE + 0x100);
    bool dabt, isv, write, sse, sf, handled, aarch32 = (regs->spsr >> 4) & 1;
    unsigned size, rt, insn_len = (esr >> 25) & 1 ? 4 : 2;
    int r;

    if (op & 0x80) /* mostly a real data abort with a syndrome */
        esr = (esr & ~(0x3full << 26)) | (uint64_t)ESR_EC_DABT_LOW << 26 | 1ull << 24;
    dabt = esr_ec(esr) == ESR_EC_DABT_LOW;
    isv = (esr >> 24) & 1;
    size = 1u << ((esr >> 22) & 3);
    sse = (esr >> 21) & 1;
    rt = (esr >> 16) & 31;
    sf = (esr >> 15) & 1;
    write = (esr >> 6) & 1;
    handled = gpa - DEV_BASE <= DEV_SIZE - size;
    st.dev_val = fin_u64(f);
    st.dev_calls = 0;
    st.dev_vcpu = (op >> 2) & 15; /* op % 3 picked the data abort; bits 2..5 vary */

    r = aarch64_emulate_mmio(&vm.bus, st.dev_vcpu, esr, gpa, regs);
    if (!dabt || !isv || aarch32) {
        FUZZ_CHECK(r == -1 && st.dev_calls == 0 && memcmp(regs, &before, sizeof(before)) == 0);
        return;
    }
    FUZZ_CHECK(r == 0);
    FUZZ_CHECK(regs->pc == before.pc + insn_len);
    FUZZ_CHECK(st.dev_calls == (handled ? 1 : 0));
    if (handled)
        FUZZ_CHECK(st.dev_write == write && st.dev_off == gpa - DEV_BASE && st.dev_size == size);
    if (write) {
        if (handled)
            FUZZ_CHECK(st.dev_wval == (rt == 31 ? 0 : before.x[rt])); /* XZR reads 0, whatever x[31] holds */
        before.pc += insn_len;
        FUZZ_CHECK(memcmp(regs, &before, sizeof(before)) == 0);
        return;
    }
    {
        uint64_t v = handled ? (size == 8 ? st.dev_val : st.dev_val & ((1ull << (8 * size)) - 1)) : 0;
        if (sse && size < 8 && ((v >> (8 * size - 1)) & 1))
            v |= ~0ull << (8 * size);
        if (!sf)
            v &= 0xffffffffull;
        if (rt != 31)
            before.x[rt] = v;
        before.pc += insn_len;
        FUZZ_CHECK(memcmp(regs, &before, sizeof(before)) == 0); /* incl. x[31] (XZR) untouched */
    }
}

static void op_sysreg(struct fin *f, struct aarch64_gprs *regs, uint8_t op)
{
    uint64_t esr = fin_u64(f);
    struct aarch64_gprs before = *regs;
    struct aarch64_sysreg s;
    int r;

    if (op & 0x80)
        esr = (esr & ~(0x3full << 26)) | (uint64_t)ESR_EC_SYSREG << 26;
    memset(&s, 0xa5, sizeof(s));
    r = aarch64_decode_sysreg(esr, &s);
    if (esr_ec(esr) != ESR_EC_SYSREG) {
        FUZZ_CHECK(r == -1);
        return;
    }
    FUZZ_CHECK(r == 0);
    FUZZ_CHECK(s.op0 < 4 && s.op1 < 8 && s.crn < 16 && s.crm < 16 && s.op2 < 8 && s.rt < 32);
    FUZZ_CHECK(s.read == (esr & 1));
    FUZZ_CHECK(aarch64_sysreg_id(&s) == (((esr >> 1) & 0xf) << 3 | ((esr >> 10) & 0xf) << 7 |
                                         ((esr >> 14) & 7) << 11 | ((esr >> 17) & 7) | ((esr >> 20) & 3) << 14));
    /* Emulation (no vGIC): RAZ/WI, reads zero x[rt] but never XZR's slot, pc steps over the instruction. */
    r = aarch64_emulate_sysreg(NULL, 0, &s, regs);
    FUZZ_CHECK(r == (aarch64_sysreg_id(&s) == SYSREG_ICC_SGI1R_EL1 && !s.read));
    if (s.read && s.rt != 31)
        before.x[s.rt] = 0;
    before.pc += (esr >> 25) & 1 ? 4 : 2;
    FUZZ_CHECK(memcmp(regs, &before, sizeof(before)) == 0);
}

static const uint32_t fids[] = {
    PSCI_VERSION, PSCI_CPU_SUSPEND_64, PSCI_CPU_OFF, PSCI_CPU_ON_64, PSCI_AFFINITY_INFO_64,
    PSCI_MIGRATE_INFO_TYPE, PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET, PSCI_FEATURES, SMCCC_VERSION,
    SMCCC_ARCH_FEATURES, PSCI_CPU_ON_64 & ~SMC32_BIT, PSCI_AFFINITY_INFO_64 & ~SMC32_BIT,
    PSCI_CPU_SUSPEND_64 & ~SMC32_BIT, PSCI_FEATURES, PSCI_FEATURES, 0x84000005u, 0xc4000012u,
};

/* The vCPU a PSCI target affinity names in the model, or -1. */
static int model_vcpu(uint64_t mpidr)
{
    for (unsigned i = 0; i < st.psci.ncpus; i++)
        if (svmm_arch_vcpu_affinity(i) == (mpidr & 0xff00ffffffull))
            return (int)i;
    return -1;
}

/* SMC32 variants of the calls with address-sized arguments, as their SMC64 ids. */
static uint32_t canonical(uint32_t fid)
{
    uint32_t f64 = fid | SMC32_BIT;

    return f64 == PSCI_CPU_SUSPEND_64 || f64 == PSCI_CPU_ON_64 || f64 == PSCI_AFFINITY_INFO_64 ? f64 : fid;
}

/* Results of the calls that do not depend on vCPU state (PSCI 1.1, SMCCC 1.1). */
static int64_t model_simple(uint32_t fid, uint64_t a1)
{
    switch (canonical(fid)) {
    case PSCI_VERSION: return 0x10001;
    case PSCI_CPU_SUSPEND_64: return PSCI_RET_SUCCESS;
    case PSCI_MIGRATE_INFO_TYPE: return 2; /* migration not required */
    case SMCCC_VERSION: return 0x10001;
    case PSCI_FEATURES:
        if (a1 >> 32)
            return PSCI_RET_NOT_SUPPORTED;
        switch (canonical((uint32_t)a1)) {
        case PSCI_VERSION: case PSCI_CPU_SUSPEND_64: case PSCI_CPU_OFF: case PSCI_CPU_ON_64:
        case PSCI_AFFINITY_INFO_64: case PSCI_MIGRATE_INFO_TYPE: case PSCI_SYSTEM_OFF:
        case PSCI_SYSTEM_RESET: case PSCI_FEATURES: case SMCCC_VERSION:
            return PSCI_RET_SUCCESS;
        default:
            return PSCI_RET_NOT_SUPPORTED;
        }
    default: return PSCI_RET_NOT_SUPPORTED;
    }
}

static void op_psci(struct fin *f, uint8_t op)
{
    unsigned vcpu = fin_u8(f) % 20;
    uint64_t x[4], in[4];
    uint32_t fid;
    bool smc32;
    enum psci_action a;
    int64_t ret;

    x[0] = (op & 0x80) ? fin_u64(f) : fids[fin_u8(f) % (sizeof(fids) / sizeof(fids[0]))];
    /* Targets are mostly small affinities, entry points mostly near RAM. */
    x[1] = (op & 0x40) ? fin_u64(f) : (op & 0x10) ? fids[fin_u8(f) % (sizeof(fids) / sizeof(fids[0]))] : fin_u8(f) % 20;
    x[2] = (op & 0x20) ? fin_u64(f) : RAM_GPA - 8 + fin_u32(f) % (RAM_SIZE + 16);
    x[3] = fin_u64(f);
    memcpy(in, x, sizeof(in));
    st.cpu_on_calls = st.cpu_off_calls = st.down_calls = 0;
    fid = (uint32_t)in[0];
    smc32 = !(fid & SMC32_BIT);

    a = psci_call(&st.psci, vcpu, x);
    FUZZ_CHECK(x[1] == in[1] && x[2] == in[2] && x[3] == in[3]);
    for (unsigned i = 0; i < SVMM_MAX_VCPUS; i++)
        FUZZ_CHECK(i < st.psci.ncpus || !st.psci.on[i]);
    if (a == PSCI_VCPU_OFF) {
        FUZZ_CHECK((in[0] >> 32) == 0 && fid == PSCI_CPU_OFF && st.cpu_off_calls == 1);
        if (vcpu < st.psci.ncpus)
            st.on[vcpu] = false;
    } else if (a == PSCI_VM_DOWN) {
        FUZZ_CHECK((in[0] >> 32) == 0 && (fid == PSCI_SYSTEM_OFF || fid == PSCI_SYSTEM_RESET) && st.down_calls == 1);
    } else {
        FUZZ_CHECK(a == PSCI_RESUME && st.cpu_off_calls == 0 && st.down_calls == 0);
        ret = (int64_t)x[0];
        if (in[0] >> 32) {
            FUZZ_CHECK(ret == PSCI_RET_NOT_SUPPORTED);
        } else if (canonical(fid) == PSCI_CPU_ON_64) {
            uint64_t target = smc32 ? (uint32_t)in[1] : in[1], entry = smc32 ? (uint32_t)in[2] : in[2];
            int v = model_vcpu(target);
            int64_t expect = v < 0 ? PSCI_RET_INVALID_PARAMETERS
                           : st.on[v] ? PSCI_RET_ALREADY_ON
                           : (entry & 3) || entry < RAM_GPA || entry > RAM_GPA + RAM_SIZE - 4 ? PSCI_RET_INVALID_ADDRESS
                           : PSCI_RET_SUCCESS;
            FUZZ_CHECK(ret == expect);
            FUZZ_CHECK(st.cpu_on_calls == (ret == PSCI_RET_SUCCESS));
            if (ret == PSCI_RET_SUCCESS) {
                FUZZ_CHECK(st.on_vcpu == (unsigned)v && st.on_entry == entry &&
                           st.on_ctx == (smc32 ? (uint32_t)in[3] : in[3]));
                st.on[v] = true;
            }
        } else if (canonical(fid) == PSCI_AFFINITY_INFO_64) {
            uint64_t target = smc32 ? (uint32_t)in[1] : in[1], level = smc32 ? (uint32_t)in[2] : in[2];
            int v = model_vcpu(target);
            FUZZ_CHECK(ret == (v < 0 || level ? PSCI_RET_INVALID_PARAMETERS : st.on[v] ? 0 : 1));
        } else {
            FUZZ_CHECK(st.cpu_on_calls == 0);
            FUZZ_CHECK(ret == model_simple(fid, smc32 ? (uint32_t)in[1] : in[1]));
        }
    }
    for (unsigned i = 0; i < st.psci.ncpus; i++)
        FUZZ_CHECK(st.psci.on[i] == st.on[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct psci_ops pops = { &st, cpu_on, cpu_off, vm_down, vm_down };
    struct fin f = fin_make(data, size);
    unsigned ncpus = fin_u8(&f) % SVMM_MAX_VCPUS + 1;
    struct aarch64_gprs regs;

    memset(&st, 0, sizeof(st));
    memset(&vm, 0, sizeof(vm));
    svmm_mmio_bus_init(&vm.bus);
    FUZZ_CHECK(svmm_mmio_register(&vm.bus, DEV_BASE, DEV_SIZE, &dev_ops, &st, "dev") == 0);
    svmm_memmap_init(&st.mem);
    FUZZ_CHECK(svmm_memmap_add(&st.mem, RAM_GPA, RAM_SIZE, ram, SVMM_MEM_RAM) == 0);
    psci_init(&st.psci, ncpus, &st.mem, &pops);
    st.on[0] = true;
    for (unsigned i = 0; i < 32; i++)
        regs.x[i] = (i & 1) ? fin_u64(&f) : 0x0101010101010101ull * i;
    regs.pc = fin_u64(&f);
    regs.spsr = fin_u8(&f) == 0x32 ? 0x10 : 0x3c5; /* now and then AArch32 (M[4]) */
    for (unsigned i = 0; i < MAX_OPS && !fin_empty(&f); i++) {
        uint8_t op = fin_u8(&f);
        switch (op % 3) {
        case 0: op_dabt(&f, &regs, op); break;
        case 1: op_sysreg(&f, &regs, op); break;
        default: op_psci(&f, op); break;
        }
    }
    return 0;
}
