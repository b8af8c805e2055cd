#!/bin/bash
# seL4 virtio-blk (RAM disk) and virtio-rng (seeded ChaCha20), end to end: one Linux VM with a
# console, a disk and an rng, composed by tools/compose (plus the RAM disk region), booted in QEMU. The
# guest writes random data to /dev/vda, drops its page cache, reads it back through the device and
# compares SHA-256s; /dev/hwrng must give bytes. Then it reboots (`reboot -f`: PSCI SYSTEM_RESET),
# which restarts the VM in the same VMM (devices reset, RAM scrubbed, images reloaded): boot 1 resets
# from vCPU 1 (/sys/kernel/reboot/cpu), boot 2 from vCPU 0, boots 2 and 3 (told apart by a counter in
# the disk's first sector) read the data back with the same SHA-256, and boot 3 powers off.
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
# Sector 0 counts the boots (a new RAM disk reads as zeros: boot 1); the data starts at 1 MiB.
n=$(dd if=/dev/vda bs=512 count=1 2>/dev/null | tr -dc '0-9')
boot=$(( ${n:-0} + 1 ))
echo $boot | dd of=/dev/vda bs=512 count=1 conv=sync,fsync 2>/dev/null
echo "E2E-BLK boot $boot uptime $(now)"
if [ $boot = 1 ]; then
    echo "E2E-BLK sectors=$(cat /sys/block/vda/size 2>/dev/null) serial=$(cat /sys/block/vda/serial 2>/dev/null)"
    dd if=/dev/urandom of=/tmp/data bs=1M count=$MIB 2>/dev/null
    echo "E2E-BLK guest-sha256 $(sha256sum /tmp/data | cut -d' ' -f1)"
    t0=$(now); dd if=/tmp/data of=/dev/vda bs=1M seek=1 conv=fsync 2>/dev/null; rc=$?; t1=$(now)
    echo "E2E-BLK write rc=$rc seconds $(awk -v a=$t0 -v b=$t1 'BEGIN { print b - a }')"
    rm /tmp/data
    sync; echo 3 > /proc/sys/vm/drop_caches
    t0=$(now); sum=$(dd if=/dev/vda bs=1M skip=1 count=$MIB 2>/dev/null | sha256sum | cut -d' ' -f1); t1=$(now)
    echo "E2E-BLK readback-sha256 $sum seconds $(awk -v a=$t0 -v b=$t1 'BEGIN { print b - a }')"
    echo "E2E-RNG current=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
    echo "E2E-RNG bytes=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | wc -c)"
    # The reset from vCPU 1 (a passive VMM parks it), the next one from vCPU 0 (Linux's default).
    echo 1 > /sys/kernel/reboot/cpu
else
    echo "E2E-BLK boot$boot-sha256 $(dd if=/dev/vda bs=1M skip=1 count=$MIB 2>/dev/null | sha256sum | cut -d' ' -f1)"
fi
if [ $boot -lt 3 ]; then
    echo "E2E-BLK rebooting from cpu $(cat /sys/kernel/reboot/cpu) at uptime $(now)"
    reboot -f
    sleep 30 # reboot -f does not return; if it did, the missing next boot fails the test
fi
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
sum2=$(field 'E2E-BLK boot2-sha256') sum3=$(field 'E2E-BLK boot3-sha256')
count() { grep -cE "$1" <<<"$LOG"; }

both() { [ "$(has "$1")" = 0 ] && [ "$(has "$2")" = 0 ]; echo $?; }
check "VMM created the RAM disk and the rng" "$(both 'virtio-blk: RAM disk of' 'virtio-rng: ChaCha20')"
check "guest loaded virtio_blk" "$(has '\[guest-init\] loaded virtio_blk')"
check "guest sees a $DISK_MIB MiB /dev/vda (serial svmm-ramdisk)" "$(has "E2E-BLK sectors=$((DISK_MIB * 2048)) serial=svmm-ramdisk")"
check "guest wrote $DATA_MIB MiB" "$(has 'E2E-BLK write rc=0')"
check "read back through the device (page cache dropped): same SHA-256" "$([ ${#gsum} = 64 ] && [ "$gsum" = "$rsum" ]; rc)"
check "virtio-rng is the guest's hwrng and gives bytes" "$(both 'E2E-RNG current=virtio_rng' 'E2E-RNG bytes=64')"
check "the guest's reboots restarted the VM in its VMM, from vCPU 1 then vCPU 0 (PSCI SYSTEM_RESET)" \
    "$(grep -qE 'info: VM linux: guest requested a reset \(PSCI SYSTEM_RESET on vCPU 1\): restarting' <<<"$LOG" &&
       grep -qE 'info: VM linux: guest requested a reset \(PSCI SYSTEM_RESET on vCPU 0\): restarting' <<<"$LOG" &&
       grep -qE 'svmm\[linux\]\|info: VM linux restarted \(restart 1\)' <<<"$LOG" &&
       grep -qE 'svmm\[linux\]\|info: VM linux restarted \(restart 2\)' <<<"$LOG"; rc)"
check "the guest reached init three times, boots 1, 2 and 3 (the disk's counter)" \
    "$([ "$(count '\[guest-init\] init reached')" = 3 ] && [ "$(count 'E2E-BLK boot [123] uptime')" = 3 ] &&
       grep -q 'E2E-BLK boot 3 uptime' <<<"$LOG"; rc)"
check "every boot brought vCPU 1 up (2 online CPUs each time)" \
    "$([ "$(count '\[guest-init\] online cpus: 2 \(0-1\)')" = 3 ] && [ "$(count 'info: vCPU 1 on at')" = 3 ]; rc)"
check "boots 2 and 3 read boot 1's data back: same SHA-256" \
    "$([ ${#gsum} = 64 ] && [ "$gsum" = "$sum2" ] && [ "$gsum" = "$sum3" ]; rc)"
check "each boot's exits logged; after the third one the VM powered off" \
    "$(grep -qE 'svmm\[linux\]\|info: boot 1 exits: ' <<<"$LOG" && grep -qE 'svmm\[linux\]\|info: boot 2 exits: ' <<<"$LOG" &&
       grep -qE 'svmm\[linux\]\|info: VM linux stopped: guest powered off' <<<"$LOG" &&
       grep -qE 'svmm\[linux\]\|info: exits: .*; boot=3$' <<<"$LOG"; rc)"

wsec=$(sed -n 's/.*E2E-BLK write rc=0 seconds \([0-9.]*\).*/\1/p' <<<"$LOG" | head -n1)
rsec=$(sed -n 's/.*E2E-BLK readback-sha256 [0-9a-f]* seconds \([0-9.]*\).*/\1/p' <<<"$LOG" | head -n1)
echo "$TAG: wall ${wall}s; write $DATA_MIB MiB ${wsec:-?}s, read+sha256 ${rsec:-?}s (QEMU TCG)"
# A restart's cost: the VMM's own part (reset, scrub, reload), then the next kernel's boot to init.
grep -o 'restarted (restart [0-9]*).*' <<<"$LOG" || true
echo "$TAG: boot to init (guest kernel uptime) of boots 1, 2, 3:" \
    "$(sed -n 's/.*init reached at uptime \([0-9.]*\) s.*/\1/p' <<<"$LOG" | paste -sd' ') s"
grep -m1 'svmm\[[a-z0-9_]*\]|info: exits:' <<<"$LOG" || true
finish "$T/log"
