/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svmm as a seL4 Microkit protection domain that owns exactly one virtual machine. init() builds
 * the VM from the build-time configuration and starts vCPU 0; every guest exit arrives as a
 * fault of a vCPU (our child) and is handled here, single-threaded, by the portable core.
 */
#include <microkit.h>
#include <stdio.h>
#include <string.h>
#include <svmm/aarch64.h>
#include <svmm/arch.h>
#include <svmm/log.h>
#include <svmm/psci.h>
#include <svmm/vgic.h>
#include <svmm/virtio_console.h>
#include <svmm/vm.h>
#include "board_uart.h"
#include "sel4_clock.h"
#include "sel4_devices.h"
#include "sel4_idle.h"
#include "sel4_vm.h"
#include "vcpu_regs.h"

#define VTIMER_PPI 27

/* Virtual addresses of our mappings, patched in by the Microkit tool (setvar_vaddr). */
uintptr_t guest_ram_vaddr;
uintptr_t boot_images_vaddr;
uintptr_t board_uart_vaddr;

static struct svmm_vm vm;
static struct virtio_console console;
static struct vgic vgic;
static struct psci psci;
static bool vm_down;

/* Exits by kind, for performance work ("svmm[<vm>]|info: exits: ..." when the VM stops). */
static struct {
    uint64_t vm_fault, smc, wfx, sysreg, hvc, vgic_maint, vppi, other;
} exits;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static void log_sink(enum svmm_log_level level, const char *line, unsigned len)
{
    board_uart_log_line(level_names[level], line, len);
}

static void guest_uart_tx(void *ctx, uint8_t b)
{
    (void)ctx;
    board_uart_guest_write(&b, 1);
}

/* A virtio-console buffer is a natural unit: its partial last line (a shell prompt) goes out too. */
static void guest_console_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    board_uart_guest_write(buf, len);
    board_uart_flush();
}

/* Device interrupt lines go to the virtual distributor (SPI n is INTID 32 + n). */
static void irq_set(void *ctx, uint32_t spi, bool level)
{
    (void)ctx;
    vgic_set_level(&vgic, 0, 32 + spi, level);
}

/*
 * seL4 takes list-register priorities as 5 bits (the GICv2 LR field): the top bits of the guest's.
 * An injected interrupt restarts its vCPU if that sleeps in WFI.
 */
static bool vgic_inject(void *ctx, unsigned vcpu, unsigned lr, uint32_t intid, uint8_t priority, bool group1)
{
    (void)ctx;
    if (seL4_ARM_VCPU_InjectIRQ(BASE_VCPU_CAP + vcpu, (seL4_Uint16)intid, priority >> 3, group1, (seL4_Uint8)lr) !=
        seL4_NoError)
        return false;
    if (!vm_down)
        sel4_idle_kick(vcpu);
    return true;
}

/* The kernel masks the virtual timer until we acknowledge its VPPI: do so once the guest EOIs it. */
static void vgic_eoi(void *ctx, unsigned vcpu, uint32_t intid)
{
    (void)ctx;
    if (intid == VTIMER_PPI) {
        vgic_set_level(&vgic, vcpu, VTIMER_PPI, false);
        microkit_vcpu_arm_ack_vppi(vcpu, VTIMER_PPI);
    }
}

/* A vCPU that ran before starts clean: no old interrupts in its LRs, its timer off and unmasked. */
static void reset_vcpu_interrupts(unsigned vcpu)
{
    vgic_reset_vcpu(&vgic, vcpu);
    microkit_vcpu_arm_write_reg(vcpu, seL4_VCPUReg_CNTV_CTL, 0);
    microkit_vcpu_arm_ack_vppi(vcpu, VTIMER_PPI);
}

static void psci_cpu_on(void *ctx, unsigned vcpu, uint64_t entry, uint64_t context_id)
{
    (void)ctx;
    svmm_info("vCPU %u on at 0x%llx", vcpu, (unsigned long long)entry);
    reset_vcpu_interrupts(vcpu);
    if (!vcpu_start(vcpu, entry, context_id))
        svmm_err("cannot start vCPU %u", vcpu);
}

