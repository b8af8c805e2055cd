#!/bin/bash
# mkguest-initrd.sh - build the initramfs of the GUEST that svmm boots.
#
# Usage: tests/machine/mkguest-initrd.sh OUT.cpio.gz [--cmd-file FILE] [--extra DIR]
#   Contents: busybox-static, /init (guest-init.sh), the kernel's virtio modules
#   with a modules.dep for busybox modprobe, and svmm-blk-agent (tools/blk-agent,
#   cross-built static), which /init starts in a driver VM. --cmd-file FILE becomes /etc/svmm-cmd,
#   which /init runs on the virtio console (/dev/hvc0) before powering off.
#   --extra DIR copies DIR's contents into the guest's root (e.g. test helpers).
#   The base archive is cached in $BUILD/machine/guest-base.cpio.gz; the command
#   is appended as a second, tiny cpio (Linux unpacks concatenated archives).
set -eu
. "$(dirname "$0")/common.sh"

GUEST_MODULES="virtio_mmio virtio_console virtio_blk virtio_net virtio_rng vmw_vsock_virtio_transport"

[ $# -ge 1 ] || die "usage: $0 OUT.cpio.gz [--cmd-file FILE]"
out=$1; shift
cmd= extra=
while [ $# -gt 0 ]; do
    case $1 in
        --cmd-file) [ $# -ge 2 ] || die "--cmd-file needs a FILE"; cmd=$2; shift 2 ;;
        --extra) [ $# -ge 2 ] && [ -d "$2" ] || die "--extra needs a DIR"; extra=$2; shift 2 ;;
        *) die "unknown argument: $1" ;;
    esac
done
[ -z "$cmd" ] || [ -f "$cmd" ] || die "no such file: $cmd"

need_fetch
base=$MBUILD/guest-base.cpio.gz
agent_src=$(ls "$MACHINE_DIR"/../../tools/blk-agent/*.c)
if ! newer_than "$base" "$MBUILD/kver" "$0" "$MACHINE_DIR/common.sh" "$MACHINE_DIR/guest-init.sh" $agent_src \
        "$MACHINE_DIR/../../include/svmm/blk_relay.h"; then
    log "building guest base initramfs (kernel $KVER)"
    tree=$MBUILD/guest-base.d
    rm -rf "$tree"
    base_tree "$tree" $GUEST_MODULES
    echo "$GUEST_MODULES" | tr ' ' '\n' > "$tree/etc/modules"
    install -m 755 "$MACHINE_DIR/guest-init.sh" "$tree/init"
    # The driver VM's agent (tools/blk-agent): /init starts it when the kernel command line asks.
    aarch64-linux-gnu-gcc -static -O2 -std=c11 -Wall -Wextra -Werror -I"$MACHINE_DIR/../../include" \
        -o "$tree/usr/bin/svmm-blk-agent" $agent_src -lpthread || die "cannot build svmm-blk-agent"
    make_cpio "$tree" "$base"
fi

mkdir -p "$(dirname "$out")"
if [ -z "$cmd" ] && [ -z "$extra" ]; then
    cp "$base" "$out"
else
    overlay=$(mktemp -d)
    trap 'rm -rf "$overlay" "$overlay.cpio.gz"' EXIT
    mkdir "$overlay/etc"
    [ -z "$cmd" ] || install -m 755 "$cmd" "$overlay/etc/svmm-cmd"
    [ -z "$extra" ] || cp -rL "$extra/." "$overlay/"
    make_cpio "$overlay" "$overlay.cpio.gz"
    cat "$base" "$overlay.cpio.gz" > "$out"
fi
log "guest initrd: $out ($(stat -c %s "$out") bytes${cmd:+, cmd: $cmd})"
