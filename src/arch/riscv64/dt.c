/* SPDX-License-Identifier: BSD-2-Clause */
/* riscv64 parts of the guest device tree (cpus, their interrupt controllers, the PLIC) and config. */
#include <libfdt.h>
#include <stdio.h>
#include <svmm/dt_props.h>
#include <svmm/riscv.h>

#define TRY(x) do { int err_ = (x); if (err_ < 0) return err_; } while (0)

/* The canonical order of single-letter extensions (ISA manual, "ISA Extension Naming Conventions"). */
static const char letter_order[] = "imafdqlcbkjtpvh";

static const struct {
    uint32_t flag;
    const char *name;
} multi_ext[] = {
    { RISCV_EXT_SSTC, "sstc" },
    { RISCV_EXT_SVINVAL, "svinval" },
    { RISCV_EXT_SVPBMT, "svpbmt" },
    { RISCV_EXT_ZIHINTPAUSE, "zihintpause" },
};

void riscv_config_defaults(struct svmm_vm_config *cfg)
{
    cfg->layout.riscv.plic_base = RISCV_PLIC_BASE_DEFAULT;
    cfg->layout.riscv.timebase_hz = RISCV_TIMEBASE_DEFAULT;
    cfg->layout.riscv.isa = RISCV_ISA_DEFAULT;
    cfg->layout.riscv.isa_ext = 0;
}

unsigned riscv_plic_nsources(const struct svmm_vm_config *cfg)
{
    unsigned n = riscv_plic_source(svmm_vm_config_max_spi(cfg)) + 1;

    n = (n + 31) / 32 * 32;
    return n > RISCV_PLIC_MAX_SOURCES ? RISCV_PLIC_MAX_SOURCES : n;
}

int riscv_config_check(const struct svmm_vm_config *cfg, char *err, size_t errlen)
{
    const struct svmm_riscv_config *r = &cfg->layout.riscv;

    if (r->plic_base & 0xfff || r->plic_base == 0) {
        snprintf(err, errlen, "PLIC base 0x%llx is not a non-zero 4 KiB aligned address", (unsigned long long)r->plic_base);
        return -1;
    }
    if (!(r->isa & RISCV_ISA_LETTER('i')) || r->timebase_hz == 0) {
        snprintf(err, errlen, "the vCPUs lack the base integer ISA (I) or a timebase frequency");
        return -1;
    }
    if (riscv_plic_source(svmm_vm_config_max_spi(cfg)) >= RISCV_PLIC_MAX_SOURCES) {
        snprintf(err, errlen, "device interrupt number above the PLIC's %u sources", RISCV_PLIC_MAX_SOURCES - 1);
        return -1;
    }
    return 0;
}

bool riscv_isa_string(const struct svmm_vm_config *cfg, char *buf, size_t len)
{
    const struct svmm_riscv_config *r = &cfg->layout.riscv;
    size_t n = 0;
    int w;

    if (!(r->isa & RISCV_ISA_LETTER('i')) || len < 6)
        return false;
    w = snprintf(buf, len, "rv64");
    n = (size_t)w;
    for (const char *c = letter_order; *c; c++) {
        if (!(r->isa & RISCV_ISA_LETTER(*c)))
            continue;
        if (n + 1 >= len)
            return false;
        buf[n++] = *c;
        buf[n] = '\0';
    }
    for (size_t i = 0; i < sizeof(multi_ext) / sizeof(multi_ext[0]); i++) {
        if (!(r->isa_ext & multi_ext[i].flag))
            continue;
        w = snprintf(buf + n, len - n, "_%s", multi_ext[i].name);
        if (w < 0 || (size_t)w >= len - n)
            return false;
        n += (size_t)w;
    }
    return true;
}

