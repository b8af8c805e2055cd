/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * riscv64 (src/arch/riscv64/), platform-free: the Linux Image header, the guest device tree's
 * RISC-V nodes, the SBI calls a platform forwards to the VMM, and a PLIC model. Every value that
 * comes from the guest (SBI registers, PLIC register accesses) is validated here.
 */
#ifndef SVMM_RISCV_H
#define SVMM_RISCV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <svmm/boot.h>
#include <svmm/config.h>
#include <svmm/mmio.h>

/* ---- Linux Image (Documentation/riscv/boot-image-header.rst) ---- */
#define RISCV_IMAGE_MAGIC2 0x05435352u /* "RSC\x05" at offset 56 */
#define RISCV_IMAGE_HEADER_SIZE 64u

/*
 * Validate a riscv64 Linux Image header (`len` bytes of the file in `buf`) and fill `out` with its
 * placement: the kernel goes `text_offset` bytes above a 2 MiB-aligned RAM base and needs
 * `image_size` bytes. Returns SVMM_IMAGE_OK or a negative svmm_image_err.
 */
int riscv_image_parse(const void *buf, size_t len, struct svmm_arm64_image *out);

/* A one-line English reason for an svmm_image_err value returned by riscv_image_parse. */
const char *riscv_image_strerror(int err);

/* ---- the vCPUs (svmm_riscv_config) ---- */
/* Multi-letter extensions (cfg->layout.riscv.isa_ext) the DT's riscv,isa names when present. */
#define RISCV_EXT_SSTC (1u << 0)        /* supervisor timer compare: the guest programs stimecmp */
#define RISCV_EXT_SVPBMT (1u << 1)
#define RISCV_EXT_SVINVAL (1u << 2)
#define RISCV_EXT_ZIHINTPAUSE (1u << 3)
#define RISCV_ISA_LETTER(c) (1ull << ((c) - 'a'))
/* rv64imafdc: what Linux distributions build for (RVA20's G + C). */
#define RISCV_ISA_DEFAULT (RISCV_ISA_LETTER('i') | RISCV_ISA_LETTER('m') | RISCV_ISA_LETTER('a') | \
                           RISCV_ISA_LETTER('f') | RISCV_ISA_LETTER('d') | RISCV_ISA_LETTER('c'))
#define RISCV_TIMEBASE_DEFAULT 10000000u /* 10 MHz, QEMU virt's; a platform sets its own */
#define RISCV_PLIC_BASE_DEFAULT 0x0c000000ull

/* ---- device tree ---- */
#define RISCV_PLIC_SIZE 0x4000000ull /* the PLIC's guest-physical window (contexts up to 15871) */
#define RISCV_DT_PHANDLE_INTC(hart) (2u + (hart)) /* hart `hart`'s local interrupt controller */
#define RISCV_IRQ_S_EXT 9u                         /* supervisor external interrupt (scause) */

/* The PLIC source id of device interrupt `spi` (source 0 does not exist). */
static inline uint32_t riscv_plic_source(uint32_t spi)
{
    return spi + 1;
}

/* The number of PLIC sources (ids 0..n-1) a VM with `cfg` has: its devices', rounded up to 32s. */
unsigned riscv_plic_nsources(const struct svmm_vm_config *cfg);

/*
 * The `riscv,isa` string for the vCPUs of `cfg` ("rv64imafdc_sstc...") into buf; false when buf
 * is too small or cfg->riscv.isa lacks I (no Linux-capable vCPU).
 */
bool riscv_isa_string(const struct svmm_vm_config *cfg, char *buf, size_t len);

/* /cpus with timebase-frequency, one cpu per vCPU (riscv,isa, mmu-type) and its interrupt controller. */
int riscv_dt_cpus(void *fdt, const struct svmm_vm_config *cfg);

/* The PLIC node (phandle SVMM_DT_PHANDLE_GIC: the root's interrupt-parent), one S-mode context per hart. */
int riscv_dt_plic(void *fdt, const struct svmm_vm_config *cfg);

/* An `interrupts` property for device interrupt `spi` (its PLIC source). */
int riscv_dt_irq(void *fdt, uint32_t spi);

/* riscv64's defaults of a configuration: the PLIC's place, an rv64imafdc vCPU with a 10 MHz timebase. */
void riscv_config_defaults(struct svmm_vm_config *cfg);

/* Check the riscv part of `cfg` (PLIC placement, ISA, timebase); 0, or -1 with a one-line reason in err. */
int riscv_config_check(const struct svmm_vm_config *cfg, char *err, size_t errlen);

/* ---- SBI (RISC-V Supervisor Binary Interface 1.0) ---- */
#define SBI_EXT_0_1_CONSOLE_PUTCHAR 0x1u
#define SBI_EXT_0_1_CONSOLE_GETCHAR 0x2u
#define SBI_EXT_0_1_SHUTDOWN 0x8u
#define SBI_EXT_BASE 0x10u
#define SBI_EXT_SRST 0x53525354u
#define SBI_EXT_EXPERIMENTAL_START 0x08000000u
#define SBI_EXT_EXPERIMENTAL_END 0x08ffffffu
#define SBI_EXT_VENDOR_START 0x09000000u
#define SBI_EXT_VENDOR_END 0x09ffffffu

/* Function ids of the BASE extension. */
#define SBI_BASE_GET_SPEC_VERSION 0u
#define SBI_BASE_GET_IMP_ID 1u
#define SBI_BASE_GET_IMP_VERSION 2u
#define SBI_BASE_PROBE_EXT 3u
#define SBI_BASE_GET_MVENDORID 4u
#define SBI_BASE_GET_MARCHID 5u
#define SBI_BASE_GET_MIMPID 6u

