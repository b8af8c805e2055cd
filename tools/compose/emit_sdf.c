/* SPDX-License-Identifier: BSD-2-Clause */
/* The Microkit system description (SDF): one VMM protection domain per VM, commented for review. */
#include <svmm/blkq.h>
#include <svmm/netq.h>
#include <svmm/vsock_link.h>
#include <string.h>
#include "compose.h"

/* Where each VMM maps things in its own address space (the VMM reads them through setvar_vaddr). */
#define VMM_GUEST_RAM_VADDR 0x20000000ull
#define VMM_BOOT_IMAGES_VADDR 0x80000000ull
#define VMM_BOARD_UART_VADDR 0x3000000ull
#define VMM_RAMDISK_VADDR 0xc0000000ull
/* Further guest RAM ranges in the VMM: 4 GiB apart from 4 GiB up (a range is at most that). */
#define VMM_RAM_RANGE_VADDR(r) (0x100000000ull * (1ull + (r)))
#define UART_IRQ_CHANNEL 1u
/* Switch links: link k of a VMM, port i of a switch PD; each region at a fixed offset in its window. */
#define VMM_NET_LINK_VADDR(k) (0xd0000000ull + (unsigned long long)(k) * 0x1000000ull)
#define SWITCH_PORT_VADDR(i) (0x40000000ull + (unsigned long long)(i) * 0x1000000ull)
#define LINK_TX_OFFSET 0x400000ull
#define LINK_RX_OFFSET 0x800000ull
#define NET_LINK_CHANNEL(k) (2u + (k))   /* in the VMM; 1 is the UART's receive interrupt */
/* VM-to-VM vsock links: link k of a VMM (its k-th peer VM), queues, our buffers, the peer's buffers. */
#define VMM_VSOCK_LINK_VADDR(k) (0xe0000000ull + (unsigned long long)(k) * 0x800000ull)
#define VSOCK_SEND_OFFSET 0x100000ull
#define VSOCK_RECV_OFFSET 0x400000ull
#define VSOCK_LINK_CHANNEL(k) (10u + (k))
/* Block server links: link k of a VMM, client i of a block server PD (queue region, data region). */
#define VMM_BLK_LINK_VADDR(k) (0xf0000000ull + (unsigned long long)(k) * 0x1000000ull)
#define BLK_SERVER_CLIENT_VADDR(i) (0x40000000ull + (unsigned long long)(i) * 0x1000000ull)
#define BLK_DATA_OFFSET 0x200000ull
#define BLK_STORE_VADDR 0x80000000ull
#define BLK_LINK_CHANNEL(k) (20u + (k))   /* in the VMM; in the server PD, the client number */
/*
 * A driver VM's served disks: client i's link in the driver VM's VMM (queue region, data region at
 * +BLK_DATA_OFFSET), above the block links' window; its channel there (the client VMM's end is its
 * BLK_LINK_CHANNEL). Names as src/platform/sel4/driver_vm.c has them: blk_serve<i>_queues/_data.
 */
#define DVM_CLIENT_VADDR(i) (0xf8000000ull + (unsigned long long)(i) * 0x400000ull)
#define DVM_CLIENT_CHANNEL(i) (30u + (i))
#define SEL4_MAX_SERVED_DISKS 16u /* src/platform/sel4/sel4_devices.h */
_Static_assert(MAX_PARTITIONS <= SEL4_MAX_SERVED_DISKS, "every partition a driver VM may serve has a link slot");
_Static_assert(DVM_CLIENT_VADDR(0) >= VMM_BLK_LINK_VADDR(SEL4_MAX_BLK_LINKS) &&
               DVM_CLIENT_VADDR(SEL4_MAX_SERVED_DISKS) <= 0x100000000ull, "the served links' window is free");
_Static_assert(BLK_DATA_OFFSET + (unsigned long long)SEL4_BLK_DEPTH * SEL4_BLK_SLOT_SIZE <= DVM_CLIENT_VADDR(1) -
               DVM_CLIENT_VADDR(0), "a served link's regions fit its slot of the window");
/* The idle timer (src/platform/sel4/sel4_idle.h): each client VMM's page, in the VMM and in the timer PD. */
#define VMM_IDLE_TIMER_VADDR 0x3100000ull
#define IDLE_TIMER_CLIENT_VADDR(i) (0x40000000ull + (unsigned long long)(i) * 0x1000ull)
#define IDLE_TIMER_IRQ_ID 0u                    /* in the timer PD, as timer_pd.c numbers them */
#define IDLE_TIMER_CLIENT_CHANNEL(i) (1u + (i)) /* likewise */
#define IDLE_TIMER_PD "idle-timer"              /* a hyphen: no VM or component name can take it */
_Static_assert(MAX_VMS <= 16, "the idle timer PD has 16 client slots (IDLE_TIMER_MAX_CLIENTS in timer_pd.c)");

_Static_assert(MAX_VMS <= 16, "the admin PD manages 16 VMs (SEL4_ADMIN_MAX_VMS)");

static unsigned long long link_queue_bytes(void)
{
    return (unsigned long long)netq_link_queue_bytes(SEL4_SWITCH_NBUFS);
}

static unsigned long long link_data_bytes(void)
{
    return ((unsigned long long)SEL4_SWITCH_NBUFS * SEL4_SWITCH_BUF_SIZE + 0xfff) & ~0xfffull;
}

static unsigned long long blk_queue_bytes(void)
{
    return (unsigned long long)blkq_queue_bytes(SEL4_BLK_DEPTH);
}

static unsigned long long blk_data_bytes(void)
{
    return (unsigned long long)SEL4_BLK_DEPTH * SEL4_BLK_SLOT_SIZE;
}

