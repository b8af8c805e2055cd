/* SPDX-License-Identifier: BSD-2-Clause */
#include <svmm/virtio.h>
#include "cli.h"
#include "test.h"

static struct svmm_cli cli;
static char err[256];

static int parse(int argc, const char *const *argv)
{
    return svmm_cli_parse(argc, (char *const *)argv, &cli, err, sizeof(err));
}

#define PARSE(...) ({ const char *const v_[] = { "svmm", __VA_ARGS__ }; parse(sizeof(v_) / sizeof(v_[0]), v_); })

TEST(cli_run_with_all_options)
{
    CHECK_EQ(PARSE("run", "--kernel", "Image", "--initrd", "rd", "--append", "quiet", "--mem", "1G", "--cpus", "4",
                   "--dtb-out", "x.dtb", "-v"), 0);
    CHECK_EQ(cli.cmd, SVMM_CLI_RUN);
    CHECK(!strcmp(cli.kernel, "Image") && !strcmp(cli.initrd, "rd") && !strcmp(cli.dtb_out, "x.dtb"));
    CHECK(!strcmp(cli.cfg.bootargs, "quiet"));
    CHECK_EQ(cli.cfg.ram_size, 1ull << 30);
    CHECK_EQ(cli.cfg.ncpus, 4);
    CHECK_EQ(cli.verbosity, 2);
    CHECK_EQ(cli.cfg.nvirtio, 1);
    CHECK_EQ(cli.cfg.virtio_ids[0], VIRTIO_ID_CONSOLE);
}

TEST(cli_defaults_and_equals_form)
{
    CHECK_EQ(PARSE("run", "--kernel=Image", "--mem=512"), 0);
    CHECK_EQ(cli.cfg.ram_size, 512ull << 20);
    CHECK_EQ(cli.cfg.ncpus, 1);
    CHECK(!strcmp(cli.cfg.bootargs, SVMM_DEFAULT_BOOTARGS));
    CHECK(cli.initrd == NULL);
}

TEST(cli_help_and_version)
{
    CHECK_EQ(PARSE("--help"), 0);
    CHECK_EQ(cli.cmd, SVMM_CLI_HELP);
    CHECK_EQ(PARSE("run", "--help"), 0);
    CHECK_EQ(cli.cmd, SVMM_CLI_HELP);
    CHECK_EQ(PARSE("--version"), 0);
    CHECK_EQ(cli.cmd, SVMM_CLI_VERSION);
    CHECK_STR_CONTAINS(svmm_cli_usage, "--kernel");
}

