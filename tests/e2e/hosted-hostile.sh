#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Hosted hostile guest (issue 14 part 1), in one QEMU test machine run: the bare-metal hostile guest
# (tests/guest/hostile.c) runs under svmm with a virtio-blk RAM disk, a virtio-rng and the virtio
# console (MULTIPORT, with a second port into a file), and attacks svmm through the real trap path,
# one case per verdict line; beside it a second svmm runs the ticker guest (the same source,
# -DTICKER), which prints "TICK n maxgap_ms=G" every 200 ms of its virtual timer and broadcasts a
# frame on the switch each tick (the hostile guest's receive cases take or refuse them). Checks:
# every case's verdict ("HOSTILE ok"), the summary, the last
# case (an MMIO access without a syndrome) stopping the hostile VM with a message and svmm exiting as
# it should (not by a signal, not hanging), svmm's warnings for the attacks, and the neighbour ticking
# through the whole run (ticks during and after it, no gap above 5 s) until it is stopped, its frames
# never held up (its transmit ring never full), and the switch counting the frames it dropped for
# the hostile port.
# Prints "e2e-hostile: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
T=$BUILD/e2e/hosted-hostile
TIMEOUT=${E2E_TIMEOUT:-600}
TAG=e2e-hostile
. "$ROOT/tests/e2e/lib.sh"
rm -rf "$T" && mkdir -p "$T/extra"
make -s -C "$ROOT" hostile-guest BUILD="$BUILD" >/dev/null || fail_early "hostile guest build"
cp "$BUILD/guest/hostile-Image" "$BUILD/guest/ticker-Image" "$T/extra/"

echo 'echo unused' > "$T/guest-cmd" # machine_run packs a guest initramfs; these guests need none
cat > "$T/outer-script" <<'O'
cd /tmp
up() { cut -d' ' -f1 /proc/uptime; }
ticks() { grep -c '^TICK ' ticker.out; }
# Both VMs on one virtual switch too: the hostile guest's frames reach the ticker's port, which its
# guest never reads.
/svmm switch --listen /tmp/sw.sock --port hostile --port ticker > switch.out 2>&1 &
spid=$!
for i in $(seq 100); do [ -S /tmp/sw.sock ] && break; sleep 0.1; done
/svmm run -q --kernel /ticker-Image --mem 64M --name ticker --vsock cid=4,uds=/tmp/t4,peer=3:/tmp/vs34.sock \
    --net switch=/tmp/sw.sock,port=ticker < /dev/null > ticker.out 2> ticker.err &
tpid=$!
for i in $(seq 600); do grep -q '^TICK 2 ' ticker.out && break; sleep 0.1; done
echo "[outer] neighbour ticking: $(ticks) ticks at uptime $(up)"
t0=$(up) n0=$(ticks)
/svmm run --kernel /hostile-Image --mem 128M --cpus 2 --name hostile --disk ram=4M --rng \
    --vsock cid=3,uds=/tmp/h3,peer=4:/tmp/vs34.sock --net switch=/tmp/sw.sock,port=hostile \
    --console-port hostile-port1=file:/tmp/port1.out < /dev/null > hostile.out 2> hostile.err
st=$?
t1=$(up) n1=$(ticks)
echo "[outer] hostile svmm exit $st after $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.1f", b - a }') s; neighbour ticks during it: $((n1 - n0))"
sleep 2
n2=$(ticks)
echo "[outer] neighbour ticks in the 2 s after: $((n2 - n1))"
kill -TERM $tpid
wait $tpid
# SIGTERM may cut the last line: report the last whole one.
echo "[outer] neighbour svmm exit $? after $(ticks) ticks, last: $(tr -d '\r' < ticker.out | grep '^TICK .* maxgap_ms=' | tail -n2 | head -n1)"
kill -TERM $spid
wait $spid
echo "[outer] switch exit $?"
tr -d '\r' < hostile.out | sed 's/^/[hostile] /'
sed 's/^/[port1] /' port1.out
grep '^TICKNET ' ticker.out | tail -n1 | sed 's/^/[ticker] /'
sed 's/^/[switch] /' switch.out
sed 's/^/[hostile-err] /' hostile.err
sed 's/^/[ticker-err] /' ticker.err
O

machine_run "$T" "$TIMEOUT" "" "--extra $T/extra" "" || fail_early "test machine images"

check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "the neighbour VM was ticking before the attack" "$(has '^\[outer\] neighbour ticking: [0-9]+ ticks')"
check "the hostile guest found its devices (rng, blk, console, vsock, net) in the DTB" \
    "$(has '^\[hostile\] HOSTILE layout: RAM 0x40000000\+0x8000000 GICv3 0x8000000 psci=hvc rng 0x[0-9a-f]+ blk 0x[0-9a-f]+ console 0x[0-9a-f]+ vsock 0x[0-9a-f]+ net 0x[0-9a-f]+ cpus 2$')"
# One check per case: its verdict line.
while read -r verdict name rest; do
    check "case $name: ${rest#: }" "$(is [ "$verdict" = ok ])"
done < <(sed -n 's/^\[hostile\] HOSTILE \(ok\|FAIL\) \([a-z0-9_]*\)\(.*\)$/\1 \2 \3/p' <<<"$LOG")
summary=$(sed -n 's/^\[hostile\] HOSTILE summary: \(.*\)$/\1/p' <<<"$LOG")
cases=$(sed -n 's/^\([0-9]*\) cases.*/\1/p' <<<"$summary")
check "summary: ${summary:-none} (at least 80 cases, none failed)" \
    "$([ -n "$cases" ] && [ "$cases" -ge 80 ] && grep -q ' 0 failed, ' <<<"$summary"; rc)"
