/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The high-level API (svmm/svmm.h) on seL4 Microkit: the application's init() describes the VM,
 * and from svmm_run() on the VM runtime (vmm_run.c: the PD's fault() and notified(), PSCI, the
 * lifecycle, restart) runs it with this file's policy: one VM named "vm", images from the
 * application's pointers, no admin, no passthrough, no idle timer. The PD's mappings come from the
 * application's system description through the runtime's setvar_vaddr symbols (guest_ram_vaddr,
 * board_uart_vaddr, boot_images_vaddr; svmm.h lists them) and guest_ram_size (setvar_size).
 */
#include <microkit.h> /* and the kernel's configuration: CONFIG_ARM_GIC_V3_SUPPORT */
#include <stdio.h>
#include <svmm/config.h>
#include <svmm/log.h>
#include <svmm/sel4/console.h>
#include <svmm/sel4/guest_mem.h>
#include <svmm/svmm.h>
#include "sel4_vmm.h"

#define API_UART_IRQ_CHANNEL 1u /* svmm.h: the board UART's receive interrupt, <irq irq="33" id="1" /> */
#define API_NUM_LRS 4u          /* list registers of QEMU virt's GIC CPU interface (v2 and v3) */

/* The size of the guest_ram mapping, patched in by the Microkit tool (setvar_size); 0: not given. */
uint64_t guest_ram_size;

struct svmm {
    struct svmm_vm *vm;
    const void *kernel, *initrd; /* svmm_load_linux's images, loaded again at each restart */
    size_t kernel_len, initrd_len;
    bool created, loaded, started;
};

static struct svmm the; /* one VM per protection domain */

/* The policy's loader: the application's images, at each boot. */
static int load_images(struct svmm_vm *vm, char *err, size_t errlen)
{
    if (!the.loaded) {
        snprintf(err, errlen, "no images: call svmm_load_linux() before svmm_run()");
        return -1;
    }
    return svmm_vm_load_linux(vm, the.kernel, the.kernel_len, the.initrd, the.initrd_len, err, errlen);
}

static const struct sel4_vmm_policy api_policy = {
    .name = "vm",
    .uart_irq_channel = API_UART_IRQ_CHANNEL,
    .num_lrs = API_NUM_LRS,
    .load = load_images,
};

void svmm_default_config(struct svmm_vm_config *cfg, unsigned ncpus, uint64_t ram_size)
{
    svmm_vm_config_defaults(cfg); /* QEMU virt's layout */
    cfg->ncpus = ncpus;
    cfg->ram_size = ram_size;
    cfg->psci_smc = true; /* HVC is seL4's system call trap */
    snprintf(cfg->bootargs, sizeof(cfg->bootargs), "console=ttyS0 earlycon"); /* as on KVM */
#ifdef CONFIG_ARM_GIC_V3_SUPPORT
    cfg->layout.gic.version = SVMM_GIC_V3;
#else
    cfg->layout.gic.version = SVMM_GIC_V2; /* the guest's GICC is the board's GICV frame (the SDF maps it) */
#endif
}

/* Whether the system description gave this PD what the API needs: -1 with what is missing. */
static int check_mappings(const struct svmm_vm_config *cfg, char *err, size_t errlen)
{
    if (guest_ram_vaddr == 0) {
        snprintf(err, errlen, "no guest RAM: the system description maps none with setvar_vaddr=\"guest_ram_vaddr\"");
        return -1;
    }
    if (guest_ram_size != 0 && guest_ram_size < cfg->ram_size) {
        snprintf(err, errlen, "guest RAM: the configuration asks for %llu MiB, the system description maps %llu",
                 (unsigned long long)(cfg->ram_size >> 20), (unsigned long long)(guest_ram_size >> 20));
        return -1;
    }
    if (cfg->nextra_ram != 0) {
        snprintf(err, errlen, "further RAM ranges (extra_ram) are not available through this API on seL4");
        return -1;
    }
    return 0;
}

struct svmm *svmm_create(const struct svmm_vm_config *cfg, char *err, size_t errlen)
{
    if (the.created) {
        snprintf(err, errlen, "this protection domain holds a VM already (one per PD)");
        return NULL;
    }
    if (board_uart_vaddr == 0) {
        snprintf(err, errlen, "no console: the system description maps no board UART (board_uart_vaddr)");
        return NULL;
    }
    sel4_console_start(board_uart_vaddr, "vm| ", api_policy.name);
    if (check_mappings(cfg, err, errlen) < 0 || sel4_vmm_create(&api_policy, cfg, err, errlen) < 0)
        return NULL;
    the.vm = sel4_vmm_vm();
    if (sel4_guest_mem_add(the.vm, cfg->ram_base, (void *)guest_ram_vaddr, cfg->ram_size, err, errlen) < 0 ||
        sel4_vmm_machine(err, errlen) < 0)
        return NULL;
    the.created = true;
    svmm_info("VM %s: %u vCPU(s), %llu MiB RAM, GICv%d", api_policy.name, cfg->ncpus,
              (unsigned long long)(cfg->ram_size >> 20), (int)cfg->layout.gic.version);
    return &the;
}

struct svmm_vm *svmm_vm_of(struct svmm *s)
{
    return s->vm;
}

/*
 * Devices and images go in before the VM runs: the library serialises devices with its exits from
 * then on, and images loaded now would land in the running guest's RAM.
 */
static int before_run(const struct svmm *s, const char *what, char *err, size_t errlen)
{
    if (!s->started)
        return 0;
    snprintf(err, errlen, "%s: the VM runs already (before svmm_run() only)", what);
    return -1;
}

int svmm_add_mmio_device(struct svmm *s, uint64_t base, uint64_t size, const struct svmm_mmio_ops *ops, void *dev,
                         const char *name, char *err, size_t errlen)
{
    if (before_run(s, "adding a device", err, errlen) < 0)
        return -1;
    return svmm_vm_add_mmio_device(s->vm, base, size, ops, dev, name, err, errlen);
}

int svmm_add_virtio_device(struct svmm *s, unsigned slot, struct virtio_dev *dev, char *err, size_t errlen)
{
    if (before_run(s, "adding a virtio device", err, errlen) < 0)
        return -1;
    return svmm_vm_attach_virtio(s->vm, slot, dev, err, errlen);
}

int svmm_load_linux(struct svmm *s, const void *kernel, size_t kernel_len, const void *initrd, size_t initrd_len,
                    char *err, size_t errlen)
{
    if (before_run(s, "loading Linux", err, errlen) < 0)
        return -1;
    s->kernel = kernel;
    s->kernel_len = kernel_len;
    s->initrd = initrd;
    s->initrd_len = initrd_len;
    s->loaded = true;
    return load_images(s->vm, err, errlen); /* checked now; placed again at each boot */
}

int svmm_run(struct svmm *s)
{
    if (s->started || !s->loaded) {
        svmm_err("svmm_run: %s", s->started ? "the VM runs already" : "no images: call svmm_load_linux() first");
        return 1;
    }
    s->started = true;
    return sel4_vmm_boot() ? 0 : 1;
}

void svmm_stop(struct svmm *s, const char *why)
{
    (void)s;
    sel4_vmm_stop(SVMM_OP_STOP, why);
}

int svmm_restart(struct svmm *s)
{
    (void)s;
    return sel4_vmm_restart_request("the application");
}

unsigned svmm_boots(const struct svmm *s)
{
    (void)s;
    return sel4_vmm_lifecycle()->boots;
}
