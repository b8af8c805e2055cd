/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svmm-blk-agent: runs in a driver VM and serves its VMM's block relay (include/svmm/blk_relay.h)
 * on the VM's own disk. It finds the virtio-console port named "svmm-blk" through
 * /sys/class/virtio-ports/<port>/name, opens /dev/<port>, and carries out the request frames on the
 * disk (a discard is a hint and is dropped).
 *
 * Where each client's partition lies is this VM's business: the table is the agent's command line,
 *   svmm-blk-agent [--disk DEV] [--jobs N] [--no-splice] [--no-map] NAME=OFFSET:SIZE[:ro] ...
 * (bytes, with an optional K, M or G suffix; DEV defaults to /dev/vda). The VMM's HELLO frames
 * number the clients it serves; a HELLO whose name is not in the table, or whose size is larger
 * than the table's, leaves that client number refused (its requests fail). A client the table
 * marks ro cannot write even if the VMM lets it. Requests are checked against the table's range
 * before the partition's offset is added: the VMM is trusted, but a bug there must not become a
 * wild write here.
 *
 * Concurrency: one thread, up to N requests in flight (--jobs, default 8, each with its own buffer)
 * through Linux AIO on the disk opened with O_DIRECT; completions arrive on an eventfd, and the
 * answers go in any order (the relay matches tags). Served one at a time, the driver VM's vCPU sat
 * idle while its disk worked and the user VM waited; threads would overlap that too, but each
 * request would cost thread switches in a VM that may have a single vCPU. A FLUSH is a barrier
 * (blk_relay.h): the agent waits until nothing is in flight, syncs, answers, and only then reads on.
 * Without AIO or direct I/O (another kernel or disk) the I/O is done at once, in order.
 *
 * The port costs the VMM an exit per buffer chain the Linux driver sends: answers without data
 * completed together go in one write(); a READ's answer goes through vmsplice + splice, which the
 * driver sends as one chain of pages (a write() is at most 32 KiB). The splice copies each piece
 * of the pipe into a fresh page at the piece's stream position within a page, so the answers
 * queued so far and the READ's header go first in a page of their own, padded to its end (the
 * header's `pad`, which the VMM skips): the data then stays on page boundaries, one piece per
 * page, and header and data are one chain, one exit (a header of 24 bytes alone in the pipe would
 * put every page of data off its boundary and split it in two; by write() it cost a chain of its
 * own). --no-splice: all by write(), unpadded.
 *
 * Mapped buffers (blk_relay.h): when the VMM's HELLOs offer them, READs land in buffers whose
 * guest-physical pages the VMM knows (declared once by MAP frames) and are answered by a header
 * alone (READ_BUF), batched with the other answers: the VMM copies the data from those pages into
 * the client's region. No splice, no copy in this VM, no chain of pages per READ. The buffers
 * (2 per job) are pinned for this process's life through an io_uring registration (a long-term
 * pin: the kernel neither moves nor frees the pages while it holds it, and it holds it past this
 * process's memory teardown until the ring is closed, after the port: the port's descriptor is
 * lower, so the VMM has taken every answer before the pages can go). Their addresses come from
 * /proc/self/pagemap. A buffer answered from is lent to the READ's tag until a later request
 * reuses that tag (the VMM frees a tag only after taking its answer); with none free, a READ goes
 * the spliced way. --no-map: never.
 *
 * Restarts: if this process exits or is killed, the VMM keeps the requests it had not answered and
 * sends them again to the next agent (blk_relay.h); a new agent waits briefly for the old one's port
 * to be released (Linux lets one process have a port open).
 *
 * Built static for the guest:
 *   aarch64-linux-gnu-gcc -static -O2 -std=c11 -Iinclude -o svmm-blk-agent tools/blk-agent/blk_agent.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <svmm/blk_relay.h>
#include <svmm/le.h>

#define MAX_LEN BLKQ_MAX_SLOT_SIZE
#define MAX_PARTS 16u
#define MAX_JOBS 32u
#define DEFAULT_JOBS 8u
#define PAGE 4096u
#define RESP_BYTES sizeof(struct blk_agent_resp)
/*
 * Pipe pages per splice, each a descriptor of the chain the driver sends: within the VMM's chain
 * limit (VIRTQ_MAX_SIZE, 256). A 1 MiB READ (the relay's largest part) and the page before it are
 * 257 pages: two chains, of 256 and 1.
 */
#define PIPE_BYTES (256u * PAGE)

/* One line of the table: a name, a byte range of the disk, read-only or not. */
struct part {
    char name[BLK_SERVER_NAME_MAX + 1];
    uint64_t offset, size;
    bool ro;
};

