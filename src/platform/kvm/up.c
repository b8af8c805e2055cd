/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svmm up: one thread, one poll loop over the children's output pipes, a signalfd (SIGCHLD, SIGTERM,
 * SIGINT) and the control socket. Children are `svmm switch`, `svmm blk-server` and `svmm run`
 * processes of this same binary (/proc/self/exe), started in plan order.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "control.h"
#include "shm_link.h"
#include "up.h"
#include "up_plan.h"

#define MAX_PLAN_BYTES (1u << 20)
#define LINE_MAX_BYTES 1024   /* a child's output line longer than this is cut into pieces */
#define SOCKET_WAIT_MS 10000  /* a server or driver VM has this long to create its socket */
#define STOP_GRACE_S 15       /* at shutdown, SIGTERM then this long before SIGKILL */

static const char up_usage[] =
    "usage: svmm up PLAN|SYSTEM.yaml [--control PATH] [--run-dir DIR]\n"
    "\n"
    "Start and supervise a hosted system: the plan comes from svmm-compose SYSTEM.yaml --up-plan PLAN;\n"
    "given SYSTEM.yaml (or .yml), svmm up runs that itself ($SVMM_COMPOSE, else svmm-compose on PATH).\n"
    "Each server and VM runs as its own svmm process; their output lines are prefixed \"<name>| \",\n"
    "svmm up's own \"svmm-up: \". A VM whose svmm fails (an exit status other than 0, or a signal) is\n"
    "restarted when its description says on_fault: restart, at most max_restarts times within\n"
    "restart_window seconds; otherwise it stays stopped. svmm up ends when no VM runs any more and the\n"
    "last one ended on its own (not by an admin's stop), on SIGTERM or SIGINT, or on `shutdown`.\n"
    "\n"
    "  --control PATH   the control socket (default RUN_DIR/up.ctl); mode 0600, this user only:\n"
    "                   svmm ctl --socket PATH list | status VM | start VM | stop VM | restart VM |\n"
    "                   boot SLOT IMAGE | shutdown\n"
    "  --run-dir DIR    where the servers' and VMMs' sockets go (default: a new /tmp/svmm-up.XXXXXX)\n"
    "\n"
    "exit status: 0 every VM ended by powering off or an admin's stop, 1 a VM or server failed for\n"
    "             good, or svmm up could not start the system\n";

enum unit_state { U_IDLE, U_RUNNING, U_STOPPING, U_OFF, U_STOPPED, U_FAILED };
static const char *const state_names[] = { "idle", "running", "stopping", "off", "stopped", "failed" };

/* A server, a VM, or a dynamic slot (whose command is the image it was booted with). */
struct unit {
    const char *name;
    enum up_kind kind;
    const struct up_item *item; /* a slot: the image it runs or ran last; NULL before its first boot */
    enum unit_state state;
    pid_t pid;
    int out_fd;
    char line[LINE_MAX_BYTES];
    size_t linelen;
    bool admin_stop;               /* the admin stopped it: its end is not a fault */
    unsigned starts, fault_restarts;
    time_t started;
    time_t fault_times[UP_MAX_RESTARTS]; /* when the last restarts by policy were, a ring of max_restarts */
    char last_end[96];
};

