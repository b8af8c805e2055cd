/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Per-VM outputs for seL4: the VMM's configuration (<vm>_config.c, defining `svmm_sel4_vm`), the
 * boot loader's image placement (qemu-images.args), and the guest DTB, built by the same code the
 * VMM runs at boot (src/core/guest_dt.c), so the file is exactly what the guest will see.
 */
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>
#include <svmm/boot.h>
#include <svmm/guest_dt.h>
#include <svmm/vsock_link.h>
#include "compose.h"

static void c_string(FILE *f, const char *str)
{
    fputc('"', f);
    for (; *str; str++) {
        if (*str == '"' || *str == '\\')
            fprintf(f, "\\%c", *str);
        else if ((unsigned char)*str < 0x20 || (unsigned char)*str >= 0x7f)
            fprintf(f, "\\%03o", (unsigned char)*str);
        else
            fputc(*str, f);
    }
    fputc('"', f);
}

/*
 * The seL4 attach function of a device (src/platform/sel4/sel4_devices.h). validate.c refuses, for
 * seL4 outputs, every device that has none (a blk file:, vsock), so NULL (the VMM stops at start-up)
 * is never written.
 */
static const char *sel4_attach_name(const struct device *d)
{
    switch (d->type) {
    case DEV_CONSOLE: return d->multiport ? "sel4_attach_console_multiport" : "sel4_attach_console";
    case DEV_BLK: return d->ramdisk ? "sel4_attach_ramdisk" : d->on_bsrv || d->on_dvm ? "sel4_attach_blk_link" : "NULL";
    case DEV_NET: return d->sw[0] ? "sel4_attach_switch_net" : "sel4_attach_null_net";
    case DEV_RNG: return "sel4_attach_rng";
    case DEV_VSOCK: return "sel4_attach_vsock";
    }
    return "NULL";
}

static const char *virtio_id_name(enum dev_type t)
{
    static const char *const names[] = { "VIRTIO_ID_CONSOLE", "VIRTIO_ID_BLOCK", "VIRTIO_ID_NET", "VIRTIO_ID_RNG",
                                         "VIRTIO_ID_VSOCK" };
    return names[t];
}

/* The vsock device's CID and links (channels as emit_sdf.c numbers them: 10 + link). */
static void emit_vsock_config(const struct sys *s, const struct vm *v, FILE *f)
{
    const struct device *d = vsock_dev(v);
    unsigned peers[MAX_VMS], n = vsock_peers(s, v, peers);

    if (d == NULL)
        return;
    fprintf(f, "    .vsock = { .cid = %llu, .nlinks = %u, .nbufs = %u, .buf_size = %u, .links = {\n",
            (unsigned long long)d->cid, n, VSOCK_LINK_NBUFS, VSOCK_LINK_BUF_SIZE);
    for (unsigned k = 0; k < n; k++) {
        uint64_t peer = vsock_dev(&s->vms[peers[k]])->cid;
        fprintf(f, "        { .peer_cid = %llu, .channel = %u, .server = %s }, /* VM %s */\n", (unsigned long long)peer,
                10 + k, d->cid < peer ? "true" : "false", s->vms[peers[k]].name);
    }
    fprintf(f, "    } },\n");
}

/*
 * A dynamic slot (seL4 with the admin PD): it starts with no guest, and boots image i of its images,
 * which the boot loader placed at i * image_space in its boot-image region (emit_qemu_args).
 */
static void emit_slot_images(const struct sys *s, const struct vm *v, FILE *f)
{
    const struct slot *sl = &s->slots[v->slot];

    fprintf(f, "    .slot = true, /* dynamic slot: boots when the admin says which image */\n");
    fprintf(f, "    .nimages = %u, .images = {\n", sl->nimages);
    for (unsigned i = 0; i < sl->nimages; i++) {
        const struct dyn_image *im = &sl->images[i];
        unsigned long long base = (unsigned long long)sl->image_space * i;
        fprintf(f, "        { .name = \"%s\", .kernel_offset = 0x%llx, .kernel_size = %llu, .initrd_offset = 0x%llx, "
                   ".initrd_size = %llu },\n", im->name, base, (unsigned long long)im->kernel.size,
                im->initrd.size ? base + align2m(im->kernel.size) : 0ull, (unsigned long long)im->initrd.size);
    }
    fprintf(f, "    },\n");
}

/*
 * A driver VM's served disks (src/platform/sel4/sel4_vm.h, struct svmm_sel4_blk_serve): its clients in
 * partition order, each with its name (the agent's table and the client's disk serial), size,
 * read-only flag and channel (as emit_sdf.c numbers them: 30 + client).
 */
