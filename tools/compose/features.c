/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Compile-time features of the seL4 VMMs (include/svmm/features.h): which ones each VM's
 * description uses, the build's FEATURES= on top (--features), and <vm>_features.h, which sel4.mk
 * compiles that VM's VMM policy (vmm.c) with. Every VMM is thus minimal for its VM; a feature the
 * description uses but FEATURES leaves out is refused here, naming both.
 */
#include <string.h>
#include <svmm/features.h>
#include "compose.h"

#define FEATURE_NAME(N, n) #n,
static const char *const feature_names[NFEATURES] = { SVMM_FEATURES(FEATURE_NAME) };
#define FEATURE_MACRO(N, n) "SVMM_FEATURE_" #N,
static const char *const feature_macros[NFEATURES] = { SVMM_FEATURES(FEATURE_MACRO) };

static int feature_index(const char *name, size_t len)
{
    for (int i = 0; i < NFEATURES; i++)
        if (strlen(feature_names[i]) == len && !strncmp(feature_names[i], name, len))
            return i;
    return -1;
}

int parse_features(struct sys *s, const char *spec)
{
    const char *p = spec;

    while (*p) {
        size_t len;
        int i;
        char sign;

        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        sign = *p++;
        len = strcspn(p, " \t,");
        i = sign == '-' || sign == '+' ? feature_index(p, len) : -1;
        if (i < 0) {
            fprintf(stderr, "svmm-compose: --features: '%c%.*s' is not -NAME or +NAME of a feature; features:", sign,
                    (int)len, p);
            for (int k = 0; k < NFEATURES; k++)
                fprintf(stderr, " %s", feature_names[k]);
            fputc('\n', stderr);
            return -1;
        }
        if (sign == '-') {
            s->features_off |= 1u << i;
            s->features_on &= ~(1u << i);
        } else {
            s->features_on |= 1u << i;
            s->features_off &= ~(1u << i);
        }
        p += len;
    }
    return 0;
}

/* The line of VM v's first device of type t, 0 if it has none. */
static int dev_line(const struct vm *v, enum dev_type t)
{
    for (unsigned i = 0; i < v->ndevs; i++)
        if (v->devs[i].type == t)
            return v->devs[i].line ? v->devs[i].line : v->line;
    return 0;
}

/* A device of type t, its line in *line. */
static bool has_dev(const struct vm *v, enum dev_type t, int *line)
{
    int l = dev_line(v, t);

    if (l)
        *line = l;
    return l != 0;
}

static bool on_switch(const struct vm *v)
{
    for (unsigned i = 0; i < v->ndevs; i++)
        if (v->devs[i].type == DEV_NET && v->devs[i].sw[0])
            return true;
    return false;
}

static bool on_server(const struct vm *v)
{
    for (unsigned i = 0; i < v->ndevs; i++)
        if (v->devs[i].type == DEV_BLK && (v->devs[i].on_bsrv || v->devs[i].on_dvm))
            return true;
    return false;
}

/*
 * Whether VM v's description uses feature i, and its line for an error. Restart and statistics
 * are used by every VM: a guest's reset restarts the VM (no field turns that off), and the tests
 * end on the statistics line; only FEATURES leaves them out.
 */
static bool vm_uses(const struct sys *s, const struct vm *v, int i, int *line)
{
    *line = v->line;
    switch (i) {
    case FEAT_CONSOLE: return has_dev(v, DEV_CONSOLE, line) || v->serve_dev >= 0;
    case FEAT_BLK: return has_dev(v, DEV_BLK, line);
    case FEAT_NET: return has_dev(v, DEV_NET, line);
    case FEAT_VSOCK: return has_dev(v, DEV_VSOCK, line);
    case FEAT_RNG: return has_dev(v, DEV_RNG, line);
    case FEAT_SWITCH: return on_switch(v);
    case FEAT_BLK_SERVER: return on_server(v);
    case FEAT_WATCHDOG: *line = v->watchdog_line; return v->watchdog != 0;
    case FEAT_RESTART: return true;
    case FEAT_ADMIN: *line = s->admin_line; return s->admin_line != 0;
    case FEAT_SLOTS: return v->is_slot;
    case FEAT_PASSTHROUGH: *line = v->pt_line ? v->pt_line : v->line; return v->npt != 0;
    case FEAT_DRIVER_VM: return v->serve_dev >= 0;
    case FEAT_SMP: *line = v->vcpus_line ? v->vcpus_line : v->line; return v->vcpus > 1;
    case FEAT_STATS: return true;
    default: return false; /* hosted programs (up, ctl): no seL4 VMM has them */
    }
}

bool vm_feature(const struct sys *s, const struct vm *v, int i)
{
    int line;

    if (s->features_off & 1u << i)
        return false;
    return (s->features_on & 1u << i) || vm_uses(s, v, i, &line);
}

int check_vm_features(struct sys *s)
{
    char f[96];
    unsigned before = s->errors;

    for (unsigned k = 0; k < s->nvms; k++) {
        const struct vm *v = &s->vms[k];
        for (int i = 0; i < NFEATURES; i++) {
            int line;
            /* Restart and statistics are "used" by default only: FEATURES may leave them out. */
            if (!(s->features_off & 1u << i) || i == FEAT_RESTART || i == FEAT_STATS || !vm_uses(s, v, i, &line))
                continue;
            snprintf(f, sizeof(f), "vms.%s", v->name);
            compose_error(s, line, f, "this VM needs the %s feature, which FEATURES=-%s leaves out of the build",
                          feature_names[i], feature_names[i]);
        }
    }
    /* The admin's start and restart commands (and on_fault: restart) boot a VM again through restart. */
    if (s->admin_line && s->features_off & 1u << FEAT_RESTART)
        compose_error(s, s->admin_line, "admin",
                      "the admin restarts and starts VMs, which FEATURES=-restart leaves out of the build");
    return s->errors == before ? 0 : -1;
}

int emit_vm_features(const struct sys *s, const struct vm *v, FILE *f)
{
    fprintf(f, "/* Generated by svmm-compose from %s for VM \"%s\": the features its VMM is built with */\n", s->label,
            v->name);
    fprintf(f, "/* (include/svmm/features.h): what its description uses, and FEATURES. Do not edit. */\n");
    fprintf(f, "#ifndef SVMM_VM_FEATURES_H\n#define SVMM_VM_FEATURES_H\n");
    for (int i = 0; i < NFEATURES; i++)
        fprintf(f, "#define %s %d\n", feature_macros[i], vm_feature(s, v, i) ? 1 : 0);
    fprintf(f, "#endif\n");
    return ferror(f) ? -1 : 0;
}
