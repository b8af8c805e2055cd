/* SPDX-License-Identifier: BSD-2-Clause */
/* The supervisor's plan: a strict line parser (up_plan.h has the format). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "up_plan.h"

struct cursor {
    struct up_plan *p;
    struct up_item *open; /* the item whose arguments are being read, until "end" */
    int line;
    char *err;
    size_t errlen;
};

static int bad(struct cursor *c, const char *fmt, const char *what)
{
    int n = snprintf(c->err, c->errlen, "line %d: ", c->line);

    if (n > 0 && (size_t)n < c->errlen)
        snprintf(c->err + n, c->errlen - (size_t)n, fmt, what);
    return -1;
}

static bool valid_name(const char *s, size_t len)
{
    if (len == 0 || len >= UP_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

/* The next space-separated word of *s into out (a name), advancing *s. */
static int take_name(struct cursor *c, const char **s, char *out, const char *what)
{
    size_t len;

    while (**s == ' ')
        (*s)++;
    len = strcspn(*s, " ");
    if (!valid_name(*s, len))
        return bad(c, "%s: 1..31 characters of a-z, 0-9, _ and -", what);
    memcpy(out, *s, len);
    out[len] = '\0';
    *s += len;
    return 0;
}

static bool same_item(const struct up_item *a, const struct up_item *b)
{
    if (a->kind == UP_IMAGE || b->kind == UP_IMAGE)
        return a->kind == b->kind ? !strcmp(a->name, b->name) && !strcmp(a->image, b->image)
                                  : !strcmp(a->name, b->name); /* a slot may not share a VM's or server's name */
    return !strcmp(a->name, b->name);
}

/* "N/SECONDS": N 1..UP_MAX_RESTARTS, SECONDS 1..86400. */
static int parse_restart(struct cursor *c, const char *v, size_t len, struct up_item *it)
{
    char buf[32], *slash, *end1, *end2;
    unsigned long n, secs;

    if (len >= sizeof(buf))
        return bad(c, "%s: give restart=N/SECONDS", "restart");
    memcpy(buf, v, len);
    buf[len] = '\0';
    slash = strchr(buf, '/');
    if (slash == NULL || slash == buf || slash[1] == '\0')
        return bad(c, "%s: give restart=N/SECONDS", "restart");
    *slash = '\0';
    n = strtoul(buf, &end1, 10);
    secs = strtoul(slash + 1, &end2, 10);
    if (*end1 || *end2 || buf[0] == '-' || slash[1] == '-' || n < 1 || n > UP_MAX_RESTARTS || secs < 1 ||
        secs > 86400)
        return bad(c, "%s: N is 1..64 and SECONDS 1..86400", "restart");
    it->max_restarts = (unsigned)n;
    it->restart_window = (unsigned)secs;
    return 0;
}

/* The options of a "vm" line after its name. */
static int parse_vm_options(struct cursor *c, const char *s, struct up_item *it)
{
    for (;;) {
        size_t len;
        while (*s == ' ')
            s++;
        if (*s == '\0')
            return 0;
        len = strcspn(s, " ");
        if (len == 5 && !strncmp(s, "input", 5)) {
            it->input = true;
        } else if (len > 7 && !strncmp(s, "serves=", 7)) {
            if (len - 7 >= sizeof(it->socket) || memchr(s + 7, '/', len - 7))
                return bad(c, "%s: a file name in the run directory", "serves");
            memcpy(it->socket, s + 7, len - 7);
            it->socket[len - 7] = '\0';
        } else if (len > 8 && !strncmp(s, "restart=", 8)) {
            if (parse_restart(c, s + 8, len - 8, it) < 0)
                return -1;
        } else {
            return bad(c, "unknown vm option '%s'", s);
        }
        s += len;
    }
}

/* A "server", "vm" or "image" line: a new item, open for its arguments. */
static int open_item(struct cursor *c, enum up_kind kind, const char *rest)
{
    struct up_item *it;

    if (c->open)
        return bad(c, "%s: the previous item has no 'end'", "item");
    if (c->p->nitems == UP_MAX_ITEMS)
        return bad(c, "more than %s items", "48");
    it = &c->p->items[c->p->nitems];
    *it = (struct up_item){ .kind = kind, .line = c->line };
    if (take_name(c, &rest, it->name, kind == UP_IMAGE ? "slot" : "name") < 0)
        return -1;
    if (kind == UP_IMAGE && take_name(c, &rest, it->image, "image") < 0)
        return -1;
    if (kind == UP_SERVER) {
        while (*rest == ' ')
            rest++;
        if (*rest == '\0' || strlen(rest) >= sizeof(it->socket) || strchr(rest, '/') || strchr(rest, ' '))
            return bad(c, "%s: a socket file name in the run directory", "server");
        strcpy(it->socket, rest);
    } else if (kind == UP_VM) {
        if (parse_vm_options(c, rest, it) < 0)
            return -1;
    } else {
        while (*rest == ' ')
            rest++;
        if (*rest)
            return bad(c, "unexpected '%s' after the image", rest);
    }
    for (unsigned i = 0; i < c->p->nitems; i++)
        if (same_item(&c->p->items[i], it))
            return bad(c, "'%s' is already in the plan", it->kind == UP_IMAGE ? it->image : it->name);
    c->p->nitems++; /* counted now: up_plan_free frees its arguments whatever happens next */
    c->open = it;
    return 0;
}

static int add_arg(struct cursor *c, const char *text)
{
    struct up_item *it = c->open;
    size_t len = strlen(text);

    if (it == NULL)
        return bad(c, "%s outside a server, vm or image", "arg");
    if (it->argc == UP_MAX_ARGS)
        return bad(c, "more than %s arguments", "96");
    if (len >= UP_MAX_ARG_LEN)
        return bad(c, "%s longer than 2047 bytes", "argument");
    it->argv[it->argc] = malloc(len + 1);
    if (it->argv[it->argc] == NULL)
        return bad(c, "%s", "out of memory");
    memcpy(it->argv[it->argc++], text, len + 1);
    return 0;
}

static int close_item(struct cursor *c)
{
    if (c->open == NULL)
        return bad(c, "%s without an item", "end");
    if (c->open->argc == 0)
        return bad(c, "'%s' has no command line", c->open->name);
    c->open = NULL;
    return 0;
}

/* One line, without its newline. */
static int parse_line(struct cursor *c, const char *s)
{
    if (c->line == 1)
        return strcmp(s, "svmm-plan 1") ? bad(c, "%s", "not an svmm up plan (the first line must be 'svmm-plan 1')") : 0;
    if (!strncmp(s, "arg ", 4))
        return add_arg(c, s + 4);
    if (s[0] == '\0' || s[0] == '#')
        return 0;
    if (!strcmp(s, "end"))
        return close_item(c);
    if (!strncmp(s, "server ", 7))
        return open_item(c, UP_SERVER, s + 7);
    if (!strncmp(s, "vm ", 3))
        return open_item(c, UP_VM, s + 3);
    if (!strncmp(s, "image ", 6))
        return open_item(c, UP_IMAGE, s + 6);
    return bad(c, "unknown line '%.40s'", s);
}

int up_plan_parse(struct up_plan *p, const char *text, char *err, size_t errlen)
{
    struct cursor c = { .p = p, .err = err, .errlen = errlen };
    char line[UP_MAX_ARG_LEN + 8];

    memset(p, 0, sizeof(*p));
    while (*text) {
        size_t len = strcspn(text, "\n");
        c.line++;
        if (len >= sizeof(line))
            return bad(&c, "%s longer than 2054 bytes", "line");
        memcpy(line, text, len);
        line[len] = '\0';
        if (parse_line(&c, line) < 0)
            return -1;
        text += len + (text[len] == '\n');
    }
    if (c.line == 0)
        return bad(&c, "%s", "an empty plan");
    if (c.open) {
        c.line = c.open->line;
        return bad(&c, "'%s' has no 'end'", c.open->name);
    }
    return 0;
}

void up_plan_free(struct up_plan *p)
{
    for (unsigned i = 0; i < p->nitems; i++)
        for (unsigned a = 0; a < p->items[i].argc; a++)
            free(p->items[i].argv[a]);
    p->nitems = 0;
}

char *up_plan_expand(const char *arg, const char *run_dir)
{
    static const char var[] = "${RUN_DIR}";
    size_t n = 0, rl = strlen(run_dir), vl = sizeof(var) - 1;
    char *out, *o;

    for (const char *s = strstr(arg, var); s; s = strstr(s + vl, var))
        n++;
    out = malloc(strlen(arg) + n * rl + 1);
    if (out == NULL)
        return NULL;
    o = out;
    for (const char *s = arg;;) {
        const char *v = strstr(s, var);
        size_t k = v ? (size_t)(v - s) : strlen(s);
        memcpy(o, s, k);
        o += k;
        if (!v)
            break;
        memcpy(o, run_dir, rl);
        o += rl;
        s = v + vl;
    }
    *o = '\0';
    return out;
}
