/* SPDX-License-Identifier: BSD-2-Clause */
/* svmm up's plan: the format svmm-compose --up-plan writes, and what the parser refuses. */
#include <stdlib.h>
#include "test.h"
#include "up_plan.h"

static struct up_plan plan;
static char err[256];

static int parse(const char *text)
{
    up_plan_free(&plan);
    err[0] = '\0';
    return up_plan_parse(&plan, text, err, sizeof(err));
}

TEST(up_plan_reads_servers_vms_and_slot_images)
{
    static const char text[] =
        "svmm-plan 1\n# a comment\n\n"
        "server switch-lan switch-lan.sock\narg switch\narg --listen\narg ${RUN_DIR}/switch-lan.sock\nend\n"
        "vm driver serves=dvm-driver.sock\narg run\nend\n"
        "vm vm1 input restart=3/60\narg run\narg --append\narg console=ttyS0 quiet  x\nend\n"
        "image scratch rescue\narg run\nend\nimage scratch tiny\narg run\nend\n";

    CHECK_EQ(parse(text), 0);
    CHECK_EQ(plan.nitems, 5);
    CHECK_EQ(plan.items[0].kind, UP_SERVER);
    CHECK(!strcmp(plan.items[0].socket, "switch-lan.sock") && plan.items[0].argc == 3);
    CHECK(!strcmp(plan.items[0].argv[2], "${RUN_DIR}/switch-lan.sock") && plan.items[0].argv[3] == NULL);
    CHECK(!strcmp(plan.items[1].socket, "dvm-driver.sock") && plan.items[1].max_restarts == 0);
    CHECK(plan.items[2].input && plan.items[2].max_restarts == 3 && plan.items[2].restart_window == 60);
    CHECK(!strcmp(plan.items[2].argv[2], "console=ttyS0 quiet  x")); /* spaces kept: one argument per line */
    CHECK(plan.items[3].kind == UP_IMAGE && !strcmp(plan.items[3].name, "scratch") &&
          !strcmp(plan.items[3].image, "rescue"));
    CHECK(!strcmp(plan.items[4].image, "tiny"));
}

TEST(up_plan_refuses_what_it_does_not_know)
{
    static const struct {
        const char *text, *msg;
    } bad[] = {
        { "", "an empty plan" },
        { "svmm-plan 2\n", "not an svmm up plan" },
        { "svmm-plan 1\nvm a\narg run\n", "line 2: 'a' has no 'end'" },
        { "svmm-plan 1\narg run\n", "line 2: arg outside" },
        { "svmm-plan 1\nend\n", "line 2: end without an item" },
        { "svmm-plan 1\nvm a\nend\n", "'a' has no command line" },
        { "svmm-plan 1\nvm A\narg run\nend\n", "line 2: name: 1..31 characters" },
        { "svmm-plan 1\nvm ../x\narg run\nend\n", "name: 1..31" },
        { "svmm-plan 1\nvm a\narg run\nend\nvm a\narg run\nend\n", "line 5: 'a' is already in the plan" },
        { "svmm-plan 1\nvm a\narg run\nend\nimage a x\narg run\nend\n", "'x' is already in the plan" },
        { "svmm-plan 1\nvm a restart=0/60\narg run\nend\n", "restart: N is 1..64" },
        { "svmm-plan 1\nvm a restart=65/60\narg run\nend\n", "restart: N is 1..64" },
        { "svmm-plan 1\nvm a restart=3/\narg run\nend\n", "give restart=N/SECONDS" },
        { "svmm-plan 1\nvm a restart=-3/5\narg run\nend\n", "restart: N is 1..64" },
        { "svmm-plan 1\nvm a restart=3/86401\narg run\nend\n", "restart: N is 1..64" },
        { "svmm-plan 1\nvm a serves=../x.sock\narg run\nend\n", "serves: a file name" },
        { "svmm-plan 1\nvm a turbo\narg run\nend\n", "unknown vm option 'turbo'" },
        { "svmm-plan 1\nserver s\narg switch\nend\n", "server: a socket file name" },
        { "svmm-plan 1\nserver s a/b.sock\narg switch\nend\n", "server: a socket file name" },
        { "svmm-plan 1\nimage s\narg run\nend\n", "image: 1..31" },
        { "svmm-plan 1\nvm a\narg run\nvm b\n", "line 4: item: the previous item has no 'end'" },
        { "svmm-plan 1\nrun everything\n", "unknown line 'run everything'" },
    };

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_EQ(parse(bad[i].text), -1);
        CHECK_STR_CONTAINS(err, bad[i].msg);
    }
}

TEST(up_plan_limits)
{
    static char text[UP_MAX_ARG_LEN * 2 + 256 * 8];
    size_t n = (size_t)snprintf(text, sizeof(text), "svmm-plan 1\nvm a\n");

    for (unsigned i = 0; i <= UP_MAX_ARGS; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "arg x\n");
    snprintf(text + n, sizeof(text) - n, "end\n");
    CHECK_EQ(parse(text), -1);
    CHECK_STR_CONTAINS(err, "more than 96 arguments");
    n = (size_t)snprintf(text, sizeof(text), "svmm-plan 1\nvm a\narg ");
    memset(text + n, 'y', UP_MAX_ARG_LEN);
    snprintf(text + n + UP_MAX_ARG_LEN, sizeof(text) - n - UP_MAX_ARG_LEN, "\nend\n");
    CHECK_EQ(parse(text), -1);
    CHECK_STR_CONTAINS(err, "longer than 2047 bytes");
    n = (size_t)snprintf(text, sizeof(text), "svmm-plan 1\n");
    for (unsigned i = 0; i <= UP_MAX_ITEMS; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "vm v%u\narg run\nend\n", i);
    CHECK_EQ(parse(text), -1);
    CHECK_STR_CONTAINS(err, "more than 48 items");
    up_plan_free(&plan);
}

TEST(up_plan_expands_the_run_dir)
{
    char *s = up_plan_expand("switch=${RUN_DIR}/a.sock,peer=3:${RUN_DIR}/b.sock", "/tmp/svmm-up.x");

    CHECK(s && !strcmp(s, "switch=/tmp/svmm-up.x/a.sock,peer=3:/tmp/svmm-up.x/b.sock"));
    free(s);
    s = up_plan_expand("plain ${RUN_DIR", "/r");
    CHECK(s && !strcmp(s, "plain ${RUN_DIR"));
    free(s);
}
