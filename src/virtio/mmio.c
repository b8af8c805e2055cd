/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include <svmm/virtio_mmio.h>

/* Register offsets (VirtIO 1.2, 4.2.2). */
enum {
    REG_MAGIC = 0x000, REG_VERSION = 0x004, REG_DEVICE_ID = 0x008, REG_VENDOR_ID = 0x00c,
    REG_DEVICE_FEATURES = 0x010, REG_DEVICE_FEATURES_SEL = 0x014,
    REG_DRIVER_FEATURES = 0x020, REG_DRIVER_FEATURES_SEL = 0x024,
    REG_QUEUE_SEL = 0x030, REG_QUEUE_NUM_MAX = 0x034, REG_QUEUE_NUM = 0x038, REG_QUEUE_READY = 0x044,
    REG_QUEUE_NOTIFY = VIRTIO_MMIO_QUEUE_NOTIFY, REG_INTERRUPT_STATUS = 0x060, REG_INTERRUPT_ACK = 0x064,
    REG_STATUS = 0x070,
    REG_QUEUE_DESC_LOW = 0x080, REG_QUEUE_DESC_HIGH = 0x084, REG_QUEUE_DRIVER_LOW = 0x090,
    REG_QUEUE_DRIVER_HIGH = 0x094, REG_QUEUE_DEVICE_LOW = 0x0a0, REG_QUEUE_DEVICE_HIGH = 0x0a4,
    REG_SHM_SEL = 0x0ac, REG_SHM_LEN_LOW = 0x0b0, REG_SHM_LEN_HIGH = 0x0b4,
    REG_SHM_BASE_LOW = 0x0b8, REG_SHM_BASE_HIGH = 0x0bc, REG_QUEUE_RESET = 0x0c0,
    REG_CONFIG_GENERATION = 0x0fc, REG_CONFIG = 0x100,
};

#define MAGIC 0x74726976u /* "virt" */
#define VENDOR_ID 0x4d4d5653u /* "SVMM" */

static void update_irq(struct virtio_mmio *t)
{
    t->irq_fn(t->irq_ctx, t->irq, t->isr != 0);
}

static void raise_interrupt(void *ctx, uint32_t bits)
{
    struct virtio_mmio *t = ctx;

    t->isr |= bits;
    update_irq(t);
}

static void mark_needs_reset(void *ctx)
{
    struct virtio_mmio *t = ctx;

    if (t->status & VIRTIO_STATUS_NEEDS_RESET)
        return;
    t->status |= VIRTIO_STATUS_NEEDS_RESET;
    /* Drivers learn about NEEDS_RESET through a configuration change notification. */
    if (t->status & VIRTIO_STATUS_DRIVER_OK)
        virtio_mmio_config_changed(t);
}

void virtio_mmio_reset(struct virtio_mmio *t)
{
    struct virtio_dev *d = t->dev;

    if (d->ops->reset)
        d->ops->reset(d);
    for (unsigned i = 0; i < d->num_queues; i++)
        virtq_reset(&d->queues[i]);
    d->driver_features = 0;
    d->driver_ok = false;
    t->driver_features = 0;
    t->queue_ready_reg = 0;
    t->status = 0;
    t->isr = 0;
    t->device_features_sel = t->driver_features_sel = t->queue_sel = 0;
    update_irq(t);
}

void virtio_mmio_init(struct virtio_mmio *t, struct virtio_dev *d, const struct svmm_memmap *mem,
                      virtio_mmio_irq_fn irq_fn, void *irq_ctx, uint32_t irq)
{
    memset(t, 0, sizeof(*t));
    t->dev = d;
    t->mem = mem;
    t->irq_fn = irq_fn;
    t->irq_ctx = irq_ctx;
    t->irq = irq;
    d->transport = (struct virtio_transport){ raise_interrupt, mark_needs_reset, t };
    virtio_mmio_reset(t);
}

void virtio_mmio_config_changed(struct virtio_mmio *t)
{
    t->config_generation++;
    raise_interrupt(t, VIRTIO_ISR_CONFIG);
}

/*
 * ACSL (make prove, docs/proofs.md): a transport whose device has at most VIRTIO_MAX_QUEUES queues,
 * over a well-formed guest-RAM table, none of the three overlapping.
 */
