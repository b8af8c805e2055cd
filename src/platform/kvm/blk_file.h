/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-blk backend for the KVM platform: a raw image file (or block device), served by worker threads. */
#ifndef SVMM_KVM_BLK_FILE_H
#define SVMM_KVM_BLK_FILE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <svmm/virtio_blk.h>

struct blk_file;

/*
 * Open `path` (read-only when `ro`) and create device `dev` for it, initialised and in reset
 * state, ready for svmm_vm_attach_virtio(). Completions take `dev_lock` (the platform's device
 * lock) and raise the device's interrupt from a worker thread. Returns NULL with a one-line
 * reason in err (missing file, a directory, not a whole number of sectors is fine: rounded down).
 */
struct blk_file *blk_file_open(const char *path, bool ro, struct virtio_blk *dev, pthread_mutex_t *dev_lock,
                               char *err, size_t errlen);

/* The serial of a RAM disk, as the seL4 VMM's RAM disk (src/platform/sel4/blk_ramdisk.c) gives it. */
#define BLK_RAM_SERIAL "svmm-ramdisk"

/*
 * A RAM disk of `size` bytes (a multiple of 512), zeroed, in anonymous shared memory (memfd) that
 * lives as long as the process: otherwise as blk_file_open, serial BLK_RAM_SERIAL.
 */
struct blk_file *blk_file_open_ram(uint64_t size, struct virtio_blk *dev, pthread_mutex_t *dev_lock, char *err,
                                   size_t errlen);

/* Stop the workers (waiting for running requests) and close the file. */
void blk_file_close(struct blk_file *f);

#endif
