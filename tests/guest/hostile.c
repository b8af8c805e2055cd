/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hostile guest (issue 14): a bare-metal program svmm boots like a Linux kernel (head:
 * hostile_head.S) that attacks its VMM through the real trap path, one case at a time, and prints
 * one verdict line per case on the emulated 16550 at 0x09000000:
 *     HOSTILE ok <case>: <expected outcome>
 *     HOSTILE FAIL <case>: <why> (expected: <outcome>)
 * then "HOSTILE summary: N cases, N ok, N failed" and, last, the one case that stops the VM by
 * design (an MMIO access the VMM cannot decode), after which it powers off if it is still running.
 *
 * After every case the harness checks, whatever the case did: a canary pattern around every buffer
 * a descriptor named (64 KiB of guest RAM) and after every used ring is intact (the VMM wrote
 * nothing a descriptor did not allow), and the VMM still serves its devices: virtio-rng and
 * virtio-blk are reset and set up again and each completes a request (blk reads back a sector
 * written at start).
 *
 * The layout comes from the DTB in x0: RAM, the interrupt controller (GICv2 or v3 and its frames),
 * the PSCI conduit (hvc hosted, smc on seL4) and the virtio-mmio windows, whose devices it finds by
 * their DeviceID. It needs a virtio-rng and a virtio-blk; a virtio-console is attacked if present
 * (its MULTIPORT control queue when offered), and so are a virtio-vsock and a virtio-net: the net
 * receive cases take, or refuse with lying buffers, the frame the ticker broadcasts every tick.
 * MMU off: every access is Device memory, so the CPU itself refuses unaligned accesses (those are
 * not tested), and every MMIO access is a single ldr/str with no writeback (asm), so that it traps
 * with a valid syndrome; the final case is the exception.
 *
 * Built with -DTICKER it is the neighbour instead: it prints "TICK n maxgap_ms=G" every 200 ms (the
 * virtual timer and WFI: an idle neighbour) for ever, G being the longest gap between two ticks,
 * and, with a virtio-net, broadcasts a TICK_FRAME-byte frame each tick (never waiting for it: a
 * "TICKNET sent S ring full F" line every 25 ticks says whether anything held its frames up).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART 0x09000000ul
#define PATTERN 0xa5u
#define PATTERN64 0xa5a5a5a5a5a5a5a5ull

void hostile_main(uint64_t dtb);
uint64_t exc_entry(uint64_t kind);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

/* ---- libc bits the compiler may call ---- */
void *memset(void *d, int c, size_t n)
{
    volatile uint8_t *p = d;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    volatile uint8_t *p = d;
    const volatile uint8_t *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

/* ---- MMIO: one ldr/str each, no writeback, so every access traps with ISV set ---- */
static inline uint8_t r8(uintptr_t a) { uint32_t v; __asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); return (uint8_t)v; }
static inline uint16_t r16(uintptr_t a) { uint32_t v; __asm__ volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); return (uint16_t)v; }
static inline uint32_t r32(uintptr_t a) { uint32_t v; __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory"); return v; }
static inline uint64_t r64(uintptr_t a) { uint64_t v; __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(a) : "memory"); return v; }
static inline void w8(uintptr_t a, uint8_t v) { __asm__ volatile("strb %w0, [%1]" : : "r"((uint32_t)v), "r"(a) : "memory"); }
static inline void w16(uintptr_t a, uint16_t v) { __asm__ volatile("strh %w0, [%1]" : : "r"((uint32_t)v), "r"(a) : "memory"); }
static inline void w32(uintptr_t a, uint32_t v) { __asm__ volatile("str %w0, [%1]" : : "r"(v), "r"(a) : "memory"); }
static inline void w64(uintptr_t a, uint64_t v) { __asm__ volatile("str %0, [%1]" : : "r"(v), "r"(a) : "memory"); }
static inline void dmb(void) { __asm__ volatile("dmb sy" ::: "memory"); }

#define SYSREG_R(name) ({ uint64_t _v; __asm__ volatile("mrs %0, " #name : "=r"(_v) : : "memory"); _v; })
#define SYSREG_W(name, v) __asm__ volatile("msr " #name ", %0\n\tisb" : : "r"((uint64_t)(v)) : "memory")

