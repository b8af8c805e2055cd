/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <string.h>
#include <svmm/arch.h>
#include <svmm/boot.h>
#include <svmm/config.h>
#include <svmm/le.h>

#define IMAGE_FLAG_BE (1ull << 0)
#define LEGACY_TEXT_OFFSET 0x80000ull /* kernels before 3.17 leave image_size 0 and assume this */
#define PAGE_4K 0x1000ull

int svmm_arm64_image_parse(const void *buf, size_t len, struct svmm_arm64_image *out)
{
    const uint8_t *h = buf;

    if (len >= 2 && h[0] == 0x1f && h[1] == 0x8b)
        return SVMM_IMAGE_E_GZIP;
    if (len < SVMM_ARM64_HEADER_SIZE)
        return SVMM_IMAGE_E_SHORT;
    if (le32(h + 56) != SVMM_ARM64_IMAGE_MAGIC)
        return SVMM_IMAGE_E_MAGIC;
    out->text_offset = le64(h + 8);
    out->image_size = le64(h + 16);
    out->flags = le64(h + 24);
    if (out->image_size == 0) {
        out->text_offset = LEGACY_TEXT_OFFSET;
        out->image_size = len;
    }
    if (out->flags & IMAGE_FLAG_BE)
        return SVMM_IMAGE_E_BIG_ENDIAN;
    /* text_offset must stay inside the first 2 MiB block; image_size must cover the file. */
    if (out->text_offset >= SVMM_SZ_2M || out->image_size < len)
        return SVMM_IMAGE_E_SIZE;
    return SVMM_IMAGE_OK;
}

const char *svmm_arm64_image_strerror(int err)
{
    switch (err) {
    case SVMM_IMAGE_OK: return "ok";
    case SVMM_IMAGE_E_SHORT: return "file is smaller than an arm64 Image header";
    case SVMM_IMAGE_E_MAGIC: return "no arm64 Image magic (\"ARM\\x64\" at offset 56): not an arm64 Image";
    case SVMM_IMAGE_E_BIG_ENDIAN: return "big-endian kernel: only little-endian guests are supported";
    case SVMM_IMAGE_E_SIZE: return "corrupt header: image_size smaller than the file or text_offset >= 2 MiB";
    case SVMM_IMAGE_E_GZIP: return "gzip-compressed kernel (vmlinuz): decompress it first, e.g. zcat vmlinuz > Image";
    default: return "unknown error";
    }
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
    return v & ~(a - 1);
}

int svmm_boot_plan(uint64_t ram_base, uint64_t ram_size, const struct svmm_arm64_image *img,
                   uint64_t initrd_size, struct svmm_boot_layout *out, char *err, size_t errlen)
{
    const uint64_t limit = 1ull << 48; /* keeps every sum below from overflowing */
    uint64_t ram_end, need;

    memset(out, 0, sizeof(*out));
    /* text_offset too: an Image's is below 2 MiB, but a raw binary's (svmm_boot_plan_for) is its
     * distance from RAM's first 2 MiB boundary, and must not wrap the kernel past RAM's end. */
    if (ram_base >= limit || ram_size >= limit || img->text_offset >= limit || img->image_size >= limit ||
        initrd_size >= limit) {
        snprintf(err, errlen, "boot layout values out of range");
        return -1;
    }
    ram_end = ram_base + ram_size;
    out->kernel_gpa = align_up(ram_base, SVMM_SZ_2M) + img->text_offset;
    out->kernel_end = out->kernel_gpa + img->image_size;
    out->initrd_size = initrd_size;
    need = (out->kernel_end - ram_base) + align_up(initrd_size, PAGE_4K) + 2 * SVMM_SZ_2M;
    if (ram_end < SVMM_SZ_2M || align_down(ram_end - SVMM_SZ_2M, SVMM_SZ_2M) < out->kernel_end) {
        snprintf(err, errlen, "guest memory too small: %llu MiB of RAM, the kernel alone needs about %llu MiB",
                 (unsigned long long)(ram_size >> 20), (unsigned long long)((need >> 20) + 1));
        return -1;
    }
    out->dtb_gpa = align_down(ram_end - SVMM_SZ_2M, SVMM_SZ_2M);
    if (initrd_size > 0) {
        if (out->dtb_gpa - out->kernel_end < initrd_size) {
            snprintf(err, errlen,
                     "guest memory too small: %llu MiB of RAM cannot hold kernel + initrd + DTB (need about %llu MiB)",
                     (unsigned long long)(ram_size >> 20), (unsigned long long)((need >> 20) + 1));
            return -1;
        }
        out->initrd_gpa = align_down(out->dtb_gpa - initrd_size, PAGE_4K);
        if (out->initrd_gpa < out->kernel_end) {
            snprintf(err, errlen, "guest memory too small for kernel + initrd + DTB (need about %llu MiB)",
                     (unsigned long long)((need >> 20) + 1));
            return -1;
        }
    }
    return 0;
}

int svmm_boot_plan_for(const struct svmm_vm_config *cfg, const void *hdr, size_t hdr_len, uint64_t kernel_len,
                       uint64_t initrd_size, struct svmm_boot_layout *out, char *err, size_t errlen)
{
    struct svmm_arm64_image img = { 0 };
    uint64_t off;
    int r;

    if (cfg->raw_load_gpa == 0) {
        r = svmm_arch_image_parse(hdr, hdr_len, &img);
        if (r != SVMM_IMAGE_OK) {
            snprintf(err, errlen, "%s", svmm_arch_image_strerror(r));
            return -1;
        }
        return svmm_boot_plan(cfg->ram_base, cfg->ram_size, &img, initrd_size, out, err, errlen);
    }
    /* A raw binary: as an Image whose text offset puts it at its address and whose size is its own. */
    off = cfg->raw_load_gpa - align_up(cfg->ram_base, SVMM_SZ_2M); /* validated: in the boot RAM */
    if (cfg->raw_load_gpa < align_up(cfg->ram_base, SVMM_SZ_2M) || kernel_len == 0 || kernel_len >= (1ull << 40)) {
        snprintf(err, errlen, "raw kernel of %llu bytes at 0x%llx: empty, or below the first 2 MiB boundary of RAM",
                 (unsigned long long)kernel_len, (unsigned long long)cfg->raw_load_gpa);
        return -1;
    }
    img.text_offset = off;
    img.image_size = align_up(kernel_len, PAGE_4K);
    return svmm_boot_plan(cfg->ram_base, cfg->ram_size, &img, initrd_size, out, err, errlen);
}
