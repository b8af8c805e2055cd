/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svmm as a seL4 Microkit protection domain that owns exactly one virtual machine, built by the
 * system composer: init() builds the VM from the build-time configuration (svmm_sel4_vm) and starts
 * vCPU 0; the VM runtime (vmm_run.c, sel4_vmm.h: the PD's fault() and notified(), PSCI, the
 * lifecycle, restart in place) runs it with this file's policy. Under the admin PD (sel4_admin.h)
 * the VMM also takes stop, start and restart from its admin page, and is itself restarted by the
 * admin when it faults (pd_reentry.h).
 *
 * This file is the policy: the generated configuration's devices, disks, passthrough interrupts,
 * dynamic slots and the admin. The high-level API (api.c) runs the same runtime with another.
 */
#include <microkit.h>
#include <stdio.h>
#include <svmm/features.h>
#include <svmm/lifecycle.h>
#include <svmm/log.h>
#include <svmm/sel4/channel.h>
#include <svmm/sel4/console.h>
#include <svmm/sel4/guest_mem.h>
#include <svmm/vm.h>
#include "pd_reentry.h"
#include "sel4_admin.h"
#include "sel4_devices.h"
#include "sel4_vm.h"
#include "sel4_vmm.h"

uintptr_t admin_page_vaddr; /* 0: no admin PD (setvar_vaddr) */
/* Further guest RAM ranges (cfg.extra_ram), where the SDF maps them in this VMM. */
uintptr_t guest_ram_range0_vaddr, guest_ram_range1_vaddr, guest_ram_range2_vaddr;
static const uintptr_t *const ram_range_vaddr[SVMM_MAX_EXTRA_RAM] = { &guest_ram_range0_vaddr, &guest_ram_range1_vaddr,
                                                                      &guest_ram_range2_vaddr };
_Static_assert(SVMM_MAX_EXTRA_RAM == 3, "one guest_ram_range<i>_vaddr per range");

static unsigned cur_image; /* a dynamic slot: the image it boots (index into svmm_sel4_vm.images) */

/*
 * The VM's state, counts and where to restart this program, into the admin's page, and a signal to
 * the admin (which reads it on every signal). Nothing without an admin.
 */
static void admin_publish(void)
{
    struct sel4_admin_page *p = (struct sel4_admin_page *)admin_page_vaddr;
    const struct svmm_lifecycle *lc = sel4_vmm_lifecycle();
    uintptr_t pc = 0, sp = 0;

    if (p == NULL)
        return;
    (void)pd_reentry_entry(&pc, &sp); /* 0, 0: not restartable, the admin will not try */
    p->state = lc->state;
    p->cause = lc->cause;
    p->boots = lc->boots;
    p->restarts = lc->restarts;
    p->pd_starts = pd_reentry_starts();
    p->image = cur_image;
    p->boot_ns = sel4_vmm_boot_ns();
    p->restart_pc = pc;
    p->restart_sp = sp;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    p->magic = SEL4_ADMIN_MAGIC;
    sel4_channel_notify(SEL4_ADMIN_VMM_CHANNEL);
}

/*
 * Kernel, initrd and a new DTB into guest RAM, from the boot images (mapped read-only: pristine): the
 * VM's, or a dynamic slot's current image's.
 */
static int load_guest(struct svmm_vm *vm, char *err, size_t errlen)
{
    const struct svmm_sel4_vm *c = &svmm_sel4_vm;
    const uint8_t *images = (const uint8_t *)boot_images_vaddr;
    uint64_t ko = c->kernel_offset, ks = c->kernel_size, io = c->initrd_offset, is = c->initrd_size;

    if (SVMM_FEATURE_SLOTS && c->slot && cur_image < c->nimages && cur_image < SEL4_MAX_SLOT_IMAGES) {
        ko = c->images[cur_image].kernel_offset;
        ks = c->images[cur_image].kernel_size;
        io = c->images[cur_image].initrd_offset;
        is = c->images[cur_image].initrd_size;
    }
    return svmm_vm_load_linux(vm, images + ko, ks, is ? images + io : NULL, is, err, errlen);
}

/* The guest EOI'd an interrupt: a passthrough one is acknowledged to seL4 now. */
static void passthrough_eoi(uint32_t intid)
{
    (void)sel4_passthrough_eoi(intid);
}

