/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Passthrough interrupts (issue 13 part 3). seL4 masks a physical interrupt when it delivers it to
 * its one owner (this VMM: the composer gives each SPI to one VM) until the owner acknowledges it.
 * The VMM asserts it in the guest's vGIC and acknowledges it only when the guest EOIs it: a level
 * line the guest's driver has not yet quietened then fires again at once, and an edge latched in
 * the meantime stays pending in the GIC; either way the guest sees each interrupt once per EOI.
 * The device's registers are mapped 1:1 into the guest (the SDF), so the VMM never sees them.
 */
#include <microkit.h>
#include <stdio.h>
#include <svmm/log.h>
#include "sel4_devices.h"
#include "sel4_vm.h"

/* Delivered by seL4 and not yet acknowledged to it (masked there), per svmm_sel4_vm.pt_irqs entry. */
static bool delivered[SEL4_MAX_PT_IRQS];

static unsigned count(void)
{
    return svmm_sel4_vm.npt_irqs < SEL4_MAX_PT_IRQS ? svmm_sel4_vm.npt_irqs : SEL4_MAX_PT_IRQS;
}

static void fired(void *ctx)
{
    unsigned k = (unsigned)(uintptr_t)ctx; /* < count(): the hook's own index */

    delivered[k] = true;
    sel4_vgic_set_level(svmm_sel4_vm.pt_irqs[k].intid, true);
}

static void ack(unsigned k)
{
    delivered[k] = false;
    microkit_irq_ack(svmm_sel4_vm.pt_irqs[k].channel);
}

int sel4_passthrough_start(char *err, size_t errlen)
{
    for (unsigned k = 0; k < count(); k++) {
        if (sel4_on_notify(svmm_sel4_vm.pt_irqs[k].channel, fired, (void *)(uintptr_t)k) < 0) {
            snprintf(err, errlen, "passthrough IRQ %u: too many channel hooks", svmm_sel4_vm.pt_irqs[k].intid);
            return -1;
        }
        ack(k);
        svmm_info("passthrough IRQ %u on channel %u", svmm_sel4_vm.pt_irqs[k].intid, svmm_sel4_vm.pt_irqs[k].channel);
    }
    return 0;
}

bool sel4_passthrough_eoi(uint32_t intid)
{
    for (unsigned k = 0; k < count(); k++) {
        if (svmm_sel4_vm.pt_irqs[k].intid != intid)
            continue;
        sel4_vgic_set_level(intid, false);
        if (delivered[k])
            ack(k);
        return true;
    }
    return false;
}

/* All of them: one delivered while the VM was not running found no hook to record it. */
void sel4_passthrough_reset(void)
{
    for (unsigned k = 0; k < count(); k++)
        ack(k);
}

uint32_t sel4_passthrough_max_spi(void)
{
    uint32_t max = 0;

    for (unsigned k = 0; k < count(); k++)
        if (svmm_sel4_vm.pt_irqs[k].intid >= 32 && svmm_sel4_vm.pt_irqs[k].intid - 32u > max)
            max = svmm_sel4_vm.pt_irqs[k].intid - 32u;
    return max;
}