/* Link k of a VMM: the queue region and its data region, both written by both sides. */
static void emit_blk_maps(const struct sys *s, const struct vm *v, FILE *f)
{
    for (unsigned i = 0; i < v->ndevs; i++) {
        const struct device *d = &v->devs[i];
        const struct partition *pt = dev_disk_partition(s, d);
        unsigned long long base;
        if (pt == NULL)
            continue;
        base = VMM_BLK_LINK_VADDR(d->blink);
        fprintf(f, "        <!-- block link %d: partition %s of %s %s; notifications on channel %u -->\n",
                d->blink, pt->name, DISK_SERVER_KIND(d), d->server, BLK_LINK_CHANNEL(d->blink));
        fprintf(f, "        <map mr=\"blk_%s_%s_queues\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"blk_link%d_queues\" />\n",
                d->server, pt->name, base, d->blink);
        fprintf(f, "        <map mr=\"blk_%s_%s_data\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"blk_link%d_data\" />\n",
                d->server, pt->name, base + BLK_DATA_OFFSET, d->blink);
    }
}

/*
 * A driver VM's side of the links to its clients (the partitions of its served disk in use): each
 * client's queue and data regions, mapped into the driver VM's VMM at blk_serve<i>_*, both written by
 * both sides as for a block server. The client VMMs map the same regions (emit_blk_maps).
 */
static void emit_served_maps(const struct sys *s, const struct vm *v, FILE *f)
{
    const struct device *d = v->serve_dev >= 0 ? &v->devs[v->serve_dev] : NULL;

    for (unsigned p = 0; d && p < d->nparts; p++) {
        const struct partition *pt = &d->parts[p];
        unsigned long long base = DVM_CLIENT_VADDR(pt->client);
        if (pt->client < 0)
            continue;
        fprintf(f, "        <!-- served disk %d: partition %s to VM %s; notifications on channel %u -->\n", pt->client,
                pt->name, s->vms[pt->vm].name, DVM_CLIENT_CHANNEL(pt->client));
        fprintf(f, "        <map mr=\"blk_%s_%s_queues\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"blk_serve%d_queues\" />\n",
                v->name, pt->name, base, pt->client);
        fprintf(f, "        <map mr=\"blk_%s_%s_data\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"blk_serve%d_data\" />\n",
                v->name, pt->name, base + BLK_DATA_OFFSET, pt->client);
    }
}

/*
 * A driver VM's links: per client a queue region and a data region (the client's, as for a block
 * server), and a channel between the client's VMM and the driver VM's. The requests go on to the
 * agent in the driver VM over its console port (docs/inter-vm.md, "Driver VM on seL4").
 */
static void emit_driver_vm_links(const struct sys *s, const struct vm *v, FILE *f)
{
    const struct device *d = &v->devs[v->serve_dev];

    fprintf(f, "    <!-- Driver VM %s: %u client%s of its %llu MiB RAM disk, %u requests of up to %u bytes per link; its\n"
               "         VMM relays them to the agent in its guest, which sees each client's partition only -->\n",
            v->name, v->nclients, v->nclients == 1 ? "" : "s", (unsigned long long)(d->ramdisk >> 20), SEL4_BLK_DEPTH,
            SEL4_BLK_SLOT_SIZE);
    for (unsigned p = 0; p < d->nparts; p++) {
        if (d->parts[p].client < 0)
            continue;
        fprintf(f, "    <memory_region name=\"blk_%s_%s_queues\" size=\"0x%llx\" />\n", v->name, d->parts[p].name,
                blk_queue_bytes());
        fprintf(f, "    <memory_region name=\"blk_%s_%s_data\" size=\"0x%llx\" />\n", v->name, d->parts[p].name,
                blk_data_bytes());
    }
    for (unsigned p = 0; p < d->nparts; p++) {
        const struct partition *pt = &d->parts[p];
        if (pt->client < 0)
            continue;
        fprintf(f, "    <channel><end pd=\"vmm_%s\" id=\"%u\" /><end pd=\"vmm_%s\" id=\"%u\" /></channel>\n", v->name,
                DVM_CLIENT_CHANNEL(pt->client), s->vms[pt->vm].name, BLK_LINK_CHANNEL(s->vms[pt->vm].devs[pt->dev].blink));
    }
    fputc('\n', f);
}

/*
 * A block server: its RAM disk, per client (a partition in use) a queue region and a data region
 * (the client's: write data to the server, read data back), the PD mapping them, one channel per client.
 */
