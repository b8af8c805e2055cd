/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * riscv64's part of the KVM platform. The kernel handles the timer (SBI TIME or Sstc), IPIs, remote
 * fences, HSM (secondary harts start powered off) and SRST (KVM_EXIT_SYSTEM_EVENT); it forwards
 * the legacy console calls and probes of vendor/experimental extensions (KVM_EXIT_RISCV_SBI), which
 * the arch layer's SBI decoder answers. Linux 6.1's KVM has no in-kernel interrupt controller, so
 * the PLIC is the portable model (src/arch/riscv64/plic.c) on the MMIO bus, raising each hart's
 * supervisor external interrupt with KVM_INTERRUPT.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <svmm/arch.h>
#include <svmm/log.h>
#include <svmm/riscv.h>
#include "kvm_arch.h"
#include "stdio_console.h"

const char kvm_arch_name[] = "riscv64";

struct riscv_host {
    pthread_mutex_t lock; /* the PLIC: device threads (irq_set) and vCPU threads (MMIO); after dev_lock */
    struct riscv_plic plic;
    bool on_bus;
    struct kvm_host *h;
};

static struct riscv_host rh = { .lock = PTHREAD_MUTEX_INITIALIZER };
static uint64_t timebase_hz = RISCV_TIMEBASE_DEFAULT;

#define REG_U64(type, idx) (KVM_REG_RISCV | KVM_REG_SIZE_U64 | (type) | (uint64_t)(idx))

static int get_reg(int fd, uint64_t id, uint64_t *val)
{
    struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)val };

    return ioctl(fd, KVM_GET_ONE_REG, &reg);
}

static int set_reg(int fd, uint64_t id, uint64_t val)
{
    struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)(uintptr_t)&val };

    return ioctl(fd, KVM_SET_ONE_REG, &reg);
}

/* The PLIC's output for hart `hart`: the vCPU's supervisor external interrupt (under rh.lock). */
static void set_ext(void *ctx, unsigned hart, bool level)
{
    struct riscv_host *r = ctx;
    struct kvm_interrupt irq = { .irq = level ? KVM_INTERRUPT_SET : KVM_INTERRUPT_UNSET };
    int fd;

    if (r->h == NULL || hart >= SVMM_MAX_VCPUS)
        return;
    fd = r->h->vcpus[hart].fd;
    /* Between a restart's VM teardown and the new vCPUs (fd <= 0), lines only go low: nothing to tell. */
    if (fd > 0 && r->h->vm_fd >= 0 && ioctl(fd, KVM_INTERRUPT, &irq) < 0)
        svmm_warn("KVM_INTERRUPT for hart %u failed: %s", hart, strerror(errno));
}

void kvm_arch_irq_set(void *ctx, uint32_t spi, bool level)
{
    (void)ctx; /* one VM per process: rh */
    pthread_mutex_lock(&rh.lock);
    riscv_plic_set_level(&rh.plic, riscv_plic_source(spi), level);
    pthread_mutex_unlock(&rh.lock);
}

/* The PLIC on the MMIO bus (called under dev_lock), with its own lock for irq_set's callers. */
static uint64_t plic_read(void *dev, unsigned vcpu, uint64_t off, unsigned size)
{
    uint64_t v;

    pthread_mutex_lock(&rh.lock);
    v = riscv_plic_mmio_ops.read(dev, vcpu, off, size);
    pthread_mutex_unlock(&rh.lock);
    return v;
}

static void plic_write(void *dev, unsigned vcpu, uint64_t off, unsigned size, uint64_t val)
{
    pthread_mutex_lock(&rh.lock);
    riscv_plic_mmio_ops.write(dev, vcpu, off, size, val);
    pthread_mutex_unlock(&rh.lock);
}

static const struct svmm_mmio_ops locked_plic_ops = { .read = plic_read, .write = plic_write };