TEST(cli_rejects_bad_input_with_one_line_errors)
{
    const char *none[] = { "svmm" };

    CHECK_EQ(parse(1, none), -1);
    CHECK_STR_CONTAINS(err, "no command");
    CHECK_EQ(PARSE("boot"), -1);
    CHECK_STR_CONTAINS(err, "unknown command 'boot'");
    CHECK_EQ(PARSE("run"), -1);
    CHECK_STR_CONTAINS(err, "--kernel IMAGE is required");
    CHECK_EQ(PARSE("run", "--kernel", "I", "--frobnicate"), -1);
    CHECK_STR_CONTAINS(err, "unknown option '--frobnicate'");
    CHECK_EQ(PARSE("run", "--kernel", "I", "stray"), -1);
    CHECK_STR_CONTAINS(err, "unexpected argument 'stray'");
    CHECK_EQ(PARSE("run", "--kernel"), -1);
    CHECK_STR_CONTAINS(err, "--kernel needs a value");
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpus", "0"), -1);
    CHECK_STR_CONTAINS(err, "--cpus: '0'");
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpus", "17"), -1);
    CHECK_STR_CONTAINS(err, "between 1 and 16");
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpus", "2x"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpus", "-1"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpus", "99999999999999999999999"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--mem", "1M"), -1);
    CHECK_STR_CONTAINS(err, "--mem: '1M'");
    CHECK_EQ(PARSE("run", "--kernel", "I", "--mem", "lots"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--mem", "4P"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--mem", "100000000000T"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--mem", "1024G"), -1);
    CHECK(strchr(err, '\n') == NULL);
}

TEST(cli_rejects_overlong_append)
{
    static char big[SVMM_BOOTARGS_MAX + 10];

    memset(big, 'a', sizeof(big) - 1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--append", big), -1);
    CHECK_STR_CONTAINS(err, "longer than");
}

TEST(cli_size_suffixes)
{
    unsigned long long b;

    CHECK(svmm_cli_parse_size("64", &b) == 0 && b == 64ull << 20);
    CHECK(svmm_cli_parse_size("64K", &b) == 0 && b == 64ull << 10);
    CHECK(svmm_cli_parse_size("2g", &b) == 0 && b == 2ull << 30);
    CHECK(svmm_cli_parse_size("2GiB", &b) == 0 && b == 2ull << 30);
    CHECK(svmm_cli_parse_size("1T", &b) == 0 && b == 1ull << 40);
    CHECK(svmm_cli_parse_size("", &b) < 0);
    CHECK(svmm_cli_parse_size("G", &b) < 0);
    CHECK(svmm_cli_parse_size("1GG", &b) < 0);
    CHECK(svmm_cli_parse_size("17179869184G", &b) < 0); /* 2^34 GiB overflows 64 bits */
}

TEST(cli_control_socket_and_ctl)
{
    CHECK_EQ(PARSE("run", "--kernel", "Image", "--control", "/run/vm1.ctl", "--no-reboot"), 0);
    CHECK(!strcmp(cli.control, "/run/vm1.ctl"));
    CHECK(cli.no_reboot);
    CHECK_EQ(PARSE("run", "--kernel", "Image", "--control", "a", "--control", "b"), -1);
    CHECK_STR_CONTAINS(err, "--control: given twice");
    CHECK_EQ(PARSE("ctl", "--socket", "/run/vm1.ctl", "restart"), 0);
    CHECK_EQ(cli.cmd, SVMM_CLI_CTL);
    CHECK(!strcmp(cli.control, "/run/vm1.ctl") && !strcmp(cli.ctl_command, "restart"));
    CHECK_EQ(PARSE("ctl", "status", "--socket", "s"), 0); /* any order */
    CHECK_EQ(PARSE("ctl", "--socket", "s", "reboot"), -1);
    CHECK_STR_CONTAINS(err, "unknown command 'reboot'");
    CHECK_EQ(PARSE("ctl", "--socket", "s"), -1);
    CHECK_STR_CONTAINS(err, "needs --socket PATH and a command");
    CHECK_EQ(PARSE("ctl", "--socket", "s", "stop", "vm1"), 0); /* svmm up's: a VM named */
    CHECK(!strcmp(cli.ctl_command, "stop vm1"));
    CHECK_EQ(PARSE("ctl", "--socket", "s", "stop", "vm1", "vm2"), -1);
    CHECK_STR_CONTAINS(err, "stop takes 0..1 arguments, not 2");
    CHECK_EQ(PARSE("ctl", "--socket", "s", "boot", "scratch", "rescue"), 0);
    CHECK(!strcmp(cli.ctl_command, "boot scratch rescue"));
    CHECK_EQ(PARSE("ctl", "--socket", "s", "boot", "scratch"), -1);
    CHECK_EQ(PARSE("ctl", "--socket", "s", "list", "x"), -1);
    CHECK_EQ(PARSE("ctl", "--socket", "s", "status", "a b"), -1);
    CHECK_STR_CONTAINS(err, "unexpected argument 'a b'");
    CHECK_EQ(PARSE("up", "plan"), 0);
    CHECK_EQ(cli.cmd, SVMM_CLI_UP);
    CHECK_EQ(PARSE("ctl", "--help"), 0);
    CHECK_EQ(cli.cmd, SVMM_CLI_HELP);
}

TEST(cli_shared_window)
{
    CHECK_EQ(PARSE("run", "--kernel", "I", "--shared-window", "0x10000000,2M,/dev/shm/win"), 0);
    CHECK_EQ(cli.cfg.nwindows, 1);
    CHECK_EQ(cli.cfg.windows[0].base, 0x10000000ull);
    CHECK_EQ(cli.cfg.windows[0].size, 2ull << 20);
    CHECK(!strcmp(cli.cfg.windows[0].name, "win"));
    CHECK(!strcmp(cli.window_path[0], "/dev/shm/win"));
    CHECK_EQ(PARSE("run", "--kernel", "I", "--shared-window", "0x10000000,2M,win"), -1);
    CHECK_STR_CONTAINS(err, "is not BASE,SIZE,/PATH");
    CHECK_EQ(PARSE("run", "--kernel", "I", "--shared-window", "0x10000100,2M,/tmp/w"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--shared-window", "0x10000000,2M,/tmp/"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--shared-window", "0x10000000,0,/tmp/w"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--shared-window", "0x10000000,2M,/tmp/a234567890123456789012345"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--shared-window", "0x10000000"), -1);
}

TEST(cli_load_addr)
{
    CHECK_EQ(PARSE("run", "--kernel", "I", "--load-addr", "0x48000000"), 0);
    CHECK_EQ(cli.cfg.raw_load_gpa, 0x48000000ull);
    CHECK_EQ(PARSE("run", "--kernel", "I"), 0);
    CHECK_EQ(cli.cfg.raw_load_gpa, 0); /* a Linux Image unless asked */
    CHECK_EQ(PARSE("run", "--kernel", "I", "--load-addr", "0x48000100"), -1);
    CHECK_STR_CONTAINS(err, "--load-addr: '0x48000100' is not a 4 KiB aligned guest-physical address");
    CHECK_EQ(PARSE("run", "--kernel", "I", "--load-addr", "0"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--load-addr", "x"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--load-addr", "0x48000000z"), -1);
}

TEST(cli_mem_range)
{
    CHECK_EQ(PARSE("run", "--kernel", "I", "--mem-range", "0x100000000,64M", "--mem-range=0x200000000,2M"), 0);
    CHECK_EQ(cli.cfg.nextra_ram, 2);
    CHECK_EQ(cli.cfg.extra_ram[0].base, 0x100000000ull);
    CHECK_EQ(cli.cfg.extra_ram[0].size, 64ull << 20);
    CHECK_EQ(cli.cfg.extra_ram[1].size, 2ull << 20);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--mem-range", "0x100000000"), -1);
    CHECK_STR_CONTAINS(err, "is not BASE,SIZE");
    CHECK_EQ(PARSE("run", "--kernel", "I", "--mem-range", "0x100100000,64M"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--mem-range", "0x100000000,1M"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--mem-range", "x,64M"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--mem-range", "0x100000000,0"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--mem-range", "1,2M"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--mem-range", "0x1000000000,2M", "--mem-range", "0x2000000000,2M",
                   "--mem-range", "0x3000000000,2M", "--mem-range", "0x4000000000,2M"), -1);
    CHECK_STR_CONTAINS(err, "at most 3 ranges");
}

TEST(cli_cpu_affinity_and_rt_priority)
{
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpus", "4", "--cpu-affinity", "0,1,0,1"), 0);
    CHECK_EQ(cli.naffinity, 4);
    CHECK_EQ(cli.cpu_affinity[0], 0);
    CHECK_EQ(cli.cpu_affinity[3], 1);
    CHECK_EQ(cli.rt_priority, 0);
    /* the list and --cpus in either order; the count must match */
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpu-affinity=3,2", "--cpus", "2"), 0);
    CHECK_EQ(cli.cpu_affinity[0], 3);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpus", "2", "--cpu-affinity", "0"), -1);
    CHECK_STR_CONTAINS(err, "--cpu-affinity: 1 host CPUs for 2 vCPUs");
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpu-affinity", "0,,1"), -1);
    CHECK_STR_CONTAINS(err, "is not a list of host CPU numbers");
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpu-affinity", "1024"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpu-affinity", "0,"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpu-affinity", "-1"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpu-affinity", "a"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpu-affinity", "99999999999999999999999"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpu-affinity", "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16"), -1);
    CHECK_STR_CONTAINS(err, "more than 16 CPUs");
    /* SCHED_FIFO: 1..99, pinned, one vCPU per host CPU */
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpus", "2", "--cpu-affinity", "0,1", "--rt-priority", "10"), 0);
    CHECK_EQ(cli.rt_priority, 10);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--rt-priority", "10"), -1);
    CHECK_STR_CONTAINS(err, "--rt-priority: also give --cpu-affinity");
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpus", "2", "--cpu-affinity", "1,1", "--rt-priority", "1"), -1);
    CHECK_STR_CONTAINS(err, "vCPUs 0 and 1 share host CPU 1");
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpu-affinity", "0", "--rt-priority", "0"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--cpu-affinity", "0", "--rt-priority", "100"), -1);
    CHECK_STR_CONTAINS(err, "is not a SCHED_FIFO priority between 1 and 99");
    CHECK_STR_CONTAINS(svmm_cli_usage, "--cpu-affinity CPU[,CPU...]");
}

