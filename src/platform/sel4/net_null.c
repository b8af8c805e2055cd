/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-net on seL4 before the virtual switch: a port with nothing behind it (see sel4_devices.h). */
#include <stdio.h>
#include <string.h>
#include <svmm/virtio_net.h>
#include "sel4_devices.h"
#include "sel4_vm.h"

#define MAX_NETS 4

int sel4_attach_null_net(struct svmm_vm *vm, unsigned slot, char *err, size_t errlen)
{
    static struct virtio_net nets[MAX_NETS];
    static unsigned nnets;
    static const uint8_t none[6];
    /* The description's mac:, else locally administered, "svm" in the middle, the port number last. */
    uint8_t mac[6] = { 0x02, 0x73, 0x76, 0x6d, 0x01, (uint8_t)nnets };

    if (nnets == MAX_NETS) {
        snprintf(err, errlen, "virtio slot %u: at most %u virtio-net devices per VMM on seL4", slot, MAX_NETS);
        return -1;
    }
    if (slot < SVMM_MAX_VIRTIO && memcmp(svmm_sel4_vm.net_mac[slot], none, sizeof(none)) != 0)
        memcpy(mac, svmm_sel4_vm.net_mac[slot], sizeof(mac));
    virtio_net_init(&nets[nnets], mac, &virtio_net_null_backend);
    return svmm_vm_attach_virtio(vm, slot, &nets[nnets++].dev, err, errlen);
}
