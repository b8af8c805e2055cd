/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <svmm/log.h>
#include "control.h"
#include "shm_link.h"

int vmm_control_open(struct vmm_control *c, const char *path, char *err, size_t errlen)
{
    *c = (struct vmm_control){ .lfd = -1 };
    if (strlen(path) >= sizeof(c->path)) {
        snprintf(err, errlen, "--control: socket path '%s' is too long (at most %zu characters)", path,
                 sizeof(c->path) - 1);
        return -1;
    }
    c->lfd = shm_link_listen(path, err, errlen);
    if (c->lfd < 0)
        return -1;
    memcpy(c->path, path, strlen(path) + 1);
    svmm_info("control socket %s (svmm ctl --socket %s status|stop|restart)", path, path);
    return 0;
}

/* The command word, without trailing whitespace; false when it is not a known one. */
static bool command_is(const char *cmd, size_t len, const char *word)
{
    size_t n = strlen(word);

    while (len > 0 && (cmd[len - 1] == '\n' || cmd[len - 1] == '\r' || cmd[len - 1] == ' '))
        len--;
    return len == n && memcmp(cmd, word, n) == 0;
}

void vmm_control_command(struct kvm_host *h, const char *cmd, size_t len, char *reply, size_t replylen)
{
    char err[160];

    if (command_is(cmd, len, "status")) {
        int n = snprintf(reply, replylen, "ok ");
        kvm_host_status(h, reply + n, replylen - (size_t)n);
        return;
    }
    if (command_is(cmd, len, "stop") || command_is(cmd, len, "restart") || command_is(cmd, len, "start")) {
        enum svmm_vm_op op = command_is(cmd, len, "stop")      ? SVMM_OP_STOP
                             : command_is(cmd, len, "restart") ? SVMM_OP_RESTART
                                                               : SVMM_OP_START;
        if (kvm_host_request(h, op, err, sizeof(err)) < 0)
            snprintf(reply, replylen, "error: %s", err);
        else
            snprintf(reply, replylen, "ok %s", svmm_vm_op_name(op));
        return;
    }
    snprintf(reply, replylen, "error: unknown command '%.*s' (status, stop, restart)", (int)(len > 40 ? 40 : len),
             cmd);
}

int control_serve_one(int lfd, control_handler handle, void *ctx, char *cmd, size_t cmdlen, char *reply,
                      size_t replylen, int *peer_pid)
{
    char err[160];
    int refuse = -1, sock = shm_link_accept(lfd, &refuse, peer_pid, err, sizeof(err));
    ssize_t n;

    if (sock < 0) {
        if (refuse < 0)
            return 0;
        snprintf(reply, replylen, "error: %s", err);
        send(refuse, reply, strlen(reply), MSG_NOSIGNAL);
        close(refuse);
        return -1;
    }
    n = recv(sock, cmd, cmdlen - 1, 0); /* the socket has a 2 s receive timeout (shm_link_accept) */
    if (n > 0) {
        cmd[n] = '\0';
        handle(ctx, cmd, reply, replylen);
        send(sock, reply, strlen(reply), MSG_NOSIGNAL);
    }
    close(sock);
    return n > 0;
}

static void vmm_handle(void *ctx, char *cmd, char *reply, size_t replylen)
{
    vmm_control_command(ctx, cmd, strlen(cmd), reply, replylen);
}

/* One peer: one command, one reply. */
static void serve_peer(struct vmm_control *c)
{
    char cmd[VMM_CONTROL_MAX_MSG + 1], reply[VMM_CONTROL_MAX_MSG];
    int pid = 0, r = control_serve_one(c->lfd, vmm_handle, c->host, cmd, sizeof(cmd), reply, sizeof(reply), &pid);

    if (r < 0)
        svmm_warn("control socket: refused a peer: %s", reply);
    else if (r > 0)
        svmm_info("control: '%.*s' from pid %d: %s", (int)strcspn(cmd, "\r\n"), cmd, pid, reply);
}

static void *control_thread(void *arg)
{
    struct vmm_control *c = arg;

    for (;;) {
        struct pollfd fds[2] = { { c->host->stop_fd, POLLIN, 0 }, { c->lfd, POLLIN, 0 } };

        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            break;
        if (fds[0].revents)
            break;
        if (fds[1].revents)
            serve_peer(c);
    }
    return NULL;
}

int vmm_control_start(struct vmm_control *c, struct kvm_host *h, char *err, size_t errlen)
{
    int e;

    if (c->lfd < 0)
        return 0;
    c->host = h;
    e = pthread_create(&c->thread, NULL, control_thread, c);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the control thread: %s", strerror(e));
        return -1;
    }
    c->started = true;
    return 0;
}

void vmm_control_close(struct vmm_control *c)
{
    if (c->started)
        pthread_join(c->thread, NULL);
    c->started = false;
    if (c->lfd >= 0) {
        close(c->lfd);
        unlink(c->path);
    }
    c->lfd = -1;
}

int vmm_control_request(const char *path, const char *command, char *reply, size_t replylen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct timeval tv = { .tv_sec = 30 }; /* a restart answers at once; a VMM that hangs must not hang us */
    ssize_t n = -1;
    int sock;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(reply, replylen, "socket path '%s' is too long", path);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path));
    sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        snprintf(reply, replylen, "cannot connect to the control socket %s: %s", path, strerror(errno));
        if (sock >= 0)
            close(sock);
        return -1;
    }
    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (send(sock, command, strlen(command), MSG_NOSIGNAL) < 0 || (n = recv(sock, reply, replylen - 1, 0)) <= 0) {
        snprintf(reply, replylen, "no answer from %s: %s", path, n == 0 ? "connection closed" : strerror(errno));
        close(sock);
        return -1;
    }
    close(sock);
    reply[n] = '\0';
    return 0;
}

int vmm_control_client(const char *path, const char *command)
{
    char reply[CONTROL_MAX_REPLY + 1];

    if (vmm_control_request(path, command, reply, sizeof(reply)) < 0) {
        fprintf(stderr, "svmm: error: %s\n", reply);
        return 1;
    }
    printf("%s\n", reply);
    return strncmp(reply, "ok", 2) == 0 ? 0 : 1;
}
