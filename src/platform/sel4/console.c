/* SPDX-License-Identifier: BSD-2-Clause */
/* The board UART as the VMM's log and its guest's console (svmm/sel4/console.h). */
#include <stdio.h>
#include <svmm/sel4/console.h>
#include <svmm/virtio_console.h>
#include "board_uart.h"

static struct virtio_console console;

void sel4_console_start(uintptr_t uart_vaddr, const char *guest_prefix, const char *name)
{
    board_uart_start_log(uart_vaddr, guest_prefix, name);
}

void sel4_console_uart_tx(void *ctx, uint8_t b)
{
    (void)ctx;
    board_uart_guest_write(&b, 1);
}

/* A virtio-console buffer is a natural unit: its partial last line (a shell prompt) goes out too. */
static void guest_console_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    board_uart_guest_write(buf, len);
    board_uart_flush();
}

int sel4_attach_console(struct svmm_vm *v, unsigned slot, char *err, size_t errlen)
{
    const struct virtio_console_backend console_be = { .write = guest_console_write };

    if (console.dev.ops != NULL) {
        snprintf(err, errlen, "virtio slot %u: one virtio-console per VM (the board UART carries it)", slot);
        return -1;
    }
    virtio_console_init(&console, &console_be);
    return svmm_vm_attach_virtio(v, slot, &console.dev, err, errlen);
}

int sel4_attach_console_multiport(struct svmm_vm *v, unsigned slot, char *err, size_t errlen)
{
    if (sel4_attach_console(v, slot, err, errlen) < 0)
        return -1;
    virtio_console_offer_multiport(&console);
    return 0;
}

struct virtio_console *sel4_console_virtio(void)
{
    return console.dev.ops != NULL ? &console : NULL;
}

void sel4_console_exit(void)
{
    board_uart_exit();
}

void sel4_console_flush(void)
{
    board_uart_flush();
}

void sel4_console_input(struct svmm_vm *vm)
{
    uint8_t buf[64];
    size_t n = board_uart_read(buf, sizeof(buf));

    if (virtio_console_input_ready(&console))
        virtio_console_input(&console, buf, n);
    else
        uart16550_input(&vm->uart, buf, n);
}
