#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# AFL++ over the libFuzzer harnesses (make fuzz-afl, tests/fuzz/depth.mk).
#   afl.sh BUILD SECONDS HARNESS...
# One afl-fuzz at a time (run it under `nice -n 19` on a shared machine), each for SECONDS from the
# committed seeds tests/fuzz/corpus/<harness>/, into a fresh BUILD/fuzz/afl-out/<harness>/ (its queue
# is then a corpus make fuzz-cov also measures). The fuzzed binary has ASan + UBSan and the harness's
# invariants (abort()), the .cmplog one solves comparisons (afl-fuzz -c).
# Crashes are copied to BUILD/fuzz/afl-crashes/<harness>-<id> and replayed by the libFuzzer build
# BUILD/fuzz/fuzz_<harness>: a crash libFuzzer's binary does not reproduce is reported as such.
# Ends with a table (harness, seconds, execs, exec/s, corpus, edges, crashes, hangs), also written to
# BUILD/fuzz/logs/afl-summary.txt, and "fuzz-afl: N passed, N failed" (failed: crashes found).
set -u
build=$1 secs=$2
shift 2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
fz=$build/fuzz
mkdir -p "$fz/afl-out" "$fz/afl-crashes" "$fz/logs"

# This machine's settings, none of which needs privileges: no CPU pinning (other jobs share the cores),
# no check of the frequency governor, no UI. The core pattern is only an issue if it pipes to a program.
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
case $(cat /proc/sys/kernel/core_pattern 2>/dev/null) in
'|'*) echo "fuzz-afl: core_pattern pipes to a program; AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES set" ;;
esac

# As run.sh's libFuzzer limits: inputs that can describe the harness's whole state, not more.
max_len() {
    case $1 in
    virtqueue) echo 16384 ;;
    virtio_mmio) echo 8192 ;;
    image | guest_dt) echo 2048 ;;
    vgic) echo 1024 ;;
    *) echo 4096 ;;
    esac
}

stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$2" 2>/dev/null; }

passed=0 failed=0 start=$(date +%s)
summary=$fz/logs/afl-summary.txt
printf '%-14s %6s %12s %8s %7s %7s %7s %6s\n' harness secs execs exec/s corpus edges crashes hangs >"$summary.tmp"
for h in "$@"; do
    bin=$fz/afl/fuzz_$h out=$fz/afl-out/$h log=$fz/logs/afl-$h.log
    if [ ! -x "$bin" ]; then
        echo "FAIL fuzz-afl: $h: $bin was not built"
        failed=$((failed + 1))
        continue
    fi
    rm -rf "$out"
    # -t 1000+: a 1 s timeout per input, hangs saved but not fatal; -V: fuzz time, not counting calibration.
    afl-fuzz -V "$secs" -t 1000+ -m none -G "$(max_len "$h")" -c "$bin.cmplog" \
        -i "tests/fuzz/corpus/$h" -o "$out" -- "$bin" >"$log" 2>&1
    rc=$?
    st=$out/default/fuzzer_stats
    if [ ! -f "$st" ]; then
        echo "FAIL fuzz-afl: $h: afl-fuzz exited $rc without stats: $log"
        tail -n 20 "$log" | sed 's/^/     /'
        failed=$((failed + 1))
        continue
    fi
    crashes=$(stat saved_crashes "$st") hangs=$(stat saved_hangs "$st")
    printf '%-14s %6s %12s %8s %7s %7s %7s %6s\n' "$h" "$(stat run_time "$st")" "$(stat execs_done "$st")" \
        "$(stat execs_per_sec "$st")" "$(stat corpus_count "$st")" "$(stat edges_found "$st")" \
        "${crashes:-?}" "${hangs:-?}" >>"$summary.tmp"
    if [ "${crashes:-0}" = 0 ]; then
        echo "ok   fuzz-afl: $h ($(stat execs_done "$st") execs) $(stat execs_per_sec "$st") exec/s," \
            "corpus $(stat corpus_count "$st"), edges $(stat edges_found "$st")/$(stat total_edges "$st"), hangs ${hangs:-?}"
        passed=$((passed + 1))
        continue
    fi
    echo "FAIL fuzz-afl: $h: $crashes crash(es)"
    for c in "$out"/default/crashes/id:*; do
        [ -f "$c" ] || continue
        id=${c##*/}
        dst=$fz/afl-crashes/$h-${id%%,*}-$(sha1sum "$c" | cut -c1-12)
        cp "$c" "$dst"
        if "$fz/fuzz_$h" "$dst" >"$dst.libfuzzer.log" 2>&1; then
            echo "     $dst: not reproduced by $fz/fuzz_$h"
        else
            echo "     $dst: reproduced: $fz/fuzz_$h $dst"
            grep -E 'ERROR|SUMMARY|FUZZ_CHECK|fuzz_.*\.c:[0-9]+' "$dst.libfuzzer.log" | head -n 6 | sed 's/^/       /'
        fi
    done
    failed=$((failed + 1))
done
mv "$summary.tmp" "$summary"
cat "$summary"
echo "fuzz-afl: run of $# harness(es) took $(($(date +%s) - start))s"
echo "fuzz-afl: $passed passed, $failed failed"
[ "$failed" = 0 ]
