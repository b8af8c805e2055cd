/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VM runtime of an svmm Microkit protection domain (vmm_run.c): one VM, its exits, PSCI, the
 * lifecycle (svmm/lifecycle.h), stop and restart in place, and the PD's fault() and notified()
 * entry points. Two programs are built on it, each with its own policy (struct sel4_vmm_policy):
 * the composer's VMM (vmm.c: a generated configuration, the admin PD) and the high-level API's
 * library (api.c: a configuration built at run time by the application's init()).
 *
 * Order: sel4_vmm_create (the VM from a configuration), the caller's devices and RAM,
 * sel4_vmm_machine (interrupt controller, PSCI, idle vCPUs, lifecycle), then sel4_vmm_boot.
 */
#ifndef SVMM_SEL4_VMM_H
#define SVMM_SEL4_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <svmm/config.h>
#include <svmm/lifecycle.h>
#include <svmm/vm.h>

/* The board mappings every VMM has, patched in by the Microkit tool (setvar_vaddr); 0: not mapped. */
extern uintptr_t guest_ram_vaddr, boot_images_vaddr, board_uart_vaddr;

/* What the program built on the runtime decides; every hook may be NULL. */
struct sel4_vmm_policy {
    const char *name;          /* the VM's name in log lines */
    bool passive;              /* exits run on the faulting vCPU's scheduling context (sel4_vm.h) */
    unsigned uart_irq_channel; /* Microkit channel of the board UART's receive interrupt */
    unsigned num_lrs;          /* GIC list registers of the board's CPU interface */
    uint32_t max_spi;          /* the vGIC serves SPIs up to this one too (passthrough interrupts) */
    /* Idle vCPUs sleep when the SDF maps the timer page (sel4_idle.h); the timer PD's channel. */
    bool idle_timer;
    unsigned idle_timer_channel;
    /* Place the guest's images in RAM (svmm_vm_load_linux), at each boot: 0, or -1 with a reason. */
    int (*load)(struct svmm_vm *vm, char *err, size_t errlen);
    /* The guest EOI'd `intid`, not its timer (a passthrough interrupt is acknowledged). */
    void (*eoi)(uint32_t intid);
    /* A restart or a start of a stopped VM, before the devices are reset (passthrough interrupts). */
    void (*reset)(void);
    /* The lifecycle state or the boot changed (the admin's page is written). */
    void (*changed)(void);
    /* A notification the policy takes itself (the admin's channel): true if it did. */
    bool (*notified)(unsigned ch);
};

/*
 * Start the board console under `p`'s name and prefix and build the VM of `cfg` (copied; the policy
 * is kept): svmm_vm_init with the board's interrupt and UART backends and the watchdog's clock.
 * 0, or -1 with a reason in `err`.
 */
int sel4_vmm_create(const struct sel4_vmm_policy *p, const struct svmm_vm_config *cfg, char *err, size_t errlen);

/* The VM (valid after sel4_vmm_create). */
struct svmm_vm *sel4_vmm_vm(void);

/*
 * After the devices and RAM: the vGIC, PSCI, idle vCPUs, the watchdog's timer and the lifecycle
 * (CREATED). 0, or -1 with a reason in `err`.
 */
int sel4_vmm_machine(char *err, size_t errlen);

/*
 * First boot, the images placed already (the policy's load, called by the program): every vCPU's
 * MPIDR set, CREATED -> RUNNING, vCPU 0 started at the kernel. False (logged, the VM failed) if it
 * cannot start.
 */
bool sel4_vmm_boot(void);

/* The lifecycle (state, boots, restarts, cause). */
const struct svmm_lifecycle *sel4_vmm_lifecycle(void);

/* Board counter (ns) when the current boot started. */
uint64_t sel4_vmm_boot_ns(void);

/* Apply `op` to the lifecycle: 0, or -1 with the lifecycle's reason in `why` (nothing changed). */
int sel4_vmm_apply(enum svmm_vm_op op, char *why, size_t len);

/* STOPPING -> STOPPED: halt the vCPUs, log `why` and the exit counts, run the stop hooks. */
void sel4_vmm_finish_stop(const char *why);

/* Stop the VM for good through lifecycle op `op` (GUEST_OFF, FAIL, STOP); refused ops are logged. */
void sel4_vmm_stop(enum svmm_vm_op op, const char *why);

/*
 * Restart the VM now, the lifecycle RESTARTING already (the admin's command), not from within an
 * exit; `who` asked ("VM <name>: <who> asked for a restart: restarting"). Whether it runs again.
 */
bool sel4_vmm_restart_now(const char *who);

/*
 * A restart `who` asks for (svmm_restart): RUNNING -> RESTARTING; inside an exit (a device
 * callback) it takes effect once that exit is handled, outside one at once. 0, or -1 (logged) if
 * refused or failed.
 */
int sel4_vmm_restart_request(const char *who);

/*
 * Boot a stopped VM again (the lifecycle has applied START; `who` did): as a restart, without a
 * boot to end. 0, or -1 with a reason in `why` (the VM failed).
 */
int sel4_vmm_start_stopped(const char *who, char *why, size_t len);

/*
 * This program was started again by its parent (pd_reentry.h): halt the last run's vCPUs, put their
 * state back to power-on and scrub guest RAM.
 */
void sel4_vmm_clean_up_last_run(void);

#endif
