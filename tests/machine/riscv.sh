#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# riscv.sh - the riscv64 test machine: QEMU's riscv64 virt board with the H extension, Linux KVM
# inside, svmm booting the same Linux as its guest (docs/riscv.md). The arm64 machine's scripts
# (fetch.sh, mk*-initrd.sh, run.sh) are unchanged; the two /init scripts are shared.
#
# Usage:
#   tests/machine/riscv.sh build [--install]   kernel (riscv-kernel.sh) and busybox (riscv-busybox.sh)
#   tests/machine/riscv.sh built               exit 0 when both are built and up to date
#   tests/machine/riscv.sh install [DIR]       copy what the tests use (kernel, busybox, their stamps,
#       System.map) to DIR (default /opt/svmm-machine-riscv64), where make test finds it for any
#       clone whose own build folder has none (as the seL4 tiers find SDKs in /opt); about 20 MB.
#   SVMM_RISCV_MACHINE=DIR: use the machine in DIR instead of $BUILD/machine-riscv64.
#   tests/machine/riscv.sh outer-initrd OUT.cpio.gz --svmm PATH --script FILE [--guest-initrd F] [--extra DIR]
#       /init = outer-init.sh (runs /script, reports "[outer] svmm exit status: N", powers off),
#       /svmm, /script, /guest/Image (this kernel), /guest/initrd.cpio.gz.
#   tests/machine/riscv.sh guest-initrd OUT.cpio.gz [--cmd-file FILE] [--extra DIR]
#       /init = guest-init.sh (runs /etc/svmm-cmd on /dev/hvc0, powers off); every driver is built in.
#   tests/machine/riscv.sh run --initrd OUTER.cpio.gz [--timeout S] [--log FILE] [--smp N] [--mem M]
#       [--append ARGS] [--interactive] [-- QEMU-ARGS...]
#       qemu-system-riscv64 -M virt -cpu rv64 (H extension: KVM works inside), OpenSBI from QEMU;
#       exit status as run.sh's: svmm's, 124 on timeout, 125 without a status line.
set -eu
MACHINE_DIR=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$(cd "$MACHINE_DIR/../.." && pwd)/build}
export BUILD
RBUILD=${SVMM_RISCV_MACHINE:-$BUILD/machine-riscv64} # or one installed for all clones (riscv.sh install)
log() { echo "[riscv-machine] $*" >&2; }
die() { echo "[riscv-machine] ERROR: $*" >&2; exit 1; }

make_cpio() { # DIR OUT [cpio options]: a gzip'd newc archive owned by root
    local dir=$1 out=$2
    shift 2
    (cd "$dir" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet "$@") | gzip -1 > "$out.tmp"
    mv "$out.tmp" "$out"
}

need_built() {
    [ -s "$RBUILD/Image" ] && [ -x "$RBUILD/busybox" ] ||
        die "the riscv64 test machine is not built: make riscv-machine (tests/machine/riscv.sh build)"
}

# A root with busybox (applets linked at boot by /init) and the standard mount points.
base_tree() {
    mkdir -p "$1"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root}
    cp "$RBUILD/busybox" "$1/bin/busybox"
    ln -sf busybox "$1/bin/sh"
    : > "$1/etc/modules" # guest-init.sh loads none: every driver is built into this kernel
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
build)
    # --install: also the emulator the machine runs in (OpenSBI comes with QEMU's data files).
    case " $* " in *" --install "*)
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 qemu-system-misc cpio >&2 ;;
    esac
    "$MACHINE_DIR/riscv-kernel.sh" "$@"
    "$MACHINE_DIR/riscv-busybox.sh" "$@"
    ;;
built)
    "$MACHINE_DIR/riscv-kernel.sh" --check && "$MACHINE_DIR/riscv-busybox.sh" --check
    ;;
install)
    dest=${1:-/opt/svmm-machine-riscv64}
    need_built
    mkdir -p "$dest/linux-obj"
    cp "$RBUILD/Image" "$RBUILD/busybox" "$RBUILD/kernel.stamp" "$RBUILD/busybox.stamp" "$RBUILD/kver" "$dest/"
    cp "$RBUILD/linux-obj/System.map" "$dest/linux-obj/"
    SVMM_RISCV_MACHINE=$dest "$0" built || die "the copy in $dest is not usable"
    log "installed in $dest ($(du -sh "$dest" | cut -f1)); make test uses it where $BUILD/machine-riscv64 is not built"
    ;;
