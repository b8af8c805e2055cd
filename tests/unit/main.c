/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdlib.h>
#include "test.h"

#define MAX_TESTS 512

struct test_case {
    const char *name;
    void (*fn)(void);
};

static struct test_case tests[MAX_TESTS];
static unsigned ntests, failures_in_case;

void test_register(const char *name, void (*fn)(void))
{
    if (ntests < MAX_TESTS)
        tests[ntests++] = (struct test_case){ name, fn };
}

void test_fail(const char *file, int line, const char *expr)
{
    failures_in_case++;
    printf("    %s:%d: check failed: %s\n", file, line, expr);
}

int main(int argc, char **argv)
{
    unsigned passed = 0, failed = 0;

    for (unsigned i = 0; i < ntests; i++) {
        if (argc > 1 && strstr(tests[i].name, argv[1]) == NULL)
            continue;
        failures_in_case = 0;
        tests[i].fn();
        if (failures_in_case) {
            failed++;
            printf("FAIL %s\n", tests[i].name);
        } else {
            passed++;
            if (getenv("TEST_VERBOSE"))
                printf("ok   %s\n", tests[i].name);
        }
    }
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