static struct part parts[MAX_PARTS];
static unsigned nparts;
/* Client number (from the VMM's HELLO) -> its line in parts[], or NULL: refused or never declared. */
static const struct part *clients[BLK_SERVER_MAX_CLIENTS];
static bool client_ro[BLK_SERVER_MAX_CLIENTS]; /* the VMM's or the table's read-only, whichever is set */

/* The disk: buffered, and direct (O_DIRECT when the disk allows, else the buffered one). */
static int disk = -1, ddisk = -1;
static int port = -1;
static bool use_splice = true;
static int pipefd[2] = { -1, -1 }; /* for splice; [0] < 0 without */
static bool use_map = true;

/* A size: digits with an optional K, M or G suffix. -1 if it is not one. */
static int parse_bytes(const char *s, const char *end, uint64_t *out)
{
    uint64_t v = 0;
    unsigned shift = 0;

    if (s == end || *s < '0' || *s > '9')
        return -1;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (s < end) {
        shift = *s == 'K' ? 10 : *s == 'M' ? 20 : *s == 'G' ? 30 : 99;
        if (shift == 99 || s + 1 != end || v > (UINT64_MAX >> shift))
            return -1;
    }
    *out = v << shift;
    return 0;
}

/* NAME=OFFSET:SIZE[:ro] into parts[nparts]; -1 with a message. */
static int add_part(const char *arg, uint64_t disk_bytes)
{
    const char *eq = strchr(arg, '='), *c1 = eq ? strchr(eq, ':') : NULL, *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    struct part *p;

    if (nparts == MAX_PARTS || eq == NULL || c1 == NULL || eq == arg || (size_t)(eq - arg) > BLK_SERVER_NAME_MAX) {
        fprintf(stderr, "svmm-blk-agent: '%s' is not NAME=OFFSET:SIZE[:ro] (or more than %u)\n", arg, MAX_PARTS);
        return -1;
    }
    /* nparts < MAX_PARTS (checked above): inside parts[]. */
    p = &parts[nparts];
    memset(p, 0, sizeof(*p));
    memcpy(p->name, arg, (size_t)(eq - arg)); /* <= BLK_SERVER_NAME_MAX: the NUL stays */
    if (parse_bytes(eq + 1, c1, &p->offset) < 0 || parse_bytes(c1 + 1, c2 ? c2 : c1 + 1 + strlen(c1 + 1), &p->size) < 0 ||
        (c2 != NULL && strcmp(c2, ":ro") != 0) || p->size == 0 || p->offset % 512 || p->size % 512 ||
        p->offset > disk_bytes || p->size > disk_bytes - p->offset) {
        fprintf(stderr, "svmm-blk-agent: '%s': bad numbers, not 512-aligned, or outside the disk (%llu bytes)\n", arg,
                (unsigned long long)disk_bytes);
        return -1;
    }
    p->ro = c2 != NULL;
    nparts++;
    return 0;
}

/* ---- reading the port ---- */

/*
 * The Linux driver returns at most one receive buffer (a page) per read(): small frames are read
 * into this staging buffer several at a time, long data straight into its destination.
 */
static struct {
    uint8_t b[PAGE];
    size_t at, n;
} rx;

/* Read exactly n bytes from the port; 0, or -1 at end of stream or on an error. */
static int port_read(void *dst, size_t n)
{
    uint8_t *p = dst;

    while (n > 0) {
        bool direct = rx.at == rx.n && n >= sizeof(rx.b); /* a whole buffer or more: no staging copy */
        ssize_t r;

        if (rx.at < rx.n) {
            size_t k = rx.n - rx.at < n ? rx.n - rx.at : n;
            memcpy(p, rx.b + rx.at, k); /* rx.at + k <= rx.n <= sizeof(rx.b) */
            rx.at += k, p += k, n -= k;
            continue;
        }
        r = direct ? read(port, p, n) : read(port, rx.b, sizeof(rx.b));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        if (direct)
            p += r, n -= (size_t)r;
        else
            rx.at = 0, rx.n = (size_t)r;
    }
    return 0;
}

/* ---- writing the port ---- */

/* write() until all n bytes are taken (the driver takes at most 32 KiB per call); 0 or -1. */
static int port_write(const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = write(port, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r, n -= (size_t)r;
    }
    return 0;
}

/* write() the `cnt` buffers of v in order; 0 or -1. */
static int port_writev(const struct iovec *v, int cnt)
{
    for (int i = 0; i < cnt; i++)
        if (port_write(v[i].iov_base, v[i].iov_len) < 0)
            return -1;
    return 0;
}

