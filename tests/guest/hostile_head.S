/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Entry of the hostile guest (tests/guest/hostile.c): the arm64 Image header svmm loads like a
 * Linux kernel's, a stack, an exception vector table (so that an UNDEF or abort the platform
 * injects for an attack is recorded and skipped instead of killing the guest), then C with
 * x0 = the DTB svmm passed. EL1, MMU off, interrupts masked throughout (WFI still wakes).
 */
    .section .text.head, "ax"
    .globl _head
_head:
    b       _start                  /* code0 */
    .long   0                       /* code1 */
    .quad   0                       /* text_offset */
    .quad   _image_end - _head      /* image_size: file and bss */
    .quad   0xa                     /* flags: little-endian, 4 KiB pages, anywhere in RAM */
    .quad   0, 0, 0                 /* res2..res4 */
    .ascii  "ARM\x64"               /* magic */
    .long   0                       /* res5 */

_start:
    mov     x20, x0                 /* DTB */
    msr     daifset, #0xf
    adr     x1, _stack_top
    mov     sp, x1
    adr     x1, vectors
    msr     vbar_el1, x1
    isb
    adr     x1, _bss_start
    adr     x2, _bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  mov     x0, x20
    bl      hostile_main
3:  wfi
    b       3b

/* A secondary vCPU's entry (PSCI CPU_ON): x0 = the top of its stack, the vectors, then C. */
    .globl secondary_entry
    .balign 8
secondary_entry:
    msr     daifset, #0xf
    mov     sp, x0
    adr     x1, vectors
    msr     vbar_el1, x1
    isb
    bl      secondary_main
4:  wfi
    b       4b

/* Every vector saves the caller-saved registers and calls exc_entry(kind); it returns the ELR to use. */
    .macro vent kind
    .balign 0x80
    sub     sp, sp, #192
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x30, [sp, #144]
    mov     x0, #\kind
    b       exc_common
    .endm

    .balign 0x800
vectors:
    vent 0      /* current EL, SP0: sync */
    vent 1
    vent 2
    vent 3
    vent 0      /* current EL, SPx: sync */
    vent 1      /* irq */
    vent 2      /* fiq */
    vent 3      /* serror */
    vent 4      /* lower EL: never */
    vent 4
    vent 4
    vent 4
    vent 4
    vent 4
    vent 4
    vent 4

exc_common:
    bl      exc_entry
    msr     elr_el1, x0
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x30, [sp, #144]
    add     sp, sp, #192
    eret
