/* SPDX-License-Identifier: BSD-2-Clause */
/* The log's rate limiter on a fake clock: bursts, refill, the suppressed count, independence. */
#include <svmm/log.h>
#include <svmm/virtio.h>
#include "test.h"

#define SEC 1000000000ull

static uint64_t fake_now;
static unsigned nlines, nresets;
static char last[256], prev[256];

static uint64_t fake_clock(void) { return fake_now; }

static void sink(enum svmm_log_level level, const char *line, unsigned len)
{
    (void)level;
    nlines++;
    snprintf(prev, sizeof(prev), "%s", last);
    snprintf(last, sizeof(last), "%.*s", (int)len, line);
}

static void setup(void)
{
    fake_now = 1000 * SEC; /* not 0: an interval may start anywhere */
    nlines = nresets = 0;
    last[0] = prev[0] = '\0';
    svmm_log_set_clock(fake_clock);
    svmm_log_init(sink, SVMM_LOG_INFO);
}

static void teardown(void)
{
    svmm_log_set_clock(NULL);
    svmm_log_init(NULL, SVMM_LOG_INFO);
}

/* Calls svmm_ratelimit_ok n times; returns how many passed. */
static unsigned tries(struct svmm_ratelimit *rl, unsigned burst, unsigned n)
{
    unsigned ok = 0;

    for (unsigned i = 0; i < n; i++)
        ok += svmm_ratelimit_ok(rl, burst) ? 1 : 0;
    return ok;
}

TEST(ratelimit_passes_a_burst_per_interval)
{
    struct svmm_ratelimit rl = { 0 };

    setup();
    CHECK_EQ(tries(&rl, 5, 100), 5);
    fake_now += SVMM_RATELIMIT_INTERVAL_NS - 1; /* still the same interval */
    CHECK_EQ(tries(&rl, 5, 100), 0);
    CHECK_EQ(nlines, 0); /* the limiter logs nothing while it refuses */
    teardown();
}

TEST(ratelimit_refills_after_the_interval_and_reports_what_it_suppressed)
{
    struct svmm_ratelimit rl = { 0 };

    setup();
    CHECK_EQ(tries(&rl, 3, 10), 3);
    fake_now += SVMM_RATELIMIT_INTERVAL_NS;
    CHECK(svmm_ratelimit_ok(&rl, 3));
    CHECK_EQ(nlines, 1);
    CHECK_STR_CONTAINS(last, "suppressed 7 messages like the next one");
    CHECK_EQ(tries(&rl, 3, 1), 1); /* the count is reported once */
    CHECK_EQ(nlines, 1);
    CHECK_EQ(tries(&rl, 3, 2), 1); /* the refilled burst is a burst, not unlimited */
    /* A long silence: the next interval starts at the next call, not on a fixed grid. */
    fake_now += 1000 * SEC;
    CHECK(svmm_ratelimit_ok(&rl, 3));
    CHECK_STR_CONTAINS(last, "suppressed 1 message like the next one");
    fake_now += SVMM_RATELIMIT_INTERVAL_NS / 2;
    CHECK_EQ(tries(&rl, 3, 5), 2);
    fake_now += SVMM_RATELIMIT_INTERVAL_NS / 2;
    CHECK_EQ(tries(&rl, 3, 5), 3);
    teardown();
}

TEST(ratelimit_instances_are_independent)
{
    struct svmm_ratelimit a = { 0 }, b = { 0 };

    setup();
    CHECK_EQ(tries(&a, 4, 50), 4);
    CHECK_EQ(tries(&b, 4, 2), 2); /* a is exhausted; b is not */
    fake_now += SEC;
    CHECK_EQ(tries(&b, 4, 50), 2);
    fake_now += SVMM_RATELIMIT_INTERVAL_NS - SEC; /* a's interval ends, b's (started with a) too */
    CHECK(svmm_ratelimit_ok(&a, 4));
    CHECK_STR_CONTAINS(last, "suppressed 46 messages like the next one");
    CHECK(svmm_ratelimit_ok(&b, 4));
    CHECK_STR_CONTAINS(last, "suppressed 48 messages like the next one");
    teardown();
}

TEST(ratelimit_without_a_clock_stops_after_the_burst)
{
    struct svmm_ratelimit rl = { 0 };

    setup();
    svmm_log_set_clock(NULL);
    CHECK_EQ(tries(&rl, 2, 1000), 2);
    CHECK_EQ(nlines, 0);
    /* A clock installed later starts a new interval at its first reading. */
    svmm_log_set_clock(fake_clock);
    CHECK(svmm_ratelimit_ok(&rl, 2));
    CHECK_STR_CONTAINS(last, "suppressed 998 messages like the next one");
    teardown();
}

TEST(ratelimit_zero_burst_never_passes)
{
    struct svmm_ratelimit rl = { 0 };

    setup();
    CHECK_EQ(tries(&rl, 0, 10), 0);
    fake_now += 10 * SVMM_RATELIMIT_INTERVAL_NS;
    CHECK_EQ(tries(&rl, 0, 10), 0);
    CHECK_EQ(rl.suppressed, 20);
    CHECK_EQ(nlines, 0);
    teardown();
}

/* ---- per device: virtio_dev_queue_error keeps its limiter in the device ---- */

static void needs_reset(void *t) { (void)t; nresets++; }

TEST(queue_errors_are_rate_limited_per_device)
{
    struct virtio_dev d1 = { .name = "dev-one" }, d2 = { .name = "dev-two" };
    unsigned lines;

    setup();
    d1.transport.needs_reset = d2.transport.needs_reset = needs_reset;
    for (int i = 0; i < 100; i++)
        virtio_dev_queue_error(&d1, 0, VIRTQ_E_HEAD);
    CHECK_EQ(nresets, 100); /* every error still resets: only the message is limited */
    lines = nlines;
    CHECK(lines > 0 && lines < 100);
    virtio_dev_queue_error(&d2, 1, VIRTQ_E_LOOP); /* d1's storm does not silence d2 */
    CHECK_EQ(nlines, lines + 1);
    CHECK_STR_CONTAINS(last, "dev-two: queue 1");
    fake_now += SVMM_RATELIMIT_INTERVAL_NS;
    virtio_dev_queue_error(&d1, 0, VIRTQ_E_HEAD);
    CHECK_STR_CONTAINS(prev, "messages like the next one");
    CHECK_STR_CONTAINS(last, "dev-one: queue 0");
    teardown();
}
