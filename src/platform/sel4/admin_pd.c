/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The admin component as a Microkit protection domain (its own program, svmm-admin.elf; issue 12
 * part 2 on seL4). Its children are the VMMs of the VMs the system description gives it, so:
 *   - it takes commands on the board UART (it owns the receive interrupt): help, list, status VM,
 *     start VM, stop VM, restart VM, boot SLOT IMAGE for a dynamic slot and one of its images, and
 *     fault VM for a VM whose description allows a test fault; anything else, or a VM or image it
 *     does not manage, is refused with the reason;
 *   - it passes start/stop/restart to the VMM through its admin page (sel4_admin.h) and prints the
 *     VMM's answer when it signals back;
 *   - it receives the faults of the VMM programs themselves and applies the VM's policy (on_fault:
 *     restart, at most max_restarts within restart_window seconds; else stop): a restart starts
 *     the VMM program again as loaded (pd_reentry.h), which boots its VM afresh; a guest the VMM
 *     stopped on an unrecoverable fault is started again by the same policy.
 * Everything read from a VMM's page is validated: a VMM may be its guest's.
 */
#include <microkit.h>
#include <stdio.h>
#include <string.h>
#include <svmm/lifecycle.h>
#include <svmm/log.h>
#include "board_uart.h"
#include "sel4_admin.h"
#include "sel4_clock.h"

uintptr_t board_uart_vaddr;

#define MAX_POLICY_RESTARTS 64u /* the composer's limit for max_restarts */

/* What the admin knows of one VMM beyond its page. */
static struct managed {
    uint32_t cmd_seq;       /* of the last command sent */
    bool pending;           /* that command is not answered yet */
    bool down;              /* the VMM program is stopped (it faulted; the policy did not restart it) */
    bool seen;              /* its page has been published at least once */
    uint32_t last_state;    /* the state last seen in its page */
    uint32_t last_boots;    /* ... and boot count */
    unsigned pd_restarts;   /* VMM program restarts by the admin */
    unsigned faults;        /* VMM program faults */
    unsigned policy_starts; /* guests started again after an unrecoverable fault */
    uint64_t restart_ns[MAX_POLICY_RESTARTS]; /* ring: when the policy last restarted it */
    unsigned nrestart_ns;
} managed[SEL4_ADMIN_MAX_VMS];

static unsigned nvms(void)
{
    return sel4_admin.nvms < SEL4_ADMIN_MAX_VMS ? sel4_admin.nvms : SEL4_ADMIN_MAX_VMS;
}

static struct sel4_admin_page *page_of(unsigned i)
{
    return (struct sel4_admin_page *)sel4_admin.vms[i].page;
}

/* ---- the VMM's page, validated ---- */

struct vmm_view {
    bool valid;
    uint32_t state, cause, boots, restarts, pd_starts, image;
    uint64_t boot_ns, restart_pc, restart_sp;
};

/* One consistent read of VM i's page: states out of range make the view invalid. */
static struct vmm_view read_page(unsigned i)
{
    const struct sel4_admin_page *p = page_of(i);
    struct vmm_view v = { 0 };

    if (p->magic != SEL4_ADMIN_MAGIC)
        return v;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    v.state = p->state;
    v.cause = p->cause;
    v.boots = p->boots;
    v.restarts = p->restarts;
    v.pd_starts = p->pd_starts;
    v.image = p->image;
    v.boot_ns = p->boot_ns;
    v.restart_pc = p->restart_pc;
    v.restart_sp = p->restart_sp;
    v.valid = v.state <= SVMM_VM_STOPPED && v.cause <= SVMM_STOP_FAULT &&
              (!sel4_admin.vms[i].slot || (v.image < sel4_admin.vms[i].nimages && v.image < 8u));
    return v;
}

