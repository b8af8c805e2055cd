/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The high-level API (svmm/svmm.h) on Linux KVM: one VM per process, run from the calling thread,
 * with the svmm command's pieces (kvm.c, hosted_vm.c): the UART on stdin and stdout, one thread per
 * vCPU, restarts in place, SIGTERM as a power-off with status 143.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <svmm/log.h>
#include <svmm/svmm.h>
#include "cli.h"
#include "hosted_vm.h"
#include "kvm.h"
#include "kvm_arch.h"
#include "stdio_console.h"
#include "watchdog_host.h"

/* Where a call stands: devices are added and images loaded before the VM runs, and only then. */
enum api_state { API_CREATED, API_LOADED, API_RUNNING, API_DONE };

struct svmm {
    struct svmm_vm vm;
    struct kvm_host host;
    struct hosted_guest guest;
    struct console_host console; /* stdin to the UART */
    struct kvm_watchdog watchdog;
    enum api_state state;
};

/* The process's VM: KVM's signals and SIGTERM are per process, so there is one. */
static struct svmm the_vm;
static bool taken;

void svmm_default_config(struct svmm_vm_config *cfg, unsigned ncpus, uint64_t ram_size)
{
    svmm_vm_config_defaults(cfg);
    cfg->ncpus = ncpus;
    cfg->ram_size = ram_size;
    cfg->psci_smc = false; /* KVM's in-kernel PSCI takes HVC */
    snprintf(cfg->bootargs, sizeof(cfg->bootargs), "%s", SVMM_DEFAULT_BOOTARGS);
}

/* What the svmm command offers that a bare configuration cannot say how to back (host files, board devices). */
static int check_hosted(const struct svmm_vm_config *cfg, char *err, size_t errlen)
{
    if (cfg->nwindows || cfg->npassthrough_dt) {
        snprintf(err, errlen, "%s are not offered by the high-level API on KVM (svmm run offers shared windows)",
                 cfg->nwindows ? "shared windows" : "passthrough devices");
        return -1;
    }
    return 0;
}

