/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svmm-blk-agent: runs in a driver VM and serves its VMM's block relay (include/svmm/blk_relay.h)
 * on the VM's own disk. It finds the virtio-console port named "svmm-blk" through
 * /sys/class/virtio-ports/<port>/name, opens /dev/<port>, and answers each request frame in order
 * with pread / pwrite / fdatasync (a discard is a hint and is dropped).
 *
 * Where each client's partition lies is this VM's business: the table is the agent's command line,
 *   svmm-blk-agent [--disk DEV] NAME=OFFSET:SIZE[:ro] ...
 * (bytes, with an optional K, M or G suffix; DEV defaults to /dev/vda). The VMM's HELLO frames
 * number the clients it serves; a HELLO whose name is not in the table, or whose size is larger
 * than the table's, leaves that client number refused (its requests fail). A client the table
 * marks ro cannot write even if the VMM lets it. Requests are checked against the table's range
 * before the partition's offset is added: the VMM is trusted, but a bug there must not become a
 * wild write here.
 *
 * Built static for the guest: aarch64-linux-gnu-gcc -static -O2 -Iinclude -o svmm-blk-agent tools/blk-agent/blk_agent.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <svmm/blk_relay.h>
#include <svmm/le.h>

#define MAX_LEN BLKQ_MAX_SLOT_SIZE
#define MAX_PARTS 16u

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

/* Read exactly n bytes; 0, or -1 at end of stream or on an error. */
static int read_full(int fd, void *buf, size_t n)
{
    uint8_t *p = buf;

    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r, n -= (size_t)r;
    }
    return 0;
}

/* Write both pieces (the second may be empty) completely; 0 or -1. */
static int write_full2(int fd, const void *a, size_t alen, const void *b, size_t blen)
{
    struct iovec iov[2] = { { (void *)a, alen }, { (void *)b, blen } };
    unsigned i = 0;

    while (i < 2) {
        ssize_t r;
        if (iov[i].iov_len == 0) {
            i++;
            continue;
        }
        r = writev(fd, &iov[i], (int)(2 - i));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        for (size_t left = (size_t)r; left > 0 && i < 2;) {
            size_t k = left < iov[i].iov_len ? left : iov[i].iov_len;
            iov[i].iov_base = (uint8_t *)iov[i].iov_base + k, iov[i].iov_len -= k, left -= k;
            if (iov[i].iov_len == 0)
                i++;
        }
    }
    return 0;
}

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

/* A HELLO: client `client` is `name` (len bytes), `size` bytes, read-only per flags. */
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
 * Writes go to the disk with O_DIRECT when it allows (wdisk): the data is copied once less (no page
 * cache in this VM), and the direct write drops any cached copy of those blocks, so reads through
 * the page cache (disk) stay coherent. Offsets and lengths are whole sectors, the buffer page-aligned.
 */
static int wdisk = -1;

/* One request on the disk: 0 or -1. Checked against the client's range before its offset is added. */
static int do_io(int disk, uint32_t client, uint32_t op, uint64_t off, uint32_t len, uint8_t *buf)
{
    const struct part *p = client < BLK_SERVER_MAX_CLIENTS ? clients[client] : NULL;

    if (p == NULL)
        return -1;
    if (op == BLK_AGENT_FLUSH)
        return fdatasync(disk);
    if (len > MAX_LEN || off > p->size || len > p->size - off || (op == BLK_AGENT_WRITE && client_ro[client]))
        return -1;
    off += p->offset; /* off + len <= p->size and p inside the disk (add_part): inside the disk */
    switch (op) {
    case BLK_AGENT_READ:
        return pread(disk, buf, len, (off_t)off) == (ssize_t)len ? 0 : -1;
    case BLK_AGENT_WRITE:
        return pwrite(wdisk, buf, len, (off_t)off) == (ssize_t)len ? 0 : -1;
    default:
        return 0; /* DISCARD: a hint, keeping the data is allowed */
    }
}

