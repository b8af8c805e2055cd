/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Split virtqueue (VirtIO 1.2 section 2.7), device side.
 *
 * This is the boundary where guest-written descriptors enter the VMM. Every value is read once
 * from guest memory into a local copy and validated there: descriptor index < queue size, chain
 * length <= queue size (loop guard), indirect only when negotiated, never nested, table length a
 * multiple of 16, buffer ranges inside guest RAM without overflow, device-readable buffers before
 * device-writable ones, total length bounded. Any violation breaks the queue (the transport then
 * sets DEVICE_NEEDS_RESET); nothing outside the VM's RAM is ever touched.
 */
#ifndef SVMM_VIRTQUEUE_H
#define SVMM_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <svmm/memmap.h>

#define VIRTQ_MAX_SIZE 256u               /* QueueNumMax offered to drivers; also the chain limit */
#define VIRTQ_MAX_CHAIN_BYTES (256u << 20) /* a larger request is treated as hostile */

/* Descriptor flags (VirtIO 1.2, 2.7.5): the chain continues; device-writable; an indirect table. */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u

/* Transport feature bits the virtqueue implements (VirtIO 1.2, 6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Why a queue failed validation (virtq_strerror() names each); the first error sticks in virtq.error. */
enum virtq_err {
    VIRTQ_OK = 0,
    VIRTQ_E_NOT_READY = -1,    /* queue not enabled */
    VIRTQ_E_AVAIL_IDX = -2,    /* driver claims more buffers than the slots the device does not hold */
    VIRTQ_E_HEAD = -3,         /* head index >= queue size */
    VIRTQ_E_NEXT = -4,         /* next index out of range */
    VIRTQ_E_LOOP = -5,         /* chain longer than the queue: a cycle */
    VIRTQ_E_INDIRECT = -6,     /* indirect not negotiated, nested, not at head, or NEXT set with it */
    VIRTQ_E_INDIRECT_LEN = -7, /* table length zero, not a multiple of 16, or too long */
    VIRTQ_E_ADDR = -8,         /* buffer or table outside guest RAM, or address+length wraps */
    VIRTQ_E_ORDER = -9,        /* device-readable buffer after a device-writable one */
    VIRTQ_E_TOO_BIG = -10,     /* total chain length above VIRTQ_MAX_CHAIN_BYTES */
    VIRTQ_E_RING = -11,        /* rings not in guest RAM, misaligned, or bad size (at enable) */
    VIRTQ_E_USED = -12,        /* device returned a head it does not own (device bug) */
};

/* One guest buffer, already translated: host points at `len` bytes of guest RAM. */
struct virtq_iov {
    uint8_t *host; /* the buffer in the VMM's mapping of guest RAM */
    uint32_t len;  /* its bytes */
};

/* A popped descriptor chain: `n_out` device-readable buffers followed by `n_in` device-writable ones. */
struct virtq_chain {
    uint16_t head;    /* the head descriptor's index: give it back to virtq_push() */
    uint16_t n_out;   /* device-readable buffers, iov[0 .. n_out - 1] */
    uint16_t n_in;    /* device-writable buffers after them */
    uint32_t out_len; /* total bytes the device may read */
    uint32_t in_len;  /* total bytes the device may write */
    struct virtq_iov iov[VIRTQ_MAX_SIZE]; /* the buffers, in chain order */
};

/*
 * One split virtqueue, device side: what the driver programmed and the device's private state.
 * virtq_reset() clears each field by name: a new field needs a line there.
 */
struct virtq {
    /* programmed by the driver through the transport */
    uint16_t num;
    bool ready;
    uint64_t desc_gpa, avail_gpa, used_gpa;
    /* resolved by virtq_enable */
    const struct svmm_memmap *mem;
    uint8_t *desc, *avail, *used;
    bool indirect_ok, event_idx;
    /* device-side state */
    uint16_t last_avail; /* next avail ring slot to consume */
    uint16_t used_idx;   /* our copy of used->idx */
    uint16_t in_flight;  /* chains popped but not yet pushed back */
    int error;           /* first validation error since enable, or VIRTQ_OK */
};

