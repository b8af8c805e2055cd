/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <svmm/log.h>

static svmm_log_sink_fn log_sink;
static enum svmm_log_level log_max = SVMM_LOG_INFO;

void svmm_log_init(svmm_log_sink_fn sink, enum svmm_log_level max_level)
{
    log_sink = sink;
    log_max = max_level;
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
    if (rl->count >= burst)
        return 0;
    rl->count++;
    return 1;
}
