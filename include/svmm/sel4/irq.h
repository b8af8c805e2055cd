/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The low-level seL4 API, interrupts (src/platform/sel4/irq.c). seL4 virtualises only the GIC's CPU
 * interface: the VMM models the distributor (and GICv3 redistributors) with the portable vgic
 * (svmm/vgic.h), which this binds to the kernel: its list registers are filled with
 * seL4_ARM_VCPU_InjectIRQ, the guest's EOIs come back as VGIC maintenance exits, the virtual timer
 * as VPPI exits. Physical interrupts a VMM owns are Microkit IRQ channels, acknowledged here too.
 * One vGIC per protection domain (one VM per VMM).
 */
#ifndef SVMM_SEL4_IRQ_H
#define SVMM_SEL4_IRQ_H

#include <microkit.h>
#include <stdbool.h>
#include <stdint.h>
#include <svmm/vgic.h>
#include <svmm/vm.h>

/* The virtual timer's PPI (INTID 27), which the kernel reports as a VPPI exit. */
#define SEL4_VTIMER_PPI 27u

/* What the VMM's policy adds to interrupt delivery; every hook may be NULL. */
struct sel4_irq_hooks {
    /* An interrupt went into `vcpu`'s list registers (e.g. wake a vCPU that sleeps in WFI). */
    void (*injected)(void *ctx, unsigned vcpu);
    /* The guest EOI'd `intid`, which is not the virtual timer (e.g. acknowledge a passthrough IRQ). */
    void (*eoi)(void *ctx, uint32_t intid);
    void *ctx; /* passed to both */
};

/*
 * Set up the vGIC for `vm` (its configuration's GIC version, vCPUs and layout): `num_lrs` list
 * registers per vCPU (the board's CPU interface), INTIDs up to SPI `max_spi` (at least the
 * configuration's own, svmm_vm_config_max_spi), and put the distributor (and redistributors) on
 * the VM's MMIO bus. `hooks` is copied (NULL: none). Returns 0, or -1 if the vgic cannot serve it.
 */
int sel4_irq_init(struct svmm_vm *vm, unsigned num_lrs, uint32_t max_spi, const struct sel4_irq_hooks *hooks);

/* The vGIC model (for what emulates its system registers: aarch64_emulate_sysreg). */
struct vgic *sel4_irq_vgic(void);

/* svmm_platform.irq_set for the VM's devices: device interrupt line `spi` (INTID 32 + spi) to `level`. */
void sel4_irq_set_spi(void *ctx, uint32_t spi, bool level);

/* Drive the level of interrupt `intid` (an SPI) in the vGIC. */
void sel4_vgic_set_level(uint32_t intid, bool level);

/* A VGIC maintenance exit of `vcpu` (sel4_exit.lr): the guest EOI'd list register `lr` (-1: unknown). */
void sel4_irq_maintenance(unsigned vcpu, int lr);

/* A VPPI exit of `vcpu`: raise the PPI `irq` (the virtual timer's) for it; lowered and acknowledged at its EOI. */
void sel4_irq_vppi(unsigned vcpu, uint32_t irq);

/* Lift the kernel's mask of `vcpu`'s virtual-timer VPPI (it masks it at each VPPI event until acknowledged). */
void sel4_irq_vtimer_ack(unsigned vcpu);

/* Acknowledge the physical interrupt of Microkit IRQ channel `ch`: seL4 delivers it again only after this. */
void sel4_irq_ack(microkit_channel ch);

/* Whether `vcpu` has an interrupt to take or being taken (vgic_vcpu_has_work): a WFI of it should not sleep. */
bool sel4_irq_vcpu_has_work(unsigned vcpu);

/*
 * `vcpu` starts afresh (PSCI CPU_ON): its list registers free in the model, its SGIs and PPIs
 * reset, its virtual timer off and unmasked.
 */
void sel4_irq_reset_vcpu(unsigned vcpu);

/*
 * The whole vGIC to power-on state for a VM restart (vgic_reset), every vCPU halted. Logs the list
 * registers the last boot left filled: seL4 cannot clear them, so they outlive this (an active one
 * is not used again until the guest EOIs it; docs/architecture.md, "Restart on seL4").
 */
void sel4_irq_reset(void);

#endif