static void emit_blk_server(const struct sys *s, const struct blk_srv *b, FILE *f)
{
    fprintf(f, "    <!-- Block server %s: a %llu MiB RAM disk, %u client%s, %u requests of up to %u bytes per link;\n"
               "         each client sees only its partition, and the server only the client's data region -->\n",
            b->name, (unsigned long long)(b->ramdisk >> 20), b->nclients, b->nclients == 1 ? "" : "s", SEL4_BLK_DEPTH,
            SEL4_BLK_SLOT_SIZE);
    fprintf(f, "    <memory_region name=\"blk_%s_store\" size=\"0x%llx\" page_size=\"0x200000\" />\n", b->name,
            (unsigned long long)b->ramdisk);
    for (unsigned p = 0; p < b->nparts; p++) {
        if (b->parts[p].client < 0)
            continue;
        fprintf(f, "    <memory_region name=\"blk_%s_%s_queues\" size=\"0x%llx\" />\n", b->name, b->parts[p].name,
                blk_queue_bytes());
        fprintf(f, "    <memory_region name=\"blk_%s_%s_data\" size=\"0x%llx\" />\n", b->name, b->parts[p].name,
                blk_data_bytes());
    }
    fprintf(f, "    <protection_domain name=\"blk_%s\" priority=\"%u\" stack_size=\"0x10000\">\n", b->name, b->priority);
    fprintf(f, "        <program_image path=\"svmm-blk-%s.elf\" />\n", b->name);
    fprintf(f, "        <map mr=\"board_uart\" vaddr=\"0x%llx\" perms=\"rw\" cached=\"false\" setvar_vaddr=\"board_uart_vaddr\" />\n",
            VMM_BOARD_UART_VADDR);
    fprintf(f, "        <map mr=\"blk_%s_store\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"blk_store_vaddr\" "
               "setvar_size=\"blk_store_size\" />\n", b->name, BLK_STORE_VADDR);
    for (unsigned p = 0; p < b->nparts; p++) {
        const struct partition *pt = &b->parts[p];
        unsigned long long base = BLK_SERVER_CLIENT_VADDR(pt->client);
        if (pt->client < 0)
            continue;
        fprintf(f, "        <map mr=\"blk_%s_%s_queues\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"blk_client%d_queues\" />\n",
                b->name, pt->name, base, pt->client);
        fprintf(f, "        <map mr=\"blk_%s_%s_data\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"blk_client%d_data\" />\n",
                b->name, pt->name, base + BLK_DATA_OFFSET, pt->client);
    }
    fprintf(f, "    </protection_domain>\n");
    for (unsigned p = 0; p < b->nparts; p++) {
        const struct partition *pt = &b->parts[p];
        if (pt->client < 0)
            continue;
        fprintf(f, "    <channel><end pd=\"blk_%s\" id=\"%d\" /><end pd=\"vmm_%s\" id=\"%u\" /></channel>\n", b->name,
                pt->client, s->vms[pt->vm].name, BLK_LINK_CHANNEL(s->vms[pt->vm].devs[pt->dev].blink));
    }
    fputc('\n', f);
}

static unsigned long long vsock_queue_bytes(void)
{
    return (unsigned long long)netq_link_queue_bytes(VSOCK_LINK_NBUFS);
}

static unsigned long long vsock_data_bytes(void)
{
    return ((unsigned long long)VSOCK_LINK_NBUFS * VSOCK_LINK_BUF_SIZE + 0xfff) & ~0xfffull;
}

/* The regions of the pair {a, b} (a first in the description) are named vsock_<a>_<b>_*. */
static void vsock_pair(const struct sys *s, const struct vm *v, unsigned peer, const char **a, const char **b)
{
    bool first = v < &s->vms[peer];
    *a = first ? v->name : s->vms[peer].name;
    *b = first ? s->vms[peer].name : v->name;
}

/* Link k of a VMM: the pair's rings, our buffers (writable), the peer's (read-only). */
static void emit_vsock_maps(const struct sys *s, const struct vm *v, FILE *f)
{
    unsigned peers[MAX_VMS], n = vsock_peers(s, v, peers);

    for (unsigned k = 0; k < n; k++) {
        const struct vm *p = &s->vms[peers[k]];
        unsigned long long base = VMM_VSOCK_LINK_VADDR(k);
        const char *a, *b;
        vsock_pair(s, v, peers[k], &a, &b);
        fprintf(f, "        <!-- vsock link %u: to VM %s (cid %llu); notifications on channel %u -->\n", k, p->name,
                (unsigned long long)vsock_dev(p)->cid, VSOCK_LINK_CHANNEL(k));
        fprintf(f, "        <map mr=\"vsock_%s_%s_queues\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"vsock_link%u_queues\" />\n",
                a, b, base, k);
        fprintf(f, "        <map mr=\"vsock_%s_%s_from_%s\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"vsock_link%u_send\" />\n",
                a, b, v->name, base + VSOCK_SEND_OFFSET, k);
        fprintf(f, "        <map mr=\"vsock_%s_%s_from_%s\" vaddr=\"0x%llx\" perms=\"r\" setvar_vaddr=\"vsock_link%u_recv\" />\n",
                a, b, p->name, base + VSOCK_RECV_OFFSET, k);
    }
}

/*
 * Every pair of VMs with vsock devices: a queue region and one buffer region per direction (its
 * sender's, read-only to the other VMM), and a channel between the two VMMs.
 */
static void emit_vsock_links(const struct sys *s, FILE *f)
{
    bool any = false;

    for (unsigned i = 0; i < s->nvms; i++) {
        for (unsigned j = i + 1; j < s->nvms; j++) {
            const struct vm *a = &s->vms[i], *b = &s->vms[j];
            if (!vsock_dev(a) || !vsock_dev(b))
                continue;
            if (!any)
                fprintf(f, "    <!-- VM-to-VM vsock: a link per pair of VMs, %u buffers of %u bytes each way; the VMMs relay\n"
                           "         the guests' packets, checking every header (docs/inter-vm.md, Vsock) -->\n",
                        VSOCK_LINK_NBUFS, VSOCK_LINK_BUF_SIZE);
            any = true;
            fprintf(f, "    <memory_region name=\"vsock_%s_%s_queues\" size=\"0x%llx\" />\n", a->name, b->name,
                    vsock_queue_bytes());
            fprintf(f, "    <memory_region name=\"vsock_%s_%s_from_%s\" size=\"0x%llx\" />\n", a->name, b->name, a->name,
                    vsock_data_bytes());
            fprintf(f, "    <memory_region name=\"vsock_%s_%s_from_%s\" size=\"0x%llx\" />\n", a->name, b->name, b->name,
                    vsock_data_bytes());
            fprintf(f, "    <channel><end pd=\"vmm_%s\" id=\"%u\" /><end pd=\"vmm_%s\" id=\"%u\" /></channel>\n", a->name,
                    VSOCK_LINK_CHANNEL(vsock_link_of(s, a, j)), b->name, VSOCK_LINK_CHANNEL(vsock_link_of(s, b, i)));
        }
    }
    if (any)
        fputc('\n', f);
}

