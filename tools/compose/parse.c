/* SPDX-License-Identifier: BSD-2-Clause */
/* Read a system description (YAML, via libfyaml) into struct sys, keeping each field's line. */
#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "compose.h"

/* The 1-based line where node `n` starts (its first key or item for collections), else `fallback`. */
static int node_line(struct fy_node *n, int fallback)
{
    struct fy_token *t;
    const struct fy_mark *m;
    void *it = NULL;

    if (n == NULL)
        return fallback;
    switch (fy_node_get_type(n)) {
    case FYNT_SCALAR:
        t = fy_node_get_scalar_token(n);
        m = t ? fy_token_start_mark(t) : NULL;
        return m ? m->line + 1 : fallback;
    case FYNT_MAPPING: {
        struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
        return p ? node_line(fy_node_pair_key(p), fallback) : fallback;
    }
    case FYNT_SEQUENCE:
        return node_line(fy_node_sequence_iterate(n, &it), fallback);
    }
    return fallback;
}

/* A field path for messages: "vms.alpha.ram", built by callers. */
#define FIELD(buf, ...) (snprintf(buf, sizeof(buf), __VA_ARGS__), buf)

static bool scalar(struct sys *s, struct fy_node *n, int line, const char *field, const char **out)
{
    if (n == NULL || !fy_node_is_scalar(n)) {
        compose_error(s, line, field, "expected a single value");
        return false;
    }
    *out = fy_node_get_scalar0(n);
    return *out != NULL;
}

static void get_str(struct sys *s, struct fy_node *n, int line, const char *field, char *dst, size_t len)
{
    const char *v;

    if (!scalar(s, n, line, field, &v))
        return;
    if (strlen(v) >= len) {
        compose_error(s, line, field, "longer than %zu characters", len - 1);
        return;
    }
    strcpy(dst, v);
}

static bool parse_u64(const char *v, uint64_t *out, bool allow_suffix)
{
    char *end;
    unsigned long long x;
    unsigned shift = 0;

    if (v[0] < '0' || v[0] > '9')
        return false;
    errno = 0;
    x = strtoull(v, &end, 0);
    if (errno)
        return false;
    if (allow_suffix && *end) {
        switch (*end) {
        case 'K': shift = 10; break;
        case 'M': shift = 20; break;
        case 'G': shift = 30; break;
        default: return false;
        }
        end++;
        if (*end == 'i')
            end++;
        if (*end == 'B')
            end++;
    }
    if (*end || (shift && x > (~0ull >> shift)))
        return false;
    *out = (uint64_t)x << shift;
    return true;
}

static void get_u64(struct sys *s, struct fy_node *n, int line, const char *field, uint64_t *dst)
{
    const char *v;

    if (scalar(s, n, line, field, &v) && !parse_u64(v, dst, false))
        compose_error(s, line, field, "'%s' is not a number", v);
}

static void get_size(struct sys *s, struct fy_node *n, int line, const char *field, uint64_t *dst)
{
    const char *v;

    if (scalar(s, n, line, field, &v) && !parse_u64(v, dst, true))
        compose_error(s, line, field, "'%s' is not a size (e.g. 256M, 1G, 0x10000000)", v);
}

static void get_uint(struct sys *s, struct fy_node *n, int line, const char *field, unsigned *dst)
{
    uint64_t x = 0;
    unsigned before = s->errors;

    get_u64(s, n, line, field, &x);
    if (s->errors != before)
        return;
    if (x > 0xffffffffu)
        compose_error(s, line, field, "%llu is too large", (unsigned long long)x);
    else
        *dst = (unsigned)x;
}

static void get_bool(struct sys *s, struct fy_node *n, int line, const char *field, bool *dst)
{
    const char *v;

    if (!scalar(s, n, line, field, &v))
        return;
    if (!strcmp(v, "true") || !strcmp(v, "yes"))
        *dst = true;
    else if (!strcmp(v, "false") || !strcmp(v, "no"))
        *dst = false;
    else
        compose_error(s, line, field, "'%s' is not true or false", v);
}

struct pair_it { struct fy_node *n; void *it; bool ok; const char *key; struct fy_node *val; int line, fallback; };
struct item_it { struct fy_node *n, *node; void *it; bool ok; int idx; };

static struct pair_it pairs_begin(struct sys *s, struct fy_node *n, int line, const char *field)
{
    struct pair_it p = { .n = n, .ok = n != NULL && fy_node_is_mapping(n), .fallback = line };

    if (!p.ok)
        compose_error(s, line, field, "expected a mapping of fields");
    return p;
}

