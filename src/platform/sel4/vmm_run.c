/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VM runtime of an svmm Microkit protection domain (sel4_vmm.h): one virtual machine, every
 * guest exit (a fault of a vCPU, our child) handled here single-threaded by the portable core, PSCI,
 * and the lifecycle's rules (svmm/lifecycle.h): the guest's PSCI SYSTEM_RESET restarts the VM in
 * place (restart_vm); SYSTEM_OFF and unrecoverable faults stop it for good. What differs between
 * the programs built on it (the composer's VMM, vmm.c; the high-level API, api.c) is their policy.
 *
 * The mechanisms are the low-level seL4 API's modules (include/svmm/sel4/: vcpu.c, fault.c,
 * guest_mem.c, irq.c, channel.c, console.c).
 */
#include <microkit.h>
#include <stdio.h>
#include <string.h>
#include <svmm/aarch64.h>
#include <svmm/arch.h>
#include <svmm/features.h>
#include <svmm/lifecycle.h>
#include <svmm/log.h>
#include <svmm/psci.h>
#include <svmm/sel4/channel.h>
#include <svmm/sel4/console.h>
#include <svmm/sel4/fault.h>
#include <svmm/sel4/guest_mem.h>
#include <svmm/sel4/irq.h>
#include <svmm/sel4/vcpu.h>
#include <svmm/vgic.h>
#include <svmm/vm.h>
#include "sel4_clock.h"
#include "sel4_devices.h"
#include "sel4_idle.h"
#include "sel4_vmm.h"

/* Virtual addresses of the board mappings, patched in by the Microkit tool (setvar_vaddr). */
uintptr_t guest_ram_vaddr;
uintptr_t boot_images_vaddr;
uintptr_t board_uart_vaddr;

static struct sel4_vmm_policy pol;
static struct svmm_vm vm;
static struct psci psci;
static struct svmm_lifecycle lc;
static uint64_t boot_started_ns; /* board counter when the current boot started (status: uptime) */
static bool in_exit;             /* fault() is handling an exit (a restart asked for now waits for its end) */
static const char *restart_asker; /* who asked for the pending restart; NULL: the guest (PSCI SYSTEM_RESET) */

/*
 * Where a passive VMM parks a vCPU it must reply to but that is to stay off (restart_vm): the
 * first page past guest RAM, where nothing is mapped, so every instruction fetch there (MMU off)
 * traps as a prefetch abort, which the VMM answers by letting it fetch again, until a CPU_ON.
 */
#define NO_VCPU (~0u)
static bool parked[SVMM_MAX_VCPUS];

static uint64_t park_gpa(void)
{
    return vm.cfg.ram_base + vm.cfg.ram_size;
}

/* The vCPUs may run and devices serve them (not while stopped, nor in the middle of a restart). */
static bool vm_running(void)
{
    return lc.state == SVMM_VM_RUNNING;
}

static void changed(void)
{
    if (pol.changed != NULL)
        pol.changed();
}

/* Exits by kind, for performance work ("svmm[<vm>]|info: exits: ..." when the VM stops). */
static struct {
    uint64_t vm_fault, smc, wfx, sysreg, hvc, vgic_maint, vppi, other;
} exits;

/* ---- the SBSA watchdog's clock: the guest's counter, deadlines watched by the idle timer ---- */

static uint64_t watchdog_now(void *ctx)
{
    (void)ctx;
    return sel4_idle_guest_counter();
}

static void watchdog_arm(void *ctx, uint64_t deadline)
{
    (void)ctx;
    sel4_idle_device_arm(deadline == SBSA_GWDT_NEVER ? 0 : sel4_idle_guest_to_physical(deadline));
}

/* The idle timer passed the watchdog's deadline: advance it; WS1 (no refresh for its timeout) fails the VM. */
static void watchdog_fired(void *ctx)
{
    static char why[96];

    (void)ctx;
    if (!vm_running() || !sbsa_gwdt_tick(&vm.wdt))
        return;
    sel4_console_flush();
    snprintf(why, sizeof(why), "guest stopped refreshing its watchdog (WS1 after %llu s)",
             (unsigned long long)sbsa_gwdt_ws1_seconds(&vm.wdt));
    svmm_err("VM %s: %s", pol.name, why);
    sel4_vmm_stop(SVMM_OP_FAIL, why);
}

