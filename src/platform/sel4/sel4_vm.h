/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The per-VM configuration of an svmm protection domain. It is generated at build time from the
 * system description (a C file defining `svmm_sel4_vm`), never edited by hand.
 */
#ifndef SVMM_SEL4_VM_H
#define SVMM_SEL4_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <svmm/config.h>
#include "sel4_devices.h"

/*
 * A driver VM: the disks its guest's agent serves to other VMs (sel4_serve_disks; start NULL and no
 * clients for any other VM). Client i is a partition the agent knows by `name` (the client's disk
 * serial too), `size` bytes, read-only or not; its link has the geometry below (every link's) and
 * is signalled on `channel`.
 */
struct svmm_sel4_served_disk {
    const char *name;
    uint64_t size;
    bool read_only;
    uint8_t channel;
};

struct svmm_sel4_blk_serve {
    sel4_serve_fn start;
    unsigned nclients;
    uint32_t depth, slot_size;
    struct svmm_sel4_served_disk clients[SEL4_MAX_SERVED_DISKS];
};

/* One image a dynamic slot may boot: its kernel and initrd in the slot's boot-image region. */
#define SEL4_MAX_SLOT_IMAGES 8u /* the composer's MAX_IMAGES */
struct svmm_sel4_image {
    const char *name;
    uint64_t kernel_offset, kernel_size;
    uint64_t initrd_offset, initrd_size;
};

/* Passthrough interrupts (src/platform/sel4/passthrough.c): physical SPIs this VM owns. */
#define SEL4_MAX_PT_IRQS 8u /* the composer's MAX_PT_IRQS_PER_VM */
struct svmm_sel4_pt_irq {
    uint16_t intid;  /* the SPI's INTID, the same in the guest (its device is mapped 1:1) */
    uint8_t channel; /* its Microkit IRQ channel */
};

struct svmm_sel4_vm {
    const char *name;           /* the VM's name in log lines */
    const char *console_prefix; /* starts each line of guest console output */
    struct svmm_vm_config cfg;  /* what the guest sees */
    sel4_attach_fn attach[SVMM_MAX_VIRTIO]; /* creates virtio slot i's device; NULL: not on seL4 yet */
    uint8_t net_mac[SVMM_MAX_VIRTIO][6];    /* virtio-net in slot i: its MAC; all zero: the VMM's default */
    /* virtio-net in slot i on a switch: which mapped link (0..SEL4_MAX_NET_LINKS-1), its channel, geometry */
    struct { uint8_t link, channel; uint32_t nbufs, buf_size; } net_link[SVMM_MAX_VIRTIO];
    /*
     * virtio-blk in slot i on a block server PD: which mapped link (0..SEL4_MAX_BLK_LINKS-1), its
     * channel, geometry (depth requests of slot_size bytes), and read_only to refuse writes here too.
     */
    struct { uint8_t link, channel; uint32_t depth, slot_size; bool read_only; } blk_link[SVMM_MAX_VIRTIO];
    /*
     * virtio-vsock: the guest's CID and its peer VMs. Link k is mapped at vsock_link<k>_*, signalled
     * on `channel`; `server` is the side with the lower CID (vsock_link.h: which rings it sends on).
     */
    struct {
        uint64_t cid;
        unsigned nlinks;
        uint32_t nbufs, buf_size; /* every link's geometry, both directions */
        struct { uint64_t peer_cid; uint8_t channel; bool server; } links[SEL4_MAX_VSOCK_LINKS];
    } vsock;
    struct svmm_sel4_blk_serve blk_serve; /* a driver VM's served disks */
    uint64_t kernel_offset, kernel_size; /* in the boot-image region (images_vaddr) */
    uint64_t initrd_offset, initrd_size;
    /*
     * A dynamic slot (under the admin PD): the VM starts with no guest, and the admin's boot command
     * picks one of `images` (the kernel and initrd fields above are images[0]'s).
     */
    bool slot;
    unsigned nimages;
    struct svmm_sel4_image images[SEL4_MAX_SLOT_IMAGES];
    struct svmm_sel4_pt_irq pt_irqs[SEL4_MAX_PT_IRQS];
    unsigned npt_irqs;
    unsigned num_lrs;           /* GIC list registers of the board's CPU interface */
    unsigned uart_irq_channel;  /* Microkit channel of the board UART's receive interrupt */
    /* Idle vCPUs sleep in WFI (sel4_idle.h), woken by the idle timer PD on `channel`; off: WFI resumes at once. */
    struct { bool on; uint8_t channel; } idle_timer;
    /*
     * The PD is passive: each exit runs on the faulting vCPU's scheduling context, which comes back
     * only with the reply. A vCPU that stops itself (PSCI CPU_OFF) is therefore not suspended but
     * parked: it re-executes its CPU_OFF until a CPU_ON restarts it.
     */
    bool passive;
};

extern const struct svmm_sel4_vm svmm_sel4_vm;

#endif