/* Undo kvm_host_open after a later step failed, so that svmm_create may be called again. */
static void close_host(struct kvm_host *h)
{
    int fds[] = { h->kvm_fd, h->stop_fd, h->restart_fd };

    for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

struct svmm *svmm_create(const struct svmm_vm_config *cfg, char *err, size_t errlen)
{
    struct svmm *s = &the_vm;
    struct svmm_vm_config c = *cfg;
    struct svmm_vm_backends be = { .uart_tx = stdio_uart_tx };
    struct svmm_platform plat;

    if (taken) {
        snprintf(err, errlen, "this process holds a VM already (one per process on KVM)");
        return NULL;
    }
    svmm_log_init(hosted_log_stderr, SVMM_LOG_INFO);
    svmm_log_set_clock(hosted_monotonic_ns);
    memset(s, 0, sizeof(*s));
    s->watchdog.timer_fd = -1;
    if (check_hosted(&c, err, errlen) < 0 || kvm_host_open(&s->host, false, err, errlen) < 0)
        return NULL;
    plat = kvm_host_platform(&s->host);
    s->guest = (struct hosted_guest){ .vm = &s->vm, .kernel_path = "the kernel" };
    if ((c.watchdog_s && kvm_watchdog_open(&s->watchdog, &s->host, "vm", &be.wdt_clock, err, errlen) < 0) ||
        kvm_arch_vm_config(&c, err, errlen) < 0 || svmm_vm_init(&s->vm, &c, &plat, &be, err, errlen) < 0 ||
        hosted_guest_map_ram(&s->guest, err, errlen) < 0) {
        kvm_watchdog_close(&s->watchdog);
        close_host(&s->host);
        return NULL; /* guest RAM a failed attempt mapped stays mapped: the process is about to give up */
    }
    console_host_stdin_to_uart(&s->console);
    taken = true;
    return s;
}

struct svmm_vm *svmm_vm_of(struct svmm *s)
{
    return &s->vm;
}

/* Devices and images go in before the VM runs: its device tree and bus are fixed from then on. */
static int before_run(const struct svmm *s, const char *what, char *err, size_t errlen)
{
    if (s->state < API_RUNNING)
        return 0;
    snprintf(err, errlen, "%s: the VM has run already", what);
    return -1;
}

int svmm_add_mmio_device(struct svmm *s, uint64_t base, uint64_t size, const struct svmm_mmio_ops *ops, void *dev,
                         const char *name, char *err, size_t errlen)
{
    if (before_run(s, name, err, errlen) < 0)
        return -1;
    return svmm_vm_add_mmio_device(&s->vm, base, size, ops, dev, name, err, errlen);
}

int svmm_add_virtio_device(struct svmm *s, unsigned slot, struct virtio_dev *dev, char *err, size_t errlen)
{
    if (before_run(s, dev->name, err, errlen) < 0)
        return -1;
    return svmm_vm_attach_virtio(&s->vm, slot, dev, err, errlen);
}

int svmm_load_linux(struct svmm *s, const void *kernel, size_t kernel_len, const void *initrd, size_t initrd_len,
                    char *err, size_t errlen)
{
    if (before_run(s, "loading Linux", err, errlen) < 0)
        return -1;
    s->guest.kernel = kernel;
    s->guest.kernel_len = kernel_len;
    s->guest.initrd = initrd;
    s->guest.initrd_len = initrd ? initrd_len : 0;
    if (hosted_guest_load(&s->guest, err, errlen) < 0)
        return -1;
    s->state = API_LOADED;
    return 0;
}

/* Make the KVM VM of a loaded svmm and start its vCPUs (and the watchdog's timer); -1 with a reason. */
static int start(struct svmm *s, char *err, size_t errlen)
{
    const struct svmm_vm_config *cfg = &s->vm.cfg;

    s->state = API_RUNNING;
    if (kvm_host_create_vm(&s->host, &s->vm, s->guest.ram, s->guest.extra_ram, err, errlen) < 0)
        return -1;
    svmm_info("starting VM: %u vCPU%s, %llu MiB RAM, cmdline \"%s\"", cfg->ncpus, cfg->ncpus > 1 ? "s" : "",
              (unsigned long long)(cfg->ram_size >> 20), cfg->bootargs);
    stdio_setup();
    if (kvm_host_start(&s->host, err, errlen) < 0)
        return -1;
    if (cfg->watchdog_s && kvm_watchdog_start(&s->watchdog, err, errlen) < 0) {
        kvm_host_stop(&s->host, SVMM_EXIT_ERROR);
        return -1;
    }
    return 0;
}

int svmm_run(struct svmm *s)
{
    char err[512];
    int status;

    if (s->state != API_LOADED) { /* refused before the signal mask is touched: the caller's stays as it was */
        svmm_err("svmm_run: %s",
                 s->state == API_CREATED ? "no kernel loaded (svmm_load_linux)" : "the VM has run already");
        return SVMM_EXIT_ERROR;
    }
    hosted_block_sigterm(true); /* until every vCPU thread is started: they inherit the mask */
    if (start(s, err, sizeof(err)) < 0) {
        svmm_err("%s", err);
        kvm_host_stop(&s->host, SVMM_EXIT_ERROR);
    } else {
        hosted_serve(&s->host, NULL, &s->console, &s->guest);
    }
    status = kvm_host_join(&s->host);
    kvm_watchdog_close(&s->watchdog);
    stdio_restore();
    s->state = API_DONE;
    svmm_info("VM stopped, exit status %d", status);
    return status;
}

void svmm_stop(struct svmm *s, const char *why)
{
    svmm_info("stopping the VM: %s", why);
    kvm_host_stop(&s->host, SVMM_EXIT_POWEROFF);
}

int svmm_restart(struct svmm *s)
{
    char err[128];

    if (kvm_host_request(&s->host, SVMM_OP_RESTART, err, sizeof(err)) < 0) {
        svmm_warn("cannot restart the VM: %s", err);
        return -1;
    }
    return 0;
}

unsigned svmm_boots(const struct svmm *s)
{
    pthread_mutex_t *lock = (pthread_mutex_t *)&s->host.lc_lock; /* the VM is never const: only this call's view */
    unsigned boots;

    pthread_mutex_lock(lock);
    boots = s->host.lc.boots;
    pthread_mutex_unlock(lock);
    return boots;
}
