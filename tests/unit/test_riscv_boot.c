/* SPDX-License-Identifier: BSD-2-Clause */
/* riscv64: the Image header, the device tree's cpus and PLIC, the config checks. */
#include <libfdt.h>
#include <svmm/guest_dt.h>
#include <svmm/le.h>
#include <svmm/riscv.h>
#include "test.h"

static void make_image(uint8_t *buf, size_t len, uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
    memset(buf, 0, len);
    le_put(buf + 8, text_offset, 8);
    le_put(buf + 16, image_size, 8);
    le_put(buf + 24, flags, 8);
    memcpy(buf + 48, "RISCV\0\0\0", 8);
    memcpy(buf + 56, "RSC\x05", 4);
}

TEST(riscv_image_valid_and_bad)
{
    uint8_t img[4096];
    struct svmm_arm64_image h;

    make_image(img, sizeof(img), 0x200000, 0x1400000, 0);
    CHECK_EQ(riscv_image_parse(img, sizeof(img), &h), SVMM_IMAGE_OK);
    CHECK_EQ(h.text_offset, 0x200000);
    CHECK_EQ(h.image_size, 0x1400000);
    CHECK_EQ(riscv_image_parse(img, 63, &h), SVMM_IMAGE_E_SHORT);
    make_image(img, sizeof(img), 0x200000, 0x1400000, 1);
    CHECK_EQ(riscv_image_parse(img, sizeof(img), &h), SVMM_IMAGE_E_BIG_ENDIAN);
    make_image(img, sizeof(img), 0x1000, 0x1400000, 0); /* not 2 MiB aligned */
    CHECK_EQ(riscv_image_parse(img, sizeof(img), &h), SVMM_IMAGE_E_SIZE);
    make_image(img, sizeof(img), 1ull << 62, 0x1400000, 0);
    CHECK_EQ(riscv_image_parse(img, sizeof(img), &h), SVMM_IMAGE_E_SIZE);
    make_image(img, sizeof(img), 0x200000, 100, 0); /* smaller than the file */
    CHECK_EQ(riscv_image_parse(img, sizeof(img), &h), SVMM_IMAGE_E_SIZE);
    make_image(img, sizeof(img), 0x200000, 0x1400000, 0);
    memcpy(img + 56, "ARM\x64", 4); /* an arm64 Image */
    CHECK_EQ(riscv_image_parse(img, sizeof(img), &h), SVMM_IMAGE_E_MAGIC);
    img[0] = 0x1f;
    img[1] = 0x8b;
    CHECK_EQ(riscv_image_parse(img, sizeof(img), &h), SVMM_IMAGE_E_GZIP);
    CHECK_STR_CONTAINS(riscv_image_strerror(SVMM_IMAGE_E_MAGIC), "riscv64");
}

static void riscv_cfg(struct svmm_vm_config *cfg, unsigned ncpus)
{
    svmm_vm_config_defaults(cfg);
    riscv_config_defaults(cfg);
    cfg->ncpus = ncpus;
    cfg->nvirtio = 3;
}

TEST(riscv_isa_strings)
{
    struct svmm_vm_config cfg;
    char s[64];

    riscv_cfg(&cfg, 1);
    CHECK(riscv_isa_string(&cfg, s, sizeof(s)));
    CHECK(strcmp(s, "rv64imafdc") == 0);
    cfg.layout.riscv.isa |= RISCV_ISA_LETTER('h') | RISCV_ISA_LETTER('v');
    cfg.layout.riscv.isa_ext = RISCV_EXT_SSTC | RISCV_EXT_SVPBMT;
    CHECK(riscv_isa_string(&cfg, s, sizeof(s)));
    CHECK(strcmp(s, "rv64imafdcvh_sstc_svpbmt") == 0);
    CHECK(!riscv_isa_string(&cfg, s, 12)); /* too small: refused, not truncated */
    cfg.layout.riscv.isa = RISCV_ISA_LETTER('m');
    CHECK(!riscv_isa_string(&cfg, s, sizeof(s))); /* no I */
}

static const fdt32_t *prop(const void *fdt, const char *path, const char *name, int *len)
{
    int node = fdt_path_offset(fdt, path);

    return node < 0 ? NULL : fdt_getprop(fdt, node, name, len);
}