skips=$(sed -n 's/.* \([0-9]*\) skipped$/\1/p' <<<"$summary")
check "every case reported a verdict or a skip (${cases:-?} cases, ${skips:-?} skipped: CPU_ON at bad entries, which KVM does not check)" \
    "$([ "$(grep -cE '^\[hostile\] HOSTILE (ok|FAIL|skip) ' <<<"$LOG")" = "${cases:-x}" ] &&
       [ "$(grep -cE '^\[hostile\] HOSTILE skip smp_on_[a-z_]+: not on this platform' <<<"$LOG")" = "${skips:-x}" ] &&
       [ "$skips" = 5 ]; rc)"
check "the console still printed after its queue was broken and reset" "$(has '^\[hostile\] HOSTILE console alive')"
check "the MULTIPORT console printed on both ports, with and without control queues, and after the control flood" \
    "$(grep -q '^\[hostile\] HOSTILE console multiport alive' <<<"$LOG" &&
       grep -q '^\[hostile\] HOSTILE console without control queues alive' <<<"$LOG" &&
       grep -q '^\[hostile\] HOSTILE console after the control flood alive' <<<"$LOG" &&
       grep -q '^\[port1\] HOSTILE port 1 alive' <<<"$LOG" &&
       grep -q '^\[port1\] HOSTILE port 1 without control queues alive' <<<"$LOG"; rc)"
check "the frame source (the ticker) sent all through the run, its ring never full" \
    "$(has '^\[ticker\] TICKNET sent [1-9][0-9]* ring full 0$')"
# The switch's ring to the hostile port (256 frames) absorbs the ticker's frames while the hostile
# device is reset or has no buffers; the port's end counts what it dropped and how often it waited.
rxline=$(sed -n 's/^\[hostile-err\] svmm: switch port hostile: tx .*, \(rx [0-9]* packets .*waits for buffers)\).*/\1/p' <<<"$LOG")
check "the hostile port's receive side counted the frames it dropped and the waits for buffers (${rxline:-no summary})" \
    "$(grep -qE '^rx [1-9][0-9]* packets [0-9]+ bytes \([1-9][0-9]* dropped, [1-9][0-9]* waits for buffers\)$' <<<"$rxline"; rc)"
check "svmm warned about the attacks (a queue error, a bad register access, an unclaimed access)" \
    "$(grep -q 'queue 0: descriptor loop: device needs reset' <<<"$LOG" &&
       grep -q 'virtio-mmio: .* ignored' <<<"$LOG" && grep -q 'unhandled guest' <<<"$LOG"; rc)"
check "last case: the VM was stopped with a message (an access svmm cannot emulate)" \
    "$(grep -q '^\[hostile\] HOSTILE final: ldp' <<<"$LOG" && ! grep -q 'HOSTILE final: still running' <<<"$LOG" &&
       grep -qE '^\[hostile-err\] svmm: error: vCPU 0: unemulatable access at 0x[0-9a-f]+ \(no instruction syndrome' <<<"$LOG"; rc)"
hexit=$(sed -n 's/^\[outer\] hostile svmm exit \([0-9]*\) .*/\1/p' <<<"$LOG")
check "hostile svmm exited as for a guest fault (status ${hexit:-none}: 3; not a signal, not a hang)" "$(is [ "$hexit" = 3 ])"
during=$(sed -n 's/.*neighbour ticks during it: \([0-9]*\)$/\1/p' <<<"$LOG")
secs=$(sed -n 's/^\[outer\] hostile svmm exit [0-9]* after \([0-9.]*\) s.*/\1/p' <<<"$LOG")
check "the neighbour kept ticking during the attack (${during:-?} ticks in ${secs:-?} s)" \
    "$(awk -v n="${during:-0}" -v s="${secs:-0}" 'BEGIN { exit !(n >= 1 && n >= s * 5 / 4) }'; rc)"
check "and after it" "$(has '^\[outer\] neighbour ticks in the 2 s after: [1-9]')"
gap=$(sed -n 's/.*last: TICK [0-9]* maxgap_ms=\([0-9]*\)$/\1/p' <<<"$LOG")
# The ticker's clock is the host's (QEMU without -icount): a host busy with other work stretches its
# gaps too (1.7 s seen at a load average of 15 on 2 CPUs), so the bound only catches a neighbour that
# stalled; the gaps measured are in docs/hostile-guests.md.
check "the neighbour never stalled: longest gap between ticks under 5 s (${gap:-?} ms, a tick every 200 ms)" \
    "$([ -n "$gap" ] && [ "$gap" -lt 5000 ]; rc)"
check "the neighbour's svmm was stopped by SIGTERM only (exit 143)" "$(has '^\[outer\] neighbour svmm exit 143 ')"
check "the switch served both ports to the end and stopped cleanly (exit 0)" \
    "$(grep -q '^\[switch\] svmm: switch port ticker: in ' <<<"$LOG" && grep -q '^\[outer\] switch exit 0$' <<<"$LOG"; rc)"
grep -E '^\[outer\]|HOSTILE (summary|classes)' <<<"$LOG"
echo "$TAG: wall ${wall}s"
finish "$T/log"
