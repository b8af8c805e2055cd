#!/bin/bash
# fetch.sh - download Debian bookworm's arm64 kernel and busybox-static, and
# produce $BUILD/machine/{Image,kver,modindex} plus the extracted package roots.
#
# Usage: tests/machine/fetch.sh [--refresh] [--quiet] [--qemu]
#   Idempotent: without --refresh, uses the cached debs if there are any and
#   re-extracts only when the cached deb is not the one extracted.
#   --quiet: say nothing when everything is up to date.
#   --qemu: also Debian's arm64 QEMU (QEMU_PKG below, for arm64, and the packages of its shared
#   libraries) extracted into $BUILD/machine/qemu-arm64, for benchmarks that run QEMU-KVM inside the
#   outer machine (tests/bench/net.sh). Only benchmarks ask for it: make test never downloads it.
set -eu
. "$(dirname "$0")/common.sh"

refresh=0 quiet=0 qemu=0
for a in "$@"; do
    case $a in
        --refresh) refresh=1 ;;
        --quiet)   quiet=1 ;;
        --qemu)    qemu=1 ;;
        *) die "unknown argument: $a" ;;
    esac
done
mkdir -p "$CACHE" "$MBUILD"

# cached GLOB : newest cached deb whose package name matches GLOB (by version).
cached() { ls "$CACHE"/$1_*_arm64.deb 2>/dev/null | sort -V | tail -n1; }

# download PKG : fetch PKG's candidate version into the cache unless present.
download() {
    local ver
    ver=$(apt-cache show --no-all-versions "$1:arm64" | sed -n 's/^Version: //p' | head -n1)
    [ -n "$ver" ] || die "apt does not know $1:arm64 (apt-get update?)"
    if [ ! -s "$CACHE/${1}_$(echo "$ver" | sed 's/:/%3a/g')_arm64.deb" ]; then
        log "downloading $1 $ver"
        # As root into a root-owned dir: keep apt's _apt sandbox user out of it.
        (cd "$CACHE" && apt-get download -q -o APT::Sandbox::User=root "$1:arm64=$ver" >&2)
    fi
}

# enable_arm64 : foreign-architecture packages need arm64 enabled in dpkg and apt's lists.
enable_arm64() {
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        log "enabling the arm64 dpkg architecture and updating apt lists"
        dpkg --add-architecture arm64
        apt-get update -qq
    fi
}

# The apt package (arm64) with the aarch64 system emulator: Debian names it after the ARM family.
# (A package name, not a command line: the machine's QEMU runs are in tests/machine/*.sh with -nic.)
QEMU_FAMILY=arm QEMU_KIND=system
QEMU_PKG=qemu-$QEMU_KIND-$QEMU_FAMILY
QEMU_BIN=usr/bin/${QEMU_PKG%-$QEMU_FAMILY}-aarch64 # that emulator, in QEMU_PKG; the only binary the tree keeps

# qemu_packages : QEMU_PKG and, transitively, the library packages it depends on (the
# shared libraries are all in Depends; the emulator's common and data packages hold firmware and helpers that a
# -kernel boot of -M virt with virtio-mmio devices does not use).
qemu_packages() {
    local todo=$QEMU_PKG seen=" " p d
    while [ -n "$todo" ]; do
        set -- $todo
        p=$1; shift; todo="$*"
        case $seen in *" $p "*) continue ;; esac
        seen="$seen$p "
        for d in $(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
                       --no-enhances "$p:arm64" |
                   sed -n 's/^ *\(Pre\)\{0,1\}Depends: \([a-z0-9][a-z0-9.+-]*\)\(:arm64\)\{0,1\}$/\2/p'); do
            case $d in lib*|zlib1g) todo="$todo $d" ;; esac
        done
    done
    echo $seen
}

# fetch_qemu : $MBUILD/qemu-arm64 with $QEMU_BIN and its libraries.
fetch_qemu() {
    local qroot=$MBUILD/qemu-arm64 list=$CACHE/qemu-arm64.packages debs p
    if [ $refresh = 1 ] || [ ! -s "$list" ]; then
        enable_arm64
        log "resolving $QEMU_PKG:arm64 and its libraries"
        qemu_packages > "$list.tmp"
        mv "$list.tmp" "$list"
    fi
    debs=
    for p in $(cat "$list"); do
        [ -n "$(cached "$p")" ] && [ $refresh = 0 ] || { enable_arm64; download "$p"; }
        debs="$debs $(basename "$(cached "$p")")"
    done
    if [ "$(cat "$qroot/.stamp" 2>/dev/null)" = "$debs" ]; then
        [ $quiet = 1 ] || log "up to date: arm64 QEMU ($(echo $debs | wc -w) packages)"
        return 0
    fi
    log "extracting arm64 QEMU ($(echo $debs | wc -w) packages) -> ${qroot#"$BUILD"/}"
    rm -rf "$qroot"
    mkdir -p "$qroot"
    for p in $debs; do dpkg-deb -x "$CACHE/$p" "$qroot"; done
    [ -x "$qroot/$QEMU_BIN" ] || die "no $QEMU_BIN in $QEMU_PKG:arm64"
    # Only what the binary loads goes into the outer machine's RAM: no docs, other binaries,
    # static libraries or iconv modules (about half of the 98 MB extracted).
    find "$qroot/usr/bin" -mindepth 1 ! -name "${QEMU_BIN##*/}" -delete
    rm -rf "$qroot/usr/share" "$qroot/usr/sbin" "$qroot/sbin" "$qroot/bin" "$qroot/etc" "$qroot/var" \
        "$qroot/usr/lib/aarch64-linux-gnu/gconv" "$qroot/usr/libexec"
    find "$qroot" -name '*.a' -delete
    echo "$debs" > "$qroot/.stamp"
}