/* An interrupt went into a vCPU's list registers: restart it if it sleeps in WFI. */
static void irq_injected(void *ctx, unsigned vcpu)
{
    (void)ctx;
    if (vm_running())
        sel4_idle_kick(vcpu);
}

/* The guest EOI'd an interrupt other than its timer: the policy's (a passthrough one is acknowledged). */
static void irq_eoi(void *ctx, uint32_t intid)
{
    (void)ctx;
    if (pol.eoi != NULL)
        pol.eoi(intid);
}

static void psci_cpu_on(void *ctx, unsigned vcpu, uint64_t entry, uint64_t context_id)
{
    (void)ctx;
    svmm_info("vCPU %u on at 0x%llx", vcpu, (unsigned long long)entry);
    sel4_irq_reset_vcpu(vcpu); /* a vCPU that ran before starts clean: no old LRs, its timer off */
    parked[vcpu] = false;      /* psci_call checked vcpu < ncpus */
    if (!sel4_vcpu_start(vcpu, entry, context_id))
        svmm_err("cannot start vCPU %u", vcpu);
}

static void psci_cpu_off(void *ctx, unsigned vcpu)
{
    (void)ctx;
    if (!pol.passive)
        sel4_vcpu_halt(vcpu);
    /* Passive: suspending the vCPU would keep its scheduling context here for good (handle_smc parks it). */
}

/*
 * The exits of the boot that is ending: they count one boot, as the devices' MMIO counts do
 * (svmm_vm_reset_devices zeroes those) and as hosted svmm's do. `final`: the VM stops for good and
 * the line starts "exits:" (the tests end QEMU on that line; it ends with the boot's number);
 * before a restart it starts "boot N exits:", and the counters start again from zero.
 */
static void log_exit_stats(bool final)
{
    char devs[256], head[32] = "exits", tail[24] = "", idle_head[32] = "idle";

    if (!SVMM_FEATURE_STATS)
        return; /* left out (include/svmm/features.h): no counts are logged */
    svmm_vm_exit_stats(&vm, devs, sizeof(devs));
    if (final) {
        snprintf(tail, sizeof(tail), "; boot=%u", lc.boots);
    } else {
        snprintf(head, sizeof(head), "boot %u exits", lc.boots);
        snprintf(idle_head, sizeof(idle_head), "boot %u idle", lc.boots);
    }
    svmm_info("%s: vm_fault=%llu smc=%llu wfx=%llu sysreg=%llu hvc=%llu vgic_maintenance=%llu vppi=%llu "
              "other=%llu; by device: %s%s",
              head, (unsigned long long)exits.vm_fault, (unsigned long long)exits.smc,
              (unsigned long long)exits.wfx, (unsigned long long)exits.sysreg, (unsigned long long)exits.hvc,
              (unsigned long long)exits.vgic_maint, (unsigned long long)exits.vppi,
              (unsigned long long)exits.other, devs, tail);
    sel4_idle_log_stats(idle_head);
    memset(&exits, 0, sizeof(exits));
}

/* Devices' functions for when the VM stops (sel4_on_stop). */
static struct {
    void (*fn)(void *);
    void *ctx;
} stop_hooks[SEL4_MAX_STOP_HOOKS];
static unsigned nstop_hooks;

int sel4_on_stop(void (*fn)(void *), void *ctx)
{
    if (nstop_hooks == SEL4_MAX_STOP_HOOKS)
        return -1;
    stop_hooks[nstop_hooks].fn = fn;
    stop_hooks[nstop_hooks++].ctx = ctx;
    return 0;
}

/* Apply `op` to the lifecycle; a refused one is logged and ignored (false). */
static bool lifecycle(enum svmm_vm_op op)
{
    char why[96];

    if (svmm_lifecycle_apply(&lc, op, why, sizeof(why)) == 0)
        return true;
    svmm_warn("VM %s: %s: ignored", pol.name, why);
    return false;
}

int sel4_vmm_apply(enum svmm_vm_op op, char *why, size_t len)
{
    return svmm_lifecycle_apply(&lc, op, why, len);
}