int riscv_dt_cpus(void *fdt, const struct svmm_vm_config *cfg)
{
    char isa[96];

    if (!riscv_isa_string(cfg, isa, sizeof(isa)))
        return -FDT_ERR_BADVALUE;
    TRY(fdt_begin_node(fdt, "cpus"));
    TRY(fdt_property_u32(fdt, "#address-cells", 1));
    TRY(fdt_property_u32(fdt, "#size-cells", 0));
    TRY(fdt_property_u32(fdt, "timebase-frequency", cfg->layout.riscv.timebase_hz));
    for (unsigned i = 0; i < cfg->ncpus && i < SVMM_MAX_VCPUS; i++) {
        char name[16];
        snprintf(name, sizeof(name), "cpu@%u", i);
        TRY(fdt_begin_node(fdt, name));
        TRY(fdt_property_string(fdt, "device_type", "cpu"));
        TRY(fdt_property_u32(fdt, "reg", i)); /* the hart id the platform gives vCPU i */
        TRY(fdt_property_string(fdt, "status", "okay"));
        TRY(fdt_property_string(fdt, "compatible", "riscv"));
        TRY(fdt_property_string(fdt, "riscv,isa", isa));
        /* Linux probes the satp modes itself; this names the widest one KVM guests get on QEMU. */
        TRY(fdt_property_string(fdt, "mmu-type", "riscv,sv48"));
        TRY(fdt_begin_node(fdt, "interrupt-controller"));
        TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
        TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
        TRY(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
        TRY(fdt_property_u32(fdt, "phandle", RISCV_DT_PHANDLE_INTC(i)));
        /*
         * The root's interrupt-parent is the PLIC (machine/guest_dt.c, for the devices); a hart's
         * controller is the root of its tree: pointing at itself says so (Linux's of_irq_init).
         */
        TRY(fdt_property_u32(fdt, "interrupt-parent", RISCV_DT_PHANDLE_INTC(i)));
        TRY(fdt_end_node(fdt));
        TRY(fdt_end_node(fdt));
    }
    return fdt_end_node(fdt);
}

int riscv_dt_plic(void *fdt, const struct svmm_vm_config *cfg)
{
    static const char compat[] = "sifive,plic-1.0.0\0riscv,plic0";
    uint64_t reg[2] = { cfg->layout.riscv.plic_base, RISCV_PLIC_SIZE };
    fdt32_t ext[2 * SVMM_MAX_VCPUS];
    char name[32];
    unsigned n = cfg->ncpus < SVMM_MAX_VCPUS ? cfg->ncpus : SVMM_MAX_VCPUS;

    /* Context i is hart i's S-mode external interrupt: the guest has no M-mode contexts. */
    for (unsigned i = 0; i < n; i++) {
        ext[2 * i] = cpu_to_fdt32(RISCV_DT_PHANDLE_INTC(i));
        ext[2 * i + 1] = cpu_to_fdt32(RISCV_IRQ_S_EXT);
    }
    snprintf(name, sizeof(name), "plic@%llx", (unsigned long long)reg[0]);
    TRY(fdt_begin_node(fdt, name));
    TRY(fdt_property(fdt, "compatible", compat, sizeof(compat)));
    TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
    TRY(fdt_property_u32(fdt, "#address-cells", 0));
    TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
    TRY(svmm_dt_prop_reg(fdt, reg, 1));
    TRY(fdt_property_u32(fdt, "riscv,ndev", riscv_plic_nsources(cfg) - 1));
    TRY(fdt_property(fdt, "interrupts-extended", ext, (int)(2 * n * sizeof(ext[0]))));
    TRY(fdt_property_u32(fdt, "phandle", SVMM_DT_PHANDLE_GIC));
    /* Not its own parent (the root's default): it is initialised after the hart controllers. */
    TRY(fdt_property_u32(fdt, "interrupt-parent", RISCV_DT_PHANDLE_INTC(0)));
    return fdt_end_node(fdt);
}

int riscv_dt_irq(void *fdt, uint32_t spi)
{
    return fdt_property_u32(fdt, "interrupts", riscv_plic_source(spi));
}
