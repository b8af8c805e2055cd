/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdbool.h>
#include <svmm/log.h>
#include "board_uart.h"
#include "sel4_clock.h"

#define PL011_DR 0x00
#define PL011_FR 0x18
#define PL011_IMSC 0x38
#define PL011_ICR 0x44
#define FR_TXFF (1u << 5)
#define FR_RXFE (1u << 4)
#define INT_RX (1u << 4)
#define INT_RT (1u << 6)

static volatile uint32_t *uart;
static const char *prefix = "guest| ";
static const char *vmm_name = "?";
static bool guest_at_line_start = true;

static void reg_write(unsigned off, uint32_t v) { uart[off / 4] = v; }
static uint32_t reg_read(unsigned off) { return uart[off / 4]; }

static void putc_raw(uint8_t c)
{
    if (uart == NULL)
        return;
    while (reg_read(PL011_FR) & FR_TXFF)
        ;
    reg_write(PL011_DR, c);
}

static void puts_raw(const char *s)
{
    while (*s)
        putc_raw((uint8_t)*s++);
}

void board_uart_init(uintptr_t vaddr, const char *guest_prefix, const char *vm_name)
{
    uart = (volatile uint32_t *)vaddr;
    prefix = guest_prefix;
    vmm_name = vm_name;
    reg_write(PL011_ICR, INT_RX | INT_RT);
    reg_write(PL011_IMSC, INT_RX | INT_RT); /* interrupt on receive and receive timeout */
}

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static void log_to_uart(enum svmm_log_level level, const char *text, unsigned len)
{
    board_uart_log_line(level_names[level], text, len);
}

void board_uart_start_log(uintptr_t vaddr, const char *guest_prefix, const char *name)
{
    board_uart_init(vaddr, guest_prefix, name);
    svmm_log_init(log_to_uart, SVMM_LOG_INFO);
    svmm_log_set_clock(sel4_counter_ns);
}

/*
 * Guest output is collected a line at a time and written in one go, so that the lines of several
 * VMMs sharing the board UART do not interleave character by character.
 */
static uint8_t line[160];
static size_t line_len;
static unsigned exits_since_output; /* guest exits since the last guest output byte */

/*
 * A partial line (a prompt) goes out once the guest has been quiet for this many exits. While it
 * prints, nearly every exit is a UART byte, so a line is not cut by the timer or interrupt exits
 * between its bytes (which let another VMM's line in between); an idle vCPU exits on WFI again and
 * again, so a prompt still appears at once.
 */
#define FLUSH_AFTER_QUIET_EXITS 128u

void board_uart_flush(void)
{
    if (line_len == 0)
        return;
    if (guest_at_line_start)
        puts_raw(prefix);
    for (size_t i = 0; i < line_len; i++)
        putc_raw(line[i]);
    guest_at_line_start = line[line_len - 1] == '\n';
    line_len = 0;
}

void board_uart_exit(void)
{
    if (line_len != 0 && ++exits_since_output >= FLUSH_AFTER_QUIET_EXITS)
        board_uart_flush();
}

void board_uart_guest_write(const uint8_t *buf, size_t len)
{
    exits_since_output = 0;
    for (size_t i = 0; i < len; i++) {
        line[line_len++] = buf[i];
        if (buf[i] == '\n' || line_len == sizeof(line))
            board_uart_flush();
    }
}

void board_uart_log_line(const char *level, const char *text, unsigned len)
{
    board_uart_flush();
    if (!guest_at_line_start)
        putc_raw('\n'); /* never glue a log line onto half a guest line */
    guest_at_line_start = true;
    puts_raw("svmm[");
    puts_raw(vmm_name);
    puts_raw("]|");
    puts_raw(level);
    puts_raw(": ");
    for (unsigned i = 0; i < len; i++)
        putc_raw((uint8_t)text[i]);
    putc_raw('\n');
}

size_t board_uart_read(uint8_t *buf, size_t len)
{
    size_t n = 0;

    if (uart == NULL)
        return 0;
    while (n < len && !(reg_read(PL011_FR) & FR_RXFE))
        buf[n++] = (uint8_t)reg_read(PL011_DR);
    reg_write(PL011_ICR, INT_RX | INT_RT);
    return n;
}
