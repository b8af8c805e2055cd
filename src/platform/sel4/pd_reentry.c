/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A protection domain its parent can start again from scratch (svmm's VMMs under the admin PD).
 * Microkit loads a PD's image once; restarting its thread at the entry point would run the program
 * on whatever its last run left in .data and .bss. So at the first start (a constructor, which
 * libmicrokit runs before init) the writable image is saved as the Microkit tool left it: .data
 * whole, and of .bss (zero at load but for the setvar addresses the tool wrote there and
 * libmicrokit's name and channel masks) only its non-zero words. The parent restarts the thread at
 * svmm_pd_reentry with the stack pointer at the stack's top; that puts the image back and enters
 * libmicrokit's main, which runs init as at boot.
 *
 * The copy lives in a section of its own outside .data and .bss (no-bits, so it costs the image
 * nothing), written once; a program that corrupts it is not restartable, which the checksum tells.
 */
#include <stdint.h>
#include <string.h>
#include "pd_reentry.h"

/*
 * microkit.ld: _data starts the .data output section, _bss and _bss_end delimit .bss. Between _data
 * and _bss also lie the orphan sections the linker places after .data (-fdata-sections: .data.<name>,
 * .got), so [_data, _bss) is all initialised writable data.
 */
extern char _data[], _bss[], _bss_end[];

#define DATA_MAX (16u * 1024u)
#define BSS_WORDS_MAX 256u /* non-zero words of .bss at load */
#define PRISTINE_MAGIC 0x50524953u /* "PRIS" */

/* No-bits (the "//" ends the line gcc writes, so the flags are ours): zero at load, never in .bss. */
static struct {
    uint32_t magic, sum;
    uint32_t entries; /* starts of the program: 1 at boot, +1 per re-entry */
    uint32_t data_len, nwords;
    uintptr_t stack_top;
    uint8_t data[DATA_MAX];
    struct { uint32_t off; uint64_t val; } words[BSS_WORDS_MAX];
} pristine __attribute__((section(".svmm_pristine,\"aw\",%nobits//"), aligned(16)));

/* A cheap checksum (Fletcher-style) over the saved image: enough to see a stray write. */
static uint32_t image_sum(void)
{
    const uint8_t *parts[2] = { pristine.data, (const uint8_t *)pristine.words };
    const size_t lens[2] = { pristine.data_len, pristine.nwords * sizeof(pristine.words[0]) };
    uint32_t a = 1, b = 0;

    for (unsigned k = 0; k < 2; k++)
        for (size_t i = 0; i < lens[k]; i++) {
            a = (a + parts[k][i]) % 65521u;
            b = (b + a) % 65521u;
        }
    return (b << 16) | a;
}

/* Save .bss's non-zero words; false if there are more than the table holds. */
static int save_bss_words(void)
{
    const uint64_t *w = (const uint64_t *)(void *)_bss;
    size_t n = (size_t)(_bss_end - _bss) / sizeof(uint64_t);

    pristine.nwords = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i] == 0)
            continue;
        if (pristine.nwords == BSS_WORDS_MAX)
            return -1;
        pristine.words[pristine.nwords].off = (uint32_t)(i * sizeof(uint64_t));
        pristine.words[pristine.nwords++].val = w[i]; /* nwords < BSS_WORDS_MAX: checked above */
    }
    return 0;
}

/* The first start: save the writable image, note the stack's top (the stack is 64 KiB, its top aligned). */
__attribute__((constructor)) static void pd_reentry_snapshot(void)
{
    size_t data_len = (size_t)(_bss - _data);
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);

    if (pristine.magic == PRISTINE_MAGIC) {
        pristine.entries++;
        return; /* a re-entry: pd_reentry_restore has put the image back */
    }
    pristine.entries = 1;
    /* Too big, or .bss not in whole words: magic stays 0, and pd_reentry_entry() says so. */
    if (data_len > sizeof(pristine.data) || ((uintptr_t)_bss | (uintptr_t)_bss_end) % sizeof(uint64_t) ||
        save_bss_words() < 0)
        return;
    memcpy(pristine.data, _data, data_len);
    pristine.data_len = (uint32_t)data_len;
    pristine.stack_top = (sp + 0xffffu) & ~(uintptr_t)0xffffu;
    pristine.sum = image_sum();
    pristine.magic = PRISTINE_MAGIC;
}

/* Called by svmm_pd_reentry on the fresh stack, before anything reads .data or .bss. */
void pd_reentry_restore(void);
void pd_reentry_restore(void)
{
    memcpy(_data, pristine.data, pristine.data_len);
    memset(_bss, 0, (size_t)(_bss_end - _bss));
    for (uint32_t i = 0; i < pristine.nwords && i < BSS_WORDS_MAX; i++)
        *(uint64_t *)(void *)(_bss + pristine.words[i].off) = pristine.words[i].val;
}

void svmm_pd_reentry(void);
__asm__(".section .text\n"
        ".global svmm_pd_reentry\n"
        ".type svmm_pd_reentry, %function\n"
        "svmm_pd_reentry:\n"
        "    bl pd_reentry_restore\n"
        "    b main\n");

bool pd_reentry_entry(uintptr_t *pc, uintptr_t *sp)
{
    if (pristine.magic != PRISTINE_MAGIC || image_sum() != pristine.sum)
        return false;
    *pc = (uintptr_t)svmm_pd_reentry;
    *sp = pristine.stack_top;
    return true;
}

unsigned pd_reentry_starts(void)
{
    return pristine.entries;
}