bool idle_timer_client(const struct sys *s, const struct vm *v)
{
    return s->board->ptimer_irq != 0 && !v->passive;
}

/*
 * The idle timer: a PD owning the board's EL1 physical timer, a page per client VMM (written by the
 * VMM, read-only here) and a channel per client. Only when some VMM sleeps its vCPUs.
 */
static void emit_idle_timer(const struct sys *s, FILE *f)
{
    unsigned n = 0, prio = 0;

    for (unsigned i = 0; i < s->nvms; i++)
        if (idle_timer_client(s, &s->vms[i])) {
            n++;
            if (s->vms[i].vmm_priority > prio)
                prio = s->vms[i].vmm_priority;
        }
    if (n == 0)
        return;
    fprintf(f, "    <!-- Idle timer: the EL1 physical timer (INTID %u), which the board's kernel lets user level program.\n"
               "         A VMM whose vCPU sleeps in WFI writes the earliest virtual-timer deadline of its sleeping vCPUs\n"
               "         into its page (idle_timer_<vm>) and signals; the timer signals back once it has passed. -->\n",
            s->board->ptimer_irq);
    for (unsigned i = 0; i < s->nvms; i++)
        if (idle_timer_client(s, &s->vms[i]))
            fprintf(f, "    <memory_region name=\"idle_timer_%s\" size=\"0x1000\" />\n", s->vms[i].name);
    fprintf(f, "    <protection_domain name=\"%s\" priority=\"%u\">\n", IDLE_TIMER_PD, prio);
    fprintf(f, "        <program_image path=\"svmm-timer.elf\" />\n");
    n = 0;
    for (unsigned i = 0; i < s->nvms; i++)
        if (idle_timer_client(s, &s->vms[i])) {
            fprintf(f, "        <map mr=\"idle_timer_%s\" vaddr=\"0x%llx\" perms=\"r\" setvar_vaddr=\"idle_client%u\" />\n",
                    s->vms[i].name, IDLE_TIMER_CLIENT_VADDR(n), n);
            n++;
        }
    fprintf(f, "        <irq irq=\"%u\" id=\"%u\" />\n    </protection_domain>\n", s->board->ptimer_irq, IDLE_TIMER_IRQ_ID);
    n = 0;
    for (unsigned i = 0; i < s->nvms; i++)
        if (idle_timer_client(s, &s->vms[i]))
            fprintf(f, "    <channel><end pd=\"%s\" id=\"%u\" /><end pd=\"vmm_%s\" id=\"%u\" /></channel>\n", IDLE_TIMER_PD,
                    IDLE_TIMER_CLIENT_CHANNEL(n++), s->vms[i].name, IDLE_TIMER_VMM_CHANNEL);
    fputc('\n', f);
}

static unsigned long long mib(uint64_t x) { return (unsigned long long)(x >> 20); }

static void vm_summary(const struct sys *s, const struct vm *v, FILE *f)
{
    fprintf(f, "    <!-- VM %s: %u vCPU%s (pCPU", v->name, v->vcpus, v->vcpus == 1 ? "" : "s");
    for (unsigned i = 0; i < v->npcpus; i++)
        fprintf(f, "%s%u", i ? ", " : " ", v->pcpus[i]);
    fprintf(f, "), %llu MiB RAM at guest 0x%llx, GICv%d", mib(v->ram), (unsigned long long)v->ram_base, s->gic);
    if (v->budget_us)
        fprintf(f, ", MCS budget %llu us / period %llu us", (unsigned long long)v->budget_us,
                (unsigned long long)v->period_us);
    fprintf(f, " -->\n    <!--   devices:");
    if (!v->ndevs)
        fprintf(f, " none");
    for (unsigned i = 0; i < v->ndevs; i++) {
        const struct device *d = &v->devs[i];
        fprintf(f, "%s virtio-%s", i ? "," : "", dev_type_name(d->type));
        /* Only what the seL4 VMM provides gets here (validate.c refuses the rest). */
        if (dev_disk_partition(s, d) != NULL)
            fprintf(f, " (partition %s of %s %s, %llu MiB%s)", dev_disk_partition(s, d)->name, DISK_SERVER_KIND(d),
                    d->server, mib(dev_disk_partition(s, d)->size),
                    d->readonly || dev_disk_partition(s, d)->readonly ? ", read-only" : "");
        else if (d->type == DEV_BLK && (int)i == v->serve_dev)
            fprintf(f, " (RAM disk, %llu MiB, %u partition%s served to other VMs)", mib(d->ramdisk), v->nclients,
                    v->nclients == 1 ? "" : "s");
        else if (d->type == DEV_BLK)
            fprintf(f, " (RAM disk, %llu MiB)", mib(d->ramdisk));
        else if (d->type == DEV_NET && d->sw[0]) {
            uint8_t m[6];
            switch_port_mac(d, m);
            fprintf(f, " (port %d of switch %s, MAC %02x:%02x:%02x:%02x:%02x:%02x)", d->sw_port, d->sw, m[0], m[1], m[2],
                    m[3], m[4], m[5]);
        } else if (d->type == DEV_NET)
            fprintf(f, " (MAC %s, not connected: sent frames are dropped)", d->has_mac ? d->mac : "default");
        else if (d->type == DEV_VSOCK)
            fprintf(f, " (cid %llu, other VMs only)", (unsigned long long)d->cid);
    }
    fprintf(f, "; console %s -->\n", v->console_input ? "input and output" : "output only");
}

