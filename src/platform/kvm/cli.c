/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <svmm/virtio.h>
#include "cli.h"

const char svmm_cli_usage[] =
    "usage: svmm run --kernel IMAGE [options]\n"
    "       svmm --help | --version\n"
    "\n"
    "Boot an arm64 Linux kernel Image in a KVM virtual machine. Guest output from the emulated\n"
    "16550 UART (ttyS0) and the virtio console (hvc0) goes to stdout; svmm's own log to stderr.\n"
    "\n"
    "options for run:\n"
    "  --kernel IMAGE     uncompressed arm64 Linux Image (required; zcat a vmlinuz first)\n"
    "  --initrd FILE      initramfs / initrd to load\n"
    "  --append \"ARGS\"    kernel command line (default: \"" SVMM_DEFAULT_BOOTARGS "\")\n"
    "  --mem SIZE         guest RAM, e.g. 512M or 1G; a plain number is MiB (default 256M)\n"
    "  --cpus N           number of vCPUs, 1.." "16" " (default 1)\n"
    "  --dtb-out FILE     also write the generated device tree blob to FILE\n"
    "  -v, --verbose      more log lines (repeat for debug)\n"
    "  -q, --quiet        only warnings and errors\n"
    "\n"
    "exit status: 0 guest powered off, 2 guest requested a reset, 3 guest crashed,\n"
    "             130 stopped with Ctrl-A x, 1 error\n"
    "keys on a terminal: Ctrl-A x quits, Ctrl-A a sends Ctrl-A\n";

int svmm_cli_parse_size(const char *s, unsigned long long *bytes)
{
    char *end;
    unsigned long long v, shift = 20;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    default: return -1;
    }
    if (*end == 'i' || *end == 'B')
        end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
    if (*end != '\0' || v > (~0ull >> shift))
        return -1;
    *bytes = v << shift;
    return 0;
}

static int parse_uint(const char *s, unsigned long *out)
{
    char *end;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    *out = strtoul(s, &end, 10);
    return errno != 0 || *end != '\0' ? -1 : 0;
}

static const char *const value_options[] = { "--kernel", "--initrd", "--append", "--mem", "--cpus", "--dtb-out" };

/* The option name of `arg` ("--mem" for both "--mem" and "--mem=1G") if it is known, else NULL. */
static const char *known_option(const char *arg)
{
    size_t len = strcspn(arg, "=");

    for (size_t i = 0; i < sizeof(value_options) / sizeof(value_options[0]); i++)
        if (strlen(value_options[i]) == len && !strncmp(arg, value_options[i], len))
            return value_options[i];
    return NULL;
}

static int set_option(struct svmm_cli *out, const char *name, const char *val, char *err, size_t errlen)
{
    unsigned long long bytes;
    unsigned long n;

    if (!strcmp(name, "--kernel")) {
        out->kernel = val;
    } else if (!strcmp(name, "--initrd")) {
        out->initrd = val;
    } else if (!strcmp(name, "--dtb-out")) {
        out->dtb_out = val;
    } else if (!strcmp(name, "--append")) {
        if (strlen(val) >= SVMM_BOOTARGS_MAX) {
            snprintf(err, errlen, "--append: command line longer than %u bytes", SVMM_BOOTARGS_MAX - 1);
            return -1;
        }
        strcpy(out->cfg.bootargs, val);
    } else if (!strcmp(name, "--mem")) {
        if (svmm_cli_parse_size(val, &bytes) < 0 || bytes < SVMM_MIN_RAM || bytes > SVMM_MAX_RAM) {
            snprintf(err, errlen, "--mem: '%s' is not a size between %lluM and %lluG (e.g. 512M, 2G)", val,
                     SVMM_MIN_RAM >> 20, SVMM_MAX_RAM >> 30);
            return -1;
        }
        out->cfg.ram_size = bytes;
    } else { /* --cpus: known_option() admits nothing else */
        if (parse_uint(val, &n) < 0 || n == 0 || n > SVMM_MAX_VCPUS) {
            snprintf(err, errlen, "--cpus: '%s' is not a vCPU count between 1 and %u", val, SVMM_MAX_VCPUS);
            return -1;
        }
        out->cfg.ncpus = (unsigned)n;
    }
    return 0;
}

static int is_flag(const char *a, const char *s, const char *l)
{
    return !strcmp(a, s) || !strcmp(a, l);
}

static int parse_run(int argc, char *const argv[], int i, struct svmm_cli *out, char *err, size_t errlen)
{
    for (; i < argc; i++) {
        const char *a = argv[i], *name, *eq, *val;

        if (is_flag(a, "-h", "--help")) {
            out->cmd = SVMM_CLI_HELP;
            return 0;
        } else if (is_flag(a, "-v", "--verbose")) {
            out->verbosity++;
            continue;
        } else if (is_flag(a, "-q", "--quiet")) {
            out->verbosity = 0;
            continue;
        }
        name = known_option(a);
        if (name == NULL) {
            snprintf(err, errlen, "%s '%s' (see svmm --help)",
                     a[0] == '-' ? "unknown option" : "unexpected argument", a);
            return -1;
        }
        eq = strchr(a, '=');
        val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (val == NULL) {
            snprintf(err, errlen, "%s needs a value (see svmm --help)", name);
            return -1;
        }
        if (set_option(out, name, val, err, errlen) < 0)
            return -1;
    }
    if (out->kernel == NULL || out->kernel[0] == '\0') {
        snprintf(err, errlen, "run: --kernel IMAGE is required (see svmm --help)");
        return -1;
    }
    return 0;
}

int svmm_cli_parse(int argc, char *const argv[], struct svmm_cli *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->verbosity = 1;
    svmm_vm_config_defaults(&out->cfg);
    snprintf(out->cfg.bootargs, sizeof(out->cfg.bootargs), "%s", SVMM_DEFAULT_BOOTARGS);
    out->cfg.nvirtio = 1;
    out->cfg.virtio_ids[0] = VIRTIO_ID_CONSOLE;
    err[0] = '\0';
    if (argc < 2) {
        snprintf(err, errlen, "no command given (try: svmm run --kernel IMAGE, or svmm --help)");
        return -1;
    }
    if (is_flag(argv[1], "-h", "--help") || !strcmp(argv[1], "help")) {
        out->cmd = SVMM_CLI_HELP;
        return 0;
    }
    if (is_flag(argv[1], "-V", "--version") || !strcmp(argv[1], "version")) {
        out->cmd = SVMM_CLI_VERSION;
        return 0;
    }
    if (strcmp(argv[1], "run") != 0) {
        snprintf(err, errlen, "unknown command '%s' (see svmm --help)", argv[1]);
        return -1;
    }
    out->cmd = SVMM_CLI_RUN;
    return parse_run(argc, argv, 2, out, err, errlen);
}