/* ---- console ---- */
static void putc_(char c) { w8(UART, (uint8_t)c); }
static void puts_(const char *s) { while (*s) putc_(*s++); }
static void putu(uint64_t v)
{
    char b[24];
    int i = 0;
    do { b[i++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (i) putc_(b[--i]);
}
static void putx(uint64_t v)
{
    puts_("0x");
    for (int s = 60; s >= 0; s -= 4)
        if (v >> s || s == 0)
            putc_("0123456789abcdef"[(v >> s) & 15]);
}

/* A failure reason with a number: "<s><v in hex>" in a static buffer (one per case is enough). */
static char why_buf[160];
static const char *why(const char *s, uint64_t v)
{
    unsigned i = 0;
    while (*s && i < sizeof(why_buf) - 20)
        why_buf[i++] = *s++;
    why_buf[i++] = '0';
    why_buf[i++] = 'x';
    bool started = false;
    for (int sh = 60; sh >= 0; sh -= 4) {
        unsigned d = (v >> sh) & 15;
        if (d || started || sh == 0) {
            why_buf[i++] = "0123456789abcdef"[d];
            started = true;
        }
    }
    why_buf[i] = 0;
    return why_buf;
}

/* ---- time ---- */
static uint64_t now(void) { __asm__ volatile("isb"); return SYSREG_R(cntvct_el0); }
static uint64_t freq;
static uint64_t ms_ticks(uint64_t ms) { return freq * ms / 1000; }
/* How long something that must happen may take: generous, the clock is the host's and it may be busy. */
#define LONG_MS 5000

/* ---- exceptions: recorded and skipped ---- */
static volatile unsigned exc_count;
static volatile uint64_t exc_esr, exc_far, exc_kind;

uint64_t exc_entry(uint64_t kind)
{
    uint64_t elr = SYSREG_R(elr_el1);

    exc_count++;
    exc_kind = kind;
    exc_esr = SYSREG_R(esr_el1);
    exc_far = SYSREG_R(far_el1);
    if (kind != 0) /* an interrupt or SError: nothing to skip (interrupts stay masked: should not happen) */
        return elr;
    return elr + 4; /* an injected UNDEF or abort: skip the instruction that took it */
}

/* ---- the device tree (flattened, big-endian) ---- */
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }
static bool str_eq(const char *a, const char *b) { while (*a && *a == *b) { a++; b++; } return *a == *b; }
static bool starts(const char *a, const char *p) { while (*p && *a == *p) { a++; p++; } return *p == 0; }
static bool has_str(const uint8_t *v, uint32_t len, const char *s)
{
    /* a stringlist property contains s as one of its strings */
    uint32_t i = 0;
    while (i < len) {
        if (str_eq((const char *)v + i, s))
            return true;
        while (i < len && v[i]) i++;
        i++;
    }
    return false;
}

#define MAX_VIRTIO 32
static uint64_t ram_base, ram_size;
static uint64_t gicd, gic2nd; /* GICv3: redistributor of CPU 0; GICv2: CPU interface */
static int gic_v3;
static bool psci_smc;
static uint64_t virtio_base[MAX_VIRTIO];
static unsigned nvirtio;
static unsigned ncpus; /* cpu@ nodes under /cpus */

static uint64_t parse_hex(const char *s)
{
    uint64_t v = 0;
    for (; *s; s++) {
        char c = *s;
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 99;
        if (d == 99) break;
        v = v << 4 | d;
    }
    return v;
}

static bool parse_dtb(const uint8_t *fdt)
{
    if (be32(fdt) != 0xd00dfeedu)
        return false;
    const uint8_t *st = fdt + be32(fdt + 8);
    const char *strs = (const char *)fdt + be32(fdt + 12);
    const char *node = "";
    unsigned depth = 0;

    for (const uint8_t *p = st;;) {
        uint32_t tok = be32(p);
        p += 4;
        if (tok == 1) { /* BEGIN_NODE */
            const char *name = (const char *)p;
            uint32_t n = 0;
            while (name[n]) n++;
            p += (n + 4) & ~3u;
            depth++;
            if (depth == 3 && str_eq(node, "cpus") && starts(name, "cpu@"))
                ncpus++;
            if (depth == 2) {
                node = name;
                if (starts(name, "virtio_mmio@") && nvirtio < MAX_VIRTIO)
                    virtio_base[nvirtio++] = parse_hex(name + 12);
            }
        } else if (tok == 2) { /* END_NODE */
            depth--;
        } else if (tok == 3) { /* PROP */
            uint32_t len = be32(p), nameoff = be32(p + 4);
            const uint8_t *v = p + 8;
            const char *pname = strs + nameoff;
            p += 8 + ((len + 3) & ~3u);
            if (depth != 2)
                continue;
            if (starts(node, "memory@") && str_eq(pname, "reg") && len >= 16 && ram_size == 0) {
                ram_base = be64(v);
                ram_size = be64(v + 8);
            } else if (starts(node, "intc@") && str_eq(pname, "compatible")) {
                gic_v3 = has_str(v, len, "arm,gic-v3");
            } else if (starts(node, "intc@") && str_eq(pname, "reg") && len >= 32) {
                gicd = be64(v);
                gic2nd = be64(v + 16);
            } else if (str_eq(node, "psci") && str_eq(pname, "method")) {
                psci_smc = str_eq((const char *)v, "smc");
            }
        } else if (tok == 4) { /* NOP */
        } else {
            break; /* END */
        }
    }
    return ram_size != 0 && gicd != 0;
}

/* ---- SMCCC / PSCI ---- */
#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_SUSPEND 0xc4000001u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON 0xc4000003u
#define PSCI_CPU_ON_32 0x84000003u
#define PSCI_AFFINITY_INFO 0xc4000004u
#define PSCI_MIGRATE 0xc4000005u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES 0x8400000au
#define PSCI_STAT_COUNT 0xc4000011u
#define PSCI_SYSTEM_RESET2 0xc4000012u
#define SMCCC_VERSION 0x80000000u
#define SMCCC_ARCH_FEATURES 0x80000001u
#define E_NOT_SUPPORTED ((uint64_t)-1)
#define E_INVALID ((uint64_t)-2)
#define E_ALREADY_ON ((uint64_t)-4)

static uint64_t smc(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = a0, x1 __asm__("x1") = a1, x2 __asm__("x2") = a2, x3 __asm__("x3") = a3;
    __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    return x0;
}
static uint64_t hvc(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = a0, x1 __asm__("x1") = a1, x2 __asm__("x2") = a2, x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    return x0;
}
/* Through the conduit the DT names. */
static uint64_t psci(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    return psci_smc ? smc(a0, a1, a2, a3) : hvc(a0, a1, a2, a3);
}

/* ---- GIC: just enough for the virtual timer and SGIs, polled with interrupts masked ---- */
#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_IIDR 0x008
#define GICD_IGROUPR 0x080
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ISPENDR 0x200
#define GICD_ICPENDR 0x280
#define GICD_IPRIORITYR 0x400
#define GICD_SGIR 0xf00
#define GICD_IROUTER 0x6000
#define GICR_TYPER 0x008
#define GICR_WAKER 0x014
#define GICR_SGI 0x10000
#define GICC_CTLR 0x000
#define GICC_PMR 0x004
#define GICC_IAR 0x00c
#define GICC_EOIR 0x010
#define GICC_DIR 0x1000
#define TIMER_PPI 27
#define SPURIOUS 1023

static uint64_t pidr2_off(void) { return gic_v3 ? 0xffe8 : 0xfe8; }

static void gic_init(void)
{
    if (gic_v3) {
        uint64_t sgi = gic2nd + GICR_SGI;
        w32(gicd + GICD_CTLR, 0x12); /* ARE, EnableGrp1 */
        w32(gic2nd + GICR_WAKER, r32(gic2nd + GICR_WAKER) & ~2u);
        for (int i = 0; i < 1000 && (r32(gic2nd + GICR_WAKER) & 4); i++)
            ;
        w32(sgi + GICD_IGROUPR, 0xffffffffu);
        for (int i = 0; i < 32; i += 4)
            w32(sgi + GICD_IPRIORITYR + i, 0xa0a0a0a0u);
        w32(sgi + GICD_ISENABLER, 0xffffu | 1u << TIMER_PPI);
        SYSREG_W(S3_0_C12_C12_5, SYSREG_R(S3_0_C12_C12_5) | 1); /* ICC_SRE_EL1.SRE */
        SYSREG_W(S3_0_C4_C6_0, 0xff);                              /* ICC_PMR_EL1 */
        SYSREG_W(S3_0_C12_C12_7, 1);                               /* ICC_IGRPEN1_EL1 */
    } else {
        w32(gicd + GICD_CTLR, 1);
        for (int i = 0; i < 32; i += 4)
            w32(gicd + GICD_IPRIORITYR + i, 0xa0a0a0a0u);
        w32(gicd + GICD_ISENABLER, 0xffffu | 1u << TIMER_PPI);
        w32(gic2nd + GICC_PMR, 0xf0);
        w32(gic2nd + GICC_CTLR, 1);
    }
}

static uint32_t gic_ack(void)
{
    return gic_v3 ? (uint32_t)SYSREG_R(S3_0_C12_C12_0) & 0xffffff : r32(gic2nd + GICC_IAR) & 0x3ff;
}
static void gic_eoi(uint32_t id)
{
    if (gic_v3)
        SYSREG_W(S3_0_C12_C12_1, id);
    else
        w32(gic2nd + GICC_EOIR, id);
}
static void gic_dir(uint32_t id)
{
    if (gic_v3)
        SYSREG_W(S3_0_C12_C11_1, id);
    else
        w32(gic2nd + GICC_DIR, id);
}
/* An SGI through the architecture's own register: targets as a CPU mask of affinity-0 CPUs (aff1 cluster). */
static void gic_sgi(uint32_t id, uint32_t targets, uint32_t aff1, bool others)
{
    if (gic_v3)
        SYSREG_W(S3_0_C12_C11_5, (uint64_t)(others ? 1ull << 40 : 0) | (uint64_t)aff1 << 16 | (uint64_t)id << 24 |
                                     (targets & 0xffff));
    else
        w32(gicd + GICD_SGIR, (others ? 1u << 24 : 0) | (targets & 0xff) << 16 | (id & 15));
}

/* Wait up to `ms` for an interrupt to be pending and acknowledge it (SPURIOUS if none came). */
static uint32_t gic_wait(uint64_t ms)
{
    uint64_t end = now() + ms_ticks(ms);
    do {
        uint32_t id = gic_ack();
        if (id != SPURIOUS)
            return id;
    } while (now() < end);
    return SPURIOUS;
}

/* Arm the virtual timer `us` ahead (unmasked: it raises PPI 27). */
static void timer_arm_us(uint64_t us)
{
    SYSREG_W(cntv_cval_el0, now() + freq * us / 1000000);
    SYSREG_W(cntv_ctl_el0, 1);
}
static void timer_off(void) { SYSREG_W(cntv_ctl_el0, 0); }

/* WFI until the armed timer's interrupt: acknowledged, the timer stopped, EOI. Returns the INTID taken. */
static uint32_t wfi_timer(void)
{
    uint32_t id = SPURIOUS;
    for (int i = 0; i < 1000 && id == SPURIOUS; i++) {
        __asm__ volatile("wfi" ::: "memory");
        id = gic_ack();
    }
    timer_off();
    if (id != SPURIOUS)
        gic_eoi(id);
    return id;
}

/*
 * The frame the ticker broadcasts on its virtio-net port every tick (the hostile guest's receive
 * cases wait for it): TICK_FRAME bytes, to ff:ff:ff:ff:ff:ff from the ticker's MAC, EtherType
 * 0x88b5 (local experimental), "SVMMTICK", the tick's number (le32), then byte i = i * 7 + seq.
 */
#define TICK_FRAME 600
#define TICK_MAGIC "SVMMTICK"
static uint8_t tick_byte(uint32_t i, uint32_t seq) { return (uint8_t)(i * 7 + seq); }

#ifdef TICKER
/* ---- the neighbour's frame source: a transmit queue of T_NUM, one frame per tick, never waiting ---- */
#define T_NUM 64
static uint8_t tq[16384] __attribute__((aligned(4096)));  /* descriptors at 0, avail at 4 KiB, used at 8 KiB */
static uint8_t tbuf[T_NUM][16 + TICK_FRAME] __attribute__((aligned(16)));
static uintptr_t tnet;   /* the virtio-net window, 0 without one */
static uint8_t tmac[6];
static uint16_t tavail;
static uint64_t tsent, tfull;

static void tput16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void tput32(uint8_t *p, uint32_t v) { tput16(p, (uint16_t)v); tput16(p + 2, (uint16_t)(v >> 16)); }

/* Driver up with VERSION_1 and MAC, the transmit queue (1) only: the receive queue stays unset. */
static void ticker_net_init(void)
{
    for (unsigned i = 0; i < nvirtio && !tnet; i++)
        if (r32(virtio_base[i]) == 0x74726976u && r32(virtio_base[i] + 0x008) == 1)
            tnet = virtio_base[i];
    if (!tnet)
        return;
    w32(tnet + 0x070, 0);
    w32(tnet + 0x070, 3);         /* ACKNOWLEDGE | DRIVER */
    w32(tnet + 0x024, 0);
    w32(tnet + 0x020, 1u << 5);   /* VIRTIO_NET_F_MAC */
    w32(tnet + 0x024, 1);
    w32(tnet + 0x020, 1u);        /* VERSION_1 */
    w32(tnet + 0x070, 11);        /* | FEATURES_OK */
    if (!(r32(tnet + 0x070) & 8)) {
        puts_("TICKNET features refused\n");
        tnet = 0;
        return;
    }
    w32(tnet + 0x030, 1);
    w32(tnet + 0x038, T_NUM);
    w32(tnet + 0x080, (uint32_t)(uintptr_t)tq);
    w32(tnet + 0x084, (uint32_t)((uintptr_t)tq >> 32));
    w32(tnet + 0x090, (uint32_t)((uintptr_t)tq + 4096));
    w32(tnet + 0x094, (uint32_t)(((uintptr_t)tq + 4096) >> 32));
    w32(tnet + 0x0a0, (uint32_t)((uintptr_t)tq + 8192));
    w32(tnet + 0x0a4, (uint32_t)(((uintptr_t)tq + 8192) >> 32));
    w32(tnet + 0x044, 1);
    w32(tnet + 0x070, 15);        /* | DRIVER_OK */
    for (unsigned i = 0; i < 6; i++)
        tmac[i] = r8(tnet + 0x100 + i);
}

/* One frame for tick `seq`, unless every slot is still the device's (then counted as a full ring). */
static void ticker_net_send(uint32_t seq)
{
    __asm__ volatile("dmb sy" ::: "memory");
    uint16_t used = (uint16_t)(tq[8192 + 2] | tq[8192 + 3] << 8);
    if (!tnet)
        return;
    if ((uint16_t)(tavail - used) >= T_NUM) {
        tfull++;
        return;
    }
    uint16_t slot = tavail % T_NUM;
    uint8_t *b = tbuf[slot], *f = b + 12;
    memset(b, 0, 12); /* the virtio-net header: nothing to offload */
    for (unsigned i = 0; i < 6; i++) {
        f[i] = 0xff;
        f[6 + i] = tmac[i];
    }
    f[12] = 0x88, f[13] = 0xb5;
    memcpy(f + 14, TICK_MAGIC, 8);
    tput32(f + 22, seq);
    for (uint32_t i = 26; i < TICK_FRAME; i++)
        f[i] = tick_byte(i, seq);
    uint8_t *d = tq + 16u * slot;
    memset(d, 0, 16);
    tput32(d, (uint32_t)(uintptr_t)b);
    tput32(d + 4, (uint32_t)((uintptr_t)b >> 32));
    tput32(d + 8, 12 + TICK_FRAME);
    tput16(tq + 4096 + 4 + 2u * slot, slot);
    __asm__ volatile("dmb sy" ::: "memory");
    tput16(tq + 4096 + 2, ++tavail);
    __asm__ volatile("dmb sy" ::: "memory");
    w32(tnet + 0x050, 1);
    tsent++;
}

/* ---- the neighbour: a tick every 200 ms, sleeping between ---- */
void secondary_main(void);
void secondary_main(void) /* the head's secondary entry: never started here */
{
    for (;;)
        __asm__ volatile("wfi");
}

void hostile_main(uint64_t dtb)
{
    uint64_t last, maxgap = 0;

    freq = SYSREG_R(cntfrq_el0);
    if (!parse_dtb((const uint8_t *)dtb)) {
        puts_("TICK bad DTB\n");
        for (;;) __asm__ volatile("wfi");
    }
    gic_init();
    ticker_net_init();
    last = now();
    for (uint64_t n = 1;; n++) {
        uint64_t t;
        ticker_net_send((uint32_t)n);
        timer_arm_us(200000);
        if (wfi_timer() != TIMER_PPI)
            puts_("TICK woke without the timer\n");
        t = now();
        if (t - last > maxgap)
            maxgap = t - last;
        last = t;
        puts_("TICK ");
        putu(n);
        puts_(" maxgap_ms=");
        putu(maxgap * 1000 / freq);
        putc_('\n');
        if (n % 25 == 0 && tnet) { /* the frame source's health: sent, and how often its ring was full */
            puts_("TICKNET sent ");
            putu(tsent);
            puts_(" ring full ");
            putu(tfull);
            putc_('\n');
        }
    }
}
#else

/* ---- virtio-mmio ---- */
enum {
    MAGIC = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, DEV_FEAT = 0x010, DEV_FEAT_SEL = 0x014, DRV_FEAT = 0x020,
    DRV_FEAT_SEL = 0x024, QSEL = 0x030, QNUM_MAX = 0x034, QNUM = 0x038, QREADY = 0x044, QNOTIFY = 0x050,
    ISR = 0x060, IACK = 0x064, STATUS = 0x070, QDESC = 0x080, QDRIVER = 0x090, QDEVICE = 0x0a0, SHM_SEL = 0x0ac,
    SHM_LEN = 0x0b0, CFG_GEN = 0x0fc, CONFIG = 0x100,
};
#define S_ACK 1u
#define S_DRIVER 2u
#define S_DRIVER_OK 4u
#define S_FEATURES_OK 8u
#define S_NEEDS_RESET 64u
#define S_FAILED 128u
#define F_INDIRECT (1ull << 28)
#define F_EVENT_IDX (1ull << 29)
#define F_VERSION_1 (1ull << 32)
#define D_NEXT 1u
#define D_WRITE 2u
#define D_INDIRECT 4u
#define ID_NET 1
#define ID_BLK 2
#define ID_CONSOLE 3
#define ID_RNG 4
#define ID_VSOCK 19

#define RING_AREA 16384
#define MAXQ 256
/* Ring area: descriptor table at 0, avail ring at 4 KiB, used ring at 8 KiB, canary to the end. */
struct dev {
    const char *name;
    uintptr_t base;
    uint32_t id;
    unsigned qi;     /* the queue the cases use */
    uint16_t num;
    uint16_t avail;  /* our avail index */
    uint16_t used;   /* used index seen so far */
    uint8_t *ring;
    uint32_t guard;  /* first byte of the used-ring canary */
};
static uint8_t rings[10][RING_AREA] __attribute__((aligned(4096)));
static struct dev rng = { "rng", 0, ID_RNG, 0, 0, 0, 0, rings[0], 0 };
static struct dev blk = { "blk", 0, ID_BLK, 0, 0, 0, 0, rings[1], 0 };
static struct dev con = { "console", 0, ID_CONSOLE, 1, 0, 0, 0, rings[2], 0 }; /* port 0 transmitq */
static struct dev vrx = { "vsock-rx", 0, ID_VSOCK, 0, 0, 0, 0, rings[3], 0 };  /* vsock's two queues */
static struct dev vtx = { "vsock-tx", 0, ID_VSOCK, 1, 0, 0, 0, rings[4], 0 };
static struct dev nrx = { "net-rx", 0, ID_NET, 0, 0, 0, 0, rings[5], 0 };  /* virtio-net's two queues */
static struct dev ntx = { "net-tx", 0, ID_NET, 1, 0, 0, 0, rings[6], 0 };
/* The console's MULTIPORT queues: control receiveq (2), control transmitq (3), port 1's transmitq (5). */
static struct dev cci = { "console-ctrl-rx", 0, ID_CONSOLE, 2, 0, 0, 0, rings[7], 0 };
static struct dev cco = { "console-ctrl-tx", 0, ID_CONSOLE, 3, 0, 0, 0, rings[8], 0 };
static struct dev cp1 = { "console-port1-tx", 0, ID_CONSOLE, 5, 0, 0, 0, rings[9], 0 };

static volatile uint8_t *desc_p(struct dev *d, unsigned i) { return d->ring + 16u * i; }
static volatile uint8_t *avail_p(struct dev *d) { return d->ring + 4096; }
static volatile uint8_t *used_p(struct dev *d) { return d->ring + 8192; }
static void st16(volatile uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void st32(volatile uint8_t *p, uint32_t v) { st16(p, (uint16_t)v); st16(p + 2, (uint16_t)(v >> 16)); }
static void st64(volatile uint8_t *p, uint64_t v) { st32(p, (uint32_t)v); st32(p + 4, (uint32_t)(v >> 32)); }
static uint16_t ld16(const volatile uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t ld32(const volatile uint8_t *p) { return ld16(p) | (uint32_t)ld16(p + 2) << 16; }

static void desc(struct dev *d, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    volatile uint8_t *p = desc_p(d, i);
    st64(p, addr);
    st32(p + 8, len);
    st16(p + 12, flags);
    st16(p + 14, next);
}
/* The same layout in an indirect table. */
static void idesc(volatile uint8_t *t, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    volatile uint8_t *p = t + 16u * i;
    st64(p, addr);
    st32(p + 8, len);
    st16(p + 12, flags);
    st16(p + 14, next);
}

static uint32_t rd(struct dev *d, unsigned off) { return r32(d->base + off); }
static void wr(struct dev *d, unsigned off, uint32_t v) { w32(d->base + off, v); }
static uint32_t status(struct dev *d) { return rd(d, STATUS); }

/* Negotiate `want` (what is also offered) up to FEATURES_OK; 0 when the device accepted. */
static int negotiate(struct dev *d, uint64_t want)
{
    uint64_t offered;
    wr(d, STATUS, 0);
    wr(d, STATUS, S_ACK);
    wr(d, STATUS, S_ACK | S_DRIVER);
    wr(d, DEV_FEAT_SEL, 0);
    offered = rd(d, DEV_FEAT);
    wr(d, DEV_FEAT_SEL, 1);
    offered |= (uint64_t)rd(d, DEV_FEAT) << 32;
    want &= offered;
    wr(d, DRV_FEAT_SEL, 0);
    wr(d, DRV_FEAT, (uint32_t)want);
    wr(d, DRV_FEAT_SEL, 1);
    wr(d, DRV_FEAT, (uint32_t)(want >> 32));
    wr(d, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    return (status(d) & S_FEATURES_OK) ? 0 : -1;
}

static void queue_addrs(struct dev *d, uint64_t dsc, uint64_t drv, uint64_t dev)
{
    wr(d, QDESC, (uint32_t)dsc);
    wr(d, QDESC + 4, (uint32_t)(dsc >> 32));
    wr(d, QDRIVER, (uint32_t)drv);
    wr(d, QDRIVER + 4, (uint32_t)(drv >> 32));
    wr(d, QDEVICE, (uint32_t)dev);
    wr(d, QDEVICE + 4, (uint32_t)(dev >> 32));
}

/* Fresh rings (zero, and the canary after the used ring), then program queue d->qi with `num`. */
static void ring_program(struct dev *d, uint16_t num)
{
    memset(d->ring, 0, 8192);
    d->guard = 8192 + 6 + 8u * (num > MAXQ ? MAXQ : num);
    memset(d->ring + 8192, 0, d->guard - 8192);
    memset(d->ring + d->guard, PATTERN, RING_AREA - d->guard);
    d->num = num;
    d->avail = d->used = 0;
    wr(d, QSEL, d->qi);
    wr(d, QNUM, num);
    queue_addrs(d, (uintptr_t)d->ring, (uintptr_t)avail_p(d), (uintptr_t)used_p(d));
}

/* A whole driver start: 0 = DRIVER_OK with queue qi of size num running. */
static int setup(struct dev *d, uint64_t want, uint16_t num)
{
    if (!d->base || negotiate(d, want) < 0)
        return -1;
    ring_program(d, num);
    wr(d, QREADY, 1);
    wr(d, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    return (status(d) & (S_DRIVER_OK | S_NEEDS_RESET)) == S_DRIVER_OK ? 0 : -1;
}
#define FEAT (F_VERSION_1 | F_INDIRECT)

static void notify(struct dev *d) { dmb(); wr(d, QNOTIFY, d->qi); }

/* Make chain `head` available (without notifying). */
static void post(struct dev *d, uint16_t head)
{
    volatile uint8_t *a = avail_p(d);
    st16(a + 4 + 2u * (d->avail % d->num), head);
    dmb();
    st16(a + 2, ++d->avail);
}

static uint16_t used_idx(struct dev *d) { dmb(); return ld16(used_p(d) + 2); }

/* Wait up to ms for the used index to move past d->used; returns the new entries' count. */
static unsigned wait_used(struct dev *d, uint64_t ms)
{
    uint64_t end = now() + ms_ticks(ms);
    do {
        uint16_t u = used_idx(d);
        if (u != d->used) {
            unsigned n = (uint16_t)(u - d->used);
            return n;
        }
    } while (now() < end);
    return 0;
}
/* The used element for our d->used-th completion: its id and len, and consume it. */
static void take_used(struct dev *d, uint32_t *id, uint32_t *len)
{
    volatile uint8_t *e = used_p(d) + 4 + 8u * (d->used % d->num);
    *id = ld32(e);
    *len = ld32(e + 4);
    d->used++;
}

/* Wait up to ms for DEVICE_NEEDS_RESET. */
static bool wait_needs_reset(struct dev *d, uint64_t ms)
{
    uint64_t end = now() + ms_ticks(ms);
    do {
        if (status(d) & S_NEEDS_RESET)
            return true;
    } while (now() < end);
    return false;
}

/* ---- guest RAM the VMM may write: the arena, checked byte by byte after every case ---- */
#define ARENA_SIZE 65536
static uint8_t arena[ARENA_SIZE] __attribute__((aligned(4096)));
static uint8_t rbuf[81920] __attribute__((aligned(4096)));  /* device-readable data: never written by the VMM */
static uint8_t itab[16384] __attribute__((aligned(4096)));  /* indirect tables */
static uint8_t aux[8192] __attribute__((aligned(4096)));    /* the health checks' buffers */
struct range {
    uintptr_t a;
    uint32_t n;
};
static struct range allowed[1024];
static unsigned nallowed;

/* A device-writable buffer of n bytes at arena offset off: the VMM may write there. */
static uintptr_t wbuf(uint32_t off, uint32_t n)
{
    if (nallowed < sizeof(allowed) / sizeof(allowed[0]))
        allowed[nallowed++] = (struct range){ (uintptr_t)arena + off, n };
    return (uintptr_t)arena + off;
}
static uintptr_t A(uint32_t off) { return (uintptr_t)arena + off; } /* an arena address nobody may write */

static bool is_allowed(uintptr_t a)
{
    for (unsigned i = 0; i < nallowed; i++)
        if (a >= allowed[i].a && a - allowed[i].a < allowed[i].n)
            return true;
    return false;
}

/* First byte outside what descriptors allowed that no longer holds the pattern, or 0. */
static uintptr_t canary_breach(void)
{
    const volatile uint64_t *w = (const volatile uint64_t *)arena;
    for (unsigned i = 0; i < ARENA_SIZE / 8; i++) {
        if (w[i] == PATTERN64)
            continue;
        for (unsigned b = 0; b < 8; b++) {
            uintptr_t a = (uintptr_t)arena + 8 * i + b;
            if (*(volatile uint8_t *)a != PATTERN && !is_allowed(a))
                return a;
        }
    }
    struct dev *ds[10] = { &rng, &blk, &con, &vrx, &vtx, &nrx, &ntx, &cci, &cco, &cp1 };
    for (unsigned k = 0; k < 10; k++) {
        if (!ds[k]->base || !ds[k]->guard)
            continue;
        for (uint32_t o = ds[k]->guard; o < RING_AREA; o++)
            if (*(volatile uint8_t *)(ds[k]->ring + o) != PATTERN)
                return (uintptr_t)ds[k]->ring + o;
    }
    return 0;
}

/* ---- requests that must succeed ---- */
static const char *rng_request(struct dev *d, uintptr_t buf, uint32_t n)
{
    uint32_t id, len;
    desc(d, 0, buf, n, D_WRITE, 0);
    post(d, 0);
    notify(d);
    if (!wait_used(d, LONG_MS))
        return "rng request not completed";
    take_used(d, &id, &len);
    if (id != 0 || len != n)
        return why("rng used element wrong, len ", len);
    return NULL;
}

static uint8_t *blk_hdr(unsigned slot, uint32_t type, uint64_t sector)
{
    uint8_t *h = rbuf + 32 * slot;
    st32(h, type);
    st32(h + 4, 0);
    st64(h + 8, sector);
    return h;
}

/* One blk request: header, one data buffer (write = device-readable), status; returns the status byte. */
static int blk_rw(struct dev *d, uint32_t type, uint64_t sector, uintptr_t data, uint32_t n, uintptr_t st,
                  uint64_t ms)
{
    uint32_t id, len;
    uint16_t head = (uint16_t)(d->avail % d->num);
    uint16_t i1 = (head + 1) % d->num, i2 = (head + 2) % d->num;
    *(volatile uint8_t *)st = 0xee;
    desc(d, head, (uintptr_t)blk_hdr(0, type, sector), 16, D_NEXT, i1);
    desc(d, i1, data, n, (uint16_t)(D_NEXT | (type == 0 ? D_WRITE : 0)), i2);
    desc(d, i2, st, 1, D_WRITE, 0);
    post(d, head);
    notify(d);
    if (!wait_used(d, ms))
        return -1;
    take_used(d, &id, &len);
    return *(volatile uint8_t *)st;
}

/* The health check after every case: both devices serve again from a reset. */
static const char *health(void)
{
    const char *e;
    if (setup(&rng, FEAT, 8) < 0)
        return "after: rng setup refused";
    if ((e = rng_request(&rng, (uintptr_t)aux, 64)) != NULL)
        return e;
    if (setup(&blk, FEAT, 8) < 0)
        return "after: blk setup refused";
    int s = blk_rw(&blk, 0, 1, (uintptr_t)aux + 512, 512, (uintptr_t)aux + 1100, LONG_MS);
    if (s != 0)
        return why("after: blk read of sector 1 status ", (uint64_t)(uint32_t)s);
    for (unsigned i = 0; i < 512; i++)
        if (aux[512 + i] != (uint8_t)(i * 7 + 3))
            return why("after: blk sector 1 data wrong at byte ", i);
    return NULL;
}

/* ---- verdict helpers ---- */
/* A case that does not apply to this VM returns this (a "skip" line, not a verdict). */
static const char skip_msg[] = "not applicable";
#define SKIP skip_msg

/* The chain just posted must break the queue: NEEDS_RESET, nothing used. */
static const char *expect_broken(struct dev *d)
{
    notify(d);
    if (!wait_needs_reset(d, LONG_MS))
        return used_idx(d) != d->used ? "the device used the chain" : "no DEVICE_NEEDS_RESET";
    if (used_idx(d) != d->used)
        return "NEEDS_RESET but the device also used the chain";
    return NULL;
}
/* Nothing at all must happen: no completion within ms, no NEEDS_RESET. */
static const char *expect_nothing(struct dev *d, uint64_t ms)
{
    if (wait_used(d, ms))
        return "the device completed a request it should not have";
    if (status(d) & S_NEEDS_RESET)
        return "DEVICE_NEEDS_RESET set";
    return NULL;
}
/* The chain posted must complete with `want_len` bytes written. */
static const char *expect_used(struct dev *d, uint32_t want_len)
{
    uint32_t id, len;
    notify(d);
    if (!wait_used(d, LONG_MS))
        return (status(d) & S_NEEDS_RESET) ? "DEVICE_NEEDS_RESET instead of a completion" : "not completed";
    take_used(d, &id, &len);
    if (len != want_len)
        return why("used len ", len);
    return NULL;
}

static uintptr_t ram_end(void) { return ram_base + ram_size; }

/* ====================================================================================== */
/* ---- virtqueue abuse (on virtio-rng unless the name says blk; queue size 8) ---- */

static const char *vq_loop_self(void) { desc(&rng, 0, wbuf(0, 16), 16, D_WRITE | D_NEXT, 0); post(&rng, 0); return expect_broken(&rng); }
static const char *vq_loop_two(void)
{
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE | D_NEXT, 1);
    desc(&rng, 1, wbuf(64, 16), 16, D_WRITE | D_NEXT, 0);
    post(&rng, 0);
    return expect_broken(&rng);
}
static const char *vq_loop_all(void)
{
    for (unsigned i = 0; i < 8; i++)
        desc(&rng, i, wbuf(64 * i, 16), 16, D_WRITE | D_NEXT, (uint16_t)((i + 1) % 8));
    post(&rng, 3);
    return expect_broken(&rng);
}
static const char *vq_loop_tail(void)
{
    /* a chain that walks into a cycle after a few good descriptors */
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE | D_NEXT, 1);
    desc(&rng, 1, wbuf(64, 16), 16, D_WRITE | D_NEXT, 2);
    desc(&rng, 2, wbuf(128, 16), 16, D_WRITE | D_NEXT, 1);
    post(&rng, 0);
    return expect_broken(&rng);
}
static const char *vq_next_oob(void) { desc(&rng, 0, wbuf(0, 16), 16, D_WRITE | D_NEXT, 8); post(&rng, 0); return expect_broken(&rng); }
static const char *vq_next_ffff(void) { desc(&rng, 0, wbuf(0, 16), 16, D_WRITE | D_NEXT, 0xffff); post(&rng, 0); return expect_broken(&rng); }
static const char *vq_head_oob(void) { desc(&rng, 0, wbuf(0, 16), 16, D_WRITE, 0); post(&rng, 8); return expect_broken(&rng); }
static const char *vq_head_ffff(void) { post(&rng, 0xffff); return expect_broken(&rng); }

static const char *vq_indirect_nested(void)
{
    idesc(itab, 0, wbuf(0, 16), 16, D_WRITE | D_NEXT, 1);
    idesc(itab, 1, (uintptr_t)itab + 1024, 32, D_INDIRECT, 0);
    idesc(itab + 1024, 0, wbuf(64, 16), 16, D_WRITE, 0);
    desc(&rng, 0, (uintptr_t)itab, 32, D_INDIRECT, 0);
    post(&rng, 0);
    return expect_broken(&rng);
}
static const char *indirect_len(uint32_t len)
{
    for (unsigned i = 0; i < 4; i++)
        idesc(itab, i, wbuf(64 * i, 16), 16, D_WRITE | (i < 3 ? D_NEXT : 0), (uint16_t)(i + 1));
    desc(&rng, 0, (uintptr_t)itab, len, D_INDIRECT, 0);
    post(&rng, 0);
    return expect_broken(&rng);
}
static const char *vq_indirect_len_17(void) { return indirect_len(17); }
static const char *vq_indirect_len_8(void) { return indirect_len(8); }
static const char *vq_indirect_len_0(void) { return indirect_len(0); }
static const char *vq_indirect_len_257(void) { return indirect_len(257 * 16); }
static const char *vq_indirect_with_next(void)
{
    idesc(itab, 0, wbuf(0, 16), 16, D_WRITE, 0);
    desc(&rng, 0, (uintptr_t)itab, 16, D_INDIRECT | D_NEXT, 1);
    desc(&rng, 1, wbuf(64, 16), 16, D_WRITE, 0);
    post(&rng, 0);
    return expect_broken(&rng);
}
static const char *vq_indirect_not_negotiated(void)
{
    if (setup(&rng, F_VERSION_1, 8) < 0)
        return "setup without INDIRECT_DESC refused";
    idesc(itab, 0, wbuf(0, 16), 16, D_WRITE, 0);
    desc(&rng, 0, (uintptr_t)itab, 16, D_INDIRECT, 0);
    post(&rng, 0);
    return expect_broken(&rng);
}
static const char *vq_indirect_misaligned(void)
{
    idesc(itab + 16, 0, wbuf(0, 16), 16, D_WRITE, 0);
    desc(&rng, 0, (uintptr_t)itab + 8, 16, D_INDIRECT, 0);
    post(&rng, 0);
    return expect_broken(&rng);
}
static const char *vq_indirect_outside_ram(void)
{
    desc(&rng, 0, ram_end(), 64, D_INDIRECT, 0);
    post(&rng, 0);
    return expect_broken(&rng);
}
static const char *vq_indirect_in_mmio(void)
{
    desc(&rng, 0, rng.base, 64, D_INDIRECT, 0);
    post(&rng, 0);
    return expect_broken(&rng);
}
static const char *vq_indirect_loop(void)
{
    idesc(itab, 0, wbuf(0, 16), 16, D_WRITE | D_NEXT, 1);
    idesc(itab, 1, wbuf(64, 16), 16, D_WRITE | D_NEXT, 0);
    desc(&rng, 0, (uintptr_t)itab, 32, D_INDIRECT, 0);
    post(&rng, 0);
    return expect_broken(&rng);
}
static const char *vq_indirect_next_oob(void)
{
    idesc(itab, 0, wbuf(0, 16), 16, D_WRITE | D_NEXT, 2); /* the table has 2 entries */
    idesc(itab, 1, wbuf(64, 16), 16, D_WRITE, 0);
    desc(&rng, 0, (uintptr_t)itab, 32, D_INDIRECT, 0);
    post(&rng, 0);
    return expect_broken(&rng);
}
static const char *vq_indirect_longer_than_queue(void)
{
    /* a 9-descriptor indirect chain on a queue of 8: the loop guard counts it */
    for (unsigned i = 0; i < 9; i++)
        idesc(itab, i, wbuf(32 * i, 8), 8, D_WRITE | (i < 8 ? D_NEXT : 0), (uint16_t)(i + 1));
    desc(&rng, 0, (uintptr_t)itab, 9 * 16, D_INDIRECT, 0);
    post(&rng, 0);
    return expect_broken(&rng);
}
static const char *bad_addr(uint64_t addr, uint32_t len)
{
    desc(&rng, 0, addr, len, D_WRITE, 0);
    post(&rng, 0);
    return expect_broken(&rng);
}
static const char *vq_addr_zero_page(void) { return bad_addr(0x1000, 64); }
static const char *vq_addr_below_ram(void) { return bad_addr(ram_base - 4096, 64); }
static const char *vq_addr_at_ram_end(void) { return bad_addr(ram_end(), 64); }
static const char *vq_addr_straddles_ram_end(void) { return bad_addr(ram_end() - 16, 64); }
static const char *vq_addr_own_mmio(void) { return bad_addr(rng.base, 16); }
static const char *vq_addr_other_device_mmio(void) { return bad_addr(blk.base + 0x70, 4); }
static const char *vq_addr_gic(void) { return bad_addr(gicd, 64); }
static const char *vq_addr_uart(void) { return bad_addr(UART, 8); }
static const char *vq_addr_wraps(void) { return bad_addr(0xfffffffffffff000ull, 0x2000); }
static const char *vq_addr_wraps_into_ram(void) { return bad_addr(0xffffffffffffffffull - 0x100 + 1, 0x200); }
static const char *vq_addr_high_bits(void) { return bad_addr((uintptr_t)arena | 1ull << 63, 64); }
static const char *vq_readable_out_of_ram(void)
{
    /* a device-readable buffer outside RAM in front of a good writable one */
    desc(&rng, 0, ram_end() + 0x100000, 64, D_NEXT, 1);
    desc(&rng, 1, wbuf(0, 16), 16, D_WRITE, 0);
    post(&rng, 0);
    return expect_broken(&rng);
}
static const char *vq_huge_len(void) { return bad_addr((uintptr_t)arena, 0xffffffffu); }
static const char *vq_huge_chain_total(void)
{
    /* each buffer inside RAM, together above the device's 256 MiB limit */
    uint32_t n = (uint32_t)(ram_size > 0x80000000u ? 0x80000000u : ram_size);
    unsigned k = (unsigned)((256u << 20) / n) + 1;
    if (k > 8)
        return NULL; /* under 32 MiB of RAM: cannot be built in 8 descriptors */
    for (unsigned i = 0; i < k; i++)
        desc(&rng, i, ram_base, n, (uint16_t)(D_WRITE | (i + 1 < k ? D_NEXT : 0)), (uint16_t)(i + 1));
    post(&rng, 0);
    return expect_broken(&rng);
}
static const char *vq_zero_len(void)
{
    desc(&rng, 0, wbuf(0, 0), 0, D_WRITE, 0);
    post(&rng, 0);
    return expect_used(&rng, 0);
}
static const char *vq_zero_len_outside_ram(void)
{
    /* a zero-length buffer transfers nothing, so where it points does not matter */
    desc(&rng, 0, ram_end() + 0x1000, 0, D_WRITE | D_NEXT, 1);
    desc(&rng, 1, wbuf(0, 16), 16, D_WRITE, 0);
    post(&rng, 0);
    return expect_used(&rng, 16);
}
static const char *vq_order(void)
{
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE | D_NEXT, 1);
    desc(&rng, 1, (uintptr_t)rbuf, 16, 0, 0);
    post(&rng, 0);
    return expect_broken(&rng);
}
static const char *vq_long_chain_gaps(void)
{
    /* the longest legal chain, 256 one-byte buffers with a canary byte between each: all filled, no gap touched */
    if (setup(&rng, FEAT, 256) < 0)
        return "setup with 256 refused";
    for (unsigned i = 0; i < 256; i++)
        desc(&rng, i, wbuf(2 * i + 1, 1), 1, (uint16_t)(D_WRITE | (i < 255 ? D_NEXT : 0)), (uint16_t)(i + 1));
    post(&rng, 0);
    return expect_used(&rng, 256);
}
static const char *vq_long_indirect(void)
{
    /* a 256-entry indirect table on a 256 queue: legal; odd-sized buffers, canaries between */
    if (setup(&rng, FEAT, 256) < 0)
        return "setup with 256 refused";
    for (unsigned i = 0; i < 256; i++)
        idesc(itab, i, wbuf(100 * i + 7, 3), 3, (uint16_t)(D_WRITE | (i < 255 ? D_NEXT : 0)), (uint16_t)(i + 1));
    desc(&rng, 0, (uintptr_t)itab, 256 * 16, D_INDIRECT, 0);
    post(&rng, 0);
    return expect_used(&rng, 768);
}
static const char *vq_partial_fill(void)
{
    /* 8 KiB of buffers: the device fills its 4 KiB maximum and reports that, nothing past it */
    desc(&rng, 0, wbuf(0, 8192), 8192, D_WRITE, 0);
    post(&rng, 0);
    const char *e = expect_used(&rng, 4096);
    if (e)
        return e;
    for (unsigned i = 4096; i < 8192; i++)
        if (arena[i] != PATTERN)
            return why("byte written past the reported length at ", i);
    return NULL;
}
static const char *vq_avail_jump(void)
{
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE, 0);
    for (unsigned i = 0; i < 8; i++)
        st16(avail_p(&rng) + 4 + 2 * i, 0);
    rng.avail = (uint16_t)(rng.avail + 9); /* 9 new buffers on a queue of 8 */
    st16(avail_p(&rng) + 2, rng.avail);
    return expect_broken(&rng);
}
static const char *vq_avail_jump_half(void)
{
    st16(avail_p(&rng) + 2, 0x8000);
    rng.avail = 0x8000;
    return expect_broken(&rng);
}
static const char *vq_avail_backwards(void)
{
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE, 0);
    post(&rng, 0);
    const char *e = expect_used(&rng, 16);
    if (e)
        return e;
    st16(avail_p(&rng) + 2, 0); /* one step back: 0xffff new buffers */
    rng.avail = 0;
    return expect_broken(&rng);
}
static const char *vq_avail_full_then_more(void)
{
    /* exactly num buffers is fine; the index never moves by more than what the device gave back */
    for (unsigned i = 0; i < 8; i++) {
        desc(&rng, i, wbuf(32 * i, 16), 16, D_WRITE, 0);
        post(&rng, (uint16_t)i);
    }
    notify(&rng);
    unsigned n = 0;
    uint64_t end = now() + ms_ticks(LONG_MS);
    while (n < 8 && now() < end)
        n = (uint16_t)(used_idx(&rng) - rng.used);
    if (n != 8)
        return why("completions of a full ring: ", n);
    rng.used = (uint16_t)(rng.used + 8);
    return NULL;
}
static const char *vq_notify_missing_queue(void)
{
    wr(&rng, QNOTIFY, 5); /* rng has one queue */
    wr(&rng, QNOTIFY, 0xffffffffu);
    wr(&blk, QNOTIFY, 3);
    return expect_nothing(&rng, 50);
}
static const char *vq_notify_before_driver_ok(void)
{
    if (negotiate(&rng, FEAT) < 0)
        return "negotiation refused";
    ring_program(&rng, 8);
    wr(&rng, QREADY, 1);
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE, 0);
    post(&rng, 0);
    notify(&rng); /* not DRIVER_OK yet: must be ignored */
    const char *e = expect_nothing(&rng, 100);
    if (e)
        return e;
    wr(&rng, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    return expect_used(&rng, 16);
}
static const char *vq_notify_not_ready_queue(void)
{
    if (negotiate(&rng, FEAT) < 0)
        return "negotiation refused";
    ring_program(&rng, 8);
    wr(&rng, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK); /* queue never enabled */
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE, 0);
    post(&rng, 0);
    notify(&rng);
    return expect_nothing(&rng, 100);
}
static const char *vq_used_ring_scribble(void)
{
    /* the guest writes the device's used ring: the device keeps its own index and carries on */
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE, 0);
    post(&rng, 0);
    const char *e = expect_used(&rng, 16);
    if (e)
        return e;
    volatile uint8_t *u = used_p(&rng);
    uint16_t own = used_idx(&rng);
    st16(u + 2, 0x1234);
    for (unsigned i = 0; i < 8; i++) {
        st32(u + 4 + 8 * i, 0xdead);
        st32(u + 8 + 8 * i, 0xffffffffu);
    }
    desc(&rng, 1, wbuf(64, 16), 16, D_WRITE, 0);
    post(&rng, 1);
    rng.used = 0x1234; /* what the ring says now */
    notify(&rng);
    if (!wait_used(&rng, LONG_MS))
        return "no completion after the scribble";
    if (used_idx(&rng) != (uint16_t)(own + 1))
        return why("used index not the device's own + 1: ", used_idx(&rng));
    if (ld32(u + 4 + 8u * (own % 8)) != 1 || ld32(u + 8 + 8u * (own % 8)) != 16)
        return "used element wrong";
    rng.used = (uint16_t)(own + 1);
    return NULL;
}
static const char *vq_event_idx_garbage(void)
{
    if (setup(&rng, FEAT | F_EVENT_IDX, 8) < 0)
        return "setup with EVENT_IDX refused";
    st16(avail_p(&rng) + 4 + 2 * 8, 0x7777); /* used_event */
    st16(avail_p(&rng), 0xffff);             /* avail flags: every bit */
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE, 0);
    post(&rng, 0);
    return expect_used(&rng, 16);
}
static const char *vq_desc_flags_garbage(void)
{
    desc(&rng, 0, wbuf(0, 16), 16, 0xfff8 | D_WRITE, 0x4321); /* unknown flag bits, a next without NEXT */
    post(&rng, 0);
    return expect_used(&rng, 16);
}
static const char *vq_readable_only(void)
{
    /* rng with only a device-readable buffer: nothing to fill, completes with 0 */
    desc(&rng, 0, (uintptr_t)rbuf, 64, 0, 0);
    post(&rng, 0);
    return expect_used(&rng, 0);
}
static const char *ring_enable_bad(uint64_t dsc, uint64_t drv, uint64_t dev, uint16_t num)
{
    if (negotiate(&rng, FEAT) < 0)
        return "negotiation refused";
    ring_program(&rng, num);
    queue_addrs(&rng, dsc, drv, dev);
    wr(&rng, QREADY, 1);
    wr(&rng, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    if (!wait_needs_reset(&rng, 500))
        return "no DEVICE_NEEDS_RESET for a bad ring";
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE, 0);
    post(&rng, 0);
    notify(&rng);
    return wait_used(&rng, 100) ? "the device used a queue it refused" : NULL;
}
static const char *vq_ring_outside_ram(void)
{
    return ring_enable_bad(ram_end(), (uintptr_t)avail_p(&rng), (uintptr_t)used_p(&rng), 8);
}
static const char *vq_ring_in_own_mmio(void)
{
    return ring_enable_bad((uintptr_t)rng.ring, (uintptr_t)avail_p(&rng), rng.base, 8);
}
static const char *vq_ring_misaligned(void)
{
    return ring_enable_bad((uintptr_t)rng.ring + 8, (uintptr_t)avail_p(&rng), (uintptr_t)used_p(&rng), 8);
}
static const char *vq_used_misaligned(void)
{
    return ring_enable_bad((uintptr_t)rng.ring, (uintptr_t)avail_p(&rng), (uintptr_t)used_p(&rng) + 2, 8);
}
static const char *vq_ring_wraps(void)
{
    return ring_enable_bad((uintptr_t)rng.ring, (uintptr_t)avail_p(&rng), 0xfffffffffffffff0ull, 8);
}
static const char *vq_ring_straddles_ram_end(void)
{
    return ring_enable_bad((uintptr_t)rng.ring, ram_end() - 4, (uintptr_t)used_p(&rng), 8);
}

