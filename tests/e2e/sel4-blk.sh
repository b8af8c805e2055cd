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
SEED=${SEL4_RNG_SEED:-5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed}
gic=$(grep -qs 'define CONFIG_ARM_GIC_V3_SUPPORT' "$SDK/board/qemu_virt_aarch64/$CONFIG/include/kernel/gen_config.h" && echo 3 || echo 2)
T=$BUILD/e2e/sel4-blk-$CONFIG-gicv$gic
mkdir -p "$T"
TAG=sel4-blk
mk() { make -s -C "$ROOT" BUILD="$BUILD" MICROKIT_SDK="$SDK" MICROKIT_CONFIG="$CONFIG" SEL4_RNG_SEED="$SEED" "$@"; }
die() { echo "FAIL $TAG: $1"; echo "$TAG: 0 passed, 1 failed"; exit 1; }

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
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/guest.cpio.gz" --cmd-file "$T/guest-cmd" >/dev/null || die "guest initrd"

# Build: the platform objects and library through make; the system through the composer
# (tools/compose), whose SDF gets the RAM disk region added here unless it maps one itself.
SB=$BUILD/sel4/qemu_virt_aarch64-$CONFIG-gicv$gic
objs=$(for f in "$ROOT"/src/platform/sel4/*.c; do echo "$SB/src/platform/sel4/$(basename "${f%.c}").o"; done)
mk $objs "$BUILD/freestanding/libsvmm.a" "$BUILD/host/svmm-compose" > "$T/build.log" 2>&1 || { cat "$T/build.log"; die "build"; }
cflags=$(mk --eval 'print-sel4-cflags: ; @echo $(SEL4_CFLAGS)' print-sel4-cflags)
ex=$T/system
mkdir -p "$ex"
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
        file: $T/disk.img
      - type: rng
Y
truncate -s ${DISK_MIB}M "$T/disk.img"
"$BUILD/host/svmm-compose" "$T/system.yaml" -o "$ex" --gic "$gic" --root "$ROOT" >> "$T/build.log" 2>&1 ||
    { cat "$T/build.log"; die "compose"; }
if ! grep -q ramdisk_vaddr "$ex/svmm.system"; then
    sed -i -e "/<memory_region name=\"guest_ram_linux\"/a\\
    <memory_region name=\"ramdisk_linux\" size=\"$(printf '0x%x' $((DISK_MIB << 20)))\" page_size=\"0x200000\" />" \
        -e '/setvar_vaddr="guest_ram_vaddr"/a\
        <map mr="ramdisk_linux" vaddr="0xc0000000" perms="rw" setvar_vaddr="ramdisk_vaddr" setvar_size="ramdisk_size" />' \
        "$ex/svmm.system"
fi
board=$SDK/board/qemu_virt_aarch64/$CONFIG
(cd "$ROOT" && aarch64-linux-gnu-gcc $cflags -c "$ex/linux_config.c" -o "$ex/linux_config.o" &&
    aarch64-linux-gnu-ld -L"$board/lib" $objs "$ex/linux_config.o" "$BUILD/freestanding/libsvmm.a" \
        "$BUILD/deps/arm64/usr/lib/aarch64-linux-gnu/libfdt.a" /usr/lib/picolibc/aarch64-linux-gnu/lib/libc.a \
        "$(aarch64-linux-gnu-gcc -print-libgcc-file-name)" -lmicrokit -Tmicrokit.ld -o "$ex/svmm-linux.elf" &&
    "$SDK/bin/microkit" "$ex/svmm.system" --search-path "$ex" --board qemu_virt_aarch64 --config "$CONFIG" \
        -o "$ex/loader.img" -r "$ex/report.txt") >> "$T/build.log" 2>&1 || { cat "$T/build.log"; die "link/microkit"; }

machine=virt,virtualization=on,highmem=off,secure=off
[ "$gic" = 3 ] && machine=$machine,gic-version=3
start=$(date +%s)
# shellcheck disable=SC2046
qemu-system-aarch64 -machine $machine -cpu cortex-a53 -m 2G -nographic -serial mon:stdio \
    -device loader,file="$ex/loader.img",addr=0x70000000,cpu-num=0 $(cat "$ex/qemu-images.args") \
    < /dev/null > "$T/log" 2>&1 &
qemu=$!
status=timeout
while [ $(( $(date +%s) - start )) -lt "$TIMEOUT" ]; do
    if grep -q 'svmm|[a-z]*: VM linux stopped' "$T/log"; then status=stopped; break; fi
    kill -0 $qemu 2>/dev/null || { status=qemu-exited; break; }
    sleep 1
done
sleep 1
kill $qemu 2>/dev/null; wait $qemu 2>/dev/null
wall=$(( $(date +%s) - start ))
LOG=$(tr -d '\r' < "$T/log")
. "$ROOT/tests/e2e/lib.sh"
field() { sed -n "s/.*$1 \([0-9a-f]*\).*/\1/p" <<<"$LOG" | head -n1; }
gsum=$(field 'E2E-BLK guest-sha256') rsum=$(field 'E2E-BLK readback-sha256')

both() { [ "$(has "$1")" = 0 ] && [ "$(has "$2")" = 0 ]; echo $?; }
check "VMM created the RAM disk and the rng" "$(both 'virtio-blk: RAM disk of' 'virtio-rng: ChaCha20')"
check "guest loaded virtio_blk" "$(has '\[guest-init\] loaded virtio_blk')"
check "guest sees a $DISK_MIB MiB /dev/vda (serial svmm-ramdisk)" "$(has "E2E-BLK sectors=$((DISK_MIB * 2048)) serial=svmm-ramdisk")"
check "guest wrote $DATA_MIB MiB" "$(has 'E2E-BLK write rc=0')"
check "read back through the device (page cache dropped): same SHA-256" "$(is [ ${#gsum} = 64 ] && [ "$gsum" = "$rsum" ])"
check "virtio-rng is the guest's hwrng and gives bytes" "$(both 'E2E-RNG current=virtio_rng' 'E2E-RNG bytes=64')"
check "VM powered off" "$(has 'svmm\|info: VM linux stopped: guest powered off')"

wsec=$(sed -n 's/.*E2E-BLK write rc=0 seconds \([0-9.]*\).*/\1/p' <<<"$LOG" | head -n1)
rsec=$(sed -n 's/.*E2E-BLK readback-sha256 [0-9a-f]* seconds \([0-9.]*\).*/\1/p' <<<"$LOG" | head -n1)
echo "$TAG: wall ${wall}s; write $DATA_MIB MiB ${wsec:-?}s, read+sha256 ${rsec:-?}s (QEMU TCG)"
grep -m1 'svmm|info: exits:' <<<"$LOG" || true
finish "$T/log"
