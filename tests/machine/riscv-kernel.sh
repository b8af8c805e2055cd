#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# riscv-kernel.sh - build the riscv64 test machine's kernel from Debian's linux-source-6.1 package.
#
# Usage: tests/machine/riscv-kernel.sh [--quiet] [--install] [--check]
#   Produces $BUILD/machine-riscv64/Image (and kver): one small kernel, every driver built in, serving
#   both as the OUTER kernel (QEMU riscv64 virt with the H extension: KVM) and as the GUEST kernel
#   that svmm boots (virtio-mmio, 16550, SBI console). Idempotent: rebuilds only when this script
#   or the installed linux-source tarball changed. Debian 12 ships no riscv64 kernel, hence this.
#   --check: build nothing, exit 0 when the kernel is built and up to date, 1 when not.
#   --install: apt-get install the packages it needs first (linux-source-6.1, gcc-riscv64-linux-gnu
#   and the kernel's build tools). Long: 15-40 minutes on 2 cores; run it under nice.
set -eu
MACHINE_DIR=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$(cd "$MACHINE_DIR/../.." && pwd)/build}
RBUILD=${SVMM_RISCV_MACHINE:-$BUILD/machine-riscv64} # or one installed for all clones (riscv.sh install)
SRC_TAR=/usr/src/linux-source-6.1.tar.xz
PKGS="linux-source-6.1 gcc-riscv64-linux-gnu flex bison bc libssl-dev libelf-dev xz-utils make"
log() { echo "[riscv-kernel] $*" >&2; }
die() { echo "[riscv-kernel] ERROR: $*" >&2; exit 1; }

quiet=0 check=0
for a in "$@"; do
    case $a in
        --quiet) quiet=1 ;;
        --check) check=1 ;;
        --install) DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 $PKGS >&2 ;;
        *) die "unknown argument: $a" ;;
    esac
done
if [ $check = 1 ]; then
    [ -f "$SRC_TAR" ] && [ -s "$RBUILD/Image" ] &&
        [ "$(cat "$RBUILD/kernel.stamp" 2>/dev/null)" = \
          "$(sha256sum "$0" | cut -c1-16) $(stat -c %s.%Y "$SRC_TAR")" ]
    exit
fi
[ -f "$SRC_TAR" ] || die "$SRC_TAR missing: apt-get install $PKGS (or run $0 --install)"
command -v riscv64-linux-gnu-gcc >/dev/null || die "riscv64-linux-gnu-gcc missing: apt-get install gcc-riscv64-linux-gnu"

# Everything built in (no modules): the initramfs scripts then need no modprobe, and one Image serves
# the outer machine and the guest. The SBI console is earlycon only: its hvc driver would take hvc0,
# which the test guests expect to be the virtio console, and poll SBI getchar all the time. allnoconfig plus this list keeps the build small; the options the
# EXPERT menu hides (futex, epoll, eventfd, timerfd, ...) default to y under allnoconfig.
FRAGMENT='
CONFIG_64BIT=y
CONFIG_MMU=y
CONFIG_SMP=y
CONFIG_NR_CPUS=8
CONFIG_SOC_VIRT=y
CONFIG_NONPORTABLE=y
CONFIG_FPU=y
CONFIG_RISCV_ISA_C=y
CONFIG_RISCV_SBI=y
CONFIG_RISCV_SBI_V01=y
CONFIG_SERIAL_EARLYCON_RISCV_SBI=y
CONFIG_SIFIVE_PLIC=y
CONFIG_HIGH_RES_TIMERS=y
CONFIG_NO_HZ_IDLE=y
CONFIG_PRINTK=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
CONFIG_DEVTMPFS=y
CONFIG_DEVTMPFS_MOUNT=y
CONFIG_PROC_FS=y
CONFIG_PROC_SYSCTL=y
CONFIG_SYSFS=y
CONFIG_TMPFS=y
CONFIG_TTY=y
CONFIG_UNIX98_PTYS=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_SERIAL_OF_PLATFORM=y
CONFIG_SERIAL_EARLYCON=y
CONFIG_BLOCK=y
CONFIG_BLK_DEV=y
CONFIG_NET=y
CONFIG_UNIX=y
CONFIG_INET=y
CONFIG_PACKET=y
CONFIG_NETDEVICES=y
CONFIG_NET_CORE=y
CONFIG_TUN=y
CONFIG_VSOCKETS=y
CONFIG_VIRTIO_VSOCKETS=y
CONFIG_VIRTIO_MENU=y
CONFIG_VIRTIO=y
CONFIG_VIRTIO_MMIO=y
CONFIG_VIRTIO_BLK=y
CONFIG_VIRTIO_NET=y
CONFIG_VIRTIO_CONSOLE=y
CONFIG_HW_RANDOM=y
CONFIG_HW_RANDOM_VIRTIO=y
CONFIG_VIRTUALIZATION=y
CONFIG_KVM=y
CONFIG_POWER_RESET=y
CONFIG_SYSCON_REBOOT_MODE=n
CONFIG_MODULES=n
'

mkdir -p "$RBUILD"
stamp=$RBUILD/kernel.stamp
want="$(sha256sum "$0" | cut -c1-16) $(stat -c %s.%Y "$SRC_TAR")"
if [ -s "$RBUILD/Image" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    [ $quiet = 1 ] || log "up to date: $RBUILD/Image ($(cat "$RBUILD/kver"))"
    exit 0
fi
[ $check = 0 ] || exit 1

start=$(date +%s)
src=$RBUILD/linux-src
if [ ! -f "$src/Makefile" ] || [ "$SRC_TAR" -nt "$src/Makefile" ]; then
    log "unpacking $SRC_TAR"
    rm -rf "$src" "$src.tmp"
    mkdir -p "$src.tmp"
    tar -xJf "$SRC_TAR" -C "$src.tmp" --strip-components=1
    mv "$src.tmp" "$src"
fi
obj=$RBUILD/linux-obj
mkdir -p "$obj"
printf '%s\n' "$FRAGMENT" > "$obj/svmm.fragment"
kmake() { make -C "$src" O="$obj" ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu- "$@"; }
log "configuring (allnoconfig + tests/machine/riscv-kernel.sh's list)"
kmake -s KCONFIG_ALLCONFIG="$obj/svmm.fragment" allnoconfig >&2
# Every option of the list must have survived (a missing dependency silently drops one).
missing=
for opt in $(printf '%s\n' "$FRAGMENT" | sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=y$/\1/p'); do
    grep -qx "$opt=y" "$obj/.config" || missing="$missing $opt"
done
[ -z "$missing" ] || log "WARNING: not enabled by Kconfig:$missing"
jobs=${RISCV_KERNEL_JOBS:-$(nproc)}
log "building the kernel with -j$jobs (this takes a while)"
kmake -j"$jobs" Image >&2
cp "$obj/arch/riscv/boot/Image" "$RBUILD/Image.tmp"
mv "$RBUILD/Image.tmp" "$RBUILD/Image"
kmake -s kernelrelease > "$RBUILD/kver"
echo "$want" > "$stamp"
log "built $RBUILD/Image ($(cat "$RBUILD/kver"), $(stat -c %s "$RBUILD/Image") bytes) in $(( $(date +%s) - start )) s"
