/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The low-level seL4 API, channels (src/platform/sel4/channel.c). A Microkit PD learns of its
 * peers' signals through notified(ch); a device that talks to another PD (a switch port, a block
 * server link, a vsock peer, a passthrough IRQ) hooks a function on its channel, and work a device
 * asks for in the middle of a guest access is deferred until that exit or notification is done.
 * The VMM's notified() calls sel4_channel_dispatch() and its fault() sel4_channel_run_deferred().
 */
#ifndef SVMM_SEL4_CHANNEL_H
#define SVMM_SEL4_CHANNEL_H

#include <stdbool.h>

/*
 * Channel hooks and deferred functions at most (each table). Bound: up to 4 switch ports, 4
 * block-server disks, 4 vsock peers, 16 served disks and 8 passthrough interrupts per VMM (the
 * composer checks those limits), each with one channel hook; each link one deferred function, the
 * served disks one between them.
 */
#define SEL4_MAX_HOOKS 40

/* Signal channel `ch` (microkit_notify). */
void sel4_channel_notify(unsigned ch);

/* `fn(ctx)` runs when channel `ch` is notified while the VM runs. Returns -1 when the table is full. */
int sel4_on_notify(unsigned ch, void (*fn)(void *), void *ctx);

/*
 * As sel4_on_notify, and also once the VM has stopped for good: a server side that must go on
 * answering its peers, if only with errors. Returns -1 when the table is full.
 */
int sel4_on_notify_always(unsigned ch, void (*fn)(void *), void *ctx);

/*
 * `fn(ctx)` runs once, after the exit or notification being handled (work a device asks for
 * while it is in the middle of a guest access). Deferring the same fn and ctx again before it ran
 * is one run. Returns -1 when the table is full.
 */
int sel4_defer(void (*fn)(void *), void *ctx);

/* Whether deferred work waits (the exit path asks before calling sel4_channel_run_deferred). */
bool sel4_channel_deferred_pending(void);

/* Run deferred work; a function may defer more (bounded: a few rounds, each emptying the table first). */
void sel4_channel_run_deferred(void);

/*
 * Channel `ch` was notified: run its hooks, those of sel4_on_notify if `running` (the VM runs), those
 * of sel4_on_notify_always also if `stopped` (it stopped for good); then any deferred work.
 */
void sel4_channel_dispatch(unsigned ch, bool running, bool stopped);

#endif
