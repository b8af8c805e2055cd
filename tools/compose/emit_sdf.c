/* SPDX-License-Identifier: BSD-2-Clause */
/* The Microkit system description (SDF): one VMM protection domain per VM, commented for review. */
#include "compose.h"

/* Where each VMM maps things in its own address space (the VMM reads them through setvar_vaddr). */
#define VMM_GUEST_RAM_VADDR 0x20000000ull
#define VMM_BOOT_IMAGES_VADDR 0x80000000ull
#define VMM_BOARD_UART_VADDR 0x3000000ull
#define VMM_RAMDISK_VADDR 0xc0000000ull
#define UART_IRQ_CHANNEL 1u

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
        if (d->type == DEV_BLK)
            fprintf(f, " (RAM disk, %llu MiB)", mib(d->ramdisk));
        else if (d->type == DEV_NET)
            fprintf(f, " (MAC %s, not connected: sent frames are dropped)", d->has_mac ? d->mac : "default");
    }
    fprintf(f, "; console %s -->\n", v->console_input ? "input and output" : "output only");
}

static void emit_vm(const struct sys *s, const struct vm *v, FILE *f, bool cpu_attr)
{
    vm_summary(s, v, f);
    if (v->ram_phys)
        fprintf(f, "    <!-- guest RAM in the board's reserved window: the kernel does not clear it at boot -->\n"
                   "    <memory_region name=\"guest_ram_%s\" size=\"0x%llx\" phys_addr=\"0x%llx\" page_size=\"0x200000\" />\n",
                v->name, (unsigned long long)v->ram, (unsigned long long)v->ram_phys);
    else
        fprintf(f, "    <memory_region name=\"guest_ram_%s\" size=\"0x%llx\" page_size=\"0x200000\" />\n", v->name,
                (unsigned long long)v->ram);
    for (unsigned i = 0; i < v->ndevs; i++)
        if (v->devs[i].ramdisk)
            fprintf(f, "    <memory_region name=\"ramdisk_%s\" size=\"0x%llx\" page_size=\"0x200000\" />\n", v->name,
                    (unsigned long long)v->devs[i].ramdisk);
    fprintf(f, "    <!-- boot images, placed by the boot loader: kernel at +0x0 (%llu bytes)", (unsigned long long)v->kernel.size);
    if (v->initrd.size)
        fprintf(f, ", initrd at +0x%llx (%llu bytes)", (unsigned long long)v->initrd_offset,
                (unsigned long long)v->initrd.size);
    fprintf(f, " -->\n");
    fprintf(f, "    <memory_region name=\"boot_images_%s\" size=\"0x%llx\" phys_addr=\"0x%llx\" page_size=\"0x200000\" />\n",
            v->name, (unsigned long long)v->images_size, (unsigned long long)v->images_phys);
    if (v->passive)
        fprintf(f, "    <!-- passive: the VMM runs on the scheduling context of the vCPU whose exit it handles, "
                   "which lets the kernel's exception fastpath carry the exit -->\n");
    fprintf(f, "    <protection_domain name=\"vmm_%s\" priority=\"%u\"%s stack_size=\"0x10000\">\n", v->name,
            v->vmm_priority, v->passive ? " passive=\"true\"" : "");
    fprintf(f, "        <program_image path=\"svmm-%s.elf\" />\n", v->name);
    fprintf(f, "        <map mr=\"guest_ram_%s\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"guest_ram_vaddr\" />\n",
            v->name, VMM_GUEST_RAM_VADDR);
    for (unsigned i = 0; i < v->ndevs; i++)
        if (v->devs[i].ramdisk)
            fprintf(f, "        <map mr=\"ramdisk_%s\" vaddr=\"0x%llx\" perms=\"rw\" setvar_vaddr=\"ramdisk_vaddr\" "
                       "setvar_size=\"ramdisk_size\" />\n", v->name, VMM_RAMDISK_VADDR);
    fprintf(f, "        <map mr=\"boot_images_%s\" vaddr=\"0x%llx\" perms=\"r\" setvar_vaddr=\"boot_images_vaddr\" />\n",
            v->name, VMM_BOOT_IMAGES_VADDR);
    fprintf(f, "        <map mr=\"board_uart\" vaddr=\"0x%llx\" perms=\"rw\" cached=\"false\" setvar_vaddr=\"board_uart_vaddr\" />\n",
            VMM_BOARD_UART_VADDR);
    if (v->console_input)
        fprintf(f, "        <irq irq=\"%u\" id=\"%u\" /> <!-- board UART receive: this VM takes console input -->\n",
                s->board->uart_irq, UART_IRQ_CHANNEL);
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
    fprintf(f, "            <map mr=\"guest_ram_%s\" vaddr=\"0x%llx\" perms=\"rwx\" />\n", v->name,
            (unsigned long long)v->ram_base);
    if (s->gic == 2)
        fprintf(f, "            <map mr=\"gic_vcpu\" vaddr=\"0x8010000\" perms=\"rw\" cached=\"false\" />\n");
    fprintf(f, "        </virtual_machine>\n    </protection_domain>\n\n");
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
    for (unsigned i = 0; i < s->nvms; i++)
        emit_vm(s, &s->vms[i], f, cpu_attr);
    /* Passthrough, switches, disks served by other VMs and dynamic slots are refused (validate.c). */
    for (unsigned i = 0; i < s->ncomps; i++)
        fprintf(f, "    <protection_domain name=\"%s\" priority=\"%u\"> <!-- native component -->\n"
                   "        <program_image path=\"%s\" />\n    </protection_domain>\n",
                s->comps[i].name, s->comps[i].priority, resolve_path(s, s->comps[i].program, path, sizeof(path)));
    fprintf(f, "</system>\n");
    return ferror(f) ? -1 : 0;
}
