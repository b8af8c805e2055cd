/* SPDX-License-Identifier: BSD-2-Clause */
/* Linux KVM (arm64) platform: one VM, one thread per vCPU, in-kernel vGICv3, timer and PSCI. */
#ifndef SVMM_KVM_KVM_H
#define SVMM_KVM_KVM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <svmm/vm.h>

/* Exit status of the svmm process, by how the guest stopped. */
enum svmm_exit_status {
    SVMM_EXIT_POWEROFF = 0,
    SVMM_EXIT_ERROR = 1,
    SVMM_EXIT_RESET = 2,
    SVMM_EXIT_CRASH = 3,
    SVMM_EXIT_USER = 130,
    SVMM_EXIT_TERMINATED = 143, /* SIGTERM (128 + 15, as a shell reports a process it killed) */
};

struct kvm_vcpu_ctx {
    struct kvm_host *host;
    unsigned index;
    int fd;
    struct kvm_run *run;
    pthread_t thread;
    atomic_bool started;
    uint64_t exits_mmio, exits_other;
};

struct kvm_host {
    int kvm_fd, vm_fd, gic_fd;
    int stop_fd; /* eventfd: becomes readable when the VM stops */
    size_t run_size;
    struct svmm_vm *vm;
    pthread_mutex_t dev_lock; /* serialises every call into core/virtio device code */
    atomic_int exit_status;   /* -1 while running */
    struct kvm_vcpu_ctx vcpus[SVMM_MAX_VCPUS];
};

/* Open /dev/kvm and check the capabilities svmm needs; -1 with a reason (and a remedy) in err. */
int kvm_host_open(struct kvm_host *h, char *err, size_t errlen);

/*
 * Create the KVM VM for `vm`: guest RAM at `ram` (already registered in vm's memory map), the
 * vGICv3, and cfg.ncpus vCPUs (vCPU 0 at the kernel entry, the others off until PSCI CPU_ON).
 */
int kvm_host_create_vm(struct kvm_host *h, struct svmm_vm *vm, void *ram, char *err, size_t errlen);

/* Start the vCPU threads. */
int kvm_host_start(struct kvm_host *h, char *err, size_t errlen);

/* Ask every vCPU to stop; the first status recorded wins. Safe from any thread. */
void kvm_host_stop(struct kvm_host *h, int status);

/* Wait for the vCPU threads after a stop; returns the recorded exit status. */
int kvm_host_join(struct kvm_host *h);

/*
 * Make a 4-byte guest write of `datamatch` to `gpa` (an MMIO register, e.g. a virtio-mmio device's
 * QueueNotify for one queue) signal eventfd `fd` inside KVM instead of exiting to a vCPU thread
 * (KVM_IOEVENTFD with DATAMATCH). Other values written there still exit as MMIO. Safe while vCPUs
 * run (a write before this returns takes the MMIO exit). KVM keeps its own reference to the
 * eventfd. -1 with a reason in err (e.g. a KVM without ioeventfd support).
 */
int kvm_host_add_ioeventfd(struct kvm_host *h, uint64_t gpa, uint32_t datamatch, int fd, char *err, size_t errlen);

/* The svmm_platform table for this host (IRQ lines through KVM_IRQ_LINE). */
struct svmm_platform kvm_host_platform(struct kvm_host *h);

#endif
