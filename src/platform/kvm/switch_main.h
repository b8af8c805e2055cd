/* SPDX-License-Identifier: BSD-2-Clause */
/* `svmm switch`: the hosted virtual switch process (switch_main.c). */
#ifndef SVMM_KVM_SWITCH_MAIN_H
#define SVMM_KVM_SWITCH_MAIN_H

#include <svmm/log.h>

/* Run the switch with argv[0] = "switch"; logs through `log_sink`. Returns the process exit status. */
int switch_main(int argc, char *const argv[], void (*log_sink)(enum svmm_log_level, const char *, unsigned));

#endif
