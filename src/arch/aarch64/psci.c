/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include <svmm/arch.h>
#include <svmm/log.h>
#include <svmm/psci.h>

#define PSCI_VERSION_1_1 0x00010001u
#define SMCCC_VERSION_1_1 0x10001u
#define MIGRATE_NOT_REQUIRED 2
#define AFFINITY_ON 0
#define AFFINITY_OFF 1
#define MPIDR_AFF_MASK 0xff00ffffffull /* Aff3 | Aff2 | Aff1 | Aff0 */

void psci_init(struct psci *p, unsigned ncpus, const struct svmm_memmap *mem, const struct psci_ops *ops)
{
    memset(p, 0, sizeof(*p));
    p->ncpus = ncpus;
    p->mem = mem;
    p->ops = *ops;
    p->on[0] = true;
}

/*
 * psci_decide() checks the guest's arguments and updates the on/off state; psci_call() then runs
 * the platform callback it names. The split keeps the part that reads guest values free of
 * indirect calls, so it can be proved (make prove, docs/proofs.md).
 */
enum psci_effect { EFFECT_NONE, EFFECT_CPU_ON, EFFECT_CPU_OFF, EFFECT_SYSTEM_OFF, EFFECT_SYSTEM_RESET };

struct psci_decision {
    enum psci_action action;
    enum psci_effect effect;
    unsigned vcpu; /* EFFECT_CPU_ON: the vCPU to start */
    uint64_t entry, context;
};

/*@ predicate psci_ok(struct psci *p) =
      \valid(p) && p->ncpus <= SVMM_MAX_VCPUS && svmm_memmap_ok(p->mem) && \separated(p, p->mem);
*/

/* The vCPU with this MPIDR affinity, or -1. */
/*@
  requires \valid_read(p) && p->ncpus <= SVMM_MAX_VCPUS;
  assigns \nothing;
  ensures -1 <= \result < (integer)p->ncpus;
*/
static int vcpu_of_affinity(const struct psci *p, uint64_t mpidr)
{
    /*@ loop invariant 0 <= i <= p->ncpus;
        loop assigns i;
        loop variant p->ncpus - i; */
    for (unsigned i = 0; i < p->ncpus; i++)
        if (svmm_arch_vcpu_affinity(i) == (mpidr & MPIDR_AFF_MASK))
            return (int)i;
    return -1;
}

/*@
  requires psci_ok(p) && \valid(d) && \separated(d, p, p->mem);
  assigns p->on[0 .. SVMM_MAX_VCPUS - 1], *d;
  ensures d->effect == EFFECT_CPU_ON ==> d->vcpu < p->ncpus;
*/
static int64_t cpu_on(struct psci *p, uint64_t target, uint64_t entry, uint64_t context, struct psci_decision *d)
{
    int v = vcpu_of_affinity(p, target);

    d->effect = EFFECT_NONE;
    if (v < 0)
        return PSCI_RET_INVALID_PARAMETERS;
    if (p->on[v])
        return PSCI_RET_ALREADY_ON;
    if ((entry & 3) || svmm_gpa_to_host(p->mem, entry, 4, false) == NULL)
        return PSCI_RET_INVALID_ADDRESS;
    p->on[v] = true;
    d->effect = EFFECT_CPU_ON;
    d->vcpu = (unsigned)v;
    d->entry = entry;
    d->context = context;
    return PSCI_RET_SUCCESS;
}

/*@
  requires \valid_read(p) && p->ncpus <= SVMM_MAX_VCPUS;
  assigns \nothing;
*/
static int64_t affinity_info(const struct psci *p, uint64_t target, uint64_t lowest_level)
{
    int v = vcpu_of_affinity(p, target);

    if (v < 0 || lowest_level != 0)
        return PSCI_RET_INVALID_PARAMETERS;
    return p->on[v] ? AFFINITY_ON : AFFINITY_OFF;
}

/* SMC32 variants of calls with address-sized arguments map to their SMC64 id (arguments truncated). */
/*@ assigns \nothing; */
static uint32_t canonical_fid(uint32_t fid)
{
    switch (fid) {
    case PSCI_CPU_SUSPEND_64 & ~SMC32_BIT:
    case PSCI_CPU_ON_64 & ~SMC32_BIT:
    case PSCI_AFFINITY_INFO_64 & ~SMC32_BIT:
        return fid | SMC32_BIT;
    default:
        return fid;
    }
}