/*
 * ACSL (make prove, docs/proofs.md). An enabled queue's rings lie in guest RAM (the used ring in
 * writable RAM) and are readable for their whole size; at most num chains are in flight. The ring
 * part names only the values it depends on (not the queue), so that a write to the queue's counters
 * or to the used ring visibly leaves it unchanged (the frame conditions of the virtq_* functions).
 */
/*@
  predicate virtq_rings_in_ram(struct svmm_memmap *m, integer num, uint8_t *desc, uint8_t *avail, uint8_t *used) =
      \valid_read(m) && svmm_memmap_ok(m) && 0 < num <= VIRTQ_MAX_SIZE &&
      svmm_host_in_ram(m, desc, 16 * num, 0) &&
      svmm_host_in_ram(m, avail, 6 + 2 * num, 0) &&
      svmm_host_in_ram(m, used, 6 + 8 * num, 1) &&
      \valid_read(desc + (0 .. 16 * num - 1)) &&
      \valid_read(avail + (0 .. 6 + 2 * num - 1)) &&
      \valid(used + (0 .. 6 + 8 * num - 1));

  predicate virtq_rings_ok(struct virtq *q) =
      \separated(q, q->mem) && virtq_rings_in_ram(q->mem, q->num, q->desc, q->avail, q->used) &&
      q->in_flight <= q->num;

  predicate virtq_ok(struct virtq *q) = q->ready ==> virtq_rings_ok(q);

  // Every buffer of a chain is a range of guest RAM (device-writable ones in writable RAM),
  // device-readable buffers first, at most VIRTQ_MAX_SIZE of them, VIRTQ_MAX_CHAIN_BYTES in all.
  predicate virtq_iov_ok(struct svmm_memmap *m, struct virtq_iov *v, integer wr) =
      svmm_host_in_ram(m, v->host, v->len, wr) && \valid_read(v->host + (0 .. v->len - 1)) &&
      (wr != 0 ==> \valid(v->host + (0 .. v->len - 1)));

  predicate virtq_chain_ok(struct svmm_memmap *m, struct virtq_chain *c) =
      c->n_out + c->n_in <= VIRTQ_MAX_SIZE && c->out_len + c->in_len <= VIRTQ_MAX_CHAIN_BYTES &&
      (\forall integer k; 0 <= k < c->n_out ==> virtq_iov_ok(m, &c->iov[k], 0)) &&
      (\forall integer k; c->n_out <= k < c->n_out + c->n_in ==> virtq_iov_ok(m, &c->iov[k], 1));
*/

/* Forget everything (queue reset); the queue is disabled. */
/*@
  requires \valid(q);
  assigns *q;
  ensures !q->ready && q->num == 0 && q->in_flight == 0 && q->error == VIRTQ_OK;
  ensures virtq_ok(q);
*/
void virtq_reset(struct virtq *q);

/*
 * Validate the driver-programmed size and ring addresses and map them; on success the queue is
 * ready. `features` are the negotiated feature bits (for INDIRECT_DESC and EVENT_IDX).
 */
/*@
  requires \valid(q) && svmm_memmap_ok(mem) && \separated(q, mem);
  assigns q->ready, q->desc, q->avail, q->used, q->mem, q->indirect_ok, q->event_idx, q->used_idx,
          q->last_avail, q->in_flight, q->error;
  ensures virtq_ok(q);
  ensures \result == VIRTQ_OK ==> q->ready && q->mem == mem && q->in_flight == 0;
  ensures \result != VIRTQ_OK ==> \result == VIRTQ_E_RING && !q->ready;
*/
int virtq_enable(struct virtq *q, const struct svmm_memmap *mem, uint64_t features);

/* True when the driver has made buffers available that the device has not popped yet. */
bool virtq_has_avail(const struct virtq *q);

/*
 * Pop the next chain: 1 = got one in *c, 0 = none available, < 0 = a virtq_err (queue now broken).
 * Invariant: in_flight <= num. With `num` chains popped and not pushed it returns 0, whatever the
 * guest's avail index says, so a caller may store one entry per popped chain in a VIRTQ_MAX_SIZE array.
 */
