/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hosted VM-to-VM vsock (--vsock ...,peer=CID:SOCKPATH): one vsock_link per peer VM, carried by
 * netq_shm (sealed memfds + eventfds handed over a Unix socket, as for `svmm switch`).
 *
 * Rendezvous: both VMMs name the same SOCKPATH for their pair. The one whose guest has the lower
 * CID listens there (socket mode 0600, peer uid checked) and creates the link's memory, as
 * `svmm switch` does for a port; the other connects, retrying every 100 ms until the listener is
 * up, so the two can start in either order. The hello names the pair ("v<lo>-<hi>", CIDs in hex),
 * so a VMM configured for another pair is refused. Until the link is up, and after the peer VMM
 * has gone (its socket hung up), the guest's packets to that CID are answered with RST. A link
 * comes up once per run: a peer that restarts is not reconnected.
 *
 * One thread serves every peer: accepts, connection retries, the peers' eventfds (virtio-vsock's
 * virtio_vsock_links_notified under the host's device lock) and hangups.
 */
#ifndef SVMM_KVM_VSOCK_PEERS_H
#define SVMM_KVM_VSOCK_PEERS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <svmm/vsock_link.h>
#include "cli.h"
#include "kvm.h"
#include "netq_shm.h"

struct vsock_peer {
    struct vsock_link link;  /* registered with the device from the start; up once connected */
    struct netq_shm_link shm;
    char path[108];          /* sun_path */
    bool listener;           /* our guest's CID is the lower one */
    int listen_fd, sock;     /* sock: the rendezvous connection, kept for its hangup */
    int in_fd, out_fd;       /* eventfds: the peer signals in_fd, we signal out_fd */
    bool gone;               /* the peer VMM hung up: the link is down for good */
};

struct vsock_peers {
    struct virtio_vsock *dev;
    uint64_t cid;
    unsigned n;
    struct vsock_peer peers[SVMM_CLI_MAX_VSOCK_PEERS];
    struct kvm_host *host;
    pthread_t thread;
    bool started;
};

/*
 * Register a link to each peer of `vs` with device `dev` (guest CID vs->cid), and listen on the
 * socket of each peer whose CID is higher than ours (an existing socket there is replaced). -1 + err.
 */
int vsock_peers_open(struct vsock_peers *p, struct virtio_vsock *dev, const struct svmm_cli_vsock *vs, char *err,
                     size_t errlen);

/* Start the peers' thread (after kvm_host_start); it ends when the VM stops. */
int vsock_peers_start(struct vsock_peers *p, struct kvm_host *h, char *err, size_t errlen);

/* Wait for the thread, log each link's counters, unmap and close everything, remove our sockets. */
void vsock_peers_join(struct vsock_peers *p);

#endif
