/* SPDX-License-Identifier: BSD-2-Clause */
#include <svmm/aarch64.h>
#include <svmm/vm.h>
#include <svmm/virtio.h>
#include <svmm/virtio_console.h>
#include "test.h"

/* ESR for a data abort from a lower EL with a valid syndrome. */
static uint64_t dabt(unsigned sas, bool sse, unsigned rt, bool sf, bool wnr)
{
    return (uint64_t)ESR_EC_DABT_LOW << 26 | 1ull << 25 | 1ull << 24 | (uint64_t)sas << 22 | (uint64_t)sse << 21 |
           (uint64_t)rt << 16 | (uint64_t)sf << 15 | (uint64_t)wnr << 6;
}

static uint8_t last_written;
static void uart_tx(void *ctx, uint8_t b) { (void)ctx; last_written = b; }
static void irq_set(void *ctx, uint32_t spi, bool level) { (void)ctx; (void)spi; (void)level; }
static void con_write(void *ctx, const uint8_t *b, size_t n) { (void)ctx; (void)b; (void)n; }

static struct svmm_vm *make_vm(void)
{
    static struct svmm_vm vm;
    struct svmm_vm_config cfg;
    struct svmm_platform plat = { NULL, irq_set };
    struct svmm_vm_backends be = { uart_tx, NULL };
    static struct virtio_console con;
    const struct virtio_console_backend con_be = { con_write, NULL };
    char err[128];

    svmm_vm_config_defaults(&cfg);
    cfg.nvirtio = 1;
    cfg.virtio_ids[0] = VIRTIO_ID_CONSOLE;
    CHECK_EQ(svmm_vm_init(&vm, &cfg, &plat, &be, err, sizeof(err)), 0);
    virtio_console_init(&con, &con_be);
    CHECK_EQ(svmm_vm_attach_virtio(&vm, 0, &con.dev, err, sizeof(err)), 0);
    return &vm;
}

TEST(dabt_decode_fields)
{
    struct aarch64_dabt d;

    CHECK_EQ(aarch64_decode_dabt(dabt(2, false, 5, false, true), &d), 0);
    CHECK(d.write && d.size == 4 && d.rt == 5 && !d.reg64);
    CHECK_EQ(aarch64_decode_dabt(dabt(3, true, 30, true, false), &d), 0);
    CHECK(!d.write && d.size == 8 && d.rt == 30 && d.reg64 && d.sign_extend);
}

TEST(dabt_without_syndrome_fails_safely)
{
    struct svmm_vm *vm = make_vm();
    struct aarch64_gprs r = { .pc = 0x1000 };
    uint64_t esr = dabt(2, false, 1, false, true) & ~(1ull << 24); /* ISV = 0 */

    CHECK_EQ(aarch64_decode_dabt(esr, &(struct aarch64_dabt){ 0 }), -1);
    CHECK_EQ(aarch64_emulate_mmio(&vm->bus, 0, esr, 0x09000000, &r), -1);
    CHECK_EQ(r.pc, 0x1000); /* nothing changed */
    CHECK_EQ(aarch64_decode_dabt((uint64_t)ESR_EC_SYSREG << 26 | 1ull << 24, &(struct aarch64_dabt){ 0 }), -1);
}

TEST(mmio_emulation_loads_stores_and_advances_pc)
{
    struct svmm_vm *vm = make_vm();
    struct aarch64_gprs r = { .pc = 0x1000 };

    r.x[3] = 'Q';
    CHECK_EQ(aarch64_emulate_mmio(&vm->bus, 0, dabt(0, false, 3, false, true), 0x09000000, &r), 0);
    CHECK_EQ(last_written, 'Q');
    CHECK_EQ(r.pc, 0x1004);
    r.x[4] = ~0ull;
    CHECK_EQ(aarch64_emulate_mmio(&vm->bus, 0, dabt(2, false, 4, false, false), 0x0a000000, &r), 0);
    CHECK_EQ(r.x[4], 0x74726976); /* virtio magic, upper half zeroed (W register) */
    CHECK_EQ(aarch64_emulate_mmio(&vm->bus, 0, dabt(2, false, 31, false, false), 0x0a000000, &r), 0); /* XZR */
    CHECK_EQ(r.x[31], 0);
    CHECK_EQ(r.pc, 0x100c);
}

TEST(mmio_emulation_sign_extends)
{
    struct svmm_vm *vm = make_vm();
    struct aarch64_gprs r = { 0 };

    /* LSR of the 16550 reads 0x60: no sign bit; MSR reads 0xb0: bit 7 set. */
    CHECK_EQ(aarch64_emulate_mmio(&vm->bus, 0, dabt(0, true, 1, true, false), 0x09000006, &r), 0);
    CHECK_EQ(r.x[1], 0xffffffffffffffb0ull);
    CHECK_EQ(aarch64_emulate_mmio(&vm->bus, 0, dabt(0, true, 1, false, false), 0x09000006, &r), 0);
    CHECK_EQ(r.x[1], 0xffffffb0ull);
    CHECK_EQ(aarch64_emulate_mmio(&vm->bus, 0, dabt(0, false, 1, true, false), 0x09000006, &r), 0);
    CHECK_EQ(r.x[1], 0xb0);
}

