#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# riscv-busybox.sh - build a static riscv64 busybox from Debian's busybox source package.
#
# Usage: tests/machine/riscv-busybox.sh [--quiet] [--install] [--check]
#   Produces $BUILD/machine-riscv64/busybox, the userland of the riscv64 test machine (outer and
#   guest): Debian 12 ships no riscv64 busybox binary. The source package comes from the Debian
#   mirror apt already uses (scripts/debian-source.sh: the system's apt configuration is not
#   touched). Idempotent: rebuilds only when this script changed.
#   --check: build nothing, exit 0 when busybox is built and up to date, 1 when not.
#   --install: apt-get install the cross compiler and C library first.
set -eu
MACHINE_DIR=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$(cd "$MACHINE_DIR/../.." && pwd)/build}
RBUILD=${SVMM_RISCV_MACHINE:-$BUILD/machine-riscv64} # or one installed for all clones (riscv.sh install)
PKGS="gcc-riscv64-linux-gnu libc6-dev-riscv64-cross dpkg-dev bzip2 make"
log() { echo "[riscv-busybox] $*" >&2; }
die() { echo "[riscv-busybox] ERROR: $*" >&2; exit 1; }

quiet=0 check=0
for a in "$@"; do
    case $a in
        --quiet) quiet=1 ;;
        --check) check=1 ;;
        --install) DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 $PKGS >&2 ;;
        *) die "unknown argument: $a" ;;
    esac
done
mkdir -p "$RBUILD"
stamp=$RBUILD/busybox.stamp
want=$(sha256sum "$0" | cut -c1-16)
if [ -x "$RBUILD/busybox" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    [ $quiet = 1 ] || log "up to date: $RBUILD/busybox"
    exit 0
fi
[ $check = 0 ] || exit 1
command -v riscv64-linux-gnu-gcc >/dev/null || die "riscv64-linux-gnu-gcc missing: apt-get install $PKGS"
command -v dpkg-source >/dev/null || die "dpkg-source missing: apt-get install dpkg-dev"

src=$RBUILD/busybox-src
"$MACHINE_DIR/../../scripts/debian-source.sh" busybox "$src" "$BUILD"

cd "$src"
bmake() { make ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu- "$@"; }
bmake -s defconfig >&2
# Static; and without the applets that do not build against a static glibc or are not needed.
sed -i -e 's/^# CONFIG_STATIC is not set/CONFIG_STATIC=y/' \
       -e 's/^CONFIG_TC=y/# CONFIG_TC is not set/' \
       -e 's/^CONFIG_FEATURE_TC_INGRESS=y/# CONFIG_FEATURE_TC_INGRESS is not set/' .config
bmake -s oldconfig < /dev/null >&2
log "building busybox (static, riscv64)"
bmake -j"${RISCV_KERNEL_JOBS:-$(nproc)}" busybox >&2
install -m 755 busybox "$RBUILD/busybox.tmp"
mv "$RBUILD/busybox.tmp" "$RBUILD/busybox"
echo "$want" > "$stamp"
log "built $RBUILD/busybox ($(stat -c %s "$RBUILD/busybox") bytes)"
