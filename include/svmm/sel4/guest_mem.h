/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The low-level seL4 API, guest memory (src/platform/sel4/guest_mem.c). On Microkit guest RAM is a
 * memory region the system description maps twice: into the VM at its guest-physical base, and
 * into the VMM (the address patched into a setvar_vaddr variable). Registering that VMM mapping
 * with its guest-physical base makes it the VM's RAM for the core (svmm_gpa_to_host: device
 * emulation, image loading), and lets a restart scrub it.
 */
#ifndef SVMM_SEL4_GUEST_MEM_H
#define SVMM_SEL4_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <svmm/vm.h>

/* Regions at most: the main RAM range and each further one (svmm_vm_config.extra_ram). */
#define SEL4_MAX_GUEST_REGIONS (1 + SVMM_MAX_EXTRA_RAM)

/*
 * Register the region mapped in this PD at `vaddr`, `size` bytes, which the guest sees at `gpa`:
 * it must be a RAM range of vm's configuration (ram_base/ram_size, or one of extra_ram), whole.
 * Returns 0, or -1 with a reason in `err` (not a range of the configuration, not mapped, twice).
 */
int sel4_guest_mem_add(struct svmm_vm *vm, uint64_t gpa, void *vaddr, uint64_t size, char *err, size_t errlen);

/* Zero every registered region (a restart: the next boot must find nothing of the last one). */
void sel4_guest_mem_scrub(void);

#endif
