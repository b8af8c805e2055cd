/* SPDX-License-Identifier: BSD-2-Clause */
/* `svmm blk-server`: the hosted native block server process. */
#ifndef SVMM_KVM_BLK_SERVER_MAIN_H
#define SVMM_KVM_BLK_SERVER_MAIN_H

#include <svmm/log.h>

/* Run the server with `svmm blk-server` arguments (argv[0] is "blk-server"); the process's exit status. */
int blk_server_main(int argc, char *const argv[], void (*log_sink)(enum svmm_log_level, const char *, unsigned));

#endif