/* A VM's regions (guest RAM, RAM disks, boot images): top-level elements, before its VMM's PD. */
static void emit_vm_regions(const struct sys *s, const struct vm *v, FILE *f)
{
    vm_summary(s, v, f);
    if (v->coloured) {
        fprintf(f, "    <!-- guest RAM coloured: %u runs of 4 KiB frames of its colours only (of %u), in the reserved window -->\n",
                v->nruns, s->colours.ncolours);
        for (unsigned k = 0; k < v->nruns; k++)
            fprintf(f, "    <memory_region name=\"guest_ram_%s_%u\" size=\"0x%llx\" phys_addr=\"0x%llx\" page_size=\"0x1000\" />\n",
                    v->name, k, (unsigned long long)v->runs[k].size, (unsigned long long)v->runs[k].phys);
    } else if (v->ram_phys)
        fprintf(f, "    <!-- guest RAM in the board's reserved window: the kernel does not clear it at boot -->\n"
                   "    <memory_region name=\"guest_ram_%s\" size=\"0x%llx\" phys_addr=\"0x%llx\" page_size=\"0x200000\" />\n",
                v->name, (unsigned long long)v->ram, (unsigned long long)v->ram_phys);
    else
        fprintf(f, "    <memory_region name=\"guest_ram_%s\" size=\"0x%llx\" page_size=\"0x200000\" />\n", v->name,
                (unsigned long long)v->ram);
    for (unsigned r = 0; r < v->nram_ranges; r++)
        fprintf(f, "    <memory_region name=\"guest_ram_%s_range%u\" size=\"0x%llx\" page_size=\"0x200000\" /> "
                   "<!-- at guest 0x%llx -->\n", v->name, r, (unsigned long long)v->ram_ranges[r].size,
                (unsigned long long)v->ram_ranges[r].base);
    for (unsigned i = 0; i < v->ndevs; i++)
        if (v->devs[i].ramdisk)
            fprintf(f, "    <memory_region name=\"ramdisk_%s\" size=\"0x%llx\" page_size=\"0x200000\" />\n", v->name,
                    (unsigned long long)v->devs[i].ramdisk);
    for (unsigned p = 0; p < v->npt; p++)
        for (unsigned r = 0; r < v->pt[p].nmmio; r++)
            fprintf(f, "    <memory_region name=\"pt_%s_%s_%u\" size=\"0x%llx\" phys_addr=\"0x%llx\" /> "
                       "<!-- passthrough %s: its registers -->\n", v->name, v->pt[p].name, r,
                    (unsigned long long)v->pt[p].mmio[r].size, (unsigned long long)v->pt[p].mmio[r].base, v->pt[p].name);
    fprintf(f, "    <!-- boot images, placed by the boot loader: kernel at +0x0 (%llu bytes)", (unsigned long long)v->kernel.size);
    if (v->initrd.size)
        fprintf(f, ", initrd at +0x%llx (%llu bytes)", (unsigned long long)v->initrd_offset,
                (unsigned long long)v->initrd.size);
    fprintf(f, " -->\n");
    fprintf(f, "    <memory_region name=\"boot_images_%s\" size=\"0x%llx\" phys_addr=\"0x%llx\" page_size=\"0x200000\" />\n",
            v->name, (unsigned long long)v->images_size, (unsigned long long)v->images_phys);
}

/*
 * Guest RAM mapped at `vaddr` (the VMM's view, or guest-physical): one region, or a coloured VM's runs
 * back to back, so both see it contiguous; `setvar` goes on the first map only.
 */
static void emit_ram_maps(const struct vm *v, FILE *f, const char *indent, unsigned long long vaddr, const char *perms,
                          const char *setvar)
{
    if (!v->coloured) {
        fprintf(f, "%s<map mr=\"guest_ram_%s\" vaddr=\"0x%llx\" perms=\"%s\"%s />\n", indent, v->name, vaddr, perms,
                setvar);
        return;
    }
    for (unsigned k = 0; k < v->nruns; k++) {
        fprintf(f, "%s<map mr=\"guest_ram_%s_%u\" vaddr=\"0x%llx\" perms=\"%s\"%s />\n", indent, v->name, k, vaddr,
                perms, k == 0 ? setvar : "");
        vaddr += v->runs[k].size;
    }
}

/*
 * A VM's passthrough interrupts: each physical SPI is this VMM's (the composer gives each to one VM),
 * delivered on PT_IRQ_CHANNEL(k); the VMM asserts it in the guest's vGIC and acks it once the guest
 * EOIs it (src/platform/sel4/passthrough.c).
 */
static void emit_passthrough_irqs(const struct vm *v, FILE *f)
{
    unsigned k = 0;

    for (unsigned p = 0; p < v->npt; p++)
        for (unsigned q = 0; q < v->pt[p].nirqs; q++, k++)
            fprintf(f, "        <irq irq=\"%u\" id=\"%u\" trigger=\"%s\" /> <!-- passthrough %s -->\n",
                    v->pt[p].irqs[q].irq, PT_IRQ_CHANNEL(k), v->pt[p].edge ? "edge" : "level", v->pt[p].name);
}

/*
 * The VMM's protection domain; `child` >= 0: nested in the admin PD with that id (its admin page
 * mapped, its faults going to the admin).
 */
