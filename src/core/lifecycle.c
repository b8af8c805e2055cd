/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <svmm/lifecycle.h>

void svmm_lifecycle_init(struct svmm_lifecycle *lc, bool no_reboot)
{
    *lc = (struct svmm_lifecycle){ .state = SVMM_VM_CREATED, .cause = SVMM_STOP_NONE, .no_reboot = no_reboot };
}

const char *svmm_vm_state_name(enum svmm_vm_state s)
{
    static const char *const names[] = { "created", "running", "stopping", "restarting", "stopped" };

    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *svmm_vm_op_name(enum svmm_vm_op op)
{
    static const char *const names[] = { "start", "stop", "restart", "guest power-off", "guest reset", "fault",
                                         "halted" };

    return (unsigned)op < sizeof(names) / sizeof(names[0]) ? names[op] : "?";
}

const char *svmm_vm_stop_cause_name(enum svmm_vm_stop_cause c)
{
    static const char *const names[] = { "none", "admin", "guest power-off", "guest reset", "fault" };

    return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "?";
}

bool svmm_lifecycle_halting(const struct svmm_lifecycle *lc)
{
    return lc->state == SVMM_VM_STOPPING || lc->state == SVMM_VM_RESTARTING;
}

/* RUNNING is left for STOPPING or RESTARTING, recording why. */
static void leave_running(struct svmm_lifecycle *lc, enum svmm_vm_state to, enum svmm_vm_stop_cause cause)
{
    lc->state = to;
    lc->cause = cause;
}

/* The new state for `op` from RUNNING, or -1 when `op` is not legal there. */
static int from_running(struct svmm_lifecycle *lc, enum svmm_vm_op op)
{
    switch (op) {
    case SVMM_OP_STOP:
        leave_running(lc, SVMM_VM_STOPPING, SVMM_STOP_ADMIN);
        return 0;
    case SVMM_OP_GUEST_OFF:
        leave_running(lc, SVMM_VM_STOPPING, SVMM_STOP_GUEST_OFF);
        return 0;
    case SVMM_OP_FAIL:
        leave_running(lc, SVMM_VM_STOPPING, SVMM_STOP_FAULT);
        return 0;
    case SVMM_OP_GUEST_RESET:
        leave_running(lc, lc->no_reboot ? SVMM_VM_STOPPING : SVMM_VM_RESTARTING, SVMM_STOP_GUEST_RESET);
        return 0;
    case SVMM_OP_RESTART:
        leave_running(lc, SVMM_VM_RESTARTING, SVMM_STOP_ADMIN);
        return 0;
    default:
        return -1;
    }
}

int svmm_lifecycle_apply(struct svmm_lifecycle *lc, enum svmm_vm_op op, char *err, size_t errlen)
{
    enum svmm_vm_state s = lc->state;
    int r = -1;

    switch (s) {
    case SVMM_VM_CREATED:
    case SVMM_VM_STOPPED:
        if (op == SVMM_OP_START) {
            lc->state = SVMM_VM_RUNNING;
            lc->boots++;
            r = 0;
        } else if (op == SVMM_OP_RESTART && s == SVMM_VM_STOPPED) {
            lc->state = SVMM_VM_RESTARTING; /* reset from a stopped VM: the platform reports halted at once */
            lc->cause = SVMM_STOP_ADMIN;
            r = 0;
        }
        break;
    case SVMM_VM_RUNNING:
        r = from_running(lc, op);
        break;
    case SVMM_VM_STOPPING:
        if (op == SVMM_OP_HALTED) {
            lc->state = SVMM_VM_STOPPED;
            r = 0;
        }
        break;
    case SVMM_VM_RESTARTING:
        if (op == SVMM_OP_HALTED) {
            lc->state = SVMM_VM_RUNNING;
            lc->boots++;
            lc->restarts++;
            r = 0;
        } else if (op == SVMM_OP_STOP) {
            lc->state = SVMM_VM_STOPPING; /* an admin's stop wins over a restart still under way */
            lc->cause = SVMM_STOP_ADMIN;
            r = 0;
        }
        break;
    }
    if (r < 0)
        snprintf(err, errlen, "cannot %s a VM that is %s", svmm_vm_op_name(op), svmm_vm_state_name(s));
    return r;
}