/* The SRST extension's reset function and its reset types. */
#define SBI_SRST_RESET 0u
#define SBI_SRST_TYPE_SHUTDOWN 0u
#define SBI_SRST_TYPE_COLD_REBOOT 1u
#define SBI_SRST_TYPE_WARM_REBOOT 2u

/* SBI error codes (a0 after a call). */
#define SBI_SUCCESS 0
#define SBI_ERR_FAILED (-1)
#define SBI_ERR_NOT_SUPPORTED (-2)
#define SBI_ERR_INVALID_PARAM (-3)

#define SBI_SVMM_IMP_ID 0x5356u /* "SV": not a registered implementation id, never 0..6 (the spec's) */

/* One SBI call as the guest made it: a7 = ext, a6 = fid, a0..a5 = args. All untrusted. */
struct riscv_sbi_call {
    uint64_t ext, fid; /* extension id (a7) and function id (a6) */
    uint64_t args[6];  /* a0..a5 */
};

/* What goes back to the guest: a0 = error, a1 = value (legacy calls: a0 only, in `error`). */
struct riscv_sbi_ret {
    int64_t error;  /* a0: SBI_SUCCESS or an SBI_ERR_* code */
    uint64_t value; /* a1 */
};

/* The platform's side of the calls that reach devices or the VM's state. */
struct riscv_sbi_ops {
    void *ctx;                             /* passed to the callbacks */
    void (*putchar)(void *ctx, uint8_t c); /* one byte of console output */
    int (*getchar)(void *ctx); /* a byte, or -1 when no input is waiting */
};

/* What the platform does after riscv_sbi_handle(). */
enum riscv_sbi_action {
    RISCV_SBI_RESUME,   /* write ret back (a0, a1) and resume the caller */
    RISCV_SBI_SHUTDOWN, /* the guest asked to power off (SRST shutdown, legacy SHUTDOWN) */
    RISCV_SBI_REBOOT,   /* the guest asked to reboot (SRST cold or warm reboot) */
};

/*
 * Handle one SBI call: legacy console putchar/getchar and shutdown, BASE, SRST; anything else is
 * answered SBI_ERR_NOT_SUPPORTED. `ops` callbacks may be NULL (putchar drops, getchar reads -1).
 */
enum riscv_sbi_action riscv_sbi_handle(const struct riscv_sbi_ops *ops, const struct riscv_sbi_call *call,
                                       struct riscv_sbi_ret *ret);

/* ---- PLIC (RISC-V Platform-Level Interrupt Controller 1.0.0) ---- */
#define RISCV_PLIC_MAX_SOURCES 1024u
#define RISCV_PLIC_WORDS (RISCV_PLIC_MAX_SOURCES / 32u)
#define RISCV_PLIC_PRIORITY_MAX 7u /* 3 priority bits, as QEMU's virt machine */

/* Register offsets inside the PLIC window. */
#define RISCV_PLIC_PRIORITY 0x0u
#define RISCV_PLIC_PENDING 0x1000u
#define RISCV_PLIC_ENABLE 0x2000u
#define RISCV_PLIC_ENABLE_STRIDE 0x80u
#define RISCV_PLIC_CONTEXT 0x200000u
#define RISCV_PLIC_CONTEXT_STRIDE 0x1000u

/* The platform's side: drive hart `hart`'s supervisor external interrupt line. */
struct riscv_plic_ops {
    void *ctx;                                              /* passed to set_ext */
    void (*set_ext)(void *ctx, unsigned hart, bool level);  /* drive the line (above) */
};

/*
 * Context c is hart c's S-mode. A source's line (level) sets its pending bit while it is not in
 * service; a claim takes the best pending source above the context's threshold into service, a
 * completion ends service and re-pends it if its line is still high. Level sources only.
 */
struct riscv_plic {
    unsigned nsrc; /* sources 1..nsrc-1 exist, nsrc a multiple of 32 */
    unsigned nctx; /* contexts: one per hart */
    uint8_t priority[RISCV_PLIC_MAX_SOURCES]; /* per source (0: never interrupts) */
    uint32_t level[RISCV_PLIC_WORDS];   /* bit s: source s's line is high */
    uint32_t pending[RISCV_PLIC_WORDS]; /* bit s: source s is pending */
    uint32_t claimed[RISCV_PLIC_WORDS]; /* bit s: source s is in service (claimed, not completed) */
    uint32_t enable[SVMM_MAX_VCPUS][RISCV_PLIC_WORDS]; /* per context: the sources it takes */
    uint8_t threshold[SVMM_MAX_VCPUS]; /* per context: priorities at or below it are masked */
    bool out[SVMM_MAX_VCPUS];          /* per context: its external interrupt line as last driven */
    struct riscv_plic_ops ops;         /* the platform's side */
};

/* A PLIC of `nsrc` sources (rounded up to 32, at most RISCV_PLIC_MAX_SOURCES) and `nctx` harts, all clear. */
void riscv_plic_init(struct riscv_plic *p, unsigned nsrc, unsigned nctx, const struct riscv_plic_ops *ops);

/* Back to power-on state (a VM restart): every line low, priorities, enables and thresholds zero. */
void riscv_plic_reset(struct riscv_plic *p);

/* Drive the line of source `src` (1..nsrc-1; others ignored). */
void riscv_plic_set_level(struct riscv_plic *p, uint32_t src, bool level);

/* MMIO callbacks for the PLIC window (4-byte accesses; any other is read as 0 and ignored). */
extern const struct svmm_mmio_ops riscv_plic_mmio_ops;

#endif
