/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <string.h>
#include <svmm/arch.h>
#include <svmm/config.h>
#include <svmm/sbsa_gwdt.h>

#define UART_SIZE 0x1000ull
#define SZ_2M 0x200000ull
#define NR_SPIS 988u /* GIC SPIs are INTIDs 32..1019: SPI numbers 0..987 (a PLIC has more) */
#define VIRTIO_SLOT_MIN 0x200ull /* VIRTIO_MMIO_SIZE */

void svmm_vm_config_defaults(struct svmm_vm_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    /* The same addresses as QEMU's virt machine, so guests and tools find familiar places. */
    cfg->ram_base = 0x40000000ull;
    cfg->ram_size = 256ull << 20;
    cfg->ncpus = 1;
    cfg->layout.uart_base = 0x09000000ull;
    cfg->layout.uart_spi = 1;
    cfg->layout.virtio_base = 0x0a000000ull;
    cfg->layout.virtio_stride = 0x200ull;
    cfg->layout.virtio_spi = 16;
    cfg->layout.wdt_base = 0x09020000ull; /* QEMU virt's fw_cfg page: svmm has none */
    cfg->layout.wdt_spi = 2;
    svmm_arch_config_defaults(cfg); /* the interrupt controller */
}

struct span {
    const char *what;
    uint64_t base, size;
};

static int spans_overlap(const struct span *a, const struct span *b)
{
    return a->base < b->base + b->size && b->base < a->base + a->size;
}

/* A non-empty name ending within its array (no library call: the freestanding core imports only a few). */
static bool name_ok(const char *name, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (name[i] == '\0')
            return i > 0;
    return false;
}

/* Every span of the guest address space the configuration uses: RAM, windows, devices. */
#define MAX_SPANS (4 + SVMM_ARCH_MAX_SPANS + SVMM_MAX_EXTRA_RAM + SVMM_MAX_WINDOWS)

/*
 * Fill spans[] with what `cfg` places in the guest address space (its counts already checked);
 * returns how many, or -1 with the architecture's reason for refusing its interrupt controller.
 */
static int config_spans(const struct svmm_vm_config *cfg, struct span spans[MAX_SPANS], char *err, size_t errlen)
{
    const struct svmm_machine_layout *l = &cfg->layout;
    struct svmm_arch_span irqchip[SVMM_ARCH_MAX_SPANS];
    int nirqchip = svmm_arch_config_check(cfg, irqchip, err, errlen);
    unsigned n = 0;

    if (nirqchip < 0)
        return -1;
    spans[n++] = (struct span){ "RAM", cfg->ram_base, cfg->ram_size };
    for (unsigned i = 0; i < cfg->nextra_ram && i < SVMM_MAX_EXTRA_RAM; i++)
        spans[n++] = (struct span){ "a further RAM range", cfg->extra_ram[i].base, cfg->extra_ram[i].size };
    for (unsigned i = 0; i < cfg->nwindows && i < SVMM_MAX_WINDOWS; i++)
        spans[n++] = (struct span){ "a shared window", cfg->windows[i].base, cfg->windows[i].size };
    for (int i = 0; i < nirqchip && i < (int)SVMM_ARCH_MAX_SPANS; i++)
        spans[n++] = (struct span){ irqchip[i].what, irqchip[i].base, irqchip[i].size };
    if (l->uart_base)
        spans[n++] = (struct span){ "UART", l->uart_base, UART_SIZE };
    spans[n++] = (struct span){ "virtio-mmio slots", l->virtio_base, l->virtio_stride * SVMM_MAX_VIRTIO };
    if (cfg->watchdog_s)
        spans[n++] = (struct span){ "watchdog", l->wdt_base, SBSA_GWDT_SIZE };
    return (int)n;
}