/*@ assigns \nothing; */
static bool implemented(uint32_t fid)
{
    switch (canonical_fid(fid)) {
    case PSCI_VERSION: case PSCI_CPU_SUSPEND_64: case PSCI_CPU_OFF: case PSCI_CPU_ON_64:
    case PSCI_AFFINITY_INFO_64: case PSCI_MIGRATE_INFO_TYPE: case PSCI_SYSTEM_OFF:
    case PSCI_SYSTEM_RESET: case PSCI_FEATURES: case SMCCC_VERSION:
        return true;
    default:
        return false;
    }
}

/*
 * Everything psci_call() does except the platform callback: check the arguments, update the
 * on/off state, and on PSCI_RESUME store the result in x[0].
 */
/*@
  requires psci_ok(p) && \valid(x + (0 .. 3)) && \valid(d) && \separated(x + (0 .. 3), d, p, p->mem);
  assigns x[0], p->on[0 .. SVMM_MAX_VCPUS - 1], *d;
  ensures d->effect == EFFECT_CPU_ON ==> d->vcpu < p->ncpus;
*/
static enum psci_action psci_decide(struct psci *p, unsigned vcpu, uint64_t x[4], struct psci_decision *d)
{
    uint32_t fid = (uint32_t)x[0];
    bool smc32 = !(fid & SMC32_BIT);
    uint64_t a1 = smc32 ? (uint32_t)x[1] : x[1], a2 = smc32 ? (uint32_t)x[2] : x[2];
    uint64_t a3 = smc32 ? (uint32_t)x[3] : x[3];
    int64_t ret;

    d->action = PSCI_RESUME;
    d->effect = EFFECT_NONE;
    d->vcpu = 0;
    d->entry = d->context = 0;
    if (x[0] >> 32) {
        x[0] = (uint64_t)(int64_t)PSCI_RET_NOT_SUPPORTED; /* SMCCC: bits 63:32 of a function id are zero */
        return PSCI_RESUME;
    }
    switch (canonical_fid(fid)) {
    case PSCI_VERSION: ret = PSCI_VERSION_1_1; break;
    case PSCI_CPU_SUSPEND_64: ret = PSCI_RET_SUCCESS; break; /* a standby that wakes at once: always allowed */
    case PSCI_CPU_OFF:
        if (vcpu < p->ncpus)
            p->on[vcpu] = false;
        d->effect = EFFECT_CPU_OFF;
        d->action = PSCI_VCPU_OFF;
        return PSCI_VCPU_OFF;
    case PSCI_CPU_ON_64: ret = cpu_on(p, a1, a2, a3, d); break;
    case PSCI_AFFINITY_INFO_64: ret = affinity_info(p, a1, a2); break;
    case PSCI_MIGRATE_INFO_TYPE: ret = MIGRATE_NOT_REQUIRED; break;
    case PSCI_SYSTEM_OFF:
        d->effect = EFFECT_SYSTEM_OFF;
        d->action = PSCI_VM_DOWN;
        return PSCI_VM_DOWN;
    case PSCI_SYSTEM_RESET:
        d->effect = EFFECT_SYSTEM_RESET;
        d->action = PSCI_VM_DOWN;
        return PSCI_VM_DOWN;
    case PSCI_FEATURES:
        ret = (a1 >> 32) == 0 && implemented((uint32_t)a1) ? PSCI_RET_SUCCESS : PSCI_RET_NOT_SUPPORTED;
        break;
    case SMCCC_VERSION: ret = SMCCC_VERSION_1_1; break;
    default: ret = PSCI_RET_NOT_SUPPORTED; break; /* incl. SMCCC_ARCH_FEATURES: no workarounds needed */
    }
    x[0] = (uint64_t)ret;
    return PSCI_RESUME;
}

enum psci_action psci_call(struct psci *p, unsigned vcpu, uint64_t x[4])
{
    struct psci_decision d;
    enum psci_action action = psci_decide(p, vcpu, x, &d);

    switch (d.effect) {
    case EFFECT_CPU_ON: p->ops.cpu_on(p->ops.ctx, d.vcpu, d.entry, d.context); break;
    case EFFECT_CPU_OFF: p->ops.cpu_off(p->ops.ctx, vcpu); break;
    case EFFECT_SYSTEM_OFF: p->ops.system_off(p->ops.ctx); break;
    case EFFECT_SYSTEM_RESET: p->ops.system_reset(p->ops.ctx); break;
    case EFFECT_NONE: break;
    }
    return action;
}
