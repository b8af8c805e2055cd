/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hosted outputs: one `svmm run` command line per VM, and svmm-up.sh, which starts every VM of the
 * system as its own svmm process with its output lines prefixed "<vm>| ".
 */
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
static void vsock_arg(const struct sys *s, const struct vm *v, const struct device *d, FILE *f)
{
    unsigned peers[MAX_VMS], n = vsock_peers(s, v, peers);

    fprintf(f, " --vsock cid=%llu,uds=\"$RUN_DIR\"/%s-vsock.sock", (unsigned long long)d->cid, v->name);
    for (unsigned k = 0; k < n; k++) {
        const struct vm *p = &s->vms[peers[k]];
        bool first = v < p;
        fprintf(f, ",peer=%llu:\"$RUN_DIR\"/vsock-%s-%s.sock", (unsigned long long)vsock_dev(p)->cid,
                first ? v->name : p->name, first ? p->name : v->name);
    }
}

/* A driver VM's --serve-disk per partition in use, all on $RUN_DIR/dvm-<vm>.sock. */
static void serve_args(const struct sys *s, const struct vm *v, FILE *f)
{
    const struct device *d = v->serve_dev >= 0 ? &v->devs[v->serve_dev] : NULL;

    for (unsigned p = 0; d && p < d->nparts; p++) {
        const struct partition *pt = &d->parts[p];
        if (pt->client < 0)
            continue;
        fprintf(f, " --serve-disk listen=\"$RUN_DIR\"/dvm-%s.sock,client=%s,size=%llu%s", v->name, pt->name,
                (unsigned long long)pt->size, pt->readonly || s->vms[pt->vm].devs[pt->dev].readonly ? ",ro" : "");
    }
}

static void run_line(const struct sys *s, const struct vm *v, FILE *f, const char *svmm)
{
    char path[PATH_MAX_LEN + 256];

    if (svmm[0] == '$')
        fprintf(f, "\"%s\"", svmm); /* a shell variable */
    else
        sh_quote(f, svmm);
    fprintf(f, " run --kernel ");
    sh_quote(f, resolve_path(s, v->kernel.path, path, sizeof(path)));
    if (v->initrd.path[0]) {
        fprintf(f, " --initrd ");
        sh_quote(f, resolve_path(s, v->initrd.path, path, sizeof(path)));
    }
    char args[SVMM_BOOTARGS_MAX];

    fprintf(f, " --mem %lluM --cpus %u --append ", (unsigned long long)(v->ram >> 20), v->vcpus);
    vm_bootargs(s, v, true, args, sizeof(args)); /* its length was checked */
    sh_quote(f, args);
    for (unsigned i = 0; i < v->ndevs; i++) {
        const struct device *d = &v->devs[i];
        if (d->type == DEV_BLK && d->file[0]) {
            char disk[PATH_MAX_LEN + 300];
            snprintf(disk, sizeof(disk), "%s%s", resolve_path(s, d->file, path, sizeof(path)), d->readonly ? ",ro" : "");
            fprintf(f, " --disk ");
            sh_quote(f, disk);
        } else if (d->type == DEV_BLK && d->ramdisk) {
            fprintf(f, " --disk ram=%lluM", (unsigned long long)(d->ramdisk >> 20));
        } else if (d->type == DEV_BLK && d->on_bsrv) {
            fprintf(f, " --disk server=\"$RUN_DIR\"/blk-%s.sock,client=%s%s", d->server,
                    s->bsrvs[d->bsrv].parts[d->bpart].name, d->readonly ? ",ro" : "");
        } else if (d->type == DEV_BLK && d->on_dvm) {
            fprintf(f, " --disk server=\"$RUN_DIR\"/dvm-%s.sock,client=%s%s", d->server,
                    s->vms[d->dvm].devs[s->vms[d->dvm].serve_dev].parts[d->bpart].name, d->readonly ? ",ro" : "");
        } else if (d->type == DEV_RNG) {
            fprintf(f, " --rng");
        } else if (d->type == DEV_NET && d->sw[0]) {
            uint8_t m[6];
            switch_port_mac(d, m);
            /* The port's MAC comes from the switch; saying it here as well makes svmm check they agree. */
            fprintf(f, " --net switch=\"$RUN_DIR\"/switch-%s.sock,port=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x", d->sw,
                    v->name, m[0], m[1], m[2], m[3], m[4], m[5]);
        } else if (d->type == DEV_VSOCK) {
            vsock_arg(s, v, d, f);
        }
    }
    serve_args(s, v, f);
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

/* `svmm switch` for switch `w`: a port per VM with its MAC (the source filter) and ACL. */
static void switch_line(const struct sys *s, const struct vswitch *w, FILE *f, const char *svmm)
{
    if (svmm[0] == '$')
        fprintf(f, "\"%s\"", svmm);
    else
        sh_quote(f, svmm);
    fprintf(f, " switch --listen \"$RUN_DIR\"/switch-%s.sock", w->name);
    for (unsigned p = 0; p < w->nports; p++) {
        const struct vm *v = &s->vms[w->ports[p].vm];
        const struct device *d = &v->devs[w->ports[p].dev];
        uint8_t m[6];
        switch_port_mac(d, m);
        fprintf(f, " --port %s,mac=%02x:%02x:%02x:%02x:%02x:%02x", v->name, m[0], m[1], m[2], m[3], m[4], m[5]);
        for (unsigned r = 0; r < d->nreach; r++)
            fprintf(f, "%s%s", r ? "+" : ",reach=", d->reach[r]);
    }
}

/* `svmm blk-server` for block server `b`: its file, a client per partition in use. */
static void blk_server_line(const struct sys *s, const struct blk_srv *b, FILE *f, const char *svmm)
{
    char path[PATH_MAX_LEN + 256];

    if (svmm[0] == '$')
        fprintf(f, "\"%s\"", svmm);
    else
        sh_quote(f, svmm);
    fprintf(f, " blk-server --listen \"$RUN_DIR\"/blk-%s.sock --disk ", b->name);
    sh_quote(f, resolve_path(s, b->file, path, sizeof(path)));
    for (unsigned p = 0; p < b->nparts; p++) {
        const struct partition *pt = &b->parts[p];
        if (pt->client < 0)
            continue;
        fprintf(f, " --client %s,offset=%llu,size=%llu%s", pt->name, (unsigned long long)pt->offset,
                (unsigned long long)pt->size, pt->readonly || s->vms[pt->vm].devs[pt->dev].readonly ? ",ro" : "");
    }
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
