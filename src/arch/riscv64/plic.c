/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A PLIC model (RISC-V PLIC specification 1.0.0): priorities, pending bits, per-context enables,
 * thresholds and claim/complete, with one S-mode context per hart. Register accesses come from the
 * guest and are validated here: 4-byte aligned accesses to registers that exist; everything else
 * reads as zero and is ignored. The platform serialises calls (as for every device).
 */
#include <string.h>
#include <svmm/riscv.h>

#define CLAIM_OFF 4u /* inside a context's page: threshold at 0, claim/complete at 4 */

static bool bit(const uint32_t *words, uint32_t id)
{
    return (words[id / 32] >> (id % 32)) & 1u;
}

static void set_bit(uint32_t *words, uint32_t id, bool v)
{
    if (v)
        words[id / 32] |= 1u << (id % 32);
    else
        words[id / 32] &= ~(1u << (id % 32));
}

/*
 * The source hart `ctx` would get on a claim: the highest priority among those pending, enabled for
 * it, not in service and above its threshold; the lowest id among equals. 0 when none.
 */
static uint32_t best(const struct riscv_plic *p, unsigned ctx)
{
    uint32_t id = 0;
    unsigned prio = p->threshold[ctx];

    for (unsigned w = 0; w < p->nsrc / 32; w++) {
        uint32_t cand = p->pending[w] & p->enable[ctx][w] & ~p->claimed[w];
        while (cand != 0) {
            unsigned b = (unsigned)__builtin_ctz(cand);
            uint32_t src = w * 32 + b;
            cand &= cand - 1;
            if (p->priority[src] > prio) {
                prio = p->priority[src];
                id = src;
            }
        }
    }
    return id;
}

/* Drive every hart's external interrupt line from the state; tell the platform about changes only. */
static void update(struct riscv_plic *p)
{
    for (unsigned c = 0; c < p->nctx; c++) {
        bool level = best(p, c) != 0;
        if (level != p->out[c]) {
            p->out[c] = level;
            if (p->ops.set_ext != NULL)
                p->ops.set_ext(p->ops.ctx, c, level);
        }
    }
}

void riscv_plic_init(struct riscv_plic *p, unsigned nsrc, unsigned nctx, const struct riscv_plic_ops *ops)
{
    memset(p, 0, sizeof(*p));
    nsrc = (nsrc + 31) / 32 * 32;
    p->nsrc = nsrc == 0 ? 32 : nsrc > RISCV_PLIC_MAX_SOURCES ? RISCV_PLIC_MAX_SOURCES : nsrc;
    p->nctx = nctx > SVMM_MAX_VCPUS ? SVMM_MAX_VCPUS : nctx;
    if (ops != NULL)
        p->ops = *ops;
}

void riscv_plic_reset(struct riscv_plic *p)
{
    struct riscv_plic_ops ops = p->ops;
    unsigned nsrc = p->nsrc, nctx = p->nctx;

    /* Lower the lines the platform sees high first: the new state starts with all low. */
    for (unsigned c = 0; c < p->nctx; c++)
        if (p->out[c] && ops.set_ext != NULL)
            ops.set_ext(ops.ctx, c, false);
    riscv_plic_init(p, nsrc, nctx, &ops);
}

void riscv_plic_set_level(struct riscv_plic *p, uint32_t src, bool level)
{
    if (src == 0 || src >= p->nsrc)
        return;
    set_bit(p->level, src, level);
    /*
     * The gateway: a high line pends a source not in service; a line that drops before the claim
     * withdraws it (a level source's request is its line), so the guest sees no spurious claim.
     */
    if (!bit(p->claimed, src))
        set_bit(p->pending, src, level);
    update(p);
}

static uint32_t claim(struct riscv_plic *p, unsigned ctx)
{
    uint32_t id = best(p, ctx);

    if (id != 0) {
        set_bit(p->pending, id, false);
        set_bit(p->claimed, id, true);
        update(p);
    }
    return id;
}

