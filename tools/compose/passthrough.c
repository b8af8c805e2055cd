/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Passthrough devices (issue 13 part 3): board hardware given to one guest. Its MMIO is mapped 1:1
 * into the guest, its interrupts are forwarded by the VMM (the guest EOIs, the VMM acks to seL4), and
 * its node in the board's device tree (board_dtb:) is copied into the guest's. Here: the rules for a
 * description that asks for them, and the copy of each node (an FDT of its own, which the VMM's guest
 * DT code copies again at boot: src/core/guest_dt.c).
 */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compose.h"

#define DT_MAX (4u << 20)     /* a board DTB (QEMU virt dumps 1 MiB, mostly padding) */
#define FRAG_MAX 0x4000u      /* one node's copy */
#define GIC_SPI 0u            /* the GIC binding's first interrupt cell: 0 = SPI, 1 = PPI */
_Static_assert(MAX_PT <= SVMM_MAX_PASSTHROUGH, "every passthrough device's node fits the VM configuration");

/* The interrupts a VM's own emulated devices raise (UART, watchdog, its virtio slots), as INTIDs. */
static bool emulated_intid(const struct sys *s, const struct vm *v, uint32_t intid)
{
    struct svmm_vm_config cfg;

    vm_guest_config(s, v, &cfg);
    if (intid == 32 + cfg.layout.uart_spi || (cfg.watchdog_s && intid == 32 + cfg.layout.wdt_spi))
        return true;
    return intid >= 32 + cfg.layout.virtio_spi && intid < 32 + cfg.layout.virtio_spi + cfg.nvirtio;
}

void check_passthrough_vm(struct sys *s, struct vm *v, bool sel4, bool hosted)
{
    unsigned nirqs = 0;
    char f[224];

    if (v->ram_identity_line) {
        if (hosted && v->ram_identity)
            compose_error(s, v->ram_identity_line, FIELD_VM(f, v, "ram_identity"),
                          "not available hosted: svmm run's guest RAM is the host process's memory");
        if (v->ram_identity && v->ram_base_line)
            compose_error(s, v->ram_identity_line, FIELD_VM(f, v, "ram_identity"),
                          "places guest RAM itself (at its physical address): leave ram_base out");
        if (v->ram_identity && v->coloured)
            compose_error(s, v->ram_identity_line, FIELD_VM(f, v, "ram_identity"),
                          "coloured RAM is not contiguous in physical memory, so it cannot be mapped 1:1");
    }
    if (!v->npt)
        return;
    if (hosted)
        compose_error(s, v->pt_line, FIELD_VM(f, v, "passthrough"),
                      "not available hosted: svmm run has no device assignment (VFIO); passthrough works on seL4");
    if (!sel4)
        return;
    for (unsigned p = 0; p < v->npt; p++) {
        const struct passthrough *pt = &v->pt[p];
        snprintf(f, sizeof(f), "vms.%s.passthrough.%s", v->name, pt->name[0] ? pt->name : "?");
        if (!valid_name(pt->name))
            compose_error(s, pt->line, f, "a passthrough device needs a name (lower-case letters, digits, _)");
        if (pt->nmmio == 0)
            compose_error(s, pt->line, f, "no mmio: give the device's registers (mmio: [{base: ..., size: ...}])");
        if (pt->dma && !v->ram_identity)
            compose_error(s, pt->dma_line ? pt->dma_line : pt->line, f,
                          "a device that masters memory (dma: true, the default) writes where the guest's driver "
                          "says, in physical addresses: give the VM ram_identity: true (its RAM at guest-physical = "
                          "physical), or dma: false for a device that never accesses memory");
        if (pt->dt_node[0] && !s->board_dtb_line)
            compose_error(s, pt->dt_node_line, f, "dt_node: names a node of the board's device tree: give board_dtb:");
        for (unsigned q = 0; q < pt->nirqs; q++) {
            if (emulated_intid(s, v, pt->irqs[q].irq))
                compose_error(s, pt->irqs[q].line, f, "IRQ %u is one this VM's emulated devices raise (its UART, "
                              "watchdog or virtio slots, from INTID 33)", pt->irqs[q].irq);
            if (++nirqs == MAX_PT_IRQS_PER_VM + 1)
                compose_error(s, pt->irqs[q].line, f, "a VM has at most %u passthrough interrupts on seL4",
                              MAX_PT_IRQS_PER_VM);
        }
    }
}

/* The board's DTB, read once (board_dtb:). */
static void *read_board_dtb(struct sys *s)
{
    char path[PATH_MAX_LEN + 256];
    FILE *f;
    void *buf;
    size_t n;

    if (s->board_fdt)
        return s->board_fdt;
    f = fopen(resolve_path(s, s->board_dtb, path, sizeof(path)), "rb");
    if (f == NULL) {
        compose_error(s, s->board_dtb_line, "board_dtb", "cannot read '%s': %s", s->board_dtb, strerror(errno));
        return NULL;
    }
    buf = malloc(DT_MAX);
    n = buf ? fread(buf, 1, DT_MAX, f) : 0;
    fclose(f);
    if (buf == NULL || n < sizeof(struct fdt_header) || fdt_check_header(buf) != 0 || fdt_totalsize(buf) > n) {
        compose_error(s, s->board_dtb_line, "board_dtb", "'%s' is not a flattened device tree (at most %u KiB)",
                      s->board_dtb, DT_MAX >> 10);
        free(buf);
        return NULL;
    }
    return s->board_fdt = buf;
}

