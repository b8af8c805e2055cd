/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include <svmm/mmio.h>

void svmm_mmio_bus_init(struct svmm_mmio_bus *bus)
{
    memset(bus, 0, sizeof(*bus));
}

int svmm_mmio_register(struct svmm_mmio_bus *bus, uint64_t base, uint64_t size,
                       const struct svmm_mmio_ops *ops, void *dev, const char *name)
{
    uint64_t last = base + size - 1;

    if (bus->count >= SVMM_MMIO_MAX || size == 0 || last < base)
        return -1;
    for (unsigned i = 0; i < bus->count; i++) {
        const struct svmm_mmio_region *r = &bus->regions[i];
        if (base <= r->base + (r->size - 1) && r->base <= last)
            return -1;
    }
    bus->regions[bus->count++] = (struct svmm_mmio_region){ base, size, ops, dev, name, 0 };
    return 0;
}

struct svmm_mmio_region *svmm_mmio_find(struct svmm_mmio_bus *bus, uint64_t gpa)
{
    for (unsigned i = 0; i < bus->count; i++) {
        struct svmm_mmio_region *r = &bus->regions[i];
        if (gpa >= r->base && gpa - r->base < r->size)
            return r;
    }
    return NULL;
}

void svmm_mmio_bus_reset(struct svmm_mmio_bus *bus)
{
    for (unsigned i = 0; i < bus->count; i++) {
        struct svmm_mmio_region *r = &bus->regions[i];

        if (r->ops->reset != NULL)
            r->ops->reset(r->dev);
        r->accesses = 0;
    }
    bus->unclaimed = 0;
}

static bool valid_size(unsigned size)
{
    return size == 1 || size == 2 || size == 4 || size == 8;
}

bool svmm_mmio_access(struct svmm_mmio_bus *bus, unsigned vcpu, uint64_t gpa, bool is_write, unsigned size, uint64_t *data)
{
    struct svmm_mmio_region *r = svmm_mmio_find(bus, gpa);
    uint64_t off;

    if (r == NULL || !valid_size(size) || size > r->size || (off = gpa - r->base) > r->size - size) {
        bus->unclaimed++;
        if (svmm_ratelimit_ok(&bus->unclaimed_rl, 10))
            svmm_warn("unhandled guest %s of %u bytes at 0x%llx%s", is_write ? "write" : "read", size,
                      (unsigned long long)gpa, r ? " (bad size or crosses device end)" : "");
        if (!is_write)
            *data = 0;
        return false;
    }
    r->accesses++;
    if (is_write) {
        r->ops->write(r->dev, vcpu, off, size, *data);
    } else {
        uint64_t v = r->ops->read(r->dev, vcpu, off, size);
        *data = size == 8 ? v : v & ((1ull << (size * 8)) - 1);
    }
    return true;
}
