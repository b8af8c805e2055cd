/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The virtual switch as a Microkit protection domain (its own program, svmm-switch-<name>.elf):
 * the platform-free vswitch over the links the SDF maps in, one channel per port. It owns no guest
 * memory: every frame moves from a VMM's tx buffers into another VMM's rx buffers, one copy.
 */
#include <microkit.h>
#include <stdio.h>
#include <svmm/log.h>
#include <svmm/vswitch.h>
#include "board_uart.h"
#include "sel4_clock.h"
#include "sel4_switch.h"

uintptr_t board_uart_vaddr;

#define PORT_VARS(i) uintptr_t sw_port##i##_queues, sw_port##i##_tx, sw_port##i##_rx;
PORT_VARS(0) PORT_VARS(1) PORT_VARS(2) PORT_VARS(3) PORT_VARS(4) PORT_VARS(5) PORT_VARS(6) PORT_VARS(7)
PORT_VARS(8) PORT_VARS(9) PORT_VARS(10) PORT_VARS(11) PORT_VARS(12) PORT_VARS(13) PORT_VARS(14) PORT_VARS(15)
_Static_assert(VSWITCH_MAX_PORTS == 16, "one PORT_VARS per port");
#define PORT_ROW(i) { &sw_port##i##_queues, &sw_port##i##_tx, &sw_port##i##_rx }
static const uintptr_t *const port_vaddrs[VSWITCH_MAX_PORTS][3] = {
    PORT_ROW(0), PORT_ROW(1), PORT_ROW(2), PORT_ROW(3), PORT_ROW(4), PORT_ROW(5), PORT_ROW(6), PORT_ROW(7),
    PORT_ROW(8), PORT_ROW(9), PORT_ROW(10), PORT_ROW(11), PORT_ROW(12), PORT_ROW(13), PORT_ROW(14), PORT_ROW(15),
};

static struct vswitch sw;
void init(void)
{
    const struct svmm_sel4_switch *c = &svmm_sel4_switch;

    board_uart_start_log(board_uart_vaddr, "", c->name);
    vswitch_init(&sw, c->ageing_s * 1000000000ull);
    for (unsigned i = 0; i < c->nports && i < VSWITCH_MAX_PORTS; i++) {
        const struct svmm_sel4_switch_port *p = &c->ports[i];
        if (vswitch_add_port(&sw, p->name, p->mac, true) < 0 ||
            vswitch_attach(&sw, i, (void *)*port_vaddrs[i][0], (const void *)*port_vaddrs[i][1],
                           (void *)*port_vaddrs[i][2], c->nbufs, c->buf_size) < 0) {
            svmm_err("switch %s: cannot set up port %s", c->name, p->name);
            return;
        }
    }
    for (unsigned i = 0; i < sw.nports; i++)
        vswitch_set_reach(&sw, i, c->ports[i].reach);
    svmm_info("switch %s: %u ports, %u buffers of %u bytes each way", c->name, sw.nports, c->nbufs, c->buf_size);
}

void notified(microkit_channel ch)
{
    uint32_t notify;
    bool more;

    (void)ch; /* any port's notification: look at every port (bounded per call) */
    do {
        more = vswitch_poll(&sw, sel4_counter_ns(), &notify);
        for (unsigned q = 0; q < sw.nports; q++)
            if ((notify >> q) & 1)
                microkit_notify(svmm_sel4_switch.ports[q].channel);
    } while (more);
}
