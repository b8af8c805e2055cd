/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svmm-compose: one system description (YAML, docs/system-description.md) -> a whole system.
 * parse.c reads the YAML into `struct sys` (remembering the line of every field), validate.c checks
 * it and plans the physical layout, emit_*.c write the outputs. Every error is one line
 * "file:line: field: message" on stderr.
 */
#ifndef SVMM_COMPOSE_H
#define SVMM_COMPOSE_H

#include "colour.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <svmm/config.h>
#include <svmm/features.h>

#define MAX_VMS 16
#define MAX_DEVS 16
#define MAX_PT 8
#define MAX_PT_MMIO 4
#define MAX_PT_IRQS 8
#define MAX_SWITCHES 8
#define MAX_COMPONENTS 8
#define MAX_POOLS 4
#define MAX_SLOTS 8
#define MAX_IMAGES 8
#define NAME_MAX_LEN 32
#define PATH_MAX_LEN 512

/* Facts about a board, from the built-in table (validate.c). */
struct board {
    const char *name;
    uint64_t ram_base, ram_size;       /* RAM seL4 manages (guest RAM comes from here) */
    uint64_t guest_ram;                /* of that, what guest RAM (VMs and pools) may use in total */
    unsigned pcpus;
    uint64_t images_base, images_end;  /* physical window the boot loader fills with boot images */
    uint64_t uart_phys;                /* board UART (PL011), shared by every VMM */
    uint32_t uart_irq;                 /* its interrupt (INTID) */
    uint64_t gic_vcpu_phys;            /* GICv2 virtual CPU interface (GICV) */
    unsigned num_lrs;
    uint32_t ptimer_irq;               /* EL1 physical timer (INTID), exported to user level: the idle timer; 0: none */
    bool riscv;                        /* riscv64: hosted outputs only, seL4 has no RISC-V VMs (docs/riscv.md) */
};

enum dev_type { DEV_CONSOLE, DEV_BLK, DEV_NET, DEV_RNG, DEV_VSOCK };

#define MAX_PARTITIONS 16   /* BLK_SERVER_MAX_CLIENTS */

struct partition {
    char name[NAME_MAX_LEN]; int line;
    uint64_t size; int size_line;
    bool readonly;
    uint64_t offset;         /* planned */
    int vm, dev, client;     /* planned: the blk device it serves and its client number; -1 while unused */
};

struct device {
    int line;
    enum dev_type type;
    char file[PATH_MAX_LEN]; int file_line;   /* blk: a disk image (hosted backend) */
    char server[NAME_MAX_LEN]; int server_line; /* blk: a block server, or a driver VM serving the disk */
    char disk[NAME_MAX_LEN]; int disk_line;   /* blk: which of the server's partitions */
    bool on_bsrv; int bsrv, bpart, blink;     /* planned: on block server bsrv, its partition bpart, VMM link */
    bool on_dvm; int dvm;                     /* planned: on driver VM dvm (its partition bpart, VMM link blink) */
    struct partition parts[MAX_PARTITIONS];   /* blk with a store: partitions served to other VMs (driver VM) */
    unsigned nparts; int parts_line;
    uint64_t ramdisk; int ramdisk_line;       /* blk: a RAM disk of this size (seL4) */
    bool readonly; int readonly_line;
    char sw[NAME_MAX_LEN]; int sw_line;       /* net: the switch it is a port of ("" = none) */
    char reach[MAX_VMS][NAME_MAX_LEN]; unsigned nreach; int reach_line; /* net on a switch: its ACL (VM names) */
    int sw_index, sw_port, link;              /* planned by validate: switch, port number, VMM link number */
    char mac[24]; int mac_line;               /* net: "52:54:00:..." as written */
    uint8_t mac_bytes[6]; bool has_mac;       /* net: parsed by validate */
    uint64_t cid; int cid_line;               /* vsock */
    bool multiport; int multiport_line;       /* console: offer MULTIPORT on seL4 (svmm run always does) */
};

struct mmio_region { uint64_t base, size; int line; };
struct irq_ref { uint32_t irq; int line; };