static void complete(struct riscv_plic *p, unsigned ctx, uint32_t id)
{
    /* The spec: a completion for a source not enabled for this context is ignored. */
    if (id == 0 || id >= p->nsrc || !bit(p->enable[ctx], id) || !bit(p->claimed, id))
        return;
    set_bit(p->claimed, id, false);
    if (bit(p->level, id))
        set_bit(p->pending, id, true);
    update(p);
}

static uint64_t plic_read(void *dev, unsigned vcpu, uint64_t off, unsigned size)
{
    (void)vcpu; /* the same registers for every vCPU */
    struct riscv_plic *p = dev;

    if (size != 4 || off % 4 != 0)
        return 0;
    if (off < RISCV_PLIC_PENDING) {
        uint64_t id = off / 4;
        return id < p->nsrc ? p->priority[id] : 0;
    }
    if (off < RISCV_PLIC_ENABLE) {
        uint64_t w = (off - RISCV_PLIC_PENDING) / 4;
        return w < p->nsrc / 32 ? p->pending[w] : 0;
    }
    if (off < RISCV_PLIC_CONTEXT) {
        uint64_t ctx = (off - RISCV_PLIC_ENABLE) / RISCV_PLIC_ENABLE_STRIDE;
        uint64_t w = (off - RISCV_PLIC_ENABLE) % RISCV_PLIC_ENABLE_STRIDE / 4;
        return ctx < p->nctx && w < p->nsrc / 32 ? p->enable[ctx][w] : 0;
    }
    {
        uint64_t ctx = (off - RISCV_PLIC_CONTEXT) / RISCV_PLIC_CONTEXT_STRIDE;
        uint64_t reg = (off - RISCV_PLIC_CONTEXT) % RISCV_PLIC_CONTEXT_STRIDE;
        if (ctx >= p->nctx)
            return 0;
        if (reg == 0)
            return p->threshold[ctx];
        if (reg == CLAIM_OFF)
            return claim(p, (unsigned)ctx);
        return 0;
    }
}

static void plic_write(void *dev, unsigned vcpu, uint64_t off, unsigned size, uint64_t val)
{
    (void)vcpu; /* the same registers for every vCPU */
    struct riscv_plic *p = dev;
    uint32_t v = (uint32_t)val;

    if (size != 4 || off % 4 != 0)
        return;
    if (off < RISCV_PLIC_PENDING) {
        uint64_t id = off / 4;
        if (id != 0 && id < p->nsrc) { /* source 0 does not exist: its priority is hardwired 0 */
            p->priority[id] = (uint8_t)(v & RISCV_PLIC_PRIORITY_MAX);
            update(p);
        }
        return;
    }
    if (off < RISCV_PLIC_ENABLE)
        return; /* pending bits are read-only */
    if (off < RISCV_PLIC_CONTEXT) {
        uint64_t ctx = (off - RISCV_PLIC_ENABLE) / RISCV_PLIC_ENABLE_STRIDE;
        uint64_t w = (off - RISCV_PLIC_ENABLE) % RISCV_PLIC_ENABLE_STRIDE / 4;
        if (ctx < p->nctx && w < p->nsrc / 32) {
            p->enable[ctx][w] = w == 0 ? v & ~1u : v; /* bit 0: source 0 */
            update(p);
        }
        return;
    }
    {
        uint64_t ctx = (off - RISCV_PLIC_CONTEXT) / RISCV_PLIC_CONTEXT_STRIDE;
        uint64_t reg = (off - RISCV_PLIC_CONTEXT) % RISCV_PLIC_CONTEXT_STRIDE;
        if (ctx >= p->nctx)
            return;
        if (reg == 0) {
            p->threshold[ctx] = (uint8_t)(v & RISCV_PLIC_PRIORITY_MAX);
            update(p);
        } else if (reg == CLAIM_OFF) {
            complete(p, (unsigned)ctx, v);
        }
    }
}

const struct svmm_mmio_ops riscv_plic_mmio_ops = { .read = plic_read, .write = plic_write };
