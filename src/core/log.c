/* SPDX-License-Identifier: BSD-2-Clause */
#include <limits.h>
#include <stdio.h>
#include <svmm/log.h>

static svmm_log_sink_fn log_sink;
static enum svmm_log_level log_max = SVMM_LOG_INFO;
static svmm_clock_fn log_clock;

void svmm_log_init(svmm_log_sink_fn sink, enum svmm_log_level max_level)
{
    log_sink = sink;
    log_max = max_level;
}

void svmm_log_set_clock(svmm_clock_fn now_ns)
{
    log_clock = now_ns;
}

int svmm_log_enabled(enum svmm_log_level level)
{
    return log_sink != NULL && level <= log_max;
}

void svmm_log(enum svmm_log_level level, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    int n;

    if (!svmm_log_enabled(level))
        return;
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((unsigned)n >= sizeof(line))
        n = sizeof(line) - 1;
    log_sink(level, line, (unsigned)n);
}

int svmm_ratelimit_ok(struct svmm_ratelimit *rl, unsigned burst)
{
    /* No clock: time stands still at 0, so the first interval never ends (see svmm_log_set_clock). */
    uint64_t now = log_clock ? log_clock() : 0;

    /* Unsigned: a clock behind the interval's start (another clock installed) starts one too. */
    if (!rl->started || now - rl->start_ns >= SVMM_RATELIMIT_INTERVAL_NS) {
        rl->started = true;
        rl->start_ns = now;
        rl->passed = 0;
    }
    if (rl->passed >= burst) {
        if (rl->suppressed < UINT_MAX)
            rl->suppressed++;
        return 0;
    }
    rl->passed++;
    if (rl->suppressed > 0) {
        svmm_warn("suppressed %u message%s like the next one", rl->suppressed, rl->suppressed == 1 ? "" : "s");
        rl->suppressed = 0;
    }
    return 1;
}