struct passthrough {
    char name[NAME_MAX_LEN];
    int line;
    struct mmio_region mmio[MAX_PT_MMIO];
    unsigned nmmio;
    struct irq_ref irqs[MAX_PT_IRQS];
    unsigned nirqs;
    char dt_node[128]; int dt_node_line;  /* the device's node in board_dtb, copied into the guest's DT */
    bool edge; int trigger_line;          /* trigger: edge (else level) for its interrupts */
    bool dma; int dma_line;               /* dma: the device masters memory (default true) */
    void *dt;                             /* planned: an FDT whose root holds a copy of dt_node (malloc'd) */
};
/* A VM's passthrough interrupts are notifications on channels PT_IRQ_CHANNEL(k), k counting them in order. */
#define MAX_PT_IRQS_PER_VM 8u  /* SEL4_MAX_PT_IRQS, src/platform/sel4/sel4_vm.h */
#define PT_IRQ_CHANNEL(k) (46u + (k))

struct image_file {
    char path[PATH_MAX_LEN]; /* as written */
    int line;
    uint64_t size;           /* filled by validate */
};

struct vm {
    char name[NAME_MAX_LEN];
    int line;
    struct image_file kernel, initrd;
    char bootargs[SVMM_BOOTARGS_MAX];
    int serve_dev;          /* planned: the blk device whose partitions it serves (a driver VM), else -1 */
    unsigned nclients;      /* planned: partitions of serve_dev in use (its relay's clients) */
    uint64_t ram; int ram_line;
    uint64_t ram_base; int ram_base_line;
    unsigned vcpus; int vcpus_line;
    unsigned pcpus[SVMM_MAX_VCPUS]; int pcpu_lines[SVMM_MAX_VCPUS]; unsigned npcpus; int pcpus_line;
    unsigned priority, vmm_priority;
    int vmm_passive;       /* vmm_passive: 1 or 0, -1 = not given (the build's default, sys.passive_vmms) */
    uint64_t budget_us, period_us; int mcs_line;
    bool console_input; int console_line;
    /* svmm up only (--up-plan): what the supervisor does when the VM fails (docs/hosted.md, svmm up) */
    bool restart_on_fault; int on_fault_line;
    bool test_fault; int test_fault_line;       /* seL4 admin: the `fault VM` command may crash its VMM */
    unsigned max_restarts; int max_restarts_line;     /* restarts allowed ... */
    unsigned restart_window; int restart_window_line; /* ... within this many seconds */
    unsigned watchdog; int watchdog_line;           /* SBSA watchdog timeout (s), 0: none (svmm run --watchdog) */
    unsigned watchdog_boot; int watchdog_boot_line; /* its first window from power-on (s), 0: watchdog */
    struct device devs[MAX_DEVS];
    unsigned ndevs;
    struct passthrough pt[MAX_PT];
    unsigned npt; int pt_line;  /* seL4 only (validate.c, check_what_works) */
    bool ram_identity; int ram_identity_line; /* guest RAM at guest-physical = physical (passthrough DMA) */
    int priority_line, vmm_priority_line, vmm_passive_line; /* 0: not given (seL4-only fields) */
    /* planned by validate */
    uint64_t images_phys, images_size, initrd_offset;
    /* seL4 with admin: a dynamic slot run as a VM (expand_slots): s->slots[slot]'s images, one per image_space */
    bool is_slot; unsigned slot;
    /* colours: cache colouring (seL4): guest RAM only from frames of these colours, planned as runs */
    uint64_t kernel_addr; int kernel_addr_line; /* non-zero: kernel: is a raw binary for this address */
    struct svmm_ram_range ram_ranges[SVMM_MAX_EXTRA_RAM]; unsigned nram_ranges; int ram_ranges_line; /* more RAM */
    bool coloured; int colours_line;
    bool colour_mask[COLOUR_MAX];
    struct colour_run *runs; unsigned nruns; /* planned by plan_images (malloc'd: up to one per page) */
    bool passive; /* the VMM PD is passive (runs on its vCPUs' scheduling contexts) */
    uint64_t ram_phys; /* guest RAM placed in the board's reserved window (not cleared at boot), or 0 */
};