TEST(riscv_dt_cpus_and_plic)
{
    static uint8_t buf[8192];
    struct svmm_vm_config cfg;
    const fdt32_t *p;
    int len;

    riscv_cfg(&cfg, 2);
    cfg.layout.riscv.timebase_hz = 1000000;
    CHECK_EQ(fdt_create(buf, sizeof(buf)), 0);
    CHECK_EQ(fdt_finish_reservemap(buf), 0);
    CHECK_EQ(fdt_begin_node(buf, ""), 0);
    CHECK_EQ(fdt_property_u32(buf, "#address-cells", 2), 0);
    CHECK_EQ(fdt_property_u32(buf, "#size-cells", 2), 0);
    CHECK_EQ(riscv_dt_cpus(buf, &cfg), 0);
    CHECK_EQ(riscv_dt_plic(buf, &cfg), 0);
    CHECK_EQ(fdt_begin_node(buf, "serial"), 0);
    CHECK_EQ(riscv_dt_irq(buf, cfg.layout.uart_spi), 0);
    CHECK_EQ(fdt_end_node(buf), 0);
    CHECK_EQ(fdt_end_node(buf), 0);
    CHECK_EQ(fdt_finish(buf), 0);

    p = prop(buf, "/cpus", "timebase-frequency", NULL);
    CHECK(p && fdt32_to_cpu(p[0]) == 1000000);
    p = prop(buf, "/cpus/cpu@1", "reg", NULL);
    CHECK(p && fdt32_to_cpu(p[0]) == 1);
    CHECK(strcmp((const char *)prop(buf, "/cpus/cpu@0", "riscv,isa", NULL), "rv64imafdc") == 0);
    CHECK(strcmp((const char *)prop(buf, "/cpus/cpu@1/interrupt-controller", "compatible", NULL), "riscv,cpu-intc") == 0);
    p = prop(buf, "/cpus/cpu@1/interrupt-controller", "phandle", NULL);
    CHECK(p && fdt32_to_cpu(p[0]) == RISCV_DT_PHANDLE_INTC(1));
    p = prop(buf, "/plic@c000000", "interrupts-extended", &len);
    CHECK_EQ(len, 16);
    CHECK(p && fdt32_to_cpu(p[0]) == RISCV_DT_PHANDLE_INTC(0) && fdt32_to_cpu(p[1]) == RISCV_IRQ_S_EXT &&
          fdt32_to_cpu(p[2]) == RISCV_DT_PHANDLE_INTC(1) && fdt32_to_cpu(p[3]) == RISCV_IRQ_S_EXT);
    p = prop(buf, "/plic@c000000", "riscv,ndev", NULL);
    /* The highest device interrupt is virtio slot 2's: source virtio_spi + 2 + 1, rounded up to 32s. */
    CHECK(p && fdt32_to_cpu(p[0]) == riscv_plic_nsources(&cfg) - 1);
    CHECK(riscv_plic_nsources(&cfg) > riscv_plic_source(cfg.layout.virtio_spi + 2));
    p = prop(buf, "/plic@c000000", "phandle", NULL);
    CHECK(p && fdt32_to_cpu(p[0]) == SVMM_DT_PHANDLE_GIC);
    p = prop(buf, "/serial", "interrupts", &len);
    CHECK(p && len == 4 && fdt32_to_cpu(p[0]) == cfg.layout.uart_spi + 1);
}

TEST(riscv_config_checks)
{
    struct svmm_vm_config cfg;
    char err[128];

    riscv_cfg(&cfg, 2);
    CHECK_EQ(riscv_config_check(&cfg, err, sizeof(err)), 0);
    cfg.layout.riscv.plic_base = 0x0c000004;
    CHECK_EQ(riscv_config_check(&cfg, err, sizeof(err)), -1);
    riscv_cfg(&cfg, 2);
    cfg.layout.riscv.timebase_hz = 0;
    CHECK_EQ(riscv_config_check(&cfg, err, sizeof(err)), -1);
    riscv_cfg(&cfg, 2);
    cfg.layout.riscv.isa = 0;
    CHECK_EQ(riscv_config_check(&cfg, err, sizeof(err)), -1);
    riscv_cfg(&cfg, 2);
    cfg.layout.virtio_spi = 2000;
    CHECK_EQ(riscv_config_check(&cfg, err, sizeof(err)), -1);
    CHECK_STR_CONTAINS(err, "PLIC");
}