/*
 * The same through the pipe: vmsplice the `cnt` buffers of v in (without SPLICE_F_GIFT the driver
 * copies them into its own pages, so the buffers are free again when splice returns) and splice
 * them into the port, one chain per pipeful. Whatever splice does not take goes by write(), in
 * order. Consumes v (advanced past what went). 0 or -1.
 */
static int port_splice(struct iovec *v, int cnt)
{
    while (cnt > 0) {
        ssize_t in = vmsplice(pipefd[1], v, (unsigned long)cnt, 0), moved = 0;

        if (in < 0 && errno == EINTR)
            continue;
        if (in <= 0)
            return port_writev(v, cnt);
        while (moved < in) {
            ssize_t s = splice(pipefd[0], NULL, port, NULL, (size_t)(in - moved), 0);
            if (s < 0 && errno == EINTR)
                continue;
            if (s <= 0) { /* what is left in the pipe goes out by write(), in order */
                uint8_t tmp[PAGE];
                while (moved < in) {
                    size_t want = (size_t)(in - moved) < sizeof(tmp) ? (size_t)(in - moved) : sizeof(tmp);
                    ssize_t k = read(pipefd[0], tmp, want);
                    if (k <= 0 || port_write(tmp, (size_t)k) < 0)
                        return -1;
                    moved += k;
                }
                break;
            }
            moved += s;
        }
        /* Past the `in` bytes that went: whole buffers, then into the next one. */
        for (; cnt > 0 && (size_t)in >= v->iov_len; v++, cnt--)
            in -= (ssize_t)v->iov_len;
        if (cnt > 0)
            v->iov_base = (uint8_t *)v->iov_base + in, v->iov_len -= (size_t)in;
    }
    return 0;
}

/* The answer header for (op, ok, data length, tag, padding before the data), into h (RESP_BYTES). */
static void answer_header(uint8_t *h, uint32_t op, bool ok, uint32_t len, uint32_t tag, uint32_t pad)
{
    memset(h, 0, RESP_BYTES);
    le_put(&h[offsetof(struct blk_agent_resp, magic)], BLK_AGENT_MAGIC, 4);
    le_put(&h[offsetof(struct blk_agent_resp, op)], op, 4);
    le_put(&h[offsetof(struct blk_agent_resp, status)], ok ? BLK_AGENT_OK : BLK_AGENT_EIO, 4);
    le_put(&h[offsetof(struct blk_agent_resp, len)], len, 4);
    le_put(&h[offsetof(struct blk_agent_resp, tag)], tag, 4);
    le_put(&h[offsetof(struct blk_agent_resp, pad)], pad, 4);
}

/* Answers without data, gathered to go in one write() (at most one per job, plus a FLUSH's). */
static struct {
    uint8_t b[(MAX_JOBS + 1) * RESP_BYTES];
    size_t n;
} small;

static int flush_headers(void)
{
    int r = small.n > 0 ? port_write(small.b, small.n) : 0;

    small.n = 0;
    return r;
}

/*
 * Queue an answer without data following it (a full batch goes first; it holds more than can
 * complete at once): `pad` 0, or READ_BUF's buffer.
 */
static int queue_header(uint32_t op, bool ok, uint32_t len, uint32_t tag, uint32_t pad)
{
    int r = small.n + RESP_BYTES > sizeof(small.b) ? flush_headers() : 0;

    answer_header(small.b + small.n, op, ok, len, tag, pad); /* small.n + RESP_BYTES <= sizeof(small.b) */
    small.n += RESP_BYTES;
    return r;
}

/* The page that leads a spliced READ answer (page-aligned; setup). */
static uint8_t *head_page;

_Static_assert(sizeof(small.b) + RESP_BYTES <= PAGE && PAGE - RESP_BYTES <= BLK_AGENT_MAX_PAD,
               "the queued answers and a READ's header fit one page, its padding is what the VMM takes");

/*
 * A READ's answer, after those queued. Spliced: one page holding the queued answers, the READ's
 * header and the padding to the page's end, then the data (page-aligned): one chain. Else the
 * header by write() and then the data. 0 or -1.
 */
static int send_read(uint32_t tag, uint8_t *data, uint32_t len)
{
    if (pipefd[0] >= 0 && len > 0) {
        size_t at = small.n; /* <= sizeof(small.b): the assertion above leaves room for the header */
        struct iovec v[2] = { { head_page, PAGE }, { data, len } };

        memcpy(head_page, small.b, at);
        small.n = 0;
        answer_header(head_page + at, BLK_AGENT_READ, true, len, tag, (uint32_t)(PAGE - at - RESP_BYTES));
        memset(head_page + at + RESP_BYTES, 0, PAGE - at - RESP_BYTES);
        return port_splice(v, 2);
    }
    if (queue_header(BLK_AGENT_READ, true, len, tag, 0) < 0 || flush_headers() < 0)
        return -1;
    return port_write(data, len);
}

