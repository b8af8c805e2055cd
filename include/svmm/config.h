/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration of one VM: what the guest sees (RAM, vCPUs, interrupt controller, devices and
 * where they live) and how it boots. Platforms fill it from a CLI or a build-time description.
 */
#ifndef SVMM_CONFIG_H
#define SVMM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SVMM_MAX_VCPUS 16u           /* vCPUs a VM has at most */
#define SVMM_MAX_VIRTIO 32u          /* virtio-mmio slots a VM has at most */
#define SVMM_BOOTARGS_MAX 1024u      /* bytes of the kernel command line, with its NUL */
#define SVMM_MIN_RAM (16ull << 20)   /* the least boot RAM a VM may have (16 MiB) */
#define SVMM_MAX_RAM (512ull << 30)  /* the most boot RAM a VM may have (512 GiB) */

/* Sizes of the GIC frames in the guest address space. */
#define SVMM_GICD_SIZE 0x10000ull
#define SVMM_GICR_SIZE_PER_CPU 0x20000ull
#define SVMM_GICC_SIZE 0x2000ull

/* The GIC architecture version a VM's guest sees. */
enum svmm_gic_version { SVMM_GIC_V2 = 2, SVMM_GIC_V3 = 3 };

/* The guest's interrupt controller (arm64): its version and where its frames are. */
struct svmm_gic_config {
    enum svmm_gic_version version; /* GICv2 or GICv3 */
    uint64_t dist_base;   /* distributor, 64 KiB */
    uint64_t redist_base; /* v3: one 128 KiB redistributor per vCPU */
    uint64_t cpuif_base;  /* v2: CPU interface, 8 KiB */
};

/*
 * riscv64 (src/arch/riscv64/): where the PLIC is and what the platform's vCPUs are (the guest DT
 * says so); unused on arm64.
 */
struct svmm_riscv_config {
    uint64_t plic_base;   /* the PLIC's window, RISCV_PLIC_SIZE bytes */
    uint32_t timebase_hz; /* frequency of the guest's time CSR (DT timebase-frequency) */
    uint32_t isa_ext;     /* multi-letter extensions the vCPUs have, RISCV_EXT_* (riscv.h) */
    uint64_t isa;         /* single-letter extensions: bit n is letter 'a' + n */
};

/* Guest-physical layout of the emulated machine. */
struct svmm_machine_layout {
    struct svmm_gic_config gic;     /* arm64 */
    struct svmm_riscv_config riscv; /* riscv64 */
    uint64_t uart_base;    /* 16550, 0 = none */
    uint32_t uart_spi;     /* its interrupt */
    uint64_t virtio_base;  /* first virtio-mmio slot */
    uint64_t virtio_stride; /* bytes from one slot to the next */
    uint32_t virtio_spi;   /* SPI of slot 0; slot i uses virtio_spi + i */
    uint64_t wdt_base;     /* SBSA watchdog (control frame, refresh frame after it), when watchdog_s */
    uint32_t wdt_spi;      /* its WS0 interrupt */
};

/* RAM beyond the boot region (issue 13 part 4): a guest address space with several RAM ranges and holes. */
#define SVMM_MAX_EXTRA_RAM 3u
/* One further RAM range: its guest-physical base and size. */
struct svmm_ram_range {
    uint64_t base, size; /* both multiples of 2 MiB */
};

/*
 * A window of memory this VM shares with others (issue 13 part 4): mapped at `base` in each, never
 * touched by the VMM, described in the guest DT as "svmm,shared-window" with its name as label.
 */
#define SVMM_MAX_WINDOWS 4u
#define SVMM_WINDOW_NAME_MAX 24u
/* One shared window as this VM sees it (see above). */
struct svmm_shared_window {
    uint64_t base, size; /* 4 KiB multiples */
    char name[SVMM_WINDOW_NAME_MAX]; /* its name: the label of its node in the guest DT */
};

/*
 * Board devices given to this guest (issue 13 part 3): the platform maps their MMIO 1:1 and forwards
 * their interrupts; the guest DT gets each one's node, copied from a flattened tree whose root has
 * that node as its first child (the composer takes it from the board's DT). Its interrupt-parent
 * becomes the guest's interrupt controller; every other property is copied as it is.
 */
#define SVMM_MAX_PASSTHROUGH 8u

/* Everything about one VM the portable code needs (see above); svmm_vm_config_validate() checks it. */
struct svmm_vm_config {
    uint64_t ram_base; /* the boot region: kernel, initrd and DTB go here */
    uint64_t ram_size; /* its bytes */
    struct svmm_ram_range extra_ram[SVMM_MAX_EXTRA_RAM]; /* more RAM, elsewhere in the address space */
    unsigned nextra_ram; /* entries of extra_ram in use */
    struct svmm_shared_window windows[SVMM_MAX_WINDOWS]; /* memory shared with other VMs */
    unsigned nwindows;   /* entries of windows in use */
    const void *passthrough_dt[SVMM_MAX_PASSTHROUGH]; /* the device nodes, as above */
    unsigned npassthrough_dt; /* entries of passthrough_dt in use */
    unsigned ncpus;      /* vCPUs, 1..SVMM_MAX_VCPUS */
    bool psci_smc; /* PSCI conduit: SMC (seL4, where HVC is the kernel's syscall trap) or HVC (KVM) */
    char bootargs[SVMM_BOOTARGS_MAX]; /* the kernel command line */
    struct svmm_machine_layout layout; /* where the devices are */
    unsigned nvirtio;    /* virtio-mmio slots in use */
    uint32_t virtio_ids[SVMM_MAX_VIRTIO]; /* device type per slot, VIRTIO_ID_* */
    /*
     * Non-zero: the kernel is a raw binary for this guest-physical address (not relocatable, no Linux
     * Image header), loaded there and entered at its first byte with x0 = DTB; 0: a Linux Image.
     */
    uint64_t raw_load_gpa;
    unsigned watchdog_s; /* SBSA watchdog enabled at power-on with this timeout (s); 0 = no watchdog */
    unsigned watchdog_boot_s; /* the first timeout after power-on (the guest's boot window); 0: watchdog_s */
};

/* A one-vCPU, 256 MiB machine (arm64: GICv3) with a 16550 UART and no virtio devices. */
void svmm_vm_config_defaults(struct svmm_vm_config *cfg);

/* Check ranges and overlaps; returns 0, or -1 with a one-line reason in `err`. */
int svmm_vm_config_validate(const struct svmm_vm_config *cfg, char *err, size_t errlen);

/*
 * Whether [base, base + size) is free in `cfg`'s guest address space: 0 when it overlaps none of
 * its RAM ranges, shared windows, interrupt-controller frames, UART, virtio-mmio window (all
 * SVMM_MAX_VIRTIO slots) or watchdog and lies within the 40-bit space; else -1 with what it hits
 * in `err`. For a platform placing a device of its own (svmm_add_mmio_device).
 */
int svmm_vm_config_span_free(const struct svmm_vm_config *cfg, uint64_t base, uint64_t size, char *err,
                             size_t errlen);

/* The highest SPI number the machine's devices use (UART, virtio slots, watchdog), 0 if none. */
uint32_t svmm_vm_config_max_spi(const struct svmm_vm_config *cfg);

/* Guest-physical base of virtio-mmio slot `i`. */
static inline uint64_t svmm_virtio_slot_base(const struct svmm_vm_config *cfg, unsigned i)
{
    return cfg->layout.virtio_base + (uint64_t)i * cfg->layout.virtio_stride;
}

#endif
