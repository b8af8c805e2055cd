/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hosted outputs: one `svmm run` command line per VM, and svmm-up.sh, which starts every VM of the
 * system as its own svmm process with its output lines prefixed "<vm>| ".
 */
#include <stdarg.h>
#include <string.h>
#include "compose.h"

/* A shell word: as is when it is plain, else in single quotes. */
static void sh_quote(FILE *f, const char *str)
{
    if (*str && strspn(str, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_/.,:=+-@%") == strlen(str)) {
        fputs(str, f);
        return;
    }
    fputc('\'', f);
    for (; *str; str++) {
        if (*str == '\'')
            fputs("'\\''", f);
        else
            fputc(*str, f);
    }
    fputc('\'', f);
}

/*
 * Command lines are written as arguments, one at a time, in two forms: shell words for the hosted
 * outputs (--hosted, --up-script), or "arg ..." lines of the supervisor's plan (--up-plan). RUN in an
 * argument stands for the run directory: "$RUN_DIR" in the shell, ${RUN_DIR} in the plan, where
 * `svmm up` puts it in.
 */
#define RUN "\001"

struct argw {
    FILE *f;
    bool plan;
    bool newline; /* an argument held a newline, which the plan cannot carry */
};

/* One argument, printf-style; in the shell form preceded by a space. */
static void arg(struct argw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void arg(struct argw *w, const char *fmt, ...)
{
    char buf[SVMM_BOOTARGS_MAX + PATH_MAX_LEN + 256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (w->plan) {
        if (strchr(buf, '\n'))
            w->newline = true;
        fputs("arg ", w->f);
        for (const char *c = buf; *c; c++)
            fputs(*c == RUN[0] ? "${RUN_DIR}" : (char[2]){ *c, 0 }, w->f);
        fputc('\n', w->f);
        return;
    }
    fputc(' ', w->f);
    for (char *seg = buf, *end;; seg = end + 1) {
        end = strchr(seg, RUN[0]);
        if (end)
            *end = '\0';
        if (*seg)
            sh_quote(w->f, seg);
        if (!end)
            break;
        fputs("\"$RUN_DIR\"", w->f);
    }
}

/* The svmm binary that starts a command line (shell form only: the plan's commands run svmm up's own). */
static void program(struct argw *w, const char *svmm)
{
    if (w->plan)
        return;
    if (svmm[0] == '$')
        fprintf(w->f, "\"%s\"", svmm); /* a shell variable */
    else
        sh_quote(w->f, svmm);
}

static bool any_vsock(const struct sys *s)
{
    for (unsigned i = 0; i < s->nvms; i++)
        if (vsock_dev(&s->vms[i]))
            return true;
    return false;
}

/*
 * --vsock: the host side on $RUN_DIR/<vm>-vsock.sock, and a peer= per other VM with vsock, on the
 * pair's socket $RUN_DIR/vsock-<a>-<b>.sock (a, b in description order; svmm run decides who listens).
 */
static void vsock_arg(const struct sys *s, const struct vm *v, const struct device *d, struct argw *w)
{
    unsigned peers[MAX_VMS], n = vsock_peers(s, v, peers);
    char buf[64 + MAX_VMS * (2 * NAME_MAX_LEN + 48)];
    size_t len;

    len = (size_t)snprintf(buf, sizeof(buf), "cid=%llu,uds=" RUN "/%s-vsock.sock", (unsigned long long)d->cid, v->name);
    for (unsigned k = 0; k < n && len < sizeof(buf); k++) {
        const struct vm *p = &s->vms[peers[k]];
        bool first = v < p;
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, ",peer=%llu:" RUN "/vsock-%s-%s.sock",
                                (unsigned long long)vsock_dev(p)->cid, first ? v->name : p->name,
                                first ? p->name : v->name);
    }
    arg(w, "--vsock");
    arg(w, "%s", buf);
}

/* A driver VM's --serve-disk per partition in use, all on $RUN_DIR/dvm-<vm>.sock. */
static void serve_args(const struct sys *s, const struct vm *v, struct argw *w)
{
    const struct device *d = v->serve_dev >= 0 ? &v->devs[v->serve_dev] : NULL;

    for (unsigned p = 0; d && p < d->nparts; p++) {
        const struct partition *pt = &d->parts[p];
        if (pt->client < 0)
            continue;
        arg(w, "--serve-disk");
        arg(w, "listen=" RUN "/dvm-%s.sock,client=%s,size=%llu%s", v->name, pt->name, (unsigned long long)pt->size,
            pt->readonly || s->vms[pt->vm].devs[pt->dev].readonly ? ",ro" : "");
    }
}

/* svmm run's arguments for VM `v` booting `kernel` and `initrd` (its own, or a dynamic slot's image's). */
static void run_args(const struct sys *s, const struct vm *v, const struct image_file *kernel,
                     const struct image_file *initrd, struct argw *w)
{
    char path[PATH_MAX_LEN + 256], args[SVMM_BOOTARGS_MAX];

    arg(w, "run");
    arg(w, "--kernel");
    arg(w, "%s", resolve_path(s, kernel->path, path, sizeof(path)));
    if (initrd->path[0]) {
        arg(w, "--initrd");
        arg(w, "%s", resolve_path(s, initrd->path, path, sizeof(path)));
    }
    arg(w, "--mem");
    arg(w, "%lluM", (unsigned long long)(v->ram >> 20));
    if (v->kernel_addr) {
        arg(w, "--load-addr");
        arg(w, "0x%llx", (unsigned long long)v->kernel_addr);
    }
    for (unsigned i = 0; i < s->nwindows; i++)
        for (unsigned k = 0; k < s->windows[i].nat; k++)
            if (!strcmp(s->windows[i].at[k].vm, v->name)) {
                arg(w, "--shared-window");
                arg(w, "0x%llx,%lluK,/dev/shm/svmm-%s", (unsigned long long)s->windows[i].at[k].base,
                    (unsigned long long)(s->windows[i].size >> 10), s->windows[i].name);
            }
    for (unsigned r = 0; r < v->nram_ranges; r++) {
        arg(w, "--mem-range");
        arg(w, "0x%llx,%lluM", (unsigned long long)v->ram_ranges[r].base, (unsigned long long)(v->ram_ranges[r].size >> 20));
    }
    arg(w, "--cpus");
    arg(w, "%u", v->vcpus);
    arg(w, "--append");
    vm_bootargs(s, v, true, args, sizeof(args)); /* its length was checked */
    arg(w, "%s", args);
    if (v->watchdog) {
        arg(w, "--watchdog");
        if (v->watchdog_boot)
            arg(w, "%u,boot=%u", v->watchdog, v->watchdog_boot);
        else
            arg(w, "%u", v->watchdog);
        arg(w, "--name"); /* the VM's name in svmm's line about the watchdog */
        arg(w, "%s", v->name);
    }
    for (unsigned i = 0; i < v->ndevs; i++) {
        const struct device *d = &v->devs[i];
        if (d->type == DEV_BLK && d->file[0]) {
            arg(w, "--disk");
            arg(w, "%s%s", resolve_path(s, d->file, path, sizeof(path)), d->readonly ? ",ro" : "");
        } else if (d->type == DEV_BLK && d->ramdisk) {
            arg(w, "--disk");
            arg(w, "ram=%lluM", (unsigned long long)(d->ramdisk >> 20));
        } else if (d->type == DEV_BLK && d->on_bsrv) {
            arg(w, "--disk");
            arg(w, "server=" RUN "/blk-%s.sock,client=%s%s", d->server, s->bsrvs[d->bsrv].parts[d->bpart].name,
                d->readonly ? ",ro" : "");
        } else if (d->type == DEV_BLK && d->on_dvm) {
            arg(w, "--disk");
            arg(w, "server=" RUN "/dvm-%s.sock,client=%s%s", d->server,
                s->vms[d->dvm].devs[s->vms[d->dvm].serve_dev].parts[d->bpart].name, d->readonly ? ",ro" : "");
        } else if (d->type == DEV_RNG) {
            arg(w, "--rng");
        } else if (d->type == DEV_NET && d->sw[0]) {
            uint8_t m[6];
            switch_port_mac(d, m);
            /* The port's MAC comes from the switch; saying it here as well makes svmm check they agree. */
            arg(w, "--net");
            arg(w, "switch=" RUN "/switch-%s.sock,port=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x", d->sw, v->name, m[0],
                m[1], m[2], m[3], m[4], m[5]);
        } else if (d->type == DEV_VSOCK) {
            vsock_arg(s, v, d, w);
        }
    }
    serve_args(s, v, w);
}

static void run_line(const struct sys *s, const struct vm *v, FILE *f, const char *svmm)
{
    struct argw w = { f, false, false };

    program(&w, svmm);
    run_args(s, v, &v->kernel, &v->initrd, &w);
}

/*
 * Fields only seL4 acts on, named in a comment above the VM's svmm run line when the description gives
 * them: svmm run's vCPUs are threads the host schedules (no placement, priority or budget), its VMM
 * is a process, and KVM gives every guest a GICv3. (Devices svmm run cannot provide are refused
 * before this, in validate.c.)
 */
static void sel4_only(const struct sys *s, const struct vm *v, FILE *f)
{
    const char *names[7];
    unsigned n = 0;

    if (v->pcpus_line)
        names[n++] = "pcpus";
    if (v->priority_line)
        names[n++] = "priority";
    if (v->vmm_priority_line)
        names[n++] = "vmm_priority";
    if (v->vmm_passive_line)
        names[n++] = "vmm_passive";
    if (v->mcs_line)
        names[n++] = "budget_us/period_us";
    if (s->gic_line)
        names[n++] = "gic";
    if (!n)
        return;
    fprintf(f, "# seL4 only, not applied by svmm run (docs/system-description.md):");
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "%s %s", i ? "," : "", names[i]);
    fputc('\n', f);
}

/* `svmm switch` for switch `sw`: a port per VM with its MAC (the source filter) and ACL. */
static void switch_args(const struct sys *s, const struct vswitch *sw, struct argw *w)
{
    arg(w, "switch");
    arg(w, "--listen");
    arg(w, RUN "/switch-%s.sock", sw->name);
    for (unsigned p = 0; p < sw->nports; p++) {
        const struct vm *v = &s->vms[sw->ports[p].vm];
        const struct device *d = &v->devs[sw->ports[p].dev];
        char acl[8 + MAX_VMS * NAME_MAX_LEN] = "";
        size_t len = 0;
        uint8_t m[6];

        switch_port_mac(d, m);
        for (unsigned r = 0; r < d->nreach && len < sizeof(acl); r++)
            len += (size_t)snprintf(acl + len, sizeof(acl) - len, "%s%s", r ? "+" : ",reach=", d->reach[r]);
        arg(w, "--port");
        arg(w, "%s,mac=%02x:%02x:%02x:%02x:%02x:%02x%s", v->name, m[0], m[1], m[2], m[3], m[4], m[5], acl);
    }
}

static void switch_line(const struct sys *s, const struct vswitch *sw, FILE *f, const char *svmm)
{
    struct argw w = { f, false, false };

    program(&w, svmm);
    switch_args(s, sw, &w);
}

/* `svmm blk-server` for block server `b`: its file, a client per partition in use. */
static void blk_server_args(const struct sys *s, const struct blk_srv *b, struct argw *w)
{
    char path[PATH_MAX_LEN + 256];

    arg(w, "blk-server");
    arg(w, "--listen");
    arg(w, RUN "/blk-%s.sock", b->name);
    arg(w, "--disk");
    arg(w, "%s", resolve_path(s, b->file, path, sizeof(path)));
    for (unsigned p = 0; p < b->nparts; p++) {
        const struct partition *pt = &b->parts[p];
        if (pt->client < 0)
            continue;
        arg(w, "--client");
        arg(w, "%s,offset=%llu,size=%llu%s", pt->name, (unsigned long long)pt->offset, (unsigned long long)pt->size,
            pt->readonly || s->vms[pt->vm].devs[pt->dev].readonly ? ",ro" : "");
    }
}

static void blk_server_line(const struct sys *s, const struct blk_srv *b, FILE *f, const char *svmm)
{
    struct argw w = { f, false, false };

    program(&w, svmm);
    blk_server_args(s, b, &w);
}

static bool any_driver_vm(const struct sys *s)
{
    for (unsigned i = 0; i < s->nvms; i++)
        if (s->vms[i].serve_dev >= 0)
            return true;
    return false;
}

int emit_hosted(const struct sys *s, FILE *f, const char *svmm)
{
    if (any_driver_vm(s))
        fprintf(f, "# RUN_DIR: a directory for the sockets, e.g. RUN_DIR=$(mktemp -d). Start the servers (switches,\n"
                   "# block servers, then driver VMs: the VMs with --serve-disk) first, in the background, then the\n"
                   "# other VMs; stop driver VMs (SIGTERM) after the VMs they serve.\n");
    else if (s->nswitches || s->nbsrvs)
        fprintf(f, "# RUN_DIR: a directory for the %s' sockets, e.g. RUN_DIR=$(mktemp -d); start %s\n"
                   "# first (in the background), then the VMs.\n",
                s->nbsrvs ? (s->nswitches ? "switches' and block servers" : "block servers") : "switches",
                s->nbsrvs ? (s->nswitches ? "the switches and block servers" : "the block servers") : "the switches");
    else if (any_vsock(s))
        fprintf(f, "# RUN_DIR: a directory for the vsock sockets, e.g. RUN_DIR=$(mktemp -d).\n");
    for (unsigned i = 0; i < s->nbsrvs; i++) {
        fprintf(f, "# block server %s\n", s->bsrvs[i].name);
        blk_server_line(s, &s->bsrvs[i], f, svmm);
        fprintf(f, " &\n");
    }
    for (unsigned i = 0; i < s->nswitches; i++) {
        fprintf(f, "# switch %s\n", s->switches[i].name);
        switch_line(s, &s->switches[i], f, svmm);
        fprintf(f, " &\n");
    }
    for (unsigned i = 0; i < s->nvms; i++) {
        fprintf(f, "# VM %s\n", s->vms[i].name);
        sel4_only(s, &s->vms[i], f);
        run_line(s, &s->vms[i], f, svmm);
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}

/*
 * After a server's command line in svmm-up.sh (a switch, a block server or a driver VM): run it in
 * the background, its pid in $RUN_DIR/<pidfile>.pid and, when `status` is given, its exit status in
 * $status_dir/<status>; prefix its output; wait up to 10 s for its socket $RUN_DIR/<sock>.sock.
 */
static void background_server(FILE *f, const char *pidfile, const char *status, const char *prefix, const char *sock)
{
    fprintf(f, " < /dev/null & echo $! > \"$RUN_DIR/%s.pid\"; wait", pidfile);
    if (status)
        fprintf(f, " $!; echo $? > \"$status_dir/%s\"", status);
    fprintf(f, " ) 2>&1 | prefix %s &\n", prefix);
    fprintf(f, "for i in $(seq 100); do [ -S \"$RUN_DIR/%s.sock\" ] && break; sleep 0.1; done\n", sock);
}

int emit_up_script(const struct sys *s, FILE *f, const char *svmm)
{
    const struct vm *input = NULL;
    char tag[NAME_MAX_LEN + 16], sock[NAME_MAX_LEN + 16];

    for (unsigned i = 0; i < s->nvms; i++)
        if (s->vms[i].console_input)
            input = &s->vms[i];
    fprintf(f, "#!/bin/sh\n");
    fprintf(f, "# Generated by svmm-compose from %s: start every VM as its own svmm process.\n", s->label);
    fprintf(f, "# Output lines are prefixed \"<vm>| \"; only VM %s reads stdin. Exit status: 0 when every VM\n",
            input ? input->name : "(none)");
    fprintf(f, "# powered off cleanly, else 1. usage: svmm-up.sh [SVMM_BINARY]\n");
    fprintf(f, "SVMM=${1:-");
    sh_quote(f, svmm);
    fprintf(f, "}\n");
    fprintf(f, "prefix() { while IFS= read -r line; do printf '%%s| %%s\\n' \"$1\" \"$line\"; done; }\n");
    fprintf(f, "status_dir=$(mktemp -d) || exit 1\n");
    if (s->nswitches || any_vsock(s) || s->nbsrvs || any_driver_vm(s))
        fprintf(f, "RUN_DIR=$status_dir # the %s sockets\n",
                s->nbsrvs || any_driver_vm(s) ? "servers'" : !any_vsock(s) ? "switches'"
                : s->nswitches ? "switches' and vsock" : "vsock");
    fprintf(f, "pids=\"\"\n");
    for (unsigned i = 0; i < s->nswitches; i++) {
        const char *n = s->switches[i].name;
        fprintf(f, "# switch %s: up before the VMs (they connect at start), stopped after them\n", n);
        fprintf(f, "( ");
        switch_line(s, &s->switches[i], f, "$SVMM");
        snprintf(tag, sizeof(tag), "switch-%s", n);
        background_server(f, tag, NULL, tag, tag);
    }
    for (unsigned i = 0; i < s->nbsrvs; i++) {
        const char *n = s->bsrvs[i].name;
        fprintf(f, "# block server %s: up before the VMs (they connect at start), stopped after them\n", n);
        fprintf(f, "( ");
        blk_server_line(s, &s->bsrvs[i], f, "$SVMM");
        snprintf(tag, sizeof(tag), "blk-%s", n);
        background_server(f, tag, NULL, tag, tag);
    }
    for (unsigned i = 0; i < s->nvms; i++) {
        const struct vm *v = &s->vms[i];
        if (v->serve_dev < 0)
            continue;
        fprintf(f, "# driver VM %s: up before the VMs it serves (they connect at start), stopped after them\n",
                v->name);
        sel4_only(s, v, f);
        fprintf(f, "( ");
        run_line(s, v, f, "$SVMM");
        snprintf(tag, sizeof(tag), "vm-%s", v->name);
        snprintf(sock, sizeof(sock), "dvm-%s", v->name);
        background_server(f, tag, v->name, v->name, sock);
    }
    fprintf(f, "exec 3<&0 # background jobs would get /dev/null as stdin: keep ours for the input VM\n");
    for (unsigned i = 0; i < s->nvms; i++) {
        const struct vm *v = &s->vms[i];
        if (v->serve_dev >= 0)
            continue;
        sel4_only(s, v, f);
        fprintf(f, "( ");
        run_line(s, v, f, "$SVMM");
        fprintf(f, "%s; echo $? > \"$status_dir/%s\" ) 2>&1 | prefix %s &\n", v == input ? " <&3" : " < /dev/null",
                v->name, v->name);
        fprintf(f, "pids=\"$pids $!\"\n");
    }
    fprintf(f, "for p in $pids; do wait \"$p\"; done\n");
    for (unsigned i = 0; i < s->nvms; i++)
        if (s->vms[i].serve_dev >= 0)
            fprintf(f, "kill \"$(cat \"$RUN_DIR/vm-%s.pid\")\" 2>/dev/null # SIGTERM: svmm stops the VM, exit status 143\n",
                    s->vms[i].name);
    for (unsigned i = 0; i < s->nswitches; i++)
        fprintf(f, "kill \"$(cat \"$RUN_DIR/switch-%s.pid\")\" 2>/dev/null # it logs its counters and exits\n",
                s->switches[i].name);
    for (unsigned i = 0; i < s->nbsrvs; i++)
        fprintf(f, "kill \"$(cat \"$RUN_DIR/blk-%s.pid\")\" 2>/dev/null # it logs its clients' counters and exits\n",
                s->bsrvs[i].name);
    if (s->nswitches || s->nbsrvs || any_driver_vm(s))
        fprintf(f, "wait\n");
    fprintf(f, "status=0\n");
    fprintf(f, "for vm in");
    for (unsigned i = 0; i < s->nvms; i++)
        if (s->vms[i].serve_dev < 0)
            fprintf(f, " %s", s->vms[i].name);
    fprintf(f, "; do\n");
    fprintf(f, "    rc=$(cat \"$status_dir/$vm\" 2>/dev/null || echo 1)\n");
    fprintf(f, "    echo \"svmm-up: VM $vm exited with status $rc\"\n");
    fprintf(f, "    [ \"$rc\" = 0 ] || status=1\n");
    fprintf(f, "done\n");
    if (any_driver_vm(s)) {
        fprintf(f, "for vm in");
        for (unsigned i = 0; i < s->nvms; i++)
            if (s->vms[i].serve_dev >= 0)
                fprintf(f, " %s", s->vms[i].name);
        fprintf(f, "; do # 143: stopped by the kill above, once the VMs it served were done\n");
        fprintf(f, "    rc=$(cat \"$status_dir/$vm\" 2>/dev/null || echo 1)\n");
        fprintf(f, "    echo \"svmm-up: driver VM $vm exited with status $rc\"\n");
        fprintf(f, "    [ \"$rc\" = 0 ] || [ \"$rc\" = 143 ] || status=1\n");
        fprintf(f, "done\n");
    }
    fprintf(f, "rm -rf \"$status_dir\"\n");
    fprintf(f, "exit $status\n");
    return ferror(f) ? -1 : 0;
}

/*
 * The plan `svmm up` supervises (its format: src/platform/kvm/up_plan.h): in start order the switches
 * and block servers, the driver VMs, the other VMs, then each dynamic slot's images (booted only on
 * an admin's `boot SLOT IMAGE`). Every command line is svmm's own arguments, one per line.
 */
static void plan_vm_header(const struct vm *v, FILE *f)
{
    fprintf(f, "vm %s", v->name);
    if (v->serve_dev >= 0)
        fprintf(f, " serves=dvm-%s.sock", v->name);
    if (v->console_input)
        fprintf(f, " input");
    if (v->restart_on_fault)
        fprintf(f, " restart=%u/%u", v->max_restarts, v->restart_window);
    fputc('\n', f);
}

int emit_up_plan(const struct sys *s, FILE *f)
{
    struct argw w = { f, true, false };

    fprintf(f, "svmm-plan 1\n");
    fprintf(f, "# Generated by svmm-compose from %s; run it with: svmm up PLAN\n", s->label);
    for (unsigned i = 0; i < s->nswitches; i++) {
        fprintf(f, "server switch-%s switch-%s.sock\n", s->switches[i].name, s->switches[i].name);
        switch_args(s, &s->switches[i], &w);
        fprintf(f, "end\n");
    }
    for (unsigned i = 0; i < s->nbsrvs; i++) {
        fprintf(f, "server blk-%s blk-%s.sock\n", s->bsrvs[i].name, s->bsrvs[i].name);
        blk_server_args(s, &s->bsrvs[i], &w);
        fprintf(f, "end\n");
    }
    for (int pass = 0; pass < 2; pass++) { /* driver VMs first: the others connect to them at start */
        for (unsigned i = 0; i < s->nvms; i++) {
            const struct vm *v = &s->vms[i];
            if ((v->serve_dev >= 0) != (pass == 0))
                continue;
            plan_vm_header(v, f);
            run_args(s, v, &v->kernel, &v->initrd, &w);
            fprintf(f, "end\n");
        }
    }
    for (unsigned i = 0; i < s->nslots; i++) {
        const struct slot *sl = &s->slots[i];
        /* A slot runs as a VM with its RAM and vCPUs, a console and the image's kernel and initrd. */
        struct vm v = { .vcpus = sl->vcpus, .ram = sl->ram, .serve_dev = -1 };
        snprintf(v.name, sizeof(v.name), "%s", sl->name);
        snprintf(v.bootargs, sizeof(v.bootargs), "console=ttyS0 earlycon");
        for (unsigned m = 0; m < sl->nimages; m++) {
            fprintf(f, "image %s %s\n", sl->name, sl->images[m].name);
            run_args(s, &v, &sl->images[m].kernel, &sl->images[m].initrd, &w);
            fprintf(f, "end\n");
        }
    }
    if (w.newline) {
        fprintf(stderr, "%s: a path or kernel command line holds a newline, which svmm up's plan cannot carry\n",
                s->file);
        return -1;
    }
    return ferror(f) ? -1 : 0;
}