/* ---- the port and the disk ---- */

/* /dev/vportNpM of the port named BLK_AGENT_PORT, into path; -1 if there is none. */
static int find_port(char *path, size_t len)
{
    DIR *d = opendir("/sys/class/virtio-ports");
    struct dirent *e;
    int found = -1;

    while (d != NULL && found < 0 && (e = readdir(d)) != NULL) {
        char name_path[512], name[64] = "";
        FILE *f;
        if (e->d_name[0] == '.')
            continue;
        snprintf(name_path, sizeof(name_path), "/sys/class/virtio-ports/%s/name", e->d_name);
        if ((f = fopen(name_path, "r")) == NULL)
            continue;
        if (fgets(name, sizeof(name), f) != NULL) {
            name[strcspn(name, "\n")] = '\0';
            if (!strcmp(name, BLK_AGENT_PORT)) {
                snprintf(path, len, "/dev/%s", e->d_name);
                found = 0;
            }
        }
        fclose(f);
    }
    if (d != NULL)
        closedir(d);
    return found;
}

/*
 * Open the port. Linux allows one process at a time (EBUSY): a restarted agent may start before
 * its predecessor's exit has released the port, so it tries for a while.
 */
static int open_port(const char *path)
{
    const struct timespec pause = { 0, 100 * 1000 * 1000 };

    for (unsigned i = 0; i < 100; i++) {
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd >= 0 || errno != EBUSY)
            return fd;
        nanosleep(&pause, NULL);
    }
    return -1;
}

/* A HELLO: client `client` is `name`, `size` bytes, read-only per flags. */
static void hello(uint32_t client, const char *name, uint64_t size, uint32_t flags)
{
    const struct part *p = NULL;

    for (unsigned i = 0; i < nparts && p == NULL; i++)
        if (!strcmp(parts[i].name, name))
            p = &parts[i];
    if (client >= BLK_SERVER_MAX_CLIENTS) {
        fprintf(stderr, "svmm-blk-agent: HELLO for client number %u: out of range, ignored\n", client);
        return;
    }
    /* client < BLK_SERVER_MAX_CLIENTS (checked above): inside clients[] and client_ro[]. */
    clients[client] = NULL;
    if (p == NULL || size > p->size) {
        fprintf(stderr, "svmm-blk-agent: client %u '%s' (%llu bytes): %s; refused\n", client, name,
                (unsigned long long)size, p == NULL ? "not in the table" : "larger than its range");
        return;
    }
    clients[client] = p;
    client_ro[client] = p->ro || (flags & BLK_AGENT_HELLO_RO);
    fprintf(stderr, "svmm-blk-agent: client %u '%s': %llu bytes at %llu%s\n", client, name, (unsigned long long)size,
            (unsigned long long)p->offset, client_ro[client] ? ", read-only" : "");
}

/*
 * Where request (client, op, off, len) goes on the disk: 0 with *at set, or -1 (refused client,
 * outside its range, a write to a read-only one). Checked before the partition's offset is added.
 */
static int place(uint32_t client, uint32_t op, uint64_t off, uint32_t len, uint64_t *at)
{
    const struct part *p = client < BLK_SERVER_MAX_CLIENTS ? clients[client] : NULL;

    if (p == NULL || len > MAX_LEN || off > p->size || len > p->size - off ||
        (op == BLK_AGENT_WRITE && client_ro[client]))
        return -1;
    *at = p->offset + off; /* off + len <= p->size and p inside the disk (add_part): inside the disk */
    return 0;
}

/*
 * One READ or WRITE at disk offset `at`: 0 or -1. Direct I/O when the disk allows it (the data is
 * copied once less: no page cache in this VM, and a direct write drops cached copies of its blocks,
 * so buffered reads stay coherent); offsets and lengths are whole sectors, buffers page-aligned. A
 * direct read the disk refuses (EINVAL) is done through the page cache.
 */
static int disk_io(uint32_t op, uint64_t at, uint32_t len, uint8_t *buf)
{
    ssize_t r;

    if (op == BLK_AGENT_WRITE)
        return pwrite(ddisk, buf, len, (off_t)at) == (ssize_t)len ? 0 : -1;
    r = pread(ddisk, buf, len, (off_t)at);
    if (r < 0 && errno == EINVAL && ddisk != disk)
        r = pread(disk, buf, len, (off_t)at);
    return r == (ssize_t)len ? 0 : -1;
}

