/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linux KVM platform: one VM, one thread per vCPU. arm64: in-kernel vGICv3, timer and PSCI; riscv64:
 * in-kernel timer, IPIs and HSM, the PLIC model in userspace (kvm_arch.h).
 */
#ifndef SVMM_KVM_KVM_H
#define SVMM_KVM_KVM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <svmm/lifecycle.h>
#include <svmm/vm.h>

/* ioeventfds registered on the VM, kept to register again on a restart's new KVM VM. */
#define KVM_HOST_MAX_IOEVENTFDS 64

/* Exit status of the svmm process, by how the guest stopped. */
enum svmm_exit_status {
    SVMM_EXIT_POWEROFF = 0,
    SVMM_EXIT_ERROR = 1,
    SVMM_EXIT_RESET = 2,
    SVMM_EXIT_CRASH = 3, /* a guest fault: it reported a crash, or stopped refreshing its watchdog */
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
    atomic_uint_least64_t exits_mmio, exits_other; /* written by the vCPU's thread, read by status */
};

struct kvm_host {
    int kvm_fd, vm_fd, gic_fd; /* gic_fd: arm64 */
    void *arch;                /* the architecture glue's own state (kvm_arch.h), or NULL */
    int stop_fd; /* eventfd: becomes readable when the VM stops */
    size_t run_size;
    struct svmm_vm *vm;
    pthread_mutex_t dev_lock; /* serialises every call into core/virtio device code */
    atomic_int exit_status;   /* -1 while running */
    /* Restart: the vCPU threads leave (halt), the main thread, woken by restart_fd, resets the VM. */
    atomic_bool halt;
    int restart_fd;
    pthread_mutex_t lc_lock; /* guards lc: vCPU threads (PSCI) and the main thread (restart) */
    struct svmm_lifecycle lc;
    void *ram;
    void *extra_ram[SVMM_MAX_EXTRA_RAM]; /* cfg.extra_ram's mappings (kvm_host_create_vm) */
    void *windows[SVMM_MAX_WINDOWS];     /* cfg.windows' mappings (set before kvm_host_create_vm) */
    uint64_t boot_ns; /* CLOCK_MONOTONIC when the vCPUs last started (status: uptime) */
    uint64_t counter_base; /* host CNTVCT_EL0 when this KVM VM's vCPUs were made: guest counter 0 (dev_lock) */
    struct {
        uint64_t gpa;
        uint32_t datamatch;
        int fd;
    } ioeventfds[KVM_HOST_MAX_IOEVENTFDS];
    unsigned nioeventfds;
    struct kvm_vcpu_ctx vcpus[SVMM_MAX_VCPUS];
    /* Set before kvm_host_start: vCPU i's host CPU (naffinity 0: unpinned), its SCHED_FIFO priority (0: none) */
    const unsigned *cpu_affinity;
    unsigned naffinity;
    int rt_priority;
};

/* Rebuild the guest's memory for a restart: scrub RAM, load the images again. Under dev_lock. */
typedef int (*kvm_host_reload_fn)(void *ctx, char *err, size_t errlen);

/*
 * Open /dev/kvm and check the capabilities svmm needs; -1 with a reason (and a remedy) in err.
 * `no_reboot`: a guest's PSCI SYSTEM_RESET stops the VM (status SVMM_EXIT_RESET) instead of
 * restarting it.
 */
int kvm_host_open(struct kvm_host *h, bool no_reboot, char *err, size_t errlen);

/*
 * Create the KVM VM for `vm`: guest RAM at `ram` and its further ranges at extra_ram[i] (all already
 * registered in vm's memory map), the
 * interrupt controller (vGICv3; the PLIC model), and cfg.ncpus vCPUs (vCPU 0 at the kernel entry, the
 * others off until PSCI CPU_ON or SBI HSM_HART_START).
 */
int kvm_host_create_vm(struct kvm_host *h, struct svmm_vm *vm, void *ram, void *const extra_ram[], char *err,
                       size_t errlen);

/* Start the vCPU threads. */
int kvm_host_start(struct kvm_host *h, char *err, size_t errlen);

/* Ask every vCPU to stop; the first status recorded wins. Safe from any thread. */
void kvm_host_stop(struct kvm_host *h, int status);

/* Wait for the vCPU threads after a stop; returns the recorded exit status. */
int kvm_host_join(struct kvm_host *h);

/*
 * An admin's lifecycle operation (stop, restart; start is refused while the VMM runs its VM): -1 with
 * the lifecycle's reason in err when the VM's state does not allow it. Safe from any thread but the
 * vCPUs' own (a stop ends the VM with status SVMM_EXIT_POWEROFF; a restart wakes the main thread).
 */
int kvm_host_request(struct kvm_host *h, enum svmm_vm_op op, char *err, size_t errlen);

/* One status line: state, boots, restarts, uptime of this boot, exits by kind and by device. */
void kvm_host_status(struct kvm_host *h, char *buf, size_t len);

/* True when a guest reset (or an admin restart) waits for kvm_host_restart(), and no stop was asked. */
bool kvm_host_restart_pending(struct kvm_host *h);

/*
 * Restart the VM (main thread, after kvm_host_restart_pending()): wait for the halted vCPU threads,
 * under dev_lock destroy the KVM VM, reset every emulated device (svmm_vm_reset_devices: in-flight
 * I/O completes or fails first), call `reload` (scrub RAM, load the images), create a new KVM VM
 * (fresh vGIC, timers and vCPUs; the ioeventfds registered again), then start its vCPUs. Threads
 * of device backends keep running throughout. -1 with a reason in err (the caller stops the VM).
 */
int kvm_host_restart(struct kvm_host *h, kvm_host_reload_fn reload, void *ctx, char *err, size_t errlen);

/*
 * Make a 4-byte guest write of `datamatch` to `gpa` (an MMIO register, e.g. a virtio-mmio device's
 * QueueNotify for one queue) signal eventfd `fd` inside KVM instead of exiting to a vCPU thread
 * (KVM_IOEVENTFD with DATAMATCH). Other values written there still exit as MMIO. Safe while vCPUs
 * run (a write before this returns takes the MMIO exit). KVM keeps its own reference to the
 * eventfd. -1 with a reason in err (e.g. a KVM without ioeventfd support).
 */
int kvm_host_add_ioeventfd(struct kvm_host *h, uint64_t gpa, uint32_t datamatch, int fd, char *err, size_t errlen);

/*
 * An unrecoverable guest fault found by the VMM (the watchdog's WS1): the lifecycle's FAIL, and svmm
 * ends with SVMM_EXIT_CRASH. Ignored (debug log) when the VM is already stopping or restarting.
 * Safe from any thread but the vCPUs' own.
 */
void kvm_host_fault(struct kvm_host *h);

/* The system counter's frequency (arm64 CNTFRQ_EL0, riscv64 the timebase: what the guest reads too). */
uint64_t kvm_host_counter_hz(void);

/*
 * The guest's system counter now (its CNTVCT_EL0 or time, which KVM starts near 0 with the VM),
 * for devices that compare against it. Call under dev_lock (a restart moves counter_base).
 */
uint64_t kvm_host_guest_counter(const struct kvm_host *h);

/* The svmm_platform table for this host (IRQ lines: KVM_IRQ_LINE, or the PLIC model and KVM_INTERRUPT). */
struct svmm_platform kvm_host_platform(struct kvm_host *h);

#endif