static void psci_cpu_off(void *ctx, unsigned vcpu)
{
    (void)ctx;
    if (!svmm_sel4_vm.passive)
        microkit_vcpu_stop(vcpu);
    /* Passive: suspending the vCPU would keep its scheduling context here for good (handle_smc parks it). */
}

static void log_exit_stats(void)
{
    char devs[256];

    svmm_vm_exit_stats(&vm, devs, sizeof(devs));
    svmm_info("exits: vm_fault=%llu smc=%llu wfx=%llu sysreg=%llu hvc=%llu vgic_maintenance=%llu vppi=%llu "
              "other=%llu; by device: %s",
              (unsigned long long)exits.vm_fault, (unsigned long long)exits.smc, (unsigned long long)exits.wfx,
              (unsigned long long)exits.sysreg, (unsigned long long)exits.hvc,
              (unsigned long long)exits.vgic_maint, (unsigned long long)exits.vppi,
              (unsigned long long)exits.other, devs);
    sel4_idle_log_stats();
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

static void stop_vm(const char *why)
{
    for (unsigned i = 0; i < vm.cfg.ncpus; i++)
        microkit_vcpu_stop(i);
    vm_down = true;
    svmm_info("VM %s stopped: %s", svmm_sel4_vm.name, why);
    log_exit_stats();
    for (unsigned i = 0; i < nstop_hooks; i++)
        stop_hooks[i].fn(stop_hooks[i].ctx);
}

static void psci_system_off(void *ctx)
{
    (void)ctx;
    stop_vm("guest powered off (PSCI SYSTEM_OFF)");
}

static void psci_system_reset(void *ctx)
{
    (void)ctx;
    stop_vm("guest requested a reset (PSCI SYSTEM_RESET); restart comes with the admin component");
}

static int register_gic(void)
{
    const struct svmm_gic_config *g = &vm.cfg.layout.gic;
    const struct vgic_ops ops = { .ctx = NULL, .inject = vgic_inject, .eoi = vgic_eoi };

    if (vgic_init(&vgic, g->version, vm.cfg.ncpus, svmm_sel4_vm.num_lrs,
                  vgic_nr_irqs_for(svmm_vm_config_max_spi(&vm.cfg)), &ops) < 0)
        return -1;
    svmm_mmio_register(&vm.bus, g->dist_base, SVMM_GICD_SIZE, &vgic_dist_ops, &vgic, "gicd");
    if (g->version == SVMM_GIC_V3)
        svmm_mmio_register(&vm.bus, g->redist_base, SVMM_GICR_SIZE_PER_CPU * vm.cfg.ncpus, &vgic_redist_ops,
                           &vgic, "gicr");
    return 0;
}

int sel4_attach_console(struct svmm_vm *v, unsigned slot, char *err, size_t errlen)
{
    const struct virtio_console_backend console_be = { .write = guest_console_write };

    if (console.dev.ops != NULL) {
        snprintf(err, errlen, "virtio slot %u: one virtio-console per VM (the board UART carries it)", slot);
        return -1;
    }
    virtio_console_init(&console, &console_be);
    return svmm_vm_attach_virtio(v, slot, &console.dev, err, errlen);
}

/*
 * A driver VM: its served disks' links and the agent's console port. The port must be there before
 * the guest's driver probes the console, and the storage info before the clients' VMMs give up
 * waiting for it, so this runs right after the devices are attached.
 */
static int serve_disks(char *err, size_t errlen)
{
    if (svmm_sel4_vm.blk_serve.start == NULL)
        return 0;
    return svmm_sel4_vm.blk_serve.start(console.dev.ops != NULL ? &console : NULL, err, errlen);
}

/* Create the VirtIO devices the configuration names: one attach function per slot. */
static int attach_devices(char *err, size_t errlen)
{
    for (unsigned slot = 0; slot < svmm_sel4_vm.cfg.nvirtio; slot++) {
        if (svmm_sel4_vm.attach[slot] == NULL) {
            snprintf(err, errlen, "virtio slot %u: device type %u is not available on seL4 yet", slot,
                     svmm_sel4_vm.cfg.virtio_ids[slot]);
            return -1;
        }
        if (svmm_sel4_vm.attach[slot](&vm, slot, err, errlen) < 0)
            return -1;
    }
    return 0;
}

void init(void)
{
    const struct svmm_sel4_vm *c = &svmm_sel4_vm;
    const struct svmm_platform plat = { .ctx = NULL, .irq_set = irq_set };
    const struct svmm_vm_backends be = { .uart_tx = guest_uart_tx };
    const struct psci_ops pops = { NULL, psci_cpu_on, psci_cpu_off, psci_system_off, psci_system_reset };
    const uint8_t *images = (const uint8_t *)boot_images_vaddr;
    char err[160];

    board_uart_init(board_uart_vaddr, c->console_prefix, c->name);
    svmm_log_init(log_sink, SVMM_LOG_INFO);
    svmm_log_set_clock(sel4_counter_ns);
    svmm_info("VM %s: %u vCPU(s), %llu MiB RAM, GICv%d", c->name, c->cfg.ncpus,
              (unsigned long long)(c->cfg.ram_size >> 20), (int)c->cfg.layout.gic.version);
    if (svmm_vm_init(&vm, &c->cfg, &plat, &be, err, sizeof(err)) < 0 || attach_devices(err, sizeof(err)) < 0 ||
        serve_disks(err, sizeof(err)) < 0 || svmm_vm_add_ram(&vm, (void *)guest_ram_vaddr) < 0) {
        svmm_err("VM setup failed: %s", err);
        return;
    }
    if (register_gic() < 0) {
        svmm_err("VM setup failed: the interrupt controller cannot serve this configuration");
        return;
    }
    psci_init(&psci, c->cfg.ncpus, &vm.mem, &pops);
    sel4_idle_init(c->cfg.ncpus);
    if (svmm_vm_load_linux(&vm, images + c->kernel_offset, c->kernel_size,
                           c->initrd_size ? images + c->initrd_offset : NULL, c->initrd_size, err, sizeof(err)) < 0) {
        svmm_err("cannot boot the guest: %s", err);
        return;
    }
    for (unsigned i = 0; i < c->cfg.ncpus; i++)
        microkit_vcpu_arm_write_reg(i, seL4_VCPUReg_VMPIDR_EL2, (1ull << 31) | svmm_arch_vcpu_affinity(i));
    svmm_info("starting vCPU 0 at 0x%llx", (unsigned long long)vm.boot.kernel_gpa);
    if (!vcpu_start(0, vm.boot.kernel_gpa, vm.boot.dtb_gpa))
        svmm_err("cannot start vCPU 0");
}

/* A guest load or store to an address with no RAM behind it: an emulated device. */
static bool handle_vm_fault(unsigned vcpu)
{
    uint64_t esr = microkit_mr_get(seL4_VMFault_FSR), addr = microkit_mr_get(seL4_VMFault_Addr);
    struct aarch64_dabt d;
    struct aarch64_gprs regs;
    seL4_UserContext ctx;
    unsigned words;

    exits.vm_fault++;
    if (microkit_mr_get(seL4_VMFault_PrefetchFault) || aarch64_decode_dabt(esr, &d) < 0) {
        svmm_err("vCPU %u: unemulatable %s at 0x%llx (pc 0x%llx, esr 0x%llx)", vcpu,
                 microkit_mr_get(seL4_VMFault_PrefetchFault) ? "instruction fetch" : "access", (unsigned long long)addr,
                 (unsigned long long)microkit_mr_get(seL4_VMFault_IP), (unsigned long long)esr);
        stop_vm("unrecoverable guest fault");
        return false;
    }
    /* Stores need x[rt] and then only pc back; loads write x[rt], so they copy up to it both ways. */
    words = vcpu_ctx_words_for_reg(d.rt);
    if (!vcpu_regs_read(vcpu, words, &regs, &ctx))
        return false;
    vgic_set_current_vcpu(&vgic, vcpu); /* GICv2 banks per-CPU distributor registers */
    if (aarch64_emulate_dabt(&vm, &d, addr, &regs) < 0) {
        svmm_err("vCPU %u: access at 0x%llx from AArch32 state (pc 0x%llx): svmm emulates AArch64 guests only",
                 vcpu, (unsigned long long)addr, (unsigned long long)regs.pc);
        stop_vm("guest in AArch32 state");
        return false;
    }
    return vcpu_regs_write(vcpu, d.write ? 1 : words, &regs, &ctx, false);
}

static bool handle_smc(unsigned vcpu, uint64_t esr)
{
    unsigned words = vcpu_ctx_words_for_reg(3);
    struct aarch64_gprs regs;
    seL4_UserContext ctx;
    enum psci_action a;

    exits.smc++;
    if (!vcpu_regs_read(vcpu, words, &regs, &ctx))
        return false;
    a = psci_call(&psci, vcpu, regs.x);
    if (a == PSCI_VCPU_OFF && svmm_sel4_vm.passive)
        return true; /* parked: the reply restarts it at the same SMC, CPU_OFF again, until a CPU_ON */
    if (a != PSCI_RESUME)
        return false; /* this vCPU (or the whole VM) is off: leave it blocked */
    regs.pc += esr_insn_len(esr); /* a trapped SMC returns to the SMC itself */
    return vcpu_regs_write(vcpu, vcpu_ctx_words_for_reg(0), &regs, &ctx, false);
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
    words = vcpu_ctx_words_for_reg(s.rt);
    if (!vcpu_regs_read(vcpu, words, &regs, &ctx))
        return false;
    if (aarch64_emulate_sysreg(&vgic, vcpu, &s, &regs) == 0 && svmm_ratelimit_ok(&rl, 10))
        svmm_warn("vCPU %u: %s of unhandled system register S%u_%u_C%u_C%u_%u (RAZ/WI)", vcpu,
                  s.read ? "read" : "write", s.op0, s.op1, s.crn, s.crm, s.op2);
    return vcpu_regs_write(vcpu, s.read ? words : 1, &regs, &ctx, false);
}

static bool handle_vcpu_fault(unsigned vcpu)
{
    uint64_t esr = microkit_mr_get(seL4_VCPUFault_HSR);

    switch (esr_ec(esr)) {
    case ESR_EC_SMC64:
        return handle_smc(vcpu, esr);
    case ESR_EC_WFX:
        exits.wfx++;
        /* A WFI with nothing to take sleeps (sel4_idle.h); else resume: the WFx re-executes, or completes. */
        if (esr_wfx_is_wfi(esr) && !vgic_vcpu_has_work(&vgic, vcpu) && sel4_idle_sleep(vcpu))
            return false;
        return true;
    case ESR_EC_SYSREG:
        return handle_sysreg(vcpu, esr);
    default:
        exits.other++;
        svmm_err("vCPU %u: unhandled exception class 0x%x (esr 0x%llx)", vcpu, esr_ec(esr), (unsigned long long)esr);
        stop_vm("unhandled vCPU exception");
        return false;
    }
}

/* HVC lands in seL4's syscall path: PSCI uses SMC here, so answer NOT_SUPPORTED and move on. */
static bool handle_hvc(unsigned vcpu)
{
    unsigned words = vcpu_ctx_words_for_reg(0);
    struct aarch64_gprs regs;
    seL4_UserContext ctx;

    exits.hvc++;
    if (!vcpu_regs_read(vcpu, words, &regs, &ctx))
        return false;
    regs.x[0] = (uint64_t)(int64_t)PSCI_RET_NOT_SUPPORTED;
    regs.pc += 4; /* the kernel reports the HVC's own address */
    return vcpu_regs_write(vcpu, words, &regs, &ctx, false);
}

/* Channel hooks and deferred work of devices that talk to other PDs (sel4_devices.h). */
static struct hook {
    unsigned ch;
    void (*fn)(void *);
    void *ctx;
} notify_hooks[SEL4_MAX_HOOKS], deferred[SEL4_MAX_HOOKS];
static unsigned nnotify_hooks, ndeferred;
_Static_assert(SEL4_MAX_HOOKS >= SEL4_MAX_NET_LINKS + SEL4_MAX_BLK_LINKS + SEL4_MAX_VSOCK_LINKS + SEL4_MAX_SERVED_DISKS,
               "every link a VMM may have gets its channel hook and its deferred function");

int sel4_on_notify(unsigned ch, void (*fn)(void *), void *ctx)
{
    if (nnotify_hooks == SEL4_MAX_HOOKS)
        return -1;
    notify_hooks[nnotify_hooks++] = (struct hook){ ch, fn, ctx };
    return 0;
}

int sel4_defer(void (*fn)(void *), void *ctx)
{
    for (unsigned i = 0; i < ndeferred; i++)
        if (deferred[i].fn == fn && deferred[i].ctx == ctx)
            return 0; /* already queued */
    if (ndeferred == SEL4_MAX_HOOKS)
        return -1;
    deferred[ndeferred++] = (struct hook){ 0, fn, ctx };
    return 0;
}

/* Run deferred work; a function may defer more (bounded: each run empties the table first). */
static void run_deferred(void)
{
    for (unsigned round = 0; ndeferred && round < 4; round++) {
        struct hook now[SEL4_MAX_HOOKS];
        unsigned n = ndeferred;
        memcpy(now, deferred, sizeof(now[0]) * n);
        ndeferred = 0;
        for (unsigned i = 0; i < n; i++)
            now[i].fn(now[i].ctx);
    }
}

static seL4_Bool handle_fault(unsigned vcpu, microkit_msginfo msginfo);

seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    seL4_Bool resume;

    *reply_msginfo = microkit_msginfo_new(0, 0);
    if (vm_down || child >= vm.cfg.ncpus)
        return false;
    board_uart_exit();
    resume = handle_fault(child, msginfo);
    if (ndeferred)
        run_deferred();
    return resume;
}

