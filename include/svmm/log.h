/* SPDX-License-Identifier: BSD-2-Clause */
/* svmm logging: one sink per process, set by the platform; levels filter before formatting. */
#ifndef SVMM_LOG_H
#define SVMM_LOG_H

#include <stdarg.h>

enum svmm_log_level { SVMM_LOG_ERROR, SVMM_LOG_WARN, SVMM_LOG_INFO, SVMM_LOG_DEBUG };

/* Receives one formatted line (no trailing newline) and its length. */
typedef void (*svmm_log_sink_fn)(enum svmm_log_level level, const char *line, unsigned len);

/* Install the sink (NULL drops every line) and the most verbose level that is still emitted. */
void svmm_log_init(svmm_log_sink_fn sink, enum svmm_log_level max_level);

/* True when a line at `level` would reach the sink: test before expensive argument preparation. */
int svmm_log_enabled(enum svmm_log_level level);

/* Format and emit one line; lines longer than 255 bytes are truncated, never overflow. */
void svmm_log(enum svmm_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define svmm_err(...) svmm_log(SVMM_LOG_ERROR, __VA_ARGS__)
#define svmm_warn(...) svmm_log(SVMM_LOG_WARN, __VA_ARGS__)
#define svmm_info(...) svmm_log(SVMM_LOG_INFO, __VA_ARGS__)
#define svmm_dbg(...) \
    do { if (svmm_log_enabled(SVMM_LOG_DEBUG)) svmm_log(SVMM_LOG_DEBUG, __VA_ARGS__); } while (0)

/* A once-per-site limiter for guest-triggered messages: a hostile guest must not flood the log. */
struct svmm_ratelimit { unsigned count; };
/* True for the first `burst` calls on `rl`, false afterwards (the count saturates, never wraps). */
int svmm_ratelimit_ok(struct svmm_ratelimit *rl, unsigned burst);

#endif
