/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz the arm64 Image header parser and the boot layout (src/core/boot.c). The kernel file is
 * guest-supplied in the sense that it is untrusted input to the VMM.
 *
 * Input: mode byte, RAM base (u64), RAM size (u64), initrd size (u64), then the kernel file.
 * Mode bits narrow the numbers to realistic ranges (so most inputs reach the planner):
 *   bit 0: RAM base below 2^40, 1 MiB aligned unless bit 3; bit 1: RAM size below 2^38;
 *   bit 2: initrd size below 2^28.
 * Mode bit 4: the kernel is a raw binary for a fixed address (svmm_boot_plan_for with
 * raw_load_gpa, svmm run --load-addr): a u64 address follows (below 2^40 and 4 KiB aligned with
 * bit 0), then the binary; on success it is placed exactly there, the rest as for an Image.
 * Invariants: parse results obey their documented bounds; when the planner returns 0, kernel,
 * initrd and the DTB slot lie in RAM, do not overlap, kernel is at a 2 MiB-aligned base plus
 * text_offset, the DTB is 2 MiB aligned (so its SVMM_DTB_MAX bytes never cross a 2 MiB boundary);
 * when it returns -1 it wrote a message; and it never refuses a RAM size that is clearly enough.
 */
#include <svmm/boot.h>
#include <svmm/config.h>
#include "fuzz.h"

#define LIMIT (1ull << 48)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

/*
 * A layout svmm_boot_plan accepted: kernel (`image_size` bytes at a 2 MiB-aligned base plus
 * `text_offset`), initrd and the DTB slot inside RAM, aligned, and disjoint.
 */
static void check_layout(const struct svmm_boot_layout *lp, uint64_t ram_base, uint64_t ram_size, uint64_t text_offset,
                         uint64_t image_size, uint64_t initrd)
{
    const struct svmm_boot_layout l = *lp;
    uint64_t ram_end;

    /* Success implies every value was in range, so none of the sums below wraps. */
    FUZZ_CHECK(ram_base < LIMIT && ram_size < LIMIT && image_size < LIMIT && initrd < LIMIT);
    ram_end = ram_base + ram_size;
    FUZZ_CHECK((l.kernel_gpa - text_offset) % SVMM_SZ_2M == 0);
    FUZZ_CHECK(l.kernel_gpa - text_offset >= ram_base);
    FUZZ_CHECK(l.kernel_end == l.kernel_gpa + image_size);
    FUZZ_CHECK(l.kernel_gpa >= ram_base && l.kernel_end <= ram_end);
    FUZZ_CHECK(l.dtb_gpa % SVMM_SZ_2M == 0);
    FUZZ_CHECK(l.dtb_gpa >= ram_base && l.dtb_gpa + SVMM_DTB_MAX <= ram_end);
    FUZZ_CHECK(!overlap(l.kernel_gpa, image_size, l.dtb_gpa, SVMM_DTB_MAX));
    FUZZ_CHECK(l.initrd_size == initrd);
    if (initrd == 0) {
        FUZZ_CHECK(l.initrd_gpa == 0);
    } else {
        FUZZ_CHECK(l.initrd_gpa % 0x1000 == 0);
        FUZZ_CHECK(l.initrd_gpa >= ram_base && l.initrd_gpa + initrd <= ram_end);
        FUZZ_CHECK(!overlap(l.initrd_gpa, initrd, l.kernel_gpa, image_size));
        FUZZ_CHECK(!overlap(l.initrd_gpa, initrd, l.dtb_gpa, SVMM_DTB_MAX));
    }
}