/* Guest RAM and every further RAM range into the VM's memory map, where the SDF mapped them here. */
static int add_ram(struct svmm_vm *vm, char *err, size_t errlen)
{
    if (sel4_guest_mem_add(vm, vm->cfg.ram_base, (void *)guest_ram_vaddr, vm->cfg.ram_size, err, errlen) < 0)
        return -1;
    for (unsigned i = 0; i < vm->cfg.nextra_ram && i < SVMM_MAX_EXTRA_RAM; i++)
        if (*ram_range_vaddr[i] == 0 || sel4_guest_mem_add(vm, vm->cfg.extra_ram[i].base, (void *)*ram_range_vaddr[i],
                                                           vm->cfg.extra_ram[i].size, err, errlen) < 0) {
            snprintf(err, errlen, "RAM range %u at 0x%llx is not mapped into this VMM", i + 1,
                     (unsigned long long)vm->cfg.extra_ram[i].base);
            return -1;
        }
    return 0;
}

/* ---- the admin's commands (sel4_admin.h) ---- */

/* One command; -1 with the reason in `why` when refused (the lifecycle's words) or failed. */
static int admin_run(uint32_t cmd, uint32_t arg, char *why, size_t len)
{
    switch (cmd) {
    case SEL4_ADMIN_STOP:
        if (sel4_vmm_apply(SVMM_OP_STOP, why, len) < 0)
            return -1;
        sel4_vmm_finish_stop("stopped by the admin");
        return 0;
    case SEL4_ADMIN_START:
        if (svmm_sel4_vm.slot && sel4_vmm_lifecycle()->state == SVMM_VM_CREATED) {
            snprintf(why, len, "a dynamic slot boots with boot SLOT IMAGE first");
            return -1;
        }
        if (sel4_vmm_apply(SVMM_OP_START, why, len) < 0)
            return -1;
        return sel4_vmm_start_stopped("the admin", why, len);
    case SEL4_ADMIN_RESTART:
        if (sel4_vmm_apply(SVMM_OP_RESTART, why, len) < 0)
            return -1;
        if (sel4_vmm_restart_now("the admin"))
            return 0;
        snprintf(why, len, "the restart failed: the VM is %s", svmm_vm_state_name(sel4_vmm_lifecycle()->state));
        return -1;
    case SEL4_ADMIN_BOOT:
        if (!svmm_sel4_vm.slot || arg >= svmm_sel4_vm.nimages) {
            snprintf(why, len, svmm_sel4_vm.slot ? "no image %u in this slot" : "not a dynamic slot", (unsigned)arg);
            return -1;
        }
        if (sel4_vmm_apply(SVMM_OP_START, why, len) < 0)
            return -1;
        cur_image = arg;
        svmm_info("slot %s: booting image %s", svmm_sel4_vm.name, svmm_sel4_vm.images[arg].name);
        return sel4_vmm_start_stopped("the admin", why, len);
    case SEL4_ADMIN_FAULT:
        /* The description's test_fault: a VMM that faults, for its parent to handle (a store to page 0). */
        svmm_warn("VMM of %s faulting on purpose (the admin's test fault)", svmm_sel4_vm.name);
        __asm__ volatile("str wzr, [%0]" : : "r"((uintptr_t)8) : "memory");
        snprintf(why, len, "the test fault did not fault");
        return -1;
    default:
        snprintf(why, len, "unknown command %u", (unsigned)cmd);
        return -1;
    }
}

/* The admin signalled: a new command in the page (cmd_seq moved), run it and answer in the page. */
static bool admin_serve(unsigned ch)
{
    struct sel4_admin_page *p = (struct sel4_admin_page *)admin_page_vaddr;
    uint32_t seq, cmd, arg;
    char why[SEL4_ADMIN_WHY_LEN] = "";
    int r;

    if (ch != SEL4_ADMIN_VMM_CHANNEL || p == NULL)
        return false;
    seq = p->cmd_seq, cmd = p->cmd, arg = p->cmd_arg;
    if (seq == p->done_seq)
        return true;
    r = admin_run(cmd, arg, why, sizeof(why));
    for (unsigned i = 0; i < SEL4_ADMIN_WHY_LEN; i++)
        p->why[i] = why[i]; /* why is NUL-terminated within its length (snprintf) */
    p->result = r;
    p->done_seq = seq;
    admin_publish();
    return true;
}

/*
 * A driver VM: its served disks' links and the agent's console port. The port must be there before
 * the guest's driver probes the console, and the storage info before the clients' VMMs give up
 * waiting for it, so this runs right after the devices are attached.
 */
static int serve_disks(char *err, size_t errlen)
{
    if (!SVMM_FEATURE_DRIVER_VM || svmm_sel4_vm.blk_serve.start == NULL)
        return 0;
    return svmm_sel4_vm.blk_serve.start(sel4_console_virtio(), err, errlen);
}

