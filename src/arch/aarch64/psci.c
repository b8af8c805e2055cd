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

/* The vCPU with this MPIDR affinity, or -1. */
static int vcpu_of_affinity(const struct psci *p, uint64_t mpidr)
{
    for (unsigned i = 0; i < p->ncpus; i++)
        if (svmm_arch_vcpu_affinity(i) == (mpidr & MPIDR_AFF_MASK))
            return (int)i;
    return -1;
}

static int64_t cpu_on(struct psci *p, uint64_t target, uint64_t entry, uint64_t context)
{
    int v = vcpu_of_affinity(p, target);

    if (v < 0)
        return PSCI_RET_INVALID_PARAMETERS;
    if (p->on[v])
        return PSCI_RET_ALREADY_ON;
    if ((entry & 3) || svmm_gpa_to_host(p->mem, entry, 4, false) == NULL)
        return PSCI_RET_INVALID_ADDRESS;
    p->on[v] = true;
    p->ops.cpu_on(p->ops.ctx, (unsigned)v, entry, context);
    return PSCI_RET_SUCCESS;
}

static int64_t affinity_info(const struct psci *p, uint64_t target, uint64_t lowest_level)
{
    int v = vcpu_of_affinity(p, target);

    if (v < 0 || lowest_level != 0)
        return PSCI_RET_INVALID_PARAMETERS;
    return p->on[v] ? AFFINITY_ON : AFFINITY_OFF;
}

/* SMC32 variants of calls with address-sized arguments map to their SMC64 id (arguments truncated). */
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

enum psci_action psci_call(struct psci *p, unsigned vcpu, uint64_t x[4])
{
    uint32_t fid = (uint32_t)x[0];
    bool smc32 = !(fid & SMC32_BIT);
    uint64_t a1 = smc32 ? (uint32_t)x[1] : x[1], a2 = smc32 ? (uint32_t)x[2] : x[2];
    uint64_t a3 = smc32 ? (uint32_t)x[3] : x[3];
    int64_t ret;

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
        p->ops.cpu_off(p->ops.ctx, vcpu);
        return PSCI_VCPU_OFF;
    case PSCI_CPU_ON_64: ret = cpu_on(p, a1, a2, a3); break;
    case PSCI_AFFINITY_INFO_64: ret = affinity_info(p, a1, a2); break;
    case PSCI_MIGRATE_INFO_TYPE: ret = MIGRATE_NOT_REQUIRED; break;
    case PSCI_SYSTEM_OFF:
        p->ops.system_off(p->ops.ctx);
        return PSCI_VM_DOWN;
    case PSCI_SYSTEM_RESET:
        p->ops.system_reset(p->ops.ctx);
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