/* ---- blk requests (queue size 8) ---- */
static const char *blk_expect_status(int got, int want)
{
    if (got < 0)
        return (status(&blk) & S_NEEDS_RESET) ? "DEVICE_NEEDS_RESET instead of a status" : "not completed";
    if (got != want)
        return why("status ", (uint64_t)(uint32_t)got);
    return NULL;
}
static const char *blk_sector_beyond(void)
{
    return blk_expect_status(blk_rw(&blk, 0, 1ull << 40, wbuf(0, 512), 512, wbuf(1024, 1), LONG_MS), 1);
}
static const char *blk_sector_wraps(void)
{
    return blk_expect_status(blk_rw(&blk, 0, 0xffffffffffffffffull, wbuf(0, 512), 512, wbuf(1024, 1), LONG_MS), 1);
}
static const char *blk_write_wraps(void)
{
    return blk_expect_status(blk_rw(&blk, 1, 0xfffffffffffffff8ull, (uintptr_t)rbuf + 4096, 4096, wbuf(1024, 1), LONG_MS), 1);
}
static const char *blk_bad_type(void)
{
    return blk_expect_status(blk_rw(&blk, 0x1234, 0, wbuf(0, 512), 512, wbuf(1024, 1), LONG_MS), 2);
}
static const char *blk_len_not_sector(void)
{
    return blk_expect_status(blk_rw(&blk, 0, 0, wbuf(0, 100), 100, wbuf(1024, 1), LONG_MS), 1);
}
static const char *blk_read_into_readable(void)
{
    /* a read whose data buffer is device-readable: refused, and nothing written to it */
    uint16_t h = 0;
    *(volatile uint8_t *)wbuf(1024, 1) = 0xee;
    desc(&blk, 0, (uintptr_t)blk_hdr(0, 0, 0), 16, D_NEXT, 1);
    desc(&blk, 1, A(0), 512, D_NEXT, 2);
    desc(&blk, 2, A(1024), 1, D_WRITE, 0);
    post(&blk, h);
    notify(&blk);
    if (!wait_used(&blk, LONG_MS))
        return "not completed";
    uint32_t id, len;
    take_used(&blk, &id, &len);
    return arena[1024] == 1 ? NULL : why("status ", arena[1024]);
}
static const char *blk_header_short(void)
{
    desc(&blk, 0, (uintptr_t)blk_hdr(0, 0, 0), 8, D_NEXT, 1);
    desc(&blk, 1, wbuf(0, 512), 512, D_WRITE | D_NEXT, 2);
    desc(&blk, 2, wbuf(1024, 1), 1, D_WRITE, 0);
    arena[1024] = 0xee;
    post(&blk, 0);
    notify(&blk);
    if (!wait_used(&blk, LONG_MS))
        return "not completed";
    uint32_t id, len;
    take_used(&blk, &id, &len);
    return arena[1024] == 1 ? NULL : why("status ", arena[1024]);
}
static const char *blk_no_status(void)
{
    desc(&blk, 0, (uintptr_t)blk_hdr(0, 0, 0), 16, D_NEXT, 1);
    desc(&blk, 1, (uintptr_t)rbuf + 512, 512, 0, 0);
    post(&blk, 0);
    return expect_broken(&blk);
}
static const char *blk_status_outside_ram(void)
{
    desc(&blk, 0, (uintptr_t)blk_hdr(0, 0, 0), 16, D_NEXT, 1);
    desc(&blk, 1, wbuf(0, 512), 512, D_WRITE | D_NEXT, 2);
    desc(&blk, 2, ram_end(), 1, D_WRITE, 0);
    post(&blk, 0);
    return expect_broken(&blk);
}
static const char *blk_data_in_mmio(void)
{
    desc(&blk, 0, (uintptr_t)blk_hdr(0, 0, 0), 16, D_NEXT, 1);
    desc(&blk, 1, blk.base, 512, D_WRITE | D_NEXT, 2);
    desc(&blk, 2, wbuf(1024, 1), 1, D_WRITE, 0);
    post(&blk, 0);
    return expect_broken(&blk);
}
static const char *blk_scattered_read(void)
{
    /* a legal read into 17 pieces of odd sizes with canaries between: exactly the data, nowhere else */
    static const uint16_t sz[17] = { 1, 3, 100, 7, 200, 1, 1, 90, 109, 512, 13, 499, 1, 1, 2, 500, 8 }; /* 2048 */
    uint32_t off = 0;
    uint16_t i;
    if (setup(&blk, FEAT, 32) < 0)
        return "setup with 32 refused";
    desc(&blk, 0, (uintptr_t)blk_hdr(0, 0, 0), 16, D_NEXT, 1);
    for (i = 0; i < 17; i++) {
        desc(&blk, i + 1u, wbuf(off, sz[i]), sz[i], D_WRITE | D_NEXT, (uint16_t)(i + 2));
        off += sz[i] + 5u;
    }
    desc(&blk, 18, wbuf(off, 1), 1, D_WRITE, 0);
    arena[off] = 0xee;
    post(&blk, 0);
    notify(&blk);
    if (!wait_used(&blk, LONG_MS))
        return "not completed";
    uint32_t id, len;
    take_used(&blk, &id, &len);
    if (arena[off] != 0 || len != 2049)
        return why("status/len ", (uint64_t)arena[off] << 32 | len);
    return NULL;
}
static const char *blk_same_buffer_twice(void)
{
    /* the status byte inside the data buffer: legal to describe, the device writes only there */
    desc(&blk, 0, (uintptr_t)blk_hdr(0, 0, 0), 16, D_NEXT, 1);
    desc(&blk, 1, wbuf(0, 512), 512, D_WRITE | D_NEXT, 2);
    desc(&blk, 2, A(511), 1, D_WRITE, 0);
    post(&blk, 0);
    notify(&blk);
    if (!wait_used(&blk, LONG_MS))
        return "not completed";
    uint32_t id, len;
    take_used(&blk, &id, &len);
    return NULL;
}
static const char *blk_reset_in_flight(void)
{
    /* 8 reads posted (indirect, 3 descriptors each), reset at once: nothing may land in the old used ring */
    for (uint16_t i = 0; i < 8; i++) {
        volatile uint8_t *t = itab + 64u * i;
        idesc(t, 0, (uintptr_t)blk_hdr(i, 0, 0), 16, D_NEXT, 1);
        idesc(t, 1, wbuf(7000u * i, 4096), 4096, D_WRITE | D_NEXT, 2);
        idesc(t, 2, wbuf(7000u * i + 4200, 1), 1, D_WRITE, 0);
        desc(&blk, i, (uintptr_t)t, 48, D_INDIRECT, 0);
        post(&blk, i);
    }
    notify(&blk);
    wr(&blk, STATUS, 0);
    if (status(&blk) != 0)
        return "status not 0 after reset";
    uint8_t snap[70];
    for (unsigned i = 0; i < 70; i++)
        snap[i] = used_p(&blk)[i];
    uint64_t end = now() + ms_ticks(300);
    while (now() < end)
        ;
    for (unsigned i = 0; i < 70; i++)
        if (used_p(&blk)[i] != snap[i])
            return why("old used ring written after the reset at byte ", i);
    return NULL;
}
/* 256 reads on a queue of 256 (four times what the device takes at once), each through a 3-entry table. */
static void blk_flood_post(void)
{
    for (uint16_t i = 0; i < 256; i++) {
        volatile uint8_t *t = itab + 48u * i;
        idesc(t, 0, (uintptr_t)blk_hdr(i % 64u, 0, i % 8u), 16, D_NEXT, 1);
        idesc(t, 1, wbuf(0, 512), 512, D_WRITE | D_NEXT, 2);
        idesc(t, 2, wbuf(1024u + i, 1), 1, D_WRITE, 0);
        arena[1024u + i] = 0xee;
        desc(&blk, i, (uintptr_t)t, 48, D_INDIRECT, 0);
        post(&blk, i);
    }
}
static const char *blk_flood(void)
{
    if (setup(&blk, FEAT, 256) < 0)
        return "setup with 256 refused";
    blk_flood_post();
    notify(&blk);
    unsigned n = 0;
    uint64_t end = now() + ms_ticks(5000);
    while (n < 256 && now() < end)
        n = (uint16_t)(used_idx(&blk) - blk.used);
    if (n != 256)
        return why("completions of 256: ", n);
    blk.used = (uint16_t)(blk.used + 256);
    for (unsigned i = 0; i < 256; i++)
        if (arena[1024 + i] != 0)
            return why("a request's status not OK: ", i);
    return NULL;
}
static const char *blk_flood_reset(void)
{
    if (setup(&blk, FEAT, 256) < 0)
        return "setup with 256 refused";
    blk_flood_post();
    notify(&blk);
    wr(&blk, STATUS, 0); /* with up to 64 reads at the backend and 192 waiting */
    uint8_t snap[6 + 8 * 256];
    for (unsigned i = 0; i < sizeof(snap); i++)
        snap[i] = used_p(&blk)[i];
    uint64_t end = now() + ms_ticks(300);
    while (now() < end)
        ;
    for (unsigned i = 0; i < sizeof(snap); i++)
        if (used_p(&blk)[i] != snap[i])
            return why("old used ring written after the reset at byte ", i);
    for (unsigned i = 0; i < 256; i++)
        if (arena[1024 + i] != 0xee && arena[1024 + i] != 0)
            return why("a status byte neither untouched nor OK: ", i);
    return NULL;
}
static const char *blk_config_write_midflight(void)
{
    uint32_t cap = rd(&blk, CONFIG), gen = rd(&blk, CFG_GEN);
    for (uint16_t i = 0; i < 4; i++) {
        volatile uint8_t *t = itab + 64u * i;
        idesc(t, 0, (uintptr_t)blk_hdr(i, 0, 0), 16, D_NEXT, 1);
        idesc(t, 1, wbuf(8192u * i, 4096), 4096, D_WRITE | D_NEXT, 2);
        idesc(t, 2, wbuf(8192u * i + 4200, 1), 1, D_WRITE, 0);
        desc(&blk, i, (uintptr_t)t, 48, D_INDIRECT, 0);
        post(&blk, i);
    }
    notify(&blk);
    wr(&blk, CONFIG, 1);
    wr(&blk, CONFIG + 4, 0xffffffffu);
    w8(blk.base + CONFIG + 20, 0xff);
    w16(blk.base + CONFIG + 8, 0xffff);
    unsigned n = 0;
    uint64_t end = now() + ms_ticks(LONG_MS);
    while (n < 4 && now() < end)
        n = (uint16_t)(used_idx(&blk) - blk.used);
    if (n != 4)
        return why("completions ", n);
    blk.used = (uint16_t)(blk.used + 4);
    for (uint16_t i = 0; i < 4; i++)
        if (arena[8192u * i + 4200] != 0)
            return why("request status not OK: ", i);
    if (rd(&blk, CONFIG) != cap || rd(&blk, CFG_GEN) != gen)
        return "config space changed";
    return NULL;
}

