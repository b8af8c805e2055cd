/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared helpers for the libFuzzer harnesses: a byte reader over the fuzz input (reads past the end
 * yield zeros, so every input is valid), an invariant check that aborts (libFuzzer then saves the
 * input as a crash), and guest-RAM helpers with ASan-poisoned guards around each region.
 */
#ifndef SVMM_FUZZ_H
#define SVMM_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sanitizer/asan_interface.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

struct fin {
    const uint8_t *p;
    size_t n;
};

static inline struct fin fin_make(const uint8_t *data, size_t size)
{
    return (struct fin){ data, size };
}

static inline bool fin_empty(const struct fin *f) { return f->n == 0; }

static inline uint8_t fin_u8(struct fin *f)
{
    if (f->n == 0)
        return 0;
    f->n--;
    return *f->p++;
}

static inline uint16_t fin_u16(struct fin *f)
{
    uint16_t lo = fin_u8(f);
    return (uint16_t)(lo | (uint16_t)fin_u8(f) << 8);
}

static inline uint32_t fin_u32(struct fin *f)
{
    uint32_t lo = fin_u16(f);
    return lo | (uint32_t)fin_u16(f) << 16;
}

static inline uint64_t fin_u64(struct fin *f)
{
    uint64_t lo = fin_u32(f);
    return lo | (uint64_t)fin_u32(f) << 32;
}

/* Copy up to len bytes into dst (zero-filling the rest); returns how many came from the input. */
static inline size_t fin_bytes(struct fin *f, void *dst, size_t len)
{
    size_t n = len < f->n ? len : f->n;

    memcpy(dst, f->p, n);
    memset((uint8_t *)dst + n, 0, len - n);
    f->p += n;
    f->n -= n;
    return n;
}

/* A harness invariant: on failure print where and abort, so libFuzzer records the input. */
#define FUZZ_CHECK(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

/*
 * An invariant that a known src bug breaks. Once reported, such a bug can be masked for long runs
 * so they keep looking for new ones: SVMM_FUZZ_MASK=name[,name...] (the name is printed when the
 * check fails). Without the variable every check is enforced.
 */
static inline bool fz_masked(const char *name)
{
    static const char *m;
    static bool read;
    size_t n = strlen(name);

    if (!read) {
        m = getenv("SVMM_FUZZ_MASK");
        read = true;
    }

    for (const char *p = m; p != NULL && (p = strstr(p, name)) != NULL; p += n)
        if ((p == m || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return true;
    return false;
}

#define FUZZ_CHECK_BUG(name, cond)                                                                   \
    do {                                                                                             \
        if (!(cond) && !fz_masked(name)) {                                                           \
            fprintf(stderr, "fuzz invariant failed [%s]: %s (%s:%d)\n", name, #cond, __FILE__, __LINE__); \
            abort();                                                                                 \
        }                                                                                            \
    } while (0)

/* Little-endian stores/loads into guest memory from the driver's side. */
static inline void fz_put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t fz_get(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

/*
 * Poison [p, p+len) for ASan: host memory next to a guest region must never be touched, so each
 * region sits between poisoned guard pages of one static arena.
 */
static inline void fz_poison(void *p, size_t len) { ASAN_POISON_MEMORY_REGION(p, len); }

/* True when [p, p+len) lies inside [base, base+size). */
static inline bool fz_inside(const void *p, size_t len, const void *base, size_t size)
{
    uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;

    return a >= b && len <= size && a - b <= size - len;
}

#endif
