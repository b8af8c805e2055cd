/* SPDX-License-Identifier: BSD-2-Clause */
/* Hosted virtio-console backends: stdio (port 0 by default), pseudo-terminals and append-only files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <svmm/log.h>
#include "stdio_console.h"

static struct console_endpoint *new_endpoint(struct console_host *ch, unsigned port, enum console_target target)
{
    struct console_endpoint *ep = &ch->ep[ch->n++];

    memset(ep, 0, sizeof(*ep));
    ep->port = port;
    ep->target = target;
    ep->in_fd = ep->out_fd = ep->hold_fd = -1;
    return ep;
}

/* A new pseudo-terminal in raw mode: the master carries the port, the slave is for the user. */
static int open_pty(struct console_endpoint *ep, const char *what, char *err, size_t errlen)
{
    struct termios t;
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, ep->path, sizeof(ep->path)) != 0) {
        snprintf(err, errlen, "%s: cannot create a pseudo-terminal: %s", what, strerror(errno));
        if (m >= 0)
            close(m);
        return -1;
    }
    /* Holding the slave open keeps the master from reporting a hangup while no user is attached. */
    ep->hold_fd = open(ep->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (ep->hold_fd < 0 || tcgetattr(ep->hold_fd, &t) < 0) {
        snprintf(err, errlen, "%s: cannot open %s: %s", what, ep->path, strerror(errno));
        close(m);
        return -1;
    }
    cfmakeraw(&t); /* bytes pass unchanged both ways; the user's terminal program sets its own mode */
    tcsetattr(ep->hold_fd, TCSANOW, &t);
    fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK); /* never block a vCPU on a pty nobody reads */
    ep->in_fd = ep->out_fd = m;
    ep->out_nonblock = true;
    ep->in_open = true;
    return 0;
}

void console_host_stdin_to_uart(struct console_host *ch)
{
    struct console_endpoint *in = new_endpoint(ch, 0, CONSOLE_TO_UART);

    in->in_fd = STDIN_FILENO;
    in->in_open = true;
}

int console_host_setup(const struct svmm_cli *cli, struct virtio_console *c, struct console_host *ch, char *err,
                       size_t errlen)
{
    struct console_endpoint *ep0;
    struct virtio_console_backend be;

    memset(ch, 0, sizeof(*ch));
    if (cli->console == SVMM_CLI_CONSOLE_PTY) {
        ep0 = new_endpoint(ch, 0, CONSOLE_TO_PORT);
        if (open_pty(ep0, "--console pty", err, errlen) < 0)
            return -1;
        console_host_stdin_to_uart(ch); /* stdin still reaches the emulated UART (and Ctrl-A x stops the VM) */
        fprintf(stderr, "svmm: virtio-console on %s\n", ep0->path);
    } else {
        ep0 = new_endpoint(ch, 0, CONSOLE_TO_PORT_OR_UART);
        ep0->in_fd = STDIN_FILENO;
        ep0->out_fd = STDOUT_FILENO;
        ep0->in_open = true;
        snprintf(ep0->path, sizeof(ep0->path), "stdio");
    }
    be = (struct virtio_console_backend){ console_endpoint_write, ep0 };
    virtio_console_init(c, &be);
    virtio_console_offer_multiport(c);
    for (unsigned i = 0; i < cli->nconsole_ports; i++) {
        const struct svmm_cli_console_port *p = &cli->console_ports[i];
        struct console_endpoint *ep;
        char what[96];
        int port;

        if (ch->n == CONSOLE_HOST_MAX_ENDPOINTS) {
            snprintf(err, errlen, "--console-port %s: too many ports", p->name);
            return -1;
        }
        snprintf(what, sizeof(what), "--console-port %s", p->name);
        ep = new_endpoint(ch, 0, CONSOLE_TO_PORT);
        if (p->pty) {
            if (open_pty(ep, what, err, errlen) < 0)
                return -1;
        } else {
            ep->out_fd = open(p->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
            if (ep->out_fd < 0) {
                snprintf(err, errlen, "%s: cannot open '%s' for appending: %s", what, p->path, strerror(errno));
                return -1;
            }
            snprintf(ep->path, sizeof(ep->path), "%s", p->path);
        }
        be = (struct virtio_console_backend){ console_endpoint_write, ep };
        port = virtio_console_add_port(c, p->name, &be);
        if (port < 0) {
            snprintf(err, errlen, "%s: too many ports (at most %u besides the console)", what,
                     VIRTIO_CONSOLE_MAX_PORTS - 1);
            return -1;
        }
        ep->port = (unsigned)port;
        if (p->pty)
            fprintf(stderr, "svmm: virtio-console port %d '%s' on %s\n", port, p->name, ep->path);
        else
            svmm_info("virtio-console port %d '%s': output appended to %s", port, p->name, ep->path);
    }
    return 0;
}

/*
 * Closing a pty's master hangs its slave up, and a hangup discards what the user's program has not
 * read yet: the guest's last lines would be lost to a reader that is a little slow (a loaded host).
 * Give it up to two seconds to drain the slave's input queue first.
 */
static void drain_pty(const struct console_endpoint *ep)
{
    for (int i = 0; i < 200; i++) {
        int queued = 0;

        if (ioctl(ep->hold_fd, TIOCINQ, &queued) < 0 || queued == 0)
            return;
        usleep(10000);
    }
}

void console_host_close(struct console_host *ch, const struct virtio_console *c)
{
    for (unsigned i = 0; i < ch->n; i++) {
        struct console_endpoint *ep = &ch->ep[i];

        if (ep->target == CONSOLE_TO_UART)
            continue;
        if (ep->port > 0 || ep->out_dropped || c->ctrl_errors || ep->hold_fd >= 0)
            svmm_info("virtio-console port %u (%s%s%s): %llu bytes out (%llu dropped), %llu in%s", ep->port,
                      c->ports[ep->port].name, c->ports[ep->port].name[0] ? " on " : "", ep->path,
                      (unsigned long long)ep->out_bytes, (unsigned long long)ep->out_dropped,
                      (unsigned long long)ep->in_bytes, c->ports[ep->port].guest_open ? ", open in the guest" : "");
        if (ep->hold_fd >= 0)
            drain_pty(ep);
        if (ep->out_fd >= 0 && ep->out_fd != STDOUT_FILENO)
            close(ep->out_fd);
        if (ep->hold_fd >= 0)
            close(ep->hold_fd);
        ep->out_fd = ep->in_fd = ep->hold_fd = -1;
    }
    if (c->ctrl_errors || c->ctrl_dropped)
        svmm_info("virtio-console: %llu invalid control messages dropped, %llu control events lost",
                  (unsigned long long)c->ctrl_errors, (unsigned long long)c->ctrl_dropped);
}
