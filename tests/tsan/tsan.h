/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ThreadSanitizer tier (tests/tsan/tsan.mk): the hosted platform's threads against a simulated
 * guest. Checks may run on any thread; every one is counted.
 */
#ifndef SVMM_TSAN_H
#define SVMM_TSAN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <svmm/virtio_mmio.h>
#include "fake_guest.h"
#include "kvm.h"

/* Record one check; prints file:line and the expression when it failed. Returns ok. */
bool tsan_check(bool ok, const char *file, int line, const char *expr);
#define CHECK(expr) tsan_check((expr), __FILE__, __LINE__, #expr)

/* Lines the log sink saw that contain `needle` (the sink runs on any thread). */
unsigned tsan_log_count(const char *needle);

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t tsan_ms(void);

/* A scratch directory for this run's files and sockets (removed at exit). */
const char *tsan_tmpdir(void);

/* A kvm_host as the platform has one while a VM runs: the device lock and the stop event. */
void tsan_host_init(struct kvm_host *h);
void tsan_host_close(struct kvm_host *h);

/*
 * kvm.c's KVM_IOEVENTFD, simulated: kvm_host_add_ioeventfd (tsan_main.c's stand-in) records which
 * eventfd a guest write of a value to an address signals; tsan_ioeventfd_write is KVM's part: true
 * when a recorded eventfd took the write (signalled), false when the write would exit as MMIO.
 * tsan_host_init forgets every record.
 */
bool tsan_ioeventfd_write(uint64_t gpa, uint32_t val);

/* ---- the simulated guest: a driver for one virtio-mmio device, with split virtqueues ---- */

#define GUEST_MAX_QUEUES 8
#define GUEST_QNUM 256
#define GUEST_DATA_GPA 0x40000000ull   /* a second RAM region for buffers */
#define GUEST_DATA_SIZE (16u << 20)

/* One buffer of a chain: `len` bytes of guest RAM at `gpa`, device-writable when `write`. */
struct gbuf {
    uint64_t gpa;
    uint32_t len;
    bool write;
};

struct gq {
    uint16_t num;
    uint64_t desc, avail, used;
    uint16_t avail_idx;  /* next avail ring index the driver fills */
    uint16_t used_seen;  /* used entries the driver has taken */
    uint16_t free_head, nfree;
    uint16_t next[GUEST_QNUM];       /* free list, driver-private */
    uint16_t chain_len[GUEST_QNUM];  /* per head: descriptors in its chain */
    void *cookie[GUEST_QNUM];        /* per head: the driver's token for it */
};

struct guest {
    struct fake_guest fg;   /* RAM at FG_BASE (rings) plus data at GUEST_DATA_GPA */
    uint8_t *data;
    struct virtio_mmio t;
    struct kvm_host *h;
    pthread_cond_t irq_cv;  /* signalled (device lock held) when the device raises its line */
    unsigned irqs;          /* rising edges, under the device lock */
    bool line;
    unsigned nq;
    struct gq q[GUEST_MAX_QUEUES];
};

/*
 * Every function below runs with h->dev_lock held, the way a vCPU thread's MMIO exit does on the
 * KVM platform (kvm.c handle_mmio). The guest's own ring accesses take it too: a real guest orders
 * them with barriers on another CPU, which C's memory model (and TSan) cannot express, and the
 * device side's ordering is not what this tier tests; the platform's threads are.
 */
void guest_init(struct guest *g, struct virtio_dev *d, struct kvm_host *h);
void guest_free(struct guest *g);
/* Reset, negotiate `features`, set up queues 0..nq-1 (GUEST_QNUM entries each), DRIVER_OK. */
bool guest_bring_up(struct guest *g, uint64_t features, unsigned nq);
/* Host pointer for guest address gpa (either region). */
uint8_t *guest_ptr(struct guest *g, uint64_t gpa);
/* Put a chain on queue qi's avail ring; returns its head, or -1 when descriptors ran out. */
int guest_add(struct guest *g, unsigned qi, const struct gbuf *b, unsigned n, void *cookie);
/* QueueNotify for qi. */
void guest_kick(struct guest *g, unsigned qi);
/* Take one used entry of qi: 1 with its length and cookie, 0 when there is none. */
int guest_get(struct guest *g, unsigned qi, uint32_t *len, void **cookie);
/* Wait up to ms for an interrupt (or any device progress); acknowledges it like a driver. */
void guest_wait(struct guest *g, unsigned ms);
/* Device status register. */
uint32_t guest_status(struct guest *g);

/* The scenarios. */
void scenario_blk(void);
void scenario_net(void);
void scenario_vsock(void);
void scenario_console(void);
void scenario_switch(void);
/* `svmm switch` with argv[0] "switch": the switch scenario runs this binary as its switch process. */
int tsan_switch_process(int argc, char **argv);
void scenario_vsock_peer(void);
void scenario_relay(void);
void scenario_watchdog(void);

#endif