/* ---- requests in flight ---- */

struct job {
    uint32_t op, len, tag;
    uint64_t at;      /* where on the disk */
    uint8_t *buf;     /* page-aligned, MAX_LEN bytes: its own */
    int mb;           /* a READ into mapped buffer mb (the I/O's buffer instead of buf), or -1 */
    struct job *next; /* on the free list */
    struct iocb cb;
};

static struct job jobs[MAX_JOBS];
static unsigned njobs = DEFAULT_JOBS, inflight;
static struct job *free_jobs;
static aio_context_t aio_ctx;
static bool have_aio;
static int aio_efd = -1; /* the kernel counts completions here */

/* ---- mapped buffers (see the top) ---- */

#define MAX_MAPPED BLK_AGENT_MAX_BUFS
_Static_assert(MAX_MAPPED <= BLK_AGENT_MAX_BUFS && MAX_LEN == BLK_AGENT_BUF_PAGES * BLK_AGENT_PAGE,
               "the buffers' numbers and sizes are what the VMM takes");

enum mb_state { MB_FREE, MB_IO, MB_LENT };
static struct {
    uint8_t *mem;                         /* nmapped * MAX_LEN bytes, pinned */
    unsigned n;                           /* 0: none (not offered, not possible, or --no-map) */
    uint64_t gpa[MAX_MAPPED][BLK_AGENT_BUF_PAGES];
    enum mb_state state[MAX_MAPPED];
    uint32_t lent_tag[MAX_MAPPED];        /* MB_LENT: the tag whose READ_BUF answer names it */
    bool offered;                         /* a HELLO offered them: set up once, MAPs sent if any */
} mapped;

/* Where job j's I/O goes (or comes from). */
static uint8_t *io_buf(const struct job *j)
{
    return j->mb >= 0 ? mapped.mem + (size_t)j->mb * MAX_LEN : j->buf; /* mb < mapped.n */
}

/* A free mapped buffer for a READ, marked in use; -1 if none (the READ goes the spliced way). */
static int take_mapped(void)
{
    for (unsigned i = 0; mapped.offered && i < mapped.n; i++)
        if (mapped.state[i] == MB_FREE) {
            mapped.state[i] = MB_IO;
            return (int)i;
        }
    return -1;
}

/* A request with `tag` came: the VMM has taken the answer it last had under that tag. */
static void release_tag(uint32_t tag)
{
    for (unsigned i = 0; i < mapped.n; i++)
        if (mapped.state[i] == MB_LENT && mapped.lent_tag[i] == tag)
            mapped.state[i] = MB_FREE;
}

/*
 * The guest-physical pages of mapped buffer b (pinned, so they stay put) from /proc/self/pagemap:
 * bit 63 present, bits 0-54 the page frame (0 to a process without CAP_SYS_ADMIN). 0 or -1.
 */
static int buffer_pages(int pagemap, unsigned b)
{
    uint64_t e[BLK_AGENT_BUF_PAGES];
    uintptr_t va = (uintptr_t)(mapped.mem + (size_t)b * MAX_LEN);

    if (pread(pagemap, e, sizeof(e), (off_t)(va / BLK_AGENT_PAGE * sizeof(e[0]))) != (ssize_t)sizeof(e))
        return -1;
    for (unsigned i = 0; i < BLK_AGENT_BUF_PAGES; i++) {
        uint64_t pfn = e[i] & ((1ull << 55) - 1);
        if (!(e[i] >> 63) || pfn == 0)
            return -1;
        mapped.gpa[b][i] = pfn * BLK_AGENT_PAGE;
    }
    return 0;
}

/*
 * Mapped buffers (see the top), when the first HELLO offers them (a VMM that does not costs no
 * memory): 2 per job, pinned by an io_uring registration kept for this process's life (opened
 * after the port, so closed after it), their pages found. Without any of that (no io_uring, no
 * pagemap frames, another page size) READs go the spliced way: a message.
 */
