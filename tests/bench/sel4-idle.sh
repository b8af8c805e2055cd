#!/bin/bash
# make bench-sel4-idle: what an idle guest costs on seL4 (issue 13, "idle vCPUs sleep"). Not a test:
# it measures and prints a table (docs/performance.md, "seL4: idle guests").
#
# examples/linux-pair (release: two 1-vCPU Linux VMs on one core), under QEMU -icount shift=0,sleep=off
# with the tbprof plugin, twice: both guests sleep BENCH_IDLE_A s (run A) or BENCH_IDLE_B s (run B) once
# up, then power off. The difference B - A is what (B - A) idle seconds of the two guests cost: WFI
# exits and timer interrupts per idle guest second, and the instructions of the seL4 kernel, the VMMs
# and the idle timer PD per idle guest second (tbprof splits them as tests/bench/sel4-net.sh does).
# Under -icount the guests' clock is their instruction count, so a vCPU that spins in WFI costs a
# second of instructions per second it waits, and one that sleeps lets QEMU skip ahead.
# usage: tests/bench/sel4-idle.sh [SDK_DIR]   (default $MICROKIT_SDK or /opt/microkit-sdk-2.0.1)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IDLE_A=${BENCH_IDLE_A:-1} IDLE_B=${BENCH_IDLE_B:-5}
[ "$IDLE_B" -gt "$IDLE_A" ] || { echo "bench-sel4-idle: BENCH_IDLE_B must be larger than BENCH_IDLE_A"; exit 1; }
. "$ROOT/tests/bench/sel4-lib.sh"
sel4_bench_setup sel4-idle "${1:-}"

# run NAME SECONDS: both guests idle SECONDS once up; leaves $T/NAME.{log,prof}.
run() {
    local name=$1 secs=$2
    # Timer interrupts: the arch_timer line of /proc/interrupts, before and after the idle stretch.
    cat > "$T/cmd-$name" <<G
t0=\$(grep arch_timer /proc/interrupts | awk '{print \$2}')
sleep $secs
echo "BENCH-IDLE timer=\$((\$(grep arch_timer /proc/interrupts | awk '{print \$2}') - t0))"
G
    "$ROOT/tests/machine/mkguest-initrd.sh" "$T/$name.cpio.gz" --cmd-file "$T/cmd-$name" >/dev/null || return 1
    example_images "$ROOT/examples/linux-pair/system.yaml" "$BUILD/machine/Image" "$T/$name.cpio.gz" > "$T/$name.yaml"
    sel4_bench_run "$name" 2
}

# sum_field LOG KEY: KEY=N summed over the VMMs' exit lines.
sum_field() { tr -d '\r' < "$1" | grep -ao "svmm\[[a-z0-9_]*\]|info: exits: .*" | grep -o " $2=[0-9]*" | cut -d= -f2 | awk '{s += $1} END {print s + 0}'; }
# timer LOG: the guests' timer interrupts during their idle stretch, summed.
timer() { tr -d '\r' < "$1" | grep -ao 'BENCH-IDLE timer=[0-9]*' | cut -d= -f2 | awk '{s += $1} END {print s + 0}'; }

run a "$IDLE_A" || { echo "bench-sel4-idle: run A failed (see $T/a.log)"; exit 1; }
run b "$IDLE_B" || { echo "bench-sel4-idle: run B failed (see $T/b.log)"; exit 1; }
secs=$(( (IDLE_B - IDLE_A) * 2 )) # idle guest seconds in B beyond A: two guests
{
    echo "svmm seL4 idle bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$ROOT" describe --always --dirty 2>/dev/null), two guests idle ${IDLE_A} s (A) and ${IDLE_B} s (B), $CONFIG, GICv$gic, -icount shift=0"
    wfx=$(( $(sum_field "$T/b.log" wfx) - $(sum_field "$T/a.log" wfx) ))
    tmr=$(( $(timer "$T/b.log") - $(timer "$T/a.log") ))
    echo "per idle guest second (B - A over $secs guest seconds):"
    echo "  WFI exits          $(( wfx / secs ))"
    echo "  timer interrupts   $(( tmr / secs ))  (the guest's own, from /proc/interrupts)"
    grep -ah "idle: " "$T/b.log" | tr -d '\r' | sed 's/^/  B: /'
    python3 "$ROOT/tests/bench/sel4-idle-split.py" "$T/a.prof" "$T/b.prof" "$T/b/report.txt" "$secs"
} | tee "$RES"
