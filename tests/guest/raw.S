/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A non-relocatable guest (issue 13 part 4): a raw binary with no Linux Image header, built for one
 * guest-physical address (tests/guest/raw.ld: 0x48000000) and correct only there. Every address it
 * uses comes from a literal pool (absolute), so loaded anywhere else it reads the wrong words and
 * says so (that message alone is found pc-relative, and the UART is at a fixed address). It prints on the 16550 UART at 0x09000000, then powers off through PSCI SYSTEM_OFF:
 * HVC first (KVM); on seL4 the HVC is answered NOT_SUPPORTED and the SMC that follows does it.
 */
    .section .text.start, "ax"
    .globl _start
_start:
    ldr     x1, =check_word         /* an absolute address: right only at the linked place */
    ldr     w2, [x1]
    ldr     w3, =0x52415721         /* "RAW!" */
    ldr     x4, =msg_ok
    cmp     w2, w3
    b.eq    1f
    adr     x4, msg_bad             /* pc-relative: found wherever the binary was put */
1:  ldr     x5, =0x09000000         /* UART: THR at +0, LSR at +5 (bit 5: THR empty) */
2:  ldrb    w6, [x4], #1
    cbz     w6, 4f
3:  ldrb    w7, [x5, #5]
    tbz     w7, #5, 3b
    strb    w6, [x5]
    b       2b
4:  ldr     x0, =0x84000008         /* PSCI SYSTEM_OFF */
    hvc     #0
    ldr     x0, =0x84000008
    smc     #0
5:  wfi
    b       5b

    .balign 4
check_word:
    .long   0x52415721
msg_ok:
    .asciz  "RAW-GUEST ok: running where it was linked (0x48000000), no Image header\r\n"
msg_bad:
    .asciz  "RAW-GUEST BAD: loaded somewhere it was not linked for\r\n"
