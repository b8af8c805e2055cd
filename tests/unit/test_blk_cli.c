/* SPDX-License-Identifier: BSD-2-Clause */
/* `svmm blk-server` and `svmm run --disk server=...` command lines. */
#include <svmm/virtio.h>
#include "blk_server_cli.h"
#include "cli.h"
#include "test.h"

static char err[256];

#define SRV(...) srv_parse((const char *[]){ "blk-server", __VA_ARGS__ }, \
                           (int)(sizeof((const char *[]){ "blk-server", __VA_ARGS__ }) / sizeof(char *)))

static struct blk_server_cli sc;

static int srv_parse(const char **argv, int argc)
{
    err[0] = '\0';
    return blk_server_cli_parse(argc, (char *const *)argv, &sc, err, sizeof(err));
}

TEST(blk_server_cli_accepts_partitions)
{
    CHECK_EQ(SRV("--listen", "/tmp/b.sock", "--disk", "/tmp/d.img", "--client", "a,offset=0,size=64M",
                 "--client", "b,offset=64M,size=512,ro", "--depth", "32", "--slot-size", "64K", "-v"), 0);
    CHECK_EQ(sc.nclients, 2);
    CHECK(!strcmp(sc.clients[0].name, "a"));
    CHECK_EQ(sc.clients[0].offset, 0);
    CHECK_EQ(sc.clients[0].size, 64ull << 20);
    CHECK(!sc.clients[0].read_only);
    CHECK_EQ(sc.clients[1].offset, 64ull << 20);
    CHECK_EQ(sc.clients[1].size, 512);
    CHECK(sc.clients[1].read_only);
    CHECK_EQ(sc.depth, 32);
    CHECK_EQ(sc.slot_size, 64u << 10);
    CHECK_EQ(sc.verbosity, 2);
    CHECK_EQ(SRV("--help"), 0);
    CHECK(sc.help);
    CHECK_EQ(SRV("--listen", "/s", "--disk", "/d", "--client", "x,size=1G,offset=1K"), 0);
    CHECK_EQ(sc.depth, BLK_SERVER_DEFAULT_DEPTH);
    CHECK_EQ(sc.slot_size, BLK_SERVER_DEFAULT_SLOT);
}

TEST(blk_server_cli_refuses_bad_input)
{
    CHECK_EQ(SRV("--disk", "/d", "--client", "a,offset=0,size=1M"), -1);
    CHECK_STR_CONTAINS(err, "needs --listen PATH");
    CHECK_EQ(SRV("--listen", "/s", "--client", "a,offset=0,size=1M"), -1);
    CHECK_EQ(SRV("--listen", "/s", "--disk", "/d"), -1);
    CHECK_EQ(SRV("--listen", "/s", "--disk", "/d", "--client", "a,offset=0"), -1);
    CHECK_STR_CONTAINS(err, "needs offset= and size=");
    CHECK_EQ(SRV("--listen", "/s", "--disk", "/d", "--client", "a,offset=100,size=1M"), -1);
    CHECK_EQ(SRV("--listen", "/s", "--disk", "/d", "--client", "a,offset=0,size=0"), -1);
    CHECK_EQ(SRV("--listen", "/s", "--disk", "/d", "--client", "a,offset=0,size=1X"), -1);
    CHECK_STR_CONTAINS(err, "bad sub-option 'size=1X'");
    CHECK_EQ(SRV("--listen", "/s", "--disk", "/d", "--client", "a,offset=0,size=99999999999999999999"), -1);
    CHECK_EQ(SRV("--listen", "/s", "--disk", "/d", "--client", "a,offset=0,size=17179869184G"), -1);
    CHECK_EQ(SRV("--listen", "/s", "--disk", "/d", "--client", "a,offset=0,size=1M,rw"), -1);
    CHECK_EQ(SRV("--listen", "/s", "--disk", "/d", "--client", ",offset=0,size=1M"), -1);
    CHECK_EQ(SRV("--listen", "/s", "--disk", "/d", "--client", "abcdefghijklmnopqrstuvwx,offset=0,size=1M"), -1);
    CHECK_EQ(SRV("--listen", "/s", "--disk", "/d", "--client", "a,offset=0,size=1M", "--client", "a,offset=1M,size=1M"),
             -1);
    CHECK_STR_CONTAINS(err, "used twice");
    CHECK_EQ(SRV("--listen", "/s", "--disk", "/d", "--client", "a,offset=0,size=1M", "--depth", "3"), -1);
    CHECK_STR_CONTAINS(err, "power of two");
    CHECK_EQ(SRV("--listen", "/s", "--disk", "/d", "--client", "a,offset=0,size=1M", "--slot-size", "2M"), -1);
    CHECK_EQ(SRV("--listen", "/s", "--disk", "/d", "--client", "a,offset=0,size=1M", "--frob", "1"), -1);
    CHECK_STR_CONTAINS(err, "unknown option '--frob'");
    CHECK_EQ(SRV("--listen", "/s", "--disk", "/d", "--client", "a,offset=0,size=1M", "--depth"), -1);
    CHECK_STR_CONTAINS(err, "needs a value");
}

static struct svmm_cli cli;

static int run_parse(const char *disk)
{
    const char *argv[] = { "svmm", "run", "--kernel", "/k", "--disk", disk };
    err[0] = '\0';
    return svmm_cli_parse(6, (char *const *)argv, &cli, err, sizeof(err));
}

