/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * memcpy, memmove and memset for the VMM protection domain. Debian's picolibc builds these as
 * byte loops (size over speed: 6 instructions per byte copied), which made them the largest single
 * cost of an MMIO exit and of loading the guest kernel (docs/performance.md). These move eight
 * bytes per load/store pair when source and destination are equally aligned, with general-purpose
 * registers only (the PD is built -mgeneral-regs-only). Defined here, they take precedence over
 * picolibc's at link time for the VMM, libsvmm and libfdt alike.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Keep GCC from recognising these loops as memcpy/memset and calling themselves. */
#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

/* Word accesses to memory of any type. */
typedef uint64_t __attribute__((may_alias)) word;

NO_LIBCALL void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if ((((uintptr_t)d ^ (uintptr_t)s) & 7) == 0) {
        while (n && ((uintptr_t)d & 7)) {
            *d++ = *s++;
            n--;
        }
        for (; n >= 32; n -= 32, d += 32, s += 32) {
            uint64_t a = ((const word *)s)[0], b = ((const word *)s)[1];
            uint64_t c = ((const word *)s)[2], e = ((const word *)s)[3];
            ((word *)d)[0] = a;
            ((word *)d)[1] = b;
            ((word *)d)[2] = c;
            ((word *)d)[3] = e;
        }
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(word *)d = *(const word *)s;
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d <= s || d >= s + n)
        return memcpy(dst, src, n); /* forward copy is safe */
    d += n;
    s += n;
    if ((((uintptr_t)d ^ (uintptr_t)s) & 7) == 0) {
        while (n && ((uintptr_t)d & 7)) {
            *--d = *--s;
            n--;
        }
        for (; n >= 8; n -= 8) {
            d -= 8;
            s -= 8;
            *(word *)d = *(const word *)s;
        }
    }
    while (n--)
        *--d = *--s;
    return dst;
}

NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    uint64_t v = (unsigned char)c * 0x0101010101010101ull;

    while (n && ((uintptr_t)d & 7)) {
        *d++ = (unsigned char)c;
        n--;
    }
    for (; n >= 32; n -= 32, d += 32) {
        ((word *)d)[0] = v;
        ((word *)d)[1] = v;
        ((word *)d)[2] = v;
        ((word *)d)[3] = v;
    }
    for (; n >= 8; n -= 8, d += 8)
        *(word *)d = v;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}
