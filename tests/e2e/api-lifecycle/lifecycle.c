/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * See lifecycle.h. The control device's registers (32-bit):
 *   0x0 BOOTS      read: svmm_boots()
 *   0x4 CMD        write 1: svmm_restart(), 2: svmm_stop(), from inside this callback
 *   0x8 RESTART_RC read: what the last svmm_restart() returned (1: none yet)
 * Not an example: it exercises the calls the examples do not make.
 */
#include <svmm/log.h>
#include "lifecycle.h"

#define CTL_BOOTS 0x0
#define CTL_CMD 0x4
#define CTL_RESTART_RC 0x8

static struct svmm *the_vm;
static int restart_rc = 1; /* callbacks are serialised: no other access races these */

static uint64_t ctl_read(void *dev, unsigned vcpu, uint64_t off, unsigned size)
{
    (void)dev, (void)vcpu, (void)size;
    if (off == CTL_BOOTS)
        return svmm_boots(the_vm);
    return off == CTL_RESTART_RC ? (uint32_t)restart_rc : 0;
}

static void ctl_write(void *dev, unsigned vcpu, uint64_t off, unsigned size, uint64_t val)
{
    (void)dev, (void)size;
    if (off == CTL_CMD && val == 1) {
        svmm_info("api-test: vCPU %u asks for a restart", vcpu);
        restart_rc = svmm_restart(the_vm);
    } else if (off == CTL_CMD && val == 2) {
        svmm_stop(the_vm, "the guest asked the test device to stop it");
    }
}

static const struct svmm_mmio_ops ctl_ops = { .read = ctl_read, .write = ctl_write };

/* One refusal svmm.h promises: `rc` must be negative (or a NULL VM), with a reason. */
static void refused(const char *what, int rc, const char *err)
{
    svmm_info("api-test: %s: %s (%s)", what, rc < 0 ? "refused" : "ACCEPTED", rc < 0 ? err : "-");
}

void lifecycle_refusals_before_run(struct svmm *vm, const struct svmm_vm_config *cfg)
{
    char err[160] = "";

    refused("a second VM", svmm_create(cfg, err, sizeof(err)) == NULL ? -1 : 0, err);
    refused("a device at a page's middle", svmm_add_mmio_device(vm, LIFECYCLE_CTL_BASE + 0x800, LIFECYCLE_CTL_SIZE,
                                                                &ctl_ops, NULL, "x", err, sizeof(err)), err);
    refused("a device on the UART", svmm_add_mmio_device(vm, cfg->layout.uart_base, LIFECYCLE_CTL_SIZE, &ctl_ops,
                                                         NULL, "x", err, sizeof(err)), err);
    refused("a device in RAM", svmm_add_mmio_device(vm, cfg->ram_base, LIFECYCLE_CTL_SIZE, &ctl_ops, NULL, "x", err,
                                                    sizeof(err)), err);
    /* svmm_run and svmm_restart give no reason to the caller: the library logs it. */
    refused("svmm_run before svmm_load_linux", svmm_run(vm) == 0 ? 0 : -1, "no images");
    refused("svmm_restart before svmm_run", svmm_restart(vm), "not running");
}

/* The images lifecycle_prepare loaded, to try loading them again once the VM runs. */
static const void *the_kernel, *the_initrd;
static size_t the_kernel_len, the_initrd_len;

int lifecycle_prepare(struct svmm *vm, const void *kernel, size_t kernel_len, const void *initrd, size_t initrd_len,
                      char *err, size_t errlen)
{
    the_vm = vm;
    the_kernel = kernel, the_kernel_len = kernel_len, the_initrd = initrd, the_initrd_len = initrd_len;
    if (svmm_add_mmio_device(vm, LIFECYCLE_CTL_BASE, LIFECYCLE_CTL_SIZE, &ctl_ops, NULL, "ctl", err, errlen) < 0)
        return -1;
    return svmm_load_linux(vm, kernel, kernel_len, initrd, initrd_len, err, errlen);
}

void lifecycle_after_run(struct svmm *vm)
{
    char err[160] = "";

    svmm_info("api-test: boots after svmm_run: %u", svmm_boots(vm));
    refused("a device after svmm_run", svmm_add_mmio_device(vm, LIFECYCLE_CTL_BASE + LIFECYCLE_CTL_SIZE,
                                                             LIFECYCLE_CTL_SIZE, &ctl_ops, NULL, "late", err,
                                                             sizeof(err)), err);
    refused("a second svmm_run", svmm_run(vm) == 0 ? 0 : -1, "run already");
    /* Valid images: only the VM's state can refuse them (they would land in the running guest's RAM). */
    refused("svmm_load_linux after svmm_run",
            svmm_load_linux(vm, the_kernel, the_kernel_len, the_initrd, the_initrd_len, err, sizeof(err)), err);
}