/* The VMM's reason text: printable ASCII only, bounded by the page's field. */
static void read_why(unsigned i, char *out, size_t len)
{
    const struct sel4_admin_page *p = page_of(i);
    size_t n = 0;

    for (unsigned k = 0; k < SEL4_ADMIN_WHY_LEN && n + 1 < len; k++) {
        char c = p->why[k];
        if (c == '\0')
            break;
        out[n++] = c >= 0x20 && c < 0x7f ? c : '?';
    }
    out[n] = '\0';
}

/* ---- the fault policy ---- */

/* Whether VM i's policy allows one more restart now (and count it): N within T seconds. */
static bool policy_allows_restart(unsigned i)
{
    const struct sel4_admin_vm *c = &sel4_admin.vms[i];
    struct managed *m = &managed[i];
    uint64_t now = sel4_counter_ns(), window = (uint64_t)c->restart_window * 1000000000ull;
    unsigned recent = 0, max = c->max_restarts < MAX_POLICY_RESTARTS ? c->max_restarts : MAX_POLICY_RESTARTS;

    if (!c->restart_on_fault)
        return false;
    for (unsigned k = 0; k < m->nrestart_ns && k < MAX_POLICY_RESTARTS; k++)
        if (now - m->restart_ns[k] < window)
            recent++;
    if (recent >= max)
        return false;
    m->restart_ns[m->nrestart_ns % MAX_POLICY_RESTARTS] = now;
    m->nrestart_ns++;
    return true;
}

/* The VMM program again from its entry, as loaded (pd_reentry.c): false if it never said where. */
static bool restart_vmm_program(unsigned i)
{
    struct vmm_view v = read_page(i);
    seL4_UserContext regs = { 0 };
    seL4_Error err;

    if (!v.valid || v.restart_pc == 0 || v.restart_sp == 0 || (v.restart_sp & 15u))
        return false;
    regs.pc = v.restart_pc;
    regs.sp = v.restart_sp;
    err = seL4_TCB_WriteRegisters(BASE_TCB_CAP + sel4_admin.vms[i].child, seL4_True, 0, 2, &regs);
    if (err != seL4_NoError)
        return false;
    managed[i].down = false;
    managed[i].pending = false; /* a command it had not answered is lost with the program */
    managed[i].pd_restarts++;
    return true;
}

/* ---- commands ---- */

static void send_cmd(unsigned i, enum sel4_admin_cmd cmd, uint32_t arg)
{
    struct sel4_admin_page *p = page_of(i);
    struct managed *m = &managed[i];

    p->cmd = cmd;
    p->cmd_arg = arg;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    p->cmd_seq = ++m->cmd_seq;
    m->pending = true;
    microkit_notify(sel4_admin.vms[i].channel);
}

static int find_vm(const char *name)
{
    for (unsigned i = 0; i < nvms(); i++)
        if (!strcmp(sel4_admin.vms[i].name, name))
            return (int)i;
    return -1;
}

static void cmd_list(void)
{
    for (unsigned i = 0; i < nvms(); i++) {
        struct vmm_view v = read_page(i);
        svmm_info("list: %s %s boots=%u restarts=%u vmm_restarts=%u%s", sel4_admin.vms[i].name,
                  managed[i].down ? "vmm-down" : v.valid ? svmm_vm_state_name(v.state) : "starting", v.boots,
                  v.restarts, managed[i].pd_restarts, sel4_admin.vms[i].slot ? " (dynamic slot)" : "");
    }
}

static void cmd_status(unsigned i)
{
    const struct sel4_admin_vm *c = &sel4_admin.vms[i];
    struct vmm_view v = read_page(i);
    uint64_t up = v.valid && v.state == SVMM_VM_RUNNING && v.boot_ns ? sel4_counter_ns() - v.boot_ns : 0;

    if (!v.valid) {
        svmm_info("status %s: the VMM has not published its state yet%s", c->name, managed[i].down ? " (down)" : "");
        return;
    }
    svmm_info("status %s: %s%s%s (last stop: %s), up %llu.%llu s, boot %u, restarts %u; VMM program started %u "
              "times, faulted %u, restarted by the admin %u; guest restarts by policy %u; policy on fault: %s",
              c->name, managed[i].down ? "down (its VMM faulted)" : svmm_vm_state_name(v.state),
              c->slot && v.boots ? ", image " : "", c->slot && v.boots ? c->images[v.image] : "",
              svmm_vm_stop_cause_name(v.cause), (unsigned long long)(up / 1000000000ull),
              (unsigned long long)(up / 100000000ull % 10u), v.boots, v.restarts, v.pd_starts, managed[i].faults,
              managed[i].pd_restarts, managed[i].policy_starts, c->restart_on_fault ? "restart" : "stop");
}