static void emit_vmm_pd(const struct sys *s, const struct vm *v, FILE *f, bool cpu_attr, int child)
{
    char id[16] = "", cpu[24] = "";

    if (child >= 0)
        snprintf(id, sizeof(id), " id=\"%d\"", child);
    /* On an SMP kernel the VMM runs on its VM's first pCPU: a direct-mapped VM's exits then never
     * cross cores (a fault IPC to another core costs an IPI each way); a VM spanning cores has its
     * other vCPUs' exits cross, one VMM thread serving them all. */
    if (cpu_attr)
        snprintf(cpu, sizeof(cpu), " cpu=\"%u\"", v->pcpus[0]);
    if (v->passive)
        fprintf(f, "    <!-- passive: the VMM runs on the scheduling context of the vCPU whose exit it handles, "
                   "which lets the kernel's exception fastpath carry the exit -->\n");
    fprintf(f, "    <protection_domain name=\"vmm_%s\"%s priority=\"%u\"%s%s stack_size=\"0x10000\">\n", v->name, id,
            v->vmm_priority, v->passive ? " passive=\"true\"" : "", cpu);
    fprintf(f, "        <program_image path=\"svmm-%s.elf\" />\n", v->name);
    emit_ram_maps(v, f, "        ", VMM_GUEST_RAM_VADDR, "rw", " setvar_vaddr=\"guest_ram_vaddr\"");
    for (unsigned r = 0; r < v->nram_ranges; r++)
        fprintf(f, "        <map mr=\"guest_ram_%s_range%u\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"guest_ram_range%u_vaddr\" />\n",
                v->name, r, VMM_RAM_RANGE_VADDR(r), r);
    for (unsigned i = 0; i < v->ndevs; i++)
        if (v->devs[i].ramdisk)
            fprintf(f, "        <map mr=\"ramdisk_%s\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"ramdisk_vaddr\" "
                       "setvar_size=\"ramdisk_size\" />\n", v->name, VMM_RAMDISK_VADDR);
    fprintf(f, "        <map mr=\"boot_images_%s\" vaddr=\"0x%llx\" perms=\"r\" setvar_vaddr=\"boot_images_vaddr\" />\n",
            v->name, VMM_BOOT_IMAGES_VADDR);
    fprintf(f, "        <map mr=\"board_uart\" vaddr=\"0x%llx\" perms=\"rw\" cached=\"false\" setvar_vaddr=\"board_uart_vaddr\" />\n",
            VMM_BOARD_UART_VADDR);
    if (child >= 0)
        fprintf(f, "        <!-- the admin's commands and this VMM's state; the admin signals on channel %u -->\n"
                   "        <map mr=\"admin_%s\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"admin_page_vaddr\" />\n",
                SEL4_ADMIN_VMM_CHANNEL, v->name, VMM_ADMIN_PAGE_VADDR);
    if (idle_timer_client(s, v))
        fprintf(f, "        <!-- idle vCPUs sleep in WFI; the idle timer wakes them on channel %u -->\n"
                   "        <map mr=\"idle_timer_%s\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"idle_timer_vaddr\" />\n",
                IDLE_TIMER_VMM_CHANNEL, v->name, VMM_IDLE_TIMER_VADDR);
    for (unsigned i = 0; i < v->ndevs; i++) {
        const struct device *d = &v->devs[i];
        unsigned long long base = VMM_NET_LINK_VADDR(d->link);
        if (d->type != DEV_NET || !d->sw[0])
            continue;
        fprintf(f, "        <!-- link %d: port %d of switch %s; notifications on channel %u -->\n", d->link, d->sw_port,
                d->sw, NET_LINK_CHANNEL(d->link));
        fprintf(f, "        <map mr=\"net_%s_%s_queues\" vaddr=\"0x%llx\" perms=\"rw\" "
                   "setvar_vaddr=\"net_link%d_queues\" />\n", d->sw, v->name, base, d->link);
        fprintf(f, "        <map mr=\"net_%s_%s_tx\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"net_link%d_tx\" />\n",
                d->sw, v->name, base + LINK_TX_OFFSET, d->link);
        fprintf(f, "        <map mr=\"net_%s_%s_rx\" vaddr=\"0x%llx\" perms=\"r\" setvar_vaddr=\"net_link%d_rx\" />\n",
                d->sw, v->name, base + LINK_RX_OFFSET, d->link);
    }
    emit_vsock_maps(s, v, f);
    emit_blk_maps(s, v, f);
    emit_served_maps(s, v, f);
    if (v->console_input)
        fprintf(f, "        <irq irq=\"%u\" id=\"%u\" /> <!-- board UART receive: this VM takes console input -->\n",
                s->board->uart_irq, UART_IRQ_CHANNEL);
    emit_passthrough_irqs(v, f);
    fprintf(f, "        <virtual_machine name=\"%s\" priority=\"%u\"", v->name, v->priority);
    if (v->budget_us)
        fprintf(f, " budget=\"%llu\" period=\"%llu\"", (unsigned long long)v->budget_us,
                (unsigned long long)v->period_us);
    fprintf(f, ">\n");
    for (unsigned i = 0; i < v->vcpus; i++) {
        if (cpu_attr)
            fprintf(f, "            <vcpu id=\"%u\" cpu=\"%u\" />\n", i, v->pcpus[i]);
        else
            fprintf(f, "            <vcpu id=\"%u\" /> <!-- pCPU %u -->\n", i, v->pcpus[i]);
    }
    emit_ram_maps(v, f, "            ", v->ram_base, "rwx", "");
    for (unsigned r = 0; r < v->nram_ranges; r++)
        fprintf(f, "            <map mr=\"guest_ram_%s_range%u\" vaddr=\"0x%llx\" perms=\"rwx\" />\n", v->name, r,
                (unsigned long long)v->ram_ranges[r].base);
    for (unsigned w = 0; w < s->nwindows; w++)
        for (unsigned k = 0; k < s->windows[w].nat; k++)
            if (!strcmp(s->windows[w].at[k].vm, v->name))
                fprintf(f, "            <map mr=\"window_%s\" vaddr=\"0x%llx\" perms=\"rw\" /> <!-- shared window -->\n",
                        s->windows[w].name, (unsigned long long)s->windows[w].at[k].base);
    if (s->gic == 2)
        fprintf(f, "            <map mr=\"gic_vcpu\" vaddr=\"0x8010000\" perms=\"rw\" cached=\"false\" />\n");
    for (unsigned p = 0; p < v->npt; p++)
        for (unsigned r = 0; r < v->pt[p].nmmio; r++)
            fprintf(f, "            <map mr=\"pt_%s_%s_%u\" vaddr=\"0x%llx\" perms=\"rw\" cached=\"false\" /> "
                       "<!-- 1:1 -->\n", v->name, v->pt[p].name, r, (unsigned long long)v->pt[p].mmio[r].base);
    fprintf(f, "        </virtual_machine>\n    </protection_domain>\n\n");
}

