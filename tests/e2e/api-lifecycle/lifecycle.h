/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The high-level API's lifecycle test, shared by its seL4 PD (main-sel4.c) and its KVM program
 * (main-kvm.c): what svmm.h refuses, and a control device through which the guest makes the
 * library restart and stop its VM from inside a device callback. Each answer is logged as
 * "api-test: ..." for tests/e2e/sel4-api-examples.sh and tests/e2e/hosted-api-examples.sh.
 */
#ifndef API_LIFECYCLE_H
#define API_LIFECYCLE_H

#include <stddef.h>
#include <svmm/svmm.h>

/* The control device's page in guest physical memory (the guest's script uses these offsets). */
#define LIFECYCLE_CTL_BASE 0x0c000000ull
#define LIFECYCLE_CTL_SIZE 0x1000ull

/* The VM's RAM in both programs: 2 vCPUs, 256 MiB (main-sel4.c's vmm.system maps that much). */
#define LIFECYCLE_NCPUS 2u
#define LIFECYCLE_RAM (256ull << 20)

/*
 * Before any image is loaded into `vm` (created from `cfg`): try what svmm.h refuses (a second VM,
 * a device at a page's middle, on the UART, in RAM; svmm_run without images; svmm_restart before
 * svmm_run) and log each answer as refused (with the reason) or ACCEPTED.
 */
void lifecycle_refusals_before_run(struct svmm *vm, const struct svmm_vm_config *cfg);

/* Put the control device on `vm` and load the images: 0, or -1 with the reason in `err`. */
int lifecycle_prepare(struct svmm *vm, const void *kernel, size_t kernel_len, const void *initrd, size_t initrd_len,
                      char *err, size_t errlen);

/*
 * Once svmm_run() returned 0 (seL4: the VM runs; KVM: it has stopped): log svmm_boots() and try
 * what is refused then (a device, a second svmm_run).
 */
void lifecycle_after_run(struct svmm *vm);

#endif