static void cmd_help(void)
{
    svmm_info("commands: list | status VM | start VM | stop VM | restart VM | boot SLOT IMAGE | fault VM "
              "(test_fault VMs) | help");
}

/* start/stop/restart/boot/fault of VM i, as far as the admin's own state allows; the VMM decides the rest. */
static void cmd_vm(unsigned i, const char *verb, uint32_t image)
{
    const struct sel4_admin_vm *c = &sel4_admin.vms[i];
    struct managed *m = &managed[i];

    if (!strcmp(verb, "fault") && !c->test_fault) {
        svmm_warn("refused: fault %s: the system description gives %s no test_fault", c->name, c->name);
        return;
    }
    if (!strcmp(verb, "start") && c->slot) {
        svmm_warn("refused: start %s: a dynamic slot: boot it with boot %s IMAGE", c->name, c->name);
        return;
    }
    if (m->down) {
        if (strcmp(verb, "start") != 0 && strcmp(verb, "restart") != 0) {
            svmm_warn("refused: %s %s: its VMM is down (it faulted); start or restart starts it again", verb, c->name);
            return;
        }
        if (restart_vmm_program(i))
            svmm_info("%s %s: VMM program started again (restart %u by the admin)", verb, c->name, m->pd_restarts);
        else
            svmm_err("%s %s: the VMM cannot be started again (it gave no restart point, or its saved image is bad)",
                     verb, c->name);
        return;
    }
    if (m->pending) {
        svmm_warn("refused: %s %s: its VMM has not answered the last command yet", verb, c->name);
        return;
    }
    if (page_of(i)->magic != SEL4_ADMIN_MAGIC) {
        svmm_warn("refused: %s %s: its VMM has not started yet", verb, c->name);
        return;
    }
    send_cmd(i, !strcmp(verb, "stop") ? SEL4_ADMIN_STOP : !strcmp(verb, "start") ? SEL4_ADMIN_START
                : !strcmp(verb, "restart") ? SEL4_ADMIN_RESTART : !strcmp(verb, "boot") ? SEL4_ADMIN_BOOT
                : SEL4_ADMIN_FAULT, image);
    svmm_info("%s %s: sent to its VMM", verb, c->name);
}

/* The names of the slots, or of slot i's images, into buf (for refusals). */
static void list_names(char *buf, size_t len, int slot)
{
    size_t n = 0;

    buf[0] = '\0';
    for (unsigned i = 0; i < nvms() && n + 1 < len; i++) {
        const struct sel4_admin_vm *c = &sel4_admin.vms[i];
        if (slot < 0 && c->slot)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", c->name);
        for (unsigned k = 0; slot == (int)i && k < c->nimages && k < 8u && n + 1 < len; k++)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", c->images[k]);
    }
}

/* boot SLOT IMAGE: only a dynamic slot, only one of its images. */
static void cmd_boot(const char *slot, const char *image)
{
    char names[160];
    int i = find_vm(slot);

    if (i < 0 || !sel4_admin.vms[i].slot) {
        list_names(names, sizeof(names), -1);
        svmm_warn("refused: boot %s %s: no dynamic slot '%s' (slots: %s)", slot, image, slot, names[0] ? names : "none");
        return;
    }
    for (unsigned k = 0; k < sel4_admin.vms[i].nimages && k < 8u; k++)
        if (!strcmp(sel4_admin.vms[i].images[k], image)) {
            cmd_vm((unsigned)i, "boot", k);
            return;
        }
    list_names(names, sizeof(names), i);
    svmm_warn("refused: boot %s %s: slot %s may not boot image '%s' (its images: %s)", slot, image, slot, image, names);
}