TEST(cli_watchdog_and_name)
{
    CHECK_EQ(PARSE("run", "--kernel", "I"), 0);
    CHECK_EQ(cli.cfg.watchdog_s, 0); /* no watchdog unless asked */
    CHECK(cli.name == NULL);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--watchdog", "30", "--name", "web-1.a_b"), 0);
    CHECK_EQ(cli.cfg.watchdog_s, 30);
    CHECK(!strcmp(cli.name, "web-1.a_b"));
    CHECK_EQ(PARSE("run", "--kernel", "I", "--watchdog=3600"), 0);
    CHECK_EQ(cli.cfg.watchdog_s, 3600);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--watchdog", "0"), -1);
    CHECK_STR_CONTAINS(err, "--watchdog: '0' is not SECONDS[,boot=SECONDS], each between 1 and 3600");
    CHECK_EQ(PARSE("run", "--kernel", "I", "--watchdog", "10,boot=120"), 0);
    CHECK_EQ(cli.cfg.watchdog_s, 10);
    CHECK_EQ(cli.cfg.watchdog_boot_s, 120);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--watchdog", "10,boot="), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--watchdog", "10,boot=0"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--watchdog", "10,boot=3601"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--watchdog", "10,bot=20"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--watchdog", "10,"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--watchdog", ",boot=20"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--watchdog", "00000010"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--watchdog", "3601"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--watchdog", "-5"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--watchdog", "10s"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--watchdog", "99999999999999999999999"), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--watchdog"), -1);
    CHECK_STR_CONTAINS(err, "--watchdog needs a value");
    CHECK_EQ(PARSE("run", "--kernel", "I", "--name", ""), -1);
    CHECK_EQ(PARSE("run", "--kernel", "I", "--name", "a b"), -1);
    CHECK_STR_CONTAINS(err, "--name: 'a b' is not 1 to 31 characters");
    CHECK_EQ(PARSE("run", "--kernel", "I", "--name", "a23456789012345678901234567890123"), -1);
    CHECK_STR_CONTAINS(svmm_cli_usage, "--watchdog SECONDS[,boot=SECONDS]");
    CHECK_STR_CONTAINS(svmm_cli_usage, "3 guest fault");
}