outer-initrd)
    [ $# -ge 1 ] || die "usage: $0 outer-initrd OUT.cpio.gz --svmm PATH --script FILE [--guest-initrd F] [--extra DIR]"
    out=$1; shift
    svmm='' script='' ginitrd='' extra=''
    while [ $# -gt 0 ]; do
        [ $# -ge 2 ] || die "$1 needs an argument"
        case $1 in
            --svmm) svmm=$2 ;; --script) script=$2 ;; --guest-initrd) ginitrd=$2 ;; --extra) extra=$2 ;;
            *) die "unknown argument: $1" ;;
        esac
        shift 2
    done
    need_built
    for f in "$svmm" "$script" ${ginitrd:+"$ginitrd"}; do [ -f "$f" ] || die "no such file: '$f'"; done
    tree=$(mktemp -d)
    trap 'rm -rf "$tree"' EXIT
    base_tree "$tree"
    install -m 755 "$MACHINE_DIR/outer-init.sh" "$tree/init"
    mkdir "$tree/guest"
    cp "$svmm" "$tree/svmm"
    cp "$script" "$tree/script"
    cp "$RBUILD/Image" "$tree/guest/Image"
    [ -z "$ginitrd" ] || cp "$ginitrd" "$tree/guest/initrd.cpio.gz"
    [ -z "$extra" ] || cp -rL "$extra/." "$tree/"
    mkdir -p "$(dirname "$out")"
    make_cpio "$tree" "$out"
    log "outer initrd: $out ($(stat -c %s "$out") bytes)"
    ;;
guest-initrd)
    [ $# -ge 1 ] || die "usage: $0 guest-initrd OUT.cpio.gz [--cmd-file FILE] [--extra DIR]"
    out=$1; shift
    cmdf='' extra=''
    while [ $# -gt 0 ]; do
        [ $# -ge 2 ] || die "$1 needs an argument"
        case $1 in
            --cmd-file) cmdf=$2 ;; --extra) extra=$2 ;;
            *) die "unknown argument: $1" ;;
        esac
        shift 2
    done
    need_built
    tree=$(mktemp -d)
    trap 'rm -rf "$tree"' EXIT
    base_tree "$tree"
    install -m 755 "$MACHINE_DIR/guest-init.sh" "$tree/init"
    [ -z "$cmdf" ] || install -m 755 "$cmdf" "$tree/etc/svmm-cmd"
    [ -z "$extra" ] || cp -rL "$extra/." "$tree/"
    mkdir -p "$(dirname "$out")"
    make_cpio "$tree" "$out"
    log "guest initrd: $out ($(stat -c %s "$out") bytes${cmdf:+, cmd: $cmdf})"
    ;;
run)
    initrd='' timeout=900 logf=$RBUILD/run.log mem=2G smp=2 append='' interactive=0
    while [ $# -gt 0 ]; do
        case $1 in
            --interactive) interactive=1; shift; continue ;;
            --) shift; break ;;
        esac
        [ $# -ge 2 ] || die "$1 needs an argument"
        case $1 in
            --initrd) initrd=$2 ;; --timeout) timeout=$2 ;; --log) logf=$2 ;; --mem) mem=$2 ;;
            --smp) smp=$2 ;; --append) append=$2 ;;
            *) die "unknown argument: $1" ;;
        esac
        shift 2
    done
    [ -f "${initrd:-}" ] || die "usage: $0 run --initrd OUTER.cpio.gz [options]"
    need_built
    mkdir -p "$(dirname "$logf")"
    # -cpu rv64: QEMU 7.2 gives it the H extension, so the outer kernel's KVM initialises. A
    # virtio-rng seeds the outer kernel's pool at boot: without one it stays uninitialised for
    # minutes under TCG, and svmm's virtio-rng (getrandom, GRND_NONBLOCK) hands the guest nothing.
    qemu=(qemu-system-riscv64 -M virt -cpu rv64 -nic none -smp "$smp" -m "$mem" -nographic -no-reboot
          -bios default -device virtio-rng-device -kernel "$RBUILD/Image" -initrd "$initrd"
          -append "console=ttyS0 earlycon=sbi panic=-1 $append" "$@")
    log "booting the riscv64 outer machine (timeout ${timeout}s, log $logf)"
    start=$(date +%s.%N)
    set +e
    if [ $interactive = 1 ]; then
        timeout --foreground "$timeout" "${qemu[@]}" 2>&1 | tee "$logf"
    else
        timeout "$timeout" "${qemu[@]}" < /dev/null 2>&1 | tee "$logf"
    fi
    rc=${PIPESTATUS[0]}
    set -e
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    log "outer machine finished after ${secs}s (qemu/timeout status $rc)"
    if [ "$rc" = 124 ]; then
        echo "[riscv-machine] TIMEOUT: the outer machine did not power off within $timeout s (log: $logf)"
        exit 124
    fi
    status=$(tr -d '\r' < "$logf" | sed -n 's/^\[outer\] svmm exit status: \([0-9]*\)$/\1/p' | tail -n1)
    [ -n "$status" ] || { log "no '[outer] svmm exit status' line in $logf"; exit 125; }
    exit "$status"
    ;;
*)
    sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
