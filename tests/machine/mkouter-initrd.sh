#!/bin/bash
# mkouter-initrd.sh - build the initramfs of the OUTER (KVM-capable) machine.
#
# Usage: tests/machine/mkouter-initrd.sh OUT.cpio.gz --svmm PATH --script FILE
#            [--guest-kernel PATH] [--guest-initrd PATH] [--extra DIR]
#   Layout: /svmm, /script (FILE, run by /init with sh; its exit status is
#   reported as "[outer] svmm exit status: N"), /guest/Image (default: the
#   fetched kernel), /guest/initrd.cpio.gz (if given), busybox, and the tun
#   module (+deps, with modules.dep) for "modprobe tun" - not loaded by default.
#   --extra DIR copies DIR's contents into the root (e.g. test helpers).
#   The base archive is cached in $BUILD/machine/outer-base.cpio.gz; the payload
#   is appended as a second cpio.
set -eu
. "$(dirname "$0")/common.sh"

OUTER_MODULES="tun"

[ $# -ge 1 ] || die "usage: $0 OUT.cpio.gz --svmm PATH --script FILE [--guest-kernel PATH] [--guest-initrd PATH]"
out=$1; shift
svmm='' script='' gkernel='' ginitrd='' extra=''
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || die "$1 needs an argument"
    case $1 in
        --svmm)         svmm=$2 ;;
        --script)       script=$2 ;;
        --guest-kernel) gkernel=$2 ;;
        --guest-initrd) ginitrd=$2 ;;
        --extra)        extra=$2; [ -d "$extra" ] || die "--extra: no such directory: $extra" ;;
        *) die "unknown argument: $1" ;;
    esac
    shift 2
done
[ -n "$svmm" ] && [ -n "$script" ] || die "--svmm and --script are required"

need_fetch
gkernel=${gkernel:-$MBUILD/Image}
for f in "$svmm" "$script" "$gkernel" ${ginitrd:+"$ginitrd"}; do [ -f "$f" ] || die "no such file: $f"; done

base=$MBUILD/outer-base.cpio.gz
if ! newer_than "$base" "$MBUILD/kver" "$0" "$MACHINE_DIR/common.sh" "$MACHINE_DIR/outer-init.sh"; then
    log "building outer base initramfs (kernel $KVER)"
    tree=$MBUILD/outer-base.d
    rm -rf "$tree"
    base_tree "$tree" $OUTER_MODULES
    install -m 755 "$MACHINE_DIR/outer-init.sh" "$tree/init"
    make_cpio "$tree" "$base"
fi

# Payload: symlinks to the inputs, dereferenced by cpio -L (no staging copies).
payload=$(mktemp -d)
trap 'rm -rf "$payload" "$payload.cpio.gz"' EXIT
mkdir "$payload/guest"
ln -s "$(realpath "$svmm")" "$payload/svmm"
ln -s "$(realpath "$script")" "$payload/script"
ln -s "$(realpath "$gkernel")" "$payload/guest/Image"
[ -z "$ginitrd" ] || ln -s "$(realpath "$ginitrd")" "$payload/guest/initrd.cpio.gz"
[ -z "$extra" ] || cp -rL "$extra/." "$payload/"
make_cpio "$payload" "$payload.cpio.gz" -L
mkdir -p "$(dirname "$out")"
cat "$base" "$payload.cpio.gz" > "$out"
log "outer initrd: $out ($(stat -c %s "$out") bytes)"