const struct svmm_lifecycle *sel4_vmm_lifecycle(void)
{
    return &lc;
}

uint64_t sel4_vmm_boot_ns(void)
{
    return boot_started_ns;
}

struct svmm_vm *sel4_vmm_vm(void)
{
    return &vm;
}

/* Suspend every vCPU but `keep` (NO_VCPU: all); a sleeping one is suspended already, which is harmless. */
static void halt_vcpus(unsigned keep)
{
    for (unsigned i = 0; i < vm.cfg.ncpus; i++)
        if (i != keep)
            sel4_vcpu_halt(i);
}

/*
 * On a debug SMP kernel: the kernel's table of every thread and the core it is bound to, the one
 * record of where the VMMs and vCPUs run (seL4 has no call that tells a thread its core); tests
 * read it. Uniprocessor and release kernels have nothing to show.
 */
static void log_thread_cores(void)
{
#if defined(CONFIG_DEBUG_BUILD) && defined(CONFIG_ENABLE_SMP_SUPPORT)
    svmm_info("threads and their cores (debug SMP kernel):");
    seL4_DebugDumpScheduler();
#endif
}

void sel4_vmm_finish_stop(const char *why)
{
    sel4_console_flush(); /* the guest's partial line before ours */
    halt_vcpus(NO_VCPU);
    (void)lifecycle(SVMM_OP_HALTED);
    svmm_info("VM %s stopped: %s", pol.name, why);
    log_thread_cores();
    log_exit_stats(true);
    for (unsigned i = 0; i < nstop_hooks; i++)
        stop_hooks[i].fn(stop_hooks[i].ctx);
    changed();
}

void sel4_vmm_stop(enum svmm_vm_op op, const char *why)
{
    if (lifecycle(op))
        sel4_vmm_finish_stop(why);
}

static void psci_system_off(void *ctx)
{
    (void)ctx;
    sel4_vmm_stop(SVMM_OP_GUEST_OFF, "guest powered off (PSCI SYSTEM_OFF)");
}

/* RESTARTING, unless the VM does not reboot: fault() then restarts it (restart_vm), knowing the caller. */
static void psci_system_reset(void *ctx)
{
    (void)ctx;
    if (lifecycle(SVMM_OP_GUEST_RESET) && lc.state == SVMM_VM_STOPPING)
        sel4_vmm_finish_stop(SVMM_FEATURE_RESTART ? "guest requested a reset (PSCI SYSTEM_RESET) and this VM does not reboot"
                                                  : "guest requested a reset (PSCI SYSTEM_RESET) and this VMM was built "
                                                    "without restart (FEATURES=-restart)");
}

/* Without smp (features.h) the VM has one vCPU (the policy refuses more), which no CPU_ON can name. */
static const struct psci_ops psci_ops = { NULL, SVMM_FEATURE_SMP ? psci_cpu_on : NULL, psci_cpu_off, psci_system_off,
                                          psci_system_reset };

/* ---- restart: the VM power-cycled in place (issue 12 part 1) ---- */

/* One vCPU back to power-on state, but for its general registers (sel4_vcpu_enter writes those). */
static void reset_vcpu_state(unsigned vcpu)
{
    sel4_vcpu_reset_el1(vcpu);
    /* A VPPI event masks the vtimer's interrupt in the kernel until acknowledged: unmask it. */
    sel4_irq_vtimer_ack(vcpu);
    parked[vcpu] = false;
}

/*
 * Interrupt controller, devices, PSCI, idle machinery and vCPU state back to power-on. The vGIC
 * first: devices lower their lines as they reset, and on a vGIC that still had those interrupts
 * enabled that would refill list registers of vCPUs that are about to start afresh.
 */
static void reset_machine(void)
{
    sel4_irq_reset(); /* logs the LRs the last boot left filled: seL4 cannot clear them */
    if (pol.reset != NULL)
        pol.reset();
    /* Each device drops or completes its in-flight work; links to servers, switches and peers stay up. */
    svmm_vm_reset_devices(&vm);
    psci_init(&psci, vm.cfg.ncpus, &vm.mem, &psci_ops);
    sel4_idle_reset();
    for (unsigned i = 0; i < vm.cfg.ncpus; i++)
        reset_vcpu_state(i);
}