/*
 * The VM whose VMM PD comes k-th in the SDF: single-vCPU VMs first, then the others, each group in
 * description order. Microkit 2.0.1's tool finds a VM's vCPU threads at (VM number + vCPU number)
 * in its table of all vCPU threads, which is right only while no VM before it has two or more; so a
 * multi-vCPU VM goes last (validate.c refuses a second one for 2.0; later tools index correctly).
 */
static const struct vm *vm_in_sdf_order(const struct sys *s, unsigned k, unsigned *index)
{
    unsigned n = 0;

    for (unsigned pass = 0; pass < 2; pass++)
        for (unsigned i = 0; i < s->nvms; i++)
            if ((s->vms[i].vcpus > 1) == (pass == 1) && n++ == k) {
                *index = i;
                return &s->vms[i];
            }
    *index = 0;
    return NULL; /* k >= nvms: not asked for */
}

/*
 * The admin PD (src/platform/sel4/admin_pd.c) and, nested in it, every VMM: its children, so it
 * receives their faults and may restart them. Per VMM an admin page and a channel; the board UART's
 * receive interrupt is the admin's (its command line).
 */
static void emit_admin(const struct sys *s, FILE *f, bool cpu_attr)
{
    for (unsigned i = 0; i < s->nvms; i++)
        emit_vm_regions(s, &s->vms[i], f);
    fprintf(f, "    <!-- The admin component: the VMMs are its children (ids 0..%u); per VMM a page for commands and state -->\n",
            s->nvms - 1);
    for (unsigned i = 0; i < s->nvms; i++)
        fprintf(f, "    <memory_region name=\"admin_%s\" size=\"0x1000\" />\n", s->vms[i].name);
    fprintf(f, "    <protection_domain name=\"admin\" priority=\"%u\" stack_size=\"0x10000\">\n", s->admin_priority);
    fprintf(f, "        <program_image path=\"svmm-admin.elf\" />\n");
    fprintf(f, "        <map mr=\"board_uart\" vaddr=\"0x%llx\" perms=\"rw\" cached=\"false\" setvar_vaddr=\"board_uart_vaddr\" />\n",
            VMM_BOARD_UART_VADDR);
    for (unsigned i = 0; i < s->nvms; i++)
        fprintf(f, "        <map mr=\"admin_%s\" vaddr=\"0x%llx\" perms=\"rw\" />\n", s->vms[i].name, ADMIN_PAGE_VADDR(i));
    fprintf(f, "        <irq irq=\"%u\" id=\"%u\" /> <!-- board UART receive: the admin's command line -->\n",
            s->board->uart_irq, ADMIN_UART_IRQ_CHANNEL);
    for (unsigned k = 0; k < s->nvms; k++) {
        unsigned i;
        const struct vm *v = vm_in_sdf_order(s, k, &i);
        emit_vmm_pd(s, v, f, cpu_attr, (int)i); /* its child id stays its description index */
    }
    fprintf(f, "    </protection_domain>\n");
    for (unsigned i = 0; i < s->nvms; i++)
        fprintf(f, "    <channel><end pd=\"admin\" id=\"%u\" /><end pd=\"vmm_%s\" id=\"%u\" /></channel>\n", i,
                s->vms[i].name, SEL4_ADMIN_VMM_CHANNEL);
    fputc('\n', f);
}

/*
 * A switch: per port three regions (rings; the VMM's tx buffers, which the switch only reads; the
 * switch's rx buffers for that VMM, which the VMM only reads), its PD mapping all of them, and one
 * channel per port.
 */
