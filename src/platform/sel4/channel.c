/* SPDX-License-Identifier: BSD-2-Clause */
/* Channel hooks and deferred work (svmm/sel4/channel.h). */
#include <microkit.h>
#include <string.h>
#include <svmm/sel4/channel.h>

static struct hook {
    unsigned ch;
    void (*fn)(void *);
    void *ctx;
    bool when_stopped; /* runs once the VM has stopped for good, too */
} notify_hooks[SEL4_MAX_HOOKS], deferred[SEL4_MAX_HOOKS];
static unsigned nnotify_hooks, ndeferred;

void sel4_channel_notify(unsigned ch)
{
    microkit_notify(ch);
}

static int add_notify_hook(unsigned ch, void (*fn)(void *), void *ctx, bool when_stopped)
{
    if (nnotify_hooks == SEL4_MAX_HOOKS)
        return -1;
    notify_hooks[nnotify_hooks++] = (struct hook){ ch, fn, ctx, when_stopped };
    return 0;
}

int sel4_on_notify(unsigned ch, void (*fn)(void *), void *ctx)
{
    return add_notify_hook(ch, fn, ctx, false);
}

int sel4_on_notify_always(unsigned ch, void (*fn)(void *), void *ctx)
{
    return add_notify_hook(ch, fn, ctx, true);
}

int sel4_defer(void (*fn)(void *), void *ctx)
{
    for (unsigned i = 0; i < ndeferred; i++)
        if (deferred[i].fn == fn && deferred[i].ctx == ctx)
            return 0; /* already queued */
    if (ndeferred == SEL4_MAX_HOOKS)
        return -1;
    deferred[ndeferred++] = (struct hook){ 0, fn, ctx, false };
    return 0;
}

bool sel4_channel_deferred_pending(void)
{
    return ndeferred != 0;
}

void sel4_channel_run_deferred(void)
{
    for (unsigned round = 0; ndeferred && round < 4; round++) {
        struct hook now[SEL4_MAX_HOOKS];
        unsigned n = ndeferred;
        memcpy(now, deferred, sizeof(now[0]) * n);
        ndeferred = 0;
        for (unsigned i = 0; i < n; i++)
            now[i].fn(now[i].ctx);
    }
}

void sel4_channel_dispatch(unsigned ch, bool running, bool stopped)
{
    for (unsigned i = 0; i < nnotify_hooks; i++)
        if (notify_hooks[i].ch == ch && (running || (notify_hooks[i].when_stopped && stopped)))
            notify_hooks[i].fn(notify_hooks[i].ctx);
    sel4_channel_run_deferred();
}
