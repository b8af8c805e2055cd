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
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
T=$BUILD/e2e/sel4-blkserver-$CONFIG-$variant
TAG="sel4-blkserver/$variant/$CONFIG"
rm -rf "$T" && mkdir -p "$T"

cat > "$T/guest-cmd" <<G
MIB=$DATA_MIB
G
cat >> "$T/guest-cmd" <<'G'
now() { cut -d' ' -f1 /proc/uptime; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }
rw= ro=
for d in /sys/block/vd*; do
    echo "BS-DISK $(basename "$d") serial=$(cat "$d/serial" 2>/dev/null) sectors=$(cat "$d/size") ro=$(cat "$d/ro")"
    case "$(cat "$d/serial" 2>/dev/null)" in data) rw=/dev/$(basename "$d") ;; golden) ro=/dev/$(basename "$d") ;; esac
done
dd if=/dev/urandom of=/tmp/data bs=1M count=$MIB 2>/dev/null
echo "BS-SUM guest $(sha256sum /tmp/data | cut -d' ' -f1)"
t0=$(now); dd if=/tmp/data of="$rw" bs=1M conv=fsync 2>/dev/null; rc=$?; t1=$(now)
echo "BS-WRITE rc=$rc seconds $(secs $t0 $t1)"
rm /tmp/data
sync; echo 3 > /proc/sys/vm/drop_caches
t0=$(now); sum=$(dd if="$rw" bs=1M count=$MIB 2>/dev/null | sha256sum | cut -d' ' -f1); t1=$(now)
echo "BS-READBACK $sum seconds $(secs $t0 $t1)"
dd if=/dev/zero of="$ro" bs=4096 count=1 conv=fsync 2>/dev/null; echo "BS-RO-WRITE rc=$?"
echo "BS-RO-READ bytes=$(dd if="$ro" bs=4096 count=1 2>/dev/null | wc -c)"
echo "BS-PAST-END bytes=$(dd if="$rw" bs=512 skip=$(cat /sys/block/$(basename "$rw")/size) count=1 2>/dev/null | wc -c)"
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
make -s -C "$ROOT" sel4-system BUILD="$BUILD" MICROKIT_SDK="$SDK" MICROKIT_CONFIG="$CONFIG" SYSTEM="$T/system.yaml" \
    SYSTEM_OUT="$T/out" > "$T/build.log" 2>&1 || fail_early build "$T/build.log"
sel4_boot "$T/out" "$gic" "$T/log" "$TIMEOUT" 1

field() { sed -n "s/.*$1 \([0-9a-f]*\).*/\1/p" <<<"$LOG" | head -n1; }
gsum=$(field 'BS-SUM guest') rsum=$(field 'BS-READBACK')
check "the block server PD started with two clients" "$(has 'svmm\[blk_store\]\|info: blk_store: RAM disk of 80 MiB, 2 clients')"
check "the VMM attached both block links" "$(is [ "$(grep -o 'virtio-blk on block server link [0-9]' <<<"$LOG" | sort -u | wc -l)" = 2 ])"
check "guest sees partition data as a $RW_MIB MiB writable disk" "$(has "BS-DISK vd[a-z] serial=data sectors=$((RW_MIB * 2048)) ro=0")"
check "guest sees partition golden as an $RO_MIB MiB read-only disk" "$(has "BS-DISK vd[a-z] serial=golden sectors=$((RO_MIB * 2048)) ro=1")"
check "guest wrote $DATA_MIB MiB through the server" "$(has 'BS-WRITE rc=0')"
check "read back through the server (page cache dropped): same SHA-256" "$(is [ ${#gsum} = 64 ] && [ "$gsum" = "$rsum" ])"
check "the read-only partition refuses a write" "$(has 'BS-RO-WRITE rc=1')"
check "the read-only partition still reads" "$(has 'BS-RO-READ bytes=4096')"
check "nothing past the partition's end is readable" "$(has 'BS-PAST-END bytes=0')"
check "VM powered off" "$(has 'svmm\[linux\]\|info: VM linux stopped: guest powered off')"
wsec=$(sed -n 's/.*BS-WRITE rc=0 seconds \([0-9.]*\).*/\1/p' <<<"$LOG" | head -n1)
rsec=$(sed -n 's/.*BS-READBACK [0-9a-f]* seconds \([0-9.]*\).*/\1/p' <<<"$LOG" | head -n1)
echo "$TAG: wall ${wall}s; write $DATA_MIB MiB ${wsec:-?}s, read+sha256 ${rsec:-?}s (QEMU TCG)"
grep -aE 'BS-|blk_store|block server link' <<<"$LOG" || true
finish "$T/log"
