#!/bin/bash
# cloud-kernel.sh OUT: Debian bookworm's arm64 *cloud* kernel (linux-image-<abi>-cloud-arm64, the same
# ABI as the test machine's kernel) as a raw Image at OUT. The issue's boot-exit reference was measured
# with this kernel; the bench boots it to compare like with like. The deb is cached in
# $BUILD/cache/cloud/ (apart from the test machine's debs, which fetch.sh picks by pattern).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
out=$1 cache=$BUILD/cache/cloud
[ -s "$out" ] && exit 0
"$ROOT/tests/machine/fetch.sh" --quiet
kver=$(cat "$BUILD/machine/kver")            # e.g. 6.1.0-56-arm64
pkg=linux-image-${kver%-arm64}-cloud-arm64
mkdir -p "$cache"
deb=$(ls "$cache/${pkg}"_*_arm64.deb 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$deb" ]; then
    echo "[bench] downloading $pkg" >&2
    (cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "$pkg:arm64" >&2)
    deb=$(ls "$cache/${pkg}"_*_arm64.deb | sort -V | tail -n1)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*'
vmlinuz=$(ls "$tmp"/boot/vmlinuz-*)
case $(file -b "$vmlinuz") in
    gzip*) zcat "$vmlinuz" > "$out.tmp" ;;
    *) cp "$vmlinuz" "$out.tmp" ;;
esac
[ "$(dd if="$out.tmp" bs=1 skip=56 count=4 2>/dev/null)" = ARMd ] || { echo "[bench] $vmlinuz: not an arm64 Image" >&2; exit 1; }
mv "$out.tmp" "$out"
echo "[bench] cloud kernel: $out ($(stat -c %s "$out") bytes, $(basename "$deb"))" >&2