/* A virtual switch: a Microkit PD on seL4, an `svmm switch` process hosted. Ports are planned by validate. */
struct vswitch {
    char name[NAME_MAX_LEN]; int line;
    unsigned nports;
    struct { unsigned vm, dev; } ports[MAX_VMS]; /* port i: vms[vm].devs[dev] */
    unsigned priority;                           /* seL4: the switch PD's */
};

/* seL4 switch links: buffers per direction and bytes per buffer (a 1500-byte MTU frame and its header). */
#define SEL4_SWITCH_NBUFS 256u
#define SEL4_SWITCH_BUF_SIZE 2048u

/*
 * A native block server (block_servers:): a Microkit PD on seL4 over a RAM disk, an `svmm blk-server`
 * process hosted over a file. Partitions lie back to back in description order; each serves at most
 * one blk device (its client); clients are numbered in partition order (planned by validate).
 */
#define MAX_BLK_SERVERS 4
#define PARTITION_NAME_MAX 23u /* BLK_SERVER_NAME_MAX: the client's name, the disk's serial */

struct blk_srv {
    char name[NAME_MAX_LEN]; int line;
    uint64_t ramdisk; int ramdisk_line;     /* the store on seL4 */
    char file[PATH_MAX_LEN]; int file_line; /* the store hosted */
    struct partition parts[MAX_PARTITIONS];
    unsigned nparts;
    unsigned nclients;                      /* planned */
    unsigned priority;                      /* seL4: the server PD's (no lower than its clients' VMMs) */
};

/* seL4 block links: requests in flight and bytes per request (32 x 64 KiB: a 2 MiB data region). */
#define SEL4_BLK_DEPTH 32u
#define SEL4_BLK_SLOT_SIZE 65536u
#define SEL4_MAX_BLK_LINKS 4u  /* src/platform/sel4/sel4_devices.h */

struct component {
    char name[NAME_MAX_LEN];
    char program[PATH_MAX_LEN]; int program_line; /* an ELF; relative paths: see --root */
    unsigned priority;
    int line;
};

struct pool { char name[NAME_MAX_LEN]; uint64_t size; int line; };

/* A window of memory shared by VMs, each at a guest-physical base of its own (shared_windows:). */
#define MAX_WINDOWS 4 /* SVMM_MAX_WINDOWS */
struct window {
    char name[NAME_MAX_LEN];
    uint64_t size;
    int line, size_line;
    struct { char vm[NAME_MAX_LEN]; uint64_t base; int line; int vm_index; } at[MAX_VMS];
    unsigned nat;
};

struct dyn_image {
    char name[NAME_MAX_LEN];
    int line;
    struct image_file kernel, initrd;
};

struct slot {
    char name[NAME_MAX_LEN];
    int line;
    uint64_t ram; int ram_line;
    unsigned vcpus; int vcpus_line;
    char pool[NAME_MAX_LEN]; int pool_line;
    uint64_t image_space; int image_space_line;
    struct dyn_image images[MAX_IMAGES];
    unsigned nimages;
    uint64_t images_phys; /* planned */
};

/*
 * The platforms a description is checked for: an output for either is only written if it works there.
 * FOR_HOSTED_SCRIPT: among the hosted outputs, one without a supervisor (--hosted, --up-script), which
 * cannot act on the fields only `svmm up` (--up-plan) acts on: on_fault and its limits, dynamic slots.
 */
enum { FOR_SEL4 = 1, FOR_HOSTED = 2, FOR_HOSTED_SCRIPT = 4 };