/* Mode bit 4: a raw binary at a fixed address (the rest of the input). */
static void fuzz_raw(struct fin *f, uint8_t mode, uint64_t ram_base, uint64_t ram_size, uint64_t initrd)
{
    struct svmm_vm_config cfg;
    struct svmm_boot_layout l;
    char err[256];
    int r;

    memset(&cfg, 0, sizeof(cfg));
    cfg.ram_base = ram_base;
    cfg.ram_size = ram_size;
    cfg.raw_load_gpa = fin_u64(f);
    if (mode & 1)
        cfg.raw_load_gpa &= ((1ull << 40) - 1) & ~0xfffull;
    if (cfg.raw_load_gpa == 0)
        return; /* 0 means a Linux Image: the main path's */
    err[0] = '\0';
    memset(&l, 0x5a, sizeof(l));
    r = svmm_boot_plan_for(&cfg, f->p, f->n, f->n, initrd, &l, err, sizeof(err));
    if (r != 0) {
        FUZZ_CHECK(r == -1);
        FUZZ_CHECK(err[0] != '\0' && strlen(err) < sizeof(err));
        return;
    }
    /* Exactly where it was built for, its size rounded up to pages; the rest as for an Image. */
    FUZZ_CHECK(f->n > 0 && l.kernel_gpa == cfg.raw_load_gpa);
    FUZZ_CHECK(l.kernel_end == l.kernel_gpa + ((f->n + 0xfff) & ~0xfffull));
    /* Its "text offset" is from RAM's first 2 MiB boundary (success: ram_base < LIMIT, no wrap). */
    check_layout(&l, ram_base, ram_size, l.kernel_gpa - ((ram_base + SVMM_SZ_2M - 1) & ~(SVMM_SZ_2M - 1)),
                 l.kernel_end - l.kernel_gpa, initrd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fin f = fin_make(data, size);
    uint8_t mode = fin_u8(&f);
    uint64_t ram_base = fin_u64(&f), ram_size = fin_u64(&f), initrd = fin_u64(&f), ram_end;
    struct svmm_arm64_image img;
    struct svmm_boot_layout l;
    char err[256];
    int r;

    if (mode & 1)
        ram_base &= (mode & 8) ? (1ull << 40) - 1 : ((1ull << 40) - 1) & ~0xfffffull;
    if (mode & 2)
        ram_size &= (1ull << 38) - 1;
    if (mode & 4)
        initrd &= (1ull << 28) - 1;
    if (mode & 16) {
        fuzz_raw(&f, mode, ram_base, ram_size, initrd);
        return 0;
    }

    /* The rest of the input is the kernel file (copied so ASan bounds it exactly). */
    uint8_t *kernel = malloc(f.n ? f.n : 1);
    FUZZ_CHECK(kernel != NULL);
    memcpy(kernel, f.p, f.n);
    memset(&img, 0xa5, sizeof(img));
    r = svmm_arm64_image_parse(kernel, f.n, &img);
    FUZZ_CHECK(svmm_arm64_image_strerror(r) != NULL);
    if (f.n >= 2 && kernel[0] == 0x1f && kernel[1] == 0x8b)
        FUZZ_CHECK(r == SVMM_IMAGE_E_GZIP);
    free(kernel);
    if (r != SVMM_IMAGE_OK) {
        FUZZ_CHECK(r >= SVMM_IMAGE_E_GZIP && r < 0);
        return 0;
    }
    FUZZ_CHECK(f.n >= SVMM_ARM64_HEADER_SIZE);
    FUZZ_CHECK(img.text_offset < SVMM_SZ_2M);
    FUZZ_CHECK(img.image_size >= f.n);
    FUZZ_CHECK(!(img.flags & 1));

    err[0] = '\0';
    memset(&l, 0x5a, sizeof(l));
    r = svmm_boot_plan(ram_base, ram_size, &img, initrd, &l, err, sizeof(err));
    if (r != 0) {
        FUZZ_CHECK(r == -1);
        FUZZ_CHECK(err[0] != '\0' && strlen(err) < sizeof(err));
        /* Liveness: with 8 MiB of slack beyond kernel + initrd, a layout always exists. */
        if (ram_base < LIMIT && ram_size < LIMIT && img.image_size < LIMIT && initrd < LIMIT &&
            ram_base + ram_size < LIMIT)
            FUZZ_CHECK(ram_size < img.text_offset + img.image_size + ((initrd + 0xfff) & ~0xfffull) + (8ull << 20));
        return 0;
    }
    check_layout(&l, ram_base, ram_size, img.text_offset, img.image_size, initrd);
    return 0;
}