static void map_setup(void)
{
    static int ring = -1; /* holds the pin: never closed */
    unsigned n = 2 * njobs < MAX_MAPPED ? 2 * njobs : MAX_MAPPED;
    size_t bytes = (size_t)n * MAX_LEN;
    struct io_uring_params params;
    struct iovec v[MAX_MAPPED];
    int pagemap = -1;
    void *mem;
    unsigned b = 0;

    if (!use_map || sysconf(_SC_PAGESIZE) != (long)BLK_AGENT_PAGE)
        return;
    mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (mem == MAP_FAILED)
        return;
    mapped.mem = mem;
    for (unsigned i = 0; i < n; i++)
        v[i] = (struct iovec){ mapped.mem + (size_t)i * MAX_LEN, MAX_LEN };
    memset(&params, 0, sizeof(params));
    ring = (int)syscall(SYS_io_uring_setup, 1u, &params);
    if (ring >= 0 && syscall(SYS_io_uring_register, ring, IORING_REGISTER_BUFFERS, v, n) == 0 &&
        (pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)) >= 0)
        for (; b < n && buffer_pages(pagemap, b) == 0; b++)
            ;
    if (pagemap >= 0)
        close(pagemap);
    if (b == n) {
        mapped.n = n;
        return;
    }
    fprintf(stderr, "svmm-blk-agent: no mapped buffers (%s): READs go by splice\n",
            ring < 0 ? "no io_uring to pin them" : pagemap < 0 ? "not pinned or no pagemap" : "no page frames");
    if (ring >= 0)
        close(ring);
    ring = -1;
    munmap(mem, bytes);
    mapped.mem = NULL;
}

/* The MAP frames, once, after a HELLO offered them; from then on READs may be answered with READ_BUF. 0 or -1. */
static int send_maps(void)
{
    uint8_t f[RESP_BYTES + BLK_AGENT_BUF_PAGES * 8];

    fprintf(stderr, "svmm-blk-agent: %u mapped buffers of %u bytes: READs answered from them\n", mapped.n, MAX_LEN);
    for (unsigned b = 0; b < mapped.n; b++) {
        answer_header(f, BLK_AGENT_MAP, true, BLK_AGENT_BUF_PAGES * 8, b, 0);
        for (unsigned i = 0; i < BLK_AGENT_BUF_PAGES; i++)
            le_put(f + RESP_BYTES + 8 * i, mapped.gpa[b][i], 8); /* 8 * i + 8 <= sizeof(f) - RESP_BYTES */
        if (port_write(f, sizeof(f)) < 0)
            return -1;
    }
    return 0;
}

/* Job j is done: queue or send its answer, and put it back. 0 or -1 (port). */
static int finish(struct job *j, bool ok)
{
    int r = 0;

    if (ok && j->op == BLK_AGENT_READ && j->mb >= 0) {
        /* The data stays in the buffer until the VMM has taken this answer: lent to the tag. */
        mapped.state[j->mb] = MB_LENT;
        mapped.lent_tag[j->mb] = j->tag;
        r = queue_header(BLK_AGENT_READ_BUF, true, j->len, j->tag, (uint32_t)j->mb);
    } else {
        if (j->mb >= 0)
            mapped.state[j->mb] = MB_FREE;
        if (ok && j->op == BLK_AGENT_READ)
            r = send_read(j->tag, j->buf, j->len);
        else
            r = queue_header(j->op, ok, 0, j->tag, 0);
    }
    j->mb = -1;
    j->next = free_jobs;
    free_jobs = j;
    inflight--;
    return r;
}

/* Start job j's I/O: AIO, or at once if there is none or the kernel refused the iocb. 0 or -1 (port). */
static int start(struct job *j)
{
    struct iocb *cb = &j->cb;

    if (j->op == BLK_AGENT_DISCARD)
        return finish(j, true); /* a hint: keeping the data is allowed */
    if (have_aio) {
        memset(cb, 0, sizeof(*cb));
        cb->aio_data = (uint64_t)(uintptr_t)j;
        cb->aio_lio_opcode = j->op == BLK_AGENT_WRITE ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
        cb->aio_fildes = (uint32_t)ddisk;
        cb->aio_buf = (uint64_t)(uintptr_t)io_buf(j);
        cb->aio_nbytes = j->len;
        cb->aio_offset = (int64_t)j->at;
        cb->aio_flags = IOCB_FLAG_RESFD;
        cb->aio_resfd = (uint32_t)aio_efd;
        if (syscall(SYS_io_submit, aio_ctx, 1L, &cb) == 1)
            return 0;
    }
    return finish(j, disk_io(j->op, j->at, j->len, io_buf(j)) == 0);
}

/* Answer the completed I/Os (with `wait`, at least one). 0 or -1 (port). */
static int reap(bool wait)
{
    struct io_event ev[MAX_JOBS];
    struct timespec zero = { 0, 0 };
    long n;

    if (!have_aio)
        return 0;
    n = syscall(SYS_io_getevents, aio_ctx, wait ? 1L : 0L, (long)MAX_JOBS, ev, wait ? NULL : &zero);
    for (long i = 0; i < n; i++) {
        struct job *j = (struct job *)(uintptr_t)ev[i].data;
        bool ok = ev[i].res == (int64_t)j->len;
        /* A direct read the disk refused: through the page cache (disk_io does that). */
        if (!ok && ev[i].res == -EINVAL && j->op == BLK_AGENT_READ)
            ok = disk_io(j->op, j->at, j->len, io_buf(j)) == 0;
        if (finish(j, ok) < 0)
            return -1;
    }
    return flush_headers();
}