/* Serve frames until the stream ends. */
static int serve(int port, int disk)
{
    static _Alignas(4096) uint8_t buf[MAX_LEN];
    uint8_t h[sizeof(struct blk_agent_req)], a[sizeof(struct blk_agent_resp)];

    for (;;) {
        uint32_t op, len, tag, client;
        uint64_t off;
        int r;

        if (read_full(port, h, sizeof(h)) < 0)
            return 0;
        op = le32(&h[offsetof(struct blk_agent_req, op)]);
        off = le64(&h[offsetof(struct blk_agent_req, offset)]);
        len = le32(&h[offsetof(struct blk_agent_req, len)]);
        tag = le32(&h[offsetof(struct blk_agent_req, tag)]);
        client = le32(&h[offsetof(struct blk_agent_req, client)]);
        if (le32(h) != BLK_AGENT_MAGIC || op >= BLK_AGENT_OPS || len > MAX_LEN ||
            (op == BLK_AGENT_HELLO && (len == 0 || len > BLK_SERVER_NAME_MAX))) {
            fprintf(stderr, "svmm-blk-agent: bad frame from the VMM (op %u, len %u): stopping\n", op, len);
            return 1; /* the stream is out of step: nothing after this can be trusted */
        }
        if ((op == BLK_AGENT_WRITE || op == BLK_AGENT_HELLO) && read_full(port, buf, len) < 0)
            return 0; /* len <= MAX_LEN = sizeof(buf) */
        if (op == BLK_AGENT_HELLO) {
            char name[BLK_SERVER_NAME_MAX + 1];
            memcpy(name, buf, len); /* len <= BLK_SERVER_NAME_MAX (checked above) */
            name[len] = '\0';
            hello(client, name, off, le32(&h[offsetof(struct blk_agent_req, flags)]));
            continue;
        }
        r = do_io(disk, client, op, off, len, buf);
        memset(a, 0, sizeof(a));
        le_put(&a[offsetof(struct blk_agent_resp, magic)], BLK_AGENT_MAGIC, 4);
        le_put(&a[offsetof(struct blk_agent_resp, op)], op, 4);
        le_put(&a[offsetof(struct blk_agent_resp, status)], r == 0 ? BLK_AGENT_OK : BLK_AGENT_EIO, 4);
        le_put(&a[offsetof(struct blk_agent_resp, len)], r == 0 && op == BLK_AGENT_READ ? len : 0, 4);
        le_put(&a[offsetof(struct blk_agent_resp, tag)], tag, 4);
        if (write_full2(port, a, sizeof(a), buf, r == 0 && op == BLK_AGENT_READ ? len : 0) < 0)
            return 0;
    }
}

int main(int argc, char **argv)
{
    const char *disk_path = "/dev/vda";
    char port_path[300];
    int disk, port, argi = 1;
    off_t end;

    if (argc > 2 && !strcmp(argv[1], "--disk"))
        disk_path = argv[2], argi = 3;
    disk = open(disk_path, O_RDWR | O_CLOEXEC);
    if (disk < 0 || (end = lseek(disk, 0, SEEK_END)) < 0) {
        fprintf(stderr, "svmm-blk-agent: cannot open %s: %s\n", disk_path, strerror(errno));
        return 1;
    }
    wdisk = open(disk_path, O_RDWR | O_CLOEXEC | O_DIRECT);
    if (wdisk < 0)
        wdisk = disk; /* a disk without direct I/O: through the page cache */
    for (; argi < argc; argi++)
        if (add_part(argv[argi], (uint64_t)end) < 0)
            return 1;
    if (nparts == 0) {
        fprintf(stderr, "usage: svmm-blk-agent [--disk DEV] NAME=OFFSET:SIZE[:ro] ...\n");
        return 1;
    }
    if (find_port(port_path, sizeof(port_path)) < 0 || (port = open(port_path, O_RDWR | O_CLOEXEC)) < 0) {
        fprintf(stderr, "svmm-blk-agent: no virtio-console port named %s\n", BLK_AGENT_PORT);
        return 1;
    }
    fprintf(stderr, "svmm-blk-agent: serving %u partitions of %s (%lld bytes) on %s\n", nparts, disk_path,
            (long long)end, port_path);
    return serve(port, disk);
}
