/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The plan `svmm up` supervises a hosted system from: written by `svmm-compose --up-plan`, read here.
 * Text, one item per line:
 *
 *   svmm-plan 1                         first line: the format and its version
 *   # ...                               a comment (also blank lines)
 *   server NAME SOCKET                  a switch or block server; up once SOCKET exists in the run dir
 *   vm NAME [serves=SOCKET] [input] [restart=N/SECONDS]
 *                                       a VM started with the system: a driver VM's socket, the VM
 *                                       that reads svmm up's stdin, restart on fault at most N times
 *                                       within SECONDS (else a fault stops it)
 *   image SLOT IMAGE                    a dynamic slot's image, booted on `boot SLOT IMAGE` only
 *   arg TEXT                            after server/vm/image: one argument of its svmm command line
 *                                       (the text to the end of the line; ${RUN_DIR} is the run dir)
 *   end                                 ends the command line
 *
 * Items start in plan order. The parser is strict: an unknown line, a name that is not [a-z0-9_-]
 * (1..31 characters), a duplicate, an argument outside an item or past the limits below is refused
 * with its line number.
 */
#ifndef SVMM_KVM_UP_PLAN_H
#define SVMM_KVM_UP_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#define UP_MAX_ITEMS 48      /* servers, VMs and slot images */
#define UP_MAX_ARGS 96       /* arguments of one command line */
#define UP_MAX_ARG_LEN 2048  /* bytes of one argument */
#define UP_NAME_MAX 32       /* bytes of a name, with its NUL */
#define UP_MAX_RESTARTS 64   /* restart=N/SECONDS: N at most this */

enum up_kind { UP_SERVER, UP_VM, UP_IMAGE };

struct up_item {
    enum up_kind kind;
    char name[UP_NAME_MAX];   /* server or VM name; for an image, its slot's */
    char image[UP_NAME_MAX];  /* UP_IMAGE: the image's name */
    char socket[UP_NAME_MAX + 16]; /* UP_SERVER, a driver VM: its socket's file name in the run dir */
    bool input;               /* reads svmm up's stdin */
    unsigned max_restarts;    /* 0: a fault stops the VM */
    unsigned restart_window;  /* seconds */
    unsigned argc;
    char *argv[UP_MAX_ARGS + 1]; /* NULL-terminated; each malloc'd */
    int line;
};

struct up_plan {
    struct up_item items[UP_MAX_ITEMS];
    unsigned nitems;
};

/* Parse `text` (NUL-terminated) into `p`. -1 with "line N: reason" in err; up_plan_free is safe after it. */
int up_plan_parse(struct up_plan *p, const char *text, char *err, size_t errlen);

/* Free what up_plan_parse allocated. */
void up_plan_free(struct up_plan *p);

/*
 * `arg` with every "${RUN_DIR}" replaced by `run_dir`, into a malloc'd string (NULL when out of
 * memory).
 */
char *up_plan_expand(const char *arg, const char *run_dir);

#endif
