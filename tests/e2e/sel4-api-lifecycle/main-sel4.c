/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A test PD for the high-level API's lifecycle on seL4 (tests/e2e/sel4-api-examples.sh, part
 * "lifecycle"): init() first tries what svmm.h refuses and logs each answer, then runs a VM with a
 * control device through which the guest calls svmm_restart() and svmm_stop() from inside a device
 * callback and reads svmm_boots(). Not an example: it exercises the calls the examples do not.
 */
#include <microkit.h>
#include <svmm/log.h>
#include <svmm/svmm.h>

#define CTL_BASE 0x0c000000ull
#define CTL_SIZE 0x1000ull
#define CTL_BOOTS 0x0      /* read: svmm_boots() */
#define CTL_CMD 0x4        /* write 1: svmm_restart(), 2: svmm_stop() */
#define CTL_RESTART_RC 0x8 /* read: what the last svmm_restart() returned, as a 32-bit value (1: none yet) */
#define INITRD_OFFSET 0x2000000u

extern uintptr_t boot_images_vaddr;

static struct svmm *vm;
static int restart_rc = 1;

static uint64_t ctl_read(void *dev, unsigned vcpu, uint64_t off, unsigned size)
{
    (void)dev, (void)vcpu, (void)size;
    if (off == CTL_BOOTS)
        return svmm_boots(vm);
    return off == CTL_RESTART_RC ? (uint32_t)restart_rc : 0;
}

static void ctl_write(void *dev, unsigned vcpu, uint64_t off, unsigned size, uint64_t val)
{
    (void)dev, (void)size;
    if (off == CTL_CMD && val == 1) {
        svmm_info("api-test: vCPU %u asks for a restart", vcpu);
        restart_rc = svmm_restart(vm);
    } else if (off == CTL_CMD && val == 2) {
        svmm_stop(vm, "the guest asked the test device to stop it");
    }
}

static const struct svmm_mmio_ops ctl_ops = { .read = ctl_read, .write = ctl_write };

/* One refusal svmm.h promises: `rc` must be -1 (or NULL), with a reason. */
static void refused(const char *what, int rc, const char *err)
{
    svmm_info("api-test: %s: %s (%s)", what, rc < 0 ? "refused" : "ACCEPTED", rc < 0 ? err : "-");
}

void init(void)
{
    const uint8_t *images = (const uint8_t *)boot_images_vaddr;
    struct svmm_vm_config cfg;
    char err[160] = "";

    svmm_default_config(&cfg, 2, 256u << 20);
    vm = svmm_create(&cfg, err, sizeof(err));
    if (vm == NULL) {
        svmm_err("api-test: svmm_create: %s", err);
        return;
    }
    refused("a second VM", svmm_create(&cfg, err, sizeof(err)) == NULL ? -1 : 0, err);
    refused("a device at a page's middle", svmm_add_mmio_device(vm, CTL_BASE + 0x800, CTL_SIZE, &ctl_ops, NULL, "x",
                                                                err, sizeof(err)), err);
    refused("a device on the UART", svmm_add_mmio_device(vm, cfg.layout.uart_base, CTL_SIZE, &ctl_ops, NULL, "x", err,
                                                         sizeof(err)), err);
    refused("a device in RAM", svmm_add_mmio_device(vm, cfg.ram_base, CTL_SIZE, &ctl_ops, NULL, "x", err, sizeof(err)),
            err);
    refused("svmm_run before svmm_load_linux", svmm_run(vm) == 0 ? 0 : -1, "no images");
    refused("svmm_restart before svmm_run", svmm_restart(vm), "not running");
    if (svmm_add_mmio_device(vm, CTL_BASE, CTL_SIZE, &ctl_ops, NULL, "ctl", err, sizeof(err)) < 0 ||
        svmm_load_linux(vm, images, KERNEL_SIZE, images + INITRD_OFFSET, INITRD_SIZE, err, sizeof(err)) < 0) {
        svmm_err("api-test: %s", err);
        return;
    }
    if (svmm_run(vm) != 0)
        return;
    refused("a device after svmm_run", svmm_add_mmio_device(vm, CTL_BASE + CTL_SIZE, CTL_SIZE, &ctl_ops, NULL, "late",
                                                             err, sizeof(err)), err);
    svmm_info("api-test: boots after svmm_run: %u", svmm_boots(vm));
}
