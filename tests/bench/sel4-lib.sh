# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Shared by the seL4 benchmarks (tests/bench/sel4-blk.sh, sel4-net.sh, sel4-idle.sh): release builds
# of a system booted under QEMU -icount shift=0,sleep=off with the tbprof plugin, whose profile
# tests/bench/sel4-*-split.py then split by component. Source it after setting ROOT; it sources
# tests/e2e/lib.sh.
. "$ROOT/tests/e2e/lib.sh"

# sel4_bench_setup NAME [SDK_DIR]: for bench NAME (sel4-blk ...): BUILD made absolute, SDK (SDK_DIR,
# else $MICROKIT_SDK, else /opt/microkit-sdk-2.0.1), CONFIG=release, TIMEOUT (BENCH_TIMEOUT, 3600 s),
# T (its work directory, made here), RES (its results file) and gic; builds the tbprof plugin in T.
# Exits when there is no SDK or tbprof does not build.
sel4_bench_setup() {
    BUILD=${BUILD:-$ROOT/build}
    case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
    SDK=${2:-${MICROKIT_SDK:-/opt/microkit-sdk-2.0.1}}
    CONFIG=release
    TIMEOUT=${BENCH_TIMEOUT:-3600}
    T=$BUILD/bench/$1
    RES=$BUILD/bench/$1-results.txt
    [ -x "$SDK/bin/microkit" ] || { echo "bench-$1: no Microkit SDK at $SDK (set MICROKIT_SDK)"; exit 1; }
    gic=$(sel4_gic "$SDK" "$CONFIG")
    mkdir -p "$T"
    gcc -O2 -shared -fPIC -Wall -Wextra "$ROOT/tests/bench/tbprof.c" -o "$T/tbprof.so" || exit 1
}

# sel4_bench_run NAME VMS: build the system of $T/NAME.yaml into $T/NAME (its output in
# $T/NAME.build.log, shown if it fails) and boot it profiled ($T/NAME.prof) until VMS VMMs have
# stopped (log $T/NAME.log). Fails unless they stopped and the profile is there.
sel4_bench_run() {
    sel4_system "$SDK" "$CONFIG" "$T/$1.yaml" "$T/$1" "$T/$1.build.log" || { cat "$T/$1.build.log"; return 1; }
    SEL4_QEMU_EXTRA="-icount shift=0,sleep=off -plugin $T/tbprof.so,arg=out=$T/$1.prof" \
        sel4_boot "$T/$1" "$gic" "$T/$1.log" "$TIMEOUT" "$2"
    [ "$status" = stopped ] && [ -s "$T/$1.prof" ]
}