/*@ predicate mmio_ok(struct virtio_mmio *t) =
      \valid(t) && \valid(t->dev) && t->dev->num_queues <= VIRTIO_MAX_QUEUES && svmm_memmap_ok(t->mem) &&
      \separated(t, t->dev, t->mem) && \separated(t->dev, t->mem);
*/

/*@ requires \valid(t) && \valid_read(t->dev) && \separated(t, t->dev);
    assigns t->bad_access_rl; */
static void bad_access(struct virtio_mmio *t, const char *what, uint64_t off)
{
    if (svmm_ratelimit_ok(&t->bad_access_rl, 10))
        svmm_warn("%s: virtio-mmio: %s at offset 0x%llx ignored", t->dev->name, what, (unsigned long long)off);
}

/* The selected queue, or NULL when QueueSel names no queue. */
_Static_assert(VIRTIO_MAX_QUEUES <= 8, "queue_ready_reg holds one bit per queue");

/*@ requires mmio_ok(t);
    assigns \nothing;
    ensures \result == \null || (t->queue_sel < t->dev->num_queues && \result == &t->dev->queues[t->queue_sel]);
    ensures \result == \null <==> t->queue_sel >= t->dev->num_queues; */
static struct virtq *selected_queue(struct virtio_mmio *t)
{
    return t->queue_sel < t->dev->num_queues ? &t->dev->queues[t->queue_sel] : NULL;
}

/*
 * Whether an access of `size` bytes at config-space offset `coff` is one a device may see: a field
 * read or written with its natural width (1, 2 or 4 bytes) and alignment (4.2.2.2), inside the
 * device's `config_size` bytes. Compared without wrapping, whatever `coff` the guest's address gave.
 */
/*@ assigns \nothing;
    ensures \result ==> (size == 1 || size == 2 || size == 4) && coff % size == 0 && coff + size <= config_size; */
static bool config_access_ok(uint64_t coff, unsigned size, uint32_t config_size)
{
    if (size != 1 && size != 2 && size != 4)
        return false;
    /*@ assert size == 1 || size == 2 || size == 4; */
    return coff % size == 0 && coff <= config_size && size <= config_size - coff;
}

static uint32_t read_config(struct virtio_mmio *t, uint64_t off, unsigned size)
{
    uint64_t coff = off - REG_CONFIG;

    if (!config_access_ok(coff, size, t->dev->config_size)) {
        bad_access(t, "bad config read", off);
        return 0;
    }
    return t->dev->ops->config_read(t->dev, (uint32_t)coff, size);
}

/*@ requires mmio_ok(t);
    assigns t->bad_access_rl; */
static uint32_t read_reg(struct virtio_mmio *t, uint64_t off)
{
    struct virtio_dev *d = t->dev;
    struct virtq *q = selected_queue(t);

    switch (off) {
    case REG_MAGIC: return MAGIC;
    case REG_VERSION: return 2;
    case REG_DEVICE_ID: return d->device_id;
    case REG_VENDOR_ID: return VENDOR_ID;
    case REG_DEVICE_FEATURES:
        return t->device_features_sel == 0 ? (uint32_t)d->device_features
             : t->device_features_sel == 1 ? (uint32_t)(d->device_features >> 32) : 0;
    case REG_QUEUE_NUM_MAX: return q ? VIRTQ_MAX_SIZE : 0;
    /* The last value written (VirtIO 1.2, 4.2.2), even for rings the device refused and never uses. */
    case REG_QUEUE_READY: return q ? (t->queue_ready_reg >> t->queue_sel) & 1 : 0;
    case REG_INTERRUPT_STATUS: return t->isr;
    case REG_STATUS: return t->status;
    case REG_SHM_LEN_LOW: case REG_SHM_LEN_HIGH: case REG_SHM_BASE_LOW: case REG_SHM_BASE_HIGH:
        return 0xffffffffu; /* no shared memory regions: length and base read as -1 */
    case REG_QUEUE_RESET: return 0;
    case REG_CONFIG_GENERATION: return t->config_generation;
    default:
        bad_access(t, "read of unknown or write-only register", off);
        return 0;
    }
}