/*
 * The next word of *p (split at spaces, which are overwritten), NULL at the end. Not strtok: picolibc
 * keeps strtok's position in thread-local storage, which a Microkit PD does not set up.
 */
static char *next_word(char **p)
{
    char *w = *p;

    while (*w == ' ')
        w++;
    if (*w == '\0')
        return NULL;
    *p = w;
    while (**p != '\0' && **p != ' ')
        (*p)++;
    if (**p == ' ')
        *(*p)++ = '\0';
    return w;
}

/* One command line: a verb and at most one VM name. */
static void run_line(char *line)
{
    static const char *const vm_verbs[] = { "status", "start", "stop", "restart", "fault" };
    char *verb = next_word(&line), *arg = next_word(&line), *extra = next_word(&line);
    int vm;

    if (verb == NULL)
        return;
    if (!strcmp(verb, "help") || !strcmp(verb, "list")) {
        if (arg != NULL)
            svmm_warn("refused: %s takes no argument", verb);
        else if (verb[0] == 'h')
            cmd_help();
        else
            cmd_list();
        return;
    }
    for (unsigned k = 0; k < sizeof(vm_verbs) / sizeof(vm_verbs[0]); k++) {
        if (strcmp(verb, vm_verbs[k]) != 0)
            continue;
        if (arg == NULL || extra != NULL) {
            svmm_warn("refused: %s takes one VM name", verb);
            return;
        }
        if ((vm = find_vm(arg)) < 0) {
            svmm_warn("refused: %s %s: no such VM under this admin", verb, arg);
            return;
        }
        if (k == 0)
            cmd_status((unsigned)vm);
        else
            cmd_vm((unsigned)vm, verb, 0);
        return;
    }
    if (!strcmp(verb, "boot")) {
        if (arg == NULL || extra == NULL || next_word(&line) != NULL)
            svmm_warn("refused: boot takes a slot and an image (boot SLOT IMAGE)");
        else
            cmd_boot(arg, extra);
        return;
    }
    svmm_warn("refused: unknown command '%s' (help lists the commands)", verb);
}

/* UART input a byte at a time: a line ends at CR or LF; over-long lines are dropped whole. */
static void take_input(const uint8_t *buf, size_t n)
{
    static char line[96];
    static size_t len;
    static bool overflow;

    for (size_t k = 0; k < n; k++) {
        char c = (char)buf[k];
        if (c == '\r' || c == '\n') {
            line[len] = '\0'; /* len < sizeof(line): kept below by the bound that follows */
            if (overflow)
                svmm_warn("refused: a command line longer than %u characters", (unsigned)sizeof(line) - 1);
            else if (len)
                run_line(line);
            len = 0;
            overflow = false;
        } else if (c >= 0x20 && c < 0x7f) {
            if (len + 1 < sizeof(line))
                line[len++] = c;
            else
                overflow = true;
        }
    }
}

/* ---- signals from the VMMs ---- */

