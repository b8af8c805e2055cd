/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hosted virtio-net backend: a Linux tap device (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR). Guest frames
 * are written to the tap from the vCPU that notified; a receive thread per device reads the tap
 * and delivers frames under the host's device lock, holding one frame while the guest has no
 * receive buffers (the tap's own queue absorbs, then drops, the rest).
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
#include <svmm/virtio_net.h>
#include "kvm.h"

struct net_tap {
    struct virtio_net net; /* the device, attached to a virtio slot by the caller */
    char ifname[16];
    int fd, wake_fd;
    struct kvm_host *host;
    pthread_t thread;
    bool started;
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

/* Start the receive thread (after kvm_host_start); it ends when the VM stops. */
int net_tap_start(struct net_tap *t, struct kvm_host *h, char *err, size_t errlen);

/* Wait for the receive thread (after the vCPUs), close the tap and log the device's counters. */
void net_tap_join(struct net_tap *t);

#endif