static struct {
    struct up_plan plan;
    struct unit units[UP_MAX_ITEMS];
    unsigned nunits;
    char run_dir[80];
    char ctl_path[108];
    int lfd, sfd;
    bool shutting_down, failed;
    int phase;        /* shutdown: 0 user VMs and slots, 1 driver VMs, 2 servers, 3 done */
    time_t phase_deadline;
} up = { .lfd = -1, .sfd = -1 };

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;

    fputs("svmm-up: ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

static time_t now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static const char *kind_name(const struct unit *u)
{
    return u->kind == UP_SERVER ? "server" : u->kind == UP_VM ? (u->item->socket[0] ? "driver VM" : "VM") : "slot";
}

static struct unit *find_unit(const char *name)
{
    for (unsigned i = 0; i < up.nunits; i++)
        if (!strcmp(up.units[i].name, name))
            return &up.units[i];
    return NULL;
}

/* ---- output: each child's lines, prefixed with its name ---- */

static void flush_line(struct unit *u)
{
    printf("%s| %.*s\n", u->name, (int)u->linelen, u->line);
    u->linelen = 0;
}

/* Read what the child wrote; false at end of file (it closed its end: exited). */
static bool pump_output(struct unit *u)
{
    char buf[4096];
    ssize_t n = read(u->out_fd, buf, sizeof(buf));

    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            flush_line(u);
            continue;
        }
        if (buf[i] == '\r')
            continue;
        if (u->linelen == sizeof(u->line)) /* invariant: linelen <= sizeof(line) */
            flush_line(u);
        u->line[u->linelen++] = buf[i];
    }
    fflush(stdout);
    return n > 0;
}

static void close_output(struct unit *u)
{
    if (u->out_fd < 0)
        return;
    while (pump_output(u) && u->out_fd >= 0) {
        struct pollfd p = { u->out_fd, POLLIN, 0 };
        if (poll(&p, 1, 0) <= 0)
            break;
    }
    if (u->linelen)
        flush_line(u);
    fflush(stdout);
    close(u->out_fd);
    u->out_fd = -1;
}

/* ---- starting a child ---- */

static void vmm_control_path(const struct unit *u, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s.ctl", up.run_dir, u->name);
}

