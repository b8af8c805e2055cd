/* SPDX-License-Identifier: BSD-2-Clause */
/* Interrupt injection and acknowledgement (svmm/sel4/irq.h): the vgic model bound to seL4's vCPU interface. */
#include <stdio.h>
#include <svmm/log.h>
#include <svmm/sel4/irq.h>
#include <svmm/sel4/vcpu.h>

static struct vgic vgic;
static struct sel4_irq_hooks hooks;

/*
 * List registers the kernel refused to fill (seL4_DeleteFirst): it holds an interrupt active there
 * that the model no longer knows of, left by the last boot across a restart (a vCPU stopped inside
 * an interrupt handler never EOIs it: Linux's CPU-stop IPI does that to every other CPU). Only the
 * guest's EOI of it frees the LR, which the VGICMaintenance fault for that LR reports; until then
 * vgic_inject refuses the LR itself, without a kernel call (and the debug kernel's complaint about
 * each). Bit n: LR n (VGIC_MAX_LR = 16).
 */
static uint16_t held_lrs[SVMM_MAX_VCPUS];
_Static_assert(VGIC_MAX_LR <= 16, "held_lrs has a bit per list register");

/* seL4 takes list-register priorities as 5 bits (the GICv2 LR field): the top bits of the guest's. */
static bool vgic_inject(void *ctx, unsigned vcpu, unsigned lr, uint32_t intid, uint8_t priority, bool group1)
{
    seL4_Error err;

    (void)ctx;
    if ((held_lrs[vcpu] >> lr) & 1u)
        return false; /* the vgic tries the next LR */
    err = seL4_ARM_VCPU_InjectIRQ(BASE_VCPU_CAP + vcpu, (seL4_Uint16)intid, priority >> 3, group1, (seL4_Uint8)lr);
    if (err == seL4_DeleteFirst)
        held_lrs[vcpu] |= (uint16_t)(1u << lr);
    if (err != seL4_NoError)
        return false;
    if (hooks.injected != NULL)
        hooks.injected(hooks.ctx, vcpu);
    return true;
}

/* The kernel masks the virtual timer until we acknowledge its VPPI: do so once the guest EOIs it. */
static void vgic_eoi(void *ctx, unsigned vcpu, uint32_t intid)
{
    (void)ctx;
    if (intid == SEL4_VTIMER_PPI) {
        vgic_set_level(&vgic, vcpu, SEL4_VTIMER_PPI, false);
        microkit_vcpu_arm_ack_vppi(vcpu, SEL4_VTIMER_PPI);
    } else if (hooks.eoi != NULL) {
        hooks.eoi(hooks.ctx, intid);
    }
}

int sel4_irq_init(struct svmm_vm *vm, unsigned num_lrs, uint32_t max_spi, const struct sel4_irq_hooks *h)
{
    const struct svmm_gic_config *g = &vm->cfg.layout.gic;
    const struct vgic_ops ops = { .ctx = NULL, .inject = vgic_inject, .eoi = vgic_eoi };

    hooks = h != NULL ? *h : (struct sel4_irq_hooks){ 0 };
    if (svmm_vm_config_max_spi(&vm->cfg) > max_spi)
        max_spi = svmm_vm_config_max_spi(&vm->cfg);
    if (vgic_init(&vgic, g->version, vm->cfg.ncpus, num_lrs, vgic_nr_irqs_for(max_spi), &ops) < 0)
        return -1;
    svmm_mmio_register(&vm->bus, g->dist_base, SVMM_GICD_SIZE, &vgic_dist_ops, &vgic, "gicd");
    if (g->version == SVMM_GIC_V3)
        svmm_mmio_register(&vm->bus, g->redist_base, SVMM_GICR_SIZE_PER_CPU * vm->cfg.ncpus, &vgic_redist_ops,
                           &vgic, "gicr");
    return 0;
}

struct vgic *sel4_irq_vgic(void)
{
    return &vgic;
}

void sel4_irq_set_spi(void *ctx, uint32_t spi, bool level)
{
    (void)ctx;
    vgic_set_level(&vgic, 0, 32 + spi, level);
}

void sel4_vgic_set_level(uint32_t intid, bool level)
{
    vgic_set_level(&vgic, 0, intid, level);
}

void sel4_irq_maintenance(unsigned vcpu, int lr)
{
    if (lr >= 0 && lr < (int)VGIC_MAX_LR)
        held_lrs[vcpu] &= (uint16_t)~(1u << lr); /* the kernel cleared the LR the guest EOI'd */
    vgic_maintenance(&vgic, vcpu, lr >= 0 && lr < (int)VGIC_MAX_LR ? lr : -1);
}

void sel4_irq_vppi(unsigned vcpu, uint32_t irq)
{
    vgic_set_level(&vgic, vcpu, irq, true);
}

void sel4_irq_vtimer_ack(unsigned vcpu)
{
    microkit_vcpu_arm_ack_vppi(vcpu, SEL4_VTIMER_PPI);
}

void sel4_irq_ack(microkit_channel ch)
{
    microkit_irq_ack(ch);
}

bool sel4_irq_vcpu_has_work(unsigned vcpu)
{
    return vgic_vcpu_has_work(&vgic, vcpu);
}

void sel4_irq_reset_vcpu(unsigned vcpu)
{
    vgic_reset_vcpu(&vgic, vcpu);
    sel4_vcpu_write_reg(vcpu, seL4_VCPUReg_CNTV_CTL, 0);
    microkit_vcpu_arm_ack_vppi(vcpu, SEL4_VTIMER_PPI);
}

/*
 * The list registers of `vcpu` the vgic had filled and not yet seen EOI'd: the kernel still holds
 * them, pending or active, and seL4 has no call to clear an LR (only the guest's EOI does), so
 * they outlive vgic_reset: an active one is refused when the vgic next picks it (held_lrs), a
 * pending one is delivered to the next boot unless an injection overwrites it first.
 */
static void log_stale_lrs(unsigned vcpu)
{
    char list[VGIC_MAX_LR * 12] = "";
    size_t off = 0;

    for (unsigned lr = 0; lr < vgic.num_lrs && off < sizeof(list); lr++) {
        uint32_t intid = vgic.cpu[vcpu].lr[lr]; /* vgic.h: UINT32_MAX = free */
        int n = intid == UINT32_MAX ? 0 : snprintf(list + off, sizeof(list) - off, " %u:%u", lr, intid);
        off += n > 0 ? (size_t)n : 0;
    }
    if (off > 0)
        svmm_info("vCPU %u: list registers the last boot left filled (LR:INTID):%s", vcpu, list);
}

void sel4_irq_reset(void)
{
    for (unsigned i = 0; i < vgic.ncpus; i++)
        log_stale_lrs(i);
    vgic_reset(&vgic);
}
