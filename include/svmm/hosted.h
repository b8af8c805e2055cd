/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linux KVM only: what a hosted program that uses the high-level API (svmm/svmm.h) needs besides
 * it. Part of the hosted library ($(BUILD)/aarch64/libsvmm-kvm.a); not on seL4, where the boot
 * images are in a memory region of the protection domain.
 */
#ifndef SVMM_HOSTED_H
#define SVMM_HOSTED_H

#include <stddef.h>

/*
 * Read the whole regular file `path` (at most 1 GiB, not empty) into new pages that are then made
 * read-only: a boot image for svmm_load_linux(), which must stay valid as long as the VM. NULL
 * with a one-line reason naming `what` (e.g. "kernel") and the path in `err`.
 */
const void *svmm_read_file(const char *what, const char *path, size_t *len, char *err, size_t errlen);

#endif
