/* SPDX-License-Identifier: BSD-2-Clause */
/* svmm logging: one sink per process, set by the platform; levels filter before formatting. */
#ifndef SVMM_LOG_H
#define SVMM_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

/* Log levels, most severe first: a sink set to a level emits it and every level above. */
enum svmm_log_level { SVMM_LOG_ERROR, SVMM_LOG_WARN, SVMM_LOG_INFO, SVMM_LOG_DEBUG };

/* Receives one formatted line (no trailing newline) and its length. */
typedef void (*svmm_log_sink_fn)(enum svmm_log_level level, const char *line, unsigned len);

/* Install the sink (NULL drops every line) and the most verbose level that is still emitted. */
void svmm_log_init(svmm_log_sink_fn sink, enum svmm_log_level max_level);

/* Nanoseconds on a clock that never goes backwards (any epoch). */
typedef uint64_t (*svmm_clock_fn)(void);

/*
 * Install the clock the rate limiters read (NULL removes it). The core has no clock of its own:
 * each platform installs one beside svmm_log_init, before any device runs (the pointer is read
 * without synchronisation). Without a clock, time stands still for the limiters: each lets its
 * first burst through and then stays silent, as if the interval never ended. That is the
 * fallback for unit tests, fuzz harnesses and the freestanding self-test, which stay
 * deterministic; a platform that logs must install one.
 */
void svmm_log_set_clock(svmm_clock_fn now_ns);

/* True when a line at `level` would reach the sink: test before expensive argument preparation. */
int svmm_log_enabled(enum svmm_log_level level);

/* Format and emit one line; lines longer than 255 bytes are truncated, never overflow. */
void svmm_log(enum svmm_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define svmm_err(...) svmm_log(SVMM_LOG_ERROR, __VA_ARGS__) /* log a line at error level (printf format) */
#define svmm_warn(...) svmm_log(SVMM_LOG_WARN, __VA_ARGS__) /* log a line at warning level */
#define svmm_info(...) svmm_log(SVMM_LOG_INFO, __VA_ARGS__) /* log a line at info level */
/* Log a line at debug level; the arguments are not even evaluated when debug lines are off. */
#define svmm_dbg(...) \
    do { if (svmm_log_enabled(SVMM_LOG_DEBUG)) svmm_log(SVMM_LOG_DEBUG, __VA_ARGS__); } while (0)

/*
 * A limiter for messages a guest (or a failing host device) can trigger at will: they must not
 * flood the log, and must not go silent for good either. One per message site and device: keep it
 * in the device's (or backend's) struct, zero-initialised, never in a function-local static shared
 * by every device. It is not thread-safe: callers on several threads guard it with a lock.
 *
 * Time is cut into intervals of SVMM_RATELIMIT_INTERVAL_NS, the first starting at the first
 * call: in each, the first `burst` calls pass and the rest are suppressed and counted. The first
 * call to pass after suppressions logs one warning "suppressed N messages like the next one"
 * before returning, so the count appears next to the message it stands for.
 */
#define SVMM_RATELIMIT_INTERVAL_NS 5000000000ull
/* One limiter's state (see above): zero-initialised, passed to svmm_ratelimit_ok(). */
struct svmm_ratelimit {
    uint64_t start_ns;   /* when the current interval began */
    unsigned passed;     /* calls let through in it */
    unsigned suppressed; /* calls refused since the last one let through (saturates) */
    bool started;        /* the first interval has begun (start_ns is valid) */
};
/* True when a message may be logged now (see above); counts the call either way. */
int svmm_ratelimit_ok(struct svmm_ratelimit *rl, unsigned burst);

#endif