struct sys {
    const char *file;      /* as given on the command line (error messages) */
    unsigned platforms;    /* FOR_SEL4 | FOR_HOSTED: set by main from the outputs asked for */
    char label[128];       /* "<dir>/<file>" for generated comments */
    const char *root;      /* relative image paths are relative to this directory */
    const struct board *board; int board_line;
    int gic; int gic_line; /* 2 or 3; the line of gic: in the description, 0 if not there */
    bool passive_vmms;     /* default for vmm_passive: --exception-fastpath (the kernel has it) */
    unsigned cores;        /* --cores: the kernel's core count (SMP SDK); 0: as many as the board has */
    bool microkit_2_0;     /* --microkit-version 2.0.x: its tool sets up one multi-vCPU VM at most */
    struct vm vms[MAX_VMS];
    unsigned nvms;
    /* dynamic is parsed and validated, then refused: not implemented (check_what_works) */
    struct vswitch switches[MAX_SWITCHES];
    unsigned nswitches; int switches_line;
    struct blk_srv bsrvs[MAX_BLK_SERVERS];
    unsigned nbsrvs; int bsrvs_line;
    struct component comps[MAX_COMPONENTS];
    unsigned ncomps; int components_line;
    struct pool pools[MAX_POOLS];
    unsigned npools;
    struct slot slots[MAX_SLOTS];
    unsigned nslots; int dynamic_line;
    /* admin: the seL4 admin PD (src/platform/sel4/admin_pd.c), the VMMs' parent; admin_line 0: none */
    int admin_line;
    unsigned admin_priority;
    struct window windows[MAX_WINDOWS];
    unsigned nwindows; int windows_line;
    /* cache: the board's last-level cache, for colouring (cache_line 0: none given) */
    uint64_t cache_size; unsigned cache_ways; int cache_line;
    /* board_dtb: the board's device tree, where passthrough devices' nodes come from (board_dtb_line 0: none) */
    char board_dtb[PATH_MAX_LEN]; int board_dtb_line;
    void *board_fdt; /* read by validate (malloc'd) */
    struct colour_geometry colours; /* from cache: with 4 KiB pages */
    unsigned errors;
    /* --features (make's FEATURES): bit FEAT_<NAME> forced off or on in every VMM (features.c) */
    unsigned features_off, features_on;
};

#define FIELD_VM(buf, v, key) (snprintf(buf, sizeof(buf), "vms.%s.%s", (v)->name, key), buf)
#define FIELD_SLOT(buf, sl, key) (snprintf(buf, sizeof(buf), "dynamic.slots.%s.%s", (sl)->name, key), buf)

