/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hosted virtio-net backend: a Linux tap device (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR). Two threads
 * per device, each calling into the device under the host's device lock:
 *  - transmit: the guest's QueueNotify for the tx queue is a KVM ioeventfd, so the notifying vCPU
 *    goes straight back to the guest while this thread drains the tx ring into the tap. It then
 *    polls the ring every 100 us while frames keep coming, with the guest's notifications left
 *    off (EVENT_IDX: avail_event stays behind), and re-arms them when a poll finds less than a
 *    burst: a stream of frames costs a timer wake-up per burst, not a notification per frame (see
 *    TX_POLL_US in net_tap.c). Without an ioeventfd (KVM refused it) the vCPU that wrote
 *    QueueNotify transmits and re-arms at once, as before;
 *  - receive: reads the tap and delivers frames, holding one frame while the guest has no receive
 *    buffers (the tap's own queue absorbs, then drops, the rest).
 *
 * Offloads: with a 12-byte vnet header on the tap (TUNSETVNETHDRSZ) the guest's virtio_net_hdr
 * travels both ways unchanged. Transmit: the kernel takes checksum and TSO (and UFO; USO where the
 * kernel knows it) requests from any writer, so those are offered from the start. Receive:
 * TUNSETOFFLOAD says what this reader accepts, so it must equal the guest's GUEST_* features; the
 * receive thread sets it whenever virtio_net_rx_offloads() changes (driver start, reset), before
 * reading on. A frame read under the previous setting that the guest no longer accepts is dropped
 * by the device (counted). A descriptor without a vnet header (a socketpair in tests, a tap opened
 * without IFF_VNET_HDR) gets no offloads at all.
 */
#ifndef SVMM_KVM_NET_TAP_H
#define SVMM_KVM_NET_TAP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <svmm/virtio_mmio.h>
#include <svmm/virtio_net.h>
#include "kvm.h"

struct net_tap {
    struct virtio_net net; /* the device, attached to a virtio slot by the caller */
    char ifname[16];
    int fd, wake_fd;
    int kick_fd;            /* eventfd: the guest notified the tx queue (KVM ioeventfd) */
    struct kvm_host *host;
    struct virtio_mmio *transport; /* the device's, for notifications that bypass its registers */
    pthread_t thread, tx_thread;
    bool started, tx_started;
    uint64_t tx_wakeups;    /* transmit thread wake-ups (tx thread only; read after it is joined) */
    uint64_t tx_polls;      /* polls of the tx ring without a notification (likewise) */
    bool vnet_hdr;          /* every read and write carries a 12-byte virtio_net_hdr first */
    uint64_t rx_offloads;   /* the guest's GUEST_* features TUNSETOFFLOAD last matched */
    uint64_t tx_errors;
    uint8_t tx_hdr[12];     /* tap_send's header, under the device lock like everything it sends */
    struct virtio_net_frag tx_iov[VIRTQ_MAX_SIZE + 1];
};

/* Open tap `ifname` and initialise t->net (MAC `mac`, or the default when NULL); -1 + err. */
int net_tap_open(struct net_tap *t, const char *ifname, const uint8_t *mac, char *err, size_t errlen);

/*
 * Use `fd`, already open, as the tap: any descriptor that moves one Ethernet frame per read() and
 * writev() (a tap opened by someone else and passed in, or one end of a SOCK_SEQPACKET socketpair in
 * tests/tsan, which need no CAP_NET_ADMIN). A tap opened with IFF_VNET_HDR (TUNGETIFF tells) gets
 * offloads as above; anything else carries plain frames and offers none. It is made non-blocking;
 * `name` is used in messages. Takes ownership of fd (closed on failure, and by net_tap_join).
 * Initialises t->net; -1 + err.
 */
int net_tap_attach_fd(struct net_tap *t, int fd, const char *name, const uint8_t *mac, char *err, size_t errlen);

/*
 * Start the receive thread and the transmit thread (after kvm_host_start); they end when the VM
 * stops. `transport` is the virtio-mmio transport the device is attached to and `notify_gpa` the
 * guest address of its QueueNotify register (slot base + VIRTIO_MMIO_QUEUE_NOTIFY), on which the
 * transmit thread's ioeventfd is registered. If KVM refuses the ioeventfd, a warning says so and
 * transmit stays on the notifying vCPU.
 */
int net_tap_start(struct net_tap *t, struct kvm_host *h, struct virtio_mmio *transport, uint64_t notify_gpa,
                  char *err, size_t errlen);

/* Wait for both threads (after the vCPUs), close the tap and log the device's counters. */
void net_tap_join(struct net_tap *t);

#endif
