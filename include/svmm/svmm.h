/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The high-level API: one VM, on whichever platform the program is linked for, with no seL4 or KVM
 * types. Link with the hosted library (Linux KVM: $(BUILD)/aarch64/libsvmm-kvm.a) or the seL4 one
 * (a Microkit protection domain: $(BUILD)/sel4/libsvmm-sel4.a); the same calls work on both.
 *
 *     struct svmm_vm_config cfg;
 *     svmm_default_config(&cfg, 1, 256u << 20);          // the platform's machine, 1 vCPU, 256 MiB
 *     struct svmm *s = svmm_create(&cfg, err, sizeof(err));
 *     svmm_add_mmio_device(s, base, size, &my_ops, &my_dev, "mine", err, sizeof(err));
 *     svmm_load_linux(s, kernel, kernel_len, initrd, initrd_len, err, sizeof(err));
 *     svmm_run(s);
 *
 * Where it runs: on KVM, from main() (svmm_run blocks until the VM stops for good); on seL4, from
 * the protection domain's init() (svmm_run starts the VM and returns; the library provides the PD's
 * notified() and fault() entry points, which run the VM from then on).
 *
 * On seL4 the system description gives the PD what the library uses, by these names: the guest RAM
 * memory region mapped with setvar_vaddr="guest_ram_vaddr" (and setvar_size="guest_ram_size", at
 * least the configuration's ram_size; the VM maps the same region at ram_base), the board UART with
 * setvar_vaddr="board_uart_vaddr" (log and guest console), its receive interrupt as channel 1
 * (`<irq irq="33" id="1" />` on QEMU virt), and the VM's vCPUs 0..ncpus-1 as the PD's
 * virtual_machine. The boot images region, if any, is the application's to read (the library
 * defines `uintptr_t boot_images_vaddr` for its setvar_vaddr). On a GICv2 kernel the VM also maps
 * the board's GIC virtual CPU interface at the guest's GICC (examples/api/mmio-device/vmm.system).
 * The library's log lines read "svmm[vm]|...", the guest's console lines start "vm| ".
 *
 * On KVM the library takes what the svmm command does: one VM per process; /dev/kvm; the UART's
 * output on stdout and stdin as its input (Ctrl-A x on a terminal stops the VM, status 130); log
 * lines "svmm: ..." on stderr at info level (svmm_create installs that sink: call svmm_log_init()
 * after it to change it); a thread per vCPU, which uses SIGUSR1; SIGTERM stops the VM as a
 * power-off would, svmm_run() then returning 143. No shared windows or passthrough devices (the
 * svmm command's options). Boot images come from files with svmm_read_file() (svmm/hosted.h).
 *
 * Below it: the portable VM (svmm/vm.h, svmm_vm_of()) and, on seL4, the low-level API (svmm/sel4/).
 * Extension points: svmm_add_mmio_device (any MMIO device) and svmm_add_virtio_device (any virtio
 * device, svmm/virtio.h, behind a virtio-mmio transport the library provides).
 */
#ifndef SVMM_SVMM_H
#define SVMM_SVMM_H

#include <stddef.h>
#include <stdint.h>
#include <svmm/config.h>
#include <svmm/mmio.h>
#include <svmm/virtio.h>
#include <svmm/vm.h>

/* One VM and what its platform gave it (RAM, vCPUs, interrupt controller, console); opaque. */
struct svmm;

/*
 * Fill `cfg` with this platform's default machine: `ncpus` vCPUs, `ram_size` bytes of RAM at the
 * platform's RAM base, its interrupt controller, a 16550 UART on the platform's console (the kernel
 * command line "console=ttyS0"), its virtio-mmio window with no slot in use. Change any field
 * before svmm_create(), e.g. add virtio slots (cfg.nvirtio, cfg.virtio_ids) for
 * svmm_add_virtio_device().
 */
void svmm_default_config(struct svmm_vm_config *cfg, unsigned ncpus, uint64_t ram_size);

/*
 * Create the VM `cfg` describes (copied): its RAM, vCPUs and interrupt controller, the UART on the
 * platform's console. Returns NULL with a one-line reason in `err` (a bad configuration, no RAM, a
 * second VM in a process or PD that holds one already).
 */
struct svmm *svmm_create(const struct svmm_vm_config *cfg, char *err, size_t errlen);

/* The portable VM inside `s`, for the svmm_vm_* calls (svmm/vm.h); never NULL. */
struct svmm_vm *svmm_vm_of(struct svmm *s);

/*
 * Extension point: put a custom device on the VM's MMIO bus at [base, base + size) (page-aligned,
 * outside RAM and every other device). The guest's loads and stores there call `ops` with `dev`
 * and the vCPU that made the access, one at a time (serialised with every other device of the VM).
 * The device is not described in the guest's device tree. Before svmm_run(); 0, or -1 with a reason.
 */
int svmm_add_mmio_device(struct svmm *s, uint64_t base, uint64_t size, const struct svmm_mmio_ops *ops, void *dev,
                         const char *name, char *err, size_t errlen);

/*
 * Extension point: attach a custom virtio device (initialised, in reset state) to virtio slot
 * `slot`, whose type cfg.virtio_ids[slot] must equal dev->device_id. The library gives it a
 * virtio-mmio transport, an interrupt and a device-tree node; its ops run serialised with every
 * other device of the VM. Before svmm_run(); 0, or -1 with a reason.
 */
int svmm_add_virtio_device(struct svmm *s, unsigned slot, struct virtio_dev *dev, char *err, size_t errlen);

/*
 * Place a Linux kernel Image (and an initrd, `initrd` may be NULL) in guest RAM with a generated
 * device tree. The images are copied; the library keeps the pointers to load them again at each
 * restart, so they must stay valid while the VM exists. Before svmm_run(); 0, or -1 with a reason.
 */
int svmm_load_linux(struct svmm *s, const void *kernel, size_t kernel_len, const void *initrd, size_t initrd_len,
                    char *err, size_t errlen);

/*
 * Start the boot vCPU at the kernel. KVM: returns when the VM has stopped for good, with svmm's
 * exit status (0 the guest powered off or svmm_stop() was called, 3 the guest faulted, 1 a VMM
 * error, 143 SIGTERM); a second call returns 1. seL4: returns 0 once vCPU 0 runs (1 if it cannot start); the PD's event loop runs the VM.
 * A guest reset (PSCI SYSTEM_RESET) restarts the VM as svmm_restart() does.
 */
int svmm_run(struct svmm *s);

/*
 * Stop the VM for good: every vCPU halts, `why` is logged; on KVM svmm_run() returns 0. Safe from a
 * device callback and, on KVM, from any thread.
 */
void svmm_stop(struct svmm *s, const char *why);

/*
 * Restart the VM as a power cycle would: vCPUs halted, devices reset (svmm_vm_reset_devices), RAM
 * scrubbed, the images of svmm_load_linux() placed again, vCPU 0 started at the kernel. Safe from a
 * device callback (it takes effect once that access completes). 0, or -1 (logged) if it cannot.
 * Devices added with svmm_add_mmio_device() get their ops->reset (when set; without one a device
 * keeps its state); virtio devices get their reset callback.
 */
int svmm_restart(struct svmm *s);

/* How many times the VM has booted (1 after svmm_run, +1 per restart). */
unsigned svmm_boots(const struct svmm *s);

#endif
