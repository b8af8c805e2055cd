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

/* Write everything to fd; with `nonblock`, what the fd cannot take now is dropped. Returns bytes dropped. */
static size_t write_fd(int fd, const uint8_t *buf, size_t len, bool nonblock)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && nonblock && errno == EAGAIN)
            return len;
        if (n <= 0)
            return len; /* output gone: guest output is dropped, the VM keeps running */
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

void stdio_uart_tx(void *ctx, uint8_t byte)
{
    (void)ctx;
    write_fd(STDOUT_FILENO, &byte, 1, false);
}

void stdio_console_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    write_fd(STDOUT_FILENO, buf, len, false);
}

void console_endpoint_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct console_endpoint *ep = ctx;
    size_t dropped = ep->out_fd >= 0 ? write_fd(ep->out_fd, buf, len, ep->out_nonblock) : len;

    ep->out_bytes += len - dropped;
    ep->out_dropped += dropped;
}

/* Hand pending input to where this endpoint's input goes now; returns bytes taken. */
static size_t deliver(struct kvm_host *h, struct virtio_console *c, const struct console_endpoint *ep,
                      const uint8_t *buf, size_t len)
{
    struct svmm_vm *vm = h->vm;
    size_t n;

    pthread_mutex_lock(&h->dev_lock);
    if (ep->target != CONSOLE_TO_UART && virtio_console_port_ready(c, ep->port))
        n = virtio_console_port_input(c, ep->port, buf, len);
    else if (ep->target == CONSOLE_TO_PORT)
        n = 0; /* the guest has not opened the port (or has no buffers): keep it, retry */
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

void console_pump(struct kvm_host *h, struct virtio_console *c, struct console_host *ch)
{
    bool escape_seen = false;

    for (;;) {
        struct pollfd fds[2 + CONSOLE_HOST_MAX_ENDPOINTS];
        struct console_endpoint *who[2 + CONSOLE_HOST_MAX_ENDPOINTS];
        nfds_t nfds = 2;
        bool any_pending = false;
        int r;

        fds[0] = (struct pollfd){ h->stop_fd, POLLIN, 0 };
        fds[1] = (struct pollfd){ h->restart_fd, POLLIN, 0 }; /* the caller restarts the VM, then pumps again */
        for (unsigned i = 0; i < ch->n; i++) {
            struct console_endpoint *ep = &ch->ep[i];
            if (ep->pending) {
                any_pending = true;
            } else if (ep->in_open) {
                who[nfds] = ep;
                fds[nfds++] = (struct pollfd){ ep->in_fd, POLLIN, 0 };
            }
        }
        r = poll(fds, nfds, any_pending ? RETRY_MS : -1);
        if (r < 0 && errno != EINTR)
            return;
        if (r > 0 && (fds[0].revents || fds[1].revents))
            return;
        for (nfds_t i = 2; r > 0 && i < nfds; i++) {
            struct console_endpoint *ep = who[i];
            ssize_t n;

            if (!fds[i].revents)
                continue;
            n = read(ep->in_fd, ep->buf, sizeof(ep->buf));
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0) {
                ep->in_open = false; /* EOF (e.g. </dev/null): the guest keeps running */
                continue;
            }
            if (ep->in_fd == STDIN_FILENO && termios_saved)
                n = filter_escape(ep->buf, (size_t)n, &escape_seen);
            if (n < 0) {
                svmm_info("Ctrl-A x: stopping the VM");
                kvm_host_stop(h, SVMM_EXIT_USER);
                return;
            }
            ep->pending = (size_t)n;
            ep->off = 0;
        }
        for (unsigned i = 0; i < ch->n; i++) {
            struct console_endpoint *ep = &ch->ep[i];
            if (ep->pending) {
                size_t n = deliver(h, c, ep, ep->buf + ep->off, ep->pending);
                ep->off += n;
                ep->pending -= n;
                ep->in_bytes += n;
            }
        }
    }
}
