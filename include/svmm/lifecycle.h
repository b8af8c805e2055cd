/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A VM's lifecycle, the same on every platform: which operation is legal in which state, and what
 * the platform does next. The platform owns the mechanism (halting vCPUs, resetting devices,
 * reloading the images); this module owns the rules, so an admin command, a guest's PSCI call and
 * a fault all go through one gate and an illegal transition is refused with a reason.
 *
 *   CREATED --start--> RUNNING --stop | guest_off | fail | guest_reset (no reboot)--> STOPPING
 *   RUNNING --restart | guest_reset--> RESTARTING          STOPPED --start--> RUNNING
 *   STOPPING --halted--> STOPPED                           STOPPED --restart--> RESTARTING
 *   RESTARTING --halted--> RUNNING (after a reset)         RESTARTING --stop--> STOPPING
 *
 * STOPPING and RESTARTING last from the request until the platform has halted every vCPU and
 * quiesced the devices (in-flight I/O completed or failed), which it reports with `halted`.
 */
#ifndef SVMM_LIFECYCLE_H
#define SVMM_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>

/* The states of a VM. */
enum svmm_vm_state {
    SVMM_VM_CREATED,    /* built, never started */
    SVMM_VM_RUNNING,    /* vCPUs may run */
    SVMM_VM_STOPPING,   /* asked to stop: vCPUs being halted, devices quiesced */
    SVMM_VM_RESTARTING, /* as STOPPING, then reset and booted again */
    SVMM_VM_STOPPED,    /* halted, devices quiesced: can be started again */
};

/* What may be asked of a VM, and by whom. */
enum svmm_vm_op {
    SVMM_OP_START,       /* admin: boot a created or stopped VM */
    SVMM_OP_STOP,        /* admin: stop it */
    SVMM_OP_RESTART,     /* admin: stop, reset, boot again */
    SVMM_OP_GUEST_OFF,   /* the guest: PSCI SYSTEM_OFF */
    SVMM_OP_GUEST_RESET, /* the guest: PSCI SYSTEM_RESET (a restart unless reboot is off) */
    SVMM_OP_FAIL,        /* the VMM: an unrecoverable guest fault or device error */
    SVMM_OP_HALTED,      /* the platform: every vCPU halted, devices quiesced */
};

/* Why the VM last left RUNNING (for status and exit codes). */
enum svmm_vm_stop_cause {
    SVMM_STOP_NONE,
    SVMM_STOP_ADMIN,
    SVMM_STOP_GUEST_OFF,
    SVMM_STOP_GUEST_RESET,
    SVMM_STOP_FAULT,
};

/* One VM's lifecycle: its state and counters (svmm_lifecycle_init, then svmm_lifecycle_apply). */
struct svmm_lifecycle {
    enum svmm_vm_state state;     /* where the VM is now */
    enum svmm_vm_stop_cause cause; /* why it last left RUNNING */
    bool no_reboot;    /* a guest's reset stops the VM instead of restarting it */
    unsigned boots;    /* times the VM was started (first boot included) */
    unsigned restarts; /* times it was reset and booted again */
};

/* A new VM in CREATED; `no_reboot`: see the struct. */
void svmm_lifecycle_init(struct svmm_lifecycle *lc, bool no_reboot);

/*
 * Apply `op`. Returns 0 with the new state in lc->state, or -1 with a one-line reason in `err`
 * (state unchanged): e.g. starting a running VM, stopping a stopped one, or a second vCPU's
 * SYSTEM_OFF racing the first (the caller ignores that one).
 */
int svmm_lifecycle_apply(struct svmm_lifecycle *lc, enum svmm_vm_op op, char *err, size_t errlen);

/* True when the VM's vCPUs are to be halted (STOPPING or RESTARTING). */
bool svmm_lifecycle_halting(const struct svmm_lifecycle *lc);

/* Names for logs and status lines. */
const char *svmm_vm_state_name(enum svmm_vm_state s); /* the state's name, for logs and status lines */
const char *svmm_vm_op_name(enum svmm_vm_op op); /* the operation's name, for logs */
const char *svmm_vm_stop_cause_name(enum svmm_vm_stop_cause c); /* the stop cause's name, for logs */

#endif
