/* SPDX-License-Identifier: BSD-2-Clause */
/* The riscv64 Linux Image header (Documentation/riscv/boot-image-header.rst). */
#include <svmm/le.h>
#include <svmm/riscv.h>

#define IMAGE_FLAG_BE (1ull << 0)
#define TEXT_OFFSET_MAX (1ull << 30) /* far above any kernel's (0x200000 for RV64): a corrupt header */

int riscv_image_parse(const void *buf, size_t len, struct svmm_arm64_image *out)
{
    const uint8_t *h = buf;

    if (len >= 2 && h[0] == 0x1f && h[1] == 0x8b)
        return SVMM_IMAGE_E_GZIP;
    if (len < RISCV_IMAGE_HEADER_SIZE)
        return SVMM_IMAGE_E_SHORT;
    /* magic2 since header version 0.2 (Linux 5.x); the 8-byte "RISCV" magic at 48 is deprecated. */
    if (le32(h + 56) != RISCV_IMAGE_MAGIC2)
        return SVMM_IMAGE_E_MAGIC;
    out->text_offset = le64(h + 8);
    out->image_size = le64(h + 16);
    out->flags = le64(h + 24);
    if (out->flags & IMAGE_FLAG_BE)
        return SVMM_IMAGE_E_BIG_ENDIAN;
    /*
     * The kernel maps itself with 2 MiB pages: its load address, a 2 MiB-aligned base plus
     * text_offset, must stay 2 MiB-aligned. image_size covers the file and the BSS.
     */
    if (out->text_offset % SVMM_SZ_2M != 0 || out->text_offset >= TEXT_OFFSET_MAX || out->image_size < len ||
        out->image_size >= (1ull << 40))
        return SVMM_IMAGE_E_SIZE;
    return SVMM_IMAGE_OK;
}

const char *riscv_image_strerror(int err)
{
    switch (err) {
    case SVMM_IMAGE_OK: return "ok";
    case SVMM_IMAGE_E_SHORT: return "file is smaller than a riscv64 Image header";
    case SVMM_IMAGE_E_MAGIC: return "no RISC-V Image magic (\"RSC\\x05\" at offset 56): not a riscv64 Image";
    case SVMM_IMAGE_E_BIG_ENDIAN: return "big-endian kernel: only little-endian guests are supported";
    case SVMM_IMAGE_E_SIZE:
        return "corrupt header: image_size smaller than the file, or text_offset not a multiple of 2 MiB";
    case SVMM_IMAGE_E_GZIP: return "gzip-compressed kernel: decompress it first (zcat Image.gz > Image)";
    default: return "unknown error";
    }
}
