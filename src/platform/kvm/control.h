/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VMM's control socket (`svmm run --control PATH`) and its client (`svmm ctl`). A Unix
 * SOCK_SEQPACKET socket of mode 0600; a peer must run as the same user (or root). One command per
 * message, one reply per message: "status", "stop", "restart" (and "start", which a running VMM
 * refuses through its lifecycle). Replies start with "ok" or "error:". An admin component (issue 12)
 * talks to each VMM through it.
 */
#ifndef SVMM_KVM_CONTROL_H
#define SVMM_KVM_CONTROL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include "kvm.h"

#define VMM_CONTROL_MAX_MSG 512 /* a command or reply of a VMM, bytes */
#define CONTROL_MAX_REPLY 4096  /* a reply of svmm up (a list of every VM), bytes */

struct vmm_control {
    struct kvm_host *host;
    int lfd;
    char path[108];
    pthread_t thread;
    bool started;
};

/* Listen on `path` (a stale socket replaced). -1 with a reason in err. */
int vmm_control_open(struct vmm_control *c, const char *path, char *err, size_t errlen);

/* Serve commands for `h` on a thread until the VM stops. */
int vmm_control_start(struct vmm_control *c, struct kvm_host *h, char *err, size_t errlen);

/* Wait for the thread; close and remove the socket. Safe on a control never opened (lfd -1). */
void vmm_control_close(struct vmm_control *c);

/*
 * Carry out one command for `h` (the text of one message, trailing newline allowed) and write the
 * reply into reply (always NUL-terminated).
 */
void vmm_control_command(struct kvm_host *h, const char *cmd, size_t len, char *reply, size_t replylen);

/*
 * One peer of a control socket listening on `lfd` (a VMM's or svmm up's): accept it (a peer of
 * another user is refused with the reason, which is then in reply: returns -1), read one command
 * into cmd (NUL-terminated), let `handle(ctx, cmd, reply, replylen)` write the reply, send it.
 * Returns 1 with cmd, reply and *peer_pid set for the caller's log, 0 when no command came.
 */
typedef void (*control_handler)(void *ctx, char *cmd, char *reply, size_t replylen);
int control_serve_one(int lfd, control_handler handle, void *ctx, char *cmd, size_t cmdlen, char *reply,
                      size_t replylen, int *peer_pid);

/*
 * Send `command` to the control socket at `path` (a VMM's or svmm up's) and wait up to 30 s for the
 * reply, into reply (NUL-terminated). -1 with the reason in reply when there is none.
 */
int vmm_control_request(const char *path, const char *command, char *reply, size_t replylen);

/* `svmm ctl --socket PATH COMMAND`: send it, print the reply. Returns 0 when the reply is "ok ...". */
int vmm_control_client(const char *path, const char *command);

#endif
