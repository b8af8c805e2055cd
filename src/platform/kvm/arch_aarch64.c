/* SPDX-License-Identifier: BSD-2-Clause */
/* arm64's part of the KVM platform: capabilities, the in-kernel vGICv3, vCPU init, the counter. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <svmm/arch.h>
#include <svmm/log.h>
#include "kvm_arch.h"

const char kvm_arch_name[] = "arm64";

static struct kvm_vcpu_init preferred_target; /* one VM per process: KVM's choice for it */

void kvm_arch_irq_set(void *ctx, uint32_t spi, bool level)
{
    struct kvm_host *h = ctx;
    struct kvm_irq_level irq = {
        .irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) | (spi + 32),
        .level = level,
    };

    if (h->vm_fd >= 0 && ioctl(h->vm_fd, KVM_IRQ_LINE, &irq) < 0)
        svmm_warn("KVM_IRQ_LINE for SPI %u failed: %s", spi, strerror(errno));
}

int kvm_arch_check(struct kvm_host *h, char *err, size_t errlen)
{
    if (ioctl(h->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ONE_REG) <= 0 ||
        ioctl(h->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PSCI_0_2) <= 0 ||
        ioctl(h->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL) <= 0) {
        snprintf(err, errlen, "this KVM lacks ONE_REG, ARM_PSCI_0_2 or DEVICE_CTRL: not an arm64 KVM?");
        return -1;
    }
    return 0;
}

int kvm_arch_vm_config(struct svmm_vm_config *cfg, char *err, size_t errlen)
{
    (void)cfg; /* the DT's GIC, timer and PSCI depend on nothing the host decides */
    (void)err;
    (void)errlen;
    return 0;
}

static int set_gic_attr(struct kvm_host *h, uint32_t group, uint64_t attr, void *val)
{
    struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)val };

    return ioctl(h->gic_fd, KVM_SET_DEVICE_ATTR, &a);
}

int kvm_arch_vm_created(struct kvm_host *h, char *err, size_t errlen)
{
    const struct svmm_gic_config *g = &h->vm->cfg.layout.gic;
    struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
    uint64_t dist = g->dist_base, redist = g->redist_base;

    if (g->version != SVMM_GIC_V3) {
        snprintf(err, errlen, "the KVM platform provides a GICv3 only");
        return -1;
    }
    if (ioctl(h->vm_fd, KVM_CREATE_DEVICE, &dev) < 0) {
        snprintf(err, errlen, "cannot create an in-kernel GICv3: %s (does the host have a GICv3?)", strerror(errno));
        return -1;
    }
    h->gic_fd = (int)dev.fd;
    /*
     * Loads and stores KVM cannot decode (no instruction syndrome: a load pair, a writeback) come
     * to us as KVM_EXIT_ARM_NISV instead of failing KVM_RUN with ENOSYS, so such a guest is
     * stopped as faulty with the address it touched. Best effort: without it, KVM_RUN still fails.
     */
    if (ioctl(h->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_NISV_TO_USER) > 0) {
        struct kvm_enable_cap cap = { .cap = KVM_CAP_ARM_NISV_TO_USER };
        if (ioctl(h->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
            svmm_dbg("KVM_CAP_ARM_NISV_TO_USER: %s", strerror(errno));
    }
    if (set_gic_attr(h, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist) < 0 ||
        set_gic_attr(h, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist) < 0) {
        snprintf(err, errlen, "cannot place the GICv3 frames: %s", strerror(errno));
        return -1;
    }
    if (ioctl(h->vm_fd, KVM_ARM_PREFERRED_TARGET, &preferred_target) < 0) {
        snprintf(err, errlen, "KVM_ARM_PREFERRED_TARGET failed: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int kvm_arch_vcpus_created(struct kvm_host *h, char *err, size_t errlen)
{
    /* Enough SPIs for the UART and every virtio slot; KVM wants a multiple of 32. */
    uint32_t nr_irqs = 32 + ((h->vm->cfg.layout.virtio_spi + SVMM_MAX_VIRTIO + 31) / 32) * 32;

    if (set_gic_attr(h, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs) < 0 ||
        set_gic_attr(h, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL) < 0) {
        snprintf(err, errlen, "cannot initialise the GICv3: %s", strerror(errno));
        return -1;
    }
    return 0;
}

void kvm_arch_vm_destroyed(struct kvm_host *h)
{
    if (h->gic_fd >= 0)
        close(h->gic_fd);
    h->gic_fd = -1;
}

static int set_core_reg(int fd, uint64_t offset_words, uint64_t val)
{
    struct kvm_one_reg reg = {
        .id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | offset_words,
        .addr = (uint64_t)(uintptr_t)&val,
    };

    return ioctl(fd, KVM_SET_ONE_REG, &reg);
}

static int set_boot_regs(struct kvm_vcpu_ctx *v)
{
    struct svmm_arch_boot_regs r;

    svmm_arch_boot_regs(v->host->vm->boot.kernel_gpa, v->host->vm->boot.dtb_gpa, &r);
    if (set_core_reg(v->fd, KVM_REG_ARM_CORE_REG(regs.pc), r.pc) < 0 ||
        set_core_reg(v->fd, KVM_REG_ARM_CORE_REG(regs.regs[0]), r.x0) < 0 ||
        set_core_reg(v->fd, KVM_REG_ARM_CORE_REG(regs.pstate), r.pstate) < 0)
        return -1;
    return 0;
}

int kvm_arch_vcpu_init(struct kvm_vcpu_ctx *v, char *err, size_t errlen)
{
    struct kvm_vcpu_init init = preferred_target;

    init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
    if (v->index > 0)
        init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF; /* secondaries wait for PSCI CPU_ON */
    if (ioctl(v->fd, KVM_ARM_VCPU_INIT, &init) < 0) {
        snprintf(err, errlen, "cannot initialise vCPU %u: %s", v->index, strerror(errno));
        return -1;
    }
    if (v->index == 0 && set_boot_regs(v) < 0) {
        snprintf(err, errlen, "cannot set the boot registers: %s", strerror(errno));
        return -1;
    }
    return 0;
}

enum kvm_arch_exit kvm_arch_handle_exit(struct kvm_vcpu_ctx *v)
{
    /* PSCI and the GIC are the kernel's: only an access KVM could not decode comes here. */
    if (v->run->exit_reason != KVM_EXIT_ARM_NISV)
        return KVM_ARCH_EXIT_UNKNOWN;
    svmm_err("vCPU %u: unemulatable access at 0x%llx (no instruction syndrome, ESR ISS 0x%llx): stopping the VM",
             v->index, (unsigned long long)v->run->arm_nisv.fault_ipa,
             (unsigned long long)v->run->arm_nisv.esr_iss);
    kvm_host_fault(v->host); /* the guest's fault: exit status 3; the vCPU loop ends as the VM stops */
    return KVM_ARCH_EXIT_HANDLED;
}

/* The host's virtual counter (EL0 may read it on Linux); isb: not read ahead of what came before. */
uint64_t kvm_arch_read_counter(void)
{
    uint64_t v;

    __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
    return v;
}

uint64_t kvm_host_counter_hz(void)
{
    uint64_t hz;

    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(hz));
    return hz & 0xffffffffu; /* CNTFRQ_EL0 holds 32 bits */
}