TEST(blk_cli_disk_on_a_block_server)
{
    CHECK_EQ(run_parse("server=/tmp/b.sock,client=vm1"), 0);
    CHECK_EQ(cli.ndisks, 1);
    CHECK_EQ(cli.disks[0].path_len, 11);
    CHECK(!strncmp(cli.disks[0].path, "/tmp/b.sock", 11));
    CHECK(!strcmp(cli.disks[0].client, "vm1"));
    CHECK(!cli.disks[0].ro);
    CHECK_EQ(cli.cfg.virtio_ids[cli.disks[0].slot], VIRTIO_ID_BLOCK);
    CHECK_EQ(run_parse("server=/s,ro,client=x"), 0);
    CHECK(cli.disks[0].ro);
    CHECK_EQ(run_parse("/tmp/disk.img,ro"), 0); /* a file disk has no client */
    CHECK_EQ(cli.disks[0].client[0], 0);
    CHECK_EQ(run_parse("server=/s"), -1);
    CHECK_STR_CONTAINS(err, "client=NAME");
    CHECK_EQ(run_parse("server=,client=a"), -1);
    CHECK_EQ(run_parse("server=/s,client="), -1);
    CHECK_EQ(run_parse("server=/s,client=abcdefghijklmnopqrstuvwx"), -1);
    CHECK_EQ(run_parse("server=/s,client=a,no-event-idx"), -1);
    CHECK_STR_CONTAINS(err, "bad option 'no-event-idx'");
}

TEST(blk_cli_disk_on_a_ram_disk)
{
    CHECK_EQ(run_parse("ram=64M"), 0);
    CHECK_EQ(cli.ndisks, 1);
    CHECK_EQ(cli.disks[0].ram_size, 64ull << 20);
    CHECK_EQ(cli.disks[0].client[0], 0);
    CHECK(!cli.disks[0].ro);
    CHECK_EQ(run_parse("ram=4096,no-event-idx"), 0);
    CHECK_EQ(cli.disks[0].ram_size, 4096);
    CHECK(cli.disks[0].no_event_idx);
    CHECK_EQ(run_parse("/tmp/ram=1M"), 0); /* a file whose name has ram= in it is a file */
    CHECK_EQ(cli.disks[0].ram_size, 0);
    CHECK_EQ(run_parse("ram=1000"), -1);
    CHECK_STR_CONTAINS(err, "non-zero multiple of 512");
    CHECK_EQ(run_parse("ram=0"), -1);
    CHECK_EQ(run_parse("ram="), -1);
    CHECK_EQ(run_parse("ram=5Q"), -1);
    CHECK_EQ(run_parse("ram=1M,ro"), -1);
    CHECK_STR_CONTAINS(err, "read-only one is of no use");
}

TEST(blk_cli_serve_disk_for_a_driver_vm)
{
    const char *argv[] = { "svmm", "run", "--kernel", "/k", "--serve-disk", "listen=/tmp/d.sock,client=vm1,size=80M",
                           "--serve-disk=listen=/tmp/d.sock,client=ro,size=1024,ro" };
    const char *bad[][2] = {
        { "listen=/s,client=a", "needs listen=PATH, client=NAME and size=SIZE" },
        { "listen=/s,client=a,size=1000", "multiple of 512" },
        { "listen=/s,client=a,size=0", "multiple of 512" },
        { "listen=/s,client=a,size=12X", "not a byte count" },
        { "listen=/s,client=abcdefghijklmnopqrstuvwx,size=1M", "1 to 23 characters" },
        { "listen=/s,client=a,size=1M,ro=1", "bad sub-option 'ro'" },
        { "listen=,client=a,size=1M", "bad sub-option 'listen'" },
        { "listen=/s,client=a,size=1M,offset=0", "bad sub-option 'offset'" },
    };

    CHECK_EQ(svmm_cli_parse(7, (char *const *)argv, &cli, err, sizeof(err)), 0);
    CHECK_EQ(cli.nserved, 2);
    CHECK(!strcmp(cli.served[0].client, "vm1"));
    CHECK_EQ(cli.served[0].size, 80ull << 20);
    CHECK(!cli.served[0].ro);
    CHECK(!strcmp(cli.served[1].client, "ro"));
    CHECK_EQ(cli.served[1].size, 1024);
    CHECK(cli.served[1].ro);
    CHECK(cli.serve_listen_len == 11 && !strncmp(cli.serve_listen, "/tmp/d.sock", 11));
    CHECK_EQ(cli.cfg.nvirtio, 1); /* no virtio slot: the agent's port is on the console */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *a[] = { "svmm", "run", "--kernel", "/k", "--serve-disk", bad[i][0] };
        CHECK_EQ(svmm_cli_parse(6, (char *const *)a, &cli, err, sizeof(err)), -1);
        CHECK_STR_CONTAINS(err, bad[i][1]);
    }
    {
        const char *a[] = { "svmm", "run", "--kernel", "/k", "--serve-disk", "listen=/a,client=x,size=1M",
                            "--serve-disk", "listen=/b,client=y,size=1M" };
        CHECK_EQ(svmm_cli_parse(8, (char *const *)a, &cli, err, sizeof(err)), -1);
        CHECK_STR_CONTAINS(err, "same listen=PATH");
    }
    {
        const char *a[] = { "svmm", "run", "--kernel", "/k", "--serve-disk", "listen=/a,client=x,size=1M",
                            "--serve-disk", "listen=/a,client=x,size=2M" };
        CHECK_EQ(svmm_cli_parse(8, (char *const *)a, &cli, err, sizeof(err)), -1);
        CHECK_STR_CONTAINS(err, "given twice");
    }
}
