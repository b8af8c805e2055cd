/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The little C runtime a freestanding protection domain needs beyond picolibc's string and format
 * functions: stack-protector hooks (Debian builds libfdt with -fstack-protector-strong) that stop
 * the PD loudly instead of pulling in picolibc's stdio/signal exit path.
 */
#include <microkit.h>
#include <stdint.h>

uintptr_t __stack_chk_guard = 0x5a17c0de5a17c0deull;

void __stack_chk_fail(void);
void __stack_chk_fail(void)
{
    microkit_dbg_puts("svmm|error: stack smashing detected: VMM halted\n");
    for (;;)
        seL4_Yield();
}
