/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The board's PL011 UART, owned by the VMM (never passed through): it carries the VMM's log and
 * the guest's console output, each line prefixed so the two (and seL4's own output) can be told
 * apart, and its receive interrupt feeds guest console input.
 */
#ifndef SVMM_SEL4_BOARD_UART_H
#define SVMM_SEL4_BOARD_UART_H

#include <stddef.h>
#include <stdint.h>

/* Use the UART mapped at `vaddr`; `guest_prefix` starts every guest output line, `vm_name` names the VMM's own. */
void board_uart_init(uintptr_t vaddr, const char *guest_prefix, const char *vm_name);

/* Guest console output (UART or virtio console); complete lines go out with the guest prefix. */
void board_uart_guest_write(const uint8_t *buf, size_t len);

/* Write out a partial guest line now (a prompt without a newline, say). */
void board_uart_flush(void);

/* Count one guest exit: a partial guest line goes out once the guest has been quiet for a while. */
void board_uart_exit(void);

/* One VMM log line: "svmm[<vm>]|<level>: <text>". */
void board_uart_log_line(const char *level, const char *text, unsigned len);

/*
 * board_uart_init, then the svmm log (svmm/log.h) to this UART, as "svmm[<name>]|<level>: ..." lines
 * timed by the board counter: what every PD of ours that logs starts with.
 */
void board_uart_start_log(uintptr_t vaddr, const char *guest_prefix, const char *name);
/* Drain received bytes into buf (at most len); returns the count. */
size_t board_uart_read(uint8_t *buf, size_t len);

#endif
