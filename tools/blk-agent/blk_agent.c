/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * svmm-blk-agent: runs in a driver VM and serves its VMM's block relay (include/svmm/blk_relay.h)
 * on the VM's own disk. It finds the virtio-console port named "svmm-blk" through
 * /sys/class/virtio-ports/<port>/name, opens /dev/<port>, and answers each request frame in order
 * with pread / pwrite / fdatasync / BLKDISCARD-or-nothing. Requests naming bytes outside the disk are
 * answered with an error: the VMM is trusted, but a bug there must not become a wild write here.
 * Built static for the guest: aarch64-linux-gnu-gcc -static -O2 -Iinclude -o svmm-blk-agent tools/blk-agent/blk_agent.c
 * usage: svmm-blk-agent [DISK]   (default /dev/vda)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <svmm/blk_relay.h>
#include <svmm/le.h>

#define MAX_LEN BLKQ_MAX_SLOT_SIZE

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

static int write_full(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;

    while (n > 0) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r, n -= (size_t)r;
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

static int do_io(int disk, uint64_t disk_bytes, uint32_t op, uint64_t off, uint32_t len, uint8_t *buf)
{
    if (op != BLK_AGENT_FLUSH && (len > MAX_LEN || off > disk_bytes || len > disk_bytes - off))
        return -1;
    switch (op) {
    case BLK_AGENT_READ:
        return pread(disk, buf, len, (off_t)off) == (ssize_t)len ? 0 : -1;
    case BLK_AGENT_WRITE:
        return pwrite(disk, buf, len, (off_t)off) == (ssize_t)len ? 0 : -1;
    case BLK_AGENT_FLUSH:
        return fdatasync(disk);
    case BLK_AGENT_DISCARD:
        return 0; /* a hint: keeping the data is allowed */
    default:
        return -1;
    }
}

/* Serve frames until the stream ends. */
static int serve(int port, int disk, uint64_t disk_bytes)
{
    static uint8_t buf[MAX_LEN];
    uint8_t h[sizeof(struct blk_agent_req)], a[sizeof(struct blk_agent_resp)];

    for (;;) {
        uint32_t op, len, tag;
        uint64_t off;
        int r;

        if (read_full(port, h, sizeof(h)) < 0)
            return 0;
        op = le32(&h[offsetof(struct blk_agent_req, op)]);
        off = le64(&h[offsetof(struct blk_agent_req, offset)]);
        len = le32(&h[offsetof(struct blk_agent_req, len)]);
        tag = le32(&h[offsetof(struct blk_agent_req, tag)]);
        if (le32(h) != BLK_AGENT_MAGIC || op >= BLK_AGENT_OPS || len > MAX_LEN) {
            fprintf(stderr, "svmm-blk-agent: bad frame from the VMM (op %u, len %u): stopping\n", op, len);
            return 1; /* the stream is out of step: nothing after this can be trusted */
        }
        if (op == BLK_AGENT_WRITE && read_full(port, buf, len) < 0) /* len <= MAX_LEN = sizeof(buf) */
            return 0;
        r = do_io(disk, disk_bytes, op, off, len, buf);
        memset(a, 0, sizeof(a));
        le_put(&a[offsetof(struct blk_agent_resp, magic)], BLK_AGENT_MAGIC, 4);
        le_put(&a[offsetof(struct blk_agent_resp, op)], op, 4);
        le_put(&a[offsetof(struct blk_agent_resp, status)], r == 0 ? BLK_AGENT_OK : BLK_AGENT_EIO, 4);
        le_put(&a[offsetof(struct blk_agent_resp, len)], r == 0 && op == BLK_AGENT_READ ? len : 0, 4);
        le_put(&a[offsetof(struct blk_agent_resp, tag)], tag, 4);
        if (write_full(port, a, sizeof(a)) < 0 ||
            (r == 0 && op == BLK_AGENT_READ && write_full(port, buf, len) < 0))
            return 0;
    }
}

int main(int argc, char **argv)
{
    const char *disk_path = argc > 1 ? argv[1] : "/dev/vda";
    char port_path[300];
    int disk, port;
    off_t end;

    if (find_port(port_path, sizeof(port_path)) < 0) {
        fprintf(stderr, "svmm-blk-agent: no virtio-console port named %s\n", BLK_AGENT_PORT);
        return 1;
    }
    disk = open(disk_path, O_RDWR | O_CLOEXEC);
    port = open(port_path, O_RDWR | O_CLOEXEC);
    if (disk < 0 || port < 0 || (end = lseek(disk, 0, SEEK_END)) < 0) {
        fprintf(stderr, "svmm-blk-agent: cannot open %s or %s: %s\n", disk_path, port_path, strerror(errno));
        return 1;
    }
    fprintf(stderr, "svmm-blk-agent: serving %s (%lld bytes) on %s\n", disk_path, (long long)end, port_path);
    return serve(port, disk, (uint64_t)end);
}
