/* SPDX-License-Identifier: BSD-2-Clause */
/* The hosted console: guest output to stdout, host stdin to the guest's active console. */
#ifndef SVMM_KVM_STDIO_CONSOLE_H
#define SVMM_KVM_STDIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include <svmm/virtio_console.h>
#include "kvm.h"

/* Put a terminal on stdin into raw mode (restored by stdio_restore and at exit). */
void stdio_setup(void);

/* Restore the terminal state saved by stdio_setup. */
void stdio_restore(void);

/* UART and virtio-console output backends: write guest bytes to stdout. */
void stdio_uart_tx(void *ctx, uint8_t byte);
void stdio_console_write(void *ctx, const uint8_t *buf, size_t len);

/*
 * Run the host side until the VM stops: read stdin, hand bytes to the virtio console once its
 * driver is up (the UART before that), handle Ctrl-A x. Returns when h->stop_fd fires.
 */
void stdio_pump(struct kvm_host *h, struct virtio_console *console);

#endif