/* ---- frames from the VMM ---- */

/* A FLUSH: after everything before it, and before anything after it. 0 or -1 (port). */
static int flush(uint32_t client, uint32_t tag)
{
    while (inflight > 0)
        if (reap(true) < 0)
            return -1;
    if (queue_header(BLK_AGENT_FLUSH,
                     client < BLK_SERVER_MAX_CLIENTS && clients[client] != NULL && fdatasync(disk) == 0, 0, tag, 0) < 0)
        return -1;
    return flush_headers();
}

/* One frame (the caller has a free job for it): 1 to go on, 0 at end of stream, -1 after a bad frame. */
static int frame(void)
{
    uint8_t h[sizeof(struct blk_agent_req)];
    uint32_t op, len, tag, client;
    uint64_t off;
    struct job *j;

    if (port_read(h, sizeof(h)) < 0)
        return 0;
    op = le32(&h[offsetof(struct blk_agent_req, op)]);
    off = le64(&h[offsetof(struct blk_agent_req, offset)]);
    len = le32(&h[offsetof(struct blk_agent_req, len)]);
    tag = le32(&h[offsetof(struct blk_agent_req, tag)]);
    client = le32(&h[offsetof(struct blk_agent_req, client)]);
    if (le32(h) != BLK_AGENT_MAGIC || op >= BLK_AGENT_OPS || len > MAX_LEN ||
        (op == BLK_AGENT_HELLO && (len == 0 || len > BLK_SERVER_NAME_MAX))) {
        fprintf(stderr, "svmm-blk-agent: bad frame from the VMM (op %u, len %u): stopping\n", op, len);
        return -1; /* the stream is out of step: nothing after this can be trusted */
    }
    if (op == BLK_AGENT_HELLO) {
        char name[BLK_SERVER_NAME_MAX + 1];
        if (port_read(name, len) < 0) /* len <= BLK_SERVER_NAME_MAX (checked above) */
            return 0;
        name[len] = '\0';
        hello(client, name, off, le32(&h[offsetof(struct blk_agent_req, flags)]));
        if ((le32(&h[offsetof(struct blk_agent_req, flags)]) & BLK_AGENT_HELLO_BUF) && !mapped.offered) {
            mapped.offered = true; /* set up (or tried) once: the HELLOs of every client offer them */
            map_setup();
            if (mapped.n > 0 && send_maps() < 0)
                return 0;
        }
        return 1;
    }
    release_tag(tag); /* the VMM took the answer it last had under this tag (blk_relay.h) */
    if (op == BLK_AGENT_FLUSH)
        return flush(client, tag) < 0 ? 0 : 1;
    j = free_jobs;
    free_jobs = j->next;
    inflight++;
    j->op = op, j->len = len, j->tag = tag;
    j->mb = op == BLK_AGENT_READ ? take_mapped() : -1;
    if (op == BLK_AGENT_WRITE && port_read(j->buf, len) < 0) /* len <= MAX_LEN: the buffer's size */
        return 0;
    if (place(client, op, off, len, &j->at) < 0)
        return finish(j, false) < 0 ? 0 : 1; /* refused: answered with the next batch */
    return start(j) < 0 ? 0 : 1;
}

/*
 * Wait for the port (while a job is free) or a completion; frames already in the staging buffer
 * are taken without waiting. 0 at end of stream, 1 after a bad frame.
 */
static int serve(void)
{
    for (;;) {
        /* p[0] the port (only with a free job), p[1] the completions (only with AIO) */
        struct pollfd p[2] = { { port, POLLIN, 0 }, { aio_efd, POLLIN, 0 } };
        bool staged = rx.at < rx.n, can_take = free_jobs != NULL;
        nfds_t nfds = (nfds_t)can_take + (nfds_t)have_aio;
        int n = nfds == 0 ? 0 : poll(can_take ? p : p + 1, nfds, staged && can_take ? 0 : -1);
        bool completions = n > 0 && have_aio && (p[1].revents & POLLIN);
        int r;

        if (n < 0 && errno != EINTR)
            return 0;
        if (completions) {
            uint64_t c;
            if (read(aio_efd, &c, sizeof(c)) < 0 && errno != EAGAIN)
                return 0;
            if (reap(false) < 0)
                return 0;
        }
        if (can_take && (staged || (n > 0 && p[0].revents))) {
            if ((r = frame()) <= 0)
                return r < 0 ? 1 : 0;
            if (flush_headers() < 0) /* answers decided without I/O (refused, discard, no AIO) */
                return 0;
        }
    }
}