static void emit_blk_serve_config(const struct sys *s, const struct vm *v, FILE *f)
{
    const struct device *d = v->serve_dev >= 0 ? &v->devs[v->serve_dev] : NULL;

    if (d == NULL)
        return;
    fprintf(f, "    .blk_serve = { .start = sel4_serve_disks, .nclients = %u, .depth = %u, .slot_size = %u, .clients = {\n",
            v->nclients, SEL4_BLK_DEPTH, SEL4_BLK_SLOT_SIZE);
    for (unsigned p = 0; p < d->nparts; p++) {
        const struct partition *pt = &d->parts[p];
        if (pt->client < 0)
            continue;
        fprintf(f, "        { .name = \"%s\", .size = 0x%llxull, .read_only = %s, .channel = %d }, /* VM %s */\n", pt->name,
                (unsigned long long)pt->size, pt->readonly || s->vms[pt->vm].devs[pt->dev].readonly ? "true" : "false",
                30 + pt->client, s->vms[pt->vm].name);
    }
    fprintf(f, "    } },\n");
}

/* The passthrough devices' DT nodes (struct svmm_vm_config.passthrough_dt), each an FDT of its own. */
static void emit_passthrough_nodes(const struct svmm_vm_config *cfg, FILE *f)
{
    for (unsigned i = 0; i < cfg->npassthrough_dt; i++) {
        const unsigned char *b = cfg->passthrough_dt[i];
        uint32_t n = fdt_totalsize(cfg->passthrough_dt[i]);
        fprintf(f, "/* passthrough device %u: its node from the board's device tree */\n", i);
        fprintf(f, "static const unsigned char pt_dt_%u[%u] __attribute__((aligned(8))) = {", i, n);
        for (uint32_t k = 0; k < n; k++)
            fprintf(f, "%s0x%02x,", k % 16 ? " " : "\n   ", b[k]);
        fprintf(f, "\n};\n\n");
    }
}

/* The passthrough interrupts: INTID and channel (PT_IRQ_CHANNEL, as emit_sdf.c numbers them). */
static void emit_passthrough_irqs(const struct vm *v, FILE *f)
{
    unsigned k = 0;

    for (unsigned p = 0; p < v->npt; p++)
        for (unsigned q = 0; q < v->pt[p].nirqs; q++, k++)
            fprintf(f, "    .pt_irqs[%u] = { .intid = %u, .channel = %u }, /* passthrough %s */\n", k,
                    v->pt[p].irqs[q].irq, PT_IRQ_CHANNEL(k), v->pt[p].name);
    if (k)
        fprintf(f, "    .npt_irqs = %u,\n", k);
}

