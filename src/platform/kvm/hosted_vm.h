/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What every hosted VMM program does around the KVM VM, shared by the svmm command (main.c) and
 * the high-level API's library (api.c): log to stderr, give the VM its RAM, place the boot images
 * and place them again at each restart, and serve the VM until it stops.
 */
#ifndef SVMM_KVM_HOSTED_VM_H
#define SVMM_KVM_HOSTED_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <svmm/log.h>
#include <svmm/vm.h>
#include "kvm.h"
#include "stdio_console.h"

/* The log sink of hosted programs: "svmm: " (and the level) before each line, on stderr. */
void hosted_log_stderr(enum svmm_log_level level, const char *line, unsigned len);

/* The log rate limiters' clock: monotonic, so a wall-clock change never reopens or stalls a limiter. */
uint64_t hosted_monotonic_ns(void);

/* The boot images and guest RAM of one VM: what a restart loads again. */
struct hosted_guest {
    struct svmm_vm *vm;
    const char *kernel_path; /* for messages */
    const void *kernel, *initrd; /* stay valid as long as the VM (initrd may be NULL) */
    size_t kernel_len, initrd_len;
    void *ram;
    void *extra_ram[SVMM_MAX_EXTRA_RAM]; /* cfg.extra_ram's mappings */
};

/*
 * Map g->vm's RAM (cfg.ram_size) and its further RAM ranges, each between two guard pages, and
 * register them with the VM. -1 with a reason in err.
 */
int hosted_guest_map_ram(struct hosted_guest *g, char *err, size_t errlen);

/* Place the kernel, the initrd and a generated device tree in guest RAM (ctx: the hosted_guest). */
int hosted_guest_load(void *ctx, char *err, size_t errlen);

/*
 * SIGTERM is taken by the main thread only (every thread svmm starts inherits it blocked), and not
 * while it restarts the VM: block it before starting any thread.
 */
void hosted_block_sigterm(bool block);

/*
 * Serve the started VM until it stops: SIGTERM stops it (SVMM_EXIT_TERMINATED), the console
 * endpoints are pumped (console_pump: `c` may be NULL when every endpoint feeds the UART), and a
 * guest reset or an admin's restart restarts it with the images of `g` (RAM scrubbed first). Then
 * kvm_host_join() gives the exit status.
 */
void hosted_serve(struct kvm_host *host, struct virtio_console *c, struct console_host *ch, struct hosted_guest *g);

#endif
