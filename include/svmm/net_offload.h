/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Software fallbacks for virtio-net offloads, for a component that must hand an offloaded frame to
 * a receiver that did not negotiate the offload (the virtual switch, between two VMs whose guests
 * accept different features): complete a partial checksum, or cut a TCP segmentation-offload frame
 * into MSS-sized frames with their IP and TCP headers and checksums fixed up.
 *
 * Input frames come from a peer: every length and header field is checked against the frame before
 * use; a frame that cannot be handled (not Ethernet + IPv4/IPv6 + TCP, IPv6 extension headers, IP
 * options pushing the headers past the frame, a checksum field outside the frame) is refused.
 * The functions work on private memory: callers copy a frame out of shared memory first.
 */
#ifndef SVMM_NET_OFFLOAD_H
#define SVMM_NET_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <svmm/virtio_net.h>

/*
 * Complete a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM): the one's-complement sum from
 * csum_start to the end of the frame, folded with the value already at csum_start + csum_offset (the
 * pseudo-header sum the sender left there), stored there. 0, or -1 if the field is outside the frame.
 */
int net_offload_csum(uint8_t *frame, size_t len, uint16_t csum_start, uint16_t csum_offset);

/* Segmentation of one TCP GSO frame, as an iterator over the frames it becomes. */
struct net_tso {
    const uint8_t *frame; /* the frame being segmented (headers and whole payload) */
    size_t len; /* its length in bytes */
    size_t l3, l4, hdrs;  /* offsets: IP header, TCP header, payload */
    bool ipv6; /* TCPv6 (else TCPv4) */
    uint16_t mss; /* payload bytes per segment (the header's gso_size) */
    size_t next;          /* payload offset of the next segment */
    unsigned index;       /* segments produced */
};

/*
 * Prepare to segment `frame` (`len` bytes, without virtio header) whose header asks for TCPv4 or
 * TCPv6 segmentation with MSS h->gso_size. The frame stays where it is and must not change while
 * the iterator runs. 0, or -1 when the frame cannot be segmented (see above).
 */
int net_tso_init(struct net_tso *t, const uint8_t *frame, size_t len, const struct virtio_net_hdr *h);

/*
 * Write the next segment, a complete frame with correct IP and TCP checksums, into `out` (room for
 * `cap` bytes). Returns its length, or 0 when every segment has been produced (or `cap` is too
 * small for one: the rest is dropped).
 */
size_t net_tso_next(struct net_tso *t, uint8_t *out, size_t cap);

#endif
