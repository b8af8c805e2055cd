/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The lifecycle test (lifecycle.h) as a KVM program (tests/e2e/hosted-api-examples.sh):
 * api-lifecycle KERNEL [INITRD]. svmm_run() blocks until the VM stops for good, so
 * lifecycle_after_run() sees it stopped (svmm_boots() 2 after the guest's restart) and svmm_run's
 * status (0 after svmm_stop()) is the program's. KVM only: svmm_restart() of a stopped VM is
 * refused, and a refused svmm_run() leaves the caller's signal mask as it was.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <svmm/hosted.h>
#include <svmm/log.h>
#include <svmm/svmm.h>
#include "lifecycle.h"

/* Whether the calling thread blocks SIGTERM (svmm_run blocks it while it starts the vCPUs). */
static int sigterm_blocked(void)
{
    sigset_t now;

    pthread_sigmask(SIG_BLOCK, NULL, &now);
    return sigismember(&now, SIGTERM);
}

int main(int argc, char **argv)
{
    struct svmm_vm_config cfg;
    const void *kernel, *initrd = NULL;
    size_t kernel_len, initrd_len = 0;
    struct svmm *vm;
    char err[256];
    int status;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s KERNEL [INITRD]\n", argv[0]);
        return 2;
    }
    svmm_default_config(&cfg, LIFECYCLE_NCPUS, LIFECYCLE_RAM);
    if ((kernel = svmm_read_file("kernel", argv[1], &kernel_len, err, sizeof(err))) == NULL ||
        (argc == 3 && (initrd = svmm_read_file("initrd", argv[2], &initrd_len, err, sizeof(err))) == NULL) ||
        (vm = svmm_create(&cfg, err, sizeof(err))) == NULL) {
        fprintf(stderr, "api-lifecycle: %s\n", err);
        return 1;
    }
    lifecycle_refusals_before_run(vm, &cfg);
    if (lifecycle_prepare(vm, kernel, kernel_len, initrd, initrd_len, err, sizeof(err)) < 0) {
        svmm_err("api-test: %s", err);
        return 1;
    }
    status = svmm_run(vm);
    svmm_info("api-test: svmm_run returned %d", status);
    lifecycle_after_run(vm);
    svmm_info("api-test: svmm_restart of a stopped VM: %s", svmm_restart(vm) < 0 ? "refused" : "ACCEPTED");
    svmm_info("api-test: SIGTERM blocked after a refused svmm_run: %s", sigterm_blocked() ? "yes" : "no");
    return status;
}
