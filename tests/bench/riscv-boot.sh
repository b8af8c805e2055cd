#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# make bench-riscv: a guest's boot under svmm on riscv64 against arm64, with the same devices (2 vCPUs,
# 256 MiB, UART, virtio console, blk, rng; command line "console=ttyS0 quiet"), each in its own test
# machine under QEMU TCG with -icount shift=0,sleep=off (the outer clock counts instructions: the
# host's load does not move the figures; BENCH_RISCV_ICOUNT= for wall-clock time) and one outer CPU
# (BENCH_RISCV_SMP): with -icount and two, QEMU 7.2's riscv64 outer machine hangs once its /init
# starts (2026-12-04); the arm64 machine gets the same one CPU. Reports the
# guest's kernel boot-to-init (its uptime when init starts, in the outer machine's time) and svmm's
# exits by kind and by device for the whole run (boot, init, power-off). Asserts nothing; results in
# $BUILD/bench/riscv-results.txt (docs/riscv.md explains the difference). Needs make riscv-machine.
# shellcheck disable=SC2034,SC2154 # TAG is read by tests/e2e/lib.sh; wall, status and LOG come from below
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
export BUILD
T=$BUILD/bench/riscv
ICOUNT=${BENCH_RISCV_ICOUNT-shift=0,sleep=off}
SMP=${BENCH_RISCV_SMP:-1}
TIMEOUT=${BENCH_TIMEOUT:-1800}
RES=$BUILD/bench/riscv-results.txt
rm -rf "$T" && mkdir -p "$T/rv" "$T/arm"
"$ROOT/tests/machine/riscv.sh" built || { echo "bench-riscv: the riscv64 test machine is not built: make riscv-machine"; exit 1; }
make -s -C "$ROOT" svmm ARCH=riscv64 BUILD="$BUILD" && make -s -C "$ROOT" svmm BUILD="$BUILD" || exit 1

for d in rv arm; do
    echo 'echo "RVB-DONE"' > "$T/$d/guest-cmd"
    cat > "$T/$d/outer-script" <<'O'
dd if=/dev/zero of=/tmp/disk.img bs=1M count=16 2>/dev/null
/svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 256M \
    --append "console=ttyS0 quiet" --disk /tmp/disk.img --rng
O
done

TAG=bench-riscv
. "$ROOT/tests/e2e/lib.sh"
summary() { # ARCH: one result line from LOG
    local exits
    exits=$(grep -E 'svmm: exits:' <<<"$LOG" | tail -n1 | sed 's/.*exits: //')
    printf '%-8s boot-to-init %6ss  svmm status %s  wall %4ss  exits: %s\n' "$1" "$(boot_to_init)" "$status" "$wall" "$exits"
}
"$ROOT/tests/machine/riscv.sh" guest-initrd "$T/rv/guest.cpio.gz" --cmd-file "$T/rv/guest-cmd" >/dev/null 2>&1 &&
"$ROOT/tests/machine/riscv.sh" outer-initrd "$T/rv/outer.cpio.gz" --svmm "$BUILD/riscv64/svmm" \
    --script "$T/rv/outer-script" --guest-initrd "$T/rv/guest.cpio.gz" >/dev/null 2>&1 || { echo "bench-riscv: images"; exit 1; }
start=$(date +%s) status=0
"$ROOT/tests/machine/riscv.sh" run --initrd "$T/rv/outer.cpio.gz" --smp "$SMP" --timeout "$TIMEOUT" --log "$T/rv/log" \
    -- ${ICOUNT:+-icount "$ICOUNT"} >/dev/null 2>&1 || status=$?
wall=$(( $(date +%s) - start ))
LOG=$(tr -d '\r' < "$T/rv/log")
rv=$(summary riscv64)
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/arm/guest.cpio.gz" --cmd-file "$T/arm/guest-cmd" >/dev/null 2>&1 &&
"$ROOT/tests/machine/mkouter-initrd.sh" "$T/arm/outer.cpio.gz" --svmm "$BUILD/aarch64/svmm" \
    --guest-initrd "$T/arm/guest.cpio.gz" --script "$T/arm/outer-script" >/dev/null 2>&1 || { echo "bench-riscv: arm64 images"; exit 1; }
start=$(date +%s) status=0
"$ROOT/tests/machine/run.sh" --initrd "$T/arm/outer.cpio.gz" --smp "$SMP" --timeout "$TIMEOUT" --log "$T/arm/log" \
    -- ${ICOUNT:+-icount "$ICOUNT"} >/dev/null 2>&1 || status=$?
wall=$(( $(date +%s) - start ))
LOG=$(tr -d '\r' < "$T/arm/log")
arm=$(summary arm64)
{
    echo "bench-riscv $(date -u +%Y-%m-%d): outer QEMU TCG ($SMP CPU) ${ICOUNT:+-icount $ICOUNT }> KVM > svmm > guest (2 vCPUs, 256M, console=ttyS0 quiet, blk, rng)"
    echo "  riscv64: own Linux 6.1 (every driver built in, 4 MiB); arm64: Debian's 6.1 kernel (modules loaded by init)"
    echo "  $rv"
    echo "  $arm"
} | tee "$RES"
