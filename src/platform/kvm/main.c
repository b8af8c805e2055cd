/* SPDX-License-Identifier: BSD-2-Clause */
/* svmm on Linux KVM: parse the command line, load the guest, run it until it stops. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <svmm/hosted.h>
#include <svmm/features.h>
#include <svmm/log.h>
#include <svmm/vm.h>
#include <svmm/virtio_rng.h>
#include "blk_file.h"
#include "blk_link_shm.h"
#include "blk_relay_host.h"
#include "blk_server_main.h"
#include "cli.h"
#include "control.h"
#include "hosted_vm.h"
#include "kvm.h"
#include "kvm_arch.h"
#include "net_switch.h"
#include "net_tap.h"
#include "switch_main.h"
#include "up.h"
#include "rng_host.h"
#include "stdio_console.h"
#include "vsock_peers.h"
#include "vsock_uds.h"
#include "watchdog_host.h"

#ifndef SVMM_VERSION
#define SVMM_VERSION "0.1.0-dev"
#endif

static int fail(const char *msg)
{
    stdio_restore();
    fprintf(stderr, "svmm: error: %s\n", msg);
    return SVMM_EXIT_ERROR;
}

static int write_dtb(const char *path, const void *dtb, size_t len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL || fwrite(dtb, 1, len, f) != len || fclose(f) != 0) {
        snprintf(err, errlen, "cannot write --dtb-out '%s': %s", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    svmm_info("device tree written to %s (%zu bytes)", path, len);
    return 0;
}

/* --disk server=...: index i used when --disk i names a block server. */
static struct blk_link_host blk_links[SVMM_CLI_MAX_DISKS];

