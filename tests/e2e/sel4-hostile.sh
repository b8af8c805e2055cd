#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# seL4 hostile guest (issue 14 part 1): the bare-metal hostile guest (tests/guest/hostile.c) under
# svmm on seL4, with a virtio-blk RAM disk, a virtio-rng and a virtio console (MULTIPORT offered,
# port 0 only), beside a second VM (its own VMM PD) running the ticker guest, which prints
# "TICK n maxgap_ms=G" every 200 ms of its virtual timer, sleeping in WFI between, and broadcasts a
# frame on the switch each tick (the hostile guest's receive cases take or refuse them). Both VMs
# share one core at the same priority. Checks:
# every case's verdict ("HOSTILE ok"), the summary, the last case (a load pair from a device
# register, which has no syndrome) stopping the hostile VM with the VMM's message while the VMM
# itself lives on, the VMM's warnings, and the neighbour ticking through the whole run (ticks
# between the hostile guest's first and last lines and after its VM stopped, no gap above 5 s), its
# frames never held up (its transmit ring never full).
# usage: sel4-hostile.sh SDK_DIR [MICROKIT_CONFIG]   (prints "sel4-hostile/<variant>/<config>: N passed, N failed")
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=$1 CONFIG=${2:-debug}
TIMEOUT=${SEL4_TIMEOUT:-400}
. "$ROOT/tests/e2e/lib.sh"
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
T=$BUILD/e2e/sel4-hostile-$CONFIG-$variant
TAG="sel4-hostile/$variant/$CONFIG"
rm -rf "$T" && mkdir -p "$T"
make -s -C "$ROOT" hostile-guest BUILD="$BUILD" >/dev/null || fail_early "hostile guest build"

cat > "$T/system.yaml" <<Y
board: qemu_virt_aarch64
vms:
  - name: ticker
    kernel: $BUILD/guest/ticker-Image
    ram: 32M
    vcpus: 1
    devices:
      - type: vsock             # never driven by its guest: the hostile guest's packets for CID 4 end there
        cid: 4
      - type: net               # transmit only: a frame each tick for the hostile guest's receive
        switch: lan             # cases; its receive queue is never set up (the hostile's frames fill the port)
  # Last: with Microkit 2.0.1 a VM of 2 vCPUs before another VM fails at boot ("TCB Configure: tcb
  # already has a scheduling context", the monitor's invocation error).
  - name: hostile
    kernel: $BUILD/guest/hostile-Image
    ram: 128M
    vcpus: 2                    # the SMP cases: CPU_ON's arguments, a secondary on and off
    devices:
      - type: console
        multiport: true         # the control-queue cases
      - type: blk
        ramdisk: 4M
      - type: rng
      - type: vsock
        cid: 3
      - type: net
        switch: lan
switches:
  - name: lan
Y
sel4_system "$SDK" "$CONFIG" "$T/system.yaml" "$T/out" "$T/build.log" || fail_early build "$T/build.log"
# The hostile VM's stop (its VMM logs its exits) ends the run; the ticker never stops.
sel4_boot "$T/out" "$gic" "$T/log" "$TIMEOUT" 1

check "the system stopped by itself (the hostile VM stopped; not a timeout)" "$(is [ "$status" = stopped ])"
check "the hostile guest found its devices (rng, blk, console, vsock, net) in the DTB" \
    "$(has "^hostile\| HOSTILE layout: RAM 0x40000000\+0x8000000 GICv$gic 0x8000000 psci=smc rng 0x[0-9a-f]+ blk 0x[0-9a-f]+ console 0x[0-9a-f]+ vsock 0x[0-9a-f]+ net 0x[0-9a-f]+ cpus 2$")"
while read -r verdict name rest; do
    check "case $name: ${rest#: }" "$(is [ "$verdict" = ok ])"
done < <(sed -n 's/^hostile| HOSTILE \(ok\|FAIL\) \([a-z0-9_]*\)\(.*\)$/\1 \2 \3/p' <<<"$LOG")
summary=$(sed -n 's/^hostile| HOSTILE summary: \(.*\)$/\1/p' <<<"$LOG")
cases=$(sed -n 's/^\([0-9]*\) cases.*/\1/p' <<<"$summary")
check "summary: ${summary:-none} (at least 80 cases, none failed)" \
    "$([ -n "$cases" ] && [ "$cases" -ge 80 ] && grep -q ' 0 failed, ' <<<"$summary"; rc)"
