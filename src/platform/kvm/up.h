/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `svmm up PLAN`: the hosted admin component. It starts a system's servers and VMs from the plan
 * svmm-compose wrote (up_plan.h), each as its own svmm process with its output lines prefixed
 * "<name>| ", supervises them (a VM that fails -- its svmm exits with an error status or is killed by
 * a signal -- is restarted or left stopped by its policy), and takes admin commands on a control
 * socket (mode 0600, this user's processes only; `svmm ctl --socket PATH ...`): list, status VM,
 * start VM, stop VM, restart VM, boot SLOT IMAGE, shutdown. docs/hosted.md, "svmm up".
 */
#ifndef SVMM_KVM_UP_H
#define SVMM_KVM_UP_H

/* `svmm up ...` (argv[0] is "up"): returns the exit status (0 when no VM failed for good). */
int up_main(int argc, char **argv);

#endif