static seL4_Bool handle_fault(unsigned vcpu, microkit_msginfo msginfo)
{
    seL4_Word idx;

    switch (microkit_msginfo_get_label(msginfo)) {
    case seL4_Fault_VMFault:
        return handle_vm_fault(vcpu);
    case seL4_Fault_VCPUFault:
        return handle_vcpu_fault(vcpu);
    case seL4_Fault_VGICMaintenance:
        exits.vgic_maint++;
        idx = microkit_mr_get(seL4_VGICMaintenance_IDX);
        vgic_maintenance(&vgic, vcpu, idx < VGIC_MAX_LR ? (int)idx : -1);
        return true;
    case seL4_Fault_VPPIEvent:
        exits.vppi++;
        vgic_set_level(&vgic, vcpu, (uint32_t)microkit_mr_get(seL4_VPPIEvent_IRQ), true);
        return true;
    case seL4_Fault_UnknownSyscall:
        return handle_hvc(vcpu);
    default:
        exits.other++;
        svmm_err("vCPU %u: unexpected fault label %llu", vcpu,
                 (unsigned long long)microkit_msginfo_get_label(msginfo));
        stop_vm("unexpected fault");
        return false;
    }
}

void notified(microkit_channel ch)
{
    uint8_t buf[64];
    size_t n;

    if (!vm_down)
        sel4_idle_notified(ch);
    for (unsigned i = 0; i < nnotify_hooks; i++)
        if (notify_hooks[i].ch == ch && !vm_down)
            notify_hooks[i].fn(notify_hooks[i].ctx);
    run_deferred();
    if (ch != svmm_sel4_vm.uart_irq_channel)
        return;
    n = board_uart_read(buf, sizeof(buf));
    /* Input goes to the virtio console once its driver is up, to the emulated UART before. */
    if (virtio_console_input_ready(&console))
        virtio_console_input(&console, buf, n);
    else
        uart16550_input(&vm.uart, buf, n);
    microkit_irq_ack(ch);
}
