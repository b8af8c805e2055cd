/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include <svmm/boot.h>
#include <svmm/config.h>
#include "test.h"
#include <svmm/le.h>

/* A minimal arm64 Image header as Linux writes it. */
static void make_image(uint8_t *buf, size_t len, uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
    memset(buf, 0, len);
    le_put(buf + 8, text_offset, 8);
    le_put(buf + 16, image_size, 8);
    le_put(buf + 24, flags, 8);
    memcpy(buf + 56, "ARM\x64", 4);
}

TEST(image_accepts_valid_header)
{
    uint8_t img[4096];
    struct svmm_arm64_image h;

    make_image(img, sizeof(img), 0, 0x20000, 0xa);
    CHECK_EQ(svmm_arm64_image_parse(img, sizeof(img), &h), SVMM_IMAGE_OK);
    CHECK_EQ(h.text_offset, 0);
    CHECK_EQ(h.image_size, 0x20000);
}

TEST(image_legacy_zero_size_uses_default_text_offset)
{
    uint8_t img[4096];
    struct svmm_arm64_image h;

    make_image(img, sizeof(img), 0x1234, 0, 0);
    CHECK_EQ(svmm_arm64_image_parse(img, sizeof(img), &h), SVMM_IMAGE_OK);
    CHECK_EQ(h.text_offset, 0x80000);
    CHECK_EQ(h.image_size, sizeof(img));
}

TEST(image_rejects_bad_headers)
{
    uint8_t img[4096];
    struct svmm_arm64_image h;
    const uint8_t gz[4] = { 0x1f, 0x8b, 8, 0 };

    make_image(img, sizeof(img), 0, 0x20000, 0);
    CHECK_EQ(svmm_arm64_image_parse(img, 63, &h), SVMM_IMAGE_E_SHORT);
    CHECK_EQ(svmm_arm64_image_parse(gz, sizeof(gz), &h), SVMM_IMAGE_E_GZIP);
    img[56] = 'X';
    CHECK_EQ(svmm_arm64_image_parse(img, sizeof(img), &h), SVMM_IMAGE_E_MAGIC);
    make_image(img, sizeof(img), 0, 0x20000, 1);
    CHECK_EQ(svmm_arm64_image_parse(img, sizeof(img), &h), SVMM_IMAGE_E_BIG_ENDIAN);
    make_image(img, sizeof(img), 0, 100, 0); /* image_size smaller than the file */
    CHECK_EQ(svmm_arm64_image_parse(img, sizeof(img), &h), SVMM_IMAGE_E_SIZE);
    make_image(img, sizeof(img), SVMM_SZ_2M, 0x20000, 0);
    CHECK_EQ(svmm_arm64_image_parse(img, sizeof(img), &h), SVMM_IMAGE_E_SIZE);
    CHECK(strstr(svmm_arm64_image_strerror(SVMM_IMAGE_E_MAGIC), "not an arm64 Image") != NULL);
}

TEST(boot_plan_places_blobs_per_booting_rst)
{
    struct svmm_arm64_image img = { .text_offset = 0x10000, .image_size = 30 << 20 };
    struct svmm_boot_layout b;
    char err[128];
    const uint64_t base = 0x40000000, size = 256 << 20;

    CHECK_EQ(svmm_boot_plan(base, size, &img, 10 << 20, &b, err, sizeof(err)), 0);
    CHECK_EQ(b.kernel_gpa, base + 0x10000);
    CHECK_EQ(b.kernel_end, base + 0x10000 + (30 << 20));
    CHECK_EQ(b.dtb_gpa % SVMM_SZ_2M, 0);
    CHECK(b.dtb_gpa + SVMM_DTB_MAX <= base + size);
    CHECK_EQ(b.initrd_gpa % 4096, 0);
    CHECK(b.initrd_gpa >= b.kernel_end);
    CHECK(b.initrd_gpa + b.initrd_size <= b.dtb_gpa);
}