/* Start `it`'s command line as unit u's process. -1 when it cannot be started (logged). */
static int spawn(struct unit *u, const struct up_item *it)
{
    char *argv[UP_MAX_ARGS + 4] = { "svmm" }, ctl[160];
    unsigned argc = 1;
    int fds[2];
    pid_t pid;

    for (unsigned a = 0; a < it->argc; a++)
        if ((argv[argc++] = up_plan_expand(it->argv[a], up.run_dir)) == NULL)
            goto fail_mem;
    if (it->kind != UP_SERVER) { /* every VMM takes admin commands on its own socket */
        vmm_control_path(u, ctl, sizeof(ctl));
        argv[argc++] = "--control";
        argv[argc++] = ctl;
    }
    argv[argc] = NULL;
    if (pipe2(fds, O_CLOEXEC) < 0) {
        say("error: %s %s: cannot make a pipe: %s", kind_name(u), u->name, strerror(errno));
        goto fail;
    }
    pid = fork();
    if (pid == 0) {
        sigset_t all;
        int null = it->input ? -1 : open("/dev/null", O_RDONLY);
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (dup2(fds[1], 1) < 0 || dup2(fds[1], 2) < 0 || (null >= 0 && dup2(null, 0) < 0))
            _exit(127);
        execv("/proc/self/exe", argv);
        dprintf(2, "svmm-up: cannot run svmm: %s\n", strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        say("error: %s %s: cannot fork: %s", kind_name(u), u->name, strerror(errno));
        goto fail;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    u->out_fd = fds[0];
    u->linelen = 0;
    u->pid = pid;
    u->item = it;
    u->state = U_RUNNING;
    u->admin_stop = false;
    u->started = now_s();
    u->starts++;
    for (unsigned a = 1; a <= it->argc; a++)
        free(argv[a]);
    return 0;
fail_mem:
    say("error: %s %s: out of memory", kind_name(u), u->name);
fail:
    for (unsigned a = 1; a <= it->argc && a < argc; a++)
        free(argv[a]);
    return -1;
}

/* A server's or driver VM's socket appears in the run dir within SOCKET_WAIT_MS, its output shown meanwhile. */
static int wait_for_socket(struct unit *u, const char *sock)
{
    char path[200];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", up.run_dir, sock);
    for (int waited = 0; waited < SOCKET_WAIT_MS; waited += 100) {
        struct pollfd p = { u->out_fd, POLLIN, 0 };
        if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
            return 0;
        if (waitpid(u->pid, NULL, WNOHANG) == u->pid) {
            close_output(u);
            u->pid = 0;
            u->state = U_FAILED;
            say("error: %s %s exited before it created its socket %s", kind_name(u), u->name, sock);
            return -1;
        }
        if (poll(&p, 1, 100) > 0)
            pump_output(u);
    }
    say("error: %s %s did not create its socket %s within %d s", kind_name(u), u->name, sock, SOCKET_WAIT_MS / 1000);
    return -1;
}

/* ---- ends: exits, the fault policy, shutdown ---- */

/* How a child ended, for the log: a VMM's exit statuses have meanings (svmm --help); a server's do not. */
static void describe_status(const struct unit *u, int st, char *buf, size_t len)
{
    static const struct {
        int code;
        const char *what;
    } codes[] = { { 0, "powered off" },       { 1, "error" },         { 2, "guest reset, --no-reboot" },
                  { 3, "guest crashed" },     { 127, "could not run" }, { 130, "stopped with Ctrl-A x" },
                  { 143, "stopped by SIGTERM" } };

    if (WIFSIGNALED(st)) {
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
        return;
    }
    for (unsigned i = 0; u->kind != UP_SERVER && i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i].code == WEXITSTATUS(st)) {
            snprintf(buf, len, "exit status %d: %s", WEXITSTATUS(st), codes[i].what);
            return;
        }
    snprintf(buf, len, "exit status %d", WEXITSTATUS(st));
}

static bool any_vm_alive(void)
{
    for (unsigned i = 0; i < up.nunits; i++)
        if (up.units[i].kind != UP_SERVER && (up.units[i].state == U_RUNNING || up.units[i].state == U_STOPPING))
            return true;
    return false;
}

static void begin_shutdown(const char *why)
{
    if (up.shutting_down)
        return;
    say("shutting down: %s", why);
    up.shutting_down = true;
    up.phase = -1; /* advance_shutdown starts phase 0 */
}

/* The restarts by policy within the window so far (the ring holds the last max_restarts of them). */
static unsigned restarts_in_window(const struct unit *u, time_t now)
{
    unsigned n = 0, ring = u->item->max_restarts; /* <= UP_MAX_RESTARTS (up_plan_parse) */

    for (unsigned i = 0; i < ring && i < u->fault_restarts; i++)
        if (now - u->fault_times[i] < (time_t)u->item->restart_window)
            n++;
    return n;
}

/* A VM's svmm failed: restart it if its policy allows, else leave it stopped. */
static void apply_fault_policy(struct unit *u, const char *why)
{
    const struct up_item *it = u->item;
    time_t now = now_s();

    if (it->max_restarts && restarts_in_window(u, now) < it->max_restarts) {
        unsigned ring = it->max_restarts; /* <= UP_MAX_RESTARTS: the index stays in fault_times */
        u->fault_times[u->fault_restarts % ring] = now;
        u->fault_restarts++;
        say("%s %s failed (%s): restarting it by policy (restart %u; at most %u within %u s)", kind_name(u), u->name,
            why, u->fault_restarts, it->max_restarts, it->restart_window);
        if (spawn(u, it) == 0)
            return;
    } else if (it->max_restarts) {
        say("error: %s %s failed (%s): %u restarts within %u s already, so it stays stopped (policy)", kind_name(u),
            u->name, why, it->max_restarts, it->restart_window);
    } else {
        say("error: %s %s failed (%s): it stays stopped (policy: on_fault: stop)", kind_name(u), u->name, why);
    }
    u->state = U_FAILED;
    up.failed = true;
}

static void unit_ended(struct unit *u, int st)
{
    char why[80];

    close_output(u);
    u->pid = 0;
    describe_status(u, st, why, sizeof(why));
    snprintf(u->last_end, sizeof(u->last_end), "%s", why);
    if (up.shutting_down || u->admin_stop) {
        u->state = U_STOPPED;
        say("%s %s ended (%s)%s", kind_name(u), u->name, why, u->admin_stop && !up.shutting_down ? ", stopped by the admin" : "");
        return;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && u->kind != UP_SERVER) {
        u->state = U_OFF;
        say("%s %s powered off", kind_name(u), u->name);
    } else if (u->kind == UP_SERVER) {
        u->state = U_FAILED;
        up.failed = true;
        say("error: server %s ended (%s): the VMs on it lose it", u->name, why);
        return;
    } else {
        apply_fault_policy(u, why);
    }
    if (!any_vm_alive())
        begin_shutdown("no VM runs any more");
}

static void reap(void)
{
    int st;
    pid_t pid;

    while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
        for (unsigned i = 0; i < up.nunits; i++)
            if (up.units[i].pid == pid)
                unit_ended(&up.units[i], st);
}

/* Which shutdown phase stops unit u: user VMs and slots, then driver VMs, then servers. */
static int stop_phase(const struct unit *u)
{
    return u->kind == UP_SERVER ? 2 : u->kind == UP_VM && u->item->socket[0] ? 1 : 0;
}

/* Shutdown, one phase at a time: SIGTERM, then SIGKILL after STOP_GRACE_S. True when all are down. */
static bool advance_shutdown(void)
{
    bool alive = false;

    for (unsigned i = 0; up.phase >= 0 && i < up.nunits; i++) {
        struct unit *u = &up.units[i];
        if (u->pid && stop_phase(u) == up.phase) {
            alive = true;
            if (now_s() > up.phase_deadline) {
                say("%s %s did not stop within %d s: SIGKILL", kind_name(u), u->name, STOP_GRACE_S);
                kill(u->pid, SIGKILL);
            }
        }
    }
    while (!alive && up.phase < 3) {
        up.phase++;
        up.phase_deadline = now_s() + STOP_GRACE_S;
        for (unsigned i = 0; i < up.nunits; i++) {
            struct unit *u = &up.units[i];
            if (u->pid && stop_phase(u) == up.phase) {
                u->state = U_STOPPING;
                kill(u->pid, SIGTERM);
                alive = true;
            }
        }
    }
    return up.phase >= 3 && !alive;
}

/* ---- admin commands ---- */

static int vmm_request(const struct unit *u, const char *cmd, char *reply, size_t len)
{
    char path[160];

    vmm_control_path(u, path, sizeof(path));
    return vmm_control_request(path, cmd, reply, len);
}

static size_t unit_summary(const struct unit *u, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s %s state=%s", u->name, u->kind == UP_SERVER ? "server" : u->kind == UP_VM ? "vm" : "slot",
                     state_names[u->state]);

    if (n >= 0 && (size_t)n < len && u->pid)
        n += snprintf(buf + n, len - (size_t)n, " pid=%d uptime=%llds", (int)u->pid,
                      (long long)(now_s() - u->started));
    if (n >= 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, " starts=%u fault_restarts=%u", u->starts, u->fault_restarts);
    if (n >= 0 && (size_t)n < len && u->kind == UP_IMAGE && u->item)
        n += snprintf(buf + n, len - (size_t)n, " image=%s", u->item->image);
    if (n >= 0 && (size_t)n < len && u->kind == UP_VM)
        n += u->item->max_restarts
                 ? snprintf(buf + n, len - (size_t)n, " on_fault=restart(%u/%us)", u->item->max_restarts,
                            u->item->restart_window)
                 : snprintf(buf + n, len - (size_t)n, " on_fault=stop");
    if (n >= 0 && (size_t)n < len && u->last_end[0])
        n += snprintf(buf + n, len - (size_t)n, " last_end=\"%s\"", u->last_end);
    return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

static void list_names(char *buf, size_t len, enum up_kind kind)
{
    size_t n = 0;

    buf[0] = '\0';
    for (unsigned i = 0; i < up.nunits && n < len; i++)
        if (up.units[i].kind == kind)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", up.units[i].name);
    if (!n)
        snprintf(buf, len, "none");
}

/* The unit a command names, which must be a VM or slot; NULL with the refusal in reply. */
static struct unit *vm_unit(const char *name, char *reply, size_t len)
{
    struct unit *u = name ? find_unit(name) : NULL;
    char vms[512], slots[512];

    if (u && u->kind != UP_SERVER)
        return u;
    list_names(vms, sizeof(vms), UP_VM);
    list_names(slots, sizeof(slots), UP_IMAGE);
    if (name == NULL)
        snprintf(reply, len, "error: name a VM (VMs: %s; slots: %s)", vms, slots);
    else if (u)
        snprintf(reply, len, "error: '%s' is a server, not a VM (VMs: %s)", name, vms);
    else
        snprintf(reply, len, "error: no VM or slot '%s' in this system (VMs: %s; slots: %s)", name, vms, slots);
    return NULL;
}

static void cmd_status(struct unit *u, char *reply, size_t len)
{
    char vmm[VMM_CONTROL_MAX_MSG + 1];
    size_t n = (size_t)snprintf(reply, len, "ok ");

    n += unit_summary(u, reply + n, len - n);
    if (u->state == U_RUNNING && n < len) {
        if (vmm_request(u, "status", vmm, sizeof(vmm)) < 0)
            snprintf(reply + n, len - n, "; vmm: (%s)", vmm);
        else
            snprintf(reply + n, len - n, "; vmm: %s", strncmp(vmm, "ok ", 3) ? vmm : vmm + 3);
    }
}

static void cmd_start(struct unit *u, const struct up_item *image, char *reply, size_t len)
{
    if (u->state == U_RUNNING || u->state == U_STOPPING) {
        snprintf(reply, len, "error: %s %s is %s%s", kind_name(u), u->name, state_names[u->state],
                 u->kind == UP_IMAGE && u->item ? " (stop it first)" : "");
        return;
    }
    if (spawn(u, image) < 0) {
        snprintf(reply, len, "error: cannot start %s %s (see svmm up's log)", kind_name(u), u->name);
        return;
    }
    say("%s %s started by the admin%s%s (pid %d)", kind_name(u), u->name, u->kind == UP_IMAGE ? " with image " : "",
        u->kind == UP_IMAGE ? image->image : "", (int)u->pid);
    snprintf(reply, len, "ok starting %s (pid %d)", u->name, (int)u->pid);
}

static void cmd_stop_restart(struct unit *u, bool stop, char *reply, size_t len)
{
    char vmm[VMM_CONTROL_MAX_MSG + 1];

    if (u->state != U_RUNNING) {
        snprintf(reply, len, "error: %s %s is %s, not running", kind_name(u), u->name, state_names[u->state]);
        return;
    }
    if (stop)
        u->admin_stop = true;
    if (vmm_request(u, stop ? "stop" : "restart", vmm, sizeof(vmm)) < 0 || strncmp(vmm, "ok", 2) != 0) {
        if (!stop) {
            snprintf(reply, len, "error: %s %s: %s", kind_name(u), u->name, vmm);
            return;
        }
        kill(u->pid, SIGTERM); /* its VMM does not answer: svmm stops the VM on SIGTERM */
    }
    if (stop)
        u->state = U_STOPPING;
    say("%s %s: %s requested by the admin", kind_name(u), u->name, stop ? "stop" : "restart");
    snprintf(reply, len, "ok %s %s", stop ? "stopping" : "restarting", u->name);
}

static void cmd_boot(const char *slot, const char *image, char *reply, size_t len)
{
    struct unit *u = slot ? find_unit(slot) : NULL;
    char slots[512], images[512];
    size_t n = 0;

    if (u == NULL || u->kind != UP_IMAGE) {
        list_names(slots, sizeof(slots), UP_IMAGE);
        snprintf(reply, len, "error: no dynamic slot '%s' in this system (slots: %s)", slot ? slot : "", slots);
        return;
    }
    images[0] = '\0';
    for (unsigned i = 0; i < up.plan.nitems; i++) {
        const struct up_item *it = &up.plan.items[i];
        if (it->kind != UP_IMAGE || strcmp(it->name, slot) != 0)
            continue;
        if (image && !strcmp(it->image, image)) {
            cmd_start(u, it, reply, len);
            return;
        }
        if (n < sizeof(images))
            n += (size_t)snprintf(images + n, sizeof(images) - n, "%s%s", n ? ", " : "", it->image);
    }
    snprintf(reply, len, "error: slot %s may not boot image '%s' (its images: %s)", slot, image ? image : "", images);
}

/* One command: "WORD [ARG [ARG]]". */
static void command(char *cmd, char *reply, size_t len)
{
    char *save = NULL, *word = strtok_r(cmd, " \r\n", &save), *a1 = strtok_r(NULL, " \r\n", &save),
         *a2 = strtok_r(NULL, " \r\n", &save), *extra = strtok_r(NULL, " \r\n", &save);
    struct unit *u;

    if (word == NULL || extra) {
        snprintf(reply, len, "error: one command and at most two arguments");
    } else if (!strcmp(word, "list") && !a1) {
        size_t n = (size_t)snprintf(reply, len, "ok");
        for (unsigned i = 0; i < up.nunits && n + 1 < len; i++) {
            reply[n++] = '\n';
            n += unit_summary(&up.units[i], reply + n, len - n);
        }
    } else if (!strcmp(word, "boot") && a1 && a2) {
        cmd_boot(a1, a2, reply, len);
    } else if (!strcmp(word, "shutdown") && !a1) {
        begin_shutdown("the admin asked for it");
        snprintf(reply, len, "ok shutting down");
    } else if ((!strcmp(word, "status") || !strcmp(word, "start") || !strcmp(word, "stop") ||
                !strcmp(word, "restart")) && !a2) {
        if ((u = vm_unit(a1, reply, len)) == NULL)
            return;
        if (up.shutting_down && strcmp(word, "status") != 0)
            snprintf(reply, len, "error: svmm up is shutting down");
        else if (!strcmp(word, "status"))
            cmd_status(u, reply, len);
        else if (!strcmp(word, "start") && u->kind == UP_IMAGE)
            snprintf(reply, len, "error: %s is a dynamic slot: boot it with boot %s IMAGE", u->name, u->name);
        else if (!strcmp(word, "start"))
            cmd_start(u, u->item, reply, len);
        else
            cmd_stop_restart(u, !strcmp(word, "stop"), reply, len);
    } else {
        snprintf(reply, len, "error: unknown command or wrong arguments '%.40s' (list, status VM, start VM, stop VM, "
                 "restart VM, boot SLOT IMAGE, shutdown)", word);
    }
}

static void up_handle(void *ctx, char *cmd, char *reply, size_t replylen)
{
    (void)ctx;
    say("control: '%.*s'", (int)strcspn(cmd, "\r\n"), cmd);
    command(cmd, reply, replylen);
}

static void serve_peer(void)
{
    char cmd[VMM_CONTROL_MAX_MSG + 1], reply[CONTROL_MAX_REPLY];
    int pid = 0, r = control_serve_one(up.lfd, up_handle, NULL, cmd, sizeof(cmd), reply, sizeof(reply), &pid);

    if (r < 0)
        say("control socket: refused a peer: %s", reply);
    else if (r > 0 && strncmp(reply, "ok", 2) != 0)
        say("control: %s (pid %d)", reply, pid);
}

/* ---- set-up and the loop ---- */

/* All of `f` (a plan: text, at most MAX_PLAN_BYTES) as a string; NULL with the reason logged. */
static char *read_text(FILE *f, const char *what)
{
    char *buf = malloc(MAX_PLAN_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MAX_PLAN_BYTES + 1, f) : 0;

    if (buf == NULL || n > MAX_PLAN_BYTES || memchr(buf, '\0', n)) {
        fprintf(stderr, "svmm: error: up: %s is not a plan (over 1 MiB, or binary)\n", what);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

static bool is_description(const char *path)
{
    size_t n = strlen(path);

    return (n > 5 && !strcmp(path + n - 5, ".yaml")) || (n > 4 && !strcmp(path + n - 4, ".yml"));
}

/*
 * `svmm up SYSTEM.yaml`: the plan from svmm-compose ($SVMM_COMPOSE, else on PATH), which checks the
 * description and prints its errors itself; svmm up never parses YAML.
 */
static char *compose_plan(const char *yaml)
{
    const char *compose = getenv("SVMM_COMPOSE") && *getenv("SVMM_COMPOSE") ? getenv("SVMM_COMPOSE") : "svmm-compose";
    char *text = NULL;
    int fds[2], st = 0;
    FILE *f;
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) < 0) {
        fprintf(stderr, "svmm: error: up: cannot make a pipe: %s\n", strerror(errno));
        return NULL;
    }
    pid = fork();
    if (pid == 0) {
        char *const argv[] = { (char *)compose, (char *)yaml, "--up-plan", "/dev/stdout", NULL };
        if (dup2(fds[1], 1) < 0)
            _exit(126);
        execvp(compose, argv);
        _exit(127); /* reported by the parent, on one line */
    }
    close(fds[1]);
    f = pid > 0 ? fdopen(fds[0], "r") : NULL;
    if (f)
        text = read_text(f, yaml);
    if (f)
        fclose(f);
    else
        close(fds[0]);
    if (pid > 0)
        waitpid(pid, &st, 0);
    if (pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return text;
    free(text);
    if (pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 127)
        fprintf(stderr, "svmm: error: up: %s is a system description: making its plan needs svmm-compose (not found: "
                "set SVMM_COMPOSE or put it on PATH), or give a plan (svmm-compose %s --up-plan PLAN)\n", yaml, yaml);
    else
        fprintf(stderr, "svmm: error: up: %s refused %s (its errors above)\n", compose, yaml);
    return NULL;
}

static char *read_plan(const char *path)
{
    FILE *f;
    char *text;

    if (is_description(path))
        return compose_plan(path);
    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "svmm: error: up: cannot open the plan %s: %s\n", path, strerror(errno));
        return NULL;
    }
    text = read_text(f, path);
    fclose(f);
    return text;
}