/* One error line: "file:line: field: message". */
void compose_error(struct sys *s, int line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

const struct board *board_lookup(const char *name);

/*
 * seL4: whether VM `v`'s vCPUs sleep in WFI, woken by the idle timer PD (src/platform/sel4/sel4_idle.h):
 * the board has a timer for it and the VMM is not passive. Its VMM's channel to the timer is
 * IDLE_TIMER_VMM_CHANNEL.
 */
bool idle_timer_client(const struct sys *s, const struct vm *v);
#define IDLE_TIMER_VMM_CHANNEL 60u
/* The admin PD: VMM i's admin page there and in the VMM; channels as src/platform/sel4/sel4_admin.h has them. */
#define ADMIN_PAGE_VADDR(i) (0x40000000ull + (unsigned long long)(i) * 0x1000ull)
#define VMM_ADMIN_PAGE_VADDR 0x3200000ull
#define SEL4_ADMIN_VMM_CHANNEL 61u /* in each VMM */
#define ADMIN_UART_IRQ_CHANNEL 61u /* in the admin; its channel to VMM i is i */
const char *dev_type_name(enum dev_type t);

int parse_system(struct sys *s, const char *file);
int validate_system(struct sys *s);
/* x rounded up to a multiple of 2 MiB (how boot images are packed). */
uint64_t align2m(uint64_t x);
/*
 * seL4 with an admin PD: each dynamic slot becomes a VM of its own (a VMM PD that starts with no
 * guest and boots one of the slot's images when the admin says so), appended to s->vms. Call after
 * validate_system and only for seL4 outputs. Returns -1 (errors reported) if the VMs do not fit.
 */
int expand_slots(struct sys *s);
/* The guest configuration svmm runs this VM with on seL4 (what <vm>_config.c holds). */
void vm_guest_config(const struct sys *s, const struct vm *v, struct svmm_vm_config *cfg);
/* Lower-case letters, digits and _, a letter first. */
bool valid_name(const char *n);
/* passthrough.c: a VM's passthrough devices and ram_identity against the platforms' rules. */
void check_passthrough_vm(struct sys *s, struct vm *v, bool sel4, bool hosted);
/* passthrough.c: each device's node copied from board_dtb (checked against its mmio: and irqs:). */
void plan_passthrough_nodes(struct sys *s);
/* `path` resolved against the root directory, into buf. */
const char *resolve_path(const struct sys *s, const char *path, char *buf, size_t len);

int emit_sdf(const struct sys *s, FILE *f, bool cpu_attr);
int emit_vm_config(const struct sys *s, const struct vm *v, FILE *f);
int emit_switch_config(const struct sys *s, const struct vswitch *w, FILE *f);
int emit_blk_server_config(const struct sys *s, const struct blk_srv *b, FILE *f);
/* admin_config.c: the admin PD's `sel4_admin` (src/platform/sel4/sel4_admin.h), when the description has admin:. */
int emit_admin_config(const struct sys *s, FILE *f);
/* features.c: compile-time features per VMM (include/svmm/features.h), FEAT_<NAME> in its list's order. */
#define FEAT_ENUM(N, n) FEAT_##N,
enum { SVMM_FEATURES(FEAT_ENUM) NFEATURES };
/* --features "-a +b ...": forced off / on into s; -1 (with a message) for a name that is no feature. */
int parse_features(struct sys *s, const char *spec);
/* Feature i in VM v's VMM: used by its description (or forced on), and not forced off. */
bool vm_feature(const struct sys *s, const struct vm *v, int i);
/* One error per feature a VM uses that --features leaves out; -1 if any. */
int check_vm_features(struct sys *s);
/* <vm>_features.h: SVMM_FEATURE_<NAME> 0 or 1 for each feature (vm_feature). */
int emit_vm_features(const struct sys *s, const struct vm *v, FILE *f);
/*
 * VM-to-VM vsock: every VM with a vsock device may reach every other VM with one (the pairs are
 * the links; docs/system-description.md). vsock_dev: the VM's vsock device or NULL; vsock_peers:
 * the indices of its peer VMs in description order (link k of the VM is peers[k]); returns how many.
 */
const struct device *vsock_dev(const struct vm *v);
unsigned vsock_peers(const struct sys *s, const struct vm *v, unsigned peers[MAX_VMS]);
/* Link number of peer VM `peer` among v's links, or -1. */
int vsock_link_of(const struct sys *s, const struct vm *v, unsigned peer);
/* seL4: links per VMM (src/platform/sel4/sel4_devices.h SEL4_MAX_VSOCK_LINKS); hosted: svmm run's peers. */
#define SEL4_MAX_VSOCK_LINKS 4u
#define HOSTED_MAX_VSOCK_PEERS 8u

/* The switch port of a net device, as its MAC: the description's, else 02:73:76:6d:<0x10 + switch>:<port>. */
void switch_port_mac(const struct device *d, uint8_t mac[6]);
/*
 * The partition a blk device's disk is when it is served (by a block server: on_bsrv, or a driver
 * VM: on_dvm; its name is the device's server:), else NULL.
 */
const struct partition *dev_disk_partition(const struct sys *s, const struct device *d);
/* "driver VM" or "block server": what serves a device for which dev_disk_partition is not NULL. */
#define DISK_SERVER_KIND(d) ((d)->on_dvm ? "driver VM" : "block server")

/*
 * VM v's kernel command line on a platform (hosted or seL4): its bootargs, and for a driver VM
 * " svmm_blk_agent=SERIAL,NAME=OFFSET:SIZE[:ro],..." -- the served disk's serial and the partitions
 * in use, which the test guest's /init hands to svmm-blk-agent (docs/inter-vm.md). -1 when it does
 * not fit `len` bytes (validate checks it for the platforms asked for).
 */
int vm_bootargs(const struct sys *s, const struct vm *v, bool hosted, char *out, size_t len);
int emit_qemu_args(const struct sys *s, FILE *f);
int emit_dtb(const struct sys *s, const struct vm *v, const char *path);
int emit_hosted(const struct sys *s, FILE *f, const char *svmm);
int emit_up_script(const struct sys *s, FILE *f, const char *svmm);
/* The supervisor's plan (`svmm up PLAN`, src/platform/kvm/up_plan.h has its format). */
int emit_up_plan(const struct sys *s, FILE *f);

#endif
