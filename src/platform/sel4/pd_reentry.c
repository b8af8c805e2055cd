/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A protection domain its parent can start again from scratch (svmm's VMMs under the admin PD).
 * Microkit loads a PD's image once; restarting its thread at the entry point would run the program
 * on whatever its last run left in .data and .bss. So at the first start (a constructor, which
 * libmicrokit runs before init) the writable image is copied aside: .data and .bss as the Microkit
 * tool patched them (setvar addresses, libmicrokit's name and channel masks; uninitialised globals
 * are in .bss, and the tool writes setvar values there too). The parent restarts
 * the thread at svmm_pd_reentry with the stack pointer at the stack's top; that copies the image
 * back and enters libmicrokit's main, which runs init as at boot.
 *
 * The copy lives in a section of its own outside .data and .bss (no-bits, so it costs the image
 * nothing), written once; a program that corrupts it is not restartable, which the checksum tells.
 */
#include <stdint.h>
#include <string.h>
#include "pd_reentry.h"

/*
 * microkit.ld: _data starts the .data output section, _bss_end ends .bss. Between them also lie the
 * orphan sections the linker places after .data (-fdata-sections: .data.<name>, .got), so the one
 * range [_data, _bss_end) is the whole writable image.
 */
extern char _data[], _bss_end[];

#define PRISTINE_MAX (128u * 1024u)
#define PRISTINE_MAGIC 0x50524953u /* "PRIS" */

/* No-bits (the "//" ends the line gcc writes, so the flags are ours): zero at load, never in .bss. */
static struct {
    uint32_t magic, sum;
    uint32_t entries; /* starts of the program: 1 at boot, +1 per re-entry */
    uint32_t len;
    uintptr_t stack_top;
    uint8_t image[PRISTINE_MAX];
} pristine __attribute__((section(".svmm_pristine,\"aw\",%nobits//"), aligned(16)));

/* A cheap checksum (Fletcher-style) over the saved image: enough to see a stray write. */
static uint32_t image_sum(const uint8_t *p, size_t n)
{
    uint32_t a = 1, b = 0;

    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    return (b << 16) | a;
}

/* The first start: save the writable image, note the stack's top (the stack is 64 KiB, its top aligned). */
__attribute__((constructor)) static void pd_reentry_snapshot(void)
{
    size_t len = (size_t)(_bss_end - _data);
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0), copy = (uintptr_t)&pristine;

    if (pristine.magic == PRISTINE_MAGIC) {
        pristine.entries++;
        return; /* a re-entry: pd_reentry_restore has put the image back */
    }
    pristine.entries = 1;
    if (len > sizeof(pristine.image) || (copy < (uintptr_t)_bss_end && copy + sizeof(pristine) > (uintptr_t)_data))
        return; /* too big, or the copy inside what it copies: magic stays 0, pd_reentry_entry() says so */
    memcpy(pristine.image, _data, len);
    pristine.len = (uint32_t)len;
    pristine.stack_top = (sp + 0xffffu) & ~(uintptr_t)0xffffu;
    pristine.sum = image_sum(pristine.image, len);
    pristine.magic = PRISTINE_MAGIC;
}

/* Called by svmm_pd_reentry on the fresh stack, before anything reads .data or .bss. */
void pd_reentry_restore(void);
void pd_reentry_restore(void)
{
    memcpy(_data, pristine.image, pristine.len);
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
    if (pristine.magic != PRISTINE_MAGIC ||
        image_sum(pristine.image, pristine.len) != pristine.sum)
        return false;
    *pc = (uintptr_t)svmm_pd_reentry;
    *sp = pristine.stack_top;
    return true;
}

unsigned pd_reentry_starts(void)
{
    return pristine.entries;
}