static void make_units(void)
{
    for (unsigned i = 0; i < up.plan.nitems; i++) {
        const struct up_item *it = &up.plan.items[i];
        struct unit *u;
        if (it->kind == UP_IMAGE && find_unit(it->name))
            continue; /* the slot exists: this is another of its images */
        u = &up.units[up.nunits++]; /* invariant: nunits <= nitems <= UP_MAX_ITEMS */
        *u = (struct unit){ .name = it->name, .kind = it->kind, .item = it->kind == UP_IMAGE ? NULL : it,
                            .out_fd = -1 };
    }
}

static int parse_args(int argc, char **argv, const char **plan, const char **ctl, const char **run_dir)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(up_usage, stdout);
            return 1;
        } else if (!strcmp(argv[i], "--control") && i + 1 < argc) {
            *ctl = argv[++i];
        } else if (!strcmp(argv[i], "--run-dir") && i + 1 < argc) {
            *run_dir = argv[++i];
        } else if (argv[i][0] != '-' && *plan == NULL) {
            *plan = argv[i];
        } else {
            fprintf(stderr, "svmm: error: up: unexpected argument '%s' (svmm up --help)\n", argv[i]);
            return -1;
        }
    }
    if (*plan == NULL) {
        fprintf(stderr, "svmm: error: up: no plan given (usage: svmm up PLAN [--control PATH] [--run-dir DIR])\n");
        return -1;
    }
    return 0;
}

