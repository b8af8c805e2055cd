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
