/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz riscv64's guest-facing code (src/arch/riscv64/): the PLIC model's registers (any offset in its
 * window, any access size) interleaved with device lines going up and down, SBI calls with arbitrary
 * registers, and the Image header parser. Invariants, from a reference computed here:
 *   - a hart's external interrupt line (set_ext, called on changes only) is high exactly when some
 *     source is pending, enabled for it, not in service and above its threshold;
 *   - a claim returns 0 or a source that was such a candidate with the highest priority (lowest id
 *     among equals), and takes it out of pending;
 *   - pending, enables and priorities never name source 0 or sources >= nsrc;
 *   - the SBI decoder answers everything: RESUME with an SBI error code, or shutdown/reboot only for
 *     SRST's defined types and the legacy shutdown; legacy getchar returns a byte or -1;
 *   - the Image parser accepts only headers whose placement is 2 MiB-aligned and covers the file.
 */
#include <svmm/riscv.h>
#include "fuzz.h"

#define MAX_OPS 2048
#define NCTX 3u

static struct riscv_plic plic;
static bool line[SVMM_MAX_VCPUS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void set_ext(void *ctx, unsigned hart, bool level)
{
    FUZZ_CHECK(ctx == &plic && hart < NCTX);
    FUZZ_CHECK(line[hart] != level); /* only called on a change */
    line[hart] = level;
}

static bool bit(const uint32_t *w, uint32_t id)
{
    return (w[id / 32] >> (id % 32)) & 1u;
}

/* The reference: the best candidate for context c (0: none). */
static uint32_t ref_best(unsigned c)
{
    uint32_t best = 0;
    unsigned prio = plic.threshold[c];

    for (uint32_t id = 1; id < plic.nsrc; id++)
        if (bit(plic.pending, id) && bit(plic.enable[c], id) && !bit(plic.claimed, id) && plic.priority[id] > prio) {
            prio = plic.priority[id];
            best = id;
        }
    return best;
}

static void check_state(void)
{
    FUZZ_CHECK(!bit(plic.pending, 0) && !bit(plic.claimed, 0) && plic.priority[0] == 0);
    for (unsigned c = 0; c < NCTX; c++) {
        FUZZ_CHECK(!bit(plic.enable[c], 0));
        FUZZ_CHECK(plic.threshold[c] <= RISCV_PLIC_PRIORITY_MAX);
        FUZZ_CHECK(line[c] == (ref_best(c) != 0));
    }
    for (uint32_t id = plic.nsrc; id < RISCV_PLIC_MAX_SOURCES; id++)
        FUZZ_CHECK(!bit(plic.pending, id) && !bit(plic.level, id) && !bit(plic.enable[0], id));
    for (uint32_t id = 1; id < plic.nsrc; id++) {
        FUZZ_CHECK(plic.priority[id] <= RISCV_PLIC_PRIORITY_MAX);
        FUZZ_CHECK(!(bit(plic.pending, id) && bit(plic.claimed, id))); /* in service: not pending */
    }
}

static uint64_t pick_offset(struct fin *f)
{
    /* Mostly registers that exist, sometimes anywhere in the window. */
    switch (fin_u8(f) & 7) {
    case 0: return RISCV_PLIC_PRIORITY + (fin_u16(f) % 0x1000);
    case 1: return RISCV_PLIC_PENDING + (fin_u8(f) % 0x100);
    case 2: return RISCV_PLIC_ENABLE + (fin_u16(f) % (RISCV_PLIC_ENABLE_STRIDE * (NCTX + 1)));
    case 3:
    case 4: return RISCV_PLIC_CONTEXT + RISCV_PLIC_CONTEXT_STRIDE * (fin_u8(f) % (NCTX + 1)) + (fin_u8(f) & 0xc);
    case 5: return RISCV_PLIC_CONTEXT + RISCV_PLIC_CONTEXT_STRIDE * (fin_u8(f) % (NCTX + 1)) + 4;
    default: return fin_u32(f) % RISCV_PLIC_SIZE;
    }
}

static void plic_op(struct fin *f)
{
    uint8_t op = fin_u8(f);
    static const unsigned sizes[4] = { 4, 4, 1, 8 };

    if ((op & 3) == 0) { /* a device line */
        uint32_t src = fin_u16(f) % (plic.nsrc + 8);
        riscv_plic_set_level(&plic, src, (op >> 2) & 1);
    } else {
        uint64_t off = pick_offset(f);
        unsigned size = sizes[(op >> 2) & 3];
        bool write = (op >> 4) & 1;
        bool is_claim = off >= RISCV_PLIC_CONTEXT && (off - RISCV_PLIC_CONTEXT) % RISCV_PLIC_CONTEXT_STRIDE == 4 &&
                        (off - RISCV_PLIC_CONTEXT) / RISCV_PLIC_CONTEXT_STRIDE < NCTX && size == 4;
        if (write) {
            riscv_plic_mmio_ops.write(&plic, 0, off, size, fin_u32(f));
        } else if (is_claim) {
            unsigned c = (unsigned)((off - RISCV_PLIC_CONTEXT) / RISCV_PLIC_CONTEXT_STRIDE);
            uint32_t want = ref_best(c);
            uint32_t got = (uint32_t)riscv_plic_mmio_ops.read(&plic, 0, off, size);
            FUZZ_CHECK(got == want);
            FUZZ_CHECK(got == 0 || (bit(plic.claimed, got) && !bit(plic.pending, got)));
        } else {
            uint64_t v = riscv_plic_mmio_ops.read(&plic, 0, off, size);
            FUZZ_CHECK(size == 4 || v == 0);
        }
    }
    check_state();
}

static void sbi_op(struct fin *f)
{
    struct riscv_sbi_call c;
    struct riscv_sbi_ret r;
    enum riscv_sbi_action a;
    static const uint64_t exts[] = { SBI_EXT_0_1_CONSOLE_PUTCHAR, SBI_EXT_0_1_CONSOLE_GETCHAR, SBI_EXT_0_1_SHUTDOWN,
                                     SBI_EXT_BASE, SBI_EXT_SRST };
    uint8_t k = fin_u8(f);

    c.ext = k < 200 ? exts[k % 5] : fin_u64(f);
    c.fid = fin_u8(f) & 1 ? fin_u8(f) % 8 : fin_u64(f);
    for (unsigned i = 0; i < 6; i++)
        c.args[i] = fin_u8(f) & 1 ? fin_u8(f) % 4 : fin_u64(f);
    a = riscv_sbi_handle(NULL, &c, &r);
    if (a == RISCV_SBI_SHUTDOWN)
        FUZZ_CHECK(c.ext == SBI_EXT_0_1_SHUTDOWN || (c.ext == SBI_EXT_SRST && c.fid == 0 && c.args[0] == 0 &&
                                                    c.args[1] <= 0xffffffffu));
    else if (a == RISCV_SBI_REBOOT)
        FUZZ_CHECK(c.ext == SBI_EXT_SRST && c.fid == 0 && (c.args[0] == 1 || c.args[0] == 2) &&
                   c.args[1] <= 0xffffffffu);
    else if (c.ext == SBI_EXT_0_1_CONSOLE_GETCHAR)
        FUZZ_CHECK(r.error == -1); /* no console: no input */
    else if (c.ext != SBI_EXT_0_1_CONSOLE_PUTCHAR)
        FUZZ_CHECK(r.error == SBI_SUCCESS || r.error == SBI_ERR_NOT_SUPPORTED || r.error == SBI_ERR_INVALID_PARAM);
    FUZZ_CHECK(a == RISCV_SBI_RESUME || a == RISCV_SBI_SHUTDOWN || a == RISCV_SBI_REBOOT);
}

static void image_op(struct fin *f)
{
    uint8_t hdr[RISCV_IMAGE_HEADER_SIZE];
    struct svmm_arm64_image img;
    size_t len = fin_u8(f) % (sizeof(hdr) + 1);

    fin_bytes(f, hdr, sizeof(hdr));
    if (fin_u8(f) & 1)
        memcpy(hdr + 56, "RSC\x05", 4);
    if (riscv_image_parse(hdr, len, &img) == SVMM_IMAGE_OK) {
        FUZZ_CHECK(len >= RISCV_IMAGE_HEADER_SIZE);
        FUZZ_CHECK(img.text_offset % SVMM_SZ_2M == 0 && img.image_size >= len && img.image_size < (1ull << 40));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fin f = fin_make(data, size);
    struct riscv_plic_ops ops = { .ctx = &plic, .set_ext = set_ext };

    memset(line, 0, sizeof(line));
    riscv_plic_init(&plic, 32 + (fin_u8(&f) % 3) * 32, NCTX, &ops);
    for (unsigned n = 0; n < MAX_OPS && !fin_empty(&f); n++) {
        uint8_t kind = fin_u8(&f);
        if (kind < 220)
            plic_op(&f);
        else if (kind < 250)
            sbi_op(&f);
        else if (kind < 254)
            image_op(&f);
        else {
            riscv_plic_reset(&plic);
            check_state();
        }
    }
    return 0;
}