kdeb=$(cached 'linux-image-*-arm64')
bdeb=$(cached busybox-static)
# apt-cache is slow (seconds per call), so only ask apt when something is
# missing or on --refresh (which picks up a newer kernel ABI / security update).
if [ $refresh = 1 ] || [ -z "$kdeb" ] || [ -z "$bdeb" ]; then
    enable_arm64
    # The metapackage linux-image-arm64 depends on the concrete ABI package.
    kpkg=$(apt-cache depends linux-image-arm64:arm64 |
           sed -n 's/^ *Depends: \(linux-image-[0-9.]*-[0-9]*-arm64\)\(:arm64\)\{0,1\}$/\1/p' | head -n1)
    [ -n "$kpkg" ] || die "cannot resolve linux-image-arm64:arm64 (apt-get update?)"
    download "$kpkg"
    download busybox-static
    kdeb=$(cached "$kpkg")
    bdeb=$(cached busybox-static)
fi

# extracted DEB DIR : true if DIR holds a complete extraction of exactly DEB
# (the stamp names the deb, since downloaded debs keep the server's mtime).
extracted() { [ "$(cat "$2/.stamp" 2>/dev/null)" = "$(basename "$1")" ]; }

[ $qemu = 0 ] || fetch_qemu
if extracted "$kdeb" "$ROOT_KERNEL" && extracted "$bdeb" "$ROOT_BUSYBOX" &&
   newer_than "$MBUILD/kver" "$ROOT_KERNEL/.stamp"; then
    [ $quiet = 1 ] || log "up to date: kernel $(cat "$MBUILD/kver") ($(basename "$kdeb"))"
    exit 0
fi

for pair in "$bdeb $ROOT_BUSYBOX" "$kdeb $ROOT_KERNEL"; do
    set -- $pair
    extracted "$1" "$2" && continue
    log "extracting $(basename "$1") -> ${2#"$BUILD"/}"
    rm -rf "$2"
    dpkg-deb -x "$1" "$2"
    basename "$1" > "$2/.stamp"
done

vmlinuz=$(ls "$ROOT_KERNEL"/boot/vmlinuz-*)
kver=${vmlinuz##*/vmlinuz-}

# Debian's arm64 vmlinuz has historically been a gzip'd Image; the signed
# bookworm package ships it uncompressed (an EFI-stub Image). Handle both.
case $(file -b "$vmlinuz") in
    gzip*) log "decompressing $(basename "$vmlinuz") (gzip)"; zcat "$vmlinuz" > "$MBUILD/Image.tmp" ;;
    *)     cp "$vmlinuz" "$MBUILD/Image.tmp" ;;
esac
magic=$(dd if="$MBUILD/Image.tmp" bs=1 skip=56 count=4 2>/dev/null)
[ "$magic" = "ARMd" ] || die "$vmlinuz: no arm64 Image magic at offset 56"
mv "$MBUILD/Image.tmp" "$MBUILD/Image"

# Module index "name relative/path.ko[.xz]", names normalised to underscores, used
# by the initrd builders (the deb ships no modules.dep: depmod runs at install
# time). bookworm's modules are plain .ko (CONFIG_MODULE_COMPRESS_NONE); .ko.xz
# (trixie and later) is handled too.
(cd "$ROOT_KERNEL/lib/modules/$kver" && find kernel -name '*.ko' -o -name '*.ko.xz' |
    awk '{ n = $0; sub(/.*\//, "", n); sub(/\.ko(\.xz)?$/, "", n); gsub(/-/, "_", n); print n, $0 }' |
    sort) > "$MBUILD/modindex"

echo "$kver" > "$MBUILD/kver"     # written last: marks Image and modindex complete
log "kernel $kver: $MBUILD/Image ($(stat -c %s "$MBUILD/Image") bytes), busybox ready"
