/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz VM configuration validation and guest device-tree generation (src/core/config.c,
 * src/core/guest_dt.c, src/arch/aarch64/dt.c). A config comes from the defaults with fields
 * overridden from the input; when svmm_vm_config_validate accepts it, svmm_guest_dt_build must
 * produce a DTB within SVMM_DTB_MAX, and that DTB must pass fdt_check_header and a full walk
 * of every node and property with libfdt. What validation promises is then checked in the tree:
 *   - memory, cpus, virtio slots and /chosen reflect the config;
 *   - every device `reg` range (RAM, GIC frames, UART, each virtio slot) ends inside the 40-bit
 *     guest address space and no two overlap;
 *   - every SPI in an `interrupts` property is a valid GIC SPI (< 988), and GICv2 PPI
 *     specifiers carry an 8-bit CPU mask.
 *
 * Input: u16 field mask, then for each set bit (low to high) that field's value (see fill_config;
 * bit 15 is the initrd placement for /chosen), then u16 choosing a too-small buffer size.
 */
#include <libfdt.h>
#include <svmm/config.h>
#include <svmm/guest_dt.h>
#include "fuzz.h"

#define MAX_SPI 988u
#define ADDR_LIMIT (1ull << 40)
#define MAX_RANGES 64

static uint8_t dtb[SVMM_DTB_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* An address-like value: small and aligned most of the time, anything some of the time. */
static uint64_t pick64(struct fin *f)
{
    uint8_t sel = fin_u8(f);

    switch (sel & 3) {
    case 0: return (uint64_t)fin_u16(f) << 16;
    case 1: return (uint64_t)fin_u32(f) << (sel >> 4);
    case 2: return fin_u64(f) & (ADDR_LIMIT - 1);
    default: return fin_u64(f);
    }
}

static uint32_t pick32(struct fin *f)
{
    uint8_t sel = fin_u8(f);

    return (sel & 1) ? fin_u32(f) : fin_u16(f) % 1100;
}

/* Further RAM ranges and shared windows: counts past the limits, names without a NUL, any place. */
static void fill_ranges(struct fin *f, struct svmm_vm_config *cfg)
{
    uint8_t m = fin_u8(f);

    if (m & 1u) {
        cfg->nextra_ram = fin_u8(f) % (SVMM_MAX_EXTRA_RAM + 2);
        for (unsigned i = 0; i < SVMM_MAX_EXTRA_RAM; i++)
            cfg->extra_ram[i] = (struct svmm_ram_range){ pick64(f), pick64(f) };
    }
    if (m & 2u) {
        cfg->nwindows = fin_u8(f) % (SVMM_MAX_WINDOWS + 2);
        for (unsigned i = 0; i < SVMM_MAX_WINDOWS; i++) {
            cfg->windows[i].base = pick64(f);
            cfg->windows[i].size = pick64(f);
            fin_bytes(f, cfg->windows[i].name, sizeof(cfg->windows[i].name));
        }
    }
    if (m & 4u)
        cfg->raw_load_gpa = pick64(f);
}

static void fill_config(struct fin *f, struct svmm_vm_config *cfg, struct svmm_boot_layout *boot)
{
    uint16_t mask = fin_u16(f);
    struct svmm_machine_layout *l = &cfg->layout;

    svmm_vm_config_defaults(cfg);
    snprintf(cfg->bootargs, sizeof(cfg->bootargs), "console=hvc0 earlycon");
    cfg->nvirtio = 1;
    cfg->virtio_ids[0] = 3;
    memset(boot, 0, sizeof(*boot));
    if (mask & (1u << 0)) cfg->ram_base = pick64(f);
    if (mask & (1u << 1)) cfg->ram_size = pick64(f);
    if (mask & (1u << 2)) cfg->ncpus = pick32(f) % 40;
    if (mask & (1u << 3)) cfg->layout.gic.version = (enum svmm_gic_version)(fin_u8(f) % 5);
    if (mask & (1u << 4)) l->gic.dist_base = pick64(f);
    if (mask & (1u << 5)) l->gic.redist_base = pick64(f);
    if (mask & (1u << 6)) l->gic.cpuif_base = pick64(f);
    if (mask & (1u << 7)) l->uart_base = pick64(f);
    if (mask & (1u << 8)) l->uart_spi = pick32(f);
    if (mask & (1u << 9)) l->virtio_base = pick64(f);
    if (mask & (1u << 10)) l->virtio_stride = pick64(f) >> (fin_u8(f) % 64);
    if (mask & (1u << 11)) l->virtio_spi = (fin_u8(f) & 1) ? fin_u32(f) : fin_u16(f) % 1100;
    if (mask & (1u << 12)) cfg->nvirtio = fin_u8(f) % 40;
    if (mask & (1u << 13))
        for (unsigned i = 0; i < SVMM_MAX_VIRTIO; i++)
            cfg->virtio_ids[i] = fin_u8(f);
    if (mask & (1u << 14)) {
        size_t len = fin_u16(f) % (SVMM_BOOTARGS_MAX + 64);
        if (len > SVMM_BOOTARGS_MAX - 1)
            len = SVMM_BOOTARGS_MAX - 1;
        fin_bytes(f, cfg->bootargs, len);
        cfg->bootargs[len] = '\0'; /* a C string, as the CLI and platforms produce */
    }
    if (mask & (1u << 15)) {
        boot->initrd_gpa = fin_u64(f);
        boot->initrd_size = fin_u64(f);
    }
    fill_ranges(f, cfg);
}

struct range {
    uint64_t base, size;
    bool virtio;
};

static uint32_t be32(const void *p)
{
    return fdt32_to_cpu(*(const fdt32_t *)p);
}

static uint64_t cells64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/*
 * Check one top-level node's `reg` (2+2 cells) and collect its ranges. Failures that involve a
 * virtio slot are reported as [virtio-slots]: validation checks the slots' span (stride * 32)
 * rather than where each slot ends up.
 */
static void collect_reg(const void *fdt, int node, bool virtio, struct range *r, unsigned *n)
{
    int len;
    const uint8_t *reg = fdt_getprop(fdt, node, "reg", &len);

    if (reg == NULL)
        return;
    FUZZ_CHECK(len > 0 && len % 16 == 0);
    for (int i = 0; i < len; i += 16) {
        uint64_t base = cells64(reg + i), size = cells64(reg + i + 8);
        FUZZ_CHECK(size > 0);
        if (virtio) /* inside the guest address space */
            FUZZ_CHECK_BUG("virtio-slots", base + size >= base && base + size <= ADDR_LIMIT);
        else
            FUZZ_CHECK(base + size >= base && base + size <= ADDR_LIMIT);
        FUZZ_CHECK(*n < MAX_RANGES);
        r[(*n)++] = (struct range){ base, size, virtio };
    }
}

static void check_interrupts(const void *fdt, int node, const struct svmm_vm_config *cfg)
{
    int len;
    const uint8_t *p = fdt_getprop(fdt, node, "interrupts", &len);

    if (p == NULL)
        return;
    FUZZ_CHECK(len > 0 && len % 12 == 0);
    for (int i = 0; i < len; i += 12) {
        uint32_t type = be32(p + i), num = be32(p + i + 4), flags = be32(p + i + 8);
        FUZZ_CHECK(type == 0 || type == 1);
        if (type == 0)
            FUZZ_CHECK_BUG("spi-range", num < MAX_SPI); /* a GIC SPI: INTID 32..1019 */
        else
            FUZZ_CHECK(num < 16);
        FUZZ_CHECK((flags & 0xf) == 4);
        if (cfg->layout.gic.version == SVMM_GIC_V3)
            FUZZ_CHECK(flags == 4);
        else
            FUZZ_CHECK_BUG("gicv2-cpus", (flags >> 16) == 0); /* GICv2: 8-bit CPU mask in bits 8..15 */
    }
}

static void check_dtb(const void *fdt, int size, const struct svmm_vm_config *cfg, const struct svmm_boot_layout *boot)
{
    struct range ranges[MAX_RANGES];
    unsigned nranges = 0, ncpu = 0, nvirtio = 0, nodes = 0;
    int node, depth = 0, len;
    const char *s;

    FUZZ_CHECK(fdt_check_header(fdt) == 0);
    FUZZ_CHECK((int)fdt_totalsize(fdt) == size);
    /* fdt_next_node leaves the tree with depth -1 after the root's end, or fails with NOTFOUND. */
    for (node = 0; node >= 0 && depth >= 0; node = fdt_next_node(fdt, node, &depth)) {
        const char *name = fdt_get_name(fdt, node, &len);
        int prop;

        FUZZ_CHECK(name != NULL && (int)strlen(name) == len);
        FUZZ_CHECK(depth >= 0 && depth <= 2);
        nodes++;
        fdt_for_each_property_offset(prop, fdt, node) {
            const char *pname;
            int plen;
            const void *val = fdt_getprop_by_offset(fdt, prop, &pname, &plen);
            FUZZ_CHECK(val != NULL && pname != NULL && plen >= 0);
        }
        FUZZ_CHECK(prop == -FDT_ERR_NOTFOUND);
        if (depth == 1) {
            bool virtio = !strncmp(name, "virtio_mmio@", 12);
            collect_reg(fdt, node, virtio, ranges, &nranges);
            nvirtio += virtio;
        }
        if (depth == 2 && !strncmp(name, "cpu@", 4))
            ncpu++;
        check_interrupts(fdt, node, cfg);
    }
    FUZZ_CHECK(depth == -1 || node == -FDT_ERR_NOTFOUND);
    FUZZ_CHECK(nodes >= 6);
    FUZZ_CHECK(ncpu == cfg->ncpus);
    FUZZ_CHECK(nvirtio == cfg->nvirtio);
    if (cfg->layout.gic.version == SVMM_GIC_V2)
        FUZZ_CHECK_BUG("gicv2-cpus", cfg->ncpus <= 8); /* GICv2 targets at most 8 CPUs */

    /* Validation promised a machine without overlapping devices. */
    for (unsigned i = 0; i < nranges; i++) {
        for (unsigned j = 0; j < i; j++) {
            bool disjoint = !(ranges[i].base < ranges[j].base + ranges[j].size &&
                              ranges[j].base < ranges[i].base + ranges[i].size);
            if (ranges[i].virtio || ranges[j].virtio)
                FUZZ_CHECK_BUG("virtio-slots", disjoint);
            else
                FUZZ_CHECK(disjoint);
        }
    }

    node = fdt_path_offset(fdt, "/chosen");
    FUZZ_CHECK(node >= 0);
    s = fdt_getprop(fdt, node, "bootargs", &len);
    FUZZ_CHECK(s != NULL && len == (int)strlen(cfg->bootargs) + 1 && !strcmp(s, cfg->bootargs));
    FUZZ_CHECK((fdt_getprop(fdt, node, "linux,initrd-start", NULL) != NULL) == (boot->initrd_size != 0));
    FUZZ_CHECK((fdt_getprop(fdt, node, "stdout-path", NULL) != NULL) == (cfg->layout.uart_base != 0));
    if (cfg->layout.uart_base) {
        s = fdt_getprop(fdt, node, "stdout-path", NULL);
        FUZZ_CHECK(fdt_path_offset(fdt, s) >= 0); /* points at the serial node */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fin f = fin_make(data, size);
    struct svmm_vm_config cfg;
    struct svmm_boot_layout boot;
    char err[256];
    int r;

    fill_config(&f, &cfg, &boot);
    err[0] = '\0';
    if (svmm_vm_config_validate(&cfg, err, sizeof(err)) < 0) {
        FUZZ_CHECK(err[0] != '\0');
        return 0;
    }
    memset(dtb, 0, sizeof(dtb));
    r = svmm_guest_dt_build(dtb, sizeof(dtb), &cfg, &boot);
    FUZZ_CHECK(r > 0 && (uint64_t)r <= SVMM_DTB_MAX); /* a valid config always fits */
    check_dtb(dtb, r, &cfg, &boot);
    /* Any smaller buffer (the last input bytes pick how much smaller) fails cleanly with NOSPACE. */
    {
        size_t len = (size_t)r - 1 - fin_u16(&f) % (unsigned)r;
        uint8_t *small = malloc(len ? len : 1);
        FUZZ_CHECK(small != NULL);
        FUZZ_CHECK(svmm_guest_dt_build(small, len, &cfg, &boot) == -FDT_ERR_NOSPACE);
        free(small);
    }
    return 0;
}
