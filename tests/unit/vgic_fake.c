/* SPDX-License-Identifier: BSD-2-Clause */
#include "test.h"
#include "vgic_fake.h"

struct vgic_fake fake;

static bool fake_inject_cb(void *ctx, unsigned vcpu, unsigned lr, uint32_t intid, uint8_t priority, bool group1)
{
    struct vgic_fake *f = ctx;

    if (f->refuse) {
        f->nrefused++;
        return false;
    }
    if (vcpu >= SVMM_MAX_VCPUS || lr >= VGIC_MAX_LR || f->held[vcpu][lr] != FAKE_NONE) {
        f->lr_in_use++;
        return false;
    }
    f->held[vcpu][lr] = intid;
    if (f->ninject < FAKE_LOG)
        f->log[f->ninject] = (struct fake_inject){ vcpu, lr, intid, priority, group1 };
    f->ninject++;
    return true;
}

static void fake_eoi_cb(void *ctx, unsigned vcpu, uint32_t intid)
{
    struct vgic_fake *f = ctx;

    f->neoi++;
    f->eoi_vcpu = vcpu;
    f->eoi_intid = intid;
    if (intid == f->lower_on_eoi)
        vgic_set_level(f->g, vcpu, intid, false);
}

void fake_init(struct vgic *g, enum svmm_gic_version v, unsigned ncpus, unsigned num_lrs)
{
    fake_init_irqs(g, v, ncpus, num_lrs, VGIC_NR_IRQS);
}

void fake_init_irqs(struct vgic *g, enum svmm_gic_version v, unsigned ncpus, unsigned num_lrs, uint32_t nr_irqs)
{
    const struct vgic_ops ops = { &fake, fake_inject_cb, fake_eoi_cb };

    memset(&fake, 0, sizeof(fake));
    memset(fake.held, 0xff, sizeof(fake.held));
    fake.g = g;
    fake.lower_on_eoi = FAKE_NONE;
    CHECK_EQ(vgic_init(g, v, ncpus, num_lrs, nr_irqs, &ops), 0);
}

unsigned fake_count(unsigned vcpu, uint32_t intid)
{
    unsigned n = 0;

    for (unsigned i = 0; i < fake.ninject && i < FAKE_LOG; i++)
        n += fake.log[i].vcpu == vcpu && fake.log[i].intid == intid;
    return n;
}

bool fake_holds(unsigned vcpu, uint32_t intid)
{
    for (unsigned lr = 0; lr < VGIC_MAX_LR; lr++)
        if (fake.held[vcpu][lr] == intid)
            return true;
    return false;
}

unsigned fake_used(unsigned vcpu)
{
    unsigned n = 0;

    for (unsigned lr = 0; lr < VGIC_MAX_LR; lr++)
        n += fake.held[vcpu][lr] != FAKE_NONE;
    return n;
}

uint32_t fake_nth(unsigned n)
{
    return n < fake.ninject && n < FAKE_LOG ? fake.log[n].intid : FAKE_NONE;
}

void fake_eoi(unsigned vcpu, uint32_t intid)
{
    for (unsigned lr = 0; lr < VGIC_MAX_LR; lr++) {
        if (fake.held[vcpu][lr] == intid) {
            fake.held[vcpu][lr] = FAKE_NONE;
            vgic_maintenance(fake.g, vcpu, (int)lr);
            return;
        }
    }
    test_fail(__FILE__, __LINE__, "fake_eoi: interrupt not in any list register");
}

uint64_t gicd_read(struct vgic *g, uint64_t off, unsigned size) { return vgic_dist_ops.read(g, fake.as_vcpu, off, size); }
void gicd_write(struct vgic *g, uint64_t off, unsigned size, uint64_t val)
{
    vgic_dist_ops.write(g, fake.as_vcpu, off, size, val);
}

uint64_t gicr_read(struct vgic *g, unsigned vcpu, uint64_t off, unsigned size)
{
    return vgic_redist_ops.read(g, 0, vcpu * SVMM_GICR_SIZE_PER_CPU + off, size);
}

void gicr_write(struct vgic *g, unsigned vcpu, uint64_t off, unsigned size, uint64_t val)
{
    vgic_redist_ops.write(g, 0, vcpu * SVMM_GICR_SIZE_PER_CPU + off, size, val);
}

void gicd_enable_irq(struct vgic *g, uint32_t intid, uint8_t prio)
{
    gicd_write(g, 0x400 + intid, 1, prio);               /* IPRIORITYR byte */
    GICD_WR(g, 0x100 + intid / 32 * 4, 1u << (intid % 32)); /* ISENABLER */
}
