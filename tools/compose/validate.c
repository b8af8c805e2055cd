/* SPDX-License-Identifier: BSD-2-Clause */
/* Check a parsed system against the board and svmm's limits, and plan its physical layout. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <svmm/boot.h>
#include <svmm/riscv.h>
#include <svmm/sbsa_gwdt.h>
#include <svmm/virtio.h>
#include "compose.h"

#define SWITCH_MAX_PORTS 16u /* VSWITCH_MAX_PORTS */

#define SZ_2M 0x200000ull
#define GUEST_UART_SIZE 0x1000ull
#define MIB(x) ((unsigned long long)((x) >> 20))
#define FIELD(buf, ...) (snprintf(buf, sizeof(buf), __VA_ARGS__), buf)
#define SEL4_MAX_NETS 4     /* src/platform/sel4/net_null.c */
#define HOSTED_MAX_DISKS 8  /* svmm run --disk: SVMM_CLI_MAX_DISKS (src/platform/kvm/cli.h) */

/*
 * Board facts. qemu_virt_aarch64 as Microkit 2.0.1 describes it (platform_gen.json): seL4 manages RAM
 * 0x60000000..0xc0000000; 0x40000000..0x60000000 is outside seL4's RAM, and the part from 0x48000000
 * is where QEMU's loader places boot images (the Microkit loader itself goes to 0x70000000, in RAM).
 * QEMU runs it with -smp 4 for SMP kernels. The Microkit tool allocates all large-page memory regions
 * (guest RAM, pools) from one untyped of at most 512 MiB, so that is the guest RAM budget.
 */
static const struct board boards[] = {
    {
        .name = "qemu_virt_aarch64",
        .ram_base = 0x60000000ull, .ram_size = 0x60000000ull,
        .guest_ram = 512ull << 20,
        .pcpus = 4,
        .images_base = 0x48000000ull, .images_end = 0x60000000ull,
        .uart_phys = 0x09000000ull, .uart_irq = 33,
        .gic_vcpu_phys = 0x08040000ull,
        .num_lrs = 4,
        .ptimer_irq = 30, /* KernelArmExportPTMRUser; the kernel itself uses the hypervisor timer */
    },
    {
        /* QEMU's riscv64 virt machine with KVM inside (tests/machine/riscv.sh): svmm hosted only. */
        .name = "qemu_virt_riscv64",
        .guest_ram = 1ull << 30,
        .pcpus = 2,
        .riscv = true,
    },
};

const struct board *board_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof(boards) / sizeof(boards[0]); i++)
        if (!strcmp(boards[i].name, name))
            return &boards[i];
    return NULL;
}

const char *dev_type_name(enum dev_type t)
{
    static const char *const names[] = { "console", "blk", "net", "rng", "vsock" };
    return names[t];
}

void compose_error(struct sys *s, int line, const char *field, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s:%d: %s: ", s->file, line, field);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    s->errors++;
}

const char *resolve_path(const struct sys *s, const char *path, char *buf, size_t len)
{
    if (path[0] == '/' || s->root == NULL || !strcmp(s->root, "."))
        snprintf(buf, len, "%s", path);
    else
        snprintf(buf, len, "%s/%s", s->root, path);
    return buf;
}

uint64_t align2m(uint64_t x)
{
    return (x + SZ_2M - 1) & ~(SZ_2M - 1);
}

bool valid_name(const char *n)
{
    if (!(n[0] >= 'a' && n[0] <= 'z'))
        return false;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= '0' && *n <= '9') || *n == '_'))
            return false;
    return true;
}

/* Size of an image file (and, for kernels, a valid Image header for the board's architecture); false after an error. */
static bool check_file(struct sys *s, struct image_file *img, const char *field, bool kernel)
{
    char path[PATH_MAX_LEN + 256];
    unsigned char hdr[SVMM_ARM64_HEADER_SIZE];
    struct svmm_arm64_image info;
    FILE *f;
    size_t n;
    int err;

    f = fopen(resolve_path(s, img->path, path, sizeof(path)), "rb");
    if (f == NULL) {
        compose_error(s, img->line, field, "cannot read '%s': %s", img->path, strerror(errno));
        return false;
    }
    n = fread(hdr, 1, sizeof(hdr), f);
    fseek(f, 0, SEEK_END);
    img->size = (uint64_t)ftell(f);
    fclose(f);
    if (kernel && s->board->riscv && (err = riscv_image_parse(hdr, n, &info)) != SVMM_IMAGE_OK) {
        compose_error(s, img->line, field, "'%s': %s", img->path, riscv_image_strerror(err));
        return false;
    }
    if (kernel && !s->board->riscv && (err = svmm_arm64_image_parse(hdr, n, &info)) != SVMM_IMAGE_OK) {
        compose_error(s, img->line, field, "'%s': %s", img->path, svmm_arm64_image_strerror(err));
        return false;
    }
    return true;
}

struct span {
    const char *what;
    uint64_t base, size;
    int line;
    char field[96];
};

static bool overlap(const struct span *a, const struct span *b)
{
    return a->base < b->base + b->size && b->base < a->base + a->size;
}

static void check_vm_layout(struct sys *s, struct vm *v)
{
    struct svmm_vm_config cfg;
    struct span sp[8 + SVMM_MAX_EXTRA_RAM + SVMM_MAX_WINDOWS + MAX_PT * MAX_PT_MMIO];
    unsigned n = 0;

    vm_guest_config(s, v, &cfg);
    sp[n++] = (struct span){ "guest RAM", v->ram_base, v->ram, v->ram_base_line ? v->ram_base_line : v->ram_line, "" };
    snprintf(sp[0].field, sizeof(sp[0].field), "vms.%s.%s", v->name, v->ram_base_line ? "ram_base" : "ram");
    for (unsigned w = 0; w < cfg.nwindows; w++)
        sp[n++] = (struct span){ "a shared window", cfg.windows[w].base, cfg.windows[w].size, s->windows_line, "shared_windows" };
    for (unsigned r = 0; r < v->nram_ranges; r++) {
        struct span *x = &sp[n++];
        *x = (struct span){ "a RAM range", v->ram_ranges[r].base, v->ram_ranges[r].size, v->ram_ranges_line, "" };
        snprintf(x->field, sizeof(x->field), "vms.%s.ram_ranges[%u]", v->name, r);
    }
    sp[n++] = (struct span){ "the GIC distributor", cfg.layout.gic.dist_base, SVMM_GICD_SIZE, 0, "" };
    if (s->gic == 3)
        sp[n++] = (struct span){ "the GIC redistributors", cfg.layout.gic.redist_base,
                                 SVMM_GICR_SIZE_PER_CPU * cfg.ncpus, 0, "" };
    else
        sp[n++] = (struct span){ "the GIC CPU interface", cfg.layout.gic.cpuif_base, SVMM_GICC_SIZE, 0, "" };
    sp[n++] = (struct span){ "the guest UART", cfg.layout.uart_base, GUEST_UART_SIZE, 0, "" };
    if (cfg.nvirtio) /* the slots in use: others are neither registered nor in the guest's DT */
        sp[n++] = (struct span){ "the virtio-mmio slots", cfg.layout.virtio_base,
                                 cfg.layout.virtio_stride * cfg.nvirtio, 0, "" };
    for (unsigned p = 0; p < v->npt; p++) {
        for (unsigned r = 0; r < v->pt[p].nmmio; r++) {
            struct span *x = &sp[n++];
            *x = (struct span){ "passthrough MMIO", v->pt[p].mmio[r].base, v->pt[p].mmio[r].size,
                                v->pt[p].mmio[r].line, "" };
            snprintf(x->field, sizeof(x->field), "vms.%s.passthrough.%s.mmio[%u]", v->name, v->pt[p].name, r);
        }
    }
    for (unsigned i = 0; i < n; i++) {
        if (sp[i].base + sp[i].size < sp[i].base || sp[i].base + sp[i].size > (1ull << 40))
            compose_error(s, sp[i].line ? sp[i].line : v->line, sp[i].field[0] ? sp[i].field : v->name,
                          "%s ends above the 40-bit guest address space", sp[i].what);
        for (unsigned j = 0; j < i; j++) {
            const struct span *a = &sp[i], *b = &sp[j];
            if (!overlap(a, b))
                continue;
            if (!a->line) /* report at whichever of the two the description states */
                a = &sp[j], b = &sp[i];
            compose_error(s, a->line ? a->line : v->line, a->field[0] ? a->field : v->name,
                          "%s 0x%llx..0x%llx overlaps %s 0x%llx..0x%llx in the guest address space", a->what,
                          (unsigned long long)a->base, (unsigned long long)(a->base + a->size), b->what,
                          (unsigned long long)b->base, (unsigned long long)(b->base + b->size));
            break; /* one overlap per region is enough to act on */
        }
    }
}