/*
 * Leave the vCPU whose exit this is (a passive VMM's, see restart_vm) where it traps at once and
 * keeps trapping until a CPU_ON: at park_gpa with the MMU off (sel4_vcpu_enter), not resumed here.
 */
static bool park_vcpu(unsigned vcpu)
{
    parked[vcpu] = true;
    return sel4_vcpu_enter(vcpu, park_gpa(), 0, false);
}

/*
 * vCPU 0 to the kernel's entry after a restart, and the caller of SYSTEM_RESET (whose exit this is)
 * settled; returns whether to reply to that exit (see restart_vm).
 */
static bool boot_again(unsigned caller)
{
    bool ok;

    svmm_info("starting vCPU 0 at 0x%llx", (unsigned long long)vm.boot.kernel_gpa);
    boot_started_ns = sel4_counter_ns();
    svmm_vm_power_on(&vm); /* the watchdog starts with the boot */
    if (!pol.passive || caller == NO_VCPU) {
        ok = sel4_vcpu_start(0, vm.boot.kernel_gpa, vm.boot.dtb_gpa);
    } else if (caller == 0) {
        ok = sel4_vcpu_enter(0, vm.boot.kernel_gpa, vm.boot.dtb_gpa, false); /* runs when replied to */
    } else {
        if (!park_vcpu(caller))
            svmm_err("cannot park vCPU %u", caller);
        ok = sel4_vcpu_start(0, vm.boot.kernel_gpa, vm.boot.dtb_gpa);
    }
    if (!ok)
        svmm_err("cannot start vCPU 0");
    return pol.passive;
}

/*
 * The guest reset the VM (PSCI SYSTEM_RESET from `caller`), its VMM asked for a restart within
 * `caller`'s exit, or the admin did (caller NO_VCPU); the lifecycle is RESTARTING: halt the vCPUs,
 * reset everything, scrub RAM, load the pristine images and start vCPU 0 at the kernel's entry.
 * Returns whether to reply to the caller's exit.
 *
 * A passive VMM runs this exit on the caller's scheduling context, which goes back to the caller
 * only with the reply: suspending the caller would strand it here (as for CPU_OFF). So the caller
 * is not halted but entered afresh without a resume and replied to: as the boot vCPU if it is
 * vCPU 0, else parked until the next boot's CPU_ON. Every other vCPU holds its own scheduling
 * context and is suspended as in a non-passive VMM, which halts (and does not reply to) all.
 */
static bool restart_vm(unsigned caller)
{
    uint64_t t0 = sel4_counter_ns();
    char err[160];
    bool reply;

    sel4_console_flush(); /* the last boot's partial line before our lines */
    if (restart_asker != NULL)
        svmm_info("VM %s: %s asked for a restart: restarting", pol.name, restart_asker);
    else
        svmm_info("VM %s: guest requested a reset (PSCI SYSTEM_RESET on vCPU %u): restarting", pol.name, caller);
    restart_asker = NULL;
    halt_vcpus(pol.passive ? caller : NO_VCPU);
    log_exit_stats(false); /* before reset_machine zeroes the devices' counts */
    reset_machine();
    sel4_guest_mem_scrub(); /* the next boot must find nothing of the last one */
    if (pol.load(&vm, err, sizeof(err)) < 0) {
        svmm_err("cannot boot the guest again: %s", err);
        (void)lifecycle(SVMM_OP_STOP); /* RESTARTING -> STOPPING: the one way out but HALTED (a boot) */
        sel4_vmm_finish_stop("restart failed");
        return false;
    }
    (void)lifecycle(SVMM_OP_HALTED); /* RESTARTING -> RUNNING, a restart counted */
    svmm_info("VM %s restarted (restart %u): devices reset, %llu MiB of RAM scrubbed, images reloaded in %llu ms",
              pol.name, lc.restarts, (unsigned long long)(vm.cfg.ram_size >> 20),
              (unsigned long long)((sel4_counter_ns() - t0) / 1000000u));
    reply = boot_again(caller);
    changed();
    return reply;
}

