#!/bin/bash
# seL4 virtio-blk (RAM disk) and virtio-rng (seeded ChaCha20), end to end: one Linux VM with a
# console, a disk and an rng, composed by tools/compose (plus the RAM disk region), booted in QEMU. The
# guest writes random data to /dev/vda, drops its page cache, reads it back through the device and
# compares SHA-256s; /dev/hwrng must give bytes.
# usage: sel4-blk.sh SDK_DIR [MICROKIT_CONFIG]      (prints "sel4-blk: N passed, N failed")
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=$1 CONFIG=${2:-debug}
TIMEOUT=${SEL4_TIMEOUT:-900}
DISK_MIB=${SEL4_DISK_MIB:-32} DATA_MIB=${SEL4_DATA_MIB:-16}
TAG=sel4-blk
. "$ROOT/tests/e2e/lib.sh"
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
T=$BUILD/e2e/sel4-blk-$CONFIG-$variant
mkdir -p "$T"

cat > "$T/guest-cmd" <<G
MIB=$DATA_MIB
G
cat >> "$T/guest-cmd" <<'G'
now() { cut -d' ' -f1 /proc/uptime; }
echo "E2E-BLK sectors=$(cat /sys/block/vda/size 2>/dev/null) serial=$(cat /sys/block/vda/serial 2>/dev/null)"
dd if=/dev/urandom of=/tmp/data bs=1M count=$MIB 2>/dev/null
echo "E2E-BLK guest-sha256 $(sha256sum /tmp/data | cut -d' ' -f1)"
t0=$(now); dd if=/tmp/data of=/dev/vda bs=1M conv=fsync 2>/dev/null; rc=$?; t1=$(now)
echo "E2E-BLK write rc=$rc seconds $(awk -v a=$t0 -v b=$t1 'BEGIN { print b - a }')"
rm /tmp/data
sync; echo 3 > /proc/sys/vm/drop_caches
t0=$(now); sum=$(dd if=/dev/vda bs=1M count=$MIB 2>/dev/null | sha256sum | cut -d' ' -f1); t1=$(now)
echo "E2E-BLK readback-sha256 $sum seconds $(awk -v a=$t0 -v b=$t1 'BEGIN { print b - a }')"
echo "E2E-RNG current=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
echo "E2E-RNG bytes=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | wc -c)"
G
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/guest.cpio.gz" --cmd-file "$T/guest-cmd" >/dev/null || fail_early "guest initrd"

# One VM with a console, a RAM disk and an rng, built through the system composer.
cat > "$T/system.yaml" <<Y
board: qemu_virt_aarch64
vms:
  - name: linux
    kernel: $BUILD/machine/Image
    initrd: $T/guest.cpio.gz
    bootargs: console=ttyS0 earlycon
    ram: 256M
    vcpus: 2
    devices:
      - type: console
      - type: blk
        ramdisk: ${DISK_MIB}M
      - type: rng
Y
make -s -C "$ROOT" sel4-system BUILD="$BUILD" MICROKIT_SDK="$SDK" MICROKIT_CONFIG="$CONFIG" \
    SYSTEM="$T/system.yaml" SYSTEM_OUT="$T/system" > "$T/build.log" 2>&1 || fail_early build "$T/build.log"
sel4_boot "$T/system" "$gic" "$T/log" "$TIMEOUT" 1

field() { sed -n "s/.*$1 \([0-9a-f]*\).*/\1/p" <<<"$LOG" | head -n1; }
gsum=$(field 'E2E-BLK guest-sha256') rsum=$(field 'E2E-BLK readback-sha256')

both() { [ "$(has "$1")" = 0 ] && [ "$(has "$2")" = 0 ]; echo $?; }
check "VMM created the RAM disk and the rng" "$(both 'virtio-blk: RAM disk of' 'virtio-rng: ChaCha20')"
check "guest loaded virtio_blk" "$(has '\[guest-init\] loaded virtio_blk')"
check "guest sees a $DISK_MIB MiB /dev/vda (serial svmm-ramdisk)" "$(has "E2E-BLK sectors=$((DISK_MIB * 2048)) serial=svmm-ramdisk")"
check "guest wrote $DATA_MIB MiB" "$(has 'E2E-BLK write rc=0')"
check "read back through the device (page cache dropped): same SHA-256" "$(is [ ${#gsum} = 64 ] && [ "$gsum" = "$rsum" ])"
check "virtio-rng is the guest's hwrng and gives bytes" "$(both 'E2E-RNG current=virtio_rng' 'E2E-RNG bytes=64')"
check "VM powered off" "$(has 'svmm\[linux\]\|info: VM linux stopped: guest powered off')"

wsec=$(sed -n 's/.*E2E-BLK write rc=0 seconds \([0-9.]*\).*/\1/p' <<<"$LOG" | head -n1)
rsec=$(sed -n 's/.*E2E-BLK readback-sha256 [0-9a-f]* seconds \([0-9.]*\).*/\1/p' <<<"$LOG" | head -n1)
echo "$TAG: wall ${wall}s; write $DATA_MIB MiB ${wsec:-?}s, read+sha256 ${rsec:-?}s (QEMU TCG)"
grep -m1 'svmm\[[a-z0-9_]*\]|info: exits:' <<<"$LOG" || true
finish "$T/log"