int emit_vm_config(const struct sys *s, const struct vm *v, FILE *f)
{
    struct svmm_vm_config cfg;
    const struct svmm_machine_layout *l = &cfg.layout;

    vm_guest_config(s, v, &cfg);
    fprintf(f, "/* Generated by svmm-compose from %s for VM \"%s\": do not edit. */\n", s->label, v->name);
    fprintf(f, "#include <svmm/virtio.h>\n#include \"sel4_vm.h\"\n\n");
    emit_passthrough_nodes(&cfg, f);
    fprintf(f, "const struct svmm_sel4_vm svmm_sel4_vm = {\n");
    fprintf(f, "    .name = \"%s\",\n", v->name);
    fprintf(f, "    .console_prefix = \"%s| \",\n", v->name);
    fprintf(f, "    .cfg = {\n");
    fprintf(f, "        .ram_base = 0x%llx,\n", (unsigned long long)cfg.ram_base);
    fprintf(f, "        .ram_size = %lluull,\n", (unsigned long long)cfg.ram_size);
    fprintf(f, "        .ncpus = %u,\n", cfg.ncpus);
    fprintf(f, "        .psci_smc = true,\n");
    fprintf(f, "        .bootargs = ");
    c_string(f, cfg.bootargs);
    fprintf(f, ",\n        .layout = {\n");
    fprintf(f, "            .gic = { .version = %d, .dist_base = 0x%08llx, .redist_base = 0x%08llx, .cpuif_base = 0x%08llx },\n",
            (int)l->gic.version, (unsigned long long)l->gic.dist_base, (unsigned long long)l->gic.redist_base,
            (unsigned long long)l->gic.cpuif_base);
    fprintf(f, "            .uart_base = 0x%08llx, .uart_spi = %u,\n", (unsigned long long)l->uart_base, l->uart_spi);
    fprintf(f, "            .virtio_base = 0x%08llx, .virtio_stride = 0x%llx, .virtio_spi = %u,\n",
            (unsigned long long)l->virtio_base, (unsigned long long)l->virtio_stride, l->virtio_spi);
    if (cfg.watchdog_s)
        fprintf(f, "            .wdt_base = 0x%08llx, .wdt_spi = %u,\n", (unsigned long long)l->wdt_base, l->wdt_spi);
    fprintf(f, "        },\n");
    if (cfg.watchdog_s)
        fprintf(f, "        .watchdog_s = %u, .watchdog_boot_s = %u, /* SBSA watchdog: no refresh for this long, and the VM fails */\n",
                cfg.watchdog_s, cfg.watchdog_boot_s);
    if (cfg.raw_load_gpa)
        fprintf(f, "        .raw_load_gpa = 0x%llx, /* kernel_addr: a raw binary, loaded and entered there */\n",
                (unsigned long long)cfg.raw_load_gpa);
    if (cfg.nextra_ram) {
        fprintf(f, "        .nextra_ram = %u, .extra_ram = {", cfg.nextra_ram);
        for (unsigned r = 0; r < cfg.nextra_ram; r++)
            fprintf(f, "%s{ 0x%llx, 0x%llx }", r ? ", " : " ", (unsigned long long)cfg.extra_ram[r].base,
                    (unsigned long long)cfg.extra_ram[r].size);
        fprintf(f, " },\n");
    }
    if (cfg.npassthrough_dt) {
        fprintf(f, "        .npassthrough_dt = %u, .passthrough_dt = {", cfg.npassthrough_dt);
        for (unsigned i = 0; i < cfg.npassthrough_dt; i++)
            fprintf(f, "%spt_dt_%u", i ? ", " : " ", i);
        fprintf(f, " },\n");
    }
    fprintf(f, "        .nvirtio = %u,\n", v->ndevs);
    fprintf(f, "        .virtio_ids = {");
    for (unsigned i = 0; i < v->ndevs; i++)
        fprintf(f, "%s%s", i ? ", " : " ", virtio_id_name(v->devs[i].type));
    fprintf(f, "%s},\n", v->ndevs ? " " : "");
    fprintf(f, "    },\n");
    fprintf(f, "    .attach = {");
    for (unsigned i = 0; i < v->ndevs; i++)
        fprintf(f, "%s%s", i ? ", " : " ", sel4_attach_name(&v->devs[i]));
    fprintf(f, "%s},\n", v->ndevs ? " " : "");
    for (unsigned i = 0; i < v->ndevs; i++) {
        const struct device *d = &v->devs[i];
        uint8_t m[6];
        if (d->type != DEV_NET || (!d->has_mac && !d->sw[0]))
            continue;
        switch_port_mac(d, m);
        fprintf(f, "    .net_mac[%u] = { 0x%02x, 0x%02x, 0x%02x, 0x%02x, 0x%02x, 0x%02x }, /* %s */\n", i, m[0], m[1], m[2],
                m[3], m[4], m[5], d->has_mac ? d->mac : "port default");
        if (d->sw[0])
            fprintf(f, "    .net_link[%u] = { .link = %d, .channel = %d, .nbufs = %u, .buf_size = %u }, /* switch %s, port %d */\n",
                    i, d->link, 2 + d->link, SEL4_SWITCH_NBUFS, SEL4_SWITCH_BUF_SIZE, d->sw, d->sw_port);
    }
    for (unsigned i = 0; i < v->ndevs; i++) {
        const struct device *d = &v->devs[i];
        const struct partition *pt = dev_disk_partition(s, d);
        if (pt == NULL)
            continue;
        /* Channels as emit_sdf.c numbers them: 20 + link. */
        fprintf(f, "    .blk_link[%u] = { .link = %d, .channel = %d, .depth = %u, .slot_size = %u, .read_only = %s }, "
                   "/* %s %s, partition %s */\n", i, d->blink, 20 + d->blink, SEL4_BLK_DEPTH, SEL4_BLK_SLOT_SIZE,
                d->readonly || pt->readonly ? "true" : "false", DISK_SERVER_KIND(d), d->server, pt->name);
    }
    emit_vsock_config(s, v, f);
    emit_blk_serve_config(s, v, f);
    fprintf(f, "    .kernel_offset = 0, .kernel_size = %llu,\n", (unsigned long long)v->kernel.size);
    fprintf(f, "    .initrd_offset = %llu, .initrd_size = %llu,\n",
            (unsigned long long)(v->initrd.size ? v->initrd_offset : 0), (unsigned long long)v->initrd.size);
    if (v->is_slot)
        emit_slot_images(s, v, f);
    emit_passthrough_irqs(v, f);
    fprintf(f, "    .num_lrs = %u,\n", s->board->num_lrs);
    if (v->passive)
        fprintf(f, "    .passive = true,\n");
    if (idle_timer_client(s, v))
        fprintf(f, "    .idle_timer = { .on = true, .channel = %u },\n", IDLE_TIMER_VMM_CHANNEL);
    if (v->console_input)
        fprintf(f, "    .uart_irq_channel = 1,\n");
    else
        fprintf(f, "    .uart_irq_channel = 1, /* no <irq> for it in the SDF: another VM takes console input */\n");
    fprintf(f, "};\n");
    return ferror(f) ? -1 : 0;
}