static uint64_t cells_value(const fdt32_t *c, int n)
{
    uint64_t x = 0;

    for (int i = 0; i < n; i++)
        x = x << 32 | fdt32_to_cpu(c[i]);
    return x;
}

/* Every reg range of the node lies in one of the device's mmio: grants (the guest may not see more). */
static void check_node_reg(struct sys *s, const struct passthrough *pt, const void *fdt, int node, const char *f)
{
    int ac = fdt_address_cells(fdt, fdt_parent_offset(fdt, node)), sc = fdt_size_cells(fdt, fdt_parent_offset(fdt, node));
    int len, step;
    const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

    if (reg == NULL || ac < 1 || ac > 2 || sc < 0 || sc > 2) {
        compose_error(s, pt->dt_node_line, f, "node %s has no reg this composer reads (#address-cells 1-2, "
                      "#size-cells 0-2)", pt->dt_node);
        return;
    }
    step = (ac + sc) * 4;
    for (int off = 0; off + step <= len; off += step) {
        uint64_t base = cells_value(reg + off / 4, ac), size = sc ? cells_value(reg + off / 4 + ac, sc) : 1;
        bool in = false;
        for (unsigned r = 0; r < pt->nmmio && !in; r++)
            in = base >= pt->mmio[r].base && size <= pt->mmio[r].size && base - pt->mmio[r].base <= pt->mmio[r].size - size;
        if (!in)
            compose_error(s, pt->dt_node_line, f, "node %s has registers at 0x%llx..0x%llx, outside the device's mmio:",
                          pt->dt_node, (unsigned long long)base, (unsigned long long)(base + size));
    }
}

/* Every interrupt of the node (GIC binding, three cells) is an SPI in the device's irqs: list. */
static void check_node_irqs(struct sys *s, const struct passthrough *pt, const void *fdt, int node, const char *f)
{
    int len;
    const fdt32_t *irq = fdt_getprop(fdt, node, "interrupts", &len);

    for (int off = 0; irq && off + 12 <= len; off += 12) {
        uint32_t kind = fdt32_to_cpu(irq[off / 4]), intid = 32 + fdt32_to_cpu(irq[off / 4 + 1]);
        bool listed = false;
        for (unsigned q = 0; q < pt->nirqs; q++)
            listed |= pt->irqs[q].irq == intid;
        if (kind != GIC_SPI)
            compose_error(s, pt->dt_node_line, f, "node %s has a per-CPU interrupt: only SPIs can be passed through",
                          pt->dt_node);
        else if (!listed)
            compose_error(s, pt->dt_node_line, f, "node %s raises INTID %u, which the device's irqs: do not give it",
                          pt->dt_node, intid);
    }
}

/* A copy of the node (name and properties) as the first child of an empty tree's root. */
static void *copy_node(struct sys *s, const struct passthrough *pt, const void *fdt, int node, const char *f)
{
    void *frag = malloc(FRAG_MAX);
    int sub, prop, len;
    const char *name;

    if (frag == NULL || fdt_create_empty_tree(frag, FRAG_MAX) != 0 ||
        (sub = fdt_add_subnode(frag, 0, fdt_get_name(fdt, node, NULL))) < 0)
        goto bad;
    fdt_for_each_property_offset(prop, fdt, node) {
        const void *val = fdt_getprop_by_offset(fdt, prop, &name, &len);
        if (val == NULL || fdt_setprop(frag, sub, name, val, len) != 0)
            goto bad;
    }
    fdt_pack(frag);
    return frag;
bad:
    compose_error(s, pt->dt_node_line, f, "node %s does not fit a copy of %u KiB", pt->dt_node, FRAG_MAX >> 10);
    free(frag);
    return NULL;
}

void plan_passthrough_nodes(struct sys *s)
{
    char f[224];

    for (unsigned i = 0; i < s->nvms; i++) {
        struct vm *v = &s->vms[i];
        for (unsigned p = 0; p < v->npt; p++) {
            struct passthrough *pt = &v->pt[p];
            const void *fdt;
            int node;
            if (!pt->dt_node[0] || (fdt = read_board_dtb(s)) == NULL)
                continue;
            snprintf(f, sizeof(f), "vms.%s.passthrough.%s.dt_node", v->name, pt->name);
            node = fdt_path_offset(fdt, pt->dt_node);
            if (node < 0) {
                compose_error(s, pt->dt_node_line, f, "no node %s in %s", pt->dt_node, s->board_dtb);
                continue;
            }
            if (fdt_first_subnode(fdt, node) >= 0)
                compose_error(s, pt->dt_node_line, f, "node %s has child nodes, which are not copied: pass a "
                              "device whose node has none", pt->dt_node);
            check_node_reg(s, pt, fdt, node, f);
            check_node_irqs(s, pt, fdt, node, f);
            pt->dt = copy_node(s, pt, fdt, node, f);
        }
    }
}