int kvm_arch_check(struct kvm_host *h, char *err, size_t errlen)
{
    if (ioctl(h->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ONE_REG) <= 0) {
        snprintf(err, errlen, "this KVM lacks ONE_REG: not a riscv64 KVM?");
        return -1;
    }
    return 0;
}

/* KVM's ISA extension ids, and what the DT's riscv,isa calls them. */
static const struct {
    unsigned kvm_id;
    uint32_t flag;
} multi_ext[] = {
    { KVM_RISCV_ISA_EXT_SSTC, RISCV_EXT_SSTC },
    { KVM_RISCV_ISA_EXT_SVPBMT, RISCV_EXT_SVPBMT },
    { KVM_RISCV_ISA_EXT_SVINVAL, RISCV_EXT_SVINVAL },
    { KVM_RISCV_ISA_EXT_ZIHINTPAUSE, RISCV_EXT_ZIHINTPAUSE },
};

/* A scratch VM and vCPU tell what the guest's harts will be: ISA, extensions, timebase. */
int kvm_arch_vm_config(struct svmm_vm_config *cfg, char *err, size_t errlen)
{
    int kvm = -1, vm = -1, vcpu = -1, r = -1;
    uint64_t isa = 0, hz = 0, on;

    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        snprintf(err, errlen, "cannot open /dev/kvm: %s (svmm needs Linux KVM on a riscv64 host with the H "
                 "extension: use the QEMU test machine, tests/e2e/hosted-riscv.sh)", strerror(errno));
        return -1;
    }
    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    vcpu = vm < 0 ? -1 : ioctl(vm, KVM_CREATE_VCPU, 0ul);
    if (vcpu < 0 || get_reg(vcpu, REG_U64(KVM_REG_RISCV_CONFIG, KVM_REG_RISCV_CONFIG_REG(isa)), &isa) < 0 ||
        get_reg(vcpu, REG_U64(KVM_REG_RISCV_TIMER, KVM_REG_RISCV_TIMER_REG(frequency)), &hz) < 0) {
        snprintf(err, errlen, "cannot probe the vCPUs KVM makes (ISA, timebase): %s", strerror(errno));
        goto out;
    }
    if (hz == 0 || hz > UINT32_MAX || !(isa & RISCV_ISA_LETTER('i'))) {
        snprintf(err, errlen, "KVM reports a vCPU without the I extension or a timebase of %llu Hz",
                 (unsigned long long)hz);
        goto out;
    }
    /* Single letters a..z only; H is never the guest's (no nested virtualisation in this KVM). */
    cfg->layout.riscv.isa = isa & ((1ull << 26) - 1) & ~RISCV_ISA_LETTER('h');
    cfg->layout.riscv.timebase_hz = (uint32_t)hz;
    cfg->layout.riscv.isa_ext = 0;
    for (size_t i = 0; i < sizeof(multi_ext) / sizeof(multi_ext[0]); i++)
        if (get_reg(vcpu, REG_U64(KVM_REG_RISCV_ISA_EXT, multi_ext[i].kvm_id), &on) == 0 && on)
            cfg->layout.riscv.isa_ext |= multi_ext[i].flag;
    timebase_hz = hz;
    r = 0;
out:
    if (vcpu >= 0)
        close(vcpu);
    if (vm >= 0)
        close(vm);
    close(kvm);
    return r;
}

int kvm_arch_vm_created(struct kvm_host *h, char *err, size_t errlen)
{
    struct riscv_plic_ops ops = { .ctx = &rh, .set_ext = set_ext };

    pthread_mutex_lock(&rh.lock);
    rh.h = h;
    h->arch = &rh;
    if (rh.on_bus) {
        riscv_plic_reset(&rh.plic); /* a restart: the new VM's harts start with every line low */
        pthread_mutex_unlock(&rh.lock);
        return 0;
    }
    riscv_plic_init(&rh.plic, riscv_plic_nsources(&h->vm->cfg), h->vm->cfg.ncpus, &ops);
    pthread_mutex_unlock(&rh.lock);
    if (svmm_mmio_register(&h->vm->bus, h->vm->cfg.layout.riscv.plic_base, RISCV_PLIC_SIZE, &locked_plic_ops,
                           &rh.plic, "plic") < 0) {
        snprintf(err, errlen, "the PLIC at 0x%llx overlaps another device",
                 (unsigned long long)h->vm->cfg.layout.riscv.plic_base);
        return -1;
    }
    rh.on_bus = true;
    return 0;
}

