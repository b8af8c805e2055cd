/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Entry of the bench guest: a 64-byte arm64 Image header (Documentation/arch/arm64/booting.rst)
 * so svmm loads it exactly like a Linux kernel, then a stack and a jump to C. Entered at EL1 with
 * the MMU off, x0 = DTB address (unused). The first thing done is reading the virtual counter:
 * under QEMU -icount that is the instruction count from reset to the guest's first instruction.
 */
    .section .text.head, "ax"
    .globl _head
_head:
    b       _start                  /* code0 */
    .long   0                       /* code1 */
    .quad   0                       /* text_offset */
    .quad   _image_end - _head      /* image_size: file and bss, so the loader leaves room */
    .quad   0xa                     /* flags: little-endian, 4 KiB pages, anywhere in RAM */
    .quad   0, 0, 0                 /* res2..res4 */
    .ascii  "ARM\x64"               /* magic */
    .long   0                       /* res5 (no PE header) */

_start:
    isb
    mrs     x19, cntvct_el0         /* time of the first guest instruction, before anything else */
    adr     x1, _stack_top
    mov     sp, x1
    adr     x1, _bss_start          /* zero .bss (position independent: adr only) */
    adr     x2, _bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  mov     x0, x19
    bl      bench_main
3:  wfi
    b       3b
