#!/bin/bash
# Every test tier, in order of cost. Each tier prints "<tier>: N passed, N failed"; this script adds
# them up and ends with one line "N passed, N failed, N skipped" (a skipped tier counts once and
# says why). Exit status is non-zero if anything failed.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export BUILD=${BUILD:-$ROOT/build}
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
total_pass=0 total_fail=0 total_skip=0

# run_tier NAME COMMAND...: run it, show its output, add its counts (a crash with no counts = 1 failure).
run_tier() {
    local name=$1; shift
    local start rc counts p f
    echo "=== tier: $name"
    start=$(date +%s)
    "$@" 2>&1 | tee "$LOGS/$name.log"
    rc=${PIPESTATUS[0]}
    counts=$(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$LOGS/$name.log" | tail -n1)
    p=$(echo "$counts" | awk '{print $1+0}'); f=$(echo "$counts" | awk '{print $3+0}')
    if [ -z "$counts" ] || { [ $rc != 0 ] && [ "$f" = 0 ]; }; then
        echo "FAIL $name: exited $rc without a result line"; f=$((f + 1))
    fi
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
    echo "=== tier $name: $p passed, $f failed ($(( $(date +%s) - start ))s)"
}

skip_tier() {
    echo "=== tier: $1 SKIPPED: $2"
    total_skip=$((total_skip + 1))
}

build() {
    make -s all BUILD="$BUILD" && echo "build: 1 passed, 0 failed"
}

run_tier build build
run_tier unit "$BUILD/host/unit-tests"
run_tier cli tests/cli/bad-input.sh
run_tier freestanding tests/freestanding/run.sh
run_tier compose tests/compose/run.sh
if [ -f tests/fuzz/fuzz.mk ]; then
    run_tier fuzz-smoke make -s fuzz-smoke BUILD="$BUILD"
else
    skip_tier fuzz-smoke "no fuzz harnesses yet"
fi
if [ -f tests/tsan/tsan.mk ]; then
    run_tier tsan make -s tsan BUILD="$BUILD"
fi
if [ -n "${SKIP_E2E:-}" ]; then
    skip_tier e2e-hosted "SKIP_E2E is set"
    skip_tier compose-hosted "SKIP_E2E is set"
    skip_tier e2e-blk "SKIP_E2E is set"
    skip_tier e2e-net "SKIP_E2E is set"
    skip_tier e2e-vsock "SKIP_E2E is set"
    skip_tier e2e-console "SKIP_E2E is set"
else
    run_tier e2e-hosted tests/e2e/hosted-boot.sh
    run_tier compose-hosted tests/compose/hosted-pair.sh
    run_tier e2e-blk tests/e2e/hosted-blk.sh
    run_tier e2e-net tests/e2e/hosted-net.sh
    run_tier e2e-vsock tests/e2e/hosted-vsock.sh
    run_tier e2e-console tests/e2e/hosted-console.sh
fi
# seL4 tier: MICROKIT_SDK, else the documented default /opt/microkit-sdk-2.0.1. A second SDK built
# with a GICv3 kernel (MICROKIT_SDK_GICV3, default /opt/microkit-sdk-2.0.1-gicv3) adds a GICv3 run.
SDK=${MICROKIT_SDK:-/opt/microkit-sdk-2.0.1}
SDK3=${MICROKIT_SDK_GICV3:-/opt/microkit-sdk-2.0.1-gicv3}
# A release SDK whose kernel has seL4's exception fastpath (MICROKIT_SDK_FASTPATH, default
# /opt/microkit-sdk-2.0.1-fastpath): its VMMs are passive, which changes how vCPUs stop and start.
SDKFP=${MICROKIT_SDK_FASTPATH:-/opt/microkit-sdk-2.0.1-fastpath}
SDK3FP=${MICROKIT_SDK_GICV3_FASTPATH:-/opt/microkit-sdk-2.0.1-gicv3-fastpath}
if [ ! -x "$SDK/bin/microkit" ]; then
    skip_tier sel4 "no Microkit SDK: set MICROKIT_SDK=/path/to/microkit-sdk-2.0.1 (nothing at $SDK)"
else
    run_tier sel4-gicv2 tests/e2e/sel4-boot.sh "$SDK"
    run_tier sel4-blk tests/e2e/sel4-blk.sh "$SDK"
    run_tier sel4-pair tests/compose/sel4-pair.sh "$SDK"
    run_tier sel4-gicv2-release tests/e2e/sel4-boot.sh "$SDK" release
    if [ -x "$SDK3/bin/microkit" ]; then
        run_tier sel4-gicv3 tests/e2e/sel4-boot.sh "$SDK3"
    else
        skip_tier sel4-gicv3 "no GICv3 Microkit SDK (set MICROKIT_SDK_GICV3; nothing at $SDK3)"
    fi
    if [ -x "$SDKFP/bin/microkit" ]; then
        run_tier sel4-fastpath tests/e2e/sel4-boot.sh "$SDKFP" release
        run_tier sel4-pair-fastpath tests/compose/sel4-pair.sh "$SDKFP" release
    else
        skip_tier sel4-fastpath "no exception-fastpath Microkit SDK (set MICROKIT_SDK_FASTPATH; nothing at $SDKFP)"
    fi
    if [ -x "$SDK3FP/bin/microkit" ]; then
        run_tier sel4-gicv3-fastpath tests/e2e/sel4-boot.sh "$SDK3FP" release
    else
        skip_tier sel4-gicv3-fastpath "no GICv3 exception-fastpath SDK (set MICROKIT_SDK_GICV3_FASTPATH; nothing at $SDK3FP)"
    fi
fi
echo
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ $total_fail = 0 ]