bool sel4_vmm_restart_now(const char *who)
{
    if (!SVMM_FEATURE_RESTART)
        return false; /* left out: the composer refuses an admin (the caller) without restart */
    restart_asker = who;
    (void)restart_vm(NO_VCPU);
    return vm_running();
}

int sel4_vmm_restart_request(const char *who)
{
    if (!SVMM_FEATURE_RESTART || !lifecycle(SVMM_OP_RESTART))
        return -1;
    if (!in_exit)
        return sel4_vmm_restart_now(who) ? 0 : -1;
    restart_asker = who; /* fault() restarts the VM once the exit is handled */
    return 0;
}

int sel4_vmm_start_stopped(const char *who, char *why, size_t len)
{
    if (!SVMM_FEATURE_RESTART) {
        snprintf(why, len, "this VMM was built without restart (FEATURES=-restart), which starting a VM again needs");
        return -1;
    }
    reset_machine();
    sel4_guest_mem_scrub();
    if (pol.load(&vm, why, len) < 0) {
        sel4_vmm_stop(SVMM_OP_FAIL, "start failed");
        return -1;
    }
    svmm_info("VM %s started by %s (boot %u)", pol.name, who, lc.boots);
    (void)boot_again(NO_VCPU);
    return 0;
}

void sel4_vmm_clean_up_last_run(void)
{
    halt_vcpus(NO_VCPU);
    for (unsigned i = 0; i < vm.cfg.ncpus; i++)
        reset_vcpu_state(i);
    sel4_guest_mem_scrub();
}

/* ---- setup ---- */

int sel4_vmm_create(const struct sel4_vmm_policy *p, const struct svmm_vm_config *cfg, char *err, size_t errlen)
{
    const struct svmm_platform plat = { .ctx = NULL, .irq_set = sel4_irq_set_spi };
    const struct svmm_vm_backends be = {
        .uart_tx = sel4_console_uart_tx,
        /* Without the watchdog (features.h) it has no clock: the policy refuses a VM with one first. */
        .wdt_clock = { .hz = sel4_counter_hz(), .now = SVMM_FEATURE_WATCHDOG ? watchdog_now : NULL,
                       .arm = SVMM_FEATURE_WATCHDOG ? watchdog_arm : NULL },
    };

    pol = *p;
    return svmm_vm_init(&vm, cfg, &plat, &be, err, errlen);
}

/* The vGIC, sized for the devices' and the policy's interrupts, over seL4's vCPU interface. */
static int register_gic(void)
{
    const struct sel4_irq_hooks hooks = { .injected = irq_injected, .eoi = irq_eoi, .ctx = NULL };

    return sel4_irq_init(&vm, pol.num_lrs, pol.max_spi, &hooks);
}

int sel4_vmm_machine(char *err, size_t errlen)
{
    if (register_gic() < 0) {
        snprintf(err, errlen, "the interrupt controller cannot serve this configuration");
        return -1;
    }
    psci_init(&psci, vm.cfg.ncpus, &vm.mem, &psci_ops);
    sel4_idle_init(vm.cfg.ncpus, pol.idle_timer && !pol.passive, pol.idle_timer_channel);
    if (SVMM_FEATURE_WATCHDOG && vm.cfg.watchdog_s && !sel4_idle_device_timer(watchdog_fired, NULL)) {
        snprintf(err, errlen, "the watchdog needs the idle timer, which a passive VMM does not have");
        return -1;
    }
    /* No reboot policy in the system description yet: a guest's reset restarts the VM, if built with restart. */
    svmm_lifecycle_init(&lc, !SVMM_FEATURE_RESTART);
    return 0;
}

bool sel4_vmm_boot(void)
{
    for (unsigned i = 0; i < vm.cfg.ncpus; i++)
        sel4_vcpu_set_mpidr(i);
    (void)lifecycle(SVMM_OP_START);
    svmm_info("starting vCPU 0 at 0x%llx", (unsigned long long)vm.boot.kernel_gpa);
    boot_started_ns = sel4_counter_ns();
    svmm_vm_power_on(&vm);
    if (!sel4_vcpu_start(0, vm.boot.kernel_gpa, vm.boot.dtb_gpa)) {
        sel4_vmm_stop(SVMM_OP_FAIL, "cannot start vCPU 0");
        return false;
    }
    changed();
    return true;
}

