/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "link_thread.h"

#define SERVICE_ROUNDS 16 /* service calls per hold of the device lock: vCPUs get in between */

static void drain(int efd)
{
    uint64_t v;
    ssize_t r = read(efd, &v, sizeof(v));
    (void)r; /* EAGAIN: nothing pending */
}

static void serve(struct link_thread *t)
{
    bool more;

    do {
        pthread_mutex_lock(&t->host->dev_lock);
        more = false;
        for (unsigned i = 0; i < SERVICE_ROUNDS && (more = t->service(t->ctx)); i++)
            ;
        pthread_mutex_unlock(&t->host->dev_lock);
    } while (more);
}

static void *run(void *arg)
{
    struct link_thread *t = arg;
    bool peer_up = true;

    serve(t); /* work may have arrived before the thread started */
    for (;;) {
        struct pollfd fds[4] = { { t->host->stop_fd, POLLIN, 0 }, { t->peer_efd, POLLIN, 0 },
                                 { t->sock, POLLIN, 0 }, { t->wake_efd, POLLIN, 0 } };
        unsigned n = 2;

        if (peer_up)
            n = 3;
        if (t->wake_efd >= 0) {
            fds[n] = fds[3];
            n++;
        }
        if (poll(fds, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[0].revents)
            break;
        for (unsigned i = 1; i < n; i++)
            if (fds[i].revents && fds[i].fd != t->sock)
                drain(fds[i].fd);
        if (peer_up && fds[2].revents) {
            /* The peer never writes after the handshake: this is its exit. */
            pthread_mutex_lock(&t->host->dev_lock);
            t->peer_gone(t->ctx);
            pthread_mutex_unlock(&t->host->dev_lock);
            peer_up = false;
            continue;
        }
        serve(t);
    }
    return NULL;
}

int link_thread_start(struct link_thread *t, char *err, size_t errlen)
{
    int e = pthread_create(&t->thread, NULL, run, t);

    if (e != 0) {
        snprintf(err, errlen, "cannot start the service thread for %s: %s", t->name, strerror(e));
        return -1;
    }
    t->started = true;
    return 0;
}

void link_thread_join(struct link_thread *t)
{
    if (t->started)
        pthread_join(t->thread, NULL);
    t->started = false;
}