int kvm_arch_vcpu_init(struct kvm_vcpu_ctx *v, char *err, size_t errlen)
{
    struct svmm_arch_boot_regs r;

    if (v->index != 0)
        return 0; /* KVM keeps harts other than 0 stopped until the guest's SBI HSM_HART_START */
    /* Documentation/riscv/boot.rst: a0 = this hart's id, a1 = the DTB; S-mode and satp = 0 (KVM's reset). */
    svmm_arch_boot_regs(v->host->vm->boot.kernel_gpa, v->host->vm->boot.dtb_gpa, &r);
    if (set_reg(v->fd, REG_U64(KVM_REG_RISCV_CORE, KVM_REG_RISCV_CORE_REG(regs.pc)), r.pc) < 0 ||
        set_reg(v->fd, REG_U64(KVM_REG_RISCV_CORE, KVM_REG_RISCV_CORE_REG(regs.a0)), 0) < 0 ||
        set_reg(v->fd, REG_U64(KVM_REG_RISCV_CORE, KVM_REG_RISCV_CORE_REG(regs.a1)), r.x0) < 0) {
        snprintf(err, errlen, "cannot set the boot registers: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int kvm_arch_vcpus_created(struct kvm_host *h, char *err, size_t errlen)
{
    (void)h;
    (void)err;
    (void)errlen;
    return 0;
}

void kvm_arch_vm_destroyed(struct kvm_host *h)
{
    (void)h; /* the PLIC stays on the bus; kvm_arch_vm_created resets it for the next VM */
}

static void sbi_putchar(void *ctx, uint8_t c)
{
    stdio_uart_tx(ctx, c);
}

enum kvm_arch_exit kvm_arch_handle_exit(struct kvm_vcpu_ctx *v)
{
    struct kvm_run *run = v->run;
    struct riscv_sbi_ops ops = { .ctx = NULL, .putchar = sbi_putchar, .getchar = NULL };
    struct riscv_sbi_call call;
    struct riscv_sbi_ret ret;
    enum riscv_sbi_action act;

    if (run->exit_reason != KVM_EXIT_RISCV_SBI)
        return KVM_ARCH_EXIT_UNKNOWN;
    call.ext = run->riscv_sbi.extension_id;
    call.fid = run->riscv_sbi.function_id;
    for (unsigned i = 0; i < 6; i++)
        call.args[i] = run->riscv_sbi.args[i];
    pthread_mutex_lock(&v->host->dev_lock); /* the console is shared with the UART's writers */
    act = riscv_sbi_handle(&ops, &call, &ret);
    pthread_mutex_unlock(&v->host->dev_lock);
    run->riscv_sbi.ret[0] = (unsigned long)ret.error;
    run->riscv_sbi.ret[1] = ret.value;
    switch (act) {
    case RISCV_SBI_SHUTDOWN: return KVM_ARCH_EXIT_POWEROFF;
    case RISCV_SBI_REBOOT: return KVM_ARCH_EXIT_RESET;
    default: return KVM_ARCH_EXIT_HANDLED;
    }
}

uint64_t kvm_arch_read_counter(void)
{
    uint64_t t;

    __asm__ volatile("rdtime %0" : "=r"(t) : : "memory");
    return t;
}

uint64_t kvm_host_counter_hz(void)
{
    return timebase_hz;
}