/* Run dir, control socket, signals. */
static int set_up(const char *ctl, const char *run_dir)
{
    char err[200];
    sigset_t set;

    if (run_dir) {
        if (strlen(run_dir) >= sizeof(up.run_dir) || (mkdir(run_dir, 0700) < 0 && errno != EEXIST)) {
            fprintf(stderr, "svmm: error: up: run dir %s: %s\n", run_dir,
                    strlen(run_dir) >= sizeof(up.run_dir) ? "path too long" : strerror(errno));
            return -1;
        }
        strcpy(up.run_dir, run_dir);
    } else {
        strcpy(up.run_dir, "/tmp/svmm-up.XXXXXX");
        if (mkdtemp(up.run_dir) == NULL) {
            fprintf(stderr, "svmm: error: up: cannot make a run dir: %s\n", strerror(errno));
            return -1;
        }
    }
    snprintf(up.ctl_path, sizeof(up.ctl_path), "%s/up.ctl", up.run_dir);
    if (ctl) {
        if (strlen(ctl) >= sizeof(up.ctl_path)) {
            fprintf(stderr, "svmm: error: up: control socket path %s is too long\n", ctl);
            return -1;
        }
        strcpy(up.ctl_path, ctl);
    }
    up.lfd = shm_link_listen(up.ctl_path, err, sizeof(err));
    if (up.lfd < 0) {
        fprintf(stderr, "svmm: error: up: %s\n", err);
        return -1;
    }
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    up.sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (up.sfd < 0) {
        fprintf(stderr, "svmm: error: up: signalfd: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* Servers, driver VMs, then the other VMs, in plan order (which is that order). */
static int start_system(void)
{
    for (unsigned i = 0; i < up.nunits; i++) {
        struct unit *u = &up.units[i];
        if (u->kind == UP_IMAGE)
            continue;
        if (spawn(u, u->item) < 0)
            return -1;
        say("%s %s started (pid %d)", kind_name(u), u->name, (int)u->pid);
        if (u->item->socket[0] && wait_for_socket(u, u->item->socket) < 0)
            return -1;
    }
    return 0;
}

static void handle_signals(void)
{
    struct signalfd_siginfo si;

    while (read(up.sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGCHLD)
            reap();
        else
            begin_shutdown(si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
    }
}

static void run_loop(void)
{
    for (;;) {
        struct pollfd fds[2 + UP_MAX_ITEMS];
        struct unit *who[2 + UP_MAX_ITEMS];
        nfds_t n = 0;

        if (up.shutting_down && advance_shutdown())
            return;
        fds[n++] = (struct pollfd){ up.sfd, POLLIN, 0 };
        fds[n++] = (struct pollfd){ up.lfd, POLLIN, 0 };
        for (unsigned i = 0; i < up.nunits; i++) /* invariant: n <= 2 + nunits <= 2 + UP_MAX_ITEMS */
            if (up.units[i].out_fd >= 0) {
                who[n] = &up.units[i];
                fds[n++] = (struct pollfd){ up.units[i].out_fd, POLLIN, 0 };
            }
        if (poll(fds, n, up.shutting_down ? 500 : -1) < 0 && errno != EINTR)
            return;
        for (nfds_t i = 2; i < n; i++)
            if (fds[i].revents && !pump_output(who[i]))
                close_output(who[i]); /* end of file: the child exited (SIGCHLD tells how) */
        if (fds[0].revents)
            handle_signals();
        if (fds[1].revents)
            serve_peer();
    }
}

int up_main(int argc, char **argv)
{
    const char *plan_path = NULL, *ctl = NULL, *run_dir = NULL;
    char err[200], *text;
    int r = parse_args(argc, argv, &plan_path, &ctl, &run_dir);

    if (r != 0)
        return r < 0 ? 1 : 0;
    text = read_plan(plan_path);
    if (text == NULL)
        return 1;
    r = up_plan_parse(&up.plan, text, err, sizeof(err));
    free(text);
    if (r < 0) {
        fprintf(stderr, "svmm: error: up: %s: %s\n", plan_path, err);
        up_plan_free(&up.plan);
        return 1;
    }
    make_units();
    if (set_up(ctl, run_dir) < 0)
        return 1;
    say("run dir %s, control socket %s (svmm ctl --socket %s list)", up.run_dir, up.ctl_path, up.ctl_path);
    if (start_system() < 0) {
        up.failed = true;
        begin_shutdown("the system did not start");
    }
    run_loop();
    reap();
    close(up.lfd);
    unlink(up.ctl_path);
    up_plan_free(&up.plan);
    say("every process stopped; %s", up.failed ? "a VM or server failed: exit status 1" : "exit status 0");
    return up.failed ? 1 : 0;
}
