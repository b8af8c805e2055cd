/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A QEMU TCG plugin (QEMU 7.x plugin API, version 1) that counts executed instructions per
 * translation block start address: where an exit's instructions go
 * (guest, seL4 kernel, VMM). Writes "vaddr ninsns executions paddr" lines to the file named by out=.
 * paddr (0 if unknown) tells apart code that shares virtual addresses, such as Microkit protection
 * domains, which are all linked at one base: it is the host address QEMU translated the block from,
 * minus the host-to-guest offset of RAM, learned from the first block QEMU translates (QEMU's
 * loader starts the CPU with the MMU off, so that block's virtual address is its physical one).
 * Declares the few API functions it uses itself, so it builds without QEMU's development headers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
                                              uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
void *qemu_plugin_insn_haddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, void (*cb)(qemu_plugin_id_t, void *), void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

struct block {
    uint64_t vaddr, paddr, ninsns, count;
    struct block *next;
};

static struct block *blocks;
static uintptr_t ram_delta; /* host address - guest physical address of RAM (0: not learned yet) */
static int delta_known;
static const char *out_path = "tbprof.txt";

static void on_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    struct block *b = calloc(1, sizeof(*b));

    (void)id;
    if (!b)
        return;
    b->vaddr = qemu_plugin_tb_vaddr(tb);
    b->ninsns = qemu_plugin_tb_n_insns(tb);
    if (b->ninsns) {
        uintptr_t h = (uintptr_t)qemu_plugin_insn_haddr(qemu_plugin_tb_get_insn(tb, 0));
        if (!delta_known && h) {
            ram_delta = h - (uintptr_t)b->vaddr;
            delta_known = 1;
        }
        b->paddr = h ? (uint64_t)(h - ram_delta) : 0;
    }
    b->next = blocks;
    blocks = b;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->count, 1);
}

static void on_exit_cb(qemu_plugin_id_t id, void *p)
{
    FILE *f = fopen(out_path, "w");

    (void)id;
    (void)p;
    if (!f)
        return;
    for (struct block *b = blocks; b; b = b->next)
        if (b->count)
            fprintf(f, "%llx %llu %llu %llx\n", (unsigned long long)b->vaddr, (unsigned long long)b->ninsns,
                    (unsigned long long)b->count, (unsigned long long)b->paddr);
    fclose(f);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc,
                                                               char **argv);
int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "out=", 4) == 0)
            out_path = strdup(argv[i] + 4);
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_trans);
    qemu_plugin_register_atexit_cb(id, on_exit_cb, NULL);
    return 0;
}
