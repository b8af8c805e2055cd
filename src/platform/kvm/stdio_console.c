/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <svmm/log.h>
#include "stdio_console.h"

#define ESCAPE_KEY 0x01 /* Ctrl-A */
#define RETRY_MS 20     /* how soon to retry input the guest had no room for */

static struct termios saved_termios;
static bool termios_saved;

void stdio_restore(void)
{
    if (termios_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
}

void stdio_setup(void)
{
    struct termios raw;

    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios) < 0)
        return;
    termios_saved = true;
    atexit(stdio_restore);
    raw = saved_termios;
    cfmakeraw(&raw);
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
}

static void write_all(const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* stdout gone: guest output is dropped, the VM keeps running */
        buf += n;
        len -= (size_t)n;
    }
}

void stdio_uart_tx(void *ctx, uint8_t byte)
{
    (void)ctx;
    write_all(&byte, 1);
}

void stdio_console_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    write_all(buf, len);
}

/* Hand pending input to whichever console the guest uses now; returns bytes taken. */
static size_t deliver(struct kvm_host *h, struct virtio_console *console, const uint8_t *buf, size_t len)
{
    struct svmm_vm *vm = h->vm;
    size_t n;

    pthread_mutex_lock(&h->dev_lock);
    if (virtio_console_input_ready(console))
        n = virtio_console_input(console, buf, len);
    else if (vm->cfg.layout.uart_base)
        n = uart16550_input(&vm->uart, buf, len);
    else
        n = len; /* no console takes input: drop it */
    pthread_mutex_unlock(&h->dev_lock);
    return n;
}

/* Filter the Ctrl-A escape in place; returns the new length, or -1 when the user asked to quit. */
static ssize_t filter_escape(uint8_t *buf, size_t len, bool *escape_seen)
{
    size_t out = 0;

    for (size_t i = 0; i < len; i++) {
        if (*escape_seen) {
            *escape_seen = false;
            if (buf[i] == 'x' || buf[i] == 'X')
                return -1;
            if (buf[i] != ESCAPE_KEY)
                continue; /* unknown escape: swallow */
        } else if (buf[i] == ESCAPE_KEY) {
            *escape_seen = true;
            continue;
        }
        buf[out++] = buf[i];
    }
    return (ssize_t)out;
}

void stdio_pump(struct kvm_host *h, struct virtio_console *console)
{
    uint8_t buf[256];
    size_t pending = 0, off = 0;
    bool stdin_open = true, escape_seen = false;

    for (;;) {
        struct pollfd fds[2] = { { h->stop_fd, POLLIN, 0 }, { STDIN_FILENO, POLLIN, 0 } };
        nfds_t nfds = stdin_open && pending == 0 ? 2 : 1;
        int r = poll(fds, nfds, pending ? RETRY_MS : -1);

        if (r < 0 && errno != EINTR)
            return;
        if (fds[0].revents)
            return;
        if (nfds == 2 && fds[1].revents) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
            if (n <= 0) {
                stdin_open = false; /* EOF (e.g. </dev/null): the guest keeps running */
                continue;
            }
            n = termios_saved ? filter_escape(buf, (size_t)n, &escape_seen) : n;
            if (n < 0) {
                svmm_info("Ctrl-A x: stopping the VM");
                kvm_host_stop(h, SVMM_EXIT_USER);
                return;
            }
            pending = (size_t)n;
            off = 0;
        }
        if (pending) {
            size_t n = deliver(h, console, buf + off, pending);
            off += n;
            pending -= n;
        }
    }
}