TEST(sysreg_decode_icc_sgi1r)
{
    struct aarch64_sysreg s;
    /* MSR ICC_SGI1R_EL1, x2: op0=3 op1=0 CRn=12 CRm=11 op2=5, write. */
    uint64_t esr = (uint64_t)ESR_EC_SYSREG << 26 | 3ull << 20 | 5ull << 17 | 0ull << 14 | 12ull << 10 | 2ull << 5 |
                   11ull << 1 | 0;

    CHECK_EQ(aarch64_decode_sysreg(esr, &s), 0);
    CHECK_EQ(aarch64_sysreg_id(&s), SYSREG_ICC_SGI1R_EL1);
    CHECK_EQ(s.rt, 2);
    CHECK(!s.read);
    CHECK_EQ(aarch64_decode_sysreg(dabt(0, 0, 0, 0, 0), &s), -1);
}

TEST(mmio_emulation_honours_il_and_refuses_aarch32)
{
    struct svmm_vm *vm = make_vm();
    struct aarch64_gprs r = { .pc = 0x1000 };

    r.x[3] = 'R';
    /* IL = 0: a 16-bit instruction, pc steps by 2. */
    CHECK_EQ(aarch64_emulate_mmio(&vm->bus, 0, dabt(0, false, 3, false, true) & ~(1ull << 25), 0x09000000, &r), 0);
    CHECK_EQ(r.pc, 0x1002);
    /* SPSR.M[4] = 1 (AArch32 EL0, M = 0x10): refused, nothing touched. */
    r.spsr = 0x10;
    last_written = 0;
    CHECK_EQ(aarch64_emulate_mmio(&vm->bus, 0, dabt(0, false, 3, false, true), 0x09000000, &r), -1);
    CHECK_EQ(r.pc, 0x1002);
    CHECK_EQ(last_written, 0);
    r.x[4] = 7;
    CHECK_EQ(aarch64_emulate_mmio(&vm->bus, 0, dabt(2, false, 4, false, false), 0x0a000000, &r), -1);
    CHECK_EQ(r.x[4], 7);
}

TEST(mmio_store_of_xzr_writes_zero_whatever_x31_holds)
{
    struct svmm_vm *vm = make_vm();
    struct aarch64_gprs r = { .pc = 0x1000 };

    r.x[31] = 'Z'; /* a platform that copied junk into the XZR slot */
    last_written = 0xff;
    CHECK_EQ(aarch64_emulate_mmio(&vm->bus, 0, dabt(0, false, 31, false, true), 0x09000000, &r), 0);
    CHECK_EQ(last_written, 0);
}

/* MRS/MSR syndrome for op0..op2, register rt, read (MRS) or write, with IL = 1. */
static uint64_t sysreg_esr(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2, unsigned rt, bool read)
{
    return (uint64_t)ESR_EC_SYSREG << 26 | 1ull << 25 | (uint64_t)op0 << 20 | (uint64_t)op2 << 17 |
           (uint64_t)op1 << 14 | (uint64_t)crn << 10 | (uint64_t)rt << 5 | (uint64_t)crm << 1 | read;
}

TEST(sysreg_emulation_raz_wi_and_xzr)
{
    struct aarch64_sysreg s;
    struct aarch64_gprs r = { .pc = 0x2000 };

    r.x[5] = 0x1234;
    r.x[31] = 0x5678;
    CHECK_EQ(aarch64_decode_sysreg(sysreg_esr(3, 0, 15, 2, 0, 5, true), &s), 0); /* an IMPDEF register */
    CHECK_EQ(aarch64_emulate_sysreg(NULL, 0, &s, &r), 0);
    CHECK_EQ(r.x[5], 0);
    CHECK_EQ(r.pc, 0x2004);
    CHECK_EQ(aarch64_decode_sysreg(sysreg_esr(3, 0, 15, 2, 0, 31, true), &s), 0); /* MRS xzr */
    CHECK_EQ(aarch64_emulate_sysreg(NULL, 0, &s, &r), 0);
    CHECK_EQ(r.x[31], 0x5678); /* the XZR slot is not a register: left alone */
    CHECK_EQ(aarch64_decode_sysreg(sysreg_esr(3, 0, 12, 11, 5, 2, false), &s), 0); /* MSR ICC_SGI1R_EL1, x2 */
    CHECK_EQ(aarch64_emulate_sysreg(NULL, 0, &s, &r), 1);
    CHECK_EQ(r.pc, 0x200c);
}
