/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The seL4 platform's VirtIO devices, one attach function per kind. The generated VM configuration
 * names one per virtio slot (svmm_sel4_vm.attach), so a VMM image links exactly the device models
 * and backends its VM uses: --gc-sections drops the rest.
 */
#ifndef SVMM_SEL4_DEVICES_H
#define SVMM_SEL4_DEVICES_H

#include <stddef.h>
#include <svmm/sel4/channel.h>
#include <svmm/sel4/console.h>
#include <svmm/sel4/irq.h>
#include <svmm/vm.h>

/* Create a device and attach it to virtio slot `slot` of `vm`. Returns 0, or -1 with a reason in err. */
typedef int (*sel4_attach_fn)(struct svmm_vm *vm, unsigned slot, char *err, size_t errlen);

/* virtio-console on the board UART: sel4_attach_console, or _multiport (svmm/sel4/console.h; one per VM). */

/*
 * virtio-blk on the "ramdisk" memory region the system description maps into this protection domain
 * (address and size patched in by Microkit: setvar_vaddr and setvar_size). Requests complete
 * synchronously, inside the guest's notify exit. One per VMM; fails when no RAM disk is mapped.
 */
int sel4_attach_ramdisk(struct svmm_vm *vm, unsigned slot, char *err, size_t errlen);

/*
 * virtio-rng fed by ChaCha20 keyed with this VM image's own seed: 32 bytes make sel4-system reads from
 * the build machine's random pool for each VM image (rng_chacha.c does not build without one). Every
 * image and build gets a different seed, kept as secret as the image; the byte stream still repeats
 * at every boot of the same image (there is no entropy source on the board yet). One per VM.
 */
int sel4_attach_rng(struct svmm_vm *vm, unsigned slot, char *err, size_t errlen);

/* virtio-net with no network behind it (frames sent into the void): a net device on no switch; up to 4. */
int sel4_attach_null_net(struct svmm_vm *vm, unsigned slot, char *err, size_t errlen);

/*
 * virtio-net on a port of a virtual switch PD: a netq link whose regions the SDF maps into this PD
 * (net_link<k>_queues/_tx/_rx, k = svmm_sel4_vm.net_link[slot].link) and a channel to the switch
 * (svmm_sel4_vm.net_link[slot].channel). Up to SEL4_MAX_NET_LINKS per VMM.
 */
#define SEL4_MAX_NET_LINKS 4
int sel4_attach_switch_net(struct svmm_vm *vm, unsigned slot, char *err, size_t errlen);

/*
 * virtio-vsock between VMs (one per VM): guest CID svmm_sel4_vm.vsock.cid, and per peer VM k a
 * vsock_link over regions the SDF maps here (vsock_link<k>_queues/_send/_recv, setvar_vaddr) and a
 * channel to the peer's VMM (svmm_sel4_vm.vsock.links[k]). No host side: connections to CID 2 are
 * refused. Up to SEL4_MAX_VSOCK_LINKS peers.
 */
#define SEL4_MAX_VSOCK_LINKS 4
int sel4_attach_vsock(struct svmm_vm *vm, unsigned slot, char *err, size_t errlen);

/*
 * virtio-blk on a partition served by a block server PD: a blkq link whose regions the SDF maps into
 * this PD (blk_link<k>_queues/_data, k = svmm_sel4_vm.blk_link[slot].link) and a channel to the
 * server (svmm_sel4_vm.blk_link[slot].channel). Waits (yielding, bounded) for the server to publish
 * the link's storage info. Up to SEL4_MAX_BLK_LINKS per VMM.
 */
#define SEL4_MAX_BLK_LINKS 4
int sel4_attach_blk_link(struct svmm_vm *vm, unsigned slot, char *err, size_t errlen);

/*
 * A driver VM's served disks (docs/inter-vm.md, "Driver VM on seL4"): other VMMs' blkq links, client
 * i's regions mapped here at blk_serve<i>_queues/_data (setvar_vaddr) and signalled on
 * svmm_sel4_vm.blk_serve.clients[i].channel, relayed by blk_relay to the agent in this VM's guest
 * over the virtio-console port BLK_AGENT_PORT, which this adds to `con` (the VM's console; NULL if it
 * has none, which is refused). Publishes every link's storage info before returning, so call it
 * before the guest is loaded: the clients' VMMs wait for it. Up to SEL4_MAX_SERVED_DISKS clients.
 */
#define SEL4_MAX_SERVED_DISKS 16
struct virtio_console;
typedef int (*sel4_serve_fn)(struct virtio_console *con, char *err, size_t errlen);
int sel4_serve_disks(struct virtio_console *con, char *err, size_t errlen);

/*
 * Devices that talk to other protection domains hook into the VMM's event loop through their
 * channels (sel4_on_notify, sel4_on_notify_always, sel4_defer: svmm/sel4/channel.h).
 */
_Static_assert(SEL4_MAX_HOOKS >= SEL4_MAX_NET_LINKS + SEL4_MAX_BLK_LINKS + SEL4_MAX_VSOCK_LINKS + SEL4_MAX_SERVED_DISKS,
               "every link a VMM may have gets its channel hook and its deferred function");

/*
 * `fn(ctx)` runs once when the VM stops for good, after the exit counters are logged: a device's own
 * last words. Not on a restart (the guest's PSCI SYSTEM_RESET): then every device is reset as a
 * driver's Status=0 write resets it (svmm_vm_reset_devices) and its links to other PDs stay up for
 * the next boot, so a hook that tore a link down would be wrong there.
 */
#define SEL4_MAX_STOP_HOOKS 4
int sel4_on_stop(void (*fn)(void *), void *ctx);

/*
 * Passthrough interrupts (passthrough.c; svmm_sel4_vm.pt_irqs): a physical SPI this VM owns is
 * asserted in its vGIC when seL4 delivers it and acknowledged to seL4 when the guest EOIs it.
 *  - sel4_passthrough_start: hooks every such interrupt's channel and unmasks it (a VMM started
 *    again by its parent may have left one masked); -1 when the hook table is full;
 *  - sel4_passthrough_eoi: the guest EOI'd `intid`; true if it is a passthrough interrupt (then acked);
 *  - sel4_passthrough_reset: the VM restarts: every one is acked (one delivered while the VM was
 *    not running was never recorded, so all are, which is harmless for the others);
 *  - sel4_passthrough_max_spi: the highest SPI number among them (0 if none), for the vGIC's size.
 */
int sel4_passthrough_start(char *err, size_t errlen);
bool sel4_passthrough_eoi(uint32_t intid);
void sel4_passthrough_reset(void);
uint32_t sel4_passthrough_max_spi(void);

#endif
