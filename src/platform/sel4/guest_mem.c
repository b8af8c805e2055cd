/* SPDX-License-Identifier: BSD-2-Clause */
/* Guest memory regions (svmm/sel4/guest_mem.h). */
#include <stdio.h>
#include <string.h>
#include <svmm/sel4/guest_mem.h>

static struct {
    void *vaddr;
    uint64_t size;
} regions[SEL4_MAX_GUEST_REGIONS];
static unsigned nregions;

static int added(int r, uint64_t gpa, void *vaddr, uint64_t size, char *err, size_t errlen)
{
    if (r < 0 || nregions == SEL4_MAX_GUEST_REGIONS) {
        snprintf(err, errlen, "RAM at 0x%llx cannot be registered (twice?)", (unsigned long long)gpa);
        return -1;
    }
    regions[nregions].vaddr = vaddr;
    regions[nregions++].size = size;
    return 0;
}

int sel4_guest_mem_add(struct svmm_vm *vm, uint64_t gpa, void *vaddr, uint64_t size, char *err, size_t errlen)
{
    if (vaddr == NULL) {
        snprintf(err, errlen, "RAM at 0x%llx is not mapped into this VMM", (unsigned long long)gpa);
        return -1;
    }
    if (gpa == vm->cfg.ram_base && size == vm->cfg.ram_size)
        return added(svmm_vm_add_ram(vm, vaddr), gpa, vaddr, size, err, errlen);
    for (unsigned i = 0; i < vm->cfg.nextra_ram && i < SVMM_MAX_EXTRA_RAM; i++)
        if (gpa == vm->cfg.extra_ram[i].base && size == vm->cfg.extra_ram[i].size)
            return added(svmm_vm_add_extra_ram(vm, i, vaddr), gpa, vaddr, size, err, errlen);
    snprintf(err, errlen, "0x%llx bytes at 0x%llx are no RAM range of the VM's configuration", (unsigned long long)size,
             (unsigned long long)gpa);
    return -1;
}

void sel4_guest_mem_scrub(void)
{
    for (unsigned i = 0; i < nregions; i++)
        memset(regions[i].vaddr, 0, regions[i].size);
}
