/* SPDX-License-Identifier: BSD-2-Clause */
#include <svmm/lifecycle.h>
#include "test.h"

#define NSTATES 5
#define NOPS 7
#define X -1 /* refused */

/* Expected state after each op from each state (reboot on), the diagram in lifecycle.h written out. */
static const int expect[NSTATES][NOPS] = {
    /*              start            stop              restart             guest_off         guest_reset         fail              halted */
    [SVMM_VM_CREATED] =    { SVMM_VM_RUNNING, X,                X,                  X,                X,                  X,                X },
    [SVMM_VM_RUNNING] =    { X,               SVMM_VM_STOPPING, SVMM_VM_RESTARTING, SVMM_VM_STOPPING, SVMM_VM_RESTARTING, SVMM_VM_STOPPING, X },
    [SVMM_VM_STOPPING] =   { X,               X,                X,                  X,                X,                  X,                SVMM_VM_STOPPED },
    [SVMM_VM_RESTARTING] = { X,               SVMM_VM_STOPPING, X,                  X,                X,                  X,                SVMM_VM_RUNNING },
    [SVMM_VM_STOPPED] =    { SVMM_VM_RUNNING, X,                SVMM_VM_RESTARTING, X,                X,                  X,                X },
};

TEST(lifecycle_every_transition_is_the_diagrams)
{
    for (int s = 0; s < NSTATES; s++) {
        for (int op = 0; op < NOPS; op++) {
            struct svmm_lifecycle lc;
            char err[128] = "";
            int r;

            svmm_lifecycle_init(&lc, false);
            lc.state = (enum svmm_vm_state)s;
            r = svmm_lifecycle_apply(&lc, (enum svmm_vm_op)op, err, sizeof(err));
            if (expect[s][op] == X) {
                CHECK_EQ(r, -1);
                CHECK_EQ(lc.state, s); /* a refusal changes nothing */
                CHECK_STR_CONTAINS(err, svmm_vm_state_name((enum svmm_vm_state)s));
                CHECK_STR_CONTAINS(err, svmm_vm_op_name((enum svmm_vm_op)op));
            } else {
                CHECK_EQ(r, 0);
                CHECK_EQ(lc.state, expect[s][op]);
            }
        }
    }
}

TEST(lifecycle_guest_reset_with_no_reboot_stops)
{
    struct svmm_lifecycle lc;
    char err[128];

    svmm_lifecycle_init(&lc, true);
    CHECK_EQ(svmm_lifecycle_apply(&lc, SVMM_OP_START, err, sizeof(err)), 0);
    CHECK_EQ(svmm_lifecycle_apply(&lc, SVMM_OP_GUEST_RESET, err, sizeof(err)), 0);
    CHECK_EQ(lc.state, SVMM_VM_STOPPING);
    CHECK_EQ(lc.cause, SVMM_STOP_GUEST_RESET);
    CHECK_EQ(svmm_lifecycle_apply(&lc, SVMM_OP_HALTED, err, sizeof(err)), 0);
    CHECK_EQ(lc.state, SVMM_VM_STOPPED);
    CHECK_EQ(lc.restarts, 0);
}

TEST(lifecycle_counts_boots_and_restarts_and_keeps_the_cause)
{
    struct svmm_lifecycle lc;
    char err[128];

    svmm_lifecycle_init(&lc, false);
    CHECK_EQ(lc.state, SVMM_VM_CREATED);
    CHECK_EQ(svmm_lifecycle_apply(&lc, SVMM_OP_START, err, sizeof(err)), 0);
    for (int i = 0; i < 20; i++) { /* a guest that resets itself again and again */
        CHECK_EQ(svmm_lifecycle_apply(&lc, SVMM_OP_GUEST_RESET, err, sizeof(err)), 0);
        CHECK(svmm_lifecycle_halting(&lc));
        /* a second vCPU's SYSTEM_OFF racing the reset is refused, and changes nothing */
        CHECK_EQ(svmm_lifecycle_apply(&lc, SVMM_OP_GUEST_OFF, err, sizeof(err)), -1);
        CHECK_EQ(svmm_lifecycle_apply(&lc, SVMM_OP_HALTED, err, sizeof(err)), 0);
        CHECK(!svmm_lifecycle_halting(&lc));
    }
    CHECK_EQ(lc.boots, 21);
    CHECK_EQ(lc.restarts, 20);
    CHECK_EQ(lc.cause, SVMM_STOP_GUEST_RESET);
    CHECK_EQ(svmm_lifecycle_apply(&lc, SVMM_OP_FAIL, err, sizeof(err)), 0);
    CHECK_EQ(lc.cause, SVMM_STOP_FAULT);
    CHECK_EQ(svmm_lifecycle_apply(&lc, SVMM_OP_HALTED, err, sizeof(err)), 0);
    /* an admin restart of the stopped VM; then an admin stop wins over it before it boots */
    CHECK_EQ(svmm_lifecycle_apply(&lc, SVMM_OP_RESTART, err, sizeof(err)), 0);
    CHECK_EQ(lc.cause, SVMM_STOP_ADMIN);
    CHECK_EQ(svmm_lifecycle_apply(&lc, SVMM_OP_STOP, err, sizeof(err)), 0);
    CHECK_EQ(svmm_lifecycle_apply(&lc, SVMM_OP_HALTED, err, sizeof(err)), 0);
    CHECK_EQ(lc.state, SVMM_VM_STOPPED);
    CHECK_EQ(lc.restarts, 20);
    CHECK_EQ(svmm_lifecycle_apply(&lc, SVMM_OP_START, err, sizeof(err)), 0);
    CHECK_EQ(lc.boots, 22);
}

TEST(lifecycle_names_cover_every_value)
{
    for (int s = 0; s < NSTATES; s++)
        CHECK(svmm_vm_state_name((enum svmm_vm_state)s)[0] != '?');
    for (int op = 0; op < NOPS; op++)
        CHECK(svmm_vm_op_name((enum svmm_vm_op)op)[0] != '?');
    CHECK(svmm_vm_state_name((enum svmm_vm_state)NSTATES)[0] == '?');
    CHECK(svmm_vm_stop_cause_name(SVMM_STOP_FAULT)[0] != '?');
}