/* --disk and --rng devices, each in the slot the CLI gave it (writes reach the file before completing). */
static int attach_blk_rng(const struct svmm_cli *cli, struct svmm_vm *vm, struct kvm_host *host, char *err,
                          size_t errlen)
{
    static struct virtio_blk disks[SVMM_CLI_MAX_DISKS];
    static struct virtio_rng rng;
    const struct virtio_rng_backend rng_be = { .fill = rng_host_fill };

    /* Each feature's calls under SVMM_FEATURE_<NAME> (features.h): left out, the CLI refused it, nothing calls it. */
    for (unsigned i = 0; SVMM_FEATURE_BLK && i < cli->ndisks; i++) {
        const struct svmm_cli_disk *d = &cli->disks[i];
        char path[4096];

        snprintf(path, sizeof(path), "%.*s", (int)d->path_len, d->path);
        if (SVMM_FEATURE_BLK_SERVER && d->client[0]) {
            if (blk_link_host_open(&blk_links[i], path, d->client, d->ro, err, errlen) < 0 ||
                svmm_vm_attach_virtio(vm, d->slot, &blk_links[i].link.blk.dev, err, errlen) < 0)
                return -1;
            continue;
        }
        if (d->ram_size ? blk_file_open_ram(d->ram_size, &disks[i], &host->dev_lock, err, errlen) == NULL
                        : blk_file_open(path, d->ro, &disks[i], &host->dev_lock, err, errlen) == NULL)
            return -1;
        if (d->no_event_idx) {
            virtio_blk_offer_event_idx(&disks[i], false);
            svmm_info("disk %s: VIRTIO_F_EVENT_IDX not offered (no-event-idx)", path);
        }
        if (svmm_vm_attach_virtio(vm, d->slot, &disks[i].dev, err, errlen) < 0)
            return -1;
    }
    for (unsigned slot = 0; SVMM_FEATURE_RNG && cli->rng && slot < cli->cfg.nvirtio; slot++) {
        if (cli->cfg.virtio_ids[slot] != VIRTIO_ID_RNG)
            continue;
        virtio_rng_init(&rng, &rng_be);
        if (svmm_vm_attach_virtio(vm, slot, &rng.dev, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* --net and --vsock devices with their hosted backends (tap or switch, Unix sockets), each in its CLI slot. */
static struct net_tap nets[SVMM_CLI_MAX_NETS];
static struct net_switch net_switches[SVMM_CLI_MAX_NETS]; /* index i used when --net i is switch= */
static struct vsock_uds vsock;
static struct vsock_peers vsock_peers; /* --vsock ...,peer=: links to other VMs' VMMs */

static int attach_net_vsock(const struct svmm_cli *cli, struct svmm_vm *vm, char *err, size_t errlen)
{
    for (unsigned i = 0; SVMM_FEATURE_NET && i < cli->nnets; i++) {
        const struct svmm_cli_net *n = &cli->nets[i];
        uint8_t mac[6] = { 0x02, 0x73, 0x76, 0x6d, 0x00, (uint8_t)i };

        if (n->switch_path) {
            char path[108];
            snprintf(path, sizeof(path), "%.*s", (int)n->switch_len, n->switch_path);
            if (net_switch_open(&net_switches[i], path, n->port, n->has_mac ? n->mac : mac, n->has_mac, err,
                                errlen) < 0 ||
                svmm_vm_attach_virtio(vm, n->slot, &net_switches[i].link.net.dev, err, errlen) < 0)
                return -1;
            continue;
        }
        if (net_tap_open(&nets[i], n->tap, n->has_mac ? n->mac : mac, err, errlen) < 0 ||
            svmm_vm_attach_virtio(vm, n->slot, &nets[i].net.dev, err, errlen) < 0)
            return -1;
    }
    if (SVMM_FEATURE_VSOCK && cli->has_vsock) {
        char path[sizeof(vsock.path)];
        snprintf(path, sizeof(path), "%.*s", (int)cli->vsock.uds_len, cli->vsock.uds);
        if (vsock_uds_open(&vsock, cli->vsock.cid, path, err, errlen) < 0 ||
            vsock_peers_open(&vsock_peers, &vsock.vsock, &cli->vsock, err, errlen) < 0 ||
            svmm_vm_attach_virtio(vm, cli->vsock.slot, &vsock.vsock.dev, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* --serve-disk: this VM is a driver VM (its agent serves other VMMs' disks over a console port). */
static struct blk_relay_host blk_relay;

/* The block-server disks' service threads, and the driver VM's relay thread. */
static int start_disks(const struct svmm_cli *cli, struct kvm_host *host, char *err, size_t errlen)
{
    if (!SVMM_FEATURE_BLK_SERVER)
        return 0;
    for (unsigned i = 0; i < cli->ndisks; i++)
        if (cli->disks[i].client[0] && blk_link_host_start(&blk_links[i], host, err, errlen) < 0)
            return -1;
    return blk_relay_host_start(&blk_relay, host, err, errlen);
}

static void join_disks(const struct svmm_cli *cli)
{
    if (!SVMM_FEATURE_BLK_SERVER)
        return;
    for (unsigned i = 0; i < cli->ndisks; i++)
        if (cli->disks[i].client[0])
            blk_link_host_join(&blk_links[i]);
    blk_relay_host_join(&blk_relay);
}

static int start_net_vsock(const struct svmm_cli *cli, struct kvm_host *host, char *err, size_t errlen)
{
    for (unsigned i = 0; SVMM_FEATURE_NET && i < cli->nnets; i++) {
        /*
         * A tap NIC's transport and QueueNotify address: its transmit thread is woken by an ioeventfd
         * there. A switch port keeps transmit on the notifying vCPU: moving it to the port's thread
         * measured slower VM to VM (docs/performance.md, "Hosted virtio-net").
         */
        unsigned slot = cli->nets[i].slot;
        struct virtio_mmio *tr = &host->vm->transports[slot];
        uint64_t notify = svmm_virtio_slot_base(&host->vm->cfg, slot) + VIRTIO_MMIO_QUEUE_NOTIFY;

        if (cli->nets[i].switch_path ? net_switch_start(&net_switches[i], host, err, errlen) < 0
                                     : net_tap_start(&nets[i], host, tr, notify, err, errlen) < 0)
            return -1;
    }
    if (!SVMM_FEATURE_VSOCK || !cli->has_vsock)
        return 0;
    if (vsock_peers_start(&vsock_peers, host, err, errlen) < 0)
        return -1;
    return vsock_uds_start(&vsock, host, err, errlen);
}

static void join_net_vsock(const struct svmm_cli *cli)
{
    for (unsigned i = 0; SVMM_FEATURE_NET && i < cli->nnets; i++) {
        if (cli->nets[i].switch_path)
            net_switch_join(&net_switches[i]);
        else
            net_tap_join(&nets[i]);
    }
    if (SVMM_FEATURE_VSOCK && cli->has_vsock) {
        vsock_peers_join(&vsock_peers);
        vsock_uds_join(&vsock);
    }
}

/*
 * Shared windows: each file (created 0600 when missing, made as large as the window, refused when
 * larger or not a regular file) mapped shared, so every VMM given the same path sees one memory.
 */
static int map_windows(const struct svmm_cli *cli, struct kvm_host *host, char *err, size_t errlen)
{
    for (unsigned i = 0; i < cli->cfg.nwindows && i < SVMM_MAX_WINDOWS; i++) {
        const struct svmm_shared_window *w = &cli->cfg.windows[i];
        struct stat st;
        int fd = open(cli->window_path[i], O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > w->size ||
            ((uint64_t)st.st_size < w->size && ftruncate(fd, (off_t)w->size) < 0)) {
            snprintf(err, errlen, "--shared-window %s: %s", cli->window_path[i],
                     fd < 0 ? strerror(errno) : "not a regular file of at most the window's size");
            if (fd >= 0)
                close(fd);
            return -1;
        }
        host->windows[i] = mmap(NULL, w->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        if (host->windows[i] == MAP_FAILED) {
            snprintf(err, errlen, "--shared-window %s: mmap: %s", cli->window_path[i], strerror(errno));
            return -1;
        }
        svmm_info("shared window %s: %s at 0x%llx (%llu KiB)", w->name, cli->window_path[i],
                  (unsigned long long)w->base, (unsigned long long)(w->size >> 10));
    }
    return 0;
}

static int run(const struct svmm_cli *cli)
{
    static struct svmm_vm vm;
    static struct kvm_host host;
    static struct virtio_console console;
    static struct console_host conhost;
    static struct vmm_control control = { .lfd = -1 };
    static struct kvm_watchdog watchdog = { .timer_fd = -1 };
    char err[512];
    int status;
    static struct hosted_guest images;
    struct svmm_platform plat = kvm_host_platform(&host);
    struct svmm_vm_backends be = { .uart_tx = stdio_uart_tx };
    struct svmm_vm_config cfg = cli->cfg;

    images = (struct hosted_guest){ .vm = &vm, .kernel_path = cli->kernel };
    hosted_block_sigterm(true); /* until every thread is started: see hosted_block_sigterm() */
    host.vm_fd = -1; /* device resets may drive IRQ lines before the KVM VM exists */
    if (console_host_setup(cli, &console, &conhost, err, sizeof(err)) < 0 ||
        (SVMM_FEATURE_BLK_SERVER && blk_relay_host_open(&blk_relay, cli, &console, err, sizeof(err)) < 0))
        return fail(err);
    if (SVMM_FEATURE_WATCHDOG && cli->cfg.watchdog_s &&
        kvm_watchdog_open(&watchdog, &host, cli->name ? cli->name : "vm", &be.wdt_clock, err, sizeof(err)) < 0)
        return fail(err);
    if (kvm_arch_vm_config(&cfg, err, sizeof(err)) < 0 || svmm_vm_init(&vm, &cfg, &plat, &be, err, sizeof(err)) < 0 ||
        svmm_vm_attach_virtio(&vm, 0, &console.dev, err, sizeof(err)) < 0 ||
        attach_blk_rng(cli, &vm, &host, err, sizeof(err)) < 0 ||
        attach_net_vsock(cli, &vm, err, sizeof(err)) < 0)
        return fail(err);
    images.kernel = svmm_read_file("kernel", cli->kernel, &images.kernel_len, err, sizeof(err));
    if (images.kernel == NULL)
        return fail(err);
    if (cli->initrd &&
        (images.initrd = svmm_read_file("initrd", cli->initrd, &images.initrd_len, err, sizeof(err))) == NULL)
        return fail(err);
    if (hosted_guest_map_ram(&images, err, sizeof(err)) < 0)
        return fail(err);
    if (hosted_guest_load(&images, err, sizeof(err)) < 0)
        return fail(err);
    if (cli->dtb_out && write_dtb(cli->dtb_out, svmm_vm_dtb(&vm), vm.dtb_size, err, sizeof(err)) < 0)
        return fail(err);
    if (kvm_host_open(&host, cli->no_reboot, err, sizeof(err)) < 0 || map_windows(cli, &host, err, sizeof(err)) < 0 ||
        kvm_host_create_vm(&host, &vm, images.ram, images.extra_ram, err, sizeof(err)) < 0 ||
        (SVMM_FEATURE_CTL && cli->control && vmm_control_open(&control, cli->control, err, sizeof(err)) < 0))
        return fail(err);
    svmm_info("starting VM: %u vCPU%s, %llu MiB RAM, cmdline \"%s\"", cli->cfg.ncpus, cli->cfg.ncpus > 1 ? "s" : "",
              (unsigned long long)(cli->cfg.ram_size >> 20), cli->cfg.bootargs);
    host.cpu_affinity = cli->cpu_affinity;
    host.naffinity = cli->naffinity;
    host.rt_priority = cli->rt_priority;
    if (cli->naffinity) {
        char list[SVMM_MAX_VCPUS * 6] = "";
        size_t n = 0;
        for (unsigned i = 0; i < cli->naffinity && n < sizeof(list); i++)
            n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%u", i ? "," : "", cli->cpu_affinity[i]);
        svmm_info("vCPU threads pinned to host CPUs %s (vCPU 0 first)%s", list,
                  cli->rt_priority ? ", under SCHED_FIFO" : "");
    }
    stdio_setup();
    if (kvm_host_start(&host, err, sizeof(err)) < 0)
        return fail(err);
    if (start_disks(cli, &host, err, sizeof(err)) < 0 || start_net_vsock(cli, &host, err, sizeof(err)) < 0 ||
        (SVMM_FEATURE_CTL && vmm_control_start(&control, &host, err, sizeof(err)) < 0) ||
        (SVMM_FEATURE_WATCHDOG && cli->cfg.watchdog_s && kvm_watchdog_start(&watchdog, err, sizeof(err)) < 0)) {
        kvm_host_stop(&host, SVMM_EXIT_ERROR);
        return fail(err);
    }
    hosted_serve(&host, &console, &conhost, &images);
    status = kvm_host_join(&host);
    if (SVMM_FEATURE_WATCHDOG)
        kvm_watchdog_close(&watchdog);
    join_net_vsock(cli);
    join_disks(cli);
    if (SVMM_FEATURE_CTL)
        vmm_control_close(&control);
    stdio_restore();
    console_host_close(&conhost, &console);
    svmm_info("VM stopped, exit status %d", status);
    return status;
}

int main(int argc, char **argv)
{
    struct svmm_cli cli;
    char err[256];

    if (svmm_cli_parse(argc, argv, &cli, err, sizeof(err)) < 0)
        return fail(err);
    if (cli.cmd == SVMM_CLI_HELP) {
        fputs(svmm_cli_usage, stdout);
        return 0;
    }
    /* A command left out of the build (features.h) the CLI refused: its entry point is not linked. */
    if (SVMM_FEATURE_SWITCH && cli.cmd == SVMM_CLI_SWITCH) {
        svmm_log_set_clock(hosted_monotonic_ns);
        return switch_main(argc - 1, argv + 1, hosted_log_stderr);
    }
    if (SVMM_FEATURE_BLK_SERVER && cli.cmd == SVMM_CLI_BLK_SERVER) {
        svmm_log_set_clock(hosted_monotonic_ns);
        return blk_server_main(argc - 1, argv + 1, hosted_log_stderr);
    }
    if (SVMM_FEATURE_UP && cli.cmd == SVMM_CLI_UP)
        return up_main(argc - 1, argv + 1);
    if (SVMM_FEATURE_CTL && cli.cmd == SVMM_CLI_CTL)
        return vmm_control_client(cli.control, cli.ctl_command);
    if (cli.cmd == SVMM_CLI_VERSION) {
        printf("svmm %s (Linux KVM, %s)\n", SVMM_VERSION, kvm_arch_name);
        return 0;
    }
    svmm_log_init(hosted_log_stderr, cli.verbosity >= 2 ? SVMM_LOG_DEBUG : cli.verbosity == 1 ? SVMM_LOG_INFO : SVMM_LOG_WARN);
    svmm_log_set_clock(hosted_monotonic_ns);
    return run(&cli);
}
