/* SPDX-License-Identifier: BSD-2-Clause */
/* Opening Linux tap devices (shared by the virtio-net tap backend and the switch's uplink). */
#ifndef SVMM_KVM_TAP_H
#define SVMM_KVM_TAP_H

#include <stddef.h>

/*
 * Attach to the existing tap `ifname` with a VirtIO 1 virtio_net_hdr (12 bytes, little-endian) in
 * front of every frame, non-blocking. Returns the fd, or -1 with a reason (and a remedy) in err.
 */
int tap_open_vnet(const char *ifname, const char *what, char *err, size_t errlen);

#endif