/* ---- exits ---- */

/* A guest load or store to an address with no RAM behind it: an emulated device. */
static bool handle_data_abort(unsigned vcpu, const struct sel4_exit *e)
{
    struct aarch64_dabt d;
    struct aarch64_gprs regs;
    seL4_UserContext ctx;
    unsigned words;

    exits.vm_fault++;
    if (e->kind == SEL4_EXIT_PREFETCH_ABORT && parked[vcpu] && e->pc == park_gpa())
        return true; /* parked (park_vcpu): fetch again until a CPU_ON */
    if (e->kind == SEL4_EXIT_PREFETCH_ABORT || aarch64_decode_dabt(e->esr, &d) < 0) {
        svmm_err("vCPU %u: unemulatable %s at 0x%llx (pc 0x%llx, esr 0x%llx)", vcpu,
                 e->kind == SEL4_EXIT_PREFETCH_ABORT ? "instruction fetch" : "access", (unsigned long long)e->ipa,
                 (unsigned long long)e->pc, (unsigned long long)e->esr);
        sel4_vmm_stop(SVMM_OP_FAIL, "unrecoverable guest fault");
        return false;
    }
    /* Stores need x[rt] and then only pc back; loads write x[rt], so they copy up to it both ways. */
    words = sel4_vcpu_ctx_words_for_reg(d.rt);
    if (!sel4_vcpu_regs_read(vcpu, words, &regs, &ctx))
        return false;
    if (aarch64_emulate_dabt(&vm.bus, vcpu, &d, e->ipa, &regs) < 0) {
        svmm_err("vCPU %u: access at 0x%llx from AArch32 state (pc 0x%llx): svmm emulates AArch64 guests only",
                 vcpu, (unsigned long long)e->ipa, (unsigned long long)regs.pc);
        sel4_vmm_stop(SVMM_OP_FAIL, "guest in AArch32 state");
        return false;
    }
    return sel4_vcpu_regs_write(vcpu, d.write ? 1 : words, &regs, &ctx, false);
}

static bool handle_smc(unsigned vcpu, uint64_t esr)
{
    unsigned words = sel4_vcpu_ctx_words_for_reg(3);
    struct aarch64_gprs regs;
    seL4_UserContext ctx;
    enum psci_action a;

    exits.smc++;
    if (!sel4_vcpu_regs_read(vcpu, words, &regs, &ctx))
        return false;
    a = psci_call(&psci, vcpu, regs.x);
    if (a == PSCI_VCPU_OFF && pol.passive)
        return true; /* parked: the reply restarts it at the same SMC, CPU_OFF again, until a CPU_ON */
    if (a != PSCI_RESUME)
        return false; /* this vCPU is off, the whole VM is, or it restarts (fault() does that) */
    regs.pc += esr_insn_len(esr); /* a trapped SMC returns to the SMC itself */
    return sel4_vcpu_regs_write(vcpu, sel4_vcpu_ctx_words_for_reg(0), &regs, &ctx, false);
}

static bool handle_sysreg(unsigned vcpu, uint64_t esr)
{
    static struct svmm_ratelimit rl;
    struct aarch64_sysreg s;
    struct aarch64_gprs regs;
    seL4_UserContext ctx;
    unsigned words;

    exits.sysreg++;
    aarch64_decode_sysreg(esr, &s);
    words = sel4_vcpu_ctx_words_for_reg(s.rt);
    if (!sel4_vcpu_regs_read(vcpu, words, &regs, &ctx))
        return false;
    if (aarch64_emulate_sysreg(sel4_irq_vgic(), vcpu, &s, &regs) == 0 && svmm_ratelimit_ok(&rl, 10))
        svmm_warn("vCPU %u: %s of unhandled system register S%u_%u_C%u_C%u_%u (RAZ/WI)", vcpu,
                  s.read ? "read" : "write", s.op0, s.op1, s.crn, s.crm, s.op2);
    return sel4_vcpu_regs_write(vcpu, s.read ? words : 1, &regs, &ctx, false);
}

