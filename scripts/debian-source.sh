#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# debian-source.sh - unpack Debian bookworm's source package PKG (with Debian's patches) into DIR.
#
# Usage: scripts/debian-source.sh PKG DIR [BUILD]
#   The source comes from the mirror the system's apt uses, through a private deb-src list and
#   package lists under BUILD/cache/apt-src (the system's apt configuration is not touched); the
#   downloaded .dsc and tarballs stay there, so a second run needs no network. For what Debian 12
#   builds for no riscv64: the riscv64 test machine's busybox and svmm's riscv64 libfdt.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 PKG DIR [BUILD]" >&2; exit 2; }
pkg=$1 dir=$2
BUILD=${3:-${BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}}
mkdir -p "$BUILD/cache"
APTSRC=$(cd "$BUILD/cache" && pwd)/apt-src
log() { echo "[debian-source] $*" >&2; }
command -v dpkg-source >/dev/null || { log "ERROR: dpkg-source missing: apt-get install dpkg-dev"; exit 1; }

# The mirror of the system's first bookworm source (deb822 or one-line format), as deb-src.
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p; s/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*/\2/p' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
    grep -v security | head -n1 || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
aptopt=(-o Dir::Etc::SourceList="$APTSRC/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o Dir::State::Lists="$APTSRC/lists" -o Dir::Cache="$APTSRC/cache" -o APT::Sandbox::User=root)
mkdir -p "$APTSRC/lists/partial" "$APTSRC/cache/archives/partial" "$APTSRC/pkg/$pkg"
echo "deb-src $mirror bookworm main" > "$APTSRC/sources.list"
if [ ! -f "$APTSRC/pkg/$pkg/.complete" ]; then
    log "downloading Debian's $pkg source package from $mirror"
    [ -n "$(ls "$APTSRC"/lists/*Sources* 2>/dev/null)" ] || apt-get -q "${aptopt[@]}" update >&2
    if ! (cd "$APTSRC/pkg/$pkg" && apt-get -q "${aptopt[@]}" source --download-only "$pkg" >&2); then
        rm -rf "$APTSRC/pkg/$pkg"
        log "ERROR: cannot download the $pkg source package from $mirror"
        exit 1
    fi
    touch "$APTSRC/pkg/$pkg/.complete"
fi
dsc=$(ls "$APTSRC/pkg/$pkg"/*.dsc | sort -V | tail -n1)
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
log "unpacking $(basename "$dsc") into $dir"
dpkg-source --no-check -x "$dsc" "$dir" >/dev/null
