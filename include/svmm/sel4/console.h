/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The low-level seL4 API, the console (src/platform/sel4/console.c). The VMM owns the board's UART
 * (never passed through): it carries the VMM's log ("svmm[<vm>]|<level>: ...", svmm/log.h) and its
 * guest's console output, each guest line prefixed; its receive interrupt (a Microkit IRQ channel)
 * is the guest's console input. The guest writes through the emulated 16550 UART until its
 * virtio-console driver is up, then through virtio-console.
 */
#ifndef SVMM_SEL4_CONSOLE_H
#define SVMM_SEL4_CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include <svmm/vm.h>

/*
 * Use the board UART mapped at `uart_vaddr` (a setvar_vaddr): the svmm log goes there as
 * "svmm[<name>]|..." lines, guest output as lines starting with `guest_prefix`. Call first in init().
 */
void sel4_console_start(uintptr_t uart_vaddr, const char *guest_prefix, const char *name);

/* svmm_vm_backends.uart_tx: a byte the guest wrote to its emulated UART. */
void sel4_console_uart_tx(void *ctx, uint8_t b);

/* Create the VM's virtio-console on the board UART and attach it to virtio slot `slot` (one per VM). */
int sel4_attach_console(struct svmm_vm *vm, unsigned slot, char *err, size_t errlen);

/*
 * The same, offering VIRTIO_CONSOLE_F_MULTIPORT with port 0 only: a driver that takes it sets up
 * the control queues (a console device's `multiport: true` in a system description).
 */
int sel4_attach_console_multiport(struct svmm_vm *vm, unsigned slot, char *err, size_t errlen);

/* The VM's virtio-console, NULL before sel4_attach_console. */
struct virtio_console *sel4_console_virtio(void);

/* Count one guest exit: a partial guest line goes out once the guest has been quiet for a while. */
void sel4_console_exit(void);

/* Write out a partial guest line now (before a VMM line that must not split it). */
void sel4_console_flush(void);

/*
 * The UART's receive interrupt fired: what arrived goes to the virtio console once its driver is
 * up, to the emulated UART of `vm` before. The caller acknowledges the interrupt (sel4_irq_ack).
 */
void sel4_console_input(struct svmm_vm *vm);

#endif
