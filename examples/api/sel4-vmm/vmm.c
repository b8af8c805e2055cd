/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A Microkit VMM written by hand against svmm's public API alone: the portable VM (svmm/vm.h, PSCI,
 * the ESR decoders) and the low-level seL4 API (svmm/sel4/: vCPUs, fault decode, guest memory,
 * interrupts, channels, console). No composer, no generated configuration: vmm.system maps what
 * is named below. One Linux VM with one vCPU, 256 MiB of RAM and a virtio-console on the board
 * UART; the boot loader places the kernel and initrd in the boot_images region (make
 * sel4-api-example passes their sizes). A guest power-off or reset stops the VM. GICv2 only: with
 * it no MSR/MRS trap comes (GICv3's ICC_SGI1R would); like any exit not handled here, one stops the VM.
 */
#include <microkit.h>
#include <svmm/aarch64.h>
#include <svmm/log.h>
#include <svmm/psci.h>
#include <svmm/sel4/channel.h>
#include <svmm/sel4/console.h>
#include <svmm/sel4/fault.h>
#include <svmm/sel4/guest_mem.h>
#include <svmm/sel4/irq.h>
#include <svmm/sel4/vcpu.h>
#include <svmm/virtio.h>
#include <svmm/vm.h>

#define UART_IRQ_CH 1            /* vmm.system: <irq irq="33" id="1" /> */
#define NUM_LRS 4                /* list registers of QEMU's GICv2 CPU interface */
#define INITRD_OFFSET 0x2000000u /* in boot_images: the kernel at 0, the initrd 32 MiB in */

/* Our mappings, patched in by the Microkit tool (setvar_vaddr in vmm.system). */
uintptr_t guest_ram_vaddr, boot_images_vaddr, board_uart_vaddr;

/* What the guest sees: QEMU virt's layout, GICv2, a 16550 UART and one virtio-mmio slot. */
static const struct svmm_vm_config cfg = {
    .ram_base = 0x40000000, .ram_size = 256u << 20, .ncpus = 1, .psci_smc = true,
    .bootargs = "console=ttyS0 earlycon",
    .layout = {
        .gic = { .version = SVMM_GIC_V2, .dist_base = 0x08000000, .cpuif_base = 0x08010000 },
        .uart_base = 0x09000000, .uart_spi = 1,
        .virtio_base = 0x0a000000, .virtio_stride = 0x200, .virtio_spi = 16,
    },
    .nvirtio = 1, .virtio_ids = { VIRTIO_ID_CONSOLE },
};

static struct svmm_vm vm;
static struct psci psci;
static bool stopped;
static unsigned long long nexits[SEL4_EXIT_UNKNOWN + 1];

/* The VM is done: log the exit counts (the last line: the test ends QEMU on it); no vCPU runs again. */
static bool stop(const char *why)
{
    char devs[160];

    sel4_console_flush(); /* the guest's partial line first */
    stopped = true;
    sel4_vcpu_halt(0);
    svmm_vm_exit_stats(&vm, devs, sizeof(devs));
    svmm_info("VM linux stopped: %s", why);
    svmm_info("exits: data_abort=%llu smc=%llu wfx=%llu sysreg=%llu vgic_maintenance=%llu vppi=%llu; by device: %s",
              nexits[SEL4_EXIT_DATA_ABORT], nexits[SEL4_EXIT_SMC], nexits[SEL4_EXIT_WFX], nexits[SEL4_EXIT_SYSREG],
              nexits[SEL4_EXIT_VGIC_MAINTENANCE], nexits[SEL4_EXIT_VPPI], devs);
    return false;
}

static void cpu_off(void *ctx, unsigned vcpu)
{
    (void)ctx;
    sel4_vcpu_halt(vcpu); /* until the VM stops: with one vCPU, no CPU_ON can come */
}

static void system_off(void *ctx)
{
    (void)ctx;
    (void)stop("guest powered off (PSCI SYSTEM_OFF)");
}

static void system_reset(void *ctx)
{
    (void)ctx;
    (void)stop("guest asked for a reset (PSCI SYSTEM_RESET): this VMM does not restart");
}

/* CPU_ON never reaches the callback: psci_call refuses every vCPU but vCPU 0, which is on. */
static const struct psci_ops psci_ops = { .cpu_off = cpu_off, .system_off = system_off, .system_reset = system_reset };

/* A load or store the VM has no RAM for: an emulated device on the VM's MMIO bus. */
static bool data_abort(unsigned vcpu, const struct sel4_exit *e)
{
    struct aarch64_dabt d;
    struct aarch64_gprs regs;
    seL4_UserContext ctx;
    unsigned words;

    if (aarch64_decode_dabt(e->esr, &d) < 0)
        return stop("an access the VMM cannot emulate");
    words = sel4_vcpu_ctx_words_for_reg(d.rt); /* only the registers up to the one transferred */
    if (!sel4_vcpu_regs_read(vcpu, words, &regs, &ctx))
        return false;
    if (aarch64_emulate_dabt(&vm.bus, vcpu, &d, e->ipa, &regs) < 0)
        return stop("guest in AArch32 state");
    return sel4_vcpu_regs_write(vcpu, d.write ? 1 : words, &regs, &ctx, false);
}

/* PSCI by SMC (HVC is seL4's syscall trap): x0..x3 in, x0 out, then past the SMC. */
static bool smc(unsigned vcpu, uint64_t esr)
{
    struct aarch64_gprs regs;
    seL4_UserContext ctx;

    if (!sel4_vcpu_regs_read(vcpu, sel4_vcpu_ctx_words_for_reg(3), &regs, &ctx))
        return false;
    if (psci_call(&psci, vcpu, regs.x) != PSCI_RESUME)
        return false; /* the VM is off (stop() ran), or this vCPU is */
    regs.pc += esr_insn_len(esr);
    return sel4_vcpu_regs_write(vcpu, sel4_vcpu_ctx_words_for_reg(0), &regs, &ctx, false);
}

seL4_Bool fault(microkit_child vcpu, microkit_msginfo msginfo, microkit_msginfo *reply)
{
    struct sel4_exit e;
    bool resume = true;

    *reply = microkit_msginfo_new(0, 0);
    if (stopped || vcpu != 0)
        return false;
    sel4_console_exit();
    sel4_fault_decode(msginfo, &e);
    nexits[e.kind]++;
    switch (e.kind) {
    case SEL4_EXIT_DATA_ABORT:
        resume = data_abort(vcpu, &e);
        break;
    case SEL4_EXIT_SMC:
        resume = smc(vcpu, e.esr);
        break;
    case SEL4_EXIT_WFX: /* no idle timer here: resume, the WFI completes or traps again */
        break;
    case SEL4_EXIT_VGIC_MAINTENANCE:
        sel4_irq_maintenance(vcpu, e.lr);
        break;
    case SEL4_EXIT_VPPI:
        sel4_irq_vppi(vcpu, e.irq);
        break;
    default:
        svmm_err("vCPU %u: %s (esr 0x%llx, at 0x%llx)", (unsigned)vcpu, sel4_exit_kind_name(e.kind),
                 (unsigned long long)e.esr, (unsigned long long)e.ipa);
        resume = stop("an exit this VMM does not handle");
    }
    if (sel4_channel_deferred_pending())
        sel4_channel_run_deferred();
    return resume;
}

void notified(microkit_channel ch)
{
    sel4_channel_dispatch(ch, !stopped, stopped);
    if (ch == UART_IRQ_CH) {
        sel4_console_input(&vm); /* to the virtio console, or the 16550 before its driver is up */
        sel4_irq_ack(ch);
    }
}

void init(void)
{
    const struct svmm_platform plat = { .irq_set = sel4_irq_set_spi };
    const struct svmm_vm_backends be = { .uart_tx = sel4_console_uart_tx };
    const uint8_t *images = (const uint8_t *)boot_images_vaddr;
    char err[160];

    sel4_console_start(board_uart_vaddr, "linux| ", "linux");
    if (svmm_vm_init(&vm, &cfg, &plat, &be, err, sizeof(err)) < 0 || sel4_attach_console(&vm, 0, err, sizeof(err)) < 0 ||
        sel4_guest_mem_add(&vm, cfg.ram_base, (void *)guest_ram_vaddr, cfg.ram_size, err, sizeof(err)) < 0 ||
        svmm_vm_load_linux(&vm, images, KERNEL_SIZE, images + INITRD_OFFSET, INITRD_SIZE, err, sizeof(err)) < 0) {
        svmm_err("VM setup failed: %s", err);
        return;
    }
    if (sel4_irq_init(&vm, NUM_LRS, 0, NULL) < 0) {
        svmm_err("VM setup failed: the vGIC cannot serve this configuration");
        return;
    }
    psci_init(&psci, cfg.ncpus, &vm.mem, &psci_ops);
    sel4_vcpu_set_mpidr(0);
    svmm_vm_power_on(&vm);
    svmm_info("starting vCPU 0 at 0x%llx", (unsigned long long)vm.boot.kernel_gpa);
    if (!sel4_vcpu_start(0, vm.boot.kernel_gpa, vm.boot.dtb_gpa))
        (void)stop("cannot start vCPU 0");
}