/* VM i's VMM signalled: an answer to the pending command, or a state of its own (logged once). */
static void vmm_signalled(unsigned i)
{
    const struct sel4_admin_vm *c = &sel4_admin.vms[i];
    struct managed *m = &managed[i];
    struct vmm_view v = read_page(i);
    char why[SEL4_ADMIN_WHY_LEN];

    if (!v.valid)
        return;
    if (m->pending && page_of(i)->done_seq == m->cmd_seq) {
        m->pending = false;
        if (page_of(i)->result == 0) {
            svmm_info("%s: done, the VM is %s", c->name, svmm_vm_state_name(v.state));
        } else {
            read_why(i, why, sizeof(why));
            svmm_warn("%s: refused by its VMM: %s", c->name, why);
        }
    }
    if (m->seen && v.state == m->last_state && v.boots == m->last_boots)
        return;
    if (!m->seen || v.state != m->last_state)
        svmm_info("%s: %s%s%s", c->name, svmm_vm_state_name(v.state), v.state == SVMM_VM_STOPPED ? " by " : "",
                  v.state == SVMM_VM_STOPPED ? svmm_vm_stop_cause_name(v.cause) : "");
    m->seen = true;
    m->last_state = v.state;
    m->last_boots = v.boots;
    if (v.state == SVMM_VM_STOPPED && v.cause == SVMM_STOP_FAULT && !m->pending) {
        if (policy_allows_restart(i)) {
            m->policy_starts++;
            svmm_info("%s: its VMM stopped it on a fault: starting it again by policy", c->name);
            send_cmd(i, SEL4_ADMIN_START, 0);
        } else {
            svmm_info("%s: its VMM stopped it on a fault: it stays stopped (policy %s)", c->name,
                      c->restart_on_fault ? "restart, limit reached" : "stop");
        }
    }
}

/* ---- Microkit entry points ---- */

void init(void)
{
    board_uart_start_log(board_uart_vaddr, "", "admin");
    svmm_info("admin: %u VM%s; type help for the commands", nvms(), nvms() == 1 ? "" : "s");
}

void notified(microkit_channel ch)
{
    uint8_t buf[64];
    size_t n;

    if (ch == sel4_admin.uart_irq_channel) {
        while ((n = board_uart_read(buf, sizeof(buf))) > 0)
            take_input(buf, n);
        microkit_irq_ack(ch);
        return;
    }
    for (unsigned i = 0; i < nvms(); i++)
        if (sel4_admin.vms[i].channel == ch)
            vmm_signalled(i);
}

static const char *fault_name(seL4_Word label)
{
    switch (label) {
    case seL4_Fault_VMFault: return "memory fault";
    case seL4_Fault_UserException: return "user exception";
    case seL4_Fault_CapFault: return "capability fault";
    case seL4_Fault_UnknownSyscall: return "unknown system call";
    default: return "fault";
    }
}

/* A VMM program faulted: log it, then restart it or leave it stopped, by its VM's policy. */
seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    seL4_Word label = microkit_msginfo_get_label(msginfo);
    int i = -1;

    *reply_msginfo = microkit_msginfo_new(0, 0);
    for (unsigned k = 0; k < nvms(); k++)
        if (sel4_admin.vms[k].child == child)
            i = (int)k;
    if (i < 0) {
        svmm_err("fault of child %u, which is not a VMM of ours: left stopped", (unsigned)child);
        return seL4_False;
    }
    managed[i].faults++;
    managed[i].down = true;
    if (label == seL4_Fault_VMFault)
        svmm_err("VMM of %s faulted: %s at 0x%llx (pc 0x%llx)", sel4_admin.vms[i].name, fault_name(label),
                 (unsigned long long)microkit_mr_get(seL4_VMFault_Addr),
                 (unsigned long long)microkit_mr_get(seL4_VMFault_IP));
    else
        svmm_err("VMM of %s faulted: %s (label %llu)", sel4_admin.vms[i].name, fault_name(label),
                 (unsigned long long)label);
    if (!policy_allows_restart((unsigned)i)) {
        svmm_info("VMM of %s stays stopped (policy %s); its guest's vCPUs block at their next exit",
                  sel4_admin.vms[i].name, sel4_admin.vms[i].restart_on_fault ? "restart, limit reached" : "stop");
        return seL4_False;
    }
    if (restart_vmm_program((unsigned)i))
        svmm_info("VMM of %s restarted by policy (restart %u by the admin)", sel4_admin.vms[i].name,
                  managed[i].pd_restarts);
    else
        svmm_err("VMM of %s cannot be restarted (no restart point, or its saved image is bad): left stopped",
                 sel4_admin.vms[i].name);
    return seL4_False; /* restarted from its entry, or left blocked: never resumed at the fault */
}