/*@
  requires \valid(q) && \valid(c) && \separated(q, c) && virtq_ok(q);
  requires q->ready ==> \separated(c, q->mem);
  assigns q->last_avail, q->in_flight, q->error, *c;
  ensures virtq_ok(q);
*/
int virtq_pop(struct virtq *q, struct virtq_chain *c);

/*
 * Give back the last `n` chains popped, unused: they stay available and the next virtq_pop returns
 * them again (e.g. a receive frame that needs more buffers than the driver has posted so far).
 * Only chains popped since the last virtq_push may be given back; larger `n` is clamped.
 */
void virtq_unpop(struct virtq *q, uint16_t n);

/* Return chain `head` to the driver with `written` bytes stored in its device-writable buffers. */
int virtq_push(struct virtq *q, uint16_t head, uint32_t written);

/*
 * After pushing, decide whether the driver wants an interrupt: honours used_event with EVENT_IDX,
 * VIRTQ_AVAIL_F_NO_INTERRUPT without. `old_used` is used_idx before the batch was pushed.
 */
bool virtq_should_interrupt(struct virtq *q, uint16_t old_used);

/*
 * Ask the driver to notify us about the next buffer (avail_event with EVENT_IDX) and re-check for
 * buffers that raced in; returns true when there is more work, so callers loop without sleeping.
 */
bool virtq_arm_notify(struct virtq *q);

/*
 * The same, but with EVENT_IDX ask to be notified only once the driver has made `n` more buffers
 * available (n <= 1: at the next one, as virtq_arm_notify): a driver that refills a receive queue a
 * buffer at a time then costs one notification per n buffers instead of one each. A driver that
 * never makes n more available never notifies, so the caller must also look again on its own.
 * Without EVENT_IDX the driver notifies at every buffer whatever n is.
 */
bool virtq_arm_notify_after(struct virtq *q, uint16_t n);

/*@
  // The buffers of a chain are readable, the device-writable ones writable (virtq_chain_ok implies
  // it), and none overlaps the VMM buffer v[0, len) a copy goes through, nor the chain itself.
  predicate virtq_chain_copy_ok(struct virtq_chain *c, uint8_t *v, integer len) =
      c->n_out + c->n_in <= VIRTQ_MAX_SIZE &&
      (\forall integer k; 0 <= k < c->n_out + c->n_in ==>
          \valid_read(c->iov[k].host + (0 .. c->iov[k].len - 1)) &&
          \separated(c->iov[k].host + (0 .. c->iov[k].len - 1), v + (0 .. len - 1), c)) &&
      (\forall integer k; c->n_out <= k < c->n_out + c->n_in ==>
          \valid(c->iov[k].host + (0 .. c->iov[k].len - 1)));
*/

/* Copy up to `len` bytes of the chain's device-readable part, starting at `offset`, into dst. */
/*@
  requires \valid_read(c) && \valid((uint8_t *)dst + (0 .. len - 1)) && \separated((uint8_t *)dst + (0 .. len - 1), c);
  requires virtq_chain_copy_ok(c, (uint8_t *)dst, len);
  assigns ((uint8_t *)dst)[0 .. len - 1];
  ensures \result <= len;
*/
uint32_t virtq_chain_read(const struct virtq_chain *c, uint32_t offset, void *dst, uint32_t len);

/*
 * Copy up to `len` bytes into the chain's device-writable part at `offset`; returns bytes copied.
 * Writes only inside the device-writable buffers (iov[n_out, n_out + n_in)), each within its length.
 */
/*@
  requires \valid_read(c) && \valid_read((uint8_t *)src + (0 .. len - 1));
  requires virtq_chain_copy_ok(c, (uint8_t *)src, len);
  assigns { c->iov[k].host[j] | integer k, j; c->n_out <= k < c->n_out + c->n_in && 0 <= j < c->iov[k].len };
  ensures \result <= len;
*/
uint32_t virtq_chain_write(const struct virtq_chain *c, uint32_t offset, const void *src, uint32_t len);

/* A one-word description of a virtq_err for log lines. */
const char *virtq_strerror(int err);

#endif
