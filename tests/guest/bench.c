/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Bench guest: measures what a trapped MMIO access costs the guest, in instructions, under QEMU
 * -icount shift=0. Bare metal (EL1, MMU off), booted by svmm like a Linux kernel (see head.S).
 *
 * Method: the same three-instruction loop (access; subs; b.ne) runs N times against guest RAM and
 * against an emulated device register, bracketed by isb; mrs cntvct_el0. With -icount shift=0 QEMU's
 * virtual clock advances exactly 1 ns per executed instruction, at every exception level (guest, seL4
 * kernel, VMM), and CNTVCT_EL0 = virtual ns * CNTFRQ_EL0 / 1e9 (seL4 here does not move CNTVOFF:
 * CONFIG_VTIMER_UPDATE_VOFFSET is off). So
 *     instructions per access = (ticks_device - ticks_ram) * 1e9 / CNTFRQ / N
 * which counts everything the machine executes between the trap and the guest's next instruction.
 * Resolution: one tick (16 instructions at QEMU's 62.5 MHz) over N accesses.
 *
 * Output, through the emulated 16550 at 0x09000000 (one trapped store per byte), lines of the form
 *     BENCH <name> n=<N> ticks=<t> insn_per_access=<x.y>
 * then PSCI SYSTEM_OFF through SMC.
 */
#include <stdint.h>

#define GICD_BASE 0x08000000ul
#define GICD_TYPER 0x004 /* read-only, a constant: the exit path with the least device work */
#define GICD_ISENABLER1 0x104 /* SPIs 0-31 set-enable: a distributor register every GIC model has */
#define UART_BASE 0x09000000ul
#define UART_SCR 7 /* 16550 scratch register: a store with no side effect */
#define PSCI_SYSTEM_OFF 0x84000008ul
#ifndef N
#define N 4096
#endif
#define ROUNDS 3

void bench_main(uint64_t first_insn_ticks);

static volatile uint32_t ram_word;
static volatile uint8_t ram_byte;

static inline uint64_t cntfrq(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

static void putc_uart(char c)
{
    *(volatile uint8_t *)UART_BASE = (uint8_t)c; /* THR: the emulated UART is always ready */
}

static void puts_uart(const char *s)
{
    while (*s)
        putc_uart(*s++);
}

static void putu(uint64_t v)
{
    char buf[24];
    int i = 0;

    do {
        buf[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (i)
        putc_uart(buf[--i]);
}

/* Ticks for n 32-bit loads from addr. */
static uint64_t time_ldr32(uintptr_t addr, uint64_t n)
{
    uint64_t t0, t1, tmp;

    __asm__ volatile("isb\n\tmrs %0, cntvct_el0\n"
                     "1:\tldr %w2, [%3]\n\tsubs %4, %4, #1\n\tb.ne 1b\n"
                     "\tisb\n\tmrs %1, cntvct_el0"
                     : "=&r"(t0), "=&r"(t1), "=&r"(tmp), "+r"(addr), "+r"(n)
                     :
                     : "memory", "cc");
    return t1 - t0;
}

/* Ticks for n 32-bit stores of zero to addr. */
__attribute__((unused)) static uint64_t time_str32(uintptr_t addr, uint64_t n)
{
    uint64_t t0, t1;

    __asm__ volatile("isb\n\tmrs %0, cntvct_el0\n"
                     "1:\tstr wzr, [%2]\n\tsubs %3, %3, #1\n\tb.ne 1b\n"
                     "\tisb\n\tmrs %1, cntvct_el0"
                     : "=&r"(t0), "=&r"(t1), "+r"(addr), "+r"(n)
                     :
                     : "memory", "cc");
    return t1 - t0;
}

/* Ticks for n byte stores of x1 (a register other than xzr, like a real console driver) to addr. */
__attribute__((unused)) static uint64_t time_strb(uintptr_t addr, uint64_t n)
{
    uint64_t t0, t1, val = 'x';

    __asm__ volatile("isb\n\tmrs %0, cntvct_el0\n"
                     "1:\tstrb %w4, [%2]\n\tsubs %3, %3, #1\n\tb.ne 1b\n"
                     "\tisb\n\tmrs %1, cntvct_el0"
                     : "=&r"(t0), "=&r"(t1), "+r"(addr), "+r"(n)
                     : "r"(val)
                     : "memory", "cc");
    return t1 - t0;
}

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Instructions per access, times 10 (one decimal), from the best of ROUNDS runs of each loop. */
static void report(const char *name, uint64_t dev_ticks, uint64_t ram_ticks, uint64_t freq)
{
    uint64_t d = dev_ticks > ram_ticks ? dev_ticks - ram_ticks : 0;
    uint64_t x10 = (d * 1000000000ull / freq) * 10 / N;

    puts_uart("BENCH ");
    puts_uart(name);
    puts_uart(" n=");
    putu(N);
    puts_uart(" ticks=");
    putu(dev_ticks);
    puts_uart(" ram_ticks=");
    putu(ram_ticks);
    puts_uart(" insn_per_access=");
    putu(x10 / 10);
    putc_uart('.');
    putu(x10 % 10);
    putc_uart('\n');
}

typedef uint64_t (*timed_fn)(uintptr_t, uint64_t);

static uint64_t best(timed_fn f, uintptr_t addr)
{
    uint64_t r[ROUNDS];

    for (int i = 0; i < ROUNDS; i++)
        r[i] = f(addr, N);
    return min3(r[0], r[1], r[2]);
}

void bench_main(uint64_t first_insn_ticks)
{
    uint64_t freq = cntfrq();
    uint64_t ram_ld = best(time_ldr32, (uintptr_t)&ram_word);
    uint64_t typer_ld = best(time_ldr32, GICD_BASE + GICD_TYPER);
#ifndef BENCH_ONLY_TYPER /* (for profiling one path at a time) */
    uint64_t ram_st = best(time_str32, (uintptr_t)&ram_word);
    uint64_t ram_stb = best(time_strb, (uintptr_t)&ram_byte);
    uint64_t gicd_ld = best(time_ldr32, GICD_BASE + GICD_ISENABLER1);
    uint64_t gicd_st = best(time_str32, GICD_BASE + GICD_ISENABLER1);
    uint64_t uart_st = best(time_strb, UART_BASE + UART_SCR);
#endif

    puts_uart("\nsvmm bench guest: cntfrq=");
    putu(freq);
    puts_uart(" Hz\nBENCH first_insn ticks=");
    putu(first_insn_ticks);
    puts_uart(" ns=");
    putu(first_insn_ticks * 1000000000ull / freq);
    putc_uart('\n');
    report("gicd_typer_load", typer_ld, ram_ld, freq);
#ifndef BENCH_ONLY_TYPER
    report("gicd_isenabler_load", gicd_ld, ram_ld, freq);
    report("gicd_isenabler_store", gicd_st, ram_st, freq);
    report("uart_scr_store", uart_st, ram_stb, freq);
#endif
    puts_uart("BENCH done\n");
    __asm__ volatile("mov x0, %0\n\tsmc #0" : : "r"(PSCI_SYSTEM_OFF) : "x0", "x1", "x2", "x3", "memory");
    for (;;)
        __asm__ volatile("wfi");
}
