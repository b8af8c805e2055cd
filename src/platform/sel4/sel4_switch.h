/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The build-time configuration of a virtual switch protection domain, generated from the system
 * description (<switch>_switch_config.c defines `svmm_sel4_switch`), never edited by hand. Port i
 * is mapped at sw_port<i>_queues/_tx/_rx (setvar_vaddr) and notified on channel ports[i].channel.
 */
#ifndef SVMM_SEL4_SWITCH_H
#define SVMM_SEL4_SWITCH_H

#include <stdbool.h>
#include <stdint.h>
#include <svmm/vswitch.h>

struct svmm_sel4_switch_port {
    const char *name;  /* the VM whose NIC it serves */
    uint8_t mac[6];    /* the only source MAC the port may use */
    uint32_t reach;    /* vswitch_set_reach mask */
    unsigned channel;
};

struct svmm_sel4_switch {
    const char *name;
    uint32_t nbufs, buf_size; /* every port's geometry, both directions */
    uint64_t ageing_s;
    unsigned nports;
    struct svmm_sel4_switch_port ports[VSWITCH_MAX_PORTS];
};

extern const struct svmm_sel4_switch svmm_sel4_switch;

#endif