TEST(boot_plan_aligns_unaligned_ram_base)
{
    struct svmm_arm64_image img = { .text_offset = 0, .image_size = 1 << 20 };
    struct svmm_boot_layout b;
    char err[128];

    CHECK_EQ(svmm_boot_plan(0x40100000, 64 << 20, &img, 0, &b, err, sizeof(err)), 0);
    CHECK_EQ(b.kernel_gpa, 0x40200000);
    CHECK_EQ(b.initrd_gpa, 0);
}

TEST(boot_plan_reports_memory_too_small)
{
    struct svmm_arm64_image img = { .text_offset = 0, .image_size = 30 << 20 };
    struct svmm_boot_layout b;
    char err[128];

    CHECK_EQ(svmm_boot_plan(0x40000000, 16 << 20, &img, 0, &b, err, sizeof(err)), -1);
    CHECK_STR_CONTAINS(err, "memory too small");
    CHECK_EQ(svmm_boot_plan(0x40000000, 64 << 20, &img, 40 << 20, &b, err, sizeof(err)), -1);
    CHECK_STR_CONTAINS(err, "initrd");
    CHECK_EQ(svmm_boot_plan(0x40000000, 64 << 20, &img, ~0ull, &b, err, sizeof(err)), -1);
    CHECK_EQ(svmm_boot_plan(~0ull - (1 << 20), 64 << 20, &img, 0, &b, err, sizeof(err)), -1);
}

TEST(boot_plan_for_raw_binary_at_its_address)
{
    struct svmm_vm_config cfg;
    struct svmm_boot_layout b;
    uint8_t junk[64] = { 0 }; /* no Image header: a raw binary needs none */
    char err[160];

    svmm_vm_config_defaults(&cfg); /* 256 MiB at 0x40000000 */
    CHECK_EQ(svmm_boot_plan_for(&cfg, junk, sizeof(junk), 262, 0, &b, err, sizeof(err)), -1);
    CHECK_STR_CONTAINS(err, "magic"); /* a Linux Image must have its header */
    cfg.raw_load_gpa = 0x48000000ull;
    CHECK_EQ(svmm_boot_plan_for(&cfg, junk, sizeof(junk), 262, 4096, &b, err, sizeof(err)), 0);
    CHECK_EQ(b.kernel_gpa, 0x48000000ull); /* loaded and entered where it was built for */
    CHECK_EQ(b.kernel_end, 0x48001000ull);
    CHECK_EQ(b.dtb_gpa, 0x4fe00000ull);
    CHECK(b.initrd_gpa >= b.kernel_end && b.initrd_gpa + 4096 <= b.dtb_gpa);
    cfg.raw_load_gpa = 0x4fe00000ull; /* on top of the DTB's slot: does not fit */
    CHECK_EQ(svmm_boot_plan_for(&cfg, junk, sizeof(junk), 262, 0, &b, err, sizeof(err)), -1);
    cfg.raw_load_gpa = 0x48000000ull;
    CHECK_EQ(svmm_boot_plan_for(&cfg, junk, sizeof(junk), 0, 0, &b, err, sizeof(err)), -1);
    CHECK_STR_CONTAINS(err, "empty");
}

/*
 * An address far above RAM (which svmm_vm_config_validate refuses, but the planner must not rely
 * on it): its distance from RAM wrapped the kernel's end past 2^64 and the plan "succeeded" with the
 * kernel outside RAM (found by fuzz_image's raw-binary mode).
 */
TEST(boot_plan_for_raw_binary_far_above_ram_refused)
{
    struct svmm_vm_config cfg;
    struct svmm_boot_layout b;
    uint8_t junk[64] = { 0 };
    char err[160];

    svmm_vm_config_defaults(&cfg);
    cfg.raw_load_gpa = ~0ull;
    CHECK_EQ(svmm_boot_plan_for(&cfg, junk, sizeof(junk), 125, 0, &b, err, sizeof(err)), -1);
    cfg.raw_load_gpa = 0x80000000ull; /* above the 256 MiB, no wrap: too small, as before */
    CHECK_EQ(svmm_boot_plan_for(&cfg, junk, sizeof(junk), 125, 0, &b, err, sizeof(err)), -1);
}