skips=$(sed -n 's/.* \([0-9]*\) skipped$/\1/p' <<<"$summary")
# The one skip: PORT_NAME truncation needs a named port 1, and this console has port 0 only.
check "every case reported a verdict, one skipped: the console has no port 1 (${cases:-?} cases, ${skips:-?} skipped)" \
    "$([ "$(grep -cE '^hostile\| HOSTILE (ok|FAIL|skip) ' <<<"$LOG")" = "${cases:-x}" ] && [ "$skips" = 1 ] &&
       grep -q '^hostile| HOSTILE skip con_mp_rx_name_truncated: ' <<<"$LOG"; rc)"
check "the console still printed after its queue was broken and reset" "$(has 'HOSTILE console alive')"
check "the MULTIPORT console printed, with and without control queues, and after the control flood" \
    "$(grep -q 'HOSTILE console multiport alive' <<<"$LOG" && grep -q 'HOSTILE console without control queues alive' <<<"$LOG" &&
       grep -q 'HOSTILE console after the control flood alive' <<<"$LOG"; rc)"
ticknet=$(grep '^ticker| TICKNET ' <<<"$LOG" | tail -n1)
check "the frame source (the ticker) sent all through the run, its ring never full (${ticknet#ticker| })" \
    "$(grep -qE '^ticker\| TICKNET sent [1-9][0-9]* ring full 0$' <<<"$ticknet"; rc)"
check "the VMM warned about the attacks (a queue error, a bad register access, an unclaimed access)" \
    "$(grep -q 'queue 0: descriptor loop: device needs reset' <<<"$LOG" &&
       grep -q 'virtio-mmio: .* ignored' <<<"$LOG" && grep -q 'unhandled guest' <<<"$LOG"; rc)"
check "last case: the VM was stopped with the VMM's message (an access it cannot emulate)" \
    "$(grep -q '^hostile| HOSTILE final: ldp' <<<"$LOG" && ! grep -q 'HOSTILE final: still running' <<<"$LOG" &&
       grep -qE 'svmm\[hostile\]\|error: vCPU 0: unemulatable access' <<<"$LOG" &&
       grep -qE 'svmm\[hostile\]\|info: VM hostile stopped: unrecoverable guest fault' <<<"$LOG"; rc)"
# The neighbour: ticks between the hostile guest's first and last lines, after it, and its longest gap.
first=$(grep -n '^hostile| HOSTILE start' <<<"$LOG" | head -n1 | cut -d: -f1)
last=$(grep -n '^hostile| HOSTILE summary' <<<"$LOG" | head -n1 | cut -d: -f1)
stop=$(grep -n 'VM hostile stopped' <<<"$LOG" | head -n1 | cut -d: -f1)
during=$(sed -n "${first:-1},${last:-1}p" <<<"$LOG" | grep -c '^ticker| TICK ')
after=$(sed -n "${stop:-1},\$p" <<<"$LOG" | grep -c '^ticker| TICK ')
gap=$(grep '^ticker| TICK ' <<<"$LOG" | tail -n1 | sed -n 's/.*maxgap_ms=\([0-9]*\)$/\1/p')
check "the neighbour VM ticked through the attack ($during ticks between the hostile guest's first and last lines)" \
    "$(is [ "$during" -ge 5 ])"
check "and after the hostile VM stopped ($after ticks)" "$(is [ "$after" -ge 1 ])"
# The ticker's clock is the host's (QEMU without -icount): a host busy with other work stretches its
# gaps too (1.7 s seen at a load average of 15 on 2 CPUs), so the bound only catches a neighbour that
# stalled; the gaps measured are in docs/hostile-guests.md.
check "the neighbour never stalled: longest gap between ticks under 5 s (${gap:-?} ms, a tick every 200 ms)" \
    "$([ -n "$gap" ] && [ "$gap" -lt 5000 ]; rc)"
grep -E 'HOSTILE (summary|classes)|VM hostile stopped' <<<"$LOG"
echo "$TAG: wall ${wall}s"
finish "$T/log"