/* ---- transport abuse ---- */
static const char *tr_features_not_offered(void)
{
    wr(&rng, STATUS, 0);
    wr(&rng, STATUS, S_ACK | S_DRIVER);
    wr(&rng, DRV_FEAT_SEL, 0);
    wr(&rng, DRV_FEAT, 1u << 28 | 1u << 5 | 1u << 0);
    wr(&rng, DRV_FEAT_SEL, 1);
    wr(&rng, DRV_FEAT, 1u | 1u << 31); /* VERSION_1 and bit 63 */
    wr(&rng, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    return (status(&rng) & S_FEATURES_OK) ? "FEATURES_OK accepted with bits never offered" : NULL;
}
static const char *tr_features_no_version1(void)
{
    wr(&rng, STATUS, 0);
    wr(&rng, STATUS, S_ACK | S_DRIVER);
    wr(&rng, DRV_FEAT_SEL, 1);
    wr(&rng, DRV_FEAT, 0);
    wr(&rng, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    return (status(&rng) & S_FEATURES_OK) ? "FEATURES_OK accepted without VERSION_1" : NULL;
}
static const char *tr_features_sel_high(void)
{
    wr(&rng, STATUS, 0);
    wr(&rng, STATUS, S_ACK | S_DRIVER);
    wr(&rng, DEV_FEAT_SEL, 0x7fffffff);
    if (rd(&rng, DEV_FEAT) != 0)
        return "device features above 63 not 0";
    wr(&rng, DRV_FEAT_SEL, 0x12345);
    wr(&rng, DRV_FEAT, 0xffffffffu);
    if (negotiate(&rng, FEAT) < 0)
        return "a clean negotiation failed afterwards";
    return NULL;
}
static const char *tr_features_after_features_ok(void)
{
    if (negotiate(&rng, F_VERSION_1) < 0)
        return "negotiation refused";
    wr(&rng, DRV_FEAT_SEL, 0);
    wr(&rng, DRV_FEAT, 1u << 28); /* INDIRECT after FEATURES_OK: ignored */
    ring_program(&rng, 8);
    wr(&rng, QREADY, 1);
    wr(&rng, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    idesc(itab, 0, wbuf(0, 16), 16, D_WRITE, 0);
    desc(&rng, 0, (uintptr_t)itab, 16, D_INDIRECT, 0);
    post(&rng, 0);
    return expect_broken(&rng); /* so indirect is still not negotiated */
}
static const char *tr_driver_ok_without_features_ok(void)
{
    wr(&rng, STATUS, 0);
    wr(&rng, STATUS, S_ACK | S_DRIVER);
    wr(&rng, STATUS, S_ACK | S_DRIVER | S_DRIVER_OK);
    uint32_t s = status(&rng);
    return (s & S_DRIVER_OK) ? why("DRIVER_OK accepted, status ", s) : NULL;
}
static const char *tr_status_clear_bits(void)
{
    wr(&rng, STATUS, S_ACK); /* clearing DRIVER_OK etc. without a reset: refused */
    uint32_t s = status(&rng);
    if (s != (S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK))
        return why("status changed to ", s);
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE, 0);
    post(&rng, 0);
    return expect_used(&rng, 16);
}
static const char *tr_status_garbage(void)
{
    wr(&rng, STATUS, 0xffffff00u | S_FAILED); /* FAILED and undefined bits: the driver gave up */
    if (status(&rng) & S_NEEDS_RESET)
        return "the driver set DEVICE_NEEDS_RESET itself";
    return NULL;
}
static const char *tr_failed_then_setup(void)
{
    wr(&rng, STATUS, 0);
    wr(&rng, STATUS, S_ACK | S_DRIVER | S_FAILED);
    wr(&rng, QSEL, 0);
    wr(&rng, QNUM, 8);
    wr(&rng, QREADY, 1);
    return rd(&rng, QREADY) ? "queue enabled after FAILED" : NULL;
}
static const char *qnum_bad(uint32_t num)
{
    if (negotiate(&rng, FEAT) < 0)
        return "negotiation refused";
    ring_program(&rng, 8);
    wr(&rng, QNUM, num);
    wr(&rng, QREADY, 1);
    wr(&rng, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    if (!wait_needs_reset(&rng, 500))
        return "no DEVICE_NEEDS_RESET";
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE, 0);
    post(&rng, 0);
    notify(&rng);
    return wait_used(&rng, 100) ? "the device used a queue of a bad size" : NULL;
}
static const char *tr_qnum_0(void) { return qnum_bad(0); }
static const char *tr_qnum_3(void) { return qnum_bad(3); }
static const char *tr_qnum_512(void) { return qnum_bad(512); }
static const char *tr_qnum_65536(void) { return qnum_bad(65536); }
static const char *tr_qnum_ffffffff(void) { return qnum_bad(0xffffffffu); }
static const char *tr_queue_before_features_ok(void)
{
    wr(&rng, STATUS, 0);
    wr(&rng, STATUS, S_ACK | S_DRIVER);
    wr(&rng, QSEL, 0);
    wr(&rng, QNUM, 8);
    queue_addrs(&rng, ram_end(), ram_end(), ram_end());
    wr(&rng, QREADY, 1);
    if (rd(&rng, QREADY) != 0)
        return "queue enabled before FEATURES_OK";
    return NULL;
}
static const char *tr_queue_sel_oob(void)
{
    wr(&rng, QSEL, 7);
    if (rd(&rng, QNUM_MAX) != 0 || rd(&rng, QREADY) != 0)
        return "a queue that does not exist looks present";
    wr(&rng, QNUM, 8);
    wr(&rng, QREADY, 1);
    wr(&rng, QSEL, 0xffffffffu);
    wr(&rng, QREADY, 1);
    wr(&rng, QSEL, 0);
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE, 0);
    post(&rng, 0);
    return expect_used(&rng, 16);
}
static const char *tr_queue_reprogram_while_ready(void)
{
    queue_addrs(&rng, ram_end(), 0, rng.base); /* ignored: the queue is enabled */
    wr(&rng, QNUM, 3);
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE, 0);
    post(&rng, 0);
    return expect_used(&rng, 16);
}
static const char *tr_queue_disable_without_reset(void)
{
    wr(&rng, QREADY, 0);
    if (rd(&rng, QREADY) != 1)
        return "QueueReady 0 accepted without a reset";
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE, 0);
    post(&rng, 0);
    return expect_used(&rng, 16);
}
static const char *tr_queue_ready_twice(void)
{
    wr(&rng, QREADY, 1);
    wr(&rng, QREADY, 0xffffffffu);
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE, 0);
    post(&rng, 0);
    return expect_used(&rng, 16);
}
static const char *tr_needs_reset_then_notify(void)
{
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE | D_NEXT, 0);
    post(&rng, 0);
    const char *e = expect_broken(&rng);
    if (e)
        return e;
    desc(&rng, 0, wbuf(64, 16), 16, D_WRITE, 0);
    desc(&rng, 1, wbuf(128, 16), 16, D_WRITE, 0);
    post(&rng, 1);
    notify(&rng);
    if (wait_used(&rng, 100))
        return "a broken queue completed a request";
    return NULL;
}
static const char *tr_reset_mid_setup(void)
{
    if (negotiate(&rng, FEAT) < 0)
        return "negotiation refused";
    wr(&rng, QSEL, 0);
    wr(&rng, QNUM, 8);
    wr(&rng, QDESC, 0x1234);
    wr(&rng, STATUS, 0);
    if (rd(&rng, QREADY) != 0 || status(&rng) != 0)
        return "state survived the reset";
    return NULL;
}
static const char *sized_reg_read(unsigned size, unsigned off, uint64_t *v)
{
    uintptr_t a = rng.base + off;
    *v = size == 1 ? r8(a) : size == 2 ? r16(a) : size == 4 ? r32(a) : r64(a);
    return NULL;
}
static const char *tr_read_magic_1(void) { uint64_t v; sized_reg_read(1, MAGIC, &v); return v ? why("1-byte MagicValue read ", v) : NULL; }
static const char *tr_read_magic_2(void) { uint64_t v; sized_reg_read(2, MAGIC, &v); return v ? why("2-byte MagicValue read ", v) : NULL; }
static const char *tr_read_magic_8(void) { uint64_t v; sized_reg_read(8, MAGIC, &v); return v ? why("8-byte MagicValue read ", v) : NULL; }
static const char *tr_read_status_1(void) { uint64_t v; sized_reg_read(1, STATUS, &v); return v ? why("1-byte Status read ", v) : NULL; }
static const char *tr_write_status_1(void)
{
    w8(rng.base + STATUS, 0); /* a byte-wide reset attempt: ignored */
    if (status(&rng) != (S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK))
        return why("status changed by a 1-byte write: ", status(&rng));
    return NULL;
}
static const char *tr_write_status_2(void)
{
    w16(rng.base + STATUS, 0);
    return status(&rng) == (S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK) ? NULL : "status changed by a 2-byte write";
}
static const char *tr_write_status_8(void)
{
    w64(rng.base + STATUS, 0);
    return status(&rng) == (S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK) ? NULL : "status changed by an 8-byte write";
}
static const char *tr_notify_sized(void)
{
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE, 0);
    post(&rng, 0);
    dmb();
    w8(rng.base + QNOTIFY, 0);
    w16(rng.base + QNOTIFY, 0);
    w64(rng.base + QNOTIFY, 0);
    const char *e = expect_nothing(&rng, 100);
    if (e)
        return e;
    return expect_used(&rng, 16); /* the real notify still works */
}
static const char *tr_write_features_8(void)
{
    wr(&rng, STATUS, 0);
    wr(&rng, STATUS, S_ACK | S_DRIVER);
    wr(&rng, DRV_FEAT_SEL, 1);
    w64(rng.base + DRV_FEAT, 0x100000001ull); /* an 8-byte write: ignored, so VERSION_1 is never set */
    wr(&rng, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    return (status(&rng) & S_FEATURES_OK) ? "an 8-byte feature write took effect" : NULL;
}
static const char *tr_config_read_8(void)
{
    uint64_t v = r64(blk.base + CONFIG);
    return v ? why("8-byte config read ", v) : NULL;
}
static const char *tr_config_read_beyond(void)
{
    uint32_t v = r32(blk.base + 0x1fc) | r32(blk.base + CONFIG + 60) | r32(rng.base + CONFIG);
    return v ? why("config read beyond its size ", v) : NULL;
}
static const char *tr_config_write_rng(void)
{
    wr(&rng, CONFIG, 0xffffffffu);
    w8(rng.base + CONFIG + 3, 1);
    return NULL;
}
static const char *tr_read_write_only(void)
{
    uint32_t v = rd(&rng, QNOTIFY) | rd(&rng, IACK) | rd(&rng, DRV_FEAT) | rd(&rng, QSEL) | rd(&rng, QDESC);
    return v ? why("write-only registers read ", v) : NULL;
}
static const char *tr_write_read_only(void)
{
    wr(&rng, MAGIC, 0);
    wr(&rng, VERSION, 1);
    wr(&rng, DEVICE_ID, ID_BLK);
    wr(&rng, QNUM_MAX, 0xffff);
    wr(&rng, ISR, 0xffffffffu);
    wr(&rng, CFG_GEN, 5);
    if (rd(&rng, MAGIC) != 0x74726976u || rd(&rng, VERSION) != 2 || rd(&rng, DEVICE_ID) != ID_RNG ||
        rd(&rng, QNUM_MAX) != 256)
        return "a read-only register changed";
    return NULL;
}
static const char *tr_unknown_regs(void)
{
    uint32_t v = 0;
    for (unsigned off = 0x0c4; off < 0x0fc; off += 4) {
        wr(&rng, off, 0xffffffffu);
        v |= rd(&rng, off);
    }
    wr(&rng, 0x018, 1);
    v |= rd(&rng, 0x018) | rd(&rng, 0x03c) | rd(&rng, 0x0a8);
    return v ? why("unknown registers read ", v) : NULL;
}
static const char *tr_shm_none(void)
{
    wr(&rng, SHM_SEL, 3);
    return rd(&rng, SHM_LEN) == 0xffffffffu ? NULL : "a shared memory region appears";
}
static const char *tr_interrupt_ack_garbage(void)
{
    wr(&rng, IACK, 0xffffffffu);
    wr(&blk, IACK, 0x80000000u);
    desc(&rng, 0, wbuf(0, 16), 16, D_WRITE, 0);
    post(&rng, 0);
    return expect_used(&rng, 16);
}
static const char *tr_empty_slots(void)
{
    /* every virtio-mmio slot without a device, and the gaps: read as 0, writes ignored */
    uint64_t first = virtio_base[0];
    for (unsigned i = 0; i < nvirtio; i++)
        if (virtio_base[i] < first)
            first = virtio_base[i];
    for (unsigned s = 0; s < 32; s++) {
        uintptr_t b = first + 0x200u * s;
        bool dev = false;
        for (unsigned i = 0; i < nvirtio; i++)
            dev |= virtio_base[i] == b;
        if (dev)
            continue;
        w32(b + STATUS, 0xf);
        w32(b + QNOTIFY, 0);
        if (r32(b + MAGIC) != 0 || r32(b + STATUS) != 0)
            return why("an empty slot answered at ", b);
    }
    return NULL;
}
static const char *tr_unmapped_space(void)
{
    static const uint64_t addrs[] = { 0x0, 0x1000, 0x04000000, 0x09010000, 0x0a004000, 0x0c000000, 0x3ffff000 };
    uint64_t v = 0;
    for (unsigned i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        w32(addrs[i], 0xdeadbeef);
        w64(addrs[i] + 8, 0xdeadbeef);
        v |= r32(addrs[i]) | r8(addrs[i] + 3) | r64(addrs[i] + 8);
    }
    return v ? why("unmapped space read ", v) : NULL;
}
static const char *tr_reg_past_window(void)
{
    /* the last bytes of a device's window, 8 wide: crosses nothing, ignored */
    w64(rng.base + 0x1f8, 0xffffffffffffffffull);
    uint64_t v = r64(rng.base + 0x1f8);
    return v ? why("window end read ", v) : NULL;
}
static const char *tr_console_abuse(void)
{
    /* the console's transmit queue: a loop, then a read-only queue number, then the console still prints */
    if (!con.base)
        return SKIP;
    if (setup(&con, F_VERSION_1, 8) < 0)
        return "console setup refused";
    desc(&con, 0, (uintptr_t)rbuf, 8, D_NEXT, 0);
    post(&con, 0);
    const char *e = expect_broken(&con);
    if (e)
        return e;
    if (setup(&con, F_VERSION_1, 8) < 0)
        return "console setup refused after reset";
    static const char msg[] = "HOSTILE console alive\n";
    for (unsigned i = 0; i < sizeof(msg) - 1; i++)
        rbuf[4096 + i] = (uint8_t)msg[i];
    desc(&con, 0, (uintptr_t)rbuf + 4096, sizeof(msg) - 1, 0, 0);
    post(&con, 0);
    return expect_used(&con, 0);
}
static const char *tr_console_notify_all(void)
{
    if (!con.base)
        return SKIP;
    if (setup(&con, F_VERSION_1, 8) < 0)
        return "console setup refused";
    for (uint32_t q = 0; q < 12; q++)
        wr(&con, QNOTIFY, q); /* receive, control and absent queues, none set up but one */
    return (status(&con) & S_NEEDS_RESET) ? "console needs reset after notifies" : NULL;
}

/* ---- virtio-vsock (when present): packets that lie, to the host (CID 2) and to other VMs ---- */
#define VS_HDR 44
#define VS_REQUEST 1
#define VS_RST 3
#define VS_RW 5
#define NEIGHBOUR_CID 4 /* the ticker's, in both tiers */
static uint64_t vs_cid;

/* Driver up with 8 rx buffers of 64 bytes (arena 0x8000..) and an empty tx queue. */
static const char *vs_setup(unsigned rxlen, uint16_t rxflags)
{
    if (negotiate(&vrx, F_VERSION_1) < 0)
        return "vsock negotiation refused";
    ring_program(&vrx, 8);
    wr(&vrx, QREADY, 1);
    ring_program(&vtx, 8);
    wr(&vtx, QREADY, 1);
    wr(&vrx, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    vs_cid = rd(&vrx, CONFIG) | (uint64_t)rd(&vrx, CONFIG + 4) << 32;
    for (uint16_t i = 0; i < 8; i++) {
        desc(&vrx, i, rxflags & D_WRITE ? wbuf(0x8000u + 64u * i, rxlen) : A(0x8000u + 64u * i), rxlen, rxflags, 0);
        post(&vrx, i);
    }
    notify(&vrx);
    return NULL;
}
/* One packet on tx: a header (in rbuf at 12 KiB + 64 * slot) and `payload` readable bytes. */
static void vs_send(unsigned slot, uint64_t src_cid, uint64_t dst_cid, uint32_t sport, uint32_t dport, uint32_t len,
                    uint16_t type, uint16_t op, uint32_t payload)
{
    uint8_t *h = rbuf + 12288 + 64 * (slot % 32);
    uint16_t d = (uint16_t)(2 * (vtx.avail % 4));
    st64(h, src_cid);
    st64(h + 8, dst_cid);
    st32(h + 16, sport);
    st32(h + 20, dport);
    st32(h + 24, len);
    st16(h + 28, type);
    st16(h + 30, op);
    st32(h + 32, 0);
    st32(h + 36, 65536);
    st32(h + 40, 0);
    desc(&vtx, d, (uintptr_t)h, VS_HDR, payload ? D_NEXT : 0, (uint16_t)(d + 1));
    if (payload)
        desc(&vtx, d + 1u, (uintptr_t)rbuf, payload, 0, 0);
    post(&vtx, d);
    notify(&vtx);
}
/* The next rx packet within ms: its op, source CID and destination port; false when none came. */
static bool vs_recv(uint64_t ms, uint16_t *op, uint64_t *src, uint32_t *dport)
{
    uint32_t id, len;
    if (!wait_used(&vrx, ms))
        return false;
    take_used(&vrx, &id, &len);
    volatile uint8_t *b = arena + 0x8000 + 64 * (id % 8);
    *src = ld32(b) | (uint64_t)ld32(b + 4) << 32;
    *dport = ld32(b + 20);
    *op = ld16(b + 30);
    post(&vrx, (uint16_t)id); /* give the buffer back */
    notify(&vrx);
    return true;
}
static const char *vs_expect_rst(uint64_t from, uint32_t port)
{
    uint16_t op;
    uint64_t src;
    uint32_t dport;
    if (!vs_recv(LONG_MS, &op, &src, &dport))
        return (status(&vrx) & S_NEEDS_RESET) ? "DEVICE_NEEDS_RESET instead of an RST" : "no RST came";
    if (op != VS_RST || src != from || dport != port)
        return why("not the RST expected: op/src ", (uint64_t)op << 32 | src);
    return NULL;
}
static const char *vs_end(const char *e)
{
    wr(&vrx, STATUS, 0); /* nothing may write into the arena after the case */
    return e;
}
#define VS_CASE(name, body)                                                                           \
    static const char *name(void)                                                                     \
    {                                                                                                 \
        const char *e;                                                                                \
        if (!vrx.base)                                                                                \
            return SKIP;                                                                              \
        if ((e = vs_setup(64, D_WRITE)) != NULL)                                                      \
            return vs_end(e);                                                                         \
        body                                                                                          \
    }
VS_CASE(vs_request_no_listener, {
    vs_send(0, vs_cid, 2, 5000, 1234, 0, 1, VS_REQUEST, 0);
    return vs_end(vs_expect_rst(2, 5000));
})
VS_CASE(vs_spoofed_source, {
    vs_send(0, 77, 2, 5001, 1234, 0, 1, VS_REQUEST, 0);
    vs_send(1, 2, 2, 5001, 1234, 0, 1, VS_REQUEST, 0);
    uint16_t op;
    uint64_t src;
    uint32_t dport;
    return vs_end(vs_recv(200, &op, &src, &dport) ? "a spoofed packet was answered" : NULL);
})
VS_CASE(vs_bad_type, {
    vs_send(0, vs_cid, 2, 5002, 1234, 0, 9, VS_REQUEST, 0);
    return vs_end(vs_expect_rst(2, 5002));
})
VS_CASE(vs_bad_op, {
    vs_send(0, vs_cid, 2, 5003, 1234, 0, 1, 200, 0);
    return vs_end(vs_expect_rst(2, 5003));
})
VS_CASE(vs_len_lies, {
    vs_send(0, vs_cid, 2, 5004, 1234, 0xfffffff0u, 1, VS_RW, 16); /* claims 4 GiB, carries 16 bytes */
    return vs_end(vs_expect_rst(2, 5004));
})
VS_CASE(vs_rw_unknown_connection, {
    vs_send(0, vs_cid, 2, 5005, 1234, 16, 1, VS_RW, 16);
    return vs_end(vs_expect_rst(2, 5005));
})
VS_CASE(vs_absent_cid, {
    vs_send(0, vs_cid, 1000, 5006, 1234, 0, 1, VS_REQUEST, 0);
    return vs_end(vs_expect_rst(1000, 5006));
})
VS_CASE(vs_cid_all_ones, {
    vs_send(0, vs_cid, ~0ull, 5007, 1234, 0, 1, VS_REQUEST, 0);
    return vs_end(vs_expect_rst(~0ull, 5007));
})
VS_CASE(vs_rst_flood, {
    /* 40 requests nobody answers, 8 rx buffers and a 16-entry RST ring: the excess is dropped, no more */
    for (unsigned i = 0; i < 40; i++) {
        vs_send(i, vs_cid, 2, 6000 + i, 1234, 0, 1, VS_REQUEST, 0);
        uint64_t end = now() + ms_ticks(500);
        while (used_idx(&vtx) != (uint16_t)vtx.avail && now() < end)
            ;
    }
    unsigned got = 0;
    uint16_t op;
    uint64_t src;
    uint32_t dport;
    while (vs_recv(300, &op, &src, &dport)) {
        if (op != VS_RST)
            return vs_end("not an RST");
        got++;
    }
    return vs_end(got >= 8 && got <= 40 ? NULL : why("RSTs received: ", got));
})
VS_CASE(vs_neighbour_flood, {
    /* 64 requests to the neighbour VM, whose guest never set its vsock up: refused, the neighbour undisturbed */
    unsigned got = 0;
    uint16_t op;
    uint64_t src;
    uint32_t dport;
    for (unsigned i = 0; i < 64; i++) {
        vs_send(i, vs_cid, NEIGHBOUR_CID, 7000 + i, 1234 + i, 0, 1, VS_REQUEST, 0);
        uint64_t end = now() + ms_ticks(500);
        while (used_idx(&vtx) != (uint16_t)vtx.avail && now() < end)
            ;
        while (vs_recv(0, &op, &src, &dport))
            got += op == VS_RST;
    }
    while (vs_recv(300, &op, &src, &dport))
        got += op == VS_RST;
    (void)got; /* relayed or refused: either is right; only survival and the health checks count */
    return vs_end((status(&vrx) & S_NEEDS_RESET) ? "DEVICE_NEEDS_RESET" : NULL);
})
VS_CASE(vs_neighbour_lies, {
    /* headers that lie, addressed to the neighbour: refused here (RST from its CID), never relayed */
    vs_send(0, vs_cid, NEIGHBOUR_CID, 7100, 1, 0xffffff00u, 1, VS_RW, 8);
    const char *r = vs_expect_rst(NEIGHBOUR_CID, 7100);
    if (r)
        return vs_end(r);
    vs_send(1, vs_cid, NEIGHBOUR_CID, 7101, 1, 0, 7, VS_REQUEST, 0);
    return vs_end(vs_expect_rst(NEIGHBOUR_CID, 7101));
})
static const char *vs_tx_writable(void)
{
    if (!vrx.base)
        return SKIP;
    const char *e = vs_setup(64, D_WRITE);
    if (e)
        return vs_end(e);
    desc(&vtx, 0, (uintptr_t)rbuf + 12288, VS_HDR, D_NEXT, 1);
    desc(&vtx, 1, wbuf(0, 64), 64, D_WRITE, 0);
    post(&vtx, 0);
    return vs_end(expect_broken(&vtx));
}
static const char *vs_tx_short(void)
{
    if (!vrx.base)
        return SKIP;
    const char *e = vs_setup(64, D_WRITE);
    if (e)
        return vs_end(e);
    desc(&vtx, 0, (uintptr_t)rbuf + 12288, 20, 0, 0);
    post(&vtx, 0);
    return vs_end(expect_broken(&vtx));
}
static const char *vs_rx_readable(void)
{
    if (!vrx.base)
        return SKIP;
    const char *e = vs_setup(64, 0); /* rx buffers the device may not write */
    if (e)
        return vs_end(e);
    vs_send(0, vs_cid, 2, 5010, 1234, 0, 1, VS_REQUEST, 0); /* owed an RST: it has nowhere to go */
    return vs_end(wait_needs_reset(&vrx, LONG_MS) ? NULL : "no DEVICE_NEEDS_RESET");
}
static const char *vs_rx_tiny(void)
{
    if (!vrx.base)
        return SKIP;
    const char *e = vs_setup(8, D_WRITE); /* smaller than a header */
    if (e)
        return vs_end(e);
    vs_send(0, vs_cid, 2, 5011, 1234, 0, 1, VS_REQUEST, 0);
    return vs_end(wait_needs_reset(&vrx, LONG_MS) ? NULL : "no DEVICE_NEEDS_RESET");
}

/* ---- virtio-net (when present): frames and headers that lie, through the switch to the neighbour ---- */
#define NET_HDR 12
#define NF_CSUM (1ull << 0)
#define NF_MAC (1ull << 5)
#define NF_HOST_TSO4 (1ull << 11)
#define NET_FRAME_AT 16384 /* frames in rbuf from here (64 KiB of room) */
static uint8_t net_mac[6];
static uint64_t net_feat;
static uint16_t net_txq = 8; /* the transmit queue's size at the next net_setup */

/*
 * Driver up with the features wanted (of those offered): a receive queue of rxnum (ready unless
 * rxnum is 0, and empty: the caller posts its buffers) and a transmit queue of net_txq.
 */
static const char *net_up(uint64_t want, uint16_t rxnum)
{
    uint64_t offered;
    if (negotiate(&nrx, F_VERSION_1 | want) < 0)
        return "net negotiation refused";
    wr(&nrx, DEV_FEAT_SEL, 0);
    offered = rd(&nrx, DEV_FEAT);
    wr(&nrx, DEV_FEAT_SEL, 1);
    offered |= (uint64_t)rd(&nrx, DEV_FEAT) << 32;
    net_feat = offered & (F_VERSION_1 | want);
    if (rxnum) {
        ring_program(&nrx, rxnum);
        wr(&nrx, QREADY, 1);
    } else {
        nrx.guard = 0; /* no ring of its own to check */
    }
    ring_program(&ntx, net_txq);
    wr(&ntx, QREADY, 1);
    net_txq = 8;
    wr(&nrx, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    for (unsigned i = 0; i < 6; i++)
        net_mac[i] = (net_feat & NF_MAC) ? r8(nrx.base + CONFIG + i) : (uint8_t)(0x02 + i);
    return (status(&nrx) & S_NEEDS_RESET) ? "DEVICE_NEEDS_RESET at setup" : NULL;
}
/* Driver up with the features wanted (of those offered), 8 rx buffers of 2 KiB (arena 0xa000..). */
static const char *net_setup(uint64_t want)
{
    const char *e = net_up(want, 8);
    if (e)
        return e;
    for (uint16_t i = 0; i < 8; i++) {
        desc(&nrx, i, wbuf(0xa000u + 2048u * i, 2048), 2048, D_WRITE, 0);
        post(&nrx, i);
    }
    notify(&nrx);
    return (status(&nrx) & S_NEEDS_RESET) ? "DEVICE_NEEDS_RESET at setup" : NULL;
}
/* An Ethernet + IPv4 + TCP frame of `payload` bytes at rbuf + NET_FRAME_AT, to `bcast` or a made-up MAC. */
static uint32_t net_frame(uint32_t payload, bool bcast, const uint8_t *src_mac)
{
    uint8_t *f = rbuf + NET_FRAME_AT;
    uint32_t ip_len = 40 + payload;
    for (unsigned i = 0; i < 6; i++) {
        f[i] = bcast ? 0xff : (uint8_t)(0x52 + i);
        f[6 + i] = src_mac[i];
    }
    f[12] = 0x08, f[13] = 0x00;
    uint8_t *ip = f + 14;
    static const uint8_t iph[20] = { 0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 3, 10, 0, 0, 4 };
    for (unsigned i = 0; i < 20; i++)
        ip[i] = iph[i];
    ip[2] = (uint8_t)(ip_len >> 8), ip[3] = (uint8_t)ip_len;
    uint8_t *tcp = ip + 20;
    static const uint8_t tcph[20] = { 0x04, 0xd2, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0 };
    for (unsigned i = 0; i < 20; i++)
        tcp[i] = tcph[i];
    for (uint32_t i = 0; i < payload; i++)
        tcp[20 + i] = (uint8_t)i;
    return 54 + payload;
}
/* Send header + frame (len bytes at `frame`) on tx; true when the device gave the chain back. */
static bool net_send(uint8_t flags, uint8_t gso_type, uint16_t hdr_len, uint16_t gso_size, uint16_t csum_start,
                     uint16_t csum_offset, uintptr_t frame, uint32_t len)
{
    uint8_t *h = rbuf + 0x3000 + 16 * (ntx.avail % 8);
    uint16_t d = (uint16_t)(2 * (ntx.avail % 4));
    h[0] = flags;
    h[1] = gso_type;
    st16(h + 2, hdr_len);
    st16(h + 4, gso_size);
    st16(h + 6, csum_start);
    st16(h + 8, csum_offset);
    st16(h + 10, 0);
    desc(&ntx, d, (uintptr_t)h, NET_HDR, len ? D_NEXT : 0, (uint16_t)(d + 1));
    if (len)
        desc(&ntx, d + 1u, frame, len, 0, 0);
    post(&ntx, d);
    notify(&ntx);
    if (!wait_used(&ntx, LONG_MS))
        return false;
    uint32_t id, ulen;
    take_used(&ntx, &id, &ulen);
    return true;
}
static const char *net_end(const char *e)
{
    if (!e && (status(&nrx) & S_NEEDS_RESET))
        e = "DEVICE_NEEDS_RESET";
    wr(&nrx, STATUS, 0);
    return e;
}
#define NET_CASE(name, want, ...)                                                                     \
    static const char *name(void)                                                                     \
    {                                                                                                 \
        const char *e;                                                                                \
        if (!nrx.base)                                                                                \
            return SKIP;                                                                              \
        if ((e = net_setup(want)) != NULL)                                                            \
            return net_end(e);                                                                        \
        __VA_ARGS__                                                                                   \
    }
#define FRAME ((uintptr_t)rbuf + NET_FRAME_AT)
NET_CASE(net_tx_plain, NF_MAC, {
    uint32_t n = net_frame(100, true, net_mac);
    return net_end(net_send(0, 0, 0, 0, 0, 0, FRAME, n) ? NULL : "a plain frame was not given back");
})
NET_CASE(net_tx_header_only, NF_MAC, {
    return net_end(net_send(0, 0, 0, 0, 0, 0, 0, 0) ? NULL : "not given back");
})
NET_CASE(net_tx_oversized, NF_MAC, {
    net_frame(200, true, net_mac);
    return net_end(net_send(0, 0, 0, 0, 0, 0, FRAME, 70000) ? NULL : "not given back");
})
NET_CASE(net_tx_csum_beyond, NF_MAC | NF_CSUM, {
    uint32_t n = net_frame(100, true, net_mac);
    return net_end(net_send(1, 0, 0, 0, 60000, 60000, FRAME, n) ? NULL : "not given back");
})
NET_CASE(net_tx_csum_not_negotiated, NF_MAC, {
    uint32_t n = net_frame(100, true, net_mac);
    return net_end(net_send(1, 0, 0, 0, 34, 16, FRAME, n) ? NULL : "not given back");
})
NET_CASE(net_tx_hdr_len_beyond, NF_MAC | NF_CSUM | NF_HOST_TSO4, {
    uint32_t n = net_frame(100, true, net_mac);
    return net_end(net_send(1, 1, 0xffff, 1400, 34, 16, FRAME, n) ? NULL : "not given back");
})
NET_CASE(net_tx_gso_unknown, NF_MAC | NF_CSUM | NF_HOST_TSO4, {
    uint32_t n = net_frame(100, true, net_mac);
    return net_end(net_send(1, 0x7f, 54, 1400, 34, 16, FRAME, n) ? NULL : "not given back");
})
NET_CASE(net_tx_gso_size_0, NF_MAC | NF_CSUM | NF_HOST_TSO4, {
    uint32_t n = net_frame(3000, true, net_mac);
    return net_end(net_send(1, 1, 54, 0, 34, 16, FRAME, n) ? NULL : "not given back");
})
NET_CASE(net_tx_gso_without_csum, NF_MAC | NF_CSUM | NF_HOST_TSO4, {
    uint32_t n = net_frame(3000, true, net_mac);
    return net_end(net_send(0, 1, 54, 1400, 0, 0, FRAME, n) ? NULL : "not given back");
})
NET_CASE(net_tx_tso_not_ip, NF_MAC | NF_CSUM | NF_HOST_TSO4, {
    uint32_t n = net_frame(3000, true, net_mac);
    rbuf[NET_FRAME_AT + 14] = 0x40; /* IPv4 with IHL 0 */
    rbuf[NET_FRAME_AT + 23] = 17;   /* and UDP */
    return net_end(net_send(1, 1, 54, 1400, 34, 16, FRAME, n) ? NULL : "not given back");
})
NET_CASE(net_tx_tso_mss1_flood, NF_MAC | NF_CSUM | NF_HOST_TSO4, {
    /* 16 frames of 16 KiB to everyone, to be cut into 1-byte segments: bounded by the receivers' buffers */
    uint32_t n = net_frame(16000, true, net_mac);
    for (unsigned i = 0; i < 16; i++)
        if (!net_send(1, 1, 54, 1, 34, 16, FRAME, n))
            return net_end(why("not given back: frame ", i));
    return net_end(NULL);
})
NET_CASE(net_tx_spoofed_mac, NF_MAC, {
    static const uint8_t other[6] = { 0x02, 0x73, 0x76, 0x6d, 0x99, 0x99 };
    uint32_t n = net_frame(100, true, other);
    return net_end(net_send(0, 0, 0, 0, 0, 0, FRAME, n) ? NULL : "not given back");
})
NET_CASE(net_tx_flood, NF_MAC, {
    /* 512 broadcasts: the neighbour's port never takes them; its buffers fill, the rest is dropped */
    uint32_t n = net_frame(1000, true, net_mac);
    for (unsigned i = 0; i < 512; i++)
        if (!net_send(0, 0, 0, 0, 0, 0, FRAME, n))
            return net_end(why("not given back: frame ", i));
    return net_end(NULL);
})
static const char *net_tx_many_pieces(void)
{
    /* a 1054-byte frame in 199 pieces of a 200-descriptor chain on a 256 queue (the device gathers them) */
    if (!nrx.base)
        return SKIP;
    net_txq = 256;
    const char *e = net_setup(NF_MAC);
    if (e)
        return net_end(e);
    uint32_t n = net_frame(1000, true, net_mac);
    uint8_t *h = rbuf + 0x3000;
    for (unsigned i = 0; i < NET_HDR; i++)
        h[i] = 0;
    desc(&ntx, 0, (uintptr_t)h, NET_HDR, D_NEXT, 1);
    uint32_t off = 0;
    for (unsigned i = 1; i < 200; i++) {
        uint32_t piece = i < 199 ? 5 : n - off;
        desc(&ntx, i, FRAME + off, piece, (uint16_t)(i < 199 ? D_NEXT : 0), (uint16_t)(i + 1));
        off += piece;
    }
    post(&ntx, 0);
    notify(&ntx);
    return net_end(wait_used(&ntx, LONG_MS) ? NULL : "not given back");
}
static const char *net_tx_writable(void)
{
    if (!nrx.base)
        return SKIP;
    const char *e = net_setup(NF_MAC);
    if (e)
        return net_end(e);
    desc(&ntx, 0, (uintptr_t)rbuf + 0x3000, NET_HDR, D_NEXT, 1);
    desc(&ntx, 1, wbuf(0, 64), 64, D_WRITE, 0);
    post(&ntx, 0);
    e = expect_broken(&ntx);
    wr(&nrx, STATUS, 0);
    return e;
}
static const char *net_tx_short_header(void)
{
    if (!nrx.base)
        return SKIP;
    const char *e = net_setup(NF_MAC);
    if (e)
        return net_end(e);
    desc(&ntx, 0, (uintptr_t)rbuf + 0x3000, 6, 0, 0);
    post(&ntx, 0);
    e = expect_broken(&ntx);
    wr(&nrx, STATUS, 0);
    return e;
}

/* ---- virtio-net receive: the guest as a lying receiver of the frame the ticker broadcasts every 200 ms ---- */
#define NF_MRG (1ull << 15)
#define RX_FRAME (NET_HDR + TICK_FRAME) /* one ticker frame with its header */
struct piece {
    uintptr_t a;
    uint32_t n;
};
static struct piece rx_pieces[MAXQ][4]; /* per head: its chain's buffers, in order */
static uint8_t rx_npieces[MAXQ];
static uint8_t rxcopy[4096];            /* a received frame, gathered */
static uint32_t rx_seq;                 /* the ticker's number of the last frame checked */

/* Chain `head` of n writable pieces in descriptors head .. head + n - 1, made available. */
static void rx_post_chain(uint16_t head, unsigned n, const struct piece *p)
{
    for (unsigned i = 0; i < n; i++) {
        desc(&nrx, head + i, p[i].a, p[i].n, (uint16_t)(D_WRITE | (i + 1 < n ? D_NEXT : 0)), (uint16_t)(head + i + 1));
        rx_pieces[head][i] = p[i];
    }
    rx_npieces[head] = (uint8_t)n;
    post(&nrx, head);
}
/* k buffers of len bytes from arena offset off (descriptors 0 .. k-1), writable, available, notified. */
static void rx_post_bufs(unsigned k, uint32_t off, uint32_t len)
{
    for (unsigned i = 0; i < k; i++) {
        struct piece p = { wbuf(off + len * i, len), len };
        rx_post_chain((uint16_t)i, 1, &p);
    }
    notify(&nrx);
}
/* Append the first len bytes of chain head's buffers to rxcopy from `at`; the new end. */
static uint32_t rx_gather(uint32_t head, uint32_t len, uint32_t at)
{
    if (head >= MAXQ)
        return at;
    for (unsigned i = 0; i < rx_npieces[head] && len; i++) {
        uint32_t k = len < rx_pieces[head][i].n ? len : rx_pieces[head][i].n;
        for (uint32_t j = 0; j < k && at < sizeof(rxcopy); j++)
            rxcopy[at++] = *(volatile uint8_t *)(rx_pieces[head][i].a + j);
        len -= k;
    }
    return at + len; /* a used length beyond the chain shows as a wrong total */
}
/* rxcopy[0 .. n) must be a header (nbufs buffers) and one whole ticker frame; its number -> rx_seq. */
static const char *rx_check(uint32_t n, uint16_t nbufs)
{
    const uint8_t *f = rxcopy + NET_HDR;
    if (n != RX_FRAME)
        return why("frame with its header: bytes ", n);
    if (rxcopy[0] || rxcopy[1])
        return why("header flags/gso_type ", (uint64_t)rxcopy[0] << 8 | rxcopy[1]);
    if (ld16(rxcopy + 10) != nbufs)
        return why("num_buffers ", ld16(rxcopy + 10));
    for (unsigned i = 0; i < 6; i++)
        if (f[i] != 0xff)
            return "not the ticker's broadcast";
    if (f[12] != 0x88 || f[13] != 0xb5)
        return "not the ticker's EtherType";
    for (unsigned i = 0; i < 8; i++)
        if (f[14 + i] != (uint8_t)TICK_MAGIC[i])
            return "no SVMMTICK magic";
    uint32_t seq = ld32(f + 22);
    for (uint32_t i = 26; i < TICK_FRAME; i++)
        if (f[i] != tick_byte(i, seq))
            return why("frame corrupted at byte ", i);
    rx_seq = seq;
    return NULL;
}
/* The next frame within ms in one chain (no MRG_RXBUF): checked, and its chain made available again. */
static const char *rx_one(uint64_t ms)
{
    uint32_t id, len;
    if (!wait_used(&nrx, ms))
        return (status(&nrx) & S_NEEDS_RESET) ? "DEVICE_NEEDS_RESET instead of a frame" : "no frame arrived";
    take_used(&nrx, &id, &len);
    const char *e = rx_check(rx_gather(id, len, 0), 1);
    if (e)
        return e;
    post(&nrx, (uint16_t)id);
    notify(&nrx);
    return NULL;
}
/* The next frame within ms over mergeable buffers: gathered from the num_buffers used entries, checked. */
static const char *rx_mrg(uint64_t ms, uint16_t *nbufs)
{
    uint32_t id, len, n;
    if (!wait_used(&nrx, ms))
        return (status(&nrx) & S_NEEDS_RESET) ? "DEVICE_NEEDS_RESET instead of a frame" : "no frame arrived";
    take_used(&nrx, &id, &len);
    n = rx_gather(id, len, 0);
    if (n < NET_HDR)
        return why("first buffer's used length ", len);
    *nbufs = ld16(rxcopy + 10);
    if (*nbufs == 0 || *nbufs > nrx.num)
        return why("num_buffers ", *nbufs);
    for (unsigned k = 1; k < *nbufs; k++) {
        if (!wait_used(&nrx, LONG_MS))
            return why("used entries missing: got ", k);
        take_used(&nrx, &id, &len);
        n = rx_gather(id, len, n);
    }
    return rx_check(n, *nbufs);
}
/* A case whose verdict may be DEVICE_NEEDS_RESET: the device is reset either way. */
static const char *rx_end(const char *e)
{
    wr(&nrx, STATUS, 0);
    return e;
}
#define RX_CASE(name, want, num, ...)                                                                 \
    static const char *name(void)                                                                     \
    {                                                                                                 \
        const char *e;                                                                                \
        if (!nrx.base)                                                                                \
            return SKIP;                                                                              \
        if ((e = net_up(want, num)) != NULL)                                                          \
            return rx_end(e);                                                                         \
        __VA_ARGS__                                                                                   \
    }
/* Every buffer of a queue of 8 at `addr` + 2 KiB * i, len bytes, flags: the first frame must break the queue. */
static const char *rx_bad_bufs(uint64_t addr, uint64_t step, uint32_t len, uint16_t flags)
{
    for (uint16_t i = 0; i < 8; i++) {
        desc(&nrx, i, addr + step * i, len, flags, 0);
        post(&nrx, i);
    }
    return expect_broken(&nrx);
}
RX_CASE(net_rx_frame, 0, 8, {
    rx_post_bufs(8, 0xa000, 2048);
    if ((e = rx_one(LONG_MS)) != NULL)
        return rx_end(e);
    uint32_t first = rx_seq;
    if ((e = rx_one(LONG_MS)) != NULL)
        return rx_end(e);
    return net_end(rx_seq > first ? NULL : why("the next frame is not newer: number ", rx_seq));
})
RX_CASE(net_rx_scattered, 0, 8, {
    /* the header split 5 + 7 over two descriptors, the frame over two more */
    struct piece p[4] = { { wbuf(0x100, 5), 5 }, { wbuf(0x200, 7), 7 }, { wbuf(0x300, 100), 100 },
                          { wbuf(0x1000, 1024), 1024 } };
    rx_post_chain(0, 4, p);
    notify(&nrx);
    return net_end(rx_one(LONG_MS));
})
RX_CASE(net_rx_indirect, F_INDIRECT, 8, {
    struct piece p[4] = { { wbuf(0x100, 3), 3 }, { wbuf(0x200, 9), 9 }, { wbuf(0x300, 300), 300 },
                          { wbuf(0x1000, 1000), 1000 } };
    for (unsigned i = 0; i < 4; i++) {
        idesc(itab, i, p[i].a, p[i].n, (uint16_t)(D_WRITE | (i < 3 ? D_NEXT : 0)), (uint16_t)(i + 1));
        rx_pieces[0][i] = p[i];
    }
    rx_npieces[0] = 4;
    desc(&nrx, 0, (uintptr_t)itab, 64, D_INDIRECT, 0);
    post(&nrx, 0);
    notify(&nrx);
    return net_end(rx_one(LONG_MS));
})
RX_CASE(net_rx_mrg_pressure, NF_MRG, 256, {
    /* 256 mergeable buffers of 16 bytes: a 612-byte frame with its header takes 39 of them */
    if (!(net_feat & NF_MRG))
        return rx_end("MRG_RXBUF not offered");
    uint16_t nb;
    rx_post_bufs(256, 0, 16);
    if ((e = rx_mrg(LONG_MS, &nb)) != NULL || nb != 39)
        return rx_end(e ? e : why("num_buffers ", nb));
    uint32_t first = rx_seq;
    if ((e = rx_mrg(LONG_MS, &nb)) != NULL || nb != 39)
        return rx_end(e ? e : why("second frame: num_buffers ", nb));
    return net_end(rx_seq > first ? NULL : why("the next frame is not newer: number ", rx_seq));
})
RX_CASE(net_rx_mrg_one_byte, NF_MRG, 256, {
    /* a buffer for the header, then 255 of one byte (each must hold a header: 5.1.6.3.1) */
    if (!(net_feat & NF_MRG))
        return rx_end("MRG_RXBUF not offered");
    struct piece p = { wbuf(0, NET_HDR), NET_HDR };
    rx_post_chain(0, 1, &p);
    for (uint16_t i = 1; i < 256; i++) {
        p = (struct piece){ wbuf(0x100u + i, 1), 1 };
        rx_post_chain(i, 1, &p);
    }
    return rx_end(expect_broken(&nrx));
})
RX_CASE(net_rx_mrg_ring_too_small, NF_MRG, 8, {
    /* 8 mergeable buffers of 16 bytes hold 116 bytes of frame: every 600-byte frame is dropped */
    if (!(net_feat & NF_MRG))
        return rx_end("MRG_RXBUF not offered");
    rx_post_bufs(8, 0, 16);
    return net_end(expect_nothing(&nrx, 1000));
})
RX_CASE(net_rx_too_small, 0, 8, {
    /* 100-byte buffers without MRG_RXBUF: frames dropped, buffers left; then 2 KiB ones take frames */
    rx_post_bufs(8, 0xa000, 100);
    if ((e = expect_nothing(&nrx, 1000)) != NULL)
        return rx_end(e);
    wr(&nrx, STATUS, 0);
    if ((e = net_up(0, 8)) != NULL)
        return rx_end(e);
    rx_post_bufs(8, 0xa000, 2048);
    return net_end(rx_one(LONG_MS));
})
RX_CASE(net_rx_readable, 0, 8, { return rx_end(rx_bad_bufs(A(0xa000), 2048, 2048, 0)); })
RX_CASE(net_rx_readable_after_writable, 0, 8, {
    desc(&nrx, 0, wbuf(0xa000, 2048), 2048, D_WRITE | D_NEXT, 1);
    desc(&nrx, 1, A(0xc000), 64, 0, 0);
    post(&nrx, 0);
    return rx_end(expect_broken(&nrx));
})
RX_CASE(net_rx_header_short, 0, 8, { return rx_end(rx_bad_bufs(wbuf(0xa000, 80), 10, 10, D_WRITE)); })
RX_CASE(net_rx_zero_len, 0, 8, { return rx_end(rx_bad_bufs(A(0xa000), 2048, 0, D_WRITE)); })
RX_CASE(net_rx_outside_ram, 0, 8, { return rx_end(rx_bad_bufs(ram_end(), 2048, 2048, D_WRITE)); })
RX_CASE(net_rx_in_own_mmio, 0, 8, {
    e = rx_bad_bufs(nrx.base, 0, 0x100, D_WRITE);
    if (!e && (rd(&nrx, MAGIC) != 0x74726976u || rd(&nrx, DEVICE_ID) != ID_NET))
        e = "the device's registers changed";
    return rx_end(e);
})
RX_CASE(net_rx_wraps, 0, 8, { return rx_end(rx_bad_bufs(0xffffffffffffff00ull, 0, 0x1000, D_WRITE)); })
RX_CASE(net_rx_loop, 0, 8, {
    desc(&nrx, 0, wbuf(0xa000, 8), 8, D_WRITE | D_NEXT, 1);
    desc(&nrx, 1, wbuf(0xa100, 8), 8, D_WRITE | D_NEXT, 0);
    post(&nrx, 0);
    return rx_end(expect_broken(&nrx));
})
RX_CASE(net_rx_next_oob, 0, 8, {
    desc(&nrx, 0, wbuf(0xa000, 8), 8, D_WRITE | D_NEXT, 8);
    post(&nrx, 0);
    return rx_end(expect_broken(&nrx));
})
RX_CASE(net_rx_indirect_nested, F_INDIRECT, 8, {
    idesc(itab, 0, wbuf(0xa000, 2048), 2048, D_WRITE | D_NEXT, 1);
    idesc(itab, 1, (uintptr_t)itab + 256, 32, D_INDIRECT, 0);
    idesc(itab + 256, 0, wbuf(0xa800, 2048), 2048, D_WRITE, 0);
    desc(&nrx, 0, (uintptr_t)itab, 32, D_INDIRECT, 0);
    post(&nrx, 0);
    return rx_end(expect_broken(&nrx));
})
RX_CASE(net_rx_avail_jump, 0, 8, {
    /* 8 good buffers, then an avail index 17 past the device's position on a queue of 8 */
    for (uint16_t i = 0; i < 8; i++) {
        desc(&nrx, i, wbuf(0xa000u + 2048u * i, 2048), 2048, D_WRITE, 0);
        post(&nrx, i);
    }
    dmb();
    st16(avail_p(&nrx) + 2, 17);
    return rx_end(expect_broken(&nrx));
})
RX_CASE(net_rx_head_oob, 0, 8, {
    desc(&nrx, 0, wbuf(0xa000, 2048), 2048, D_WRITE, 0);
    post(&nrx, 8);
    return rx_end(expect_broken(&nrx));
})
RX_CASE(net_rx_not_set_up, NF_MAC, 0, {
    /* DRIVER_OK with the receive queue never set up while frames arrive: no reset, transmit works */
    uint64_t end = now() + ms_ticks(1000);
    while (now() < end)
        if (status(&nrx) & S_NEEDS_RESET)
            return rx_end("DEVICE_NEEDS_RESET");
    uint32_t n = net_frame(100, true, net_mac);
    if (!net_send(0, 0, 0, 0, 0, 0, FRAME, n))
        return rx_end("a frame sent was not given back");
    wr(&nrx, STATUS, 0);
    if ((e = net_up(0, 8)) != NULL)
        return rx_end(e);
    rx_post_bufs(8, 0xa000, 2048);
    return net_end(rx_one(LONG_MS));
})
RX_CASE(net_rx_no_buffers, 0, 8, {
    /* 2 s of frames (10) with no buffer posted: held or dropped; then buffers: newer frames follow */
    uint64_t end = now() + ms_ticks(2000);
    while (now() < end)
        if (status(&nrx) & S_NEEDS_RESET)
            return rx_end("DEVICE_NEEDS_RESET");
    rx_post_bufs(8, 0xa000, 2048);
    if ((e = rx_one(LONG_MS)) != NULL)
        return rx_end(e);
    uint32_t first = rx_seq, last = rx_seq;
    for (unsigned i = 0; i < 40 && rx_seq < first + 5; i++) {
        if ((e = rx_one(LONG_MS)) != NULL)
            return rx_end(e);
        if (rx_seq <= last)
            return rx_end(why("frames out of order: number ", rx_seq));
        last = rx_seq;
    }
    return net_end(rx_seq >= first + 5 ? NULL : why("no newer frames: last number ", rx_seq));
})
RX_CASE(net_rx_never_drains, NF_MAC, 8, {
    /* 8 buffers filled and never given back for 3 s or more; meanwhile 15 frames of its own go out */
    rx_post_bufs(8, 0xa000, 2048);
    uint32_t n = net_frame(100, true, net_mac);
    for (unsigned i = 0; i < 15; i++) {
        if (!net_send(0, 0, 0, 0, 0, 0, FRAME, n))
            return rx_end(why("its own frame not given back: ", i));
        uint64_t end = now() + ms_ticks(200);
        while (now() < end)
            ;
    }
    uint64_t end = now() + ms_ticks(LONG_MS); /* a busy host may have slowed the ticker down */
    while (used_idx(&nrx) != 8 && now() < end)
        ;
    if (used_idx(&nrx) != 8)
        return rx_end(why("buffers filled: ", used_idx(&nrx)));
    uint32_t top = 0, id, len;
    for (unsigned i = 0; i < 8; i++) {
        take_used(&nrx, &id, &len);
        if ((e = rx_check(rx_gather(id, len, 0), 1)) != NULL)
            return rx_end(e);
        top = rx_seq > top ? rx_seq : top;
        post(&nrx, (uint16_t)id);
    }
    notify(&nrx);
    if ((e = rx_one(LONG_MS)) != NULL)
        return rx_end(e);
    return net_end(rx_seq > top ? NULL : why("after draining, an older frame: number ", rx_seq));
})
static const char *net_rx_reset_while_arriving(void)
{
    /* 10 resets at odd moments while frames arrive; then nothing may land in the old buffers */
    if (!nrx.base)
        return SKIP;
    unsigned keep = nallowed;
    for (unsigned r = 0; r < 10; r++) {
        const char *e = net_up(0, 8);
        if (e)
            return rx_end(e);
        rx_post_bufs(8, 0xa000, 2048);
        uint64_t end = now() + ms_ticks(150 + (r * 37) % 100);
        while (now() < end)
            ;
        wr(&nrx, STATUS, 0);
    }
    nallowed = keep;
    memset(arena + 0xa000, PATTERN, 8 * 2048);
    uint64_t end = now() + ms_ticks(1000);
    while (now() < end)
        ;
    return NULL; /* the canary check after every case: no byte of the old buffers written */
}

/* ---- virtio-console MULTIPORT (VirtIO 1.2 5.3.6.2): control messages and buffers that lie ---- */
#define F_MULTIPORT (1ull << 1)
#define CC_DEVICE_READY 0
#define CC_DEVICE_ADD 1
#define CC_PORT_READY 3
#define CC_CONSOLE_PORT 4
#define CC_RESIZE 5
#define CC_PORT_OPEN 6
#define CC_PORT_NAME 7
#define CC_BUFS 0x9000 /* control receive buffers: arena 0x9000 + 64 * i */
static uint32_t con_nports;

/*
 * Driver up with MULTIPORT: port 0's transmitq, port 1's when there is one, and (with ctrl) the
 * control queues, with 8 control receive buffers of rxlen bytes at `rxaddr` + 64 * i (flags rxflags)
 * posted. SKIP when the device does not offer MULTIPORT.
 */
static const char *mp_up(bool ctrl, uint64_t rxaddr, uint32_t rxlen, uint16_t rxflags)
{
    if (!con.base)
        return SKIP;
    wr(&con, DEV_FEAT_SEL, 0);
    if (!(rd(&con, DEV_FEAT) & F_MULTIPORT))
        return SKIP;
    if (negotiate(&con, F_VERSION_1 | F_MULTIPORT) < 0)
        return "console negotiation refused";
    con_nports = rd(&con, CONFIG + 4);
    ring_program(&con, 8);
    wr(&con, QREADY, 1);
    if (con_nports > 1) {
        ring_program(&cp1, 8);
        wr(&cp1, QREADY, 1);
    }
    if (ctrl) {
        ring_program(&cci, 8);
        wr(&cci, QREADY, 1);
        ring_program(&cco, 8);
        wr(&cco, QREADY, 1);
    }
    wr(&con, STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    if (ctrl) {
        for (uint16_t i = 0; i < 8; i++) {
            uint64_t a = rxaddr + 64u * i;
            if ((rxflags & D_WRITE) && a >= (uintptr_t)arena && a - (uintptr_t)arena < ARENA_SIZE)
                wbuf((uint32_t)(a - (uintptr_t)arena), rxlen);
            desc(&cci, i, a, rxlen, rxflags, 0);
            post(&cci, i);
        }
        notify(&cci);
    }
    return (status(&con) & S_NEEDS_RESET) ? "DEVICE_NEEDS_RESET at setup" : NULL;
}
static const char *mp_end(const char *e)
{
    wr(&con, STATUS, 0);
    return e;
}
/* A control message of n bytes (id, event, value, zeros after) in `pieces` descriptors; true when given back. */
static bool mp_send_n(uint32_t id, uint16_t event, uint16_t value, uint32_t n, unsigned pieces)
{
    uint8_t *m = rbuf + 0x2400 + 128 * (cco.avail % 4);
    uint16_t d = (uint16_t)(2 * (cco.avail % 4));
    uint32_t idx, len;
    memset(m, 0, 128);
    st32(m, id);
    st16(m + 4, event);
    st16(m + 6, value);
    if (pieces == 2) {
        desc(&cco, d, (uintptr_t)m, n / 2, D_NEXT, (uint16_t)(d + 1));
        desc(&cco, d + 1u, (uintptr_t)m + n / 2, n - n / 2, 0, 0);
    } else {
        desc(&cco, d, (uintptr_t)m, n, 0, 0);
    }
    post(&cco, d);
    notify(&cco);
    if (!wait_used(&cco, LONG_MS))
        return false;
    take_used(&cco, &idx, &len);
    return true;
}
static bool mp_send(uint32_t id, uint16_t event, uint16_t value) { return mp_send_n(id, event, value, 8, 1); }
/* The next control message within ms: id, event, value and its used length; false when none came. */
static bool mp_recv(uint64_t ms, uint32_t *id, uint16_t *event, uint16_t *value, uint32_t *len)
{
    uint32_t i;
    if (!wait_used(&cci, ms))
        return false;
    take_used(&cci, &i, len);
    volatile uint8_t *b = arena + CC_BUFS + 64 * (i % 8);
    *id = ld32(b);
    *event = ld16(b + 4);
    *value = ld16(b + 6);
    post(&cci, (uint16_t)(i % 8));
    notify(&cci);
    return true;
}
static const char *mp_expect(uint32_t want_id, uint16_t want_event, uint16_t want_value)
{
    uint32_t id, len;
    uint16_t ev, val;
    if (!mp_recv(LONG_MS, &id, &ev, &val, &len))
        return (status(&con) & S_NEEDS_RESET) ? "DEVICE_NEEDS_RESET instead of a control message"
                                               : why("no control message; expected event ", want_event);
    if (id != want_id || ev != want_event || val != want_value)
        return why("unexpected control message: id/event/value ", (uint64_t)id << 32 | (uint32_t)ev << 16 | val);
    return NULL;
}
/* No control message within ms, and no DEVICE_NEEDS_RESET. */
static const char *mp_expect_none(uint64_t ms)
{
    uint32_t id, len;
    uint16_t ev, val;
    if (mp_recv(ms, &id, &ev, &val, &len))
        return why("the device answered: id/event ", (uint64_t)id << 16 | ev);
    return (status(&con) & S_NEEDS_RESET) ? "DEVICE_NEEDS_RESET" : NULL;
}
/* After the abuse: DEVICE_READY(1) is answered by DEVICE_ADD of port 0 (the channel still works). */
static const char *mp_still_works(void)
{
    if (!mp_send(0xffffffffu, CC_DEVICE_READY, 1))
        return "DEVICE_READY not given back";
    return mp_expect(0, CC_DEVICE_ADD, 1);
}
/* The rest of a DEVICE_READY's answer: DEVICE_ADD for ports 1 .. nports - 1. */
static const char *mp_drain_adds(void)
{
    const char *e = NULL;
    for (uint32_t p = 1; p < con_nports && !e; p++)
        e = mp_expect(p, CC_DEVICE_ADD, 1);
    return e;
}
/* `msg` on port p's transmitq (0 or 1): given back. */
static const char *mp_print(struct dev *d, const char *msg)
{
    uint32_t n = 0;
    while (msg[n]) {
        rbuf[0x2800 + n] = (uint8_t)msg[n];
        n++;
    }
    desc(d, 0, (uintptr_t)rbuf + 0x2800, n, 0, 0);
    post(d, 0);
    return expect_used(d, 0);
}
#define MP_CASE(name, ...)                                                                            \
    static const char *name(void)                                                                     \
    {                                                                                                 \
        const char *e = mp_up(true, (uintptr_t)arena + CC_BUFS, 64, D_WRITE);                         \
        if (e)                                                                                        \
            return e == SKIP ? e : mp_end(e);                                                         \
        __VA_ARGS__                                                                                   \
    }
MP_CASE(con_mp_handshake, {
    /* the whole protocol once, checked message by message; then both ports print */
    if (con_nports < 1 || con_nports > 31)
        return mp_end(why("max_nr_ports ", con_nports));
    if (!mp_send(0xffffffffu, CC_DEVICE_READY, 1))
        return mp_end("DEVICE_READY not given back");
    for (uint32_t p = 0; p < con_nports; p++)
        if ((e = mp_expect(p, CC_DEVICE_ADD, 1)) != NULL)
            return mp_end(e);
    if (!mp_send(0, CC_PORT_READY, 1))
        return mp_end("PORT_READY not given back");
    if ((e = mp_expect(0, CC_CONSOLE_PORT, 1)) != NULL || (e = mp_expect(0, CC_PORT_OPEN, 1)) != NULL)
        return mp_end(e);
    if (con_nports > 1) {
        uint32_t id, len;
        uint16_t ev, val;
        if (!mp_send(1, CC_PORT_READY, 1))
            return mp_end("PORT_READY(1) not given back");
        if (!mp_recv(LONG_MS, &id, &ev, &val, &len) || id != 1 || ev != CC_PORT_NAME || len <= 8 || len > 64)
            return mp_end(why("no PORT_NAME for port 1: used length ", len));
        if ((e = mp_expect(1, CC_PORT_OPEN, 1)) != NULL)
            return mp_end(e);
        if (!mp_send(1, CC_PORT_OPEN, 1))
            return mp_end("PORT_OPEN(1) not given back");
        if ((e = mp_print(&cp1, "HOSTILE port 1 alive\n")) != NULL)
            return mp_end(e);
    }
    if (!mp_send(0, CC_PORT_OPEN, 1))
        return mp_end("PORT_OPEN(0) not given back");
    return mp_end(mp_print(&con, "HOSTILE console multiport alive\n"));
})
MP_CASE(con_mp_short, {
    /* DEVICE_READY(1) cut to 0, 1, 4 and 7 bytes: each given back and dropped */
    static const uint32_t lens[] = { 0, 1, 4, 7 };
    for (unsigned i = 0; i < 4; i++)
        if (!mp_send_n(0xffffffffu, CC_DEVICE_READY, 1, lens[i], 1))
            return mp_end(why("not given back: length ", lens[i]));
    if ((e = mp_expect_none(300)) != NULL)
        return mp_end(e);
    return mp_end(mp_still_works());
})
MP_CASE(con_mp_long, {
    /* DEVICE_READY(1) with 1 and 120 bytes of padding: dropped (a message is 8 bytes) */
    if (!mp_send_n(0xffffffffu, CC_DEVICE_READY, 1, 9, 1) || !mp_send_n(0xffffffffu, CC_DEVICE_READY, 1, 128, 1))
        return mp_end("not given back");
    if ((e = mp_expect_none(300)) != NULL)
        return mp_end(e);
    return mp_end(mp_still_works());
})
MP_CASE(con_mp_split, {
    /* a DEVICE_READY(1) in two 4-byte pieces is one message */
    if (!mp_send_n(0xffffffffu, CC_DEVICE_READY, 1, 8, 2))
        return mp_end("not given back");
    return mp_end(mp_expect(0, CC_DEVICE_ADD, 1));
})
MP_CASE(con_mp_unknown_events, {
    /* the device's own events and unknown ones, from the driver: dropped */
    static const uint16_t evs[] = { CC_DEVICE_ADD, 2, CC_CONSOLE_PORT, CC_RESIZE, CC_PORT_NAME, 8, 99, 0xffff };
    for (unsigned i = 0; i < 8; i++)
        if (!mp_send(0, evs[i], 1))
            return mp_end(why("not given back: event ", evs[i]));
    if ((e = mp_expect_none(300)) != NULL)
        return mp_end(e);
    return mp_end(mp_still_works());
})
MP_CASE(con_mp_port_oob, {
    /* PORT_READY and PORT_OPEN for ports past max_nr_ports: dropped; port 0's PORT_READY still answered */
    if ((e = mp_still_works()) != NULL || (e = mp_drain_adds()) != NULL)
        return mp_end(e);
    static const uint32_t ids[] = { 0, 31, 0x80000000u, 0xffffffffu };
    for (unsigned i = 0; i < 4; i++) {
        uint32_t id = i == 0 ? con_nports : ids[i];
        if (!mp_send(id, CC_PORT_READY, 1) || !mp_send(id, CC_PORT_OPEN, 1))
            return mp_end(why("not given back: port ", id));
    }
    if ((e = mp_expect_none(300)) != NULL)
        return mp_end(e);
    if (!mp_send(0, CC_PORT_READY, 1))
        return mp_end("PORT_READY(0) not given back");
    return mp_end(mp_expect(0, CC_CONSOLE_PORT, 1));
})
MP_CASE(con_mp_bad_values, {
    /* DEVICE_READY with values 2, 0xffff and 0 (the driver failed): no ports announced; then 1 is */
    if (!mp_send(0, CC_DEVICE_READY, 2) || !mp_send(0, CC_DEVICE_READY, 0xffff) || !mp_send(0, CC_DEVICE_READY, 0) ||
        !mp_send(0, CC_PORT_READY, 7))
        return mp_end("not given back");
    if ((e = mp_expect_none(300)) != NULL)
        return mp_end(e);
    return mp_end(mp_still_works());
})
MP_CASE(con_mp_ready_twice, {
    /* DEVICE_READY(1) three times: the ports are announced once */
    for (unsigned i = 0; i < 3; i++)
        if (!mp_send(0xffffffffu, CC_DEVICE_READY, 1))
            return mp_end("not given back");
    for (uint32_t p = 0; p < con_nports; p++)
        if ((e = mp_expect(p, CC_DEVICE_ADD, 1)) != NULL)
            return mp_end(e);
    return mp_end(mp_expect_none(300));
})
MP_CASE(con_mp_open_before_ready, {
    /* PORT_OPEN of port 0 before DEVICE_READY and PORT_READY: nothing answered, port 0 prints, then the handshake */
    if (!mp_send(0, CC_PORT_OPEN, 1) || !mp_send(0, CC_PORT_OPEN, 0) || !mp_send(0, CC_PORT_OPEN, 1))
        return mp_end("not given back");
    if ((e = mp_expect_none(300)) != NULL)
        return mp_end(e);
    if ((e = mp_print(&con, "HOSTILE console open-before-ready alive\n")) != NULL)
        return mp_end(e);
    if ((e = mp_still_works()) != NULL || (e = mp_drain_adds()) != NULL)
        return mp_end(e);
    if (!mp_send(0, CC_PORT_READY, 1))
        return mp_end("PORT_READY(0) not given back");
    return mp_end(mp_expect(0, CC_CONSOLE_PORT, 1));
})
MP_CASE(con_mp_flood, {
    /* 300 PORT_READY(0) with 8 control buffers never given back: all taken, the answers bounded */
    if ((e = mp_still_works()) != NULL || (e = mp_drain_adds()) != NULL)
        return mp_end(e);
    uint16_t before = used_idx(&cci);
    for (unsigned i = 0; i < 300; i++)
        if (!mp_send(0, CC_PORT_READY, 1))
            return mp_end(why("not given back: message ", i));
    if ((uint16_t)(used_idx(&cci) - before) > 8)
        return mp_end(why("answers past the buffers posted: ", (uint16_t)(used_idx(&cci) - before)));
    uint32_t id, len, got = 0;
    uint16_t ev, val;
    while (got < 2000 && mp_recv(300, &id, &ev, &val, &len)) {
        if (id != 0 || (ev != CC_CONSOLE_PORT && ev != CC_PORT_OPEN))
            return mp_end(why("unexpected answer: event ", ev));
        got++;
    }
    if (got < 8 || got > 600)
        return mp_end(why("answers: ", got));
    if (status(&con) & S_NEEDS_RESET)
        return mp_end("DEVICE_NEEDS_RESET");
    return mp_end(mp_print(&con, "HOSTILE console after the control flood alive\n"));
})
static const char *mp_bad_rx(uint64_t addr, uint32_t len, uint16_t flags)
{
    /* control receive buffers the device cannot use: the first answer due breaks the device */
    const char *e = mp_up(true, addr, len, flags);
    if (e)
        return e == SKIP ? e : mp_end(e);
    if (!mp_send(0xffffffffu, CC_DEVICE_READY, 1))
        return mp_end("DEVICE_READY not given back");
    if (!wait_needs_reset(&con, LONG_MS))
        return mp_end(used_idx(&cci) != cci.used ? "the device used the buffer" : "no DEVICE_NEEDS_RESET");
    return mp_end(used_idx(&cci) != cci.used ? "NEEDS_RESET but the device also used a buffer" : NULL);
}
static const char *con_mp_rx_readable(void) { return mp_bad_rx((uintptr_t)arena + CC_BUFS, 64, 0); }
static const char *con_mp_rx_short(void) { return mp_bad_rx((uintptr_t)arena + CC_BUFS, 4, D_WRITE); }
static const char *con_mp_rx_outside_ram(void) { return mp_bad_rx(ram_end(), 64, D_WRITE); }
static const char *con_mp_rx_in_mmio(void) { return mp_bad_rx(con.base, 8, D_WRITE); }
static const char *con_mp_rx_name_truncated(void)
{
    /* 8-byte control buffers: port 1's PORT_NAME is cut to its header, nothing written past it */
    const char *e = mp_up(true, (uintptr_t)arena + CC_BUFS, 8, D_WRITE);
    if (e)
        return e == SKIP ? e : mp_end(e);
    if (con_nports < 2)
        return mp_end(SKIP);
    uint32_t id, len;
    uint16_t ev, val;
    if ((e = mp_still_works()) != NULL || (e = mp_drain_adds()) != NULL)
        return mp_end(e);
    if (!mp_send(1, CC_PORT_READY, 1))
        return mp_end("PORT_READY(1) not given back");
    if (!mp_recv(LONG_MS, &id, &ev, &val, &len) || id != 1 || ev != CC_PORT_NAME || len != 8)
        return mp_end(why("PORT_NAME not cut to 8 bytes: used length ", len));
    return mp_end(mp_expect(1, CC_PORT_OPEN, 1));
}
MP_CASE(con_mp_tx_writable, {
    /* a control message in a device-writable buffer: given back, dropped */
    uint8_t *m = arena + 0x9800;
    st32(m, 0xffffffffu);
    st16(m + 4, CC_DEVICE_READY);
    st16(m + 6, 1);
    wbuf(0x9800, 8);
    desc(&cco, 0, (uintptr_t)m, 8, D_WRITE, 0);
    post(&cco, 0);
    if ((e = expect_used(&cco, 0)) != NULL)
        return mp_end(e);
    if ((e = mp_expect_none(300)) != NULL)
        return mp_end(e);
    return mp_end(mp_still_works());
})
MP_CASE(con_mp_tx_outside_ram, {
    desc(&cco, 0, ram_end(), 8, 0, 0);
    post(&cco, 0);
    return mp_end(expect_broken(&cco));
})
static const char *con_mp_no_ctrl_queues(void)
{
    /* MULTIPORT with the control queues never set up: notifying them is harmless, both ports print */
    const char *e = mp_up(false, 0, 0, 0);
    if (e)
        return e == SKIP ? e : mp_end(e);
    for (uint32_t q = 2; q < 4; q++)
        wr(&con, QNOTIFY, q);
    if (status(&con) & S_NEEDS_RESET)
        return mp_end("DEVICE_NEEDS_RESET after notifying the control queues");
    if (con_nports > 1 && (e = mp_print(&cp1, "HOSTILE port 1 without control queues alive\n")) != NULL)
        return mp_end(e);
    return mp_end(mp_print(&con, "HOSTILE console without control queues alive\n"));
}

/* ---- CPU abuse: PSCI/SMCCC through the DT's conduit, system registers, WFx ---- */
static const char *expect_ret(uint64_t got, uint64_t want) { return got == want ? NULL : why("returned ", got); }
static const char *cpu_psci_version(void)
{
    uint64_t v = psci(PSCI_VERSION, 0, 0, 0);
    return v >= 0x10000 && v < 0x20000 ? NULL : why("PSCI_VERSION ", v);
}
static const char *cpu_on_self(void) { return expect_ret(psci(PSCI_CPU_ON, 0, ram_base, 0), E_ALREADY_ON); }
static const char *cpu_on_absent(void) { return expect_ret(psci(PSCI_CPU_ON, ncpus, ram_base, 0), E_INVALID); }
static const char *cpu_on_absent_cluster(void) { return expect_ret(psci(PSCI_CPU_ON, 0x0100, ram_base, 0), E_INVALID); }
static const char *cpu_on_mpidr_all_ones(void) { return expect_ret(psci(PSCI_CPU_ON, ~0ull, ~0ull, ~0ull), E_INVALID); }
static const char *cpu_on_smc32_absent(void) { return expect_ret(psci(PSCI_CPU_ON_32, 7, 0xffffffff, 0), E_INVALID); }
static const char *cpu_affinity_absent(void) { return expect_ret(psci(PSCI_AFFINITY_INFO, ncpus + 2, 0, 0), E_INVALID); }
static const char *cpu_affinity_self(void) { return expect_ret(psci(PSCI_AFFINITY_INFO, 0, 0, 0), 0); }
static const char *cpu_affinity_bad_level(void)
{
    uint64_t r = psci(PSCI_AFFINITY_INFO, 0, 7, 0);
    return r == E_INVALID || r == 0 ? NULL : why("returned ", r);
}
static const char *cpu_features_unknown(void) { return expect_ret(psci(PSCI_FEATURES, 0x8400ffff, 0, 0), E_NOT_SUPPORTED); }
static const char *cpu_features_high_bits(void)
{
    uint64_t r = psci(PSCI_FEATURES, 0xffffffff00000000ull | PSCI_VERSION, 0, 0);
    return r == E_NOT_SUPPORTED || r == 0 ? NULL : why("returned ", r);
}
static const char *cpu_features_reset2(void)
{
    uint64_t r = psci(PSCI_FEATURES, PSCI_SYSTEM_RESET2, 0, 0);
    return r == E_NOT_SUPPORTED || r == 0 ? NULL : why("returned ", r);
}
static const char *cpu_migrate(void) { return expect_ret(psci(PSCI_MIGRATE, 0, 0, 0), E_NOT_SUPPORTED); }
static const char *cpu_migrate_info(void)
{
    uint64_t r = psci(PSCI_MIGRATE_INFO_TYPE, 0, 0, 0);
    return r == 2 || r == E_NOT_SUPPORTED ? NULL : why("returned ", r);
}
static const char *cpu_stat_count(void) { return expect_ret(psci(PSCI_STAT_COUNT, 0, 0, 0), E_NOT_SUPPORTED); }
static const char *cpu_unknown_fids(void)
{
    static const uint32_t fids[] = { 0x8400ffff, 0xc400ffff, 0x82000000, 0xb2000000, 0xbf00ff00, 0xfe000000, 0x0,
                                     0x3f000000, 0x85000000, 0xc5001234 };
    for (unsigned i = 0; i < sizeof(fids) / sizeof(fids[0]); i++) {
        uint64_t r = psci(fids[i], 1, 2, 3);
        if (r != E_NOT_SUPPORTED)
            return why("an unknown function id answered ", r);
    }
    return NULL;
}
static const char *cpu_fid_high_bits(void)
{
    /* SMCCC passes the id in W0: bits 63:32 are refused (svmm) or ignored (KVM); never anything else */
    uint64_t r = psci(0xdead000000000000ull | PSCI_VERSION, 0, 0, 0);
    return r == E_NOT_SUPPORTED || (r >= 0x10000 && r < 0x20000) ? NULL : why("returned ", r);
}
static const char *cpu_smccc_version(void)
{
    uint64_t v = psci(SMCCC_VERSION, 0, 0, 0);
    return v >= 0x10000 && v < 0x20000 ? NULL : why("SMCCC_VERSION ", v);
}
static const char *cpu_smccc_arch_features_unknown(void)
{
    return expect_ret(psci(SMCCC_ARCH_FEATURES, 0x8000ff00, 0, 0), E_NOT_SUPPORTED);
}
static const char *cpu_other_conduit(void)
{
    /* PSCI_VERSION through the conduit the DT does not name: NOT_SUPPORTED, or answered; never a stop */
    uint64_t r = psci_smc ? hvc(PSCI_VERSION, 0, 0, 0) : smc(PSCI_VERSION, 0, 0, 0);
    return r == E_NOT_SUPPORTED || (r >= 0x10000 && r < 0x20000) || exc_count ? NULL : why("returned ", r);
}
static const char *cpu_smc_imm(void)
{
    register uint64_t x0 __asm__("x0") = PSCI_VERSION;
    if (psci_smc)
        __asm__ volatile("smc #0x1234" : "+r"(x0) : : "x1", "x2", "x3", "memory");
    else
        __asm__ volatile("hvc #0x1234" : "+r"(x0) : : "x1", "x2", "x3", "memory");
    return NULL; /* any answer: only survival counts */
}
static const char *cpu_suspend(void)
{
    /* standby with the timer armed: returns SUCCESS at once (svmm) or at the timer (KVM) */
    timer_arm_us(2000);
    uint64_t r = psci(PSCI_CPU_SUSPEND, 0, 0, 0);
    uint32_t id = gic_wait(500);
    timer_off();
    if (id != SPURIOUS)
        gic_eoi(id);
    if (r != 0)
        return why("returned ", r);
    return id == TIMER_PPI ? NULL : why("the timer interrupt did not come: ", id);
}
static const char *cpu_suspend_bad_state(void)
{
    timer_arm_us(2000);
    uint64_t r = psci(PSCI_CPU_SUSPEND, 0xffffffffffffffffull, 0, 0);
    uint32_t id = gic_wait(500);
    timer_off();
    if (id != SPURIOUS)
        gic_eoi(id);
    return r == 0 || r == E_INVALID ? NULL : why("returned ", r);
}
/* A system register access: it reads as zero (RAZ/WI), or the platform injects an UNDEF; survival counts. */
static const char *sysreg_outcome(unsigned before)
{
    if (exc_count == before)
        return NULL;
    if ((exc_esr >> 26) != 0 && (exc_esr >> 26) != 0x18)
        return why("unexpected exception, ESR ", exc_esr);
    return NULL;
}
static const char *cpu_sysreg_impdef(void)
{
    unsigned b = exc_count;
    (void)SYSREG_R(S3_1_C15_C2_0);
    SYSREG_W(S3_1_C15_C2_0, 0xffffffffffffffffull);
    (void)SYSREG_R(S3_0_C15_C0_0);
    return sysreg_outcome(b);
}
static const char *cpu_sysreg_impdef_el1(void)
{
    unsigned b = exc_count;
    SYSREG_W(S3_3_C15_C1_0, 1);
    (void)SYSREG_R(S3_4_C15_C0_0);
    return sysreg_outcome(b);
}
static const char *cpu_sysreg_debug(void)
{
    unsigned b = exc_count;
    SYSREG_W(dbgbvr0_el1, 0x40000000);
    SYSREG_W(dbgbcr0_el1, 0);
    (void)SYSREG_R(mdscr_el1);
    SYSREG_W(oslar_el1, 1);
    SYSREG_W(oslar_el1, 0);
    return sysreg_outcome(b);
}
static const char *cpu_sysreg_pmu(void)
{
    unsigned b = exc_count;
    (void)SYSREG_R(pmcr_el0);
    (void)SYSREG_R(pmccntr_el0);
    SYSREG_W(pmuserenr_el0, 0);
    return sysreg_outcome(b);
}
static const char *cpu_sysreg_gic_sgi_garbage(void)
{
    /* ICC_SGI1R_EL1 with every field set (v3; on v2 the register does not exist: UNDEF or RAZ/WI) */
    unsigned b = exc_count;
    SYSREG_W(S3_0_C12_C11_5, 0xffffffffffffffffull);
    SYSREG_W(S3_0_C12_C11_6, 0xffffffffffffffffull); /* ICC_ASGI1R_EL1 */
    SYSREG_W(S3_0_C12_C11_7, 0xffffffffffffffffull); /* ICC_SGI0R_EL1 */
    uint32_t id;
    while ((id = gic_wait(20)) != SPURIOUS)
        gic_eoi(id); /* an SGI to ourselves (IRM=1 excludes us, but the target list may name us) */
    return sysreg_outcome(b);
}
static const char *cpu_wfi_storm(void)
{
    /* 200 WFIs woken by a 200 us timer each: every one returns with the timer's interrupt */
    uint64_t t0 = now();
    for (unsigned i = 0; i < 200; i++) {
        timer_arm_us(200);
        uint32_t id = wfi_timer();
        if (id != TIMER_PPI)
            return why("a WFI woke without the timer: ", id);
    }
    uint64_t ms = (now() - t0) * 1000 / freq;
    return ms < 20000 ? NULL : why("200 WFIs took ms ", ms);
}
static const char *cpu_wfi_pending(void)
{
    /* WFI with an interrupt already pending (masked): completes at once, 1000 times */
    timer_arm_us(0);
    for (unsigned i = 0; i < 1000; i++)
        __asm__ volatile("wfi" ::: "memory");
    uint32_t id = gic_ack();
    timer_off();
    if (id != SPURIOUS)
        gic_eoi(id);
    return id == TIMER_PPI ? NULL : why("pending interrupt lost: ", id);
}
static const char *cpu_wfe_storm(void)
{
    for (unsigned i = 0; i < 10000; i++)
        __asm__ volatile("sevl\n\twfe\n\tsev\n\twfe" ::: "memory");
    return NULL;
}

/* ---- SMP (a VM with 2 vCPUs or more): CPU_ON's arguments, a secondary on and off ---- */
#define E_INVALID_ADDRESS ((uint64_t)-9)
#define E_ON_PENDING ((uint64_t)-5)
#define AFF_ON 0
#define AFF_OFF 1
void secondary_entry(void);
void secondary_main(void);
static uint32_t drain(void);
static uint8_t stack2[8192] __attribute__((aligned(16)));
static volatile unsigned sec_runs;
static void (*volatile sec_task)(void); /* what CPU 1 does before it turns itself off */
static volatile bool sec_stop;

void secondary_main(void)
{
    sec_runs++;
    dmb();
    if (sec_task)
        sec_task();
    psci(PSCI_CPU_OFF, 0, 0, 0);
    sec_runs += 1000; /* CPU_OFF returned: an error */
    for (;;)
        __asm__ volatile("wfi");
}
static uint64_t sec_entry(void) { return (uintptr_t)secondary_entry; }
static uint64_t sec_stack(void) { return (uintptr_t)stack2 + sizeof(stack2); }
/* Wait up to ms for CPU 1 to be OFF again. */
static bool sec_off(uint64_t ms)
{
    uint64_t end = now() + ms_ticks(ms);
    do {
        if (psci(PSCI_AFFINITY_INFO, 1, 0, 0) == AFF_OFF)
            return true;
    } while (now() < end);
    return false;
}
static const char *smp_bad_entry(uint64_t entry)
{
    if (ncpus < 2)
        return SKIP;
    if (!psci_smc)
        return SKIP; /* KVM starts a CPU at any entry; only svmm's PSCI checks it */
    uint64_t r = psci(PSCI_CPU_ON, 1, entry, sec_stack());
    if (r != E_INVALID_ADDRESS)
        return why("returned ", r);
    return psci(PSCI_AFFINITY_INFO, 1, 0, 0) == AFF_OFF ? NULL : "CPU 1 is on after a refused CPU_ON";
}
static const char *smp_on_outside_ram(void) { return smp_bad_entry(ram_end()); }
static const char *smp_on_misaligned(void) { return smp_bad_entry(sec_entry() + 2); }
static const char *smp_on_in_mmio(void) { return smp_bad_entry(rng.base); }
static const char *smp_on_zero(void) { return smp_bad_entry(0); }
static const char *smp_on_wraps(void) { return smp_bad_entry(0xfffffffffffffffcull); }
static const char *smp_on_off(void)
{
    if (ncpus < 2)
        return SKIP;
    unsigned before = sec_runs;
    uint64_t r = psci(PSCI_CPU_ON, 1, sec_entry(), sec_stack());
    if (r != 0)
        return why("CPU_ON returned ", r);
    if (!sec_off(LONG_MS))
        return "CPU 1 did not turn itself off";
    return sec_runs == before + 1 ? NULL : why("secondary runs: ", sec_runs - before);
}
static const char *smp_on_twice(void)
{
    if (ncpus < 2)
        return SKIP;
    uint64_t r1 = psci(PSCI_CPU_ON, 1, sec_entry(), sec_stack());
    uint64_t r2 = psci(PSCI_CPU_ON, 1, sec_entry(), sec_stack());
    bool off = sec_off(LONG_MS);
    if (r1 != 0)
        return why("first CPU_ON returned ", r1);
    if (r2 != E_ALREADY_ON && r2 != E_ON_PENDING && !(r2 == 0 && off))
        return why("second CPU_ON returned ", r2);
    return off ? NULL : "CPU 1 did not turn itself off";
}
static const char *smp_on_off_storm(void)
{
    /* 20 rounds of CPU_ON and the secondary's CPU_OFF */
    if (ncpus < 2)
        return SKIP;
    unsigned before = sec_runs;
    for (unsigned i = 0; i < 20; i++) {
        uint64_t r = psci(PSCI_CPU_ON, 1, sec_entry(), sec_stack());
        if (r != 0)
            return why("CPU_ON returned ", r);
        if (!sec_off(LONG_MS))
            return why("CPU 1 stayed on in round ", i);
    }
    return sec_runs == before + 20 ? NULL : why("secondary runs: ", sec_runs - before);
}
/* CPU 1 rewrites rng's descriptor 0, a field at a time, among good buffers: arena+0 or +128, 64 or 32 bytes. */
static void race_desc(void)
{
    for (unsigned i = 0; !sec_stop; i++) {
        volatile uint8_t *d = desc_p(&rng, 0);
        st64(d, (uintptr_t)arena + (i & 1 ? 128 : 0));
        st32(d + 8, i & 2 ? 64 : 32); /* any torn mix still names one of the two buffers */
        st16(d + 12, D_WRITE);
        st16(d + 14, (uint16_t)i); /* no NEXT: ignored */
    }
}
/* CPU 1 rewrites a blk request's header between a read of sector 1 and a write of it or of 2^64-1. */
static void race_blk_hdr(void)
{
    for (unsigned i = 0; !sec_stop; i++) {
        uint8_t *h = rbuf; /* blk_hdr slot 0 */
        st32(h, i % 3 == 0 ? 0 : 1);
        st64(h + 8, i % 3 == 2 ? ~0ull : 1);
    }
}
static const char *race(void (*task)(void), struct dev *d, unsigned rounds, void (*post_one)(void))
{
    unsigned done = 0;
    bool broken = false;
    sec_stop = false;
    sec_task = task;
    uint64_t r = psci(PSCI_CPU_ON, 1, sec_entry(), sec_stack());
    if (r != 0) {
        sec_task = NULL;
        return why("CPU_ON returned ", r);
    }
    for (unsigned i = 0; i < rounds && !broken; i++) {
        post_one();
        notify(d);
        uint64_t end = now() + ms_ticks(LONG_MS);
        for (;;) {
            if (used_idx(d) != d->used) {
                uint32_t id, len;
                take_used(d, &id, &len);
                done++;
                break;
            }
            if (status(d) & S_NEEDS_RESET) {
                broken = true;
                break;
            }
            if (now() > end) {
                sec_stop = true;
                sec_off(LONG_MS);
                sec_task = NULL;
                return why("neither completed nor refused: round ", i);
            }
        }
    }
    sec_stop = true;
    bool off = sec_off(LONG_MS);
    sec_task = NULL;
    if (!off)
        return "CPU 1 did not stop";
    if (broken)
        return why("the queue broke, though every mix was a good request: round ", done);
    return done == rounds ? NULL : why("completed only ", done);
}
static void post_rng0(void)
{
    post(&rng, 0);
}
static void post_blk_race(void)
{
    desc(&blk, 0, (uintptr_t)rbuf, 16, D_NEXT, 1); /* blk_hdr slot 0, rewritten by CPU 1 */
    desc(&blk, 1, wbuf(0, 512), 512, D_WRITE | D_NEXT, 2);
    desc(&blk, 2, wbuf(1024, 1), 1, D_WRITE, 0);
    post(&blk, 0);
}
static const char *smp_desc_race(void)
{
    /* rng requests on a descriptor CPU 1 keeps rewriting: each completes inside the good buffer or breaks the queue */
    if (ncpus < 2)
        return SKIP;
    wbuf(0, 64);
    wbuf(128, 64);
    desc(&rng, 0, (uintptr_t)arena, 64, D_WRITE, 0);
    return race(race_desc, &rng, 200, post_rng0);
}
static const char *smp_blk_header_race(void)
{
    /* blk requests whose header CPU 1 keeps rewriting: read, write (into a device-writable buffer: refused)
       or out of range; sector 1 is never overwritten (the health check reads it back) */
    if (ncpus < 2)
        return SKIP;
    return race(race_blk_hdr, &blk, 100, post_blk_race);
}
static const char *smp_sgi_to_off_cpu(void)
{
    /* SGIs to CPU 1 while it is off: nothing reaches us, and it still starts afterwards */
    if (ncpus < 2)
        return SKIP;
    for (unsigned i = 0; i < 16; i++)
        gic_sgi(i, 2, 0, false);
    if (drain())
        return "an SGI for CPU 1 reached CPU 0";
    return smp_on_off();
}

/* ---- interrupt abuse ---- */
static uint32_t drain(void)
{
    uint32_t id, n = 0;
    while ((id = gic_wait(5)) != SPURIOUS && n < 64) {
        gic_eoi(id);
        n++;
    }
    return n;
}
static const char *irq_still_works(void)
{
    gic_sgi(3, 1, 0, false);
    uint32_t id = gic_wait(500);
    if (id == SPURIOUS)
        return "an SGI to ourselves is not delivered any more";
    gic_eoi(id);
    drain();
    return id == 3 ? NULL : why("wrong interrupt: ", id);
}
static const char *gicd_ro(unsigned off)
{
    uint32_t v = r32(gicd + off);
    w32(gicd + off, ~v);
    w32(gicd + off, 0);
    return r32(gicd + off) == v ? irq_still_works() : why("read-only register changed at ", off);
}
static const char *irq_typer_ro(void) { return gicd_ro(GICD_TYPER); }
static const char *irq_iidr_ro(void) { return gicd_ro(GICD_IIDR); }
static const char *irq_pidr2_ro(void) { return gicd_ro((unsigned)pidr2_off()); }
static const char *irq_reserved(void)
{
    static const unsigned offs[] = { 0x00c, 0x020, 0x03c, 0x040, 0x07c, 0xf04, 0xf10, 0xfc0, 0x5000, 0xc000, 0xfffc };
    uint32_t v = 0;
    for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        if (!gic_v3 && offs[i] >= 0x1000)
            continue; /* a v2 distributor is 4 KiB */
        if (offs[i] == 0xf04 || offs[i] == 0xf10)
            continue; /* v2 SGIR and friends: not reserved there */
        w32(gicd + offs[i], 0xffffffffu);
        v |= r32(gicd + offs[i]);
    }
    return v ? why("reserved registers read ", v) : irq_still_works();
}
static const char *irq_beyond_lines(void)
{
    /* enable and pend INTIDs 992..1023, past any implemented line: RAZ/WI */
    w32(gicd + GICD_ISENABLER + 31 * 4, 0xffffffffu);
    w32(gicd + GICD_ISPENDR + 31 * 4, 0xffffffffu);
    uint32_t v = r32(gicd + GICD_ISENABLER + 31 * 4) | r32(gicd + GICD_ISPENDR + 31 * 4);
    if (v)
        return why("lines past the implemented ones read ", v);
    return drain() ? "an interrupt came from a line that does not exist" : irq_still_works();
}
static const char *irq_ctlr_sized(void)
{
    uint32_t c = r32(gicd + GICD_CTLR);
    w8(gicd + GICD_CTLR, 0);
    w16(gicd + GICD_CTLR, 0);
    (void)r8(gicd + GICD_CTLR);
    (void)r64(gicd + GICD_TYPER - 4);
    return r32(gicd + GICD_CTLR) == c ? irq_still_works() : why("CTLR changed by a narrow write: ", r32(gicd + GICD_CTLR));
}
static const char *irq_ctlr_garbage(void)
{
    uint32_t c = r32(gicd + GICD_CTLR);
    w32(gicd + GICD_CTLR, 0xffffffffu);
    w32(gicd + GICD_CTLR, c);
    return irq_still_works();
}
/* Target-list bits of CPUs that do not exist (Aff0 ncpus..7 on GICv2, ..15 on GICv3). */
static uint32_t absent_mask(void) { return (gic_v3 ? 0xffffu : 0xffu) & ~((1u << ncpus) - 1); }
static const char *irq_sgi_absent_cpus(void)
{
    gic_sgi(4, absent_mask(), 0, false); /* every CPU number past the last */
    if (gic_v3)
        gic_sgi(5, 0xffff, 7, false); /* every CPU of cluster 7 (a GICv2 target list has no clusters) */
    return drain() ? "an SGI for absent CPUs reached us" : irq_still_works();
}
static const char *irq_sgi_others(void)
{
    gic_sgi(6, 0, 0, true); /* all but ourselves: nobody, or CPUs that are off */
    return drain() ? "an SGI to the others reached us" : irq_still_works();
}
static const char *irq_sgir_reserved_filter(void)
{
    if (gic_v3)
        return irq_still_works(); /* no GICD_SGIR with affinity routing */
    w32(gicd + GICD_SGIR, 3u << 24 | 0xff << 16 | 7);
    return drain() ? "an SGI with the reserved filter was delivered" : irq_still_works();
}
static const char *irq_eoi_never_acked(void)
{
    gic_eoi(40);
    gic_eoi(TIMER_PPI);
    gic_eoi(3);
    gic_eoi(SPURIOUS);
    gic_eoi(0xffffff);
    return irq_still_works();
}
static const char *irq_dir_never_active(void)
{
    gic_dir(41);
    gic_dir(2);
    return irq_still_works();
}
static const char *irq_double_eoi(void)
{
    gic_sgi(7, 1, 0, false);
    uint32_t id = gic_wait(500);
    if (id != 7)
        return why("SGI 7 not delivered: ", id);
    gic_eoi(id);
    gic_eoi(id);
    gic_eoi(id);
    return irq_still_works();
}
static const char *irq_ack_storm(void)
{
    for (unsigned i = 0; i < 200; i++)
        if (gic_ack() != SPURIOUS)
            return "an interrupt from nowhere";
    return irq_still_works();
}
static const char *irq_spi_pend_storm(void)
{
    /* enable and pend an SPI no device drives (INTID 60), 100 times, each taken and EOId */
    unsigned got = 0;
    w32(gicd + GICD_IPRIORITYR + 60, 0xa0a0a0a0u);
    if (gic_v3) {
        w32(gicd + GICD_IGROUPR + 4, 0xffffffffu);
        w64(gicd + GICD_IROUTER + 8 * 60, 0);
    } else {
        w32(gicd + 0x800 + 60, 0x01010101u);
    }
    w32(gicd + GICD_ISENABLER + 4, 1u << 28);
    for (unsigned i = 0; i < 100; i++) {
        w32(gicd + GICD_ISPENDR + 4, 1u << 28);
        uint32_t id = gic_wait(200);
        if (id == 60)
            got++;
        if (id != SPURIOUS)
            gic_eoi(id);
    }
    w32(gicd + GICD_ICENABLER + 4, 1u << 28);
    drain();
    return got == 100 ? irq_still_works() : why("pended SPI taken only times: ", got);
}
static const char *irq_route_absent(void)
{
    /* route an SPI to a CPU that does not exist, pend it: it never reaches us */
    if (gic_v3)
        w64(gicd + GICD_IROUTER + 8 * 61, 0xff00ff0f0full);
    else
        w32(gicd + 0x800 + 60, absent_mask() * 0x01010101u);
    w32(gicd + GICD_ISENABLER + 4, 1u << 29);
    w32(gicd + GICD_ISPENDR + 4, 1u << 29);
    uint32_t n = drain();
    w32(gicd + GICD_ICPENDR + 4, 1u << 29);
    w32(gicd + GICD_ICENABLER + 4, 1u << 29);
    if (gic_v3)
        w64(gicd + GICD_IROUTER + 8 * 61, 0);
    else
        w32(gicd + 0x800 + 60, 0x01010101u);
    return n ? "an SPI routed to an absent CPU reached us" : irq_still_works();
}
static const char *irq_redist_ro(void)
{
    if (!gic_v3)
        return irq_still_works();
    uint64_t t = r64(gic2nd + GICR_TYPER);
    w64(gic2nd + GICR_TYPER, ~t);
    w32(gic2nd + GICR_TYPER, 0);
    return r64(gic2nd + GICR_TYPER) == t ? irq_still_works() : "GICR_TYPER changed";
}
static const char *irq_redist_absent_cpu(void)
{
    if (!gic_v3)
        return irq_still_works();
    uintptr_t r1 = gic2nd + 0x20000u * ncpus; /* the frames of the CPU after the last */
    w32(r1 + GICR_WAKER, 0);
    w32(r1 + GICR_SGI + GICD_ISENABLER, 0xffffffffu);
    w32(r1 + GICR_SGI + GICD_ISPENDR, 0xffffffffu);
    uint64_t v = r64(r1 + GICR_TYPER) | r32(r1 + GICR_SGI + GICD_ISENABLER);
    if (v)
        return why("an absent CPU's redistributor read ", v);
    return drain() ? "interrupts from an absent redistributor" : irq_still_works();
}
static const char *irq_cpuif_garbage(void)
{
    if (gic_v3) {
        unsigned b = exc_count;
        SYSREG_W(S3_0_C12_C12_3, 0); /* ICC_BPR1_EL1 */
        (void)SYSREG_R(S3_0_C12_C11_3); /* ICC_RPR_EL1 */
        (void)SYSREG_R(S3_0_C12_C12_2); /* ICC_HPPIR1_EL1 */
        if (exc_count != b)
            return why("CPU interface access faulted, ESR ", exc_esr);
    } else {
        w32(gic2nd + 0x08, 0xffffffffu); /* BPR */
        w32(gic2nd + 0x14, 0xffffffffu); /* RPR: read-only */
        (void)r32(gic2nd + 0xfc);        /* IIDR */
        w32(gic2nd + 0x08, 2);
    }
    return irq_still_works();
}

/* ---- the cases ---- */
enum { RNG = 1, BLK = 2, TRANSPORT = 4, CPU = 8, IRQ = 16, VSOCK = 32, NET = 64, CONSOLE = 128 };
struct hcase {
    const char *name;
    const char *expect;
    const char *(*fn)(void);
    unsigned cls;
};
#define BROKEN "DEVICE_NEEDS_RESET, nothing used or written"
#define C(fn, cls, expect) { #fn, expect, fn, cls }
static const struct hcase cases[] = {
    C(vq_loop_self, RNG, BROKEN " (loop)"),
    C(vq_loop_two, RNG, BROKEN " (loop)"),
    C(vq_loop_all, RNG, BROKEN " (loop through the whole table)"),
    C(vq_loop_tail, RNG, BROKEN " (loop after good descriptors)"),
    C(vq_next_oob, RNG, BROKEN " (next == queue size)"),
    C(vq_next_ffff, RNG, BROKEN " (next 0xffff)"),
    C(vq_head_oob, RNG, BROKEN " (head == queue size)"),
    C(vq_head_ffff, RNG, BROKEN " (head 0xffff)"),
    C(vq_indirect_nested, RNG, BROKEN " (indirect within indirect)"),
    C(vq_indirect_len_17, RNG, BROKEN " (table length 17)"),
    C(vq_indirect_len_8, RNG, BROKEN " (table length 8)"),
    C(vq_indirect_len_0, RNG, BROKEN " (table length 0)"),
    C(vq_indirect_len_257, RNG, BROKEN " (table of 257 entries)"),
    C(vq_indirect_with_next, RNG, BROKEN " (INDIRECT with NEXT)"),
    C(vq_indirect_not_negotiated, RNG, BROKEN " (INDIRECT_DESC not negotiated)"),
    C(vq_indirect_misaligned, RNG, BROKEN " (table not 16-byte aligned)"),
    C(vq_indirect_outside_ram, RNG, BROKEN " (table past RAM)"),
    C(vq_indirect_in_mmio, RNG, BROKEN " (table in the device's own window)"),
    C(vq_indirect_loop, RNG, BROKEN " (loop inside a table)"),
    C(vq_indirect_next_oob, RNG, BROKEN " (next past the table)"),
    C(vq_indirect_longer_than_queue, RNG, BROKEN " (indirect chain longer than the queue)"),
    C(vq_addr_zero_page, RNG, BROKEN " (buffer at 0x1000)"),
    C(vq_addr_below_ram, RNG, BROKEN " (buffer below RAM)"),
    C(vq_addr_at_ram_end, RNG, BROKEN " (buffer at RAM end)"),
    C(vq_addr_straddles_ram_end, RNG, BROKEN " (buffer across RAM end)"),
    C(vq_addr_own_mmio, RNG, BROKEN " (buffer in the device's own window)"),
    C(vq_addr_other_device_mmio, RNG, BROKEN " (buffer on blk's Status register)"),
    C(vq_addr_gic, RNG, BROKEN " (buffer in the GIC distributor)"),
    C(vq_addr_uart, RNG, BROKEN " (buffer in the UART)"),
    C(vq_addr_wraps, RNG, BROKEN " (address + length wraps 2^64)"),
    C(vq_addr_wraps_into_ram, RNG, BROKEN " (wraps 2^64 to 0x100)"),
    C(vq_addr_high_bits, RNG, BROKEN " (RAM address with bit 63)"),
    C(vq_readable_out_of_ram, RNG, BROKEN " (readable buffer past RAM)"),
    C(vq_huge_len, RNG, BROKEN " (4 GiB buffer)"),
    C(vq_huge_chain_total, RNG, BROKEN " (chain above 256 MiB)"),
    C(vq_zero_len, RNG, "completes with 0 bytes"),
    C(vq_zero_len_outside_ram, RNG, "zero-length buffer ignored wherever it points; 16 bytes"),
    C(vq_order, RNG, BROKEN " (readable after writable)"),
    C(vq_long_chain_gaps, RNG, "256 one-byte buffers filled, no canary between them touched"),
    C(vq_long_indirect, RNG, "256-entry indirect table filled, no canary touched"),
    C(vq_partial_fill, RNG, "4 KiB of an 8 KiB buffer filled and reported, nothing past it"),
    C(vq_avail_jump, RNG, BROKEN " (avail index +9 on a queue of 8)"),
    C(vq_avail_jump_half, RNG, BROKEN " (avail index +0x8000)"),
    C(vq_avail_backwards, RNG, BROKEN " (avail index moved back)"),
    C(vq_avail_full_then_more, RNG, "a full ring (8) completes"),
    C(vq_notify_missing_queue, RNG, "notifications for absent queues ignored"),
    C(vq_notify_before_driver_ok, RNG, "ignored before DRIVER_OK, served after"),
    C(vq_notify_not_ready_queue, RNG, "notify of a queue never enabled ignored"),
    C(vq_used_ring_scribble, RNG, "the device keeps its own used index"),
    C(vq_event_idx_garbage, RNG, "garbage used_event and avail flags: still served"),
    C(vq_desc_flags_garbage, RNG, "unknown descriptor flags ignored"),
    C(vq_readable_only, RNG, "rng with no writable buffer: 0 bytes"),
    C(vq_ring_outside_ram, RNG, "queue refused at enable: DEVICE_NEEDS_RESET"),
    C(vq_ring_in_own_mmio, RNG, "used ring in the device's window refused: DEVICE_NEEDS_RESET"),
    C(vq_ring_misaligned, RNG, "misaligned descriptor table refused: DEVICE_NEEDS_RESET"),
    C(vq_used_misaligned, RNG, "misaligned used ring refused: DEVICE_NEEDS_RESET"),
    C(vq_ring_wraps, RNG, "used ring wrapping 2^64 refused: DEVICE_NEEDS_RESET"),
    C(vq_ring_straddles_ram_end, RNG, "avail ring across RAM end refused: DEVICE_NEEDS_RESET"),
    C(blk_sector_beyond, BLK, "status IOERR"),
    C(blk_sector_wraps, BLK, "status IOERR (sector 2^64-1)"),
    C(blk_write_wraps, BLK, "status IOERR (write whose end wraps)"),
    C(blk_bad_type, BLK, "status UNSUPP"),
    C(blk_len_not_sector, BLK, "status IOERR (100-byte read)"),
    C(blk_read_into_readable, BLK, "status IOERR, read-only buffer untouched"),
    C(blk_header_short, BLK, "status IOERR (8-byte header)"),
    C(blk_no_status, BLK, BROKEN " (no status byte)"),
    C(blk_status_outside_ram, BLK, BROKEN " (status past RAM)"),
    C(blk_data_in_mmio, BLK, BROKEN " (data in the device's window)"),
    C(blk_scattered_read, BLK, "17 odd pieces filled exactly"),
    C(blk_same_buffer_twice, BLK, "overlapping buffers: writes only there"),
    C(blk_reset_in_flight, BLK, "reset with 8 reads in flight: the old rings untouched afterwards"),
    C(blk_flood, BLK, "256 reads on a 256 queue (64 at a time at the backend): all complete OK"),
    C(blk_flood_reset, BLK, "reset under 256 reads: the old used ring untouched afterwards"),
    C(blk_config_write_midflight, BLK, "config writes ignored, in-flight reads complete"),
    C(vs_request_no_listener, VSOCK, "vsock: REQUEST to a port nobody listens on: RST"),
    C(vs_spoofed_source, VSOCK, "vsock: packets with another source CID dropped, unanswered"),
    C(vs_bad_type, VSOCK, "vsock: unknown socket type: RST"),
    C(vs_bad_op, VSOCK, "vsock: unknown op: RST"),
    C(vs_len_lies, VSOCK, "vsock: length above the payload: RST"),
    C(vs_rw_unknown_connection, VSOCK, "vsock: data for no connection: RST"),
    C(vs_absent_cid, VSOCK, "vsock: a CID nobody has: RST from that CID"),
    C(vs_cid_all_ones, VSOCK, "vsock: CID 2^64-1: RST from it"),
    C(vs_rst_flood, VSOCK, "vsock: 40 refused requests, 8 rx buffers: RSTs as the ring allows, no more"),
    C(vs_neighbour_flood, VSOCK, "vsock: 64 requests to the neighbour VM: relayed or refused, the neighbour undisturbed"),
    C(vs_neighbour_lies, VSOCK, "vsock: lying headers to the neighbour refused here (RST from its CID)"),
    C(vs_tx_writable, VSOCK, "vsock: writable buffer in a tx chain: DEVICE_NEEDS_RESET"),
    C(vs_tx_short, VSOCK, "vsock: tx packet shorter than a header: DEVICE_NEEDS_RESET"),
    C(vs_rx_readable, VSOCK, "vsock: read-only rx buffers: DEVICE_NEEDS_RESET"),
    C(vs_rx_tiny, VSOCK, "vsock: rx buffers under a header: DEVICE_NEEDS_RESET"),
    C(net_tx_plain, NET, "net: a plain broadcast: sent"),
    C(net_tx_header_only, NET, "net: a header and no frame: dropped, given back"),
    C(net_tx_oversized, NET, "net: a 70000-byte frame: dropped, given back"),
    C(net_tx_csum_beyond, NET, "net: checksum field past the frame: dropped"),
    C(net_tx_csum_not_negotiated, NET, "net: NEEDS_CSUM without CSUM: dropped"),
    C(net_tx_hdr_len_beyond, NET, "net: hdr_len past the frame: dropped"),
    C(net_tx_gso_unknown, NET, "net: unknown gso_type: dropped"),
    C(net_tx_gso_size_0, NET, "net: segmentation with gso_size 0: dropped"),
    C(net_tx_gso_without_csum, NET, "net: segmentation without NEEDS_CSUM: dropped"),
    C(net_tx_tso_not_ip, NET, "net: TSO of a frame that is not TCP/IPv4: not segmented, dropped"),
    C(net_tx_tso_mss1_flood, NET, "net: 16 TSO frames with gso_size 1: segments only as the receivers' buffers allow"),
    C(net_tx_spoofed_mac, NET, "net: another source MAC: given back (the switch drops it)"),
    C(net_tx_flood, NET, "net: 512 broadcasts to a neighbour that never reads: given back, the excess dropped"),
    C(net_tx_many_pieces, NET, "net: a frame in 199 pieces: sent"),
    C(net_tx_writable, NET, "net: writable buffer in a tx chain: DEVICE_NEEDS_RESET"),
    C(net_tx_short_header, NET, "net: tx chain shorter than the header: DEVICE_NEEDS_RESET"),
    C(net_rx_frame, NET, "net rx: the ticker's frames arrive whole (612 bytes, num_buffers 1, content intact), newer each time"),
    C(net_rx_scattered, NET, "net rx: header split 5 + 7 over two descriptors, frame over two more: delivered intact"),
    C(net_rx_indirect, NET, "net rx: an indirect table of 3 + 9 + 300 + 1000 bytes: delivered intact"),
    C(net_rx_mrg_pressure, NET, "net rx: MRG_RXBUF with 256 buffers of 16 bytes: num_buffers 39, content intact, twice"),
    C(net_rx_mrg_one_byte, NET, "net rx: MRG_RXBUF buffers of 1 byte: " BROKEN),
    C(net_rx_mrg_ring_too_small, NET, "net rx: MRG_RXBUF ring holding 116 bytes: frames dropped, nothing used, no reset"),
    C(net_rx_too_small, NET, "net rx: 100-byte buffers without MRG_RXBUF: frames dropped, no reset; 2 KiB ones then take frames"),
    C(net_rx_readable, NET, "net rx: device-readable buffers: " BROKEN),
    C(net_rx_readable_after_writable, NET, "net rx: readable after writable in a chain: " BROKEN),
    C(net_rx_header_short, NET, "net rx: 10-byte buffers (the header is 12): " BROKEN),
    C(net_rx_zero_len, NET, "net rx: zero-length buffers: " BROKEN),
    C(net_rx_outside_ram, NET, "net rx: buffers past RAM: " BROKEN),
    C(net_rx_in_own_mmio, NET, "net rx: buffers in its own MMIO window: " BROKEN ", registers unchanged"),
    C(net_rx_wraps, NET, "net rx: a buffer wrapping 2^64: " BROKEN),
    C(net_rx_loop, NET, "net rx: a descriptor loop: " BROKEN),
    C(net_rx_next_oob, NET, "net rx: next == queue size: " BROKEN),
    C(net_rx_indirect_nested, NET, "net rx: indirect within indirect: " BROKEN),
    C(net_rx_avail_jump, NET, "net rx: avail index 17 on a queue of 8: " BROKEN),
    C(net_rx_head_oob, NET, "net rx: head == queue size: " BROKEN),
    C(net_rx_not_set_up, NET, "net rx: receive queue never set up while frames arrive: no reset, tx works; set up, frames arrive"),
    C(net_rx_no_buffers, NET, "net rx: 2 s of frames with no buffers: no reset; then buffers: newer frames, in order"),
    C(net_rx_never_drains, NET, "net rx: 8 buffers filled and kept 3 s: its 15 tx frames given back; drained: newer frames"),
    C(net_rx_reset_while_arriving, NET, "net rx: 10 resets while frames arrive: nothing written to the old buffers after"),
    C(con_mp_handshake, CONSOLE, "console MULTIPORT: DEVICE_ADD per port, CONSOLE_PORT, PORT_NAME, PORT_OPEN; both ports print"),
    C(con_mp_short, CONSOLE, "console control: messages of 0/1/4/7 bytes dropped; the channel still works"),
    C(con_mp_long, CONSOLE, "console control: messages of 9 and 128 bytes dropped; the channel still works"),
    C(con_mp_split, CONSOLE, "console control: a message in two 4-byte pieces is answered"),
    C(con_mp_unknown_events, CONSOLE, "console control: device-only and unknown events dropped; the channel still works"),
    C(con_mp_port_oob, CONSOLE, "console control: PORT_READY/PORT_OPEN past max_nr_ports dropped; port 0 answered"),
    C(con_mp_bad_values, CONSOLE, "console control: DEVICE_READY 2/0xffff/0 announce nothing; 1 does"),
    C(con_mp_ready_twice, CONSOLE, "console control: DEVICE_READY three times: ports announced once"),
    C(con_mp_open_before_ready, CONSOLE, "console control: PORT_OPEN before READY ignored; port 0 prints; handshake after"),
    C(con_mp_flood, CONSOLE, "console control: 300 PORT_READY, 8 buffers: all given back, answers bounded, console prints"),
    C(con_mp_rx_readable, CONSOLE, "console control: device-readable receive buffers: " BROKEN),
    C(con_mp_rx_short, CONSOLE, "console control: 4-byte receive buffers: " BROKEN),
    C(con_mp_rx_outside_ram, CONSOLE, "console control: receive buffers past RAM: " BROKEN),
    C(con_mp_rx_in_mmio, CONSOLE, "console control: receive buffers in its MMIO window: " BROKEN),
    C(con_mp_rx_name_truncated, CONSOLE, "console control: 8-byte buffers: PORT_NAME cut to 8 bytes, nothing past"),
    C(con_mp_tx_writable, CONSOLE, "console control: a message in a device-writable buffer given back, dropped"),
    C(con_mp_tx_outside_ram, CONSOLE, "console control: a message past RAM: " BROKEN),
    C(con_mp_no_ctrl_queues, CONSOLE, "console MULTIPORT without control queues: notifies harmless, both ports print"),
    C(tr_features_not_offered, TRANSPORT, "FEATURES_OK refused"),
    C(tr_features_no_version1, TRANSPORT, "FEATURES_OK refused"),
    C(tr_features_sel_high, TRANSPORT, "feature words above 63 read 0, writes ignored"),
    C(tr_features_after_features_ok, TRANSPORT, "feature write after FEATURES_OK ignored"),
    C(tr_driver_ok_without_features_ok, TRANSPORT, "DRIVER_OK refused"),
    C(tr_status_clear_bits, TRANSPORT, "clearing status bits refused"),
    C(tr_status_garbage, TRANSPORT, "FAILED and undefined status bits: no crash"),
    C(tr_failed_then_setup, TRANSPORT, "queue setup after FAILED refused"),
    C(tr_qnum_0, TRANSPORT, "queue size 0: DEVICE_NEEDS_RESET"),
    C(tr_qnum_3, TRANSPORT, "queue size 3: DEVICE_NEEDS_RESET"),
    C(tr_qnum_512, TRANSPORT, "queue size 512 > max: DEVICE_NEEDS_RESET"),
    C(tr_qnum_65536, TRANSPORT, "queue size 65536: DEVICE_NEEDS_RESET"),
    C(tr_qnum_ffffffff, TRANSPORT, "queue size 2^32-1: DEVICE_NEEDS_RESET"),
    C(tr_queue_before_features_ok, TRANSPORT, "queue setup before FEATURES_OK refused"),
    C(tr_queue_sel_oob, TRANSPORT, "absent queues read 0, writes ignored"),
    C(tr_queue_reprogram_while_ready, TRANSPORT, "ring changes while enabled ignored"),
    C(tr_queue_disable_without_reset, TRANSPORT, "QueueReady 0 without reset refused"),
    C(tr_queue_ready_twice, TRANSPORT, "second QueueReady ignored"),
    C(tr_needs_reset_then_notify, TRANSPORT, "a device needing reset ignores notifications"),
    C(tr_reset_mid_setup, TRANSPORT, "reset during setup clears it"),
    C(tr_read_magic_1, TRANSPORT, "1-byte register read: 0"),
    C(tr_read_magic_2, TRANSPORT, "2-byte register read: 0"),
    C(tr_read_magic_8, TRANSPORT, "8-byte register read: 0"),
    C(tr_read_status_1, TRANSPORT, "1-byte Status read: 0"),
    C(tr_write_status_1, TRANSPORT, "1-byte Status write ignored"),
    C(tr_write_status_2, TRANSPORT, "2-byte Status write ignored"),
    C(tr_write_status_8, TRANSPORT, "8-byte Status write ignored"),
    C(tr_notify_sized, TRANSPORT, "1/2/8-byte QueueNotify ignored"),
    C(tr_write_features_8, TRANSPORT, "8-byte feature write ignored"),
    C(tr_config_read_8, TRANSPORT, "8-byte config read: 0"),
    C(tr_config_read_beyond, TRANSPORT, "config reads past its size: 0"),
    C(tr_config_write_rng, TRANSPORT, "config write to a device without config ignored"),
    C(tr_read_write_only, TRANSPORT, "write-only registers read 0"),
    C(tr_write_read_only, TRANSPORT, "read-only registers unchanged"),
    C(tr_unknown_regs, TRANSPORT, "unknown registers read 0"),
    C(tr_shm_none, TRANSPORT, "no shared memory regions"),
    C(tr_interrupt_ack_garbage, TRANSPORT, "garbage InterruptACK harmless"),
    C(tr_empty_slots, TRANSPORT, "empty virtio slots read 0, writes ignored"),
    C(tr_unmapped_space, TRANSPORT, "unmapped space reads 0, writes ignored"),
    C(tr_reg_past_window, TRANSPORT, "8-byte access at a window's end ignored"),
    C(tr_console_abuse, TRANSPORT, "console: loop -> DEVICE_NEEDS_RESET; after reset it prints"),
    C(tr_console_notify_all, TRANSPORT, "console: notifies of every queue number harmless"),
    C(cpu_psci_version, CPU, "PSCI 1.x"),
    C(cpu_on_self, CPU, "ALREADY_ON"),
    C(cpu_on_absent, CPU, "INVALID_PARAMETERS (the CPU after the last)"),
    C(cpu_on_absent_cluster, CPU, "INVALID_PARAMETERS (cluster 1)"),
    C(cpu_on_mpidr_all_ones, CPU, "INVALID_PARAMETERS (all ones)"),
    C(cpu_on_smc32_absent, CPU, "INVALID_PARAMETERS (SMC32 CPU_ON, CPU 7)"),
    C(cpu_affinity_absent, CPU, "INVALID_PARAMETERS"),
    C(cpu_affinity_self, CPU, "ON"),
    C(cpu_affinity_bad_level, CPU, "INVALID_PARAMETERS or ON (lowest level 7)"),
    C(cpu_features_unknown, CPU, "NOT_SUPPORTED"),
    C(cpu_features_high_bits, CPU, "NOT_SUPPORTED, or SUCCESS for the truncated id"),
    C(cpu_features_reset2, CPU, "NOT_SUPPORTED or SUCCESS"),
    C(cpu_migrate, CPU, "NOT_SUPPORTED"),
    C(cpu_migrate_info, CPU, "2 (no migration needed) or NOT_SUPPORTED"),
    C(cpu_stat_count, CPU, "NOT_SUPPORTED"),
    C(cpu_unknown_fids, CPU, "NOT_SUPPORTED for 10 unknown function ids"),
    C(cpu_fid_high_bits, CPU, "PSCI_VERSION with bits 63:32 set: NOT_SUPPORTED or the version"),
    C(cpu_smccc_version, CPU, "SMCCC 1.x"),
    C(cpu_smccc_arch_features_unknown, CPU, "NOT_SUPPORTED"),
    C(cpu_other_conduit, CPU, "the other conduit: NOT_SUPPORTED or answered"),
    C(cpu_smc_imm, CPU, "non-zero immediate: survived"),
    C(cpu_suspend, CPU, "CPU_SUSPEND returns SUCCESS, the timer still fires"),
    C(cpu_suspend_bad_state, CPU, "CPU_SUSPEND with garbage state: SUCCESS or INVALID_PARAMETERS"),
    C(cpu_sysreg_impdef, CPU, "IMPDEF system registers: RAZ/WI or UNDEF"),
    C(cpu_sysreg_impdef_el1, CPU, "more IMPDEF encodings: RAZ/WI or UNDEF"),
    C(cpu_sysreg_debug, CPU, "debug registers: RAZ/WI or UNDEF"),
    C(cpu_sysreg_pmu, CPU, "PMU registers: RAZ/WI or UNDEF"),
    C(cpu_sysreg_gic_sgi_garbage, CPU, "all-ones SGI generation registers harmless"),
    C(cpu_wfi_storm, CPU, "200 timer-woken WFIs all return"),
    C(cpu_wfi_pending, CPU, "1000 WFIs with an interrupt pending return at once"),
    C(cpu_wfe_storm, CPU, "10000 WFEs return"),
    C(smp_on_outside_ram, CPU, "CPU_ON of CPU 1 at an entry past RAM: INVALID_ADDRESS, it stays off"),
    C(smp_on_misaligned, CPU, "CPU_ON at a misaligned entry: INVALID_ADDRESS"),
    C(smp_on_in_mmio, CPU, "CPU_ON at an entry in a device window: INVALID_ADDRESS"),
    C(smp_on_zero, CPU, "CPU_ON at entry 0: INVALID_ADDRESS"),
    C(smp_on_wraps, CPU, "CPU_ON at an entry 4 bytes below 2^64: INVALID_ADDRESS"),
    C(smp_on_off, CPU, "CPU_ON of CPU 1: it runs once and turns itself off"),
    C(smp_on_twice, CPU, "CPU_ON twice: ALREADY_ON (or ON_PENDING) the second time"),
    C(smp_on_off_storm, CPU, "20 rounds of CPU_ON and CPU_OFF"),
    C(smp_desc_race, CPU, "rng descriptor rewritten by CPU 1 during 200 requests: all served, only into the buffers it named"),
    C(smp_blk_header_race, CPU, "blk header rewritten by CPU 1 during 100 requests: statuses only, sector 1 intact"),
    C(smp_sgi_to_off_cpu, CPU, "SGIs to an off CPU go nowhere; it starts afterwards"),
    C(irq_typer_ro, IRQ, "GICD_TYPER write ignored"),
    C(irq_iidr_ro, IRQ, "GICD_IIDR write ignored"),
    C(irq_pidr2_ro, IRQ, "GICD_PIDR2 write ignored"),
    C(irq_reserved, IRQ, "reserved GICD registers RAZ/WI"),
    C(irq_beyond_lines, IRQ, "INTIDs past the implemented lines RAZ/WI"),
    C(irq_ctlr_sized, IRQ, "narrow GICD_CTLR accesses ignored"),
    C(irq_ctlr_garbage, IRQ, "all-ones GICD_CTLR harmless"),
    C(irq_sgi_absent_cpus, IRQ, "SGIs to absent CPUs dropped"),
    C(irq_sgi_others, IRQ, "SGI to all others (none) dropped"),
    C(irq_sgir_reserved_filter, IRQ, "GICD_SGIR reserved filter ignored"),
    C(irq_eoi_never_acked, IRQ, "EOI of interrupts never acknowledged ignored"),
    C(irq_dir_never_active, IRQ, "deactivation of inactive interrupts ignored"),
    C(irq_double_eoi, IRQ, "repeated EOI ignored"),
    C(irq_ack_storm, IRQ, "200 acknowledges with nothing pending: spurious"),
    C(irq_spi_pend_storm, IRQ, "an SPI pended 100 times is taken 100 times"),
    C(irq_route_absent, IRQ, "an SPI routed to an absent CPU never arrives"),
    C(irq_redist_ro, IRQ, "GICR_TYPER write ignored"),
    C(irq_redist_absent_cpu, IRQ, "an absent CPU's redistributor RAZ/WI"),
    C(irq_cpuif_garbage, IRQ, "CPU interface garbage harmless"),
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static struct dev *find_dev(uint32_t id)
{
    for (unsigned i = 0; i < nvirtio; i++)
        if (r32(virtio_base[i] + MAGIC) == 0x74726976u && r32(virtio_base[i] + DEVICE_ID) == id)
            return (struct dev *)(uintptr_t)virtio_base[i]; /* the base, as a token */
    return NULL;
}

static void poweroff(void)
{
    psci(PSCI_SYSTEM_OFF, 0, 0, 0);
    for (;;)
        __asm__ volatile("wfi");
}

static void final_case(void)
{
    /*
     * Stops the VM by design: a load pair from a device register has no instruction syndrome, so
     * the VMM cannot emulate it and stops the VM with a message (svmm on seL4: "unemulatable
     * access"; KVM: the access is refused and svmm stops the VM). If the VM is still running
     * afterwards, say so and power off.
     */
    uint64_t a, b;
    puts_("HOSTILE final: ldp from a virtio register (expected: the VM is stopped with a message)\n");
    __asm__ volatile("ldp %0, %1, [%2]" : "=r"(a), "=r"(b) : "r"(rng.base) : "memory");
    puts_("HOSTILE final: still running after the ldp (");
    putx(a);
    puts_(", exceptions ");
    putu(exc_count);
    puts_(")\n");
    poweroff();
}

void hostile_main(uint64_t dtb)
{
    unsigned ok = 0, failed = 0, skipped = 0, per_cls[7] = { 0 };
    uint64_t t0;

    freq = SYSREG_R(cntfrq_el0);
    puts_("HOSTILE start\n");
    if (!parse_dtb((const uint8_t *)dtb)) {
        puts_("HOSTILE FAIL setup: no usable device tree in x0\n");
        poweroff();
    }
    rng.base = (uintptr_t)find_dev(ID_RNG);
    blk.base = (uintptr_t)find_dev(ID_BLK);
    con.base = cci.base = cco.base = cp1.base = (uintptr_t)find_dev(ID_CONSOLE);
    vrx.base = vtx.base = (uintptr_t)find_dev(ID_VSOCK);
    nrx.base = ntx.base = (uintptr_t)find_dev(ID_NET);
    puts_("HOSTILE layout: RAM ");
    putx(ram_base);
    puts_("+");
    putx(ram_size);
    puts_(gic_v3 ? " GICv3 " : " GICv2 ");
    putx(gicd);
    puts_(psci_smc ? " psci=smc" : " psci=hvc");
    puts_(" rng ");
    putx(rng.base);
    puts_(" blk ");
    putx(blk.base);
    puts_(" console ");
    putx(con.base);
    puts_(" vsock ");
    putx(vrx.base);
    puts_(" net ");
    putx(nrx.base);
    puts_(" cpus ");
    putu(ncpus);
    putc_('\n');
    if (!rng.base || !blk.base) {
        puts_("HOSTILE FAIL setup: needs a virtio-rng and a virtio-blk\n");
        poweroff();
    }
    gic_init();
    drain();
    /* sector 1 gets a known pattern: every health check reads it back */
    if (setup(&blk, FEAT, 8) < 0) {
        puts_("HOSTILE FAIL setup: blk refused a clean setup\n");
        poweroff();
    }
    for (unsigned i = 0; i < 512; i++)
        rbuf[8192 + i] = (uint8_t)(i * 7 + 3);
    if (blk_rw(&blk, 1, 1, (uintptr_t)rbuf + 8192, 512, (uintptr_t)aux + 2048, LONG_MS) != 0) {
        puts_("HOSTILE FAIL setup: blk write of sector 1 failed\n");
        poweroff();
    }
    t0 = now();
    for (unsigned i = 0; i < NCASES; i++) {
        const struct hcase *c = &cases[i];
        const char *e;
        uintptr_t breach;
        unsigned exc0;

        per_cls[c->cls == RNG || c->cls == BLK ? 0 : c->cls == TRANSPORT ? 1 : c->cls == CPU ? 2 : c->cls == IRQ ? 3 : c->cls == VSOCK ? 4 : c->cls == NET ? 5 : 6]++;
        memset(arena, PATTERN, sizeof(arena));
        nallowed = 0;
        e = health(); /* fresh devices, queue size 8, and proof they serve before the attack */
        if (e) {
            puts_("HOSTILE FAIL ");
            puts_(c->name);
            puts_(": before the case: ");
            puts_(e);
            putc_('\n');
            failed++;
            continue;
        }
        exc0 = exc_count;
        e = c->fn();
        if (e == SKIP) {
            skipped++;
            puts_("HOSTILE skip ");
            puts_(c->name);
            puts_(c->cls == NET ? ": no virtio-net\n" : c->cls == VSOCK ? ": no virtio-vsock\n"
                  : c->cls == CONSOLE ? ": no virtio-console with MULTIPORT (and a port 1)\n"
                  : c->cls == TRANSPORT ? ": no virtio-console\n" : ncpus < 2 ? ": needs 2 vCPUs\n"
                  : ": not on this platform\n");
            continue;
        }
        if (!e && (breach = canary_breach()) != 0)
            e = why("write outside what a descriptor allowed at ", breach);
        if (!e && c->cls != CPU && exc_count != exc0)
            e = why("the guest took an exception, ESR ", exc_esr);
        if (!e)
            e = health();
        if (!e) {
            ok++;
            puts_("HOSTILE ok ");
            puts_(c->name);
            puts_(": ");
            puts_(c->expect);
        } else {
            failed++;
            puts_("HOSTILE FAIL ");
            puts_(c->name);
            puts_(": ");
            puts_(e);
            puts_(" (expected: ");
            puts_(c->expect);
            putc_(')');
        }
        putc_('\n');
    }
    puts_("HOSTILE classes: virtqueue ");
    putu(per_cls[0]);
    puts_(" transport ");
    putu(per_cls[1]);
    puts_(" cpu ");
    putu(per_cls[2]);
    puts_(" interrupt ");
    putu(per_cls[3]);
    puts_(" vsock ");
    putu(per_cls[4]);
    puts_(" net ");
    putu(per_cls[5]);
    puts_(" console ");
    putu(per_cls[6]);
    puts_(" exceptions taken ");
    putu(exc_count);
    puts_(" ms ");
    putu((now() - t0) * 1000 / freq);
    putc_('\n');
    puts_("HOSTILE summary: ");
    putu(NCASES);
    puts_(" cases, ");
    putu(ok);
    puts_(" ok, ");
    putu(failed);
    puts_(" failed, ");
    putu(skipped);
    puts_(" skipped\n");
#ifdef HOSTILE_NO_FINAL
    poweroff();
#else
    final_case();
#endif
}
#endif