int svmm_vm_config_validate(const struct svmm_vm_config *cfg, char *err, size_t errlen)
{
    const struct svmm_machine_layout *l = &cfg->layout;
    struct span spans[MAX_SPANS];
    int n;

    if (cfg->ncpus == 0 || cfg->ncpus > SVMM_MAX_VCPUS) {
        snprintf(err, errlen, "vCPU count %u out of range (1..%u)", cfg->ncpus, SVMM_MAX_VCPUS);
        return -1;
    }
    if (cfg->ram_size < SVMM_MIN_RAM || cfg->ram_size > SVMM_MAX_RAM) {
        snprintf(err, errlen, "RAM size %llu MiB out of range (%llu MiB..%llu GiB)",
                 (unsigned long long)(cfg->ram_size >> 20), SVMM_MIN_RAM >> 20, SVMM_MAX_RAM >> 30);
        return -1;
    }
    if (cfg->ram_base & 0xfffff) {
        snprintf(err, errlen, "RAM base 0x%llx is not 1 MiB aligned", (unsigned long long)cfg->ram_base);
        return -1;
    }
    if (cfg->raw_load_gpa && (cfg->raw_load_gpa & 0xfff || cfg->raw_load_gpa < cfg->ram_base ||
                              cfg->raw_load_gpa - cfg->ram_base >= cfg->ram_size)) {
        snprintf(err, errlen, "raw kernel load address 0x%llx is not a 4 KiB aligned address in the boot RAM "
                 "0x%llx..0x%llx", (unsigned long long)cfg->raw_load_gpa, (unsigned long long)cfg->ram_base,
                 (unsigned long long)(cfg->ram_base + cfg->ram_size));
        return -1;
    }
    if (cfg->nextra_ram > SVMM_MAX_EXTRA_RAM) {
        snprintf(err, errlen, "too many RAM ranges (%u besides the boot RAM, at most %u)", cfg->nextra_ram,
                 SVMM_MAX_EXTRA_RAM);
        return -1;
    }
    for (unsigned i = 0; i < cfg->nextra_ram; i++) {
        const struct svmm_ram_range *r = &cfg->extra_ram[i];
        if (r->size == 0 || (r->base | r->size) & (SZ_2M - 1)) {
            snprintf(err, errlen, "RAM range %u (0x%llx, %llu bytes): base and size must be non-zero multiples of 2 MiB",
                     i + 1, (unsigned long long)r->base, (unsigned long long)r->size);
            return -1;
        }
    }
    if (cfg->nwindows > SVMM_MAX_WINDOWS) {
        snprintf(err, errlen, "too many shared windows (%u, at most %u)", cfg->nwindows, SVMM_MAX_WINDOWS);
        return -1;
    }
    for (unsigned i = 0; i < cfg->nwindows; i++) {
        const struct svmm_shared_window *w = &cfg->windows[i];
        if (w->size == 0 || (w->base | w->size) & 0xfff || !name_ok(w->name, sizeof(w->name))) {
            snprintf(err, errlen, "shared window %u (0x%llx, %llu bytes): needs a name and a base and size that are "
                     "non-zero multiples of 4 KiB", i + 1, (unsigned long long)w->base, (unsigned long long)w->size);
            return -1;
        }
    }
    if (cfg->nvirtio > SVMM_MAX_VIRTIO) {
        snprintf(err, errlen, "too many virtio devices (%u, at most %u)", cfg->nvirtio, SVMM_MAX_VIRTIO);
        return -1;
    }
    if (cfg->watchdog_s > SBSA_GWDT_MAX_TIMEOUT || cfg->watchdog_boot_s > SBSA_GWDT_MAX_TIMEOUT) {
        snprintf(err, errlen, "watchdog timeout %u s (boot %u s) out of range (1..%u)", cfg->watchdog_s,
                 cfg->watchdog_boot_s, SBSA_GWDT_MAX_TIMEOUT);
        return -1;
    }
    if (l->uart_spi >= NR_SPIS || l->virtio_spi > NR_SPIS - SVMM_MAX_VIRTIO || (cfg->watchdog_s && l->wdt_spi >= NR_SPIS)) {
        snprintf(err, errlen, "device interrupt number above the GIC's SPI range");
        return -1;
    }
    /* Each slot needs a whole virtio-mmio frame; a huge stride would wrap the span below. */
    if (l->virtio_stride < VIRTIO_SLOT_MIN || l->virtio_stride > (1ull << 40) / SVMM_MAX_VIRTIO) {
        snprintf(err, errlen, "virtio slot stride 0x%llx out of range (0x%llx..0x%llx)",
                 (unsigned long long)l->virtio_stride, (unsigned long long)VIRTIO_SLOT_MIN,
                 (1ull << 40) / SVMM_MAX_VIRTIO);
        return -1;
    }
    n = config_spans(cfg, spans, err, errlen);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        if (spans[i].base + spans[i].size < spans[i].base || spans[i].base + spans[i].size > (1ull << 40)) {
            snprintf(err, errlen, "%s ends above the 40-bit guest address space", spans[i].what);
            return -1;
        }
        for (int j = 0; j < i; j++) {
            if (spans_overlap(&spans[i], &spans[j])) {
                snprintf(err, errlen, "%s overlaps %s in the guest address space", spans[i].what, spans[j].what);
                return -1;
            }
        }
    }
    if (l->uart_base && l->uart_spi >= l->virtio_spi && l->uart_spi - l->virtio_spi < SVMM_MAX_VIRTIO) {
        snprintf(err, errlen, "UART interrupt %u collides with the virtio interrupts", l->uart_spi);
        return -1;
    }
    if (cfg->watchdog_s && ((l->uart_base && l->wdt_spi == l->uart_spi) ||
                            (l->wdt_spi >= l->virtio_spi && l->wdt_spi - l->virtio_spi < SVMM_MAX_VIRTIO))) {
        snprintf(err, errlen, "watchdog interrupt %u collides with another device's", l->wdt_spi);
        return -1;
    }
    return 0;
}

int svmm_vm_config_span_free(const struct svmm_vm_config *cfg, uint64_t base, uint64_t size, char *err,
                             size_t errlen)
{
    const struct span want = { "", base, size };
    struct span spans[MAX_SPANS];
    int n = config_spans(cfg, spans, err, errlen);

    if (n < 0)
        return -1;
    if (size == 0 || base + size < base || base + size > (1ull << 40)) {
        snprintf(err, errlen, "0x%llx (%llu bytes) is not a range of the 40-bit guest address space",
                 (unsigned long long)base, (unsigned long long)size);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (spans_overlap(&want, &spans[i])) {
            snprintf(err, errlen, "0x%llx..0x%llx overlaps %s (0x%llx..0x%llx)", (unsigned long long)base,
                     (unsigned long long)(base + size), spans[i].what, (unsigned long long)spans[i].base,
                     (unsigned long long)(spans[i].base + spans[i].size));
            return -1;
        }
    }
    return 0;
}

uint32_t svmm_vm_config_max_spi(const struct svmm_vm_config *cfg)
{
    uint32_t max = 0;

    if (cfg->layout.uart_base)
        max = cfg->layout.uart_spi;
    if (cfg->nvirtio > 0 && cfg->layout.virtio_spi + cfg->nvirtio - 1 > max)
        max = cfg->layout.virtio_spi + cfg->nvirtio - 1;
    if (cfg->watchdog_s && cfg->layout.wdt_spi > max)
        max = cfg->layout.wdt_spi;
    return max;
}
