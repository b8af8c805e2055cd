/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A native Microkit component for the composer's tests (components: in a system description): a
 * protection domain beside the VMMs that says it runs. tests/compose builds it with the SDK.
 */
#include <microkit.h>

void init(void)
{
    microkit_dbg_puts("component ");
    microkit_dbg_puts(microkit_name);
    microkit_dbg_puts(": native component running\n");
}

void notified(microkit_channel ch)
{
    (void)ch;
}
