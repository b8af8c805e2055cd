/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file features.h
 * Compile-time feature switches: every device model and dynamic feature that a build may leave out.
 *
 * Each switch is `SVMM_FEATURE_<NAME>`, 1 (built in, the default) or 0 (left out). Builds set them
 * from make's FEATURES variable, a list of `-name` (leave out) and `+name` (keep) words:
 *
 *     make svmm FEATURES="-net -vsock -up"            hosted svmm without virtio-net, vsock, svmm up
 *     make sel4-system SYSTEM=... FEATURES="-stats"    every VMM of the system without statistics
 *
 * On seL4 the composer also turns off, per VM, every dynamic feature that VM's description does not
 * use (its `<vm>_features.h`), so each composed VMM is minimal for its VM without being asked.
 *
 * Code is gated where a feature is attached or dispatched, never throughout: preferably the build
 * leaves a feature's objects out (Makefile, sel4.mk), and the one call that reaches them is under
 * `if (SVMM_FEATURE_X)` (a constant: the compiler drops the dead call, so nothing references the
 * objects). A feature that is left out and then asked for is refused with a message naming the
 * switch ("... built without virtio-net (FEATURES=-net)"), never ignored.
 *
 * The list (name: what it leaves out; where the switch acts) is SVMM_FEATURES below, and
 * docs/user-guide.md "Compile-time features" documents it for users.
 */
#ifndef SVMM_FEATURES_H
#define SVMM_FEATURES_H

/* ---- device models ---- */
#ifndef SVMM_FEATURE_CONSOLE
#define SVMM_FEATURE_CONSOLE 1 /**< virtio-console (hosted --console ports; seL4 `type: console`) */
#endif
#ifndef SVMM_FEATURE_BLK
#define SVMM_FEATURE_BLK 1 /**< virtio-blk (hosted --disk; seL4 `type: blk`) */
#endif
#ifndef SVMM_FEATURE_NET
#define SVMM_FEATURE_NET 1 /**< virtio-net with its tap and switch-port backends (--net; `type: net`) */
#endif
#ifndef SVMM_FEATURE_VSOCK
#define SVMM_FEATURE_VSOCK 1 /**< virtio-vsock with its Unix-socket bridge and VM links (--vsock) */
#endif
#ifndef SVMM_FEATURE_RNG
#define SVMM_FEATURE_RNG 1 /**< virtio-rng (--rng; `type: rng`) */
#endif

/* ---- hosted programs and links ---- */
#ifndef SVMM_FEATURE_UP
#define SVMM_FEATURE_UP 1 /**< `svmm up`: the supervisor of a whole system description */
#endif
#ifndef SVMM_FEATURE_SWITCH
#define SVMM_FEATURE_SWITCH 1 /**< `svmm switch`: the virtual switch process */
#endif
#ifndef SVMM_FEATURE_BLK_SERVER
#define SVMM_FEATURE_BLK_SERVER 1 /**< `svmm blk-server` and --disk server=: block server and its links */
#endif
#ifndef SVMM_FEATURE_CTL
#define SVMM_FEATURE_CTL 1 /**< the control socket: --control and `svmm ctl` */
#endif

/* ---- dynamic features ---- */
#ifndef SVMM_FEATURE_WATCHDOG
#define SVMM_FEATURE_WATCHDOG 1 /**< the SBSA watchdog's clock and deadline (--watchdog; `watchdog:`) */
#endif
#ifndef SVMM_FEATURE_RESTART
#define SVMM_FEATURE_RESTART 1 /**< seL4: a guest's PSCI SYSTEM_RESET restarts the VM in place */
#endif
#ifndef SVMM_FEATURE_ADMIN
#define SVMM_FEATURE_ADMIN 1 /**< seL4: the admin PD's protocol (stop, start, restart, boot, re-entry) */
#endif
#ifndef SVMM_FEATURE_SLOTS
#define SVMM_FEATURE_SLOTS 1 /**< seL4: dynamic slots (a VM booted later from one of several images) */
#endif
#ifndef SVMM_FEATURE_PASSTHROUGH
#define SVMM_FEATURE_PASSTHROUGH 1 /**< seL4: passthrough devices' interrupts */
#endif
#ifndef SVMM_FEATURE_DRIVER_VM
#define SVMM_FEATURE_DRIVER_VM 1 /**< seL4: a driver VM serving its disks to other VMs */
#endif
#ifndef SVMM_FEATURE_SMP
#define SVMM_FEATURE_SMP 1 /**< seL4: more than one vCPU (PSCI CPU_ON, vCPU parking) */
#endif
#ifndef SVMM_FEATURE_STATS
#define SVMM_FEATURE_STATS 1 /**< seL4: exit counts and device statistics logged when a VM stops */
#endif

/**
 * Every switch as X(NAME, name), `name` as FEATURES spells it (-name), in the order above: for code
 * that lists or checks them all (the composer's --features, svmm --version).
 */
#define SVMM_FEATURES(X)                                                                                            \
    X(CONSOLE, console) X(BLK, blk) X(NET, net) X(VSOCK, vsock) X(RNG, rng) X(UP, up) X(SWITCH, switch)             \
    X(BLK_SERVER, blk-server) X(CTL, ctl) X(WATCHDOG, watchdog) X(RESTART, restart) X(ADMIN, admin) X(SLOTS, slots) \
    X(PASSTHROUGH, passthrough) X(DRIVER_VM, driver-vm) X(SMP, smp) X(STATS, stats)

#endif
