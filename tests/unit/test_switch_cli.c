/* SPDX-License-Identifier: BSD-2-Clause */
/* `svmm switch` and `--net switch=` command lines. */
#include "cli.h"
#include "switch_cli.h"
#include "test.h"

static struct switch_cli sc;
static struct svmm_cli rc;
static char err[256];

#define SW(...) ({ const char *const v_[] = { "switch", __VA_ARGS__ }; \
                   switch_cli_parse(sizeof(v_) / sizeof(v_[0]), (char *const *)v_, &sc, err, sizeof(err)); })
#define RUN(...) ({ const char *const v_[] = { "svmm", "run", "--kernel", "I", __VA_ARGS__ }; \
                    svmm_cli_parse(sizeof(v_) / sizeof(v_[0]), (char *const *)v_, &rc, err, sizeof(err)); })

TEST(switch_cli_ports_macs_reach)
{
    CHECK_EQ(SW("--listen", "/tmp/s", "--port", "a,mac=52:54:00:00:00:01,reach=b", "--port", "b", "--port",
                "c,reach=a+b", "--buffers", "64", "--buffer-size", "2048", "--ageing", "10"), 0);
    CHECK_EQ(sc.nports, 3);
    CHECK(sc.ports[0].has_mac && sc.ports[0].mac[5] == 1 && !sc.ports[1].has_mac);
    CHECK_EQ(switch_cli_reach_mask(&sc, 0), 0x2);
    CHECK_EQ(switch_cli_reach_mask(&sc, 1), ~0u);
    CHECK_EQ(switch_cli_reach_mask(&sc, 2), 0x3);
    CHECK_EQ(sc.nbufs, 64);
    CHECK_EQ(sc.buf_size, 2048);
    CHECK_EQ(sc.ageing_s, 10);
    CHECK_EQ(SW("--listen", "/tmp/s", "--port", "a"), 0);
    CHECK_EQ(sc.nbufs, SWITCH_DEFAULT_BUFFERS);
    CHECK_EQ(sc.buf_size, SWITCH_DEFAULT_BUFFER_SIZE);
    CHECK_EQ(SW("--listen", "/tmp/s", "--port", "a", "--uplink", "tap=swup"), 0);
    CHECK(!strcmp(sc.uplink_tap, "swup"));
    CHECK_EQ(SW("--listen", "/tmp/s", "--port", "a", "--uplink", "eth0"), -1);
    CHECK_STR_CONTAINS(err, "want tap=NAME");
    CHECK_EQ(SW("--help"), 0);
    CHECK(sc.help);
}

TEST(switch_cli_refuses_bad_input)
{
    static const struct { const char *a[4]; const char *msg; } bad[] = {
        { { "--port", "a" }, "--listen PATH is required" },
        { { "--listen", "/s" }, "at least one --port" },
        { { "--listen", "/s", "--port", "a,mac=01:00:00:00:00:01" }, "bad MAC" },
        { { "--listen", "/s", "--port", "a,reach=zz" }, "not a port" },
        { { "--listen", "/s", "--port", "a,vlan=3" }, "unknown sub-option 'vlan=3'" },
        { { "--listen", "/s", "--buffers", "3" }, "power of two" },
        { { "--listen", "/s", "--buffer-size", "12" }, "64..1048576" },
        { { "--listen", "/s", "--port", "averyveryverylongportname12" }, "1 to 23 characters" },
        { { "--listen", "/s", "--ageing", "0" }, "--ageing" },
        { { "--listen", "/s", "--bogus" }, "unknown option '--bogus'" },
        { { "--listen", "/s", "--port" }, "--port needs a value" },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *argv[6] = { "switch" };
        int argc = 1;
        for (unsigned k = 0; k < 4 && bad[i].a[k]; k++)
            argv[argc++] = bad[i].a[k];
        CHECK_EQ(switch_cli_parse(argc, (char *const *)argv, &sc, err, sizeof(err)), -1);
        CHECK_STR_CONTAINS(err, bad[i].msg);
    }
    CHECK_EQ(SW("--listen", "/s", "--port", "a", "--port", "a"), -1);
    CHECK_STR_CONTAINS(err, "declared twice");
    CHECK_EQ(SW("--listen", "/s", "--port", "a,mac=52:54:00:00:00:01", "--port", "b,mac=52:54:00:00:00:01"), -1);
    CHECK_STR_CONTAINS(err, "same MAC");
}

TEST(run_cli_net_on_a_switch)
{
    CHECK_EQ(RUN("--net", "switch=/tmp/sw.sock,port=vm1"), 0);
    CHECK_EQ(rc.nnets, 1);
    CHECK(rc.nets[0].switch_path && rc.nets[0].switch_len == 12 && !strcmp(rc.nets[0].port, "vm1"));
    CHECK_EQ(rc.nets[0].tap[0], 0);
    CHECK_EQ(RUN("--net", "switch=/s"), -1);
    CHECK_STR_CONTAINS(err, "needs port=NAME");
    CHECK_EQ(RUN("--net", "tap=t0,switch=/s,port=p"), -1);
    CHECK_STR_CONTAINS(err, "exclude each other");
    CHECK_EQ(RUN("--net", "tap=t0,port=p"), -1);
    CHECK_STR_CONTAINS(err, "port= goes with switch=PATH");
    CHECK_EQ(svmm_cli_parse(2, (char *const *)(const char *const[]){ "svmm", "switch" }, &rc, err, sizeof(err)), 0);
    CHECK_EQ(rc.cmd, SVMM_CLI_SWITCH);
}
