#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# seL4 tier, block server: one Linux VM whose two disks are partitions of a block server PD's RAM
# disk (svmm-blk-store.elf), composed by tools/compose from a block_servers: description and booted
# in QEMU. The guest writes 64 MiB to its writable partition, drops its page cache, reads it back
# through the server and compares SHA-256s; the read-only partition must refuse a write and still
# read; each disk is exactly its partition, with the partition's name as its serial.
# usage: sel4-blkserver.sh SDK_DIR [MICROKIT_CONFIG]     (prints "sel4-blkserver/...: N passed, N failed")
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=$1 CONFIG=${2:-debug}
TIMEOUT=${SEL4_TIMEOUT:-1500}
DATA_MIB=64 RW_MIB=72 RO_MIB=8
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/e2e/blk-lib.sh"
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
T=$BUILD/e2e/sel4-blkserver-$CONFIG-$variant
TAG="sel4-blkserver/$variant/$CONFIG"
rm -rf "$T" && mkdir -p "$T"

{ blk_guest_rw "$DATA_MIB"; cat <<'G'; } > "$T/guest-cmd"
dd if=/dev/zero of="$ro" bs=4096 count=1 conv=fsync 2>/dev/null; echo "BS-RO-WRITE rc=$?"
echo "BS-RO-READ bytes=$(dd if="$ro" bs=4096 count=1 2>/dev/null | wc -c)"
G
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/guest.cpio.gz" --cmd-file "$T/guest-cmd" >/dev/null || fail_early "guest initrd"

cat > "$T/system.yaml" <<Y
board: qemu_virt_aarch64
vms:
  - name: linux
    kernel: $BUILD/machine/Image
    initrd: $T/guest.cpio.gz
    bootargs: console=ttyS0 earlycon
    ram: 256M
    vcpus: 1
    devices:
      - type: console
      - type: blk
        server: store
        disk: data
      - type: blk
        server: store
        disk: golden
block_servers:
  - name: store
    ramdisk: $((RW_MIB + RO_MIB))M
    partitions:
      - name: data
        size: ${RW_MIB}M
      - name: golden
        size: ${RO_MIB}M
        readonly: true
Y
sel4_system "$SDK" "$CONFIG" "$T/system.yaml" "$T/out" "$T/build.log" || fail_early build "$T/build.log"
sel4_boot "$T/out" "$gic" "$T/log" "$TIMEOUT" 1

check "the block server PD started with two clients" \
    "$(has "svmm\[blk_store\]\|info: blk_store: RAM disk of $((RW_MIB + RO_MIB)) MiB, 2 clients")"
blk_checks "the server" "$RW_MIB" "$RO_MIB" "$DATA_MIB"
check "the read-only partition refuses a write" "$(has 'BS-RO-WRITE rc=1')"
check "the read-only partition still reads" "$(has 'BS-RO-READ bytes=4096')"
check "VM powered off" "$(has 'svmm\[linux\]\|info: VM linux stopped: guest powered off')"
blk_rates "$DATA_MIB"
grep -aE 'BS-|blk_store|block server link' <<<"$LOG" || true
finish "$T/log"
