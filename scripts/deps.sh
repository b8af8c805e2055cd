#!/bin/sh
# Install what building and testing svmm needs, from Debian's apt only. Idempotent and quiet when
# everything is present. Usage: scripts/deps.sh [BUILD_DIR]
set -eu
BUILD=${1:-build}
PKGS="make gcc clang llvm lld gcc-aarch64-linux-gnu libc6-dev-arm64-cross libfdt-dev
      picolibc-aarch64-linux-gnu libfyaml-dev libclang-rt-14-dev qemu-system-arm qemu-user-static cpio device-tree-compiler file xz-utils procps python3 git
      frama-c-base why3 cvc4"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "[deps] adding the arm64 architecture to dpkg (for arm64 kernel and library packages)"
    dpkg --add-architecture arm64
    need_update=1
fi
if [ -n "$missing" ] || [ -n "${need_update:-}" ]; then
    [ "$(id -u)" = 0 ] || { echo "[deps] error: run as root (or install:$missing)"; exit 1; }
    apt-get update -q >/dev/null
fi
if [ -n "$missing" ]; then
    echo "[deps] installing:$missing"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
fi

# libfdt for the static arm64 build: Debian's libfdt-dev is not co-installable across
# architectures, so unpack the arm64 package into the build tree instead.
dest="$BUILD/deps/arm64"
if [ ! -f "$dest/usr/lib/aarch64-linux-gnu/libfdt.a" ]; then
    echo "[deps] unpacking libfdt-dev:arm64 into $dest"
    mkdir -p "$BUILD/cache" "$dest"
    [ -n "$(ls /var/lib/apt/lists/*arm64_Packages* 2>/dev/null)" ] || apt-get update -q >/dev/null
    (cd "$BUILD/cache" && apt-get download -q -o APT::Sandbox::User=root libfdt-dev:arm64 >/dev/null)
    dpkg-deb -x "$(ls "$BUILD"/cache/libfdt-dev_*_arm64.deb | tail -n 1)" "$dest"
fi
