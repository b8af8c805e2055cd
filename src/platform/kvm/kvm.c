/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <svmm/arch.h>
#include <svmm/log.h>
#include "kvm.h"
#include "kvm_arch.h"

#define KICK_SIGNAL SIGUSR1

struct svmm_platform kvm_host_platform(struct kvm_host *h)
{
    return (struct svmm_platform){ .ctx = h, .irq_set = kvm_arch_irq_set };
}

int kvm_host_open(struct kvm_host *h, bool no_reboot, char *err, size_t errlen)
{
    int ver;

    memset(h, 0, sizeof(*h));
    h->vm_fd = h->gic_fd = h->stop_fd = -1;
    atomic_init(&h->exit_status, -1);
    pthread_mutex_init(&h->dev_lock, NULL);
    h->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (h->kvm_fd < 0) {
        snprintf(err, errlen,
                 "cannot open /dev/kvm: %s (svmm needs Linux KVM on an arm64 or riscv64 host with virtualization "
                 "enabled: load the kvm module, run as a user with access to /dev/kvm, or use the "
                 "QEMU test machine: make demo)", strerror(errno));
        return -1;
    }
    ver = ioctl(h->kvm_fd, KVM_GET_API_VERSION, 0);
    if (ver != KVM_API_VERSION) {
        snprintf(err, errlen, "/dev/kvm speaks API version %d, svmm needs %d", ver, KVM_API_VERSION);
        return -1;
    }
    if (kvm_arch_check(h, err, errlen) < 0)
        return -1;
    h->run_size = (size_t)ioctl(h->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    h->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    h->restart_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_mutex_init(&h->lc_lock, NULL);
    svmm_lifecycle_init(&h->lc, no_reboot);
    atomic_init(&h->halt, false);
    if (h->stop_fd < 0 || h->restart_fd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int create_vcpu(struct kvm_host *h, unsigned i, char *err, size_t errlen)
{
    struct kvm_vcpu_ctx *v = &h->vcpus[i];

    v->host = h;
    v->index = i;
    v->fd = ioctl(h->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
    if (v->fd < 0) {
        snprintf(err, errlen, "cannot create vCPU %u: %s", i, strerror(errno));
        return -1;
    }
    v->run = mmap(NULL, h->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (v->run == MAP_FAILED) {
        snprintf(err, errlen, "cannot map vCPU %u run area: %s", i, strerror(errno));
        return -1;
    }
    return kvm_arch_vcpu_init(v, err, errlen);
}

static int register_ioeventfd(struct kvm_host *h, uint64_t gpa, uint32_t datamatch, int fd, char *err,
                              size_t errlen);

uint64_t kvm_host_guest_counter(const struct kvm_host *h)
{
    return kvm_arch_read_counter() - h->counter_base;
}

int kvm_host_create_vm(struct kvm_host *h, struct svmm_vm *vm, void *ram, void *const extra_ram[], char *err,
                       size_t errlen)
{
    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = vm->cfg.ram_base,
        .memory_size = vm->cfg.ram_size,
        .userspace_addr = (uint64_t)(uintptr_t)ram,
    };
    int max;

    h->vm = vm; /* h->windows: set by the caller, kept across restarts */
    h->ram = ram;
    for (unsigned i = 0; i < vm->cfg.nextra_ram && i < SVMM_MAX_EXTRA_RAM; i++)
        h->extra_ram[i] = extra_ram[i];
    max = ioctl(h->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (max > 0 && vm->cfg.ncpus > (unsigned)max) {
        snprintf(err, errlen, "this host's KVM allows at most %d vCPUs, %u requested", max, vm->cfg.ncpus);
        return -1;
    }
    h->vm_fd = ioctl(h->kvm_fd, KVM_CREATE_VM, 0);
    if (h->vm_fd < 0) {
        snprintf(err, errlen, "KVM_CREATE_VM failed: %s", strerror(errno));
        return -1;
    }
    if (ioctl(h->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
        snprintf(err, errlen, "cannot give the guest %llu MiB of RAM: %s",
                 (unsigned long long)(vm->cfg.ram_size >> 20), strerror(errno));
        return -1;
    }
    for (unsigned i = 0; i < vm->cfg.nextra_ram && i < SVMM_MAX_EXTRA_RAM; i++) {
        region = (struct kvm_userspace_memory_region){
            .slot = 1 + i,
            .guest_phys_addr = vm->cfg.extra_ram[i].base,
            .memory_size = vm->cfg.extra_ram[i].size,
            .userspace_addr = (uint64_t)(uintptr_t)h->extra_ram[i],
        };
        if (ioctl(h->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
            snprintf(err, errlen, "cannot give the guest RAM range 0x%llx (%llu MiB): %s",
                     (unsigned long long)region.guest_phys_addr, (unsigned long long)(region.memory_size >> 20),
                     strerror(errno));
            return -1;
        }
    }
    for (unsigned i = 0; i < vm->cfg.nwindows && i < SVMM_MAX_WINDOWS; i++) {
        region = (struct kvm_userspace_memory_region){
            .slot = 1 + SVMM_MAX_EXTRA_RAM + i,
            .guest_phys_addr = vm->cfg.windows[i].base,
            .memory_size = vm->cfg.windows[i].size,
            .userspace_addr = (uint64_t)(uintptr_t)h->windows[i],
        };
        if (ioctl(h->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
            snprintf(err, errlen, "cannot map shared window %s at 0x%llx: %s", vm->cfg.windows[i].name,
                     (unsigned long long)region.guest_phys_addr, strerror(errno));
            return -1;
        }
    }
    if (kvm_arch_vm_created(h, err, errlen) < 0)
        return -1;
    for (unsigned i = 0; i < vm->cfg.ncpus; i++)
        if (create_vcpu(h, i, err, errlen) < 0)
            return -1;
    /* KVM sets the guest's counter offset as each vCPU (arm64) or the VM (riscv64) is made. */
    h->counter_base = kvm_arch_read_counter();
    if (kvm_arch_vcpus_created(h, err, errlen) < 0)
        return -1;
    for (unsigned i = 0; i < h->nioeventfds; i++) /* a restart's new VM: what the devices registered */
        if (register_ioeventfd(h, h->ioeventfds[i].gpa, h->ioeventfds[i].datamatch, h->ioeventfds[i].fd, err,
                               errlen) < 0)
            return -1;
    return 0;
}

static int register_ioeventfd(struct kvm_host *h, uint64_t gpa, uint32_t datamatch, int fd, char *err,
                              size_t errlen)
{
    struct kvm_ioeventfd io = {
        .datamatch = datamatch,
        .addr = gpa,
        .len = 4,
        .fd = fd,
        .flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
    };

    if (ioctl(h->vm_fd, KVM_IOEVENTFD, &io) < 0) {
        snprintf(err, errlen, "KVM_IOEVENTFD at 0x%llx (value %u): %s", (unsigned long long)gpa, datamatch,
                 strerror(errno));
        return -1;
    }
    return 0;
}

int kvm_host_add_ioeventfd(struct kvm_host *h, uint64_t gpa, uint32_t datamatch, int fd, char *err, size_t errlen)
{
    if (h->nioeventfds == KVM_HOST_MAX_IOEVENTFDS) {
        snprintf(err, errlen, "more than %d ioeventfds", KVM_HOST_MAX_IOEVENTFDS);
        return -1;
    }
    if (register_ioeventfd(h, gpa, datamatch, fd, err, errlen) < 0)
        return -1;
    h->ioeventfds[h->nioeventfds].gpa = gpa;
    h->ioeventfds[h->nioeventfds].datamatch = datamatch;
    h->ioeventfds[h->nioeventfds++].fd = fd;
    return 0;
}

static void handle_mmio(struct kvm_vcpu_ctx *v)
{
    struct kvm_run *run = v->run;
    uint64_t data = 0;

    atomic_fetch_add_explicit(&v->exits_mmio, 1, memory_order_relaxed);
    if (run->mmio.is_write)
        memcpy(&data, run->mmio.data, run->mmio.len);
    pthread_mutex_lock(&v->host->dev_lock);
    svmm_vm_mmio_access(v->host->vm, v->index, run->mmio.phys_addr, run->mmio.is_write, run->mmio.len, &data);
    pthread_mutex_unlock(&v->host->dev_lock);
    if (!run->mmio.is_write)
        memcpy(run->mmio.data, &data, run->mmio.len);
}

/* Make every started vCPU leave KVM_RUN and its loop (a restart or a stop). */
static void kick_vcpus(struct kvm_host *h)
{
    for (unsigned i = 0; i < SVMM_MAX_VCPUS; i++) {
        struct kvm_vcpu_ctx *v = &h->vcpus[i];
        if (!v->started)
            continue;
        v->run->immediate_exit = 1; /* covers a kick that lands just before KVM_RUN */
        pthread_kill(v->thread, KICK_SIGNAL);
    }
}

/*
 * A lifecycle operation (the guest's SYSTEM_OFF or SYSTEM_RESET, an admin's stop or restart): a
 * restart halts the vCPUs and wakes the main thread; a stop ends the VM with `status`. -1 with the
 * reason when the state refuses it (e.g. a second vCPU's request racing the first).
 */
static int lifecycle_request(struct kvm_host *h, enum svmm_vm_op op, int status, char *err, size_t errlen)
{
    enum svmm_vm_state s;
    uint64_t one = 1;
    int r;

    pthread_mutex_lock(&h->lc_lock);
    r = atomic_load(&h->exit_status) < 0 ? svmm_lifecycle_apply(&h->lc, op, err, errlen) : -1;
    if (r < 0 && atomic_load(&h->exit_status) >= 0)
        snprintf(err, errlen, "the VM is already stopping");
    s = h->lc.state;
    pthread_mutex_unlock(&h->lc_lock);
    if (r < 0)
        return -1;
    if (s != SVMM_VM_RESTARTING) {
        kvm_host_stop(h, status);
        return 0;
    }
    atomic_store(&h->halt, true);
    kick_vcpus(h);
    if (write(h->restart_fd, &one, sizeof(one)) < 0)
        svmm_warn("cannot signal the restart: %s", strerror(errno));
    return 0;
}

static void guest_request(struct kvm_host *h, enum svmm_vm_op op, int status)
{
    char why[96];

    if (lifecycle_request(h, op, status, why, sizeof(why)) < 0)
        svmm_dbg("%s", why);
}

void kvm_host_fault(struct kvm_host *h)
{
    guest_request(h, SVMM_OP_FAIL, SVMM_EXIT_CRASH);
}

int kvm_host_request(struct kvm_host *h, enum svmm_vm_op op, char *err, size_t errlen)
{
    if (op != SVMM_OP_STOP && op != SVMM_OP_RESTART && op != SVMM_OP_START) {
        snprintf(err, errlen, "'%s' is not an admin operation", svmm_vm_op_name(op));
        return -1;
    }
    if (lifecycle_request(h, op, SVMM_EXIT_POWEROFF, err, errlen) < 0)
        return -1;
    svmm_info("admin: %s", svmm_vm_op_name(op));
    return 0;
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Exits of every vCPU since the VM was created or last restarted. */
static void sum_exits(struct kvm_host *h, uint64_t *mmio, uint64_t *other)
{
    *mmio = *other = 0;
    for (unsigned i = 0; i < SVMM_MAX_VCPUS; i++) {
        *mmio += atomic_load_explicit(&h->vcpus[i].exits_mmio, memory_order_relaxed);
        *other += atomic_load_explicit(&h->vcpus[i].exits_other, memory_order_relaxed);
    }
}

void kvm_host_status(struct kvm_host *h, char *buf, size_t len)
{
    struct svmm_lifecycle lc;
    uint64_t mmio, other, up_ms;
    char devs[384];

    pthread_mutex_lock(&h->lc_lock);
    lc = h->lc;
    up_ms = lc.state == SVMM_VM_RUNNING ? (monotonic_ns() - h->boot_ns) / 1000000u : 0;
    pthread_mutex_unlock(&h->lc_lock);
    pthread_mutex_lock(&h->dev_lock);
    svmm_vm_exit_stats(h->vm, devs, sizeof(devs));
    pthread_mutex_unlock(&h->dev_lock);
    sum_exits(h, &mmio, &other);
    snprintf(buf, len, "state %s boots %u restarts %u uptime %llu.%03llu exits mmio=%llu other=%llu; by device: %s",
             svmm_vm_state_name(lc.state), lc.boots, lc.restarts, (unsigned long long)(up_ms / 1000),
             (unsigned long long)(up_ms % 1000), (unsigned long long)mmio, (unsigned long long)other, devs);
}

static void handle_system_event(struct kvm_vcpu_ctx *v)
{
    switch (v->run->system_event.type) {
    case KVM_SYSTEM_EVENT_SHUTDOWN:
        svmm_info("guest powered off (PSCI SYSTEM_OFF or SBI SRST shutdown on vCPU %u)", v->index);
        guest_request(v->host, SVMM_OP_GUEST_OFF, SVMM_EXIT_POWEROFF);
        break;
    case KVM_SYSTEM_EVENT_RESET:
        if (v->host->lc.no_reboot)
            svmm_info("guest requested a reset (PSCI SYSTEM_RESET); stopping (--no-reboot, exit status %d)",
                      SVMM_EXIT_RESET);
        else
            svmm_info("guest requested a reset (PSCI SYSTEM_RESET or SBI SRST reboot on vCPU %u): restarting the VM", v->index);
        guest_request(v->host, SVMM_OP_GUEST_RESET, SVMM_EXIT_RESET);
        break;
    case KVM_SYSTEM_EVENT_CRASH:
        svmm_err("guest reported a crash (vCPU %u)", v->index);
        kvm_host_stop(v->host, SVMM_EXIT_CRASH);
        break;
    default:
        svmm_warn("vCPU %u: ignoring system event %u", v->index, v->run->system_event.type);
        break;
    }
}

/* Returns false when the vCPU loop must end. */
static bool handle_exit(struct kvm_vcpu_ctx *v)
{
    struct kvm_run *run = v->run;

    switch (run->exit_reason) {
    case KVM_EXIT_MMIO:
        handle_mmio(v);
        return true;
    case KVM_EXIT_SYSTEM_EVENT:
        atomic_fetch_add_explicit(&v->exits_other, 1, memory_order_relaxed);
        handle_system_event(v);
        return true;
    case KVM_EXIT_INTR:
        atomic_fetch_add_explicit(&v->exits_other, 1, memory_order_relaxed);
        return true;
    case KVM_EXIT_FAIL_ENTRY:
        svmm_err("vCPU %u: entry failed (hardware reason 0x%llx)", v->index,
                 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        break;
    case KVM_EXIT_INTERNAL_ERROR:
        svmm_err("vCPU %u: KVM internal error %u", v->index, run->internal.suberror);
        break;
    default:
        atomic_fetch_add_explicit(&v->exits_other, 1, memory_order_relaxed);
        switch (kvm_arch_handle_exit(v)) {
        case KVM_ARCH_EXIT_HANDLED:
            return true;
        case KVM_ARCH_EXIT_POWEROFF:
            svmm_info("guest powered off (vCPU %u)", v->index);
            guest_request(v->host, SVMM_OP_GUEST_OFF, SVMM_EXIT_POWEROFF);
            return true;
        case KVM_ARCH_EXIT_RESET:
            svmm_info("guest requested a reset (vCPU %u)%s", v->index, v->host->lc.no_reboot ? "; stopping" : "");
            guest_request(v->host, SVMM_OP_GUEST_RESET, SVMM_EXIT_RESET);
            return true;
        case KVM_ARCH_EXIT_UNKNOWN:
            break;
        }
        svmm_err("vCPU %u: unexpected exit reason %u", v->index, run->exit_reason);
        break;
    }
    kvm_host_stop(v->host, SVMM_EXIT_ERROR);
    return false;
}

static void *vcpu_thread(void *arg)
{
    struct kvm_vcpu_ctx *v = arg;
    sigset_t kick;

    sigemptyset(&kick);
    sigaddset(&kick, KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
    while (atomic_load(&v->host->exit_status) < 0 && !atomic_load(&v->host->halt)) {
        if (ioctl(v->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                atomic_fetch_add_explicit(&v->exits_other, 1, memory_order_relaxed);
                continue;
            }
            svmm_err("vCPU %u: KVM_RUN failed: %s", v->index, strerror(errno));
            kvm_host_stop(v->host, SVMM_EXIT_ERROR);
            break;
        }
        if (!handle_exit(v))
            break;
    }
    return NULL;
}

static void kick_handler(int sig)
{
    (void)sig; /* only there to make KVM_RUN return EINTR */
}

/* The host CPUs of --cpu-affinity are ones this process may run on (sched_getaffinity). */
static int check_host_cpus(const struct kvm_host *h, char *err, size_t errlen)
{
    cpu_set_t allowed;

    if (h->naffinity == 0)
        return 0;
    if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0) {
        snprintf(err, errlen, "--cpu-affinity: sched_getaffinity: %s", strerror(errno));
        return -1;
    }
    for (unsigned i = 0; i < h->naffinity; i++)
        if (h->cpu_affinity[i] >= CPU_SETSIZE || !CPU_ISSET(h->cpu_affinity[i], &allowed)) {
            snprintf(err, errlen, "--cpu-affinity: host CPU %u (vCPU %u) is not one svmm may run on (%d of them: "
                     "see taskset -p or /proc/self/status, Cpus_allowed_list)", h->cpu_affinity[i], i,
                     CPU_COUNT(&allowed));
            return -1;
        }
    return 0;
}

/* vCPU i's thread: pinned (its attr), named "vcpu i", and under SCHED_FIFO if asked. */
static int place_vcpu_thread(struct kvm_host *h, unsigned i, char *err, size_t errlen)
{
    char name[16];
    int e;

    snprintf(name, sizeof(name), "vcpu %u", i);
    pthread_setname_np(h->vcpus[i].thread, name); /* for ps and the tests; a failure changes nothing else */
    if (h->rt_priority == 0)
        return 0;
    e = pthread_setschedparam(h->vcpus[i].thread, SCHED_FIFO, &(struct sched_param){ .sched_priority = h->rt_priority });
    if (e != 0) {
        snprintf(err, errlen, "--rt-priority %d: cannot put vCPU %u under SCHED_FIFO: %s%s", h->rt_priority, i,
                 strerror(e), e == EPERM ? " (needs CAP_SYS_NICE or an RLIMIT_RTPRIO of at least that)" : "");
        return -1;
    }
    return 0;
}

int kvm_host_start(struct kvm_host *h, char *err, size_t errlen)
{
    struct sigaction sa = { .sa_handler = kick_handler };
    sigset_t kick;
    char why[96];

    pthread_mutex_lock(&h->lc_lock);
    if (h->lc.state == SVMM_VM_CREATED && svmm_lifecycle_apply(&h->lc, SVMM_OP_START, why, sizeof(why)) < 0) {
        pthread_mutex_unlock(&h->lc_lock);
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    h->boot_ns = monotonic_ns();
    pthread_mutex_unlock(&h->lc_lock);
    pthread_mutex_lock(&h->dev_lock);
    svmm_vm_power_on(h->vm); /* in this boot's guest counter: counter_base was set with the vCPUs */
    pthread_mutex_unlock(&h->dev_lock);

    /* No SA_RESTART: a kick must interrupt KVM_RUN. Only vCPU threads accept the signal. */
    sigaction(KICK_SIGNAL, &sa, NULL);
    sigemptyset(&kick);
    sigaddset(&kick, KICK_SIGNAL);
    pthread_sigmask(SIG_BLOCK, &kick, NULL);
    if (check_host_cpus(h, err, errlen) < 0) {
        kvm_host_stop(h, SVMM_EXIT_ERROR);
        return -1;
    }
    for (unsigned i = 0; i < h->vm->cfg.ncpus; i++) {
        pthread_attr_t attr;
        cpu_set_t cpu;
        int e;
        pthread_attr_init(&attr);
        if (i < h->naffinity) {
            CPU_ZERO(&cpu);
            CPU_SET(h->cpu_affinity[i], &cpu); /* < CPU_SETSIZE: check_host_cpus */
            pthread_attr_setaffinity_np(&attr, sizeof(cpu), &cpu);
        }
        e = pthread_create(&h->vcpus[i].thread, &attr, vcpu_thread, &h->vcpus[i]);
        pthread_attr_destroy(&attr);
        if (e != 0) {
            snprintf(err, errlen, "cannot start vCPU thread %u: %s", i, strerror(e));
            kvm_host_stop(h, SVMM_EXIT_ERROR);
            return -1;
        }
        h->vcpus[i].started = true;
        if (place_vcpu_thread(h, i, err, errlen) < 0) {
            kvm_host_stop(h, SVMM_EXIT_ERROR);
            return -1;
        }
    }
    return 0;
}

void kvm_host_stop(struct kvm_host *h, int status)
{
    int expected = -1;
    uint64_t one = 1;

    if (!atomic_compare_exchange_strong(&h->exit_status, &expected, status))
        return;
    kick_vcpus(h);
    if (write(h->stop_fd, &one, sizeof(one)) < 0)
        svmm_warn("cannot signal the stop event: %s", strerror(errno));
}

/* Join the vCPU threads and log the exits counted since the VM was created (or last restarted). */
static void join_vcpus(struct kvm_host *h)
{
    uint64_t mmio, other;
    char stats[512];

    for (unsigned i = 0; i < SVMM_MAX_VCPUS; i++) {
        if (!h->vcpus[i].started)
            continue;
        pthread_join(h->vcpus[i].thread, NULL);
        h->vcpus[i].started = false;
    }
    sum_exits(h, &mmio, &other);
    svmm_vm_exit_stats(h->vm, stats, sizeof(stats));
    svmm_info("exits: mmio=%llu other=%llu; by device: %s", (unsigned long long)mmio, (unsigned long long)other,
              stats);
}

int kvm_host_join(struct kvm_host *h)
{
    join_vcpus(h);
    return atomic_load(&h->exit_status);
}

bool kvm_host_restart_pending(struct kvm_host *h)
{
    bool pending;

    pthread_mutex_lock(&h->lc_lock);
    pending = h->lc.state == SVMM_VM_RESTARTING;
    pthread_mutex_unlock(&h->lc_lock);
    return pending && atomic_load(&h->exit_status) < 0;
}

/* Close the KVM VM (its vCPUs, vGIC, memory slot and ioeventfds go with it); guest RAM stays mapped. */
static void destroy_vm(struct kvm_host *h)
{
    for (unsigned i = 0; i < h->vm->cfg.ncpus; i++) {
        struct kvm_vcpu_ctx *v = &h->vcpus[i];
        if (v->run != NULL && v->run != MAP_FAILED)
            munmap(v->run, h->run_size);
        if (v->fd >= 0)
            close(v->fd);
        *v = (struct kvm_vcpu_ctx){ .fd = -1 };
    }
    kvm_arch_vm_destroyed(h);
    close(h->vm_fd);
    h->vm_fd = -1;
}

int kvm_host_restart(struct kvm_host *h, kvm_host_reload_fn reload, void *ctx, char *err, size_t errlen)
{
    enum svmm_vm_state now;
    char why[96];
    uint64_t n;
    int r;

    join_vcpus(h);
    pthread_mutex_lock(&h->dev_lock);
    destroy_vm(h);
    svmm_vm_reset_devices(h->vm); /* lines go low on a VM that is gone: the new vGIC starts with all low */
    r = reload(ctx, err, errlen);
    if (r == 0)
        r = kvm_host_create_vm(h, h->vm, h->ram, h->extra_ram, err, errlen);
    pthread_mutex_unlock(&h->dev_lock);
    if (r < 0)
        return -1;
    pthread_mutex_lock(&h->lc_lock);
    r = svmm_lifecycle_apply(&h->lc, SVMM_OP_HALTED, why, sizeof(why));
    now = h->lc.state;
    pthread_mutex_unlock(&h->lc_lock);
    if (r < 0) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    if (now != SVMM_VM_RUNNING)
        return 0; /* an admin's stop came during the restart: the VM stays down, the stop ends svmm */
    if (read(h->restart_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        svmm_warn("restart event: %s", strerror(errno));
    atomic_store(&h->halt, false);
    svmm_info("VM restarted (restart %u)", h->lc.restarts); /* only this thread changes restarts */
    return kvm_host_start(h, err, errlen);
}