static void emit_switch(const struct sys *s, const struct vswitch *w, FILE *f)
{
    fprintf(f, "    <!-- Virtual switch %s: %u port%s, %u buffers of %u bytes each way per port; frames are copied once,\n"
               "         from the sending VMM's tx buffers into the receiving VMM's rx buffers (docs/inter-vm.md) -->\n",
            w->name, w->nports, w->nports == 1 ? "" : "s", SEL4_SWITCH_NBUFS, SEL4_SWITCH_BUF_SIZE);
    for (unsigned p = 0; p < w->nports; p++) {
        const char *vm = s->vms[w->ports[p].vm].name;
        fprintf(f, "    <memory_region name=\"net_%s_%s_queues\" size=\"0x%llx\" />\n", w->name, vm, link_queue_bytes());
        fprintf(f, "    <memory_region name=\"net_%s_%s_tx\" size=\"0x%llx\" />\n", w->name, vm, link_data_bytes());
        fprintf(f, "    <memory_region name=\"net_%s_%s_rx\" size=\"0x%llx\" />\n", w->name, vm, link_data_bytes());
    }
    fprintf(f, "    <protection_domain name=\"switch_%s\" priority=\"%u\" stack_size=\"0x10000\">\n", w->name, w->priority);
    fprintf(f, "        <program_image path=\"svmm-switch-%s.elf\" />\n", w->name);
    fprintf(f, "        <map mr=\"board_uart\" vaddr=\"0x%llx\" perms=\"rw\" cached=\"false\" setvar_vaddr=\"board_uart_vaddr\" />\n",
            VMM_BOARD_UART_VADDR);
    for (unsigned p = 0; p < w->nports; p++) {
        const char *vm = s->vms[w->ports[p].vm].name;
        unsigned long long base = SWITCH_PORT_VADDR(p);
        fprintf(f, "        <map mr=\"net_%s_%s_queues\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"sw_port%u_queues\" />\n",
                w->name, vm, base, p);
        fprintf(f, "        <map mr=\"net_%s_%s_tx\" vaddr=\"0x%llx\" perms=\"r\" setvar_vaddr=\"sw_port%u_tx\" />\n",
                w->name, vm, base + LINK_TX_OFFSET, p);
        fprintf(f, "        <map mr=\"net_%s_%s_rx\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"sw_port%u_rx\" />\n",
                w->name, vm, base + LINK_RX_OFFSET, p);
    }
    fprintf(f, "    </protection_domain>\n");
    for (unsigned p = 0; p < w->nports; p++) {
        const struct vm *v = &s->vms[w->ports[p].vm];
        fprintf(f, "    <channel><end pd=\"switch_%s\" id=\"%u\" /><end pd=\"vmm_%s\" id=\"%u\" /></channel>\n", w->name,
                p, v->name, NET_LINK_CHANNEL(v->devs[w->ports[p].dev].link));
    }
    fputc('\n', f);
}

int emit_sdf(const struct sys *s, FILE *f, bool cpu_attr)
{
    const struct vm *input = NULL;
    char path[PATH_MAX_LEN + 256];

    for (unsigned i = 0; i < s->nvms; i++)
        if (s->vms[i].console_input)
            input = &s->vms[i];
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<!-- Generated by svmm-compose from %s: do not edit, change the description and regenerate. -->\n",
            s->label);
    fprintf(f, "<!-- Board %s, GICv%d: %u VM%s, one svmm VMM protection domain (vmm_<vm>) per VM. -->\n",
            s->board->name, s->gic, s->nvms, s->nvms == 1 ? "" : "s");
    if (!cpu_attr)
        fprintf(f, "<!-- pCPU placement is in comments; for SMP SDKs (2.1 and newer) the sdf-cpu option emits cpu attributes. -->\n");
    fprintf(f, "<system>\n");
    fprintf(f, "    <!-- The board UART: every VMM writes its guest's console (lines prefixed \"<vm>| \") and its log;\n");
    fprintf(f, "         only the VM taking console input (%s) gets the receive interrupt. -->\n", input ? input->name : "none");
    fprintf(f, "    <memory_region name=\"board_uart\" size=\"0x1000\" phys_addr=\"0x%llx\" />\n",
            (unsigned long long)s->board->uart_phys);
    if (s->gic == 2)
        fprintf(f, "    <!-- GICv2: each guest's CPU interface is the hardware virtual CPU interface (GICV). -->\n"
                   "    <memory_region name=\"gic_vcpu\" size=\"0x2000\" phys_addr=\"0x%llx\" />\n",
                (unsigned long long)s->board->gic_vcpu_phys);
    fputc('\n', f);
    for (unsigned w = 0; w < s->nwindows; w++) {
        fprintf(f, "    <!-- Shared window %s: mapped into", s->windows[w].name);
        for (unsigned k = 0; k < s->windows[w].nat; k++)
            fprintf(f, " %s at 0x%llx", s->windows[w].at[k].vm, (unsigned long long)s->windows[w].at[k].base);
        fprintf(f, "; no VMM maps it -->\n    <memory_region name=\"window_%s\" size=\"0x%llx\" page_size=\"0x1000\" />\n",
                s->windows[w].name, (unsigned long long)s->windows[w].size);
    }
    if (s->nwindows)
        fputc('\n', f);
    if (s->admin_line) {
        emit_admin(s, f, cpu_attr);
    } else {
        for (unsigned k = 0; k < s->nvms; k++) {
            unsigned i;
            const struct vm *v = vm_in_sdf_order(s, k, &i);
            emit_vm_regions(s, v, f);
            emit_vmm_pd(s, v, f, cpu_attr, -1);
        }
    }
    for (unsigned i = 0; i < s->nswitches; i++)
        emit_switch(s, &s->switches[i], f);
    emit_vsock_links(s, f);
    for (unsigned i = 0; i < s->nbsrvs; i++)
        emit_blk_server(s, &s->bsrvs[i], f);
    for (unsigned i = 0; i < s->nvms; i++)
        if (s->vms[i].serve_dev >= 0)
            emit_driver_vm_links(s, &s->vms[i], f);
    emit_idle_timer(s, f);
    /* Passthrough and dynamic slots are refused (validate.c). */
    for (unsigned i = 0; i < s->ncomps; i++)
        fprintf(f, "    <protection_domain name=\"%s\" priority=\"%u\"> <!-- native component -->\n"
                   "        <program_image path=\"%s\" />\n    </protection_domain>\n",
                s->comps[i].name, s->comps[i].priority, resolve_path(s, s->comps[i].program, path, sizeof(path)));
    fprintf(f, "</system>\n");
    return ferror(f) ? -1 : 0;
}
