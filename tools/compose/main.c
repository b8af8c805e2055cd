/* SPDX-License-Identifier: BSD-2-Clause */
/* svmm-compose: validate a system description and generate the system from it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "compose.h"

static const char usage[] =
    "usage: svmm-compose [options] SYSTEM.yaml\n"
    "\n"
    "Validate a system description (docs/system-description.md) and generate the system from it.\n"
    "Errors are printed one per line as FILE:LINE: FIELD: MESSAGE; the exit status is then 1.\n"
    "\n"
    "  -o DIR            seL4 outputs in DIR: svmm.system (Microkit SDF), <vm>_config.c for each VM,\n"
    "                    <switch>_switchcfg.c for each virtual switch, <server>_blkcfg.c for each\n"
    "                    block server, admin_admincfg.c with an admin: section (the admin PD),\n"
    "                    <vm>_features.h for each VM (its VMM's compile-time features),\n"
    "                    qemu-images.args (boot images for QEMU's loader)\n"
    "  --dtb             with -o: also each guest's device tree, DIR/<vm>.dtb\n"
    "  --features \"-NAME +NAME ...\"  with -o: leave features out of (-) or force them into (+) every\n"
    "                    VMM (make's FEATURES; include/svmm/features.h). Without it each VMM has what its\n"
    "                    VM's description uses (DIR/<vm>_features.h); a used feature left out is an error\n"
    "  --sdf-cpu         put pCPU placement in cpu attributes (SMP Microkit SDKs 2.1 and newer)\n"
    "  --cores N         the seL4 kernel runs on N cores (an SMP SDK): pCPUs are 0..N-1; implies --sdf-cpu\n"
    "  --gic 2|3         the board's GIC version (default: the description's gic, else 2)\n"
    "  --microkit-version V  the SDK's Microkit version (its VERSION file; make passes it): 2.0.x\n"
    "                    sets up at most one VM with several vCPUs, which the SDF then lists last\n"
    "  --exception-fastpath  the kernel has seL4's exception fastpath: VMMs are passive unless a VM\n"
    "                    says vmm_passive: false (make passes it when the SDK's kernel config has it)\n"
    "  --root DIR        relative image paths are relative to DIR (default: the current directory)\n"
    "  --hosted          print one `svmm run` command line per VM\n"
    "  --up-script FILE  write a script starting every VM as its own svmm process (hosted)\n"
    "  --up-plan FILE    write the plan `svmm up FILE` supervises the system from (hosted; the only\n"
    "                    output that takes on_fault, max_restarts, restart_window and dynamic slots)\n"
    "  --svmm PATH       the svmm binary named in hosted outputs (default: svmm)\n"
    "  --check           validate only\n"
    "  --platform sel4|hosted\n"
    "                    check for that platform only. A description is checked for the platforms of\n"
    "                    the outputs asked for (-o: sel4; --hosted, --up-script: hosted), with --check\n"
    "                    alone for both: a field that does not work on a platform is refused there\n";

static FILE *open_out(const char *dir, const char *name, const char *suffix, char *path, size_t len)
{
    FILE *f;

    snprintf(path, len, "%s/%s%s", dir, name, suffix);
    f = fopen(path, "w");
    if (f == NULL)
        fprintf(stderr, "svmm-compose: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

static int close_out(FILE *f, int rc, const char *path)
{
    if (fclose(f) != 0 || rc < 0) {
        fprintf(stderr, "svmm-compose: error writing %s\n", path);
        return -1;
    }
    return 0;
}

/* mkdir -p */
static int make_dirs(const char *dir)
{
    char buf[1024];

    snprintf(buf, sizeof(buf), "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) < 0 && errno != EEXIST ? -1 : 0;
}

static int emit_sel4(const struct sys *s, const char *dir, bool dtb, bool cpu_attr)
{
    char path[1024];
    FILE *f;

    if (make_dirs(dir) < 0) {
        fprintf(stderr, "svmm-compose: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    if ((f = open_out(dir, "svmm", ".system", path, sizeof(path))) == NULL ||
        close_out(f, emit_sdf(s, f, cpu_attr), path) < 0)
        return -1;
    if ((f = open_out(dir, "qemu-images", ".args", path, sizeof(path))) == NULL ||
        close_out(f, emit_qemu_args(s, f), path) < 0)
        return -1;
    for (unsigned i = 0; i < s->nvms; i++) {
        if ((f = open_out(dir, s->vms[i].name, "_config.c", path, sizeof(path))) == NULL ||
            close_out(f, emit_vm_config(s, &s->vms[i], f), path) < 0)
            return -1;
        if ((f = open_out(dir, s->vms[i].name, "_features.h", path, sizeof(path))) == NULL ||
            close_out(f, emit_vm_features(s, &s->vms[i], f), path) < 0)
            return -1;
        if (dtb) {
            snprintf(path, sizeof(path), "%s/%s.dtb", dir, s->vms[i].name);
            if (emit_dtb(s, &s->vms[i], path) < 0)
                return -1;
        }
    }
    for (unsigned i = 0; i < s->nswitches; i++)
        if ((f = open_out(dir, s->switches[i].name, "_switchcfg.c", path, sizeof(path))) == NULL ||
            close_out(f, emit_switch_config(s, &s->switches[i], f), path) < 0)
            return -1;
    for (unsigned i = 0; i < s->nbsrvs; i++)
        if ((f = open_out(dir, s->bsrvs[i].name, "_blkcfg.c", path, sizeof(path))) == NULL ||
            close_out(f, emit_blk_server_config(s, &s->bsrvs[i], f), path) < 0)
            return -1;
    if (s->admin_line &&
        ((f = open_out(dir, "admin", "_admincfg.c", path, sizeof(path))) == NULL ||
         close_out(f, emit_admin_config(s, f), path) < 0))
        return -1;
    return 0;
}

/* "<parent dir>/<file>" of the description, for generated comments (no machine-specific prefix). */
static void make_label(struct sys *s)
{
    const char *end = s->file + strlen(s->file), *p = end, *start = s->file;
    int slashes = 0;

    while (p > s->file) {
        p--;
        if (*p == '/' && ++slashes == 2) {
            start = p + 1;
            break;
        }
    }
    snprintf(s->label, sizeof(s->label), "%s", start);
}

int main(int argc, char **argv)
{
    static struct sys sys;
    const char *out = NULL, *up = NULL, *plan = NULL, *svmm = "svmm", *file = NULL;
    bool dtb = false, cpu_attr = false, hosted = false, check = false;
    int gic = 0;
    unsigned platform = 0;

    sys.root = ".";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "-o") && more) {
            out = argv[++i];
        } else if (!strcmp(a, "--features") && more) {
            if (parse_features(&sys, argv[++i]) < 0)
                return 2;
        } else if (!strcmp(a, "--dtb")) {
            dtb = true;
        } else if (!strcmp(a, "--cores") && more) {
            int n = atoi(argv[++i]);
            if (n < 1 || n > 64) {
                fprintf(stderr, "svmm-compose: --cores takes 1..64\n");
                return 2;
            }
            sys.cores = (unsigned)n;
            cpu_attr = true;
        } else if (!strcmp(a, "--microkit-version") && more) {
            const char *v = argv[++i];
            sys.microkit_2_0 = !strncmp(v, "2.0.", 4) || !strcmp(v, "2.0");
        } else if (!strcmp(a, "--sdf-cpu")) {
            cpu_attr = true;
        } else if (!strcmp(a, "--exception-fastpath")) {
            sys.passive_vmms = true;
        } else if (!strcmp(a, "--gic") && more) {
            gic = atoi(argv[++i]);
            if (gic != 2 && gic != 3) {
                fprintf(stderr, "svmm-compose: --gic takes 2 or 3\n");
                return 2;
            }
        } else if (!strcmp(a, "--root") && more) {
            sys.root = argv[++i];
        } else if (!strcmp(a, "--hosted")) {
            hosted = true;
        } else if (!strcmp(a, "--up-script") && more) {
            up = argv[++i];
        } else if (!strcmp(a, "--up-plan") && more) {
            plan = argv[++i];
        } else if (!strcmp(a, "--svmm") && more) {
            svmm = argv[++i];
        } else if (!strcmp(a, "--check")) {
            check = true;
        } else if (!strcmp(a, "--platform") && more) {
            const char *p = argv[++i];
            platform = !strcmp(p, "sel4") ? FOR_SEL4 : !strcmp(p, "hosted") ? FOR_HOSTED : 0;
            if (!platform) {
                fprintf(stderr, "svmm-compose: --platform takes sel4 or hosted\n");
                return 2;
            }
        } else if (a[0] != '-' && file == NULL) {
            file = a;
        } else {
            fprintf(stderr, "svmm-compose: bad argument '%s'\n%s", a, usage);
            return 2;
        }
    }
    if (file == NULL || (!out && !hosted && !up && !plan && !check)) {
        fprintf(stderr, "%s", usage);
        return 2;
    }
    sys.platforms = (out ? FOR_SEL4 : 0) | (hosted || up || plan ? FOR_HOSTED : 0);
    if (platform && sys.platforms & ~platform) {
        fprintf(stderr, "svmm-compose: --platform %s, but %s writes %s outputs\n", platform == FOR_SEL4 ? "sel4" : "hosted",
                platform == FOR_SEL4 ? (hosted ? "--hosted" : up ? "--up-script" : "--up-plan") : "-o", platform == FOR_SEL4 ? "hosted" : "seL4");
        return 2;
    }
    if (platform)
        sys.platforms = platform;
    else if (!sys.platforms)
        sys.platforms = FOR_SEL4 | FOR_HOSTED;
    if (hosted || up || (check && !plan && sys.platforms & FOR_HOSTED))
        sys.platforms |= FOR_HOSTED_SCRIPT;
    sys.file = file;
    make_label(&sys);
    if (parse_system(&sys, file) < 0)
        return 1;
    if (gic)
        sys.gic = gic;
    if (validate_system(&sys) < 0)
        return 1;
    if (sys.admin_line && sys.platforms & FOR_SEL4 && expand_slots(&sys) < 0)
        return 1;
    if (sys.platforms & FOR_SEL4 && check_vm_features(&sys) < 0)
        return 1;
    if (out && emit_sel4(&sys, out, dtb, cpu_attr) < 0)
        return 1;
    if (hosted && emit_hosted(&sys, stdout, svmm) < 0)
        return 1;
    if (up) {
        FILE *f = fopen(up, "w");
        if (f == NULL || close_out(f, emit_up_script(&sys, f, svmm), up) < 0)
            return 1;
        chmod(up, 0755);
    }
    if (plan) {
        FILE *f = fopen(plan, "w");
        if (f == NULL || close_out(f, emit_up_plan(&sys, f), plan) < 0)
            return 1;
    }
    return 0;
}
