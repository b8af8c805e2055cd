#!/bin/bash
# run.sh - boot the OUTER machine (QEMU TCG, EL2 enabled so its kernel has KVM)
# with an initramfs from mkouter-initrd.sh, and exit with svmm's exit status.
#
# Usage: tests/machine/run.sh --initrd OUTER.cpio.gz [--timeout SECONDS] [--log FILE]
#            [--mem 2G] [--smp 2] [--append "KERNEL ARGS"] [--interactive] [-- QEMU-ARGS...]
#   Exit status: N from the "[outer] svmm exit status: N" line; 124 if the
#   machine did not power off within the timeout (default 600 s); 125 if it
#   powered off without reporting a status (e.g. a kernel panic).
#   --interactive keeps stdin on the terminal (QEMU's ^A x quits).
set -eu
. "$(dirname "$0")/common.sh"

initrd='' timeout=600 logf=$MBUILD/run.log mem=2G smp=2 append='' interactive=0
while [ $# -gt 0 ]; do
    case $1 in
        --interactive) interactive=1; shift; continue ;;
        --) shift; break ;;
    esac
    [ $# -ge 2 ] || die "$1 needs an argument"
    case $1 in
        --initrd)  initrd=$2 ;;
        --timeout) timeout=$2 ;;
        --log)     logf=$2 ;;
        --mem)     mem=$2 ;;
        --smp)     smp=$2 ;;
        --append)  append=$2 ;;
        *) die "unknown argument: $1" ;;
    esac
    shift 2
done
[ -f "${initrd:-}" ] || die "usage: $0 --initrd OUTER.cpio.gz [options] (see the header of $0)"
need_fetch
mkdir -p "$(dirname "$logf")"

qemu=(qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu cortex-a57 -nic none
      -smp "$smp" -m "$mem" -nographic -no-reboot
      -kernel "$MBUILD/Image" -initrd "$initrd"
      -append "console=ttyAMA0 panic=-1 $append" "$@")

log "booting outer machine (timeout ${timeout}s, log $logf)"
start=$(date +%s.%N)
set +e
if [ $interactive = 1 ]; then
    # --foreground: QEMU stays in the terminal's foreground process group.
    timeout --foreground "$timeout" "${qemu[@]}" 2>&1 | tee "$logf"
else
    timeout "$timeout" "${qemu[@]}" < /dev/null 2>&1 | tee "$logf"
fi
rc=${PIPESTATUS[0]}
set -e
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
log "outer machine finished after ${secs}s (qemu/timeout status $rc)"

if [ "$rc" = 124 ]; then
    echo "[machine] TIMEOUT: outer machine did not power off within $timeout s (log: $logf)"
    exit 124
fi
status=$(tr -d '\r' < "$logf" | sed -n 's/^\[outer\] svmm exit status: \([0-9]*\)$/\1/p' | tail -n1)
if [ -z "$status" ]; then
    log "no '[outer] svmm exit status' line in $logf"
    exit 125
fi
exit "$status"
