/* SPDX-License-Identifier: BSD-2-Clause */
/* A minimal unit-test runner: TEST() registers a case, CHECK() records a failure and continues. */
#ifndef SVMM_TEST_H
#define SVMM_TEST_H

#include <stdio.h>
#include <string.h>

void test_register(const char *name, void (*fn)(void));
void test_fail(const char *file, int line, const char *expr);

#define TEST(name)                                                               \
    static void name(void);                                                      \
    __attribute__((constructor)) static void register_##name(void) { test_register(#name, name); } \
    static void name(void)

#define CHECK(expr) do { if (!(expr)) test_fail(__FILE__, __LINE__, #expr); } while (0)
#define CHECK_EQ(a, b) do {                                                      \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
        if (a_ != b_) {                                                          \
            char m_[256];                                                        \
            snprintf(m_, sizeof(m_), "%s == %s (0x%llx != 0x%llx)", #a, #b, a_, b_); \
            test_fail(__FILE__, __LINE__, m_);                                   \
        }                                                                        \
    } while (0)
#define CHECK_STR_CONTAINS(hay, needle) do {                                     \
        if (strstr((hay), (needle)) == NULL) {                                   \
            char m_[512];                                                        \
            snprintf(m_, sizeof(m_), "\"%s\" contains \"%s\"", (hay), (needle)); \
            test_fail(__FILE__, __LINE__, m_);                                   \
        }                                                                        \
    } while (0)

#endif
