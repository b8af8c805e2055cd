#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# deps-riscv64.sh - what `make svmm ARCH=riscv64` needs: the riscv64 cross compiler from apt, and a
# static riscv64 libfdt built from Debian's device-tree-compiler source package (Debian 12 has no
# riscv64 packages to unpack, unlike arm64's libfdt-dev in scripts/deps.sh). Idempotent.
# Usage: scripts/deps-riscv64.sh [BUILD_DIR]
set -eu
BUILD=${1:-build}
PKGS="gcc-riscv64-linux-gnu libc6-dev-riscv64-cross dpkg-dev xz-utils"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    [ "$(id -u)" = 0 ] || { echo "[deps-riscv64] error: run as root (or install:$missing)"; exit 1; }
    echo "[deps-riscv64] installing:$missing"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 \
        $missing >/dev/null
fi

dest=$BUILD/deps/riscv64/usr
[ -f "$dest/lib/riscv64-linux-gnu/libfdt.a" ] && exit 0
src=$BUILD/deps/riscv64/dtc-src
# Debian's dtc source package; failing that (a mirror without sources), the copy of libfdt inside
# Debian's linux-source-6.1 package (scripts/dtc/libfdt, the same upstream code).
if ! "$(dirname "$0")/debian-source.sh" device-tree-compiler "$src" "$BUILD"; then
    tar=/usr/src/linux-source-6.1.tar.xz
    if [ ! -f "$tar" ]; then
        [ "$(id -u)" = 0 ] || { echo "[deps-riscv64] error: no dtc source: run as root or install linux-source-6.1"; exit 1; }
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 linux-source-6.1 >/dev/null
    fi
    echo "[deps-riscv64] using libfdt from $tar"
    rm -rf "$src"
    mkdir -p "$src"
    tar -xJf "$tar" -C "$src" --strip-components=3 --wildcards '*/scripts/dtc/libfdt/*' # -> $src/libfdt/
fi
echo "[deps-riscv64] building libfdt.a for riscv64 into $dest"
mkdir -p "$dest/include" "$dest/lib/riscv64-linux-gnu" "$src/obj"
for c in "$src"/libfdt/fdt*.c; do
    riscv64-linux-gnu-gcc -O2 -fno-strict-aliasing -I"$src/libfdt" -c "$c" -o "$src/obj/$(basename "${c%.c}").o"
done
rm -f "$dest/lib/riscv64-linux-gnu/libfdt.a"
riscv64-linux-gnu-ar rcs "$dest/lib/riscv64-linux-gnu/libfdt.a" "$src"/obj/*.o
cp "$src/libfdt/libfdt.h" "$src/libfdt/libfdt_env.h" "$src/libfdt/fdt.h" "$dest/include/"
rm -rf "$src"
