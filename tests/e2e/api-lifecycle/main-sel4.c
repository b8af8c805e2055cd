/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The lifecycle test (lifecycle.h) as a seL4 PD (tests/e2e/sel4-api-examples.sh, part "lifecycle"):
 * init() tries the refusals, then runs the VM with the control device. svmm_run() returns once
 * vCPU 0 runs, so lifecycle_after_run() sees the VM running (svmm_boots() 1); the library's
 * notified() and fault() run it from then on, the guest's restart and stop included.
 */
#include <microkit.h>
#include <svmm/log.h>
#include <svmm/svmm.h>
#include "lifecycle.h"

#define INITRD_OFFSET 0x2000000u /* where vmm.system's boot loader puts the initrd */

extern uintptr_t boot_images_vaddr;

void init(void)
{
    const uint8_t *images = (const uint8_t *)boot_images_vaddr;
    struct svmm_vm_config cfg;
    struct svmm *vm;
    char err[160] = "";

    svmm_default_config(&cfg, LIFECYCLE_NCPUS, LIFECYCLE_RAM);
    vm = svmm_create(&cfg, err, sizeof(err));
    if (vm == NULL) {
        svmm_err("api-test: svmm_create: %s", err);
        return;
    }
    lifecycle_refusals_before_run(vm, &cfg);
    if (lifecycle_prepare(vm, images, KERNEL_SIZE, images + INITRD_OFFSET, INITRD_SIZE, err, sizeof(err)) < 0) {
        svmm_err("api-test: %s", err);
        return;
    }
    if (svmm_run(vm) == 0)
        lifecycle_after_run(vm);
}