/* Interrupts and physical MMIO of passthrough devices: each used once, system-wide. */
static void check_passthrough(struct sys *s)
{
    struct owner { uint32_t irq; uint64_t base, size; char who[96]; int line; };
    static struct owner irqs[1 + MAX_VMS * MAX_PT * MAX_PT_IRQS], mmio[3 + MAX_VMS * MAX_PT * MAX_PT_MMIO];
    unsigned ni = 0, nm = 0;
    const struct board *b = s->board;

    irqs[ni++] = (struct owner){ .irq = b->uart_irq, .who = "the board UART (owned by the VMMs)" };
    mmio[nm++] = (struct owner){ .base = b->uart_phys, .size = 0x1000, .who = "the board UART (owned by the VMMs)" };
    mmio[nm++] = (struct owner){ .base = 0x08000000ull, .size = 0x20000, .who = "the board's GIC" };
    mmio[nm++] = (struct owner){ .base = b->gic_vcpu_phys, .size = 0x2000, .who = "the GIC virtual CPU interface" };
    for (unsigned i = 0; i < s->nvms; i++) {
        struct vm *v = &s->vms[i];
        for (unsigned p = 0; p < v->npt; p++) {
            struct passthrough *pt = &v->pt[p];
            char field[128];
            for (unsigned q = 0; q < pt->nirqs; q++) {
                struct owner *o = &irqs[ni];
                snprintf(field, sizeof(field), "vms.%s.passthrough.%s.irqs[%u]", v->name, pt->name, q);
                if (pt->irqs[q].irq < 32 || pt->irqs[q].irq > 1019) {
                    compose_error(s, pt->irqs[q].line, field, "IRQ %u is not a shared peripheral interrupt (32..1019)",
                                  pt->irqs[q].irq);
                    continue;
                }
                for (unsigned k = 0; k < ni; k++) {
                    if (irqs[k].irq != pt->irqs[q].irq)
                        continue;
                    if (irqs[k].line)
                        compose_error(s, pt->irqs[q].line, field, "IRQ %u is already used by %s (line %d)",
                                      pt->irqs[q].irq, irqs[k].who, irqs[k].line);
                    else
                        compose_error(s, pt->irqs[q].line, field, "IRQ %u is already used by %s", pt->irqs[q].irq,
                                      irqs[k].who);
                    goto next_irq;
                }
                *o = (struct owner){ .irq = pt->irqs[q].irq, .line = pt->irqs[q].line };
                snprintf(o->who, sizeof(o->who), "vms.%s.passthrough.%s", v->name, pt->name);
                ni++;
            next_irq:;
            }
            for (unsigned r = 0; r < pt->nmmio; r++) {
                struct mmio_region *m = &pt->mmio[r];
                snprintf(field, sizeof(field), "vms.%s.passthrough.%s.mmio[%u]", v->name, pt->name, r);
                if ((m->base | m->size) & 0xfff || m->size == 0) {
                    compose_error(s, m->line, field, "base and size must be non-zero multiples of 4 KiB");
                    continue;
                }
                for (unsigned k = 0; k < nm; k++) {
                    if (!(m->base < mmio[k].base + mmio[k].size && mmio[k].base < m->base + m->size))
                        continue;
                    if (mmio[k].line)
                        compose_error(s, m->line, field, "MMIO 0x%llx..0x%llx is already used by %s (line %d)",
                                      (unsigned long long)m->base, (unsigned long long)(m->base + m->size),
                                      mmio[k].who, mmio[k].line);
                    else
                        compose_error(s, m->line, field, "MMIO 0x%llx..0x%llx is already used by %s",
                                      (unsigned long long)m->base, (unsigned long long)(m->base + m->size),
                                      mmio[k].who);
                    goto next_mmio;
                }
                mmio[nm] = (struct owner){ .base = m->base, .size = m->size, .line = m->line };
                snprintf(mmio[nm].who, sizeof(mmio[nm].who), "vms.%s.passthrough.%s", v->name, pt->name);
                nm++;
            next_mmio:;
            }
        }
    }
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* "52:54:00:12:34:56" -> 6 bytes; false if it is anything else. */
static bool parse_mac(const char *str, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++, str += 3) {
        int hi = hexval(str[0]), lo = hi < 0 ? -1 : hexval(str[1]);
        if (lo < 0 || str[2] != (i == 5 ? '\0' : ':'))
            return false;
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static struct vm *find_vm(struct sys *s, const char *name)
{
    for (unsigned i = 0; i < s->nvms; i++)
        if (!strcmp(s->vms[i].name, name))
            return &s->vms[i];
    return NULL;
}

static struct blk_srv *find_bsrv(struct sys *s, const char *name)
{
    for (unsigned i = 0; i < s->nbsrvs; i++)
        if (!strcmp(s->bsrvs[i].name, name))
            return &s->bsrvs[i];
    return NULL;
}

/*
 * Partitions (of a block server or a driver VM's disk, `where` names them): valid unique names that
 * fit a client name, sizes in whole sectors laid out back to back from offset 0, inside the store
 * when its size is known (`store` bytes, else 0). Marks every partition unused.
 */
static void check_partitions(struct sys *s, struct partition *parts, unsigned nparts, const char *where, uint64_t store,
                             int store_line, const char *store_field)
{
    uint64_t end = 0;
    char f[224];

    for (unsigned p = 0; p < nparts; p++) {
        struct partition *pt = &parts[p];
        FIELD(f, "%s.partitions[%u]", where, p);
        pt->vm = pt->dev = pt->client = -1;
        if (!pt->name[0] || !valid_name(pt->name) || strlen(pt->name) > PARTITION_NAME_MAX)
            compose_error(s, pt->line, f, "a partition needs a valid name of at most %u characters", PARTITION_NAME_MAX);
        for (unsigned q = 0; q < p; q++)
            if (!strcmp(parts[q].name, pt->name))
                compose_error(s, pt->line, f, "partition '%s' is declared twice", pt->name);
        if (pt->size == 0 || pt->size % 512 || pt->size > UINT64_MAX / 2 - end)
            compose_error(s, pt->size_line ? pt->size_line : pt->line, f, "a partition's size is a non-zero multiple of 512");
        pt->offset = end;
        end += pt->size % 512 || pt->size > UINT64_MAX / 2 - end ? 0 : pt->size;
    }
    if (store && end > store)
        compose_error(s, store_line, store_field, "the partitions need %llu MiB, the RAM disk has %llu MiB",
                      MIB(end + 0xfffff), MIB(store));
}

/*
 * A driver VM's disk (blk device d of v with partitions:): a store of its own, the only such device
 * of the VM (one agent, one svmm-blk port), and a virtio console for the agent's port. On seL4 the
 * store is the RAM disk, hosted the file if there is one, else the RAM disk: the partitions must fit
 * every store whose size is known here.
 */
static void check_served_disk(struct sys *s, struct vm *v, unsigned d)
{
    struct device *dev = &v->devs[d];
    bool console = false;
    char where[96], f[160];

    snprintf(where, sizeof(where), "vms.%s.devices[%u]", v->name, d);
    FIELD(f, "%s.partitions", where);
    if (dev->server[0])
        compose_error(s, dev->parts_line, f, "a disk served by another server cannot be served on: partitions: needs "
                      "a store of this VM's own (file: or ramdisk:)");
    if (dev->nparts == 0)
        compose_error(s, dev->parts_line, f, "an empty list: give the partitions this VM serves, or leave it out");
    if (v->serve_dev >= 0)
        compose_error(s, dev->parts_line, f, "a VM serves partitions of one disk only (its agent serves one)");
    else if (!dev->server[0] && dev->nparts)
        v->serve_dev = (int)d;
    for (unsigned e = 0; e < v->ndevs; e++)
        console |= v->devs[e].type == DEV_CONSOLE;
    if (!console)
        compose_error(s, dev->parts_line, f, "a driver VM needs a console device: its agent talks to its VMM over "
                      "the virtio console's svmm-blk port");
    check_partitions(s, dev->parts, dev->nparts, where, dev->ramdisk, dev->ramdisk_line,
                     FIELD(f, "%s.ramdisk", where));
}

/* kernel_addr: a raw binary for that address must lie in the VM's RAM with its initrd and DTB above it. */
static void check_raw_kernel(struct sys *s, const struct vm *v)
{
    struct svmm_vm_config cfg;
    struct svmm_boot_layout b;
    char f[160], err[160];

    vm_guest_config(s, v, &cfg);
    if (v->kernel_addr % 4096 || v->kernel_addr < align2m(v->ram_base) || v->kernel_addr - v->ram_base >= v->ram)
        compose_error(s, v->kernel_addr_line, FIELD_VM(f, v, "kernel_addr"),
                      "0x%llx is not a 4 KiB aligned address in the VM's RAM 0x%llx..0x%llx (from its first 2 MiB "
                      "boundary)", (unsigned long long)v->kernel_addr, (unsigned long long)v->ram_base,
                      (unsigned long long)(v->ram_base + v->ram));
    else if (svmm_boot_plan_for(&cfg, NULL, 0, v->kernel.size, v->initrd.size, &b, err, sizeof(err)) < 0)
        compose_error(s, v->kernel_addr_line, FIELD_VM(f, v, "kernel_addr"), "the raw kernel at 0x%llx: %s",
                      (unsigned long long)v->kernel_addr, err);
}

static void check_vm(struct sys *s, struct vm *v)
{
    char f[160];
    unsigned nconsole = 0;

    if (v->name[0] && !valid_name(v->name))
        compose_error(s, v->line, "vms.name", "'%s' is not a valid name (lower-case letters, digits, _; a letter first)",
                      v->name);
    for (struct vm *w = s->vms; w < v; w++)
        if (!strcmp(w->name, v->name))
            compose_error(s, v->line, FIELD_VM(f, v, "name"), "a VM named '%s' already exists (line %d)", v->name,
                          w->line);
    if (v->vcpus == 0 || v->vcpus > SVMM_MAX_VCPUS)
        compose_error(s, v->vcpus_line, FIELD_VM(f, v, "vcpus"), "%u vCPUs: a VM has 1..%u (SVMM_MAX_VCPUS)", v->vcpus,
                      SVMM_MAX_VCPUS);
    if (v->npcpus && v->npcpus != v->vcpus && v->vcpus <= SVMM_MAX_VCPUS)
        compose_error(s, v->pcpus_line, FIELD_VM(f, v, "pcpus"), "%u placements for %u vCPUs (one pCPU per vCPU)",
                      v->npcpus, v->vcpus);
    for (unsigned i = 0; i < v->npcpus; i++) {
        if (s->cores && v->pcpus[i] >= s->cores) {
            char g[64];
            snprintf(g, sizeof(g), "vms.%s.pcpus[%u]", v->name, i);
            compose_error(s, v->pcpu_lines[i], g, "pCPU %u: this seL4 kernel runs on %u core%s (0..%u)", v->pcpus[i],
                          s->cores, s->cores == 1 ? "" : "s", s->cores - 1);
        } else if (v->pcpus[i] >= s->board->pcpus) {
            char g[192];
            snprintf(g, sizeof(g), "vms.%s.pcpus[%u]", v->name, i);
            compose_error(s, v->pcpu_lines[i], g, "pCPU %u does not exist (%s has pCPUs 0..%u)", v->pcpus[i],
                          s->board->name, s->board->pcpus - 1);
        }
    }
    if (!v->npcpus && v->vcpus <= SVMM_MAX_VCPUS) /* default: vCPU i on pCPU i, wrapping */
        for (v->npcpus = 0; v->npcpus < v->vcpus; v->npcpus++)
            v->pcpus[v->npcpus] = v->npcpus % (s->cores ? s->cores : s->board->pcpus);
    if (v->ram < SVMM_MIN_RAM || v->ram % SZ_2M)
        compose_error(s, v->ram_line, FIELD_VM(f, v, "ram"), "%llu bytes: guest RAM must be a multiple of 2 MiB and at least %llu MiB",
                      (unsigned long long)v->ram, MIB(SVMM_MIN_RAM));
    if (v->ram_base % SZ_2M)
        compose_error(s, v->ram_base_line, FIELD_VM(f, v, "ram_base"), "0x%llx is not 2 MiB aligned",
                      (unsigned long long)v->ram_base);
    if (v->budget_us || v->period_us) {
        if (!v->budget_us || !v->period_us || v->budget_us > v->period_us)
            compose_error(s, v->mcs_line, FIELD_VM(f, v, "budget_us"), "an MCS budget needs a period, and budget <= period");
    }
    if (v->priority > 254 || v->vmm_priority > 254)
        compose_error(s, v->line, FIELD_VM(f, v, "priority"), "seL4 priorities are 0..254");
    if (v->kernel.path[0])
        check_file(s, &v->kernel, FIELD_VM(f, v, "kernel"), v->kernel_addr == 0); /* raw binaries have no header */
    if (v->initrd.path[0])
        check_file(s, &v->initrd, FIELD_VM(f, v, "initrd"), false);
    if (v->kernel_addr && v->kernel.size)
        check_raw_kernel(s, v);
    for (unsigned d = 0; d < v->ndevs; d++) {
        struct device *dev = &v->devs[d];
        char g[192];
        if (dev->type == DEV_CONSOLE && ++nconsole > 1)
            compose_error(s, dev->line, FIELD_VM(f, v, "devices"), "a VM has at most one virtio console");
        if (dev->type == DEV_BLK) {
            snprintf(g, sizeof(g), "vms.%s.devices[%u].server", v->name, d);
            if (dev->server[0] && !find_vm(s, dev->server) && !find_bsrv(s, dev->server))
                compose_error(s, dev->server_line, g, "unknown block server or VM '%s'", dev->server);
            else if (dev->server[0] && !strcmp(dev->server, v->name))
                compose_error(s, dev->server_line, g, "a VM cannot serve its own disk");
            if (dev->server[0] ? dev->file[0] || dev->ramdisk : !dev->file[0] && !dev->ramdisk)
                compose_error(s, dev->line, FIELD_VM(f, v, "devices"),
                              "a blk device needs either server: (a block server or a driver VM) or a store of its "
                              "own: file: (hosted), ramdisk: (both platforms), or both");
            if (dev->parts_line)
                check_served_disk(s, v, d);
            if (dev->ramdisk) {
                snprintf(g, sizeof(g), "vms.%s.devices[%u].ramdisk", v->name, d);
                if (dev->ramdisk % SZ_2M)
                    compose_error(s, dev->ramdisk_line, g, "a RAM disk is a multiple of 2 MiB");
                for (unsigned e = 0; e < d; e++)
                    if (v->devs[e].type == DEV_BLK && v->devs[e].ramdisk)
                        compose_error(s, dev->ramdisk_line, g, "a VM has at most one RAM disk");
            }
        }
        if (dev->type == DEV_NET) {
            bool found = false;
            for (unsigned w = 0; w < s->nswitches; w++)
                found |= !strcmp(s->switches[w].name, dev->sw);
            snprintf(g, sizeof(g), "vms.%s.devices[%u].switch", v->name, d);
            if (dev->sw[0] && !found)
                compose_error(s, dev->sw_line, g, "unknown switch '%s' (declare it under switches:)", dev->sw);
            if (dev->mac[0]) {
                snprintf(g, sizeof(g), "vms.%s.devices[%u].mac", v->name, d);
                if (!parse_mac(dev->mac, dev->mac_bytes))
                    compose_error(s, dev->mac_line, g, "'%s' is not a MAC address (six hex pairs, e.g. 52:54:00:12:34:56)",
                                  dev->mac);
                else if (dev->mac_bytes[0] & 1)
                    compose_error(s, dev->mac_line, g, "%s is a multicast address: a NIC's own MAC must be unicast "
                                  "(first byte even)", dev->mac);
                else
                    dev->has_mac = true;
            }
        }
        if (dev->type == DEV_VSOCK && (dev->cid < 3 || dev->cid > 0xffffffffu)) {
            snprintf(g, sizeof(g), "vms.%s.devices[%u].cid", v->name, d);
            compose_error(s, dev->cid_line ? dev->cid_line : dev->line, g, "a guest CID is 3..4294967295");
        }
    }
    if (!v->ram_identity) /* else once plan_images has placed its RAM */
        check_vm_layout(s, v);
    v->passive = v->vmm_passive >= 0 ? v->vmm_passive == 1 : s->passive_vmms;
    if (v->watchdog_line) {
        /* Its deadlines are the idle timer's to watch, which signals a VMM that is not passive. */
        if (v->vmm_passive == 1)
            compose_error(s, v->vmm_passive_line, FIELD_VM(f, v, "vmm_passive"),
                          "a VMM with a watchdog cannot be passive: the idle timer that watches it signals the VMM");
        v->passive = false;
    }
    if (s->admin_line && v->restart_on_fault) {
        /* The admin restarts a faulted VMM's thread; a passive one has no scheduling context to run on. */
        if (v->vmm_passive == 1)
            compose_error(s, v->vmm_passive_line, FIELD_VM(f, v, "vmm_passive"),
                          "a VMM the admin restarts on a fault (on_fault: restart) cannot be passive");
        v->passive = false;
    }
}

/*
 * Coloured VMs' RAM: frames of their colours only, from the reserved window from `at` on (after the
 * boot images). Their colours are disjoint (check_colours), so each takes its frames from the same
 * range without meeting another's. Returns where uncoloured RAM may start: past every frame taken.
 */
/*
 * Runs of coloured frames a system may have in all: each is a memory region at a fixed address, and
 * Microkit 2.0.1's tool fails past about 1,300 of them ("Internal error: bootstrap invocations too
 * large": one coloured VM of 1,280 runs built, of 1,536 did not).
 */
#define MAX_COLOURED_RUNS 1024u

static uint64_t place_coloured(struct sys *s, uint64_t at)
{
    uint64_t top_all = at;
    unsigned total = 0;
    char f[160];

    for (unsigned i = 0; i < s->nvms; i++) {
        struct vm *v = &s->vms[i];
        unsigned maxruns = (unsigned)(v->ram / s->colours.page);
        uint64_t top = at;
        if (!v->coloured)
            continue;
        v->runs = calloc(maxruns, sizeof(v->runs[0]));
        if (v->runs == NULL || colour_assign(&s->colours, v->colour_mask, at, s->board->images_end, v->ram, v->runs,
                                             maxruns, &v->nruns, &top) < 0) {
            compose_error(s, v->colours_line, FIELD_VM(f, v, "colours"),
                          "not enough frames of its colours left in the board's reserved window 0x%llx..0x%llx for "
                          "%llu MiB of RAM", (unsigned long long)at, (unsigned long long)s->board->images_end, MIB(v->ram));
            continue;
        }
        v->ram_phys = v->runs[0].phys; /* in the window: not board RAM (check_ram_total) */
        if (top > top_all)
            top_all = top;
        total += v->nruns;
        if (total > MAX_COLOURED_RUNS)
            compose_error(s, v->colours_line, FIELD_VM(f, v, "colours"),
                          "coloured RAM in %u runs of contiguous frames so far, more than the %u regions Microkit "
                          "2.0.1 builds: give runs of consecutive colours, a cache with larger ways, or less "
                          "coloured RAM", total, MAX_COLOURED_RUNS);
    }
    return align2m(top_all);
}

/* Boot images: one window per VM, then one per dynamic slot, packed in the board's boot-image window. */
static void plan_images(struct sys *s)
{
    uint64_t at = s->board->images_base;
    char f[160];

    for (unsigned i = 0; i < s->nvms; i++) {
        struct vm *v = &s->vms[i];
        v->initrd_offset = align2m(v->kernel.size);
        v->images_size = align2m(v->initrd_offset + v->initrd.size);
        v->images_phys = at;
        at += v->images_size;
        if (at > s->board->images_end)
            compose_error(s, v->kernel.line, FIELD_VM(f, v, "kernel"),
                          "boot images do not fit the board's boot-image window 0x%llx..0x%llx (%llu MiB needed so far)",
                          (unsigned long long)s->board->images_base, (unsigned long long)s->board->images_end,
                          MIB(at - s->board->images_base));
    }
    for (unsigned i = 0; i < s->nslots; i++) {
        struct slot *sl = &s->slots[i];
        sl->images_phys = at;
        /* seL4 has every image of the slot in memory at once (the boot loader places them): image_space each */
        at += s->platforms & FOR_SEL4 ? sl->image_space * sl->nimages : sl->image_space;
        if (at > s->board->images_end)
            compose_error(s, sl->image_space_line ? sl->image_space_line : sl->line, "dynamic.slots.image_space",
                          "slot '%s' does not fit the board's boot-image window (%llu MiB needed so far)", sl->name,
                          MIB(at - s->board->images_base));
    }
    /*
     * What is left of the window holds guest RAM, VM by VM while it fits. The kernel does not own that
     * memory, so it does not clear it while the system boots: with guest RAM from its own memory,
     * clearing it is most of the time before the first guest instruction (docs/performance.md).
     */
    at = align2m(at);
    for (unsigned i = 0; i < s->nvms; i++) {
        struct vm *v = &s->vms[i];
        if (!v->ram_identity)
            continue;
        if (at > s->board->images_end || v->ram > s->board->images_end - at) {
            compose_error(s, v->ram_identity_line, FIELD_VM(f, v, "ram_identity"),
                          "%llu MiB of RAM do not fit what is left of the board's reserved window 0x%llx..0x%llx, "
                          "where RAM mapped 1:1 goes", MIB(v->ram), (unsigned long long)at,
                          (unsigned long long)s->board->images_end);
            continue;
        }
        v->ram_phys = v->ram_base = at; /* guest-physical = physical: a device's DMA lands in it */
        at += v->ram;
    }
    at = place_coloured(s, at);
    for (unsigned i = 0; i < s->nvms; i++) {
        struct vm *v = &s->vms[i];
        if (v->coloured || v->ram_identity)
            continue;
        if (at <= s->board->images_end && v->ram <= s->board->images_end - at) {
            v->ram_phys = at;
            at += v->ram;
        }
    }
}

/* shared_windows: a name, a 4 KiB multiple, two VMs or more, each once, none in more than SVMM_MAX_WINDOWS. */
static void check_windows(struct sys *s)
{
    unsigned count[MAX_VMS] = { 0 };
    char f[160];

    for (unsigned i = 0; i < s->nwindows; i++) {
        struct window *w = &s->windows[i];
        snprintf(f, sizeof(f), "shared_windows.%s", w->name[0] ? w->name : "?");
        if (!valid_name(w->name))
            compose_error(s, w->line, f, "a window needs a name (lower-case letters, digits, _)");
        if (w->size == 0 || w->size % 4096 || w->size > (1ull << 32))
            compose_error(s, w->size_line ? w->size_line : w->line, f, "size: a multiple of 4 KiB, at most 4 GiB");
        if (w->nat < 2)
            compose_error(s, w->line, f, "a shared window needs two VMs or more (vms: [{vm: NAME, base: ADDR}, ...])");
        for (unsigned k = 0; k < w->nat; k++) {
            int vi = -1;
            for (unsigned v = 0; v < s->nvms; v++)
                if (!strcmp(s->vms[v].name, w->at[k].vm))
                    vi = (int)v;
            w->at[k].vm_index = vi;
            if (vi < 0) {
                compose_error(s, w->at[k].line, f, "no VM '%s'", w->at[k].vm);
                continue;
            }
            if (w->at[k].base % 4096)
                compose_error(s, w->at[k].line, f, "VM %s's base 0x%llx is not a multiple of 4 KiB", w->at[k].vm,
                              (unsigned long long)w->at[k].base);
            for (unsigned j = 0; j < k; j++)
                if (w->at[j].vm_index == vi)
                    compose_error(s, w->at[k].line, f, "VM %s is given this window twice", w->at[k].vm);
            if (++count[vi] == SVMM_MAX_WINDOWS + 1)
                compose_error(s, w->at[k].line, f, "VM %s has more than %u shared windows", w->at[k].vm,
                              SVMM_MAX_WINDOWS);
        }
    }
}

/* cache: and colours: the geometry, each VM's colours in range, no colour in two VMs; seL4 only. */
static void check_colours(struct sys *s)
{
    char f[160], err[160];
    const struct vm *owner[COLOUR_MAX] = { NULL };

    if (s->cache_line && colour_geometry(s->cache_size, s->cache_ways, 4096, &s->colours, err, sizeof(err)) < 0) {
        compose_error(s, s->cache_line, "cache", "%s", err);
        return;
    }
    for (unsigned i = 0; i < s->nvms; i++) {
        const struct vm *v = &s->vms[i];
        if (!v->coloured)
            continue;
        if (s->platforms & FOR_HOSTED)
            compose_error(s, v->colours_line, FIELD_VM(f, v, "colours"),
                          "seL4 only: hosted, the host kernel picks svmm's pages, and no VMM can colour them");
        if (!s->cache_line) {
            compose_error(s, v->colours_line, FIELD_VM(f, v, "colours"),
                          "colours of which cache? give the board's last-level cache (cache: size, ways)");
            continue;
        }
        if (v->nram_ranges)
            compose_error(s, v->ram_ranges_line, FIELD_VM(f, v, "ram_ranges"),
                          "a coloured VM's further RAM ranges would not be coloured: give it one RAM range");
        for (unsigned c = 0; c < COLOUR_MAX; c++) {
            if (!v->colour_mask[c])
                continue;
            if (c >= s->colours.ncolours)
                compose_error(s, v->colours_line, FIELD_VM(f, v, "colours"), "colour %u: this cache has %u (0..%u)", c,
                              s->colours.ncolours, s->colours.ncolours - 1);
            else if (owner[c])
                compose_error(s, v->colours_line, FIELD_VM(f, v, "colours"), "colour %u is also VM %s's", c,
                              owner[c]->name);
            else
                owner[c] = v; /* c < ncolours <= COLOUR_MAX */
        }
    }
}

static void check_dynamic(struct sys *s)
{
    char f[192];

    for (unsigned i = 0; i < s->npools; i++) {
        if (!s->pools[i].name[0] || !valid_name(s->pools[i].name) || s->pools[i].size % SZ_2M || !s->pools[i].size)
            compose_error(s, s->pools[i].line, "dynamic.pools",
                          "a pool needs a name (lower-case) and a size that is a multiple of 2 MiB");
    }
    for (unsigned i = 0; i < s->nslots; i++) {
        struct slot *sl = &s->slots[i];
        struct pool *pool = NULL;
        uint64_t used = 0;

        if (sl->name[0] && !valid_name(sl->name))
            compose_error(s, sl->line, "dynamic.slots.name", "'%s' is not a valid name", sl->name);
        if (sl->vcpus == 0 || sl->vcpus > SVMM_MAX_VCPUS)
            compose_error(s, sl->vcpus_line, FIELD_SLOT(f, sl, "vcpus"), "%u vCPUs: a VM has 1..%u (SVMM_MAX_VCPUS)",
                          sl->vcpus, SVMM_MAX_VCPUS);
        if (sl->image_space % SZ_2M || !sl->image_space)
            compose_error(s, sl->image_space_line, FIELD_SLOT(f, sl, "image_space"), "must be a multiple of 2 MiB");
        for (unsigned p = 0; p < s->npools; p++)
            if (!strcmp(s->pools[p].name, sl->pool))
                pool = &s->pools[p];
        if (!sl->pool[0]) {
            compose_error(s, sl->line, FIELD_SLOT(f, sl, "pool"), "a slot takes its RAM from a pool: name one");
        } else if (pool == NULL) {
            compose_error(s, sl->pool_line, FIELD_SLOT(f, sl, "pool"), "unknown pool '%s'", sl->pool);
        } else {
            for (struct slot *o = s->slots; o <= sl; o++)
                if (!strcmp(o->pool, sl->pool))
                    used += o->ram;
            if (used > pool->size)
                compose_error(s, sl->ram_line ? sl->ram_line : sl->line, FIELD_SLOT(f, sl, "ram"),
                              "slots of pool '%s' need %llu MiB, the pool has %llu MiB", pool->name, MIB(used),
                              MIB(pool->size));
        }
        for (unsigned m = 0; m < sl->nimages; m++) {
            struct dyn_image *im = &sl->images[m];
            char g[224];
            uint64_t need;
            snprintf(g, sizeof(g), "dynamic.slots.%s.images[%u]", sl->name, m);
            snprintf(f, sizeof(f), "%s.kernel", g);
            if (!im->kernel.path[0] || !check_file(s, &im->kernel, f, true))
                continue;
            snprintf(f, sizeof(f), "%s.initrd", g);
            if (im->initrd.path[0] && !check_file(s, &im->initrd, f, false))
                continue;
            need = align2m(align2m(im->kernel.size) + im->initrd.size);
            if (need > sl->image_space)
                compose_error(s, im->line, g, "image '%s' needs %llu MiB of boot-image space, slot '%s' has %llu MiB (image_space)",
                              im->name, MIB(need), sl->name, MIB(sl->image_space));
            else if (need + SZ_2M > sl->ram) /* kernel, initrd and the DTB's 2 MiB slot in guest RAM */
                compose_error(s, im->line, g, "image '%s' needs %llu MiB of RAM, slot '%s' has %llu MiB",
                              im->name, MIB(need + SZ_2M), sl->name, MIB(sl->ram));
        }
    }
}

/* Native components: Microkit protection domains running their own ELF beside the VMMs (seL4 only). */
static void check_components(struct sys *s)
{
    if (!(s->platforms & FOR_SEL4))
        return; /* refused for hosted outputs (check_what_works) */
    for (unsigned i = 0; i < s->ncomps; i++) {
        struct component *c = &s->comps[i];
        char f[96], path[PATH_MAX_LEN + 256];
        unsigned char magic[4] = { 0 };
        FILE *file;

        snprintf(f, sizeof(f), "components.%s", c->name);
        if (c->name[0] && !valid_name(c->name))
            compose_error(s, c->line, "components.name", "'%s' is not a valid name", c->name);
        for (struct component *o = s->comps; o < c; o++)
            if (!strcmp(o->name, c->name))
                compose_error(s, c->line, f, "a component named '%s' already exists (line %d)", c->name, o->line);
        if (!strncmp(c->name, "vmm_", 4))
            compose_error(s, c->line, f, "names vmm_<vm> are the VMMs' protection domains");
        if (c->priority > 254)
            compose_error(s, c->line, f, "seL4 priorities are 0..254");
        if (!c->program[0])
            continue;
        snprintf(f, sizeof(f), "components.%s.program", c->name);
        file = fopen(resolve_path(s, c->program, path, sizeof(path)), "rb");
        if (file == NULL) {
            compose_error(s, c->program_line, f, "cannot read '%s': %s", c->program, strerror(errno));
            continue;
        }
        if (fread(magic, 1, sizeof(magic), file) != sizeof(magic) || memcmp(magic, "\177ELF", 4) != 0)
            compose_error(s, c->program_line, f, "'%s' is not an ELF file (a Microkit program image)", c->program);
        fclose(file);
    }
}

void switch_port_mac(const struct device *d, uint8_t mac[6])
{
    const uint8_t def[6] = { 0x02, 0x73, 0x76, 0x6d, (uint8_t)(0x10 + d->sw_index), (uint8_t)d->sw_port };
    memcpy(mac, d->has_mac ? d->mac_bytes : def, 6);
}

/* Is VM `name` on switch `w`? Its port number, or -1. */
static int switch_port_of(const struct sys *s, const struct vswitch *w, const char *name)
{
    for (unsigned p = 0; p < w->nports; p++)
        if (!strcmp(s->vms[w->ports[p].vm].name, name))
            return (int)p;
    return -1;
}

/*
 * Ports: every net device naming a switch is one, numbered in description order; a VM has at most
 * one port per switch. Port MACs are unique on their switch (the switch's source filter and its
 * static table entries depend on it). A VMM with a switch port receives notifications, so it cannot
 * be passive (a passive PD has no scheduling context of its own to run them on).
 */
static void plan_switches(struct sys *s)
{
    char g[192];

    for (unsigned i = 0; i < s->nvms; i++) {
        struct vm *v = &s->vms[i];
        unsigned nlinks = 0;
        for (unsigned d = 0; d < v->ndevs; d++) {
            struct device *dev = &v->devs[d];
            struct vswitch *w = NULL;
            if (dev->type != DEV_NET || !dev->sw[0])
                continue;
            for (unsigned k = 0; k < s->nswitches; k++)
                if (!strcmp(s->switches[k].name, dev->sw))
                    w = &s->switches[k], dev->sw_index = (int)k;
            if (w == NULL)
                continue; /* unknown switch: reported above */
            snprintf(g, sizeof(g), "vms.%s.devices[%u].switch", v->name, d);
            if (switch_port_of(s, w, v->name) >= 0) {
                compose_error(s, dev->sw_line, g, "a VM has at most one port on switch '%s'", w->name);
                continue;
            }
            if (w->nports == SWITCH_MAX_PORTS) {
                compose_error(s, dev->sw_line, g, "switch '%s' has at most %u ports", w->name, SWITCH_MAX_PORTS);
                continue;
            }
            dev->sw_port = (int)w->nports;
            dev->link = (int)nlinks++;
            w->ports[w->nports].vm = i;
            w->ports[w->nports++].dev = d;
            if (v->vmm_passive == 1)
                compose_error(s, v->vmm_passive_line, FIELD_VM(g, v, "vmm_passive"),
                              "a VMM with a switch port cannot be passive: it must run when the switch notifies it");
            v->passive = false;
            if (v->vmm_priority > w->priority)
                w->priority = v->vmm_priority;
        }
    }
    for (unsigned k = 0; k < s->nswitches; k++) {
        struct vswitch *w = &s->switches[k];
        if (w->nports == 0)
            compose_error(s, w->line, "switches", "switch '%s' has no ports: no net device names it", w->name);
        for (unsigned p = 0; p < w->nports; p++) {
            struct vm *v = &s->vms[w->ports[p].vm];
            struct device *dev = &v->devs[w->ports[p].dev];
            uint8_t mac[6], other[6];
            switch_port_mac(dev, mac);
            for (unsigned q = 0; q < p; q++) {
                switch_port_mac(&s->vms[w->ports[q].vm].devs[w->ports[q].dev], other);
                if (!memcmp(mac, other, 6))
                    compose_error(s, dev->mac_line ? dev->mac_line : dev->line,
                                  FIELD(g, "vms.%s.devices[%u].mac", v->name, w->ports[p].dev),
                                  "the same MAC as VM %s's port on switch '%s'", s->vms[w->ports[q].vm].name, w->name);
            }
            for (unsigned r = 0; r < dev->nreach; r++) {
                int q = switch_port_of(s, w, dev->reach[r]);
                if (q < 0 || q == (int)p)
                    compose_error(s, dev->reach_line, FIELD(g, "vms.%s.devices[%u].reach", v->name, w->ports[p].dev),
                                  "'%s' is not another VM on switch '%s'", dev->reach[r], w->name);
            }
        }
    }
}

/* Block servers: valid unique names (not a VM's: server: names either), partitions, a sane RAM disk. */
static void check_blk_server(struct sys *s, struct blk_srv *b, unsigned i)
{
    char f[192], where[96];

    snprintf(f, sizeof(f), "block_servers[%u]", i);
    if (!b->name[0] || !valid_name(b->name))
        compose_error(s, b->line, f, "a block server needs a valid name (lower-case letters, digits, _; a letter first)");
    else if (find_vm(s, b->name) || find_bsrv(s, b->name) != b)
        compose_error(s, b->line, f, "name '%s' is already a VM's or another block server's", b->name);
    if (b->ramdisk_line && (b->ramdisk == 0 || b->ramdisk % SZ_2M))
        compose_error(s, b->ramdisk_line, FIELD(f, "block_servers.%s.ramdisk", b->name),
                      "a RAM disk is a non-zero multiple of 2 MiB");
    if (b->nparts == 0)
        compose_error(s, b->line, FIELD(f, "block_servers.%s.partitions", b->name), "a block server needs partitions");
    snprintf(where, sizeof(where), "block_servers.%s", b->name);
    check_partitions(s, b->parts, b->nparts, where, b->ramdisk, b->ramdisk_line,
                     FIELD(f, "block_servers.%s.ramdisk", b->name));
}

/*
 * The disk blk device d of VM v names: partition dev->disk of `parts` (those of a block server or
 * a driver VM's disk, `kind` and dev->server in messages). Plans the VMM's link to it (numbered in
 * *nlinks) and returns the partition, or NULL after an error.
 */
static struct partition *plan_served_disk(struct sys *s, struct vm *v, unsigned vi, unsigned d, unsigned *nlinks,
                                          struct partition *parts, unsigned nparts, const char *kind)
{
    struct device *dev = &v->devs[d];
    struct partition *pt = NULL;
    char g[192];

    snprintf(g, sizeof(g), "vms.%s.devices[%u].disk", v->name, d);
    for (unsigned p = 0; p < nparts; p++)
        if (!strcmp(parts[p].name, dev->disk))
            pt = &parts[p], dev->bpart = (int)p;
    if (pt == NULL) {
        compose_error(s, dev->disk_line ? dev->disk_line : dev->line, g,
                      dev->disk[0] ? "%s '%s' has no partition '%s'" : "name a partition of %s '%s' (disk: NAME)",
                      kind, dev->server, dev->disk);
        return NULL;
    }
    if (pt->vm >= 0) {
        compose_error(s, dev->disk_line, g, "partition '%s' of '%s' already serves VM %s", pt->name, dev->server,
                      s->vms[pt->vm].name);
        return NULL;
    }
    dev->blink = (int)(*nlinks)++;
    pt->vm = (int)vi, pt->dev = (int)d;
    if (v->vmm_passive == 1)
        compose_error(s, v->vmm_passive_line, FIELD_VM(g, v, "vmm_passive"),
                      "a VMM with a disk on a %s cannot be passive: it must run when the %s notifies it", kind,
                      !strcmp(kind, "driver VM") ? "driver VM's VMM" : "server");
    v->passive = false;
    return pt;
}

/* A blk device whose server: is a block server: its link, and the server runs at its clients' priority. */
static void plan_blk_disk(struct sys *s, struct vm *v, unsigned vi, unsigned d, unsigned *nlinks)
{
    struct device *dev = &v->devs[d];
    struct blk_srv *b = find_bsrv(s, dev->server);

    if (plan_served_disk(s, v, vi, d, nlinks, b->parts, b->nparts, "block server") == NULL)
        return;
    dev->on_bsrv = true;
    dev->bsrv = (int)(b - s->bsrvs);
    if (v->vmm_priority > b->priority)
        b->priority = v->vmm_priority;
}

/* A blk device whose server: is a driver VM (a VM with a partitions: disk): its link. */
static void plan_dvm_disk(struct sys *s, struct vm *v, unsigned vi, unsigned d, unsigned *nlinks)
{
    struct device *dev = &v->devs[d];
    struct vm *dv = find_vm(s, dev->server);
    char g[192];

    if (dv->serve_dev < 0) {
        compose_error(s, dev->server_line, FIELD(g, "vms.%s.devices[%u].server", v->name, d),
                      "VM '%s' serves no disk: give one of its blk devices partitions: to serve", dv->name);
        return;
    }
    if (plan_served_disk(s, v, vi, d, nlinks, dv->devs[dv->serve_dev].parts, dv->devs[dv->serve_dev].nparts,
                         "driver VM") == NULL)
        return;
    dev->on_dvm = true;
    dev->dvm = (int)(dv - s->vms);
}

/*
 * seL4: a driver VM's VMM serves its clients' links, so it must run when they notify it (not passive)
 * and, as a block server PD does, at no lower priority than their VMMs: a client VMM waits for the
 * link's storage info by yielding, which lets only PDs of its own priority or higher run.
 */
static void plan_driver_vmm(struct sys *s, struct vm *v)
{
    char f[160];

    if (v->vmm_passive == 1)
        compose_error(s, v->vmm_passive_line, FIELD_VM(f, v, "vmm_passive"),
                      "a driver VM's VMM cannot be passive: it must run when its clients' VMMs notify it");
    v->passive = false;
    for (unsigned i = 0; i < s->nvms; i++) {
        const struct vm *c = &s->vms[i];
        bool client = false;
        for (unsigned d = 0; d < c->ndevs; d++)
            client |= c->devs[d].on_dvm && &s->vms[c->devs[d].dvm] == v;
        if (client && c->vmm_priority > v->vmm_priority && (s->platforms & FOR_SEL4))
            compose_error(s, v->vmm_priority_line ? v->vmm_priority_line : v->line, FIELD_VM(f, v, "vmm_priority"),
                          "a driver VM's VMM runs at no lower priority than its clients' VMMs (VM %s's is %u)",
                          c->name, c->vmm_priority);
    }
}

/*
 * Every blk device whose server: is a block server or a driver VM gets a link (numbered per VMM) to
 * one partition; the partitions in use are the server's clients, numbered in partition order.
 */
static void plan_blk_servers(struct sys *s)
{
    char f[160];

    for (unsigned i = 0; i < s->nbsrvs; i++)
        check_blk_server(s, &s->bsrvs[i], i);
    for (unsigned i = 0; i < s->nvms; i++) {
        unsigned nlinks = 0;
        for (unsigned d = 0; d < s->vms[i].ndevs; d++) {
            const struct device *dev = &s->vms[i].devs[d];
            if (dev->type != DEV_BLK || !dev->server[0] || !strcmp(dev->server, s->vms[i].name))
                continue;
            if (find_bsrv(s, dev->server))
                plan_blk_disk(s, &s->vms[i], i, d, &nlinks);
            else if (find_vm(s, dev->server))
                plan_dvm_disk(s, &s->vms[i], i, d, &nlinks);
        }
    }
    for (unsigned i = 0; i < s->nbsrvs; i++) {
        struct blk_srv *b = &s->bsrvs[i];
        for (unsigned p = 0; p < b->nparts; p++)
            if (b->parts[p].vm >= 0)
                b->parts[p].client = (int)b->nclients++;
        if (b->nclients == 0)
            compose_error(s, b->line, "block_servers", "block server '%s' serves no disk: no blk device names it", b->name);
    }
    for (unsigned i = 0; i < s->nvms; i++) {
        struct vm *v = &s->vms[i];
        struct device *store = v->serve_dev >= 0 ? &v->devs[v->serve_dev] : NULL;
        for (unsigned p = 0; store && p < store->nparts; p++)
            if (store->parts[p].vm >= 0)
                store->parts[p].client = (int)v->nclients++;
        if (store && v->nclients == 0)
            compose_error(s, store->parts_line, FIELD_VM(f, v, "devices"),
                          "VM %s serves partitions but no blk device names one (server: %s, disk: NAME)", v->name,
                          v->name);
        if (store)
            plan_driver_vmm(s, v);
    }
}

const struct partition *dev_disk_partition(const struct sys *s, const struct device *d)
{
    if (d->type == DEV_BLK && d->on_bsrv)
        return &s->bsrvs[d->bsrv].parts[d->bpart];
    if (d->type == DEV_BLK && d->on_dvm)
        return &s->vms[d->dvm].devs[s->vms[d->dvm].serve_dev].parts[d->bpart];
    return NULL;
}

const struct device *vsock_dev(const struct vm *v)
{
    for (unsigned d = 0; d < v->ndevs; d++)
        if (v->devs[d].type == DEV_VSOCK)
            return &v->devs[d];
    return NULL;
}

unsigned vsock_peers(const struct sys *s, const struct vm *v, unsigned peers[MAX_VMS])
{
    unsigned n = 0;

    for (unsigned i = 0; i < s->nvms; i++)
        if (&s->vms[i] != v && vsock_dev(&s->vms[i]) && vsock_dev(v))
            peers[n++] = i; /* n < nvms <= MAX_VMS */
    return n;
}

int vsock_link_of(const struct sys *s, const struct vm *v, unsigned peer)
{
    unsigned peers[MAX_VMS], n = vsock_peers(s, v, peers);

    for (unsigned k = 0; k < n; k++)
        if (peers[k] == peer)
            return (int)k;
    return -1;
}

/* A vsock device: one per VM, a CID no other VM has, links within each platform's limit. */
static void check_vsock(struct sys *s, const struct vm *v, const struct device *dev, const char *g, bool sel4,
                        bool hosted)
{
    unsigned peers[MAX_VMS], n = vsock_peers(s, v, peers);

    if (dev != vsock_dev(v)) {
        compose_error(s, dev->line, g, "a VM has at most one virtio-vsock");
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        const struct vm *o = &s->vms[peers[i]];
        if (vsock_dev(o)->cid == dev->cid && o < v)
            compose_error(s, dev->cid_line ? dev->cid_line : dev->line, g, "cid %llu is VM %s's already",
                          (unsigned long long)dev->cid, o->name);
    }
    if (sel4 && n == 0)
        compose_error(s, dev->line, g,
                      "a virtio-vsock on seL4 reaches other VMs only (there is no host side), and no other VM has one");
    if (sel4 && n > SEL4_MAX_VSOCK_LINKS)
        compose_error(s, dev->line, g, "a VM's virtio-vsock reaches at most %u other VMs on seL4 (%u here)",
                      SEL4_MAX_VSOCK_LINKS, n);
    if (hosted && n > HOSTED_MAX_VSOCK_PEERS)
        compose_error(s, dev->line, g, "svmm run's virtio-vsock reaches at most %u other VMs (%u here)",
                      HOSTED_MAX_VSOCK_PEERS, n);
}

/* A byte count as the agent reads it: "<n>M", "<n>K" or bytes. */
static int agent_bytes(char *out, size_t len, uint64_t n)
{
    if (n && n % 0x100000 == 0)
        return snprintf(out, len, "%lluM", (unsigned long long)(n >> 20));
    if (n && n % 1024 == 0)
        return snprintf(out, len, "%lluK", (unsigned long long)(n >> 10));
    return snprintf(out, len, "%llu", (unsigned long long)n);
}

/* The serial the driver VM's served disk has on a platform (src/platform/kvm/blk_file.c, sel4/blk_ramdisk.c). */
static void served_disk_serial(const struct device *d, bool hosted, char out[21])
{
    const char *name = d->file, *slash = strrchr(d->file, '/');

    if (!hosted || !d->file[0])
        name = "svmm-ramdisk";
    else if (slash)
        name = slash + 1;
    snprintf(out, 21, "%s", name); /* virtio-blk serials are 20 bytes */
}

int vm_bootargs(const struct sys *s, const struct vm *v, bool hosted, char *out, size_t len)
{
    const struct device *d = v->serve_dev >= 0 ? &v->devs[v->serve_dev] : NULL;
    char serial[21];
    size_t n = (size_t)snprintf(out, len, "%s", v->bootargs);

    (void)s;
    if (d == NULL)
        return n < len ? 0 : -1;
    served_disk_serial(d, hosted, serial);
    n += (size_t)snprintf(out + (n < len ? n : len), n < len ? len - n : 0, " svmm_blk_agent=%s", serial);
    for (unsigned p = 0; p < d->nparts; p++) {
        const struct partition *pt = &d->parts[p];
        char off[32], size[32];
        if (pt->client < 0)
            continue;
        agent_bytes(off, sizeof(off), pt->offset);
        agent_bytes(size, sizeof(size), pt->size);
        n += (size_t)snprintf(out + (n < len ? n : len), n < len ? len - n : 0, ",%s=%s:%s%s", pt->name, off, size,
                              pt->readonly || s->vms[pt->vm].devs[pt->dev].readonly ? ":ro" : "");
    }
    return n < len ? 0 : -1;
}

/*
 * A driver VM's kernel command line carries its agent's table (vm_bootargs): it must fit, and the
 * served disk's serial (the agent finds its disk by it) must survive the trip.
 */
static void check_driver_vm_args(struct sys *s, struct vm *v, bool sel4, bool hosted)
{
    const struct device *d = &v->devs[v->serve_dev];
    char args[SVMM_BOOTARGS_MAX], f[160], serial[21];

    if (hosted) {
        served_disk_serial(d, true, serial);
        if (strspn(serial, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(serial))
            compose_error(s, d->file_line, FIELD(f, "vms.%s.devices[%d].file", v->name, v->serve_dev),
                          "the served disk's file name is its serial, by which the driver VM's agent finds it: "
                          "use letters, digits, '.', '_' and '-' only");
    }
    if ((sel4 && vm_bootargs(s, v, false, args, sizeof(args)) < 0) ||
        (hosted && vm_bootargs(s, v, true, args, sizeof(args)) < 0))
        compose_error(s, v->line, FIELD_VM(f, v, "bootargs"),
                      "with the agent's partition table (svmm_blk_agent=...) the kernel command line is longer "
                      "than %u bytes", SVMM_BOOTARGS_MAX - 1);
}

/*
 * What works today, per field and platform (docs/system-description.md, "What works today"). The rule:
 * a field the composer accepts is acted on by some component of the output it is written for, or
 * refused here, with the reason. This is the one place that refuses fields for not being implemented
 * (yet); their parsing and validation above stay, for the issues that implement them, but nothing
 * refused here reaches an output. Fields that only seL4 acts on (pcpus, priority, vmm_priority,
 * vmm_passive, budget_us/period_us, gic) are not refused for hosted outputs: those say, in a comment
 * above each svmm run line, that svmm run does not apply them (emit_hosted.c).
 */
/*
 * on_fault, max_restarts, restart_window: acted on by a supervisor, `svmm up` hosted and the admin PD
 * on seL4; test_fault by the admin PD alone.
 */
static void check_fault_policy(struct sys *s, const struct vm *v, bool sel4)
{
    const int line = v->on_fault_line ? v->on_fault_line : v->max_restarts_line ? v->max_restarts_line : v->restart_window_line;
    char f[160];

    if (line && s->platforms & FOR_HOSTED_SCRIPT)
        compose_error(s, line, FIELD_VM(f, v, "on_fault"),
                      "a fault policy needs a supervisor to apply it: hosted that is `svmm up` (--up-plan); "
                      "svmm-up.sh and --hosted have none");
    if (line && sel4 && !s->admin_line)
        compose_error(s, line, FIELD_VM(f, v, "on_fault"),
                      "on seL4 a fault policy is applied by the admin PD, the VMMs' parent: add an admin: section");
    if (v->test_fault && (s->platforms & FOR_HOSTED))
        compose_error(s, v->test_fault_line, FIELD_VM(f, v, "test_fault"),
                      "seL4 only (the admin PD's `fault VM` command); hosted, kill -SEGV the VM's svmm instead");
    if (v->test_fault && sel4 && !s->admin_line)
        compose_error(s, v->test_fault_line, FIELD_VM(f, v, "test_fault"),
                      "the test fault is the admin PD's `fault VM` command: add an admin: section");
    if ((v->max_restarts_line || v->restart_window_line) && !v->restart_on_fault)
        compose_error(s, v->max_restarts_line ? v->max_restarts_line : v->restart_window_line, FIELD_VM(f, v, "on_fault"),
                      "max_restarts and restart_window limit on_fault: restart, which this VM does not have");
    if (v->max_restarts < 1 || v->max_restarts > 64)
        compose_error(s, v->max_restarts_line, FIELD_VM(f, v, "max_restarts"), "%u: give 1..64 (svmm up's limit)",
                      v->max_restarts);
    if (v->restart_window < 1 || v->restart_window > 86400)
        compose_error(s, v->restart_window_line, FIELD_VM(f, v, "restart_window"), "%u s: give 1..86400 seconds",
                      v->restart_window);
}

/*
 * watchdog, watchdog_boot: svmm run's --watchdog SECONDS[,boot=SECONDS]; on seL4 the VMM's SBSA
 * watchdog, its deadlines watched by the idle timer PD (so the board needs its timer).
 */
static void check_watchdog(struct sys *s, const struct vm *v, bool sel4)
{
    char f[160];

    if (v->watchdog_line && (v->watchdog < 1 || v->watchdog > SBSA_GWDT_MAX_TIMEOUT))
        compose_error(s, v->watchdog_line, FIELD_VM(f, v, "watchdog"), "%u s: give 1..%u seconds", v->watchdog,
                      SBSA_GWDT_MAX_TIMEOUT);
    if (v->watchdog_boot_line && (v->watchdog_boot < 1 || v->watchdog_boot > SBSA_GWDT_MAX_TIMEOUT))
        compose_error(s, v->watchdog_boot_line, FIELD_VM(f, v, "watchdog_boot"), "%u s: give 1..%u seconds",
                      v->watchdog_boot, SBSA_GWDT_MAX_TIMEOUT);
    if (v->watchdog_boot_line && !v->watchdog_line)
        compose_error(s, v->watchdog_boot_line, FIELD_VM(f, v, "watchdog_boot"),
                      "the first window of a watchdog this VM does not have (give watchdog: too)");
    if (sel4 && v->watchdog_line && s->board->ptimer_irq == 0)
        compose_error(s, v->watchdog_line, FIELD_VM(f, v, "watchdog"),
                      "the seL4 watchdog's clock is the idle timer, and board %s has no timer for it", s->board->name);
}

static void check_what_works(struct sys *s)
{
    const bool sel4 = s->platforms & FOR_SEL4, hosted = s->platforms & FOR_HOSTED;
    struct svmm_vm_config defaults;
    char f[224];

    svmm_vm_config_defaults(&defaults); /* what svmm run uses */
    for (unsigned i = 0, multi = 0; i < s->nvms; i++) {
        struct vm *v = &s->vms[i];
        unsigned nrng = 0, nnet = 0, nfile = 0;
        /* Microkit 2.0's tool finds vCPU threads by (VM number + vCPU number): emit_sdf.c lists a
         * multi-vCPU VM last, which makes one of them right and never two. */
        if (sel4 && s->microkit_2_0 && v->vcpus > 1 && ++multi == 2)
            compose_error(s, v->vcpus_line ? v->vcpus_line : v->line, FIELD_VM(f, v, "vcpus"),
                          "Microkit 2.0 sets up only one VM with more than one vCPU (its tool gives the vCPU "
                          "threads of any later one the wrong scheduling context): give the others 1 vCPU, or "
                          "use Microkit 2.1 or newer");
        check_passthrough_vm(s, v, sel4, hosted);
        if (v->serve_dev >= 0)
            check_driver_vm_args(s, v, sel4, hosted);
        check_fault_policy(s, v, sel4);
        check_watchdog(s, v, sel4);
        if (hosted && v->ram_base_line && v->ram_base != defaults.ram_base)
            compose_error(s, v->ram_base_line, FIELD_VM(f, v, "ram_base"),
                          "not available hosted: svmm run places guest RAM at 0x%llx", (unsigned long long)defaults.ram_base);
        for (unsigned d = 0; d < v->ndevs; d++) {
            const struct device *dev = &v->devs[d];
            char g[160];
            snprintf(g, sizeof(g), "vms.%s.devices[%u]", v->name, d);
            /* The platforms' per-VM limits: past them a VMM would stop at start-up, svmm run at its options. */
            if (dev->type == DEV_RNG && ++nrng == 2)
                compose_error(s, dev->line, g, "a VM has at most one virtio-rng");
            if (sel4 && dev->type == DEV_NET && ++nnet == SEL4_MAX_NETS + 1)
                compose_error(s, dev->line, g, "a VM has at most %u virtio-net devices on seL4", SEL4_MAX_NETS);
            if (sel4 && (dev->on_bsrv || dev->on_dvm) && dev->blink == (int)SEL4_MAX_BLK_LINKS)
                compose_error(s, dev->line, g, "a VM has at most %u disks on block servers and driver VMs on seL4",
                              SEL4_MAX_BLK_LINKS);
            if (hosted && dev->type == DEV_BLK && ++nfile == HOSTED_MAX_DISKS + 1)
                compose_error(s, dev->line, g, "svmm run takes at most %u disks", HOSTED_MAX_DISKS);
            switch (dev->type) {
            case DEV_BLK:
                if (hosted && dev->on_dvm && v->serve_dev >= 0)
                    compose_error(s, dev->server_line, FIELD(f, "%s.server", g),
                                  "a driver VM's disk cannot itself come from a driver VM hosted (svmm-up.sh starts "
                                  "driver VMs before all others)");
                if (dev->disk[0] && !dev->server[0])
                    compose_error(s, dev->disk_line, FIELD(f, "%s.disk", g),
                                  "disk: names a partition of the block server or driver VM given in server:");
                if (sel4 && dev->file[0] && !dev->ramdisk)
                    compose_error(s, dev->file_line, FIELD(f, "%s.file", g),
                                  "file-backed disks are not available on seL4: the VMM has no file system (on seL4 "
                                  "use ramdisk:, alone or beside file:)");
                if (dev->ramdisk && dev->readonly && (sel4 || !dev->file[0]))
                    compose_error(s, dev->readonly_line, FIELD(f, "%s.readonly", g),
                                  "a RAM disk starts empty, so a read-only one is of no use (readonly: is for file: disks)");
                break;
            case DEV_NET:
                if (hosted && !dev->sw[0])
                    compose_error(s, dev->line, g,
                                  "a net device hosted must be on a switch (switch: NAME): svmm run's other network "
                                  "backend is an existing tap device (--net tap=NAME), which a system description "
                                  "cannot name");
                break;
            case DEV_VSOCK:
                check_vsock(s, v, dev, g, sel4, hosted);
                break;
            case DEV_CONSOLE:
            case DEV_RNG:
                break;
            }
        }
    }
    for (unsigned i = 0; i < s->nbsrvs; i++) {
        const struct blk_srv *b = &s->bsrvs[i];
        if (sel4 && !b->ramdisk_line)
            compose_error(s, b->line, FIELD(f, "block_servers.%s", b->name),
                          "on seL4 a block server's store is a RAM disk: give ramdisk: SIZE (the PD has no file system)");
        if (hosted && !b->file[0])
            compose_error(s, b->line, FIELD(f, "block_servers.%s", b->name),
                          "hosted, a block server's store is a file: give file: PATH (svmm blk-server has no RAM disk)");
    }
    if (hosted && s->admin_line)
        compose_error(s, s->admin_line, "admin",
                      "the seL4 admin PD; hosted, `svmm up` (--up-plan) is the admin and takes no admin: section");
    if (s->dynamic_line && ((sel4 && !s->admin_line) || s->platforms & FOR_HOSTED_SCRIPT))
        compose_error(s, s->dynamic_line, "dynamic",
                      "dynamic VM slots need an admin component to boot them: hosted that is `svmm up` (--up-plan), "
                      "on seL4 the admin PD (an admin: section); svmm-up.sh and --hosted have none");
    if (hosted && s->components_line)
        compose_error(s, s->components_line, "components",
                      "not available hosted: native components are Microkit protection domains, and svmm run has "
                      "nothing to run them");
}

/* Guest RAM (fixed VMs and pools) not placed in the reserved window comes out of the board's RAM. */
static void check_ram_total(struct sys *s)
{
    uint64_t avail = s->board->guest_ram, used = 0, in_window = 0;
    char f[160], besides[64] = "";

    for (unsigned i = 0; i < s->npools; i++)
        used += s->pools[i].size;
    if (s->platforms & FOR_SEL4)
        for (unsigned i = 0; i < s->nbsrvs; i++)
            used += s->bsrvs[i].ramdisk; /* block servers' RAM disks come out of the board's RAM as well */
    for (unsigned i = 0; i < s->nwindows; i++)
        used += s->windows[i].size; /* shared windows too */
    for (unsigned i = 0; i < s->nvms; i++) {
        struct vm *v = &s->vms[i];
        if (v->ram_phys)
            in_window += v->ram;
        else
            used += v->ram;
        for (unsigned d = 0; d < v->ndevs; d++)
            used += v->devs[d].ramdisk; /* RAM disks are guest-sized regions too */
        for (unsigned r = 0; r < v->nram_ranges; r++)
            used += v->ram_ranges[r].size; /* further RAM ranges come from the board's RAM */
        if (used > avail) {
            if (in_window)
                snprintf(besides, sizeof(besides), " (besides %llu MiB in the boot-image window)", MIB(in_window));
            compose_error(s, v->ram_line ? v->ram_line : v->line, FIELD_VM(f, v, "ram"),
                          "guest RAM over the board's RAM: %llu MiB for VMs%s so far%s, %s has %llu MiB for guests",
                          MIB(used), s->npools ? " and pools" : "", besides, s->board->name, MIB(avail));
            return;
        }
    }
    if (used > avail)
        compose_error(s, s->pools[0].line, "dynamic.pools", "guest RAM over the board's RAM: pools need %llu MiB, %s has %llu MiB for guests",
                      MIB(used), s->board->name, MIB(avail));
}

int validate_system(struct sys *s)
{
    unsigned inputs = 0;
    char f[160];

    if (s->board == NULL)
        return -1;
    if (s->board->riscv && s->platforms & FOR_SEL4) {
        compose_error(s, s->board_line, "board", "%s has no seL4 platform (seL4 runs no RISC-V VMs yet, docs/riscv.md): "
                      "ask for hosted outputs only (--hosted, --up-script, --up-plan; --check with --platform hosted)",
                      s->board->name);
        return -1;
    }
    if (s->gic == 0)
        s->gic = 2;
    for (unsigned i = 0; i < s->nswitches; i++)
        if (!valid_name(s->switches[i].name))
            compose_error(s, s->switches[i].line, "switches.name", "'%s' is not a valid name", s->switches[i].name);
    for (unsigned i = 0; i < s->nvms; i++) {
        check_vm(s, &s->vms[i]);
        if (s->vms[i].console_input && ++inputs > 1)
            compose_error(s, s->vms[i].console_line, FIELD_VM(f, &s->vms[i], "console"),
                          "only one VM can take the board UART's input");
    }
    if (s->admin_line && inputs)
        for (unsigned i = 0; i < s->nvms; i++)
            if (s->vms[i].console_input)
                compose_error(s, s->vms[i].console_line, FIELD_VM(f, &s->vms[i], "console"),
                              "the admin PD takes the board UART's input (its commands): give console: output");
    if (s->admin_line && s->admin_priority > 254)
        compose_error(s, s->admin_line, "admin.priority", "%u: give 0..254", s->admin_priority);
    if (inputs == 0 && s->nvms && !s->admin_line)
        s->vms[0].console_input = true; /* the first VM gets the keyboard unless one is named */
    check_passthrough(s);
    check_windows(s);
    check_colours(s);
    check_dynamic(s);
    check_components(s);
    plan_switches(s);
    plan_blk_servers(s);
    check_what_works(s);
    /* Images first: RAM placed in the window does not count against the board's RAM. Without a
     * placement (earlier errors) the total would count that RAM too and report a false excess.
     * All of it is seL4's physical placement: nothing to plan for a hosted-only (riscv64) board. */
    if (!s->errors && !s->board->riscv) {
        plan_images(s);
        check_ram_total(s);
        for (unsigned i = 0; i < s->nvms; i++)
            if (s->vms[i].ram_identity) /* its guest-physical RAM is known now */
                check_vm_layout(s, &s->vms[i]);
        plan_passthrough_nodes(s);
    }
    return s->errors ? -1 : 0;
}

int expand_slots(struct sys *s)
{
    for (unsigned i = 0; i < s->nslots; i++) {
        const struct slot *sl = &s->slots[i];
        struct vm *v;
        for (unsigned k = 0; k < s->nvms; k++)
            if (!strcmp(s->vms[k].name, sl->name))
                compose_error(s, sl->line, "dynamic.slots.name", "'%s' is also a VM's name", sl->name);
        if (s->nvms == MAX_VMS) {
            compose_error(s, sl->line, "dynamic.slots", "on seL4 each slot is a VMM of its own: at most %d VMs and "
                          "slots together", MAX_VMS);
            break;
        }
        v = &s->vms[s->nvms++];
        *v = (struct vm){ .line = sl->line, .ram_line = sl->ram_line, .ram = sl->ram, .vcpus = sl->vcpus,
                          .ram_base = 0x40000000ull, .priority = 100, .vmm_priority = 254, .vmm_passive = 0,
                          .serve_dev = -1, .max_restarts = 3, .restart_window = 60, .ndevs = 1,
                          .is_slot = true, .slot = i };
        snprintf(v->name, sizeof(v->name), "%s", sl->name);
        snprintf(v->bootargs, sizeof(v->bootargs), "console=ttyS0 earlycon"); /* as svmm up boots a slot */
        v->devs[0] = (struct device){ .type = DEV_CONSOLE, .line = sl->line, .link = -1, .blink = -1 };
        for (unsigned c = 0; c < v->vcpus && c < SVMM_MAX_VCPUS; c++)
            v->pcpus[c] = c % (s->cores ? s->cores : s->board->pcpus);
        v->npcpus = v->vcpus;
        /* Image 0 is what the region and the DTB describe; the VMM gets all of them (emit_vm_config). */
        v->kernel = sl->images[0].kernel;
        v->initrd = sl->images[0].initrd;
        v->initrd_offset = align2m(v->kernel.size);
        v->images_phys = sl->images_phys;
        v->images_size = sl->image_space * sl->nimages;
    }
    return s->errors ? -1 : 0;
}

void vm_guest_config(const struct sys *s, const struct vm *v, struct svmm_vm_config *cfg)
{
    static const uint32_t ids[] = { VIRTIO_ID_CONSOLE, VIRTIO_ID_BLOCK, VIRTIO_ID_NET, VIRTIO_ID_RNG, VIRTIO_ID_VSOCK };

    svmm_vm_config_defaults(cfg);
    cfg->ram_base = v->ram_base;
    cfg->ram_size = v->ram;
    cfg->ncpus = v->vcpus;
    cfg->psci_smc = true;
    cfg->layout.gic.version = s->gic == 3 ? SVMM_GIC_V3 : SVMM_GIC_V2;
    vm_bootargs(s, v, false, cfg->bootargs, sizeof(cfg->bootargs)); /* its length was checked */
    cfg->nvirtio = v->ndevs;
    for (unsigned i = 0; i < v->ndevs; i++)
        cfg->virtio_ids[i] = ids[v->devs[i].type];
    cfg->watchdog_s = v->watchdog;
    cfg->watchdog_boot_s = v->watchdog_boot;
    cfg->raw_load_gpa = v->kernel_addr;
    for (unsigned i = 0; i < s->nwindows; i++)
        for (unsigned k = 0; k < s->windows[i].nat && cfg->nwindows < SVMM_MAX_WINDOWS; k++)
            if (!strcmp(s->windows[i].at[k].vm, v->name)) {
                struct svmm_shared_window *w = &cfg->windows[cfg->nwindows++]; /* < SVMM_MAX_WINDOWS: loop bound */
                w->base = s->windows[i].at[k].base;
                w->size = s->windows[i].size;
                snprintf(w->name, sizeof(w->name), "%s", s->windows[i].name);
            }
    for (unsigned p = 0; p < v->npt; p++)
        if (v->pt[p].dt && cfg->npassthrough_dt < SVMM_MAX_PASSTHROUGH)
            cfg->passthrough_dt[cfg->npassthrough_dt++] = v->pt[p].dt;
    cfg->nextra_ram = v->nram_ranges;
    for (unsigned i = 0; i < v->nram_ranges; i++)
        cfg->extra_ram[i] = v->ram_ranges[i];
}
