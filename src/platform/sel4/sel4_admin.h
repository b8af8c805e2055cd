/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The seL4 admin component (issue 12 part 2): a protection domain whose children are the VMMs of
 * the system description's VMs (so it also receives their faults). It takes commands on the board
 * UART (list, status, start, stop, restart) and passes each to a VMM through that VMM's admin page,
 * a 4 KiB region both map, and one Microkit channel each way. The VMM answers in the same page and
 * notifies back; it also notifies when its VM's state changes on its own (the guest powered off).
 *
 * Trust: the admin is the VMMs' parent and is trusted by them. A VMM runs guest-facing code and may
 * be compromised by its guest, so the admin validates everything it reads from a page (states,
 * counts, the reason text) and a VMM can only mislead the admin about itself.
 */
#ifndef SVMM_SEL4_ADMIN_H
#define SVMM_SEL4_ADMIN_H
#include <stdbool.h>
#include <stdint.h>

/* Commands, admin -> VMM. */
enum sel4_admin_cmd {
    SEL4_ADMIN_NONE,
    SEL4_ADMIN_STOP,
    SEL4_ADMIN_START,
    SEL4_ADMIN_RESTART,
    SEL4_ADMIN_FAULT, /* test only (a VM's test_fault: true): the VMM faults on purpose */
    SEL4_ADMIN_BOOT,  /* a dynamic slot: boot image `cmd_arg` of its images */
    SEL4_ADMIN_NCMDS,
};

#define SEL4_ADMIN_MAGIC 0x41444d31u /* "ADM1": the VMM has published its page */
#define SEL4_ADMIN_WHY_LEN 96u
/* The VMM's channel to the admin (its other channels: 1 UART, 2.. links, 60 idle timer; Microkit ids are 0..61). */
#define SEL4_ADMIN_VMM_CHANNEL 61u

/*
 * One VMM's admin page. `cmd_seq`/`cmd` are written by the admin only, the rest by the VMM only;
 * each side reads the other's fields once per notification.
 */
struct sel4_admin_page {
    /* admin -> VMM */
    volatile uint32_t cmd_seq; /* a new command when it differs from done_seq */
    volatile uint32_t cmd;     /* enum sel4_admin_cmd */
    volatile uint32_t cmd_arg; /* SEL4_ADMIN_BOOT: the image's index */
    /* VMM -> admin */
    volatile uint32_t magic;    /* SEL4_ADMIN_MAGIC once the fields below are valid */
    volatile uint32_t done_seq; /* cmd_seq of the last command handled */
    volatile int32_t result;    /* of that command: 0, or -1 with `why` */
    volatile uint32_t state;    /* enum svmm_vm_state */
    volatile uint32_t cause;    /* enum svmm_vm_stop_cause: why it last left RUNNING */
    volatile uint32_t boots, restarts;
    volatile uint32_t pd_starts; /* times this VMM's program started (1 + restarts by the admin) */
    volatile uint32_t image;     /* a dynamic slot: the image it runs or ran last (index) */
    volatile uint64_t boot_ns;   /* the board counter (ns) when the current boot started */
    volatile uint64_t restart_pc, restart_sp; /* where the admin restarts this VMM's program */
    volatile char why[SEL4_ADMIN_WHY_LEN];
};
_Static_assert(sizeof(struct sel4_admin_page) <= 4096, "an admin page is one 4 KiB page");

/* One managed VM, as the composer writes it into the admin's configuration (admin_config.c). */
struct sel4_admin_vm {
    const char *name;
    uint8_t child;           /* the VMM's PD id under the admin */
    uint8_t channel;         /* the admin's channel to it */
    uintptr_t page;          /* its admin page in the admin's address space */
    bool restart_on_fault;   /* on_fault: restart (else stop) */
    unsigned max_restarts;   /* ... at most this many times ... */
    unsigned restart_window; /* ... within this many seconds */
    bool test_fault;         /* the `fault VM` command is allowed */
    bool slot;               /* a dynamic slot: `boot VM IMAGE` with one of `images` */
    unsigned nimages;
    const char *images[8];   /* SEL4_MAX_SLOT_IMAGES */
};

#define SEL4_ADMIN_MAX_VMS 16u
struct sel4_admin_config {
    unsigned nvms;
    struct sel4_admin_vm vms[SEL4_ADMIN_MAX_VMS];
    unsigned uart_irq_channel; /* the board UART's receive interrupt: commands come in on it */
};
extern const struct sel4_admin_config sel4_admin;

/* VMM side (admin_client.c): the admin's page is mapped at admin_page_vaddr (0: no admin). */
extern uintptr_t admin_page_vaddr;

#endif
