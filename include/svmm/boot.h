/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Booting Linux: arm64 Image header validation and placement of kernel, initrd and DTB in guest RAM
 * (Documentation/arch/arm64/booting.rst rules: 2 MiB-aligned base + text_offset, DTB 8-byte aligned
 * and not crossing a 2 MiB boundary).
 */
#ifndef SVMM_BOOT_H
#define SVMM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#define SVMM_ARM64_IMAGE_MAGIC 0x644d5241u /* "ARM\x64" little-endian */
#define SVMM_ARM64_HEADER_SIZE 64u /* bytes of the arm64 Image header */
#define SVMM_SZ_2M 0x200000ull    /* 2 MiB: the kernel's base alignment */
#define SVMM_DTB_MAX 0x10000ull /* space reserved for the generated DTB */

/* What svmm_arm64_image_parse() found in an arm64 Image header. */
struct svmm_arm64_image {
    uint64_t text_offset; /* load offset from a 2 MiB-aligned base */
    uint64_t image_size;  /* bytes the kernel occupies once running (incl. BSS), >= file size */
    uint64_t flags;       /* header flags (bit 0: big-endian kernel; page size; placement) */
};

/* Results of svmm_arm64_image_parse(): 0, or why the file is not a bootable Image. */
enum svmm_image_err {
    SVMM_IMAGE_OK = 0,
    SVMM_IMAGE_E_SHORT = -1,     /* smaller than the 64-byte header */
    SVMM_IMAGE_E_MAGIC = -2,     /* no "ARM\x64" magic: not an arm64 Image (maybe compressed?) */
    SVMM_IMAGE_E_BIG_ENDIAN = -3,/* big-endian kernel: svmm boots little-endian guests only */
    SVMM_IMAGE_E_SIZE = -4,      /* header image_size smaller than the file, or absurd text_offset */
    SVMM_IMAGE_E_GZIP = -5,      /* gzip data: the user should decompress (vmlinuz -> Image) */
};

/* Validate the header of a kernel file held in `buf` (`len` bytes) and fill `out`. */
int svmm_arm64_image_parse(const void *buf, size_t len, struct svmm_arm64_image *out);

/* A one-line English reason for an svmm_image_err value. */
const char *svmm_arm64_image_strerror(int err);

/* Where each boot blob goes in guest-physical memory. */
struct svmm_boot_layout {
    uint64_t kernel_gpa;  /* also the entry point */
    uint64_t kernel_end;  /* kernel_gpa + image_size */
    uint64_t initrd_gpa;  /* 0 when there is no initrd */
    uint64_t initrd_size; /* bytes of the initrd (0: none) */
    uint64_t dtb_gpa;     /* the device tree blob (SVMM_DTB_MAX bytes reserved) */
};

/*
 * Place kernel, initrd and DTB in RAM [ram_base, ram_base+ram_size): kernel low, DTB in the last
 * 2 MiB-aligned slot, initrd page-aligned just below the DTB. Returns 0, or -1 with a message in
 * `err` (e.g. RAM too small) when they do not fit without overlap.
 */
int svmm_boot_plan(uint64_t ram_base, uint64_t ram_size, const struct svmm_arm64_image *img,
                   uint64_t initrd_size, struct svmm_boot_layout *out, char *err, size_t errlen);

struct svmm_vm_config;
/*
 * The boot layout of a VM from its configuration: a Linux Image (its header in the first `hdr_len`
 * bytes of `hdr`) placed by svmm_boot_plan, or, with cfg->raw_load_gpa, a raw binary of `kernel_len`
 * bytes at that address (entered there), the initrd and DTB placed as for Linux above it. Returns 0,
 * or -1 with the reason in `err` (a bad header, a raw binary that does not fit below the DTB).
 */
int svmm_boot_plan_for(const struct svmm_vm_config *cfg, const void *hdr, size_t hdr_len, uint64_t kernel_len,
                       uint64_t initrd_size, struct svmm_boot_layout *out, char *err, size_t errlen);

#endif