static bool pairs_next(struct pair_it *p)
{
    struct fy_node_pair *np;

    if (!p->ok || (np = fy_node_mapping_iterate(p->n, &p->it)) == NULL)
        return false;
    p->key = fy_node_get_scalar0(fy_node_pair_key(np));
    if (p->key == NULL)
        p->key = "";
    p->val = fy_node_pair_value(np);
    p->line = node_line(fy_node_pair_key(np), p->fallback);
    return true;
}

static struct item_it items_begin(struct sys *s, struct fy_node *n, int line, const char *field)
{
    struct item_it i = { .n = n, .ok = n != NULL && fy_node_is_sequence(n), .idx = -1 };

    if (!i.ok)
        compose_error(s, line, field, "expected a list");
    return i;
}

static bool items_next(struct item_it *i)
{
    if (!i->ok || (i->node = fy_node_sequence_iterate(i->n, &i->it)) == NULL)
        return false;
    i->idx++;
    return true;
}

/* for each (key, value, line of the key) of mapping n; `break` skips to the next pair. */
#define FOR_PAIRS(S_, N_, L_, F_, K, V, KL)                                                       \
    for (struct pair_it pi_##K = pairs_begin(S_, N_, L_, F_); pairs_next(&pi_##K);)               \
        for (const char *K = pi_##K.key, *o_##K = K; o_##K; o_##K = NULL)                            \
            for (struct fy_node *V = pi_##K.val; o_##K; o_##K = NULL)                                \
                for (int KL = pi_##K.line; o_##K; o_##K = NULL)

/* for each (item, index) of sequence n; `break` skips to the next item. */
#define FOR_ITEMS(S_, N_, L_, F_, IT, IX)                                                         \
    for (struct item_it ii_##IT = items_begin(S_, N_, L_, F_); items_next(&ii_##IT);)             \
        for (struct fy_node *IT = ii_##IT.node, *o_##IT = IT; o_##IT; o_##IT = NULL)                 \
            for (int IX = ii_##IT.idx; o_##IT; o_##IT = NULL)

static void unknown(struct sys *s, int line, const char *where, const char *key)
{
    char f[160];

    compose_error(s, line, FIELD(f, "%s%s%s", where, *where ? "." : "", key), "unknown field");
}

static void parse_image(struct sys *s, struct fy_node *n, int line, const char *field, struct image_file *img)
{
    img->line = node_line(n, line);
    get_str(s, n, img->line, field, img->path, sizeof(img->path));
}

/* One partition of a block server or of a driver VM's disk: name, size, readonly. */
static void parse_partition(struct sys *s, struct fy_node *n, int line, const char *where, struct partition *p)
{
    char f[224];

    p->line = node_line(n, line);
    FOR_PAIRS(s, n, p->line, where, key, val, kl) {
        FIELD(f, "%s.%s", where, key);
        if (!strcmp(key, "name")) {
            get_str(s, val, kl, f, p->name, sizeof(p->name));
        } else if (!strcmp(key, "size")) {
            p->size_line = kl;
            get_size(s, val, kl, f, &p->size);
        } else if (!strcmp(key, "readonly")) {
            get_bool(s, val, kl, f, &p->readonly);
        } else {
            compose_error(s, kl, f, "unknown field");
        }
    }
}

static void parse_device(struct sys *s, struct fy_node *n, int line, const char *where, struct device *d)
{
    char f[160];
    const char *type = NULL;
    struct fy_node *t = fy_node_is_mapping(n) ? fy_node_mapping_lookup_by_string(n, "type", -1) : NULL;

    d->line = node_line(n, line);
    if (t == NULL) {
        compose_error(s, d->line, where, "a device needs a type (console, blk, net, rng or vsock)");
        return;
    }
    if (!scalar(s, t, d->line, FIELD(f, "%s.type", where), &type))
        return;
    if (!strcmp(type, "console")) d->type = DEV_CONSOLE;
    else if (!strcmp(type, "blk")) d->type = DEV_BLK;
    else if (!strcmp(type, "net")) d->type = DEV_NET;
    else if (!strcmp(type, "rng")) d->type = DEV_RNG;
    else if (!strcmp(type, "vsock")) d->type = DEV_VSOCK;
    else {
        compose_error(s, d->line, FIELD(f, "%s.type", where), "unknown device type '%s' (console, blk, net, rng, vsock)",
                      type);
        return;
    }
    FOR_PAIRS(s, n, d->line, where, key, val, kl) {
        FIELD(f, "%s.%s", where, key);
        if (!strcmp(key, "type"))
            continue;
        if (d->type == DEV_BLK && !strcmp(key, "file")) {
            d->file_line = kl;
            get_str(s, val, kl, f, d->file, sizeof(d->file));
        } else if (d->type == DEV_BLK && !strcmp(key, "server")) {
            d->server_line = kl;
            get_str(s, val, kl, f, d->server, sizeof(d->server));
        } else if (d->type == DEV_BLK && !strcmp(key, "ramdisk")) {
            d->ramdisk_line = kl;
            get_size(s, val, kl, f, &d->ramdisk);
        } else if (d->type == DEV_BLK && !strcmp(key, "disk")) {
            d->disk_line = kl;
            get_str(s, val, kl, f, d->disk, sizeof(d->disk));
        } else if (d->type == DEV_BLK && !strcmp(key, "partitions")) {
            d->parts_line = kl;
            FOR_ITEMS(s, val, kl, f, item, j) {
                char g[224];
                if (d->nparts == MAX_PARTITIONS) {
                    compose_error(s, node_line(item, kl), f, "at most %d partitions", MAX_PARTITIONS);
                    break;
                }
                /* nparts < MAX_PARTITIONS (checked above): inside parts[]. */
                parse_partition(s, item, kl, FIELD(g, "%s[%d]", f, j), &d->parts[d->nparts++]);
            }
        } else if (d->type == DEV_BLK && !strcmp(key, "readonly")) {
            d->readonly_line = kl;
            get_bool(s, val, kl, f, &d->readonly);
        } else if (d->type == DEV_NET && !strcmp(key, "switch")) {
            d->sw_line = kl;
            get_str(s, val, kl, f, d->sw, sizeof(d->sw));
        } else if (d->type == DEV_NET && !strcmp(key, "reach")) {
            d->reach_line = kl;
            FOR_ITEMS(s, val, kl, f, item, i) {
                char g[192];
                if (d->nreach == MAX_VMS) {
                    compose_error(s, node_line(item, kl), f, "more than %u entries", MAX_VMS);
                    break;
                }
                get_str(s, item, node_line(item, kl), FIELD(g, "%s[%d]", f, i), d->reach[d->nreach], NAME_MAX_LEN);
                d->nreach++;
            }
        } else if (d->type == DEV_NET && !strcmp(key, "mac")) {
            d->mac_line = kl;
            get_str(s, val, kl, f, d->mac, sizeof(d->mac));
        } else if (d->type == DEV_CONSOLE && !strcmp(key, "multiport")) {
            d->multiport_line = kl;
            get_bool(s, val, kl, f, &d->multiport);
        } else if (d->type == DEV_VSOCK && !strcmp(key, "cid")) {
            d->cid_line = kl;
            get_u64(s, val, kl, f, &d->cid);
        } else {
            compose_error(s, kl, f, "unknown field for a %s device", type);
        }
    }
}

static void parse_passthrough(struct sys *s, struct fy_node *n, int line, const char *where, struct passthrough *p)
{
    char f[160];

    p->line = node_line(n, line);
    p->dma = true; /* unless the description says the device never masters memory */
    FOR_PAIRS(s, n, p->line, where, key, val, kl) {
        FIELD(f, "%s.%s", where, key);
        if (!strcmp(key, "name")) {
            get_str(s, val, kl, f, p->name, sizeof(p->name));
        } else if (!strcmp(key, "mmio")) {
            FOR_ITEMS(s, val, kl, f, item, i) {
                char g[192];
                struct mmio_region *r;
                if (p->nmmio == MAX_PT_MMIO) {
                    compose_error(s, node_line(item, kl), f, "at most %d regions", MAX_PT_MMIO);
                    break;
                }
                r = &p->mmio[p->nmmio++];
                r->line = node_line(item, kl);
                FOR_PAIRS(s, item, r->line, f, k2, v2, kl2) {
                    FIELD(g, "%s[%d].%s", f, i, k2);
                    if (!strcmp(k2, "base"))
                        get_u64(s, v2, kl2, g, &r->base);
                    else if (!strcmp(k2, "size"))
                        get_size(s, v2, kl2, g, &r->size);
                    else
                        compose_error(s, kl2, g, "unknown field");
                }
            }
        } else if (!strcmp(key, "irqs")) {
            FOR_ITEMS(s, val, kl, f, item, i) {
                char g[192];
                struct irq_ref *q;
                if (p->nirqs == MAX_PT_IRQS) {
                    compose_error(s, node_line(item, kl), f, "at most %d interrupts", MAX_PT_IRQS);
                    break;
                }
                q = &p->irqs[p->nirqs++];
                q->line = node_line(item, kl);
                get_uint(s, item, q->line, FIELD(g, "%s[%d]", f, i), &q->irq);
            }
        } else if (!strcmp(key, "dt_node")) {
            p->dt_node_line = kl;
            get_str(s, val, kl, f, p->dt_node, sizeof(p->dt_node));
        } else if (!strcmp(key, "trigger")) {
            char t[16] = "";
            p->trigger_line = kl;
            get_str(s, val, kl, f, t, sizeof(t));
            if (!strcmp(t, "edge"))
                p->edge = true;
            else if (strcmp(t, "level"))
                compose_error(s, kl, f, "'%s': give level or edge", t);
        } else if (!strcmp(key, "dma")) {
            p->dma_line = kl;
            get_bool(s, val, kl, f, &p->dma);
        } else {
            unknown(s, kl, where, key);
        }
    }
}

static void parse_vm(struct sys *s, struct fy_node *n, int line, int index, struct vm *v)
{
    char where[64], f[160];
    struct fy_node *name = fy_node_is_mapping(n) ? fy_node_mapping_lookup_by_string(n, "name", -1) : NULL;

    v->line = node_line(n, line);
    snprintf(where, sizeof(where), "vms[%d]", index);
    if (name != NULL) {
        get_str(s, name, node_line(name, v->line), "vms.name", v->name, sizeof(v->name));
        if (v->name[0])
            snprintf(where, sizeof(where), "vms.%s", v->name);
    }
    v->ram_base = 0x40000000ull;
    v->vcpus = 1;
    v->priority = 100;
    v->vmm_priority = 254;
    v->vmm_passive = -1;
    snprintf(v->bootargs, sizeof(v->bootargs), "console=ttyS0 earlycon"); /* as svmm run */
    v->serve_dev = -1;
    v->max_restarts = 3;
    v->restart_window = 60;
    FOR_PAIRS(s, n, v->line, where, key, val, kl) {
        FIELD(f, "%s.%s", where, key);
        if (!strcmp(key, "name")) {
            continue;
        } else if (!strcmp(key, "kernel")) {
            parse_image(s, val, kl, f, &v->kernel);
        } else if (!strcmp(key, "initrd")) {
            parse_image(s, val, kl, f, &v->initrd);
        } else if (!strcmp(key, "bootargs")) {
            get_str(s, val, kl, f, v->bootargs, sizeof(v->bootargs));
        } else if (!strcmp(key, "ram")) {
            v->ram_line = kl;
            get_size(s, val, kl, f, &v->ram);
        } else if (!strcmp(key, "ram_base")) {
            v->ram_base_line = kl;
            get_u64(s, val, kl, f, &v->ram_base);
        } else if (!strcmp(key, "vcpus")) {
            v->vcpus_line = kl;
            get_uint(s, val, kl, f, &v->vcpus);
        } else if (!strcmp(key, "pcpus")) {
            v->pcpus_line = kl;
            FOR_ITEMS(s, val, kl, f, item, i) {
                char g[192];
                if (v->npcpus == SVMM_MAX_VCPUS) {
                    compose_error(s, node_line(item, kl), f, "more than %u entries", SVMM_MAX_VCPUS);
                    break;
                }
                v->pcpu_lines[v->npcpus] = node_line(item, kl);
                get_uint(s, item, v->pcpu_lines[v->npcpus], FIELD(g, "%s[%d]", f, i), &v->pcpus[v->npcpus]);
                v->npcpus++;
            }
        } else if (!strcmp(key, "priority")) {
            v->priority_line = kl;
            get_uint(s, val, kl, f, &v->priority);
        } else if (!strcmp(key, "vmm_priority")) {
            v->vmm_priority_line = kl;
            get_uint(s, val, kl, f, &v->vmm_priority);
        } else if (!strcmp(key, "vmm_passive")) {
            bool b = false;
            v->vmm_passive_line = kl;
            get_bool(s, val, kl, f, &b);
            v->vmm_passive = b;
        } else if (!strcmp(key, "budget_us")) {
            v->mcs_line = kl;
            get_u64(s, val, kl, f, &v->budget_us);
        } else if (!strcmp(key, "period_us")) {
            v->mcs_line = kl;
            get_u64(s, val, kl, f, &v->period_us);
        } else if (!strcmp(key, "console")) {
            const char *c;
            v->console_line = kl;
            if (scalar(s, val, kl, f, &c)) {
                if (!strcmp(c, "input"))
                    v->console_input = true;
                else if (strcmp(c, "output") != 0)
                    compose_error(s, kl, f, "'%s' is not input or output", c);
            }
        } else if (!strcmp(key, "on_fault")) {
            const char *c;
            v->on_fault_line = kl;
            if (scalar(s, val, kl, f, &c)) {
                if (!strcmp(c, "restart"))
                    v->restart_on_fault = true;
                else if (strcmp(c, "stop") != 0)
                    compose_error(s, kl, f, "'%s' is not restart or stop", c);
            }
        } else if (!strcmp(key, "ram_identity")) {
            v->ram_identity_line = kl;
            get_bool(s, val, kl, f, &v->ram_identity);
        } else if (!strcmp(key, "kernel_addr")) {
            v->kernel_addr_line = kl;
            get_u64(s, val, kl, f, &v->kernel_addr);
            if (v->kernel_addr == 0)
                compose_error(s, kl, f, "a raw kernel's address cannot be 0 (leave kernel_addr out for a Linux Image)");
        } else if (!strcmp(key, "ram_ranges")) {
            v->ram_ranges_line = kl;
            FOR_ITEMS(s, val, kl, f, item, i) {
                struct svmm_ram_range *r;
                char g[192];
                if (v->nram_ranges == SVMM_MAX_EXTRA_RAM) {
                    compose_error(s, node_line(item, kl), f, "at most %u ranges besides ram:", SVMM_MAX_EXTRA_RAM);
                    break;
                }
                r = &v->ram_ranges[v->nram_ranges++]; /* nram_ranges < SVMM_MAX_EXTRA_RAM: checked above */
                FOR_PAIRS(s, item, node_line(item, kl), f, k2, v2, kl2) {
                    FIELD(g, "%s[%d].%s", f, i, k2);
                    if (!strcmp(k2, "base"))
                        get_u64(s, v2, kl2, g, &r->base);
                    else if (!strcmp(k2, "size"))
                        get_size(s, v2, kl2, g, &r->size);
                    else
                        compose_error(s, kl2, g, "unknown field");
                }
                if (r->size == 0 || (r->base | r->size) % 0x200000u || r->size > (4ull << 30))
                    compose_error(s, node_line(item, kl), FIELD(g, "%s[%d]", f, i),
                                  "a RAM range needs a base and a size (at most 4 GiB), both multiples of 2 MiB");
            }
        } else if (!strcmp(key, "colours")) {
            v->colours_line = kl;
            v->coloured = true;
            FOR_ITEMS(s, val, kl, f, item, i) {
                unsigned c = 0;
                char g[192];
                get_uint(s, item, node_line(item, kl), FIELD(g, "%s[%d]", f, i), &c);
                if (c >= COLOUR_MAX)
                    compose_error(s, node_line(item, kl), g, "colour %u: at most %u colours", c, COLOUR_MAX);
                else if (v->colour_mask[c])
                    compose_error(s, node_line(item, kl), g, "colour %u given twice", c);
                else
                    v->colour_mask[c] = true; /* c < COLOUR_MAX: checked above */
            }
        } else if (!strcmp(key, "test_fault")) {
            v->test_fault_line = kl;
            get_bool(s, val, kl, f, &v->test_fault);
        } else if (!strcmp(key, "max_restarts")) {
            v->max_restarts_line = kl;
            get_uint(s, val, kl, f, &v->max_restarts);
        } else if (!strcmp(key, "restart_window")) {
            v->restart_window_line = kl;
            get_uint(s, val, kl, f, &v->restart_window);
        } else if (!strcmp(key, "watchdog")) {
            v->watchdog_line = kl;
            get_uint(s, val, kl, f, &v->watchdog);
        } else if (!strcmp(key, "watchdog_boot")) {
            v->watchdog_boot_line = kl;
            get_uint(s, val, kl, f, &v->watchdog_boot);
        } else if (!strcmp(key, "devices")) {
            FOR_ITEMS(s, val, kl, f, item, i) {
                char g[192];
                if (v->ndevs == MAX_DEVS) {
                    compose_error(s, node_line(item, kl), f, "at most %d devices", MAX_DEVS);
                    break;
                }
                parse_device(s, item, kl, FIELD(g, "%s[%d]", f, i), &v->devs[v->ndevs++]);
            }
        } else if (!strcmp(key, "passthrough")) {
            v->pt_line = kl;
            FOR_ITEMS(s, val, kl, f, item, i) {
                char g[192];
                if (v->npt == MAX_PT) {
                    compose_error(s, node_line(item, kl), f, "at most %d passthrough devices", MAX_PT);
                    break;
                }
                parse_passthrough(s, item, kl, FIELD(g, "%s[%d]", f, i), &v->pt[v->npt++]);
            }
        } else {
            unknown(s, kl, where, key);
        }
    }
    if (!v->name[0])
        compose_error(s, v->line, where, "a VM needs a name");
    if (!v->kernel.path[0])
        compose_error(s, v->line, where, "a VM needs a kernel");
    if (!v->ram) {
        v->ram = 256ull << 20;
    }
}

static void parse_slot(struct sys *s, struct fy_node *n, int line, const char *where0, struct slot *sl)
{
    char where[96], f[192];
    struct fy_node *name = fy_node_is_mapping(n) ? fy_node_mapping_lookup_by_string(n, "name", -1) : NULL;

    sl->line = node_line(n, line);
    snprintf(where, sizeof(where), "%s", where0);
    if (name != NULL) {
        get_str(s, name, node_line(name, sl->line), "dynamic.slots.name", sl->name, sizeof(sl->name));
        if (sl->name[0])
            snprintf(where, sizeof(where), "dynamic.slots.%s", sl->name);
    }
    sl->vcpus = 1;
    sl->image_space = 64ull << 20;
    FOR_PAIRS(s, n, sl->line, where, key, val, kl) {
        FIELD(f, "%s.%s", where, key);
        if (!strcmp(key, "name")) {
            continue;
        } else if (!strcmp(key, "ram")) {
            sl->ram_line = kl;
            get_size(s, val, kl, f, &sl->ram);
        } else if (!strcmp(key, "vcpus")) {
            sl->vcpus_line = kl;
            get_uint(s, val, kl, f, &sl->vcpus);
        } else if (!strcmp(key, "pool")) {
            sl->pool_line = kl;
            get_str(s, val, kl, f, sl->pool, sizeof(sl->pool));
        } else if (!strcmp(key, "image_space")) {
            sl->image_space_line = kl;
            get_size(s, val, kl, f, &sl->image_space);
        } else if (!strcmp(key, "images")) {
            FOR_ITEMS(s, val, kl, f, item, i) {
                char g[224], h[256];
                struct dyn_image *im;
                if (sl->nimages == MAX_IMAGES) {
                    compose_error(s, node_line(item, kl), f, "at most %d images", MAX_IMAGES);
                    break;
                }
                im = &sl->images[sl->nimages++];
                im->line = node_line(item, kl);
                FIELD(g, "%s[%d]", f, i);
                FOR_PAIRS(s, item, im->line, g, k2, v2, kl2) {
                    FIELD(h, "%s.%s", g, k2);
                    if (!strcmp(k2, "name"))
                        get_str(s, v2, kl2, h, im->name, sizeof(im->name));
                    else if (!strcmp(k2, "kernel"))
                        parse_image(s, v2, kl2, h, &im->kernel);
                    else if (!strcmp(k2, "initrd"))
                        parse_image(s, v2, kl2, h, &im->initrd);
                    else
                        compose_error(s, kl2, h, "unknown field");
                }
                if (!im->name[0] || !im->kernel.path[0])
                    compose_error(s, im->line, g, "an image needs a name and a kernel");
            }
        } else {
            unknown(s, kl, where, key);
        }
    }
    if (!sl->name[0])
        compose_error(s, sl->line, where, "a slot needs a name");
    if (!sl->ram)
        sl->ram = 256ull << 20;
}

static void parse_dynamic(struct sys *s, struct fy_node *n, int line)
{
    char f[96];

    FOR_PAIRS(s, n, line, "dynamic", key, val, kl) {
        if (!strcmp(key, "pools")) {
            FOR_ITEMS(s, val, kl, "dynamic.pools", item, i) {
                struct pool *p;
                if (s->npools == MAX_POOLS) {
                    compose_error(s, node_line(item, kl), "dynamic.pools", "at most %d pools", MAX_POOLS);
                    break;
                }
                p = &s->pools[s->npools++];
                p->line = node_line(item, kl);
                FOR_PAIRS(s, item, p->line, "dynamic.pools", k2, v2, kl2) {
                    FIELD(f, "dynamic.pools[%d].%s", i, k2);
                    if (!strcmp(k2, "name"))
                        get_str(s, v2, kl2, f, p->name, sizeof(p->name));
                    else if (!strcmp(k2, "size"))
                        get_size(s, v2, kl2, f, &p->size);
                    else
                        compose_error(s, kl2, f, "unknown field");
                }
            }
        } else if (!strcmp(key, "slots")) {
            FOR_ITEMS(s, val, kl, "dynamic.slots", item, i) {
                if (s->nslots == MAX_SLOTS) {
                    compose_error(s, node_line(item, kl), "dynamic.slots", "at most %d slots", MAX_SLOTS);
                    break;
                }
                parse_slot(s, item, kl, FIELD(f, "dynamic.slots[%d]", i), &s->slots[s->nslots++]);
            }
        } else {
            unknown(s, kl, "dynamic", key);
        }
    }
}

/* One item of block_servers: name, ramdisk (seL4), file (hosted), partitions. */
static void parse_blk_server(struct sys *s, struct fy_node *n, int line, int i, struct blk_srv *b)
{
    char f[192];

    b->line = node_line(n, line);
    FOR_PAIRS(s, n, b->line, "block_servers", key, val, kl) {
        FIELD(f, "block_servers[%d].%s", i, key);
        if (!strcmp(key, "name")) {
            get_str(s, val, kl, f, b->name, sizeof(b->name));
        } else if (!strcmp(key, "ramdisk")) {
            b->ramdisk_line = kl;
            get_size(s, val, kl, f, &b->ramdisk);
        } else if (!strcmp(key, "file")) {
            b->file_line = kl;
            get_str(s, val, kl, f, b->file, sizeof(b->file));
        } else if (!strcmp(key, "partitions")) {
            FOR_ITEMS(s, val, kl, f, item, j) {
                char g[224];
                if (b->nparts == MAX_PARTITIONS) {
                    compose_error(s, node_line(item, kl), f, "at most %d partitions", MAX_PARTITIONS);
                    break;
                }
                /* nparts < MAX_PARTITIONS (checked above): inside parts[]. */
                parse_partition(s, item, kl, FIELD(g, "%s[%d]", f, j), &b->parts[b->nparts++]);
            }
        } else {
            compose_error(s, kl, f, "unknown field");
        }
    }
}

/* One item of shared_windows: name, size, and the VMs with their bases. */
static void parse_window(struct sys *s, struct fy_node *n, int line, int i, struct window *w)
{
    char f[96];

    w->line = node_line(n, line);
    FOR_PAIRS(s, n, w->line, "shared_windows", key, val, kl) {
        FIELD(f, "shared_windows[%d].%s", i, key);
        if (!strcmp(key, "name")) {
            get_str(s, val, kl, f, w->name, sizeof(w->name));
        } else if (!strcmp(key, "size")) {
            w->size_line = kl;
            get_size(s, val, kl, f, &w->size);
        } else if (!strcmp(key, "vms")) {
            FOR_ITEMS(s, val, kl, f, item, j) {
                char g[128];
                if (w->nat == MAX_VMS) {
                    compose_error(s, node_line(item, kl), f, "at most %d VMs", MAX_VMS);
                    break;
                }
                w->at[w->nat].line = node_line(item, kl);
                FOR_PAIRS(s, item, w->at[w->nat].line, f, k3, v3, kl3) {
                    FIELD(g, "%s[%d].%s", f, j, k3);
                    if (!strcmp(k3, "vm"))
                        get_str(s, v3, kl3, g, w->at[w->nat].vm, sizeof(w->at[w->nat].vm));
                    else if (!strcmp(k3, "base"))
                        get_u64(s, v3, kl3, g, &w->at[w->nat].base);
                    else
                        compose_error(s, kl3, g, "unknown field");
                }
                w->nat++; /* nat < MAX_VMS: checked above */
            }
        } else {
            compose_error(s, kl, f, "unknown field");
        }
    }
}

static void parse_root(struct sys *s, struct fy_node *root)
{
    char f[96];

    FOR_PAIRS(s, root, 1, "(top level)", key, val, kl) {
        if (!strcmp(key, "board")) {
            char name[NAME_MAX_LEN] = "";
            s->board_line = kl;
            get_str(s, val, kl, "board", name, sizeof(name));
            if (name[0] && (s->board = board_lookup(name)) == NULL)
                compose_error(s, kl, "board", "unknown board '%s' (known: qemu_virt_aarch64, qemu_virt_riscv64)", name);
        } else if (!strcmp(key, "gic")) {
            unsigned g = 0;
            s->gic_line = kl;
            get_uint(s, val, kl, "gic", &g);
            if (g != 2 && g != 3)
                compose_error(s, kl, "gic", "GIC version must be 2 or 3");
            else
                s->gic = (int)g;
        } else if (!strcmp(key, "vms")) {
            FOR_ITEMS(s, val, kl, "vms", item, i) {
                if (s->nvms == MAX_VMS) {
                    compose_error(s, node_line(item, kl), "vms", "at most %d VMs", MAX_VMS);
                    break;
                }
                parse_vm(s, item, kl, i, &s->vms[s->nvms++]);
            }
        } else if (!strcmp(key, "switches")) {
            s->switches_line = kl;
            FOR_ITEMS(s, val, kl, "switches", item, i) {
                struct vswitch *w;
                if (s->nswitches == MAX_SWITCHES) {
                    compose_error(s, node_line(item, kl), "switches", "at most %d switches", MAX_SWITCHES);
                    break;
                }
                w = &s->switches[s->nswitches++];
                w->line = node_line(item, kl);
                FOR_PAIRS(s, item, w->line, "switches", k2, v2, kl2) {
                    FIELD(f, "switches[%d].%s", i, k2);
                    if (!strcmp(k2, "name"))
                        get_str(s, v2, kl2, f, w->name, sizeof(w->name));
                    else
                        compose_error(s, kl2, f, "unknown field");
                }
            }
        } else if (!strcmp(key, "block_servers")) {
            s->bsrvs_line = kl;
            FOR_ITEMS(s, val, kl, "block_servers", item, i) {
                if (s->nbsrvs == MAX_BLK_SERVERS) {
                    compose_error(s, node_line(item, kl), "block_servers", "at most %d block servers", MAX_BLK_SERVERS);
                    break;
                }
                parse_blk_server(s, item, kl, i, &s->bsrvs[s->nbsrvs++]);
            }
        } else if (!strcmp(key, "components")) {
            s->components_line = kl;
            FOR_ITEMS(s, val, kl, "components", item, i) {
                struct component *c;
                if (s->ncomps == MAX_COMPONENTS) {
                    compose_error(s, node_line(item, kl), "components", "at most %d components", MAX_COMPONENTS);
                    break;
                }
                c = &s->comps[s->ncomps++];
                c->line = node_line(item, kl);
                c->priority = 200;
                FOR_PAIRS(s, item, c->line, "components", k2, v2, kl2) {
                    FIELD(f, "components[%d].%s", i, k2);
                    if (!strcmp(k2, "name")) {
                        get_str(s, v2, kl2, f, c->name, sizeof(c->name));
                    } else if (!strcmp(k2, "program")) {
                        c->program_line = kl2;
                        get_str(s, v2, kl2, f, c->program, sizeof(c->program));
                    } else if (!strcmp(k2, "priority")) {
                        get_uint(s, v2, kl2, f, &c->priority);
                    } else {
                        compose_error(s, kl2, f, "unknown field");
                    }
                }
                if (!c->name[0] || !c->program[0])
                    compose_error(s, c->line, FIELD(f, "components[%d]", i), "a component needs a name and a program");
            }
        } else if (!strcmp(key, "dynamic")) {
            s->dynamic_line = kl;
            parse_dynamic(s, val, kl);
        } else if (!strcmp(key, "shared_windows")) {
            s->windows_line = kl;
            FOR_ITEMS(s, val, kl, "shared_windows", item, i) {
                if (s->nwindows == MAX_WINDOWS) {
                    compose_error(s, node_line(item, kl), "shared_windows", "at most %d windows", MAX_WINDOWS);
                    break;
                }
                parse_window(s, item, kl, i, &s->windows[s->nwindows++]); /* nwindows < MAX_WINDOWS: checked above */
            }
        } else if (!strcmp(key, "board_dtb")) {
            s->board_dtb_line = kl;
            get_str(s, val, kl, "board_dtb", s->board_dtb, sizeof(s->board_dtb));
        } else if (!strcmp(key, "cache")) {
            s->cache_line = kl;
            FOR_PAIRS(s, val, kl, "cache", k2, v2, kl2) {
                FIELD(f, "cache.%s", k2);
                if (!strcmp(k2, "size"))
                    get_size(s, v2, kl2, f, &s->cache_size);
                else if (!strcmp(k2, "ways"))
                    get_uint(s, v2, kl2, f, &s->cache_ways);
                else
                    compose_error(s, kl2, f, "unknown field");
            }
        } else if (!strcmp(key, "admin")) {
            s->admin_line = kl;
            s->admin_priority = 254;
            FOR_PAIRS(s, val, kl, "admin", k2, v2, kl2) {
                FIELD(f, "admin.%s", k2);
                if (!strcmp(k2, "priority"))
                    get_uint(s, v2, kl2, f, &s->admin_priority);
                else
                    compose_error(s, kl2, f, "unknown field");
            }
        } else {
            unknown(s, kl, "", key);
        }
    }
    if (s->board == NULL && s->board_line == 0)
        compose_error(s, 1, "board", "missing (e.g. board: qemu_virt_aarch64)");
    if (s->nvms == 0)
        compose_error(s, 1, "vms", "the system has no VMs");
}

int parse_system(struct sys *s, const char *file)
{
    struct fy_parse_cfg cfg = { .flags = 0 };
    struct fy_document *doc;
    struct fy_node *root;

    FILE *f = fopen(file, "r");

    if (f == NULL) {
        compose_error(s, 0, "(file)", "cannot open: %s", strerror(errno));
        return -1;
    }
    fclose(f);
    /* libfyaml reports syntax errors itself, as "file:line:column: error: message". */
    doc = fy_document_build_from_file(&cfg, file);
    if (doc == NULL) {
        compose_error(s, 1, "(file)", "no YAML document (empty, or see the parser's message above)");
        return -1;
    }
    root = fy_document_root(doc);
    if (root == NULL)
        compose_error(s, 1, "(file)", "empty document");
    else
        parse_root(s, root);
    fy_document_destroy(doc);
    return s->errors ? -1 : 0;
}