static uint64_t mmio_read(void *dev, unsigned vcpu, uint64_t off, unsigned size)
{
    (void)vcpu; /* the same registers for every vCPU */
    struct virtio_mmio *t = dev;

    if (off >= REG_CONFIG)
        return read_config(t, off, size);
    if (size != 4 || (off & 3)) {
        bad_access(t, "non-32-bit register read", off);
        return 0;
    }
    return read_reg(t, off);
}

/* Accept the staged features if they are a subset of the offered ones and include VERSION_1. */
/*@ requires \valid_read(t) && \valid_read(t->dev); assigns \nothing; */
static bool features_acceptable(const struct virtio_mmio *t)
{
    uint64_t f = t->driver_features;

    return (f & ~t->dev->device_features) == 0 && ((f >> VIRTIO_F_VERSION_1) & 1);
}

static void write_status(struct virtio_mmio *t, uint32_t val)
{
    uint32_t old = t->status;

    if (val == 0) {
        virtio_mmio_reset(t);
        return;
    }
    /* Bits may only be added, except that the driver may set FAILED at any time. */
    if ((old & ~val & ~VIRTIO_STATUS_NEEDS_RESET) != 0) {
        bad_access(t, "status write clearing bits (only 0 resets)", REG_STATUS);
        return;
    }
    if ((val & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
        if (!features_acceptable(t)) {
            /* Leave FEATURES_OK clear: the driver reads it back and gives up (3.1.1). */
            val &= ~VIRTIO_STATUS_FEATURES_OK;
        } else {
            t->dev->driver_features = t->driver_features;
        }
    }
    if ((val & VIRTIO_STATUS_DRIVER_OK) && !(val & VIRTIO_STATUS_FEATURES_OK)) {
        bad_access(t, "DRIVER_OK without FEATURES_OK", REG_STATUS);
        val &= ~VIRTIO_STATUS_DRIVER_OK;
    }
    t->status = val | (old & VIRTIO_STATUS_NEEDS_RESET);
    t->dev->driver_ok = (t->status & VIRTIO_STATUS_DRIVER_OK) != 0;
}

/* Queue registers may change only between FEATURES_OK and the queue being enabled. */
/*@ requires mmio_ok(t);
    assigns t->bad_access_rl;
    ensures \result == \null || (t->queue_sel < t->dev->num_queues && \result == &t->dev->queues[t->queue_sel]); */
static struct virtq *configurable_queue(struct virtio_mmio *t, uint64_t off)
{
    struct virtq *q = selected_queue(t);

    if (!(t->status & VIRTIO_STATUS_FEATURES_OK) || (t->status & VIRTIO_STATUS_FAILED)) {
        bad_access(t, "queue setup before FEATURES_OK", off);
        return NULL;
    }
    if (q == NULL) {
        bad_access(t, "queue setup for a nonexistent queue", off);
        return NULL;
    }
    if (q->ready) {
        bad_access(t, "queue setup while the queue is enabled", off);
        return NULL;
    }
    return q;
}

/*@ requires \valid(v); assigns *v; */
static void set_low(uint64_t *v, uint32_t lo) { *v = (*v & ~0xffffffffull) | lo; }
/*@ requires \valid(v); assigns *v; */
static void set_high(uint64_t *v, uint32_t hi) { *v = (*v & 0xffffffffull) | (uint64_t)hi << 32; }

/*@ requires mmio_ok(t); */
static void write_queue_reg(struct virtio_mmio *t, uint64_t off, uint32_t val)
{
    struct virtq *q;

    if (off == REG_QUEUE_READY && val == 0) {
        /* Disabling is allowed whenever a queue exists; in-flight buffers are dropped by reset. */
        if ((q = selected_queue(t)) != NULL && q->ready)
            bad_access(t, "queue disable without reset", off); /* refused: it still reads 1 */
        else if (q != NULL)
            t->queue_ready_reg &= (uint8_t)~(1u << t->queue_sel);
        return;
    }
    if ((q = configurable_queue(t, off)) == NULL)
        return;
    switch (off) {
    case REG_QUEUE_NUM: q->num = val > 0xffff ? 0 : (uint16_t)val; break;
    case REG_QUEUE_DESC_LOW: set_low(&q->desc_gpa, val); break;
    case REG_QUEUE_DESC_HIGH: set_high(&q->desc_gpa, val); break;
    case REG_QUEUE_DRIVER_LOW: set_low(&q->avail_gpa, val); break;
    case REG_QUEUE_DRIVER_HIGH: set_high(&q->avail_gpa, val); break;
    case REG_QUEUE_DEVICE_LOW: set_low(&q->used_gpa, val); break;
    case REG_QUEUE_DEVICE_HIGH: set_high(&q->used_gpa, val); break;
    case REG_QUEUE_READY: {
        int err = virtq_enable(q, t->mem, t->dev->driver_features);
        t->queue_ready_reg |= (uint8_t)(1u << t->queue_sel); /* selected_queue(): queue_sel < num_queues */
        if (err)
            virtio_dev_queue_error(t->dev, t->queue_sel, err);
        break;
    }
    }
}

void virtio_mmio_queue_notify(struct virtio_mmio *t, uint32_t val)
{
    struct virtio_dev *d = t->dev;

    if (!(t->status & VIRTIO_STATUS_DRIVER_OK) || (t->status & VIRTIO_STATUS_NEEDS_RESET))
        return;
    if (val >= d->num_queues || !d->queues[val].ready) {
        bad_access(t, "notify for a nonexistent or disabled queue", REG_QUEUE_NOTIFY);
        return;
    }
    d->notifies++;
    d->ops->queue_notify(d, val);
}

static void write_reg(struct virtio_mmio *t, uint64_t off, uint32_t val)
{
    switch (off) {
    case REG_DEVICE_FEATURES_SEL: t->device_features_sel = val; break;
    case REG_DRIVER_FEATURES_SEL: t->driver_features_sel = val; break;
    case REG_DRIVER_FEATURES:
        if ((t->status & VIRTIO_STATUS_FEATURES_OK) || !(t->status & VIRTIO_STATUS_DRIVER)) {
            bad_access(t, "feature write outside negotiation", off);
        } else if (t->driver_features_sel == 0) {
            set_low(&t->driver_features, val);
        } else if (t->driver_features_sel == 1) {
            set_high(&t->driver_features, val);
        } else if (val != 0) {
            bad_access(t, "feature bits above 63", off);
        }
        break;
    case REG_QUEUE_SEL: t->queue_sel = val; break;
    case REG_QUEUE_NUM: case REG_QUEUE_READY:
    case REG_QUEUE_DESC_LOW: case REG_QUEUE_DESC_HIGH: case REG_QUEUE_DRIVER_LOW:
    case REG_QUEUE_DRIVER_HIGH: case REG_QUEUE_DEVICE_LOW: case REG_QUEUE_DEVICE_HIGH:
        write_queue_reg(t, off, val);
        break;
    case REG_QUEUE_NOTIFY: virtio_mmio_queue_notify(t, val); break;
    case REG_INTERRUPT_ACK:
        t->isr &= ~val;
        update_irq(t);
        break;
    case REG_STATUS: write_status(t, val); break;
    case REG_SHM_SEL: break;
    default: bad_access(t, "write to unknown or read-only register", off); break;
    }
}

static void mmio_write(void *dev, unsigned vcpu, uint64_t off, unsigned size, uint64_t val)
{
    (void)vcpu; /* the same registers for every vCPU */
    struct virtio_mmio *t = dev;

    if (off >= REG_CONFIG) {
        uint64_t coff = off - REG_CONFIG;
        if (!config_access_ok(coff, size, t->dev->config_size) || !t->dev->ops->config_write)
            bad_access(t, "bad config write", off);
        else
            t->dev->ops->config_write(t->dev, (uint32_t)coff, size, (uint32_t)val);
        return;
    }
    if (size != 4 || (off & 3)) {
        bad_access(t, "non-32-bit register write", off);
        return;
    }
    write_reg(t, off, (uint32_t)val);
}

static void mmio_reset(void *dev)
{
    virtio_mmio_reset(dev);
}

const struct svmm_mmio_ops virtio_mmio_ops = { mmio_read, mmio_write, mmio_reset };
