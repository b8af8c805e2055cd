#!/bin/bash
# Run libFuzzer harnesses built by tests/fuzz/fuzz.mk.
#   run.sh smoke BUILD SECONDS JOBS HARNESS...   committed seeds, then SECONDS of fuzzing each in a
#                                                 scratch corpus; a tier of `make test`
#   run.sh long  BUILD SECONDS JOBS HARNESS...   same, but the corpus persists in
#                                                 BUILD/fuzz/corpus-<harness> across runs
# Up to JOBS harnesses run at once. Each prints "ok   fuzz: <harness> (N execs) ..." or a FAIL line
# with the saved input and the sanitizer report; the last line is "fuzz: N passed, N failed".
# Crash, timeout and OOM inputs are saved as BUILD/fuzz/crashes/<harness>-{crash,timeout,oom,...}-<sha1>.
# A long run ends with a table (harness, wall and CPU seconds, execs, exec/s, corpus, crashes), also
# written to BUILD/fuzz/logs/long-summary.txt.
set -u
mode=$1 build=$2 secs=$3 jobs=$4
shift 4
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
fz=$build/fuzz
mkdir -p "$fz/crashes" "$fz/logs"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# Inputs must be able to describe the whole state a harness exposes (guest RAM, op sequences).
max_len() {
    case $1 in
    virtqueue) echo 16384 ;;
    virtio_mmio) echo 8192 ;;
    image | guest_dt) echo 2048 ;;
    vgic) echo 1024 ;; # every GIC write rescans all interrupts of all vCPUs: keep inputs short
    *) echo 4096 ;;
    esac
}

run_one() {
    local h=$1 work log=$fz/logs/$mode-$h.log
    if [ "$mode" = smoke ]; then
        work=$fz/smoke/$h
        rm -rf "$work"
    else
        work=$fz/corpus-$h
    fi
    mkdir -p "$work"
    # -runs and -timeout are guards: a smoke run never exceeds its time, one input never hangs it.
    local TIMEFORMAT='%R %U %S' rc
    { time {
        "$fz/fuzz_$h" -max_total_time="$secs" -runs=100000000 -timeout=10 -rss_limit_mb=2048 \
            -max_len="$(max_len "$h")" -use_value_profile=1 -print_final_stats=1 \
            -artifact_prefix="$fz/crashes/$h-" "$work" "tests/fuzz/corpus/$h" >"$log" 2>&1
        rc=$?
    }; } 2>"$fz/logs/$mode-$h.time"
    echo "$rc" >"$fz/logs/$mode-$h.rc"
}

start=$(date +%s)
for h in "$@"; do
    rm -f "$fz/logs/$mode-$h.rc"
    if [ ! -x "$fz/fuzz_$h" ]; then
        echo 127 >"$fz/logs/$mode-$h.rc"
        continue
    fi
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
        wait -n
    done
    run_one "$h" &
done
wait

passed=0 failed=0
for h in "$@"; do
    log=$fz/logs/$mode-$h.log rc=$(cat "$fz/logs/$mode-$h.rc" 2>/dev/null || echo 1)
    stat() { grep -o "stat::$1: *[0-9]*" "$log" | tail -n1 | awk '{print $2}'; }
    if [ "$rc" = 0 ]; then
        execs=$(stat number_of_executed_units) eps=$(stat average_exec_per_sec)
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | awk '{print $2}')
        ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n1 | awk '{print $2}')
        corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -n1 | awk '{print $2}')
        echo "ok   fuzz: $h (${execs:-?} execs) ${eps:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
        passed=$((passed + 1))
    elif [ "$rc" = 127 ]; then
        echo "FAIL fuzz: $h: $fz/fuzz_$h was not built"
        failed=$((failed + 1))
    else
        art=$(grep -o 'Test unit written to .*' "$log" | tail -n1 | sed 's/Test unit written to //')
        echo "FAIL fuzz: $h: exit $rc; input: ${art:-none saved}; log: $log"
        echo "     reproduce: $fz/fuzz_$h ${art:-<input>}"
        # The sanitizer or invariant report, without libFuzzer's progress lines.
        grep -vE '^(#[0-9]+|INFO:|MS: |base unit:|\[)' "$log" | grep -v '^0x' | tail -n 40 | sed 's/^/     /'
        failed=$((failed + 1))
    fi
done
if [ "$mode" = long ]; then
    # Per harness: wall and CPU (user+sys) seconds, execs, exec/s (per wall second, libFuzzer's), the
    # corpus kept on disk, and the inputs saved as crashes, timeouts or OOMs (libFuzzer stops at the first).
    {
        printf '%-14s %6s %6s %12s %8s %8s %7s\n' harness wall_s cpu_s execs exec/s corpus crashes
        for h in "$@"; do
            log=$fz/logs/$mode-$h.log
            execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" 2>/dev/null | tail -n1 | awk '{print $2}')
            eps=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" 2>/dev/null | tail -n1 | awk '{print $2}')
            read -r wall usr sys <"$fz/logs/$mode-$h.time" 2>/dev/null || wall=0 usr=0 sys=0
            cpu=$(awk -v u="${usr:-0}" -v s="${sys:-0}" 'BEGIN { printf "%.0f", u + s }')
            corpus=$(find "$fz/corpus-$h" -type f 2>/dev/null | wc -l)
            crashes=$(grep -c 'Test unit written to' "$log" 2>/dev/null)
            printf '%-14s %6.0f %6s %12s %8s %8s %7s\n' "$h" "${wall:-0}" "$cpu" "${execs:-?}" "${eps:-?}" \
                "$corpus" "${crashes:-0}"
        done
    } | tee "$fz/logs/long-summary.txt"
fi
echo "fuzz: ${mode} run of $# harness(es) took $(($(date +%s) - start))s"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
