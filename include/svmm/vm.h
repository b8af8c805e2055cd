/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One virtual machine: its configuration, memory map, MMIO bus and emulated devices. This is the
 * high-level object a platform drives: build it from a config, give it RAM, load a kernel, then
 * forward every MMIO exit to svmm_vm_mmio_access().
 */
#ifndef SVMM_VM_H
#define SVMM_VM_H

#include <stddef.h>
#include <stdint.h>
#include <svmm/boot.h>
#include <svmm/config.h>
#include <svmm/memmap.h>
#include <svmm/mmio.h>
#include <svmm/platform.h>
#include <svmm/sbsa_gwdt.h>
#include <svmm/uart16550.h>
#include <svmm/virtio_mmio.h>

/* Where the emulated UART sends guest output; the watchdog's time (used when cfg.watchdog_s). */
struct svmm_vm_backends {
    uart16550_tx_fn uart_tx;          /* takes each byte the guest writes to the UART */
    void *uart_ctx;                   /* passed to uart_tx */
    struct sbsa_gwdt_clock wdt_clock; /* the watchdog's time */
};

/* One VM (see above): build it with svmm_vm_init(), then add RAM and devices. */
struct svmm_vm {
    struct svmm_vm_config cfg;    /* its configuration (a validated copy) */
    struct svmm_platform plat;    /* the platform's hooks */
    struct svmm_memmap mem;       /* guest RAM as the VMM sees it */
    struct svmm_mmio_bus bus;     /* every emulated device's registers */
    struct svmm_boot_layout boot; /* where svmm_vm_load_linux() put kernel, initrd and DTB */
    uint32_t dtb_size;            /* bytes of the generated DTB */
    struct uart16550 uart;        /* the 16550 UART */
    struct sbsa_gwdt wdt; /* on the bus when cfg.watchdog_s */
    struct virtio_mmio transports[SVMM_MAX_VIRTIO]; /* one virtio-mmio transport per slot */
    struct virtio_dev *virtio[SVMM_MAX_VIRTIO]; /* attached device per slot */
};

/*
 * Validate `cfg` and put the emulated UART (and the watchdog, if configured) on the MMIO bus. Returns 0, or -1 with a one-line
 * reason in `err`. RAM and VirtIO devices are added separately: only the platform can allocate
 * RAM, and it creates each device with the backend it serves it with.
 */
int svmm_vm_init(struct svmm_vm *vm, const struct svmm_vm_config *cfg, const struct svmm_platform *plat,
                 const struct svmm_vm_backends *be, char *err, size_t errlen);

/*
 * Attach VirtIO device `dev` (initialised by its device code, in reset state) to slot `slot`,
 * whose type cfg.virtio_ids[slot] names; the slot gets a virtio-mmio transport and interrupt.
 */
int svmm_vm_attach_virtio(struct svmm_vm *vm, unsigned slot, struct virtio_dev *dev, char *err, size_t errlen);

/*
 * Put a custom device on the VM's MMIO bus at [base, base + size): whole 4 KiB pages, both
 * callbacks, a range free of everything the configuration places (svmm_vm_config_span_free) and of
 * the devices already on the bus. 0, or -1 with a one-line reason naming the device in `err`.
 */
int svmm_vm_add_mmio_device(struct svmm_vm *vm, uint64_t base, uint64_t size, const struct svmm_mmio_ops *ops,
                            void *dev, const char *name, char *err, size_t errlen);

/* Register the platform's mapping of guest RAM (cfg.ram_size bytes at `host`). */
int svmm_vm_add_ram(struct svmm_vm *vm, void *host);

/* Register the mapping of further RAM range `i` (cfg.extra_ram[i].size bytes at `host`); -1 if no such range. */
int svmm_vm_add_extra_ram(struct svmm_vm *vm, unsigned i, void *host);

/*
 * Validate the arm64 Image, place kernel, initrd and a generated DTB in guest RAM. Returns 0 or -1
 * with a reason in `err` (not an Image, RAM too small, ...). vm->boot says where everything went.
 */
int svmm_vm_load_linux(struct svmm_vm *vm, const void *kernel, size_t kernel_len, const void *initrd,
                       size_t initrd_len, char *err, size_t errlen);

/*
 * Reset the VM's emulated devices for a restart, as a power cycle would: the UART, the watchdog
 * (quiescent until svmm_vm_power_on) and every VirtIO transport (each device drops or completes its in-flight work; links to servers and
 * switches stay up), and zero the per-device exit counts (svmm_vm_exit_stats counts one boot).
 * Guest RAM, vCPUs and the interrupt controller are the platform's. Call with
 * every vCPU halted, under the same serialisation as MMIO accesses; then svmm_vm_load_linux()
 * again, after the platform scrubbed guest RAM.
 */
void svmm_vm_reset_devices(struct svmm_vm *vm);

/*
 * The vCPUs are about to run a fresh boot (the first, or one after svmm_vm_reset_devices): devices
 * that count from power-on start now, in the guest's counter of this boot (the watchdog starts
 * enabled). Call under the same serialisation as MMIO accesses, once the platform's counter for
 * this boot is set up.
 */
void svmm_vm_power_on(struct svmm_vm *vm);

/* Host pointer to the generated DTB (vm->dtb_size bytes) once svmm_vm_load_linux succeeded. */
const void *svmm_vm_dtb(const struct svmm_vm *vm);

/* Handle one trapped guest access by vCPU `vcpu` (see svmm_mmio_access); the platform serialises calls. */
bool svmm_vm_mmio_access(struct svmm_vm *vm, unsigned vcpu, uint64_t gpa, bool is_write, unsigned size, uint64_t *data);

/* Write one "name=count" summary of exits per device into buf (for the platform's statistics line). */
void svmm_vm_exit_stats(const struct svmm_vm *vm, char *buf, size_t len);

#endif