/* Every image of a slot, image i at i * image_space of the slot's window. */
static void emit_slot_loader_args(const struct sys *s, const struct slot *sl, FILE *f)
{
    char path[PATH_MAX_LEN + 256];

    for (unsigned i = 0; i < sl->nimages; i++) {
        const struct dyn_image *im = &sl->images[i];
        unsigned long long at = (unsigned long long)(sl->images_phys + sl->image_space * i);
        fprintf(f, " -device loader,file=%s,addr=0x%llx,force-raw=on", resolve_path(s, im->kernel.path, path, sizeof(path)), at);
        if (im->initrd.size)
            fprintf(f, " -device loader,file=%s,addr=0x%llx,force-raw=on",
                    resolve_path(s, im->initrd.path, path, sizeof(path)), at + (unsigned long long)align2m(im->kernel.size));
    }
}

int emit_qemu_args(const struct sys *s, FILE *f)
{
    char path[PATH_MAX_LEN + 256];

    /* Microkit's loader starts every core the kernel was built for: QEMU must have exactly as many. */
    if (s->cores > 1)
        fprintf(f, "-smp %u", s->cores);
    for (unsigned i = 0; i < s->nvms; i++) {
        const struct vm *v = &s->vms[i];
        if (v->is_slot) {
            emit_slot_loader_args(s, &s->slots[v->slot], f);
            continue;
        }
        fprintf(f, "%s-device loader,file=%s,addr=0x%llx,force-raw=on", i || s->cores > 1 ? " " : "",
                resolve_path(s, v->kernel.path, path, sizeof(path)), (unsigned long long)v->images_phys);
        if (v->initrd.size)
            fprintf(f, " -device loader,file=%s,addr=0x%llx,force-raw=on",
                    resolve_path(s, v->initrd.path, path, sizeof(path)),
                    (unsigned long long)(v->images_phys + v->initrd_offset));
    }
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}

int emit_dtb(const struct sys *s, const struct vm *v, const char *out)
{
    char path[PATH_MAX_LEN + 256], err[160];
    unsigned char hdr[SVMM_ARM64_HEADER_SIZE];
    struct svmm_boot_layout boot;
    struct svmm_vm_config cfg;
    void *buf;
    size_t n;
    int size;
    FILE *f;

    f = fopen(resolve_path(s, v->kernel.path, path, sizeof(path)), "rb");
    n = f ? fread(hdr, 1, sizeof(hdr), f) : 0;
    if (f)
        fclose(f);
    vm_guest_config(s, v, &cfg);
    if (svmm_boot_plan_for(&cfg, hdr, n, v->kernel.size, v->initrd.size, &boot, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s:%d: vms.%s.ram: the boot images do not fit: %s\n", s->file, v->ram_line ? v->ram_line : v->line,
                v->name, err);
        return -1;
    }
    buf = calloc(1, SVMM_DTB_MAX);
    if (buf == NULL)
        return -1;
    size = svmm_guest_dt_build(buf, SVMM_DTB_MAX, &cfg, &boot);
    if (size < 0 || (f = fopen(out, "wb")) == NULL) {
        fprintf(stderr, "svmm-compose: %s: cannot write the DTB (%d)\n", out, size);
        free(buf);
        return -1;
    }
    n = fwrite(buf, 1, (size_t)size, f);
    free(buf);
    return fclose(f) != 0 || n != (size_t)size ? -1 : 0;
}

