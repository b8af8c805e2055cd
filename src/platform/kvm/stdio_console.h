/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hosted console: guest output to stdout, host stdin to the guest's active console; with
 * --console pty / --console-port, virtio-console ports on pseudo-terminals or files (console_pty.c).
 */
#ifndef SVMM_KVM_STDIO_CONSOLE_H
#define SVMM_KVM_STDIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include <svmm/virtio_console.h>
#include "cli.h"
#include "kvm.h"

/* Put a terminal on stdin into raw mode (restored by stdio_restore and at exit). */
void stdio_setup(void);

/* Restore the terminal state saved by stdio_setup. */
void stdio_restore(void);

/* UART and virtio-console output backends: write guest bytes to stdout. */
void stdio_uart_tx(void *ctx, uint8_t byte);
void stdio_console_write(void *ctx, const uint8_t *buf, size_t len);

/* Where input read from an endpoint goes. */
enum console_target {
    CONSOLE_TO_PORT_OR_UART, /* stdin with --console stdio: port 0 once its driver is up, the UART before */
    CONSOLE_TO_PORT,         /* a pty: its port, held back until the guest can take it */
    CONSOLE_TO_UART,         /* stdin with --console pty: the emulated UART only */
};

/* The host side of one virtio-console port (or of stdin). */
struct console_endpoint {
    unsigned port;
    enum console_target target;
    int in_fd;         /* input is read from here; -1: none */
    int out_fd;        /* guest output is written here; -1: none */
    int hold_fd;       /* a pty's slave, held open so the master never sees a hangup; -1: none */
    bool out_nonblock; /* drop output the fd cannot take now (a pty nobody reads) */
    bool in_open;
    char path[128];    /* pty path or file name, for messages */
    uint64_t out_bytes, out_dropped, in_bytes;
    /* pump state: input read but not yet taken by the guest */
    uint8_t buf[256];
    size_t pending, off;
};

#define CONSOLE_HOST_MAX_ENDPOINTS (VIRTIO_CONSOLE_MAX_PORTS + 1)

struct console_host {
    struct console_endpoint ep[CONSOLE_HOST_MAX_ENDPOINTS];
    unsigned n;
};

/*
 * Initialise the virtio console as the command line asks (--console, --console-port): open the
 * pseudo-terminals (their paths are printed on stderr) and files, add the ports. Returns 0, or -1
 * with a one-line message in err.
 */
int console_host_setup(const struct svmm_cli *cli, struct virtio_console *c, struct console_host *ch, char *err,
                       size_t errlen);

/* Add an endpoint that hands stdin to the emulated UART (`ch` zeroed or set up; one slot free). */
void console_host_stdin_to_uart(struct console_host *ch);

/* Log per-port counters and close the endpoints. */
void console_host_close(struct console_host *ch, const struct virtio_console *c);

/* Backend write for an endpoint (ctx = struct console_endpoint *). */
void console_endpoint_write(void *ctx, const uint8_t *buf, size_t len);

/*
 * Run the host side until the VM stops: read stdin and the ptys, hand bytes to their ports once the
 * guest can take them (stdin: the UART before the virtio console is up), handle Ctrl-A x on a
 * terminal. Returns when h->stop_fd fires (the VM stopped) or h->restart_fd does (a restart waits).
 * `c` may be NULL when every endpoint's target is CONSOLE_TO_UART (a VM without a virtio console).
 */
void console_pump(struct kvm_host *h, struct virtio_console *c, struct console_host *ch);

#endif