/* Create the VirtIO devices the configuration names: one attach function per slot. */
static int attach_devices(struct svmm_vm *vm, char *err, size_t errlen)
{
    for (unsigned slot = 0; slot < svmm_sel4_vm.cfg.nvirtio; slot++) {
        if (svmm_sel4_vm.attach[slot] == NULL) {
            snprintf(err, errlen, "virtio slot %u: device type %u is not available on seL4 yet", slot,
                     svmm_sel4_vm.cfg.virtio_ids[slot]);
            return -1;
        }
        if (svmm_sel4_vm.attach[slot](vm, slot, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/*
 * What the configuration asks for that this VMM was built without (<vm>_features.h, which the composer
 * writes from the same description, so only a hand-made mismatch gets here): -1 naming the switch.
 */
static int check_features(char *err, size_t errlen)
{
    const struct svmm_sel4_vm *c = &svmm_sel4_vm;
    const char *what = NULL, *name = NULL;

    if (c->cfg.watchdog_s && !SVMM_FEATURE_WATCHDOG)
        what = "the watchdog", name = "watchdog";
    else if (c->cfg.ncpus > 1 && !SVMM_FEATURE_SMP)
        what = "more than one vCPU", name = "smp";
    else if (c->npt_irqs && !SVMM_FEATURE_PASSTHROUGH)
        what = "passthrough interrupts", name = "passthrough";
    else if (c->slot && !SVMM_FEATURE_SLOTS)
        what = "dynamic slots", name = "slots";
    else if (c->blk_serve.start != NULL && !SVMM_FEATURE_DRIVER_VM)
        what = "a driver VM's disk service", name = "driver-vm";
    else if (admin_page_vaddr != 0 && !SVMM_FEATURE_ADMIN)
        what = "the admin PD's protocol", name = "admin";
    if (what == NULL)
        return 0;
    snprintf(err, errlen, "this VMM was built without %s (FEATURES=-%s)", what, name);
    return -1;
}

/* The VM with the configuration's devices, disks, RAM and passthrough interrupts; -1 with a reason. */
static int build_vm(const struct sel4_vmm_policy *pol, char *err, size_t errlen)
{
    struct svmm_vm *vm;

    if (check_features(err, errlen) < 0 || sel4_vmm_create(pol, &svmm_sel4_vm.cfg, err, errlen) < 0)
        return -1;
    vm = sel4_vmm_vm();
    if (attach_devices(vm, err, errlen) < 0 || serve_disks(err, errlen) < 0 || add_ram(vm, err, errlen) < 0 ||
        sel4_vmm_machine(err, errlen) < 0)
        return -1;
    return SVMM_FEATURE_PASSTHROUGH ? sel4_passthrough_start(err, errlen) : 0;
}

void init(void)
{
    const struct svmm_sel4_vm *c = &svmm_sel4_vm;
    const struct sel4_vmm_policy pol = {
        .name = c->name,
        .passive = c->passive,
        .uart_irq_channel = c->uart_irq_channel,
        .num_lrs = c->num_lrs,
        /* Each feature's hooks only if built with it (include/svmm/features.h, <vm>_features.h). */
        .max_spi = SVMM_FEATURE_PASSTHROUGH ? sel4_passthrough_max_spi() : 0,
        .idle_timer = c->idle_timer.on,
        .idle_timer_channel = c->idle_timer.channel,
        .load = load_guest,
        .eoi = SVMM_FEATURE_PASSTHROUGH ? passthrough_eoi : NULL,
        .reset = SVMM_FEATURE_PASSTHROUGH ? sel4_passthrough_reset : NULL,
        .changed = SVMM_FEATURE_ADMIN ? admin_publish : NULL,
        .notified = SVMM_FEATURE_ADMIN ? admin_serve : NULL,
    };
    char err[160];

    sel4_console_start(board_uart_vaddr, c->console_prefix, c->name);
    svmm_info("VM %s: %u vCPU(s), %llu MiB RAM, GICv%d", c->name, c->cfg.ncpus,
              (unsigned long long)(c->cfg.ram_size >> 20), (int)c->cfg.layout.gic.version);
    if (build_vm(&pol, err, sizeof(err)) < 0) {
        svmm_err("VM setup failed: %s", err);
        return;
    }
    if (SVMM_FEATURE_ADMIN && pd_reentry_starts() > 1) {
        svmm_info("VMM of %s started again by its parent (start %u): halting the last run's vCPUs, scrubbing "
                  "guest RAM", c->name, pd_reentry_starts());
        sel4_vmm_clean_up_last_run();
    }
    if (SVMM_FEATURE_SLOTS && c->slot) {
        svmm_info("slot %s: %u image%s, waiting for the admin's boot command", c->name, c->nimages,
                  c->nimages == 1 ? "" : "s");
        if (SVMM_FEATURE_ADMIN)
            admin_publish(); /* CREATED */
        return;
    }
    if (load_guest(sel4_vmm_vm(), err, sizeof(err)) < 0) {
        svmm_err("cannot boot the guest: %s", err);
        return;
    }
    (void)sel4_vmm_boot();
}