/* A WFI with nothing to take sleeps (sel4_idle.h); else resume: the WFx re-executes, or completes. */
static bool handle_wfx(unsigned vcpu, uint64_t esr)
{
    exits.wfx++;
    if (esr_wfx_is_wfi(esr) && !sel4_irq_vcpu_has_work(vcpu) && sel4_idle_sleep(vcpu))
        return false;
    return true;
}

/* HVC lands in seL4's syscall path: PSCI uses SMC here, so answer NOT_SUPPORTED and move on. */
static bool handle_hvc(unsigned vcpu)
{
    unsigned words = sel4_vcpu_ctx_words_for_reg(0);
    struct aarch64_gprs regs;
    seL4_UserContext ctx;

    exits.hvc++;
    if (!sel4_vcpu_regs_read(vcpu, words, &regs, &ctx))
        return false;
    regs.x[0] = (uint64_t)(int64_t)PSCI_RET_NOT_SUPPORTED;
    regs.pc += 4; /* the kernel reports the HVC's own address */
    return sel4_vcpu_regs_write(vcpu, words, &regs, &ctx, false);
}

/* One exit of `vcpu`, decoded (svmm/sel4/fault.h); returns whether to reply (resume it). */
static bool handle_exit(unsigned vcpu, const struct sel4_exit *e)
{
    switch (e->kind) {
    case SEL4_EXIT_DATA_ABORT:
    case SEL4_EXIT_PREFETCH_ABORT:
        return handle_data_abort(vcpu, e);
    case SEL4_EXIT_SMC:
        return handle_smc(vcpu, e->esr);
    case SEL4_EXIT_WFX:
        return handle_wfx(vcpu, e->esr);
    case SEL4_EXIT_SYSREG:
        return handle_sysreg(vcpu, e->esr);
    case SEL4_EXIT_VGIC_MAINTENANCE:
        exits.vgic_maint++;
        sel4_irq_maintenance(vcpu, e->lr);
        return true;
    case SEL4_EXIT_VPPI:
        exits.vppi++;
        sel4_irq_vppi(vcpu, e->irq);
        return true;
    case SEL4_EXIT_HVC:
        return handle_hvc(vcpu);
    case SEL4_EXIT_VCPU_OTHER:
        exits.other++;
        svmm_err("vCPU %u: unhandled exception class 0x%x (esr 0x%llx)", vcpu, esr_ec(e->esr),
                 (unsigned long long)e->esr);
        sel4_vmm_stop(SVMM_OP_FAIL, "unhandled vCPU exception");
        return false;
    default:
        exits.other++;
        svmm_err("vCPU %u: unexpected fault label %llu", vcpu, (unsigned long long)e->label);
        sel4_vmm_stop(SVMM_OP_FAIL, "unexpected fault");
        return false;
    }
}

/*
 * The exit and the work it deferred are done: a restart asked for during it (the guest's SYSTEM_RESET, or the VMM's own
 * sel4_vmm_restart_request from a device) happens now, knowing the caller; a VM that stopped during
 * it (a device's svmm_stop) leaves the caller blocked. Returns whether to reply.
 */
static bool settle_exit(unsigned vcpu, bool resume)
{
    if (SVMM_FEATURE_RESTART && lc.state == SVMM_VM_RESTARTING)
        return restart_vm(vcpu);
    return resume && vm_running();
}

seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    struct sel4_exit e;
    seL4_Bool resume;

    *reply_msginfo = microkit_msginfo_new(0, 0);
    if (!vm_running() || child >= vm.cfg.ncpus)
        return false;
    sel4_console_exit();
    sel4_fault_decode(msginfo, &e);
    in_exit = true;
    resume = handle_exit(child, &e);
    if (sel4_channel_deferred_pending())
        sel4_channel_run_deferred();
    resume = settle_exit(child, resume);
    in_exit = false;
    return resume;
}

void notified(microkit_channel ch)
{
    if (pol.notified != NULL && pol.notified(ch))
        return;
    if (vm_running())
        sel4_idle_notified(ch);
    sel4_channel_dispatch(ch, vm_running(), lc.state == SVMM_VM_STOPPED);
    if (ch != pol.uart_irq_channel)
        return;
    /* Input goes to the virtio console once its driver is up, to the emulated UART before. */
    sel4_console_input(&vm);
    sel4_irq_ack(ch);
}
