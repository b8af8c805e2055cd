/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The architecture's part of the KVM platform (kvm.c holds the rest): arch_aarch64.c (in-kernel
 * vGICv3, PSCI, the arm64 counter) or arch_riscv64.c (the userspace PLIC model behind
 * KVM_INTERRUPT, SBI exits, the time CSR). Exactly one is linked.
 */
#ifndef SVMM_KVM_ARCH_H
#define SVMM_KVM_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kvm.h"

/* "arm64" or "riscv64", for svmm --version. */
extern const char kvm_arch_name[];

/* Check the capabilities this architecture's KVM must have (h->kvm_fd is open); -1 with a reason. */
int kvm_arch_check(struct kvm_host *h, char *err, size_t errlen);

/*
 * Complete `cfg` with what only the host's KVM knows about the vCPUs it will make (riscv64: ISA,
 * timebase), before the VM and its device tree are built. -1 with a reason (e.g. no /dev/kvm).
 */
int kvm_arch_vm_config(struct svmm_vm_config *cfg, char *err, size_t errlen);

/* The KVM VM exists (h->vm_fd), its vCPUs not yet: create or reset the interrupt controller. */
int kvm_arch_vm_created(struct kvm_host *h, char *err, size_t errlen);

/* vCPU v was created (v->fd, v->run): initialise it; vCPU 0 gets the boot registers. */
int kvm_arch_vcpu_init(struct kvm_vcpu_ctx *v, char *err, size_t errlen);

/* Every vCPU exists: finish the interrupt controller. */
int kvm_arch_vcpus_created(struct kvm_host *h, char *err, size_t errlen);

/* The VM is being closed (restart or exit): release what kvm_arch_vm_created made. */
void kvm_arch_vm_destroyed(struct kvm_host *h);

/* Drive device interrupt line `spi` (svmm_platform.irq_set; ctx is the kvm_host). */
void kvm_arch_irq_set(void *ctx, uint32_t spi, bool level);

/* What the vCPU loop does after an exit the generic code does not know. */
enum kvm_arch_exit {
    KVM_ARCH_EXIT_HANDLED,  /* resume the vCPU */
    KVM_ARCH_EXIT_POWEROFF, /* the guest powered off */
    KVM_ARCH_EXIT_RESET,    /* the guest asked for a reset */
    KVM_ARCH_EXIT_UNKNOWN,  /* not this architecture's either: stop with an error */
};
enum kvm_arch_exit kvm_arch_handle_exit(struct kvm_vcpu_ctx *v);

/* The host's counter that the guest's runs from (arm64 CNTVCT_EL0, riscv64 time). */
uint64_t kvm_arch_read_counter(void);

#endif
