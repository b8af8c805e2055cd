/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-blk backend on seL4: a RAM disk, a memory region of the system mapped into the VMM. */
#include <stdio.h>
#include <string.h>
#include <svmm/log.h>
#include <svmm/virtio_blk.h>
#include "sel4_devices.h"

/* Patched in by the Microkit tool from <map mr="ramdisk" setvar_vaddr=... setvar_size=...>. */
uintptr_t ramdisk_vaddr;
uint64_t ramdisk_size;

static struct virtio_blk *ramdisk_dev;

/* Synchronous: the device already checked that every range lies inside the disk. */
static void ramdisk_submit(void *ctx, const struct blk_request *r)
{
    uint8_t *disk = (uint8_t *)ramdisk_vaddr;
    uint64_t off = r->offset;

    (void)ctx;
    switch (r->op) {
    case BLK_OP_READ:
    case BLK_OP_WRITE:
        for (unsigned i = 0; i < r->niov; i++) {
            if (r->op == BLK_OP_READ)
                memcpy(r->iov[i].base, disk + off, r->iov[i].len);
            else
                memcpy(disk + off, r->iov[i].base, r->iov[i].len);
            off += r->iov[i].len;
        }
        break;
    case BLK_OP_WRITE_ZEROES:
        for (unsigned i = 0; i < r->nranges; i++)
            memset(disk + r->ranges[i].offset, 0, r->ranges[i].len);
        break;
    case BLK_OP_FLUSH:   /* RAM: nothing is cached */
    case BLK_OP_DISCARD: /* a hint; the data may stay */
        break;
    }
    virtio_blk_complete(ramdisk_dev, r->tag, VIRTIO_BLK_S_OK);
}

static const struct virtio_blk_backend_ops ramdisk_ops = { .submit = ramdisk_submit, .cancel = NULL };

int sel4_attach_ramdisk(struct svmm_vm *vm, unsigned slot, char *err, size_t errlen)
{
    static struct virtio_blk dev_state;
    struct virtio_blk *dev = &dev_state;
    struct virtio_blk_backend be = {
        .ops = &ramdisk_ops, .capacity = ramdisk_size, .discard = true, .write_zeroes = true,
        .zeroes_may_unmap = false, .id = "svmm-ramdisk",
    };

    if (ramdisk_vaddr == 0 || ramdisk_size < VIRTIO_BLK_SECTOR) {
        snprintf(err, errlen, "virtio-blk: the system maps no \"ramdisk\" memory region into this VMM");
        return -1;
    }
    if (ramdisk_dev != NULL) {
        snprintf(err, errlen, "virtio-blk: one RAM disk per VMM");
        return -1;
    }
    ramdisk_dev = dev;
    virtio_blk_init(dev, &be);
    svmm_info("virtio-blk: RAM disk of %llu MiB", (unsigned long long)(ramdisk_size >> 20));
    return svmm_vm_attach_virtio(vm, slot, &dev->dev, err, errlen);
}