/* Buffers for the jobs, Linux AIO (if the kernel has it) and the splice pipe; -1 with a message. */
static int setup(void)
{
    void *page = NULL;

    for (unsigned i = 0; i < njobs; i++) {
        void *mem;
        if (posix_memalign(&mem, PAGE, MAX_LEN) != 0) {
            fprintf(stderr, "svmm-blk-agent: out of memory for %u buffers of %u bytes\n", njobs, MAX_LEN);
            return -1;
        }
        jobs[i].buf = mem;
        jobs[i].mb = -1;
        jobs[i].next = free_jobs;
        free_jobs = &jobs[i];
    }
    have_aio = ddisk != disk && syscall(SYS_io_setup, (long)MAX_JOBS, &aio_ctx) == 0 &&
               (aio_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) >= 0;
    if (use_splice && posix_memalign(&page, PAGE, PAGE) == 0 && (head_page = page) != NULL &&
        pipe2(pipefd, O_CLOEXEC) == 0)
        fcntl(pipefd[1], F_SETPIPE_SZ, (int)PIPE_BYTES); /* else the default size: more, smaller chains */
    else
        pipefd[0] = pipefd[1] = -1;
    return 0;
}

/*
 * --disk DEV, --jobs N, --no-splice, --no-map, --port-fd N (tests: the stream on an inherited descriptor
 * instead of the console port) before the table; returns the table's first argument or -1.
 */
static int options(int argc, char **argv, const char **disk_path)
{
    int i = 1;

    while (i < argc && !strncmp(argv[i], "--", 2)) {
        if (!strcmp(argv[i], "--disk") && i + 1 < argc) {
            *disk_path = argv[i + 1], i += 2;
        } else if (!strcmp(argv[i], "--jobs") && i + 1 < argc) {
            char *end;
            unsigned long n = strtoul(argv[i + 1], &end, 10);
            if (*end != '\0' || n < 1 || n > MAX_JOBS) {
                fprintf(stderr, "svmm-blk-agent: --jobs takes 1..%u\n", MAX_JOBS);
                return -1;
            }
            njobs = (unsigned)n, i += 2;
        } else if (!strcmp(argv[i], "--no-splice")) {
            use_splice = false, i++;
        } else if (!strcmp(argv[i], "--no-map")) {
            use_map = false, i++;
        } else if (!strcmp(argv[i], "--port-fd") && i + 1 < argc) {
            port = atoi(argv[i + 1]), i += 2;
        } else {
            fprintf(stderr, "svmm-blk-agent: unknown option %s\n", argv[i]);
            return -1;
        }
    }
    return i;
}

int main(int argc, char **argv)
{
    const char *disk_path = "/dev/vda";
    char port_path[300];
    int argi = options(argc, argv, &disk_path);
    off_t end;

    if (argi < 0)
        return 1;
    disk = open(disk_path, O_RDWR | O_CLOEXEC);
    if (disk < 0 || (end = lseek(disk, 0, SEEK_END)) < 0) {
        fprintf(stderr, "svmm-blk-agent: cannot open %s: %s\n", disk_path, strerror(errno));
        return 1;
    }
    ddisk = open(disk_path, O_RDWR | O_CLOEXEC | O_DIRECT);
    if (ddisk < 0)
        ddisk = disk; /* a disk without direct I/O: through the page cache */
    for (; argi < argc; argi++)
        if (add_part(argv[argi], (uint64_t)end) < 0)
            return 1;
    if (nparts == 0) {
        fprintf(stderr, "usage: svmm-blk-agent [--disk DEV] [--jobs N] [--no-splice] [--no-map] NAME=OFFSET:SIZE[:ro] ...\n");
        return 1;
    }
    if (port >= 0)
        snprintf(port_path, sizeof(port_path), "descriptor %d", port);
    else if (find_port(port_path, sizeof(port_path)) < 0 || (port = open_port(port_path)) < 0) {
        fprintf(stderr, "svmm-blk-agent: no virtio-console port named %s (or it stayed busy)\n", BLK_AGENT_PORT);
        return 1;
    }
    if (setup() < 0)
        return 1;
    fprintf(stderr, "svmm-blk-agent: serving %u partitions of %s (%lld bytes) on %s; %u jobs, %s, %s%s\n", nparts,
            disk_path, (long long)end, port_path, njobs, have_aio ? "AIO" : "no AIO",
            pipefd[0] < 0 ? "no splice" : "splice", use_map ? ", mapped buffers if offered" : "");
    return serve();
}
