/* SPDX-License-Identifier: BSD-2-Clause */
/* Command-line parsing for the hosted `svmm` binary (pure: no I/O, unit-tested on the host). */
#ifndef SVMM_KVM_CLI_H
#define SVMM_KVM_CLI_H

#include <stddef.h>
#include <svmm/config.h>

#define SVMM_DEFAULT_BOOTARGS "console=ttyS0 earlycon"

enum svmm_cli_cmd { SVMM_CLI_RUN, SVMM_CLI_HELP, SVMM_CLI_VERSION };

struct svmm_cli {
    enum svmm_cli_cmd cmd;
    const char *kernel;
    const char *initrd;
    const char *dtb_out;
    int verbosity; /* 0 = errors and warnings, 1 = info (default), 2 = debug */
    struct svmm_vm_config cfg;
};

/* Usage text printed by --help. */
extern const char svmm_cli_usage[];

/*
 * Parse argv into `out` (config defaults applied first). Returns 0, or -1 with a one-line message
 * naming the offending argument in `err`.
 */
int svmm_cli_parse(int argc, char *const argv[], struct svmm_cli *out, char *err, size_t errlen);

/* Parse a memory size: a number with optional K, M, G or T suffix; no suffix means MiB. */
int svmm_cli_parse_size(const char *s, unsigned long long *bytes);

#endif