int emit_switch_config(const struct sys *s, const struct vswitch *w, FILE *f)
{
    fprintf(f, "/* Generated by svmm-compose from %s for switch \"%s\": do not edit. */\n", s->label, w->name);
    fprintf(f, "#include \"sel4_switch.h\"\n\n");
    fprintf(f, "const struct svmm_sel4_switch svmm_sel4_switch = {\n");
    fprintf(f, "    .name = \"switch_%s\",\n", w->name);
    fprintf(f, "    .nbufs = %u, .buf_size = %u,\n", SEL4_SWITCH_NBUFS, SEL4_SWITCH_BUF_SIZE);
    fprintf(f, "    .ageing_s = 300,\n");
    fprintf(f, "    .nports = %u,\n", w->nports);
    fprintf(f, "    .ports = {\n");
    for (unsigned p = 0; p < w->nports; p++) {
        const struct vm *v = &s->vms[w->ports[p].vm];
        const struct device *d = &v->devs[w->ports[p].dev];
        uint32_t reach = 0;
        uint8_t m[6];
        switch_port_mac(d, m);
        for (unsigned r = 0; r < d->nreach; r++)
            for (unsigned q = 0; q < w->nports; q++)
                if (!strcmp(s->vms[w->ports[q].vm].name, d->reach[r]))
                    reach |= 1u << q;
        fprintf(f, "        { .name = \"%s\", .mac = { 0x%02x, 0x%02x, 0x%02x, 0x%02x, 0x%02x, 0x%02x }, .reach = 0x%x, "
                   ".channel = %u },\n", v->name, m[0], m[1], m[2], m[3], m[4], m[5], d->nreach ? reach : 0xffffffffu, p);
    }
    fprintf(f, "    },\n};\n");
    return ferror(f) ? -1 : 0;
}

int emit_blk_server_config(const struct sys *s, const struct blk_srv *b, FILE *f)
{
    fprintf(f, "/* Generated by svmm-compose from %s for block server \"%s\": do not edit. */\n", s->label, b->name);
    fprintf(f, "#include \"sel4_blk_server.h\"\n\n");
    fprintf(f, "const struct svmm_sel4_blk_server svmm_sel4_blk_server = {\n");
    fprintf(f, "    .name = \"blk_%s\",\n", b->name);
    fprintf(f, "    .store_size = 0x%llxull,\n", (unsigned long long)b->ramdisk);
    fprintf(f, "    .depth = %u, .slot_size = %u,\n", SEL4_BLK_DEPTH, SEL4_BLK_SLOT_SIZE);
    fprintf(f, "    .nclients = %u,\n", b->nclients);
    fprintf(f, "    .clients = {\n");
    /* Clients in partition order, channel = client number (emit_sdf.c). */
    for (unsigned p = 0; p < b->nparts; p++) {
        const struct partition *pt = &b->parts[p];
        if (pt->client < 0)
            continue;
        fprintf(f, "        { .name = \"%s\", .offset = 0x%llxull, .size = 0x%llxull, .read_only = %s, .channel = %d }, "
                   "/* VM %s */\n", pt->name, (unsigned long long)pt->offset, (unsigned long long)pt->size,
                pt->readonly || s->vms[pt->vm].devs[pt->dev].readonly ? "true" : "false", pt->client, s->vms[pt->vm].name);
    }
    fprintf(f, "    },\n};\n");
    return ferror(f) ? -1 : 0;
}

int emit_admin_config(const struct sys *s, FILE *f)
{
    fprintf(f, "/* Generated by svmm-compose from %s for the admin PD: do not edit. */\n", s->label);
    fprintf(f, "#include \"sel4_admin.h\"\n\n");
    fprintf(f, "const struct sel4_admin_config sel4_admin = {\n");
    fprintf(f, "    .nvms = %u,\n    .uart_irq_channel = %u,\n    .vms = {\n", s->nvms, ADMIN_UART_IRQ_CHANNEL);
    for (unsigned i = 0; i < s->nvms; i++) {
        const struct vm *v = &s->vms[i];
        fprintf(f, "        { .name = \"%s\", .child = %u, .channel = %u, .page = 0x%llx, .restart_on_fault = %s, "
                   ".max_restarts = %u, .restart_window = %u, .test_fault = %s",
                v->name, i, i, ADMIN_PAGE_VADDR(i), v->restart_on_fault ? "true" : "false", v->max_restarts,
                v->restart_window, v->test_fault ? "true" : "false");
        if (v->is_slot) {
            const struct slot *sl = &s->slots[v->slot];
            fprintf(f, ",\n          .slot = true, .nimages = %u, .images = {", sl->nimages);
            for (unsigned k = 0; k < sl->nimages; k++)
                fprintf(f, "%s\"%s\"", k ? ", " : " ", sl->images[k].name);
            fprintf(f, " }");
        }
        fprintf(f, " },\n");
    }
    fprintf(f, "    },\n};\n");
    return ferror(f) ? -1 : 0;
}
