#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# seL4 tier, driver VM: examples/driver-vm/system.yaml booted as written but for each VM's kernel and
# test initramfs (example_images, tests/e2e/lib.sh). The user VM's two disks are partitions of the
# driver VM's RAM disk, served by svmm-blk-agent in the driver VM (its /init starts it from the
# svmm_blk_agent= table svmm-compose puts on its kernel command line); both VMs are also ports of the
# switch "lan". The partitions are the example's (example_partitions), back to back; as written:
#   data    72 MiB   the user VM's first disk
#   golden   4 MiB   read-only, its second disk; the driver VM writes a marker at its start
#   other    4 MiB   served to nobody (not in the agent's table); the driver VM writes a marker there
# The user VM writes 64 MiB from /dev/urandom with conv=fsync, drops its caches and reads it back
# (SHA-256 both times); waits for golden's marker, fails to write golden, finds no trace of other's
# marker anywhere on its disk and nothing past its end, then marks data's second-last 4 KiB block and
# reboots (PSCI SYSTEM_RESET: its VMM restarts the VM, the driver VM runs on). The second boot finds
# the mark, reads the 64 MiB back through the driver VM (same SHA-256) and marks the last block done.
# The driver VM, seeing that mark, hashes the first 64 MiB of data on its own disk (at the partition's
# offset: the same SHA-256 as the user VM's) and powers off, so its VMM logs the relay's counters;
# the user VM's reads from then on must fail with an I/O error (its VMM answers for the stopped
# driver VM), not hang, before it powers off too. In
# the middle of the write the driver VM kills its agent and starts a new one: the relay keeps the
# requests the old one held and sends them again to the new one, so the user VM sees only a pause.
# usage: sel4-driver-vm.sh SDK_DIR [MICROKIT_CONFIG]   (prints "sel4-driver-vm/...: N passed, N failed")
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=$1 CONFIG=${2:-debug}
TIMEOUT=${SEL4_TIMEOUT:-1800}
MIB=${E2E_BLK_MIB:-64}
EXAMPLE=$ROOT/examples/driver-vm/system.yaml
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/e2e/blk-lib.sh"
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
T=$BUILD/e2e/sel4-driver-vm-$CONFIG-$variant
TAG="sel4-driver-vm/$variant/$CONFIG"
rm -rf "$T" && mkdir -p "$T"

# The example's layout: VMs driver and user; the driver VM's disk and partitions (bytes, then MiB).
[ "$(example_vms "$EXAMPLE" | tr '\n' ' ')" = "driver user " ] || fail_early "examples/driver-vm: VMs driver and user"
example_partitions "$EXAMPLE" driver > "$T/partitions" || fail_early "examples/driver-vm: the driver VM's partitions"
part() { awk -v p="$1" -v f="$2" '$1 == p { print $f; exit }' "$T/partitions"; }
DISK=$(part disk 2) DATA_OFF=$(part data 2) DATA=$(part data 3) RO_OFF=$(part golden 2) RO=$(part golden 3)
OTHER_OFF=$(part other 2)
[ -n "$DATA" ] && [ -n "$RO" ] && [ -n "$OTHER_OFF" ] && [ "$(part golden 4)" = ro ] && [ "$(part other 4)" = rw ] ||
    fail_early "examples/driver-vm: the driver VM's disk has partitions data, golden (read-only) and other"
for n in $DISK $DATA_OFF $DATA $RO_OFF $RO $OTHER_OFF; do
    [ $((n % (1 << 20))) = 0 ] || fail_early "examples/driver-vm: sizes in whole MiB (this test writes markers MiB-wise)"
done
[ $((MIB << 20)) -lt "$DATA" ] || fail_early "E2E_BLK_MIB=$MIB: data ($((DATA >> 20)) MiB) must hold it and the done mark"
DATA_MIB=$((DATA >> 20)) RO_MIB=$((RO >> 20))
DONE_BLOCK=$((DATA / 4096 - 1)) # the last 4 KiB block of data: the user VM's "done" mark
BOOT1_BLOCK=$((DONE_BLOCK - 1)) # the one before: its first boot is over (the second reads back)

# The driver VM: its agent is already serving (started by /init); markers, then wait for the user VM.
cat > "$T/driver-cmd" <<G
MIB=$MIB DATA_AT=$((DATA_OFF >> 20)) GOLDEN_AT=$((RO_OFF >> 20)) OTHER_AT=$((OTHER_OFF >> 20))
DONE_AT=$((DATA_OFF / 4096 + DONE_BLOCK))
G
cat >> "$T/driver-cmd" <<'G'
# The agent's table (svmm_blk_agent=SERIAL,NAME=OFFSET:SIZE[:ro],...) and the disk with that serial.
agent=$(sed -n 's/.*svmm_blk_agent=\([^ ]*\).*/\1/p' /proc/cmdline)
for s in /sys/block/vd*; do [ "$(cat "$s/serial" 2>/dev/null)" = "${agent%%,*}" ] && vd=${s##*/}; done
printf 'GOLDEN-PARTITION' | dd of=/dev/$vd bs=1M seek=$GOLDEN_AT conv=notrunc,fsync 2>/dev/null
printf 'OTHER-PARTITION-MARKER' | dd of=/dev/$vd bs=1M seek=$OTHER_AT conv=notrunc,fsync 2>/dev/null
echo "DVM markers written"
# Agent restart: once a quarter of the user VM's write is on the disk (sectors written), kill the
# agent and start another with the same table; the relay keeps what the old one held and sends it again.
until [ "$(awk -v d=$vd '$3 == d { print $10 }' /proc/diskstats)" -ge $((MIB * 512)) ]; do sleep 0.2; done
kill $(pidof svmm-blk-agent); while pidof svmm-blk-agent > /dev/null; do sleep 0.1; done
svmm-blk-agent --disk /dev/$vd $(echo "${agent#*,}" | tr , ' ') > /dev/console 2>&1 &
echo "DVM agent restarted"
until dd if=/dev/$vd bs=4096 skip=$DONE_AT count=1 iflag=direct 2>/dev/null | grep -q USER-DONE; do sleep 1; done
echo 3 > /proc/sys/vm/drop_caches
echo "DVM-SUM $(dd if=/dev/$vd bs=1M skip=$DATA_AT count=$MIB iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)"
G
{ echo "MIB=$MIB DONE_BLOCK=$DONE_BLOCK BOOT1_BLOCK=$BOOT1_BLOCK"; cat <<'G'; blk_guest_rw "$MIB"; cat <<'G'; } > "$T/user-cmd"
# The second boot (the first one marked BOOT1_BLOCK, then reset the VM): read the data back, done.
for d in /sys/block/vd*; do [ "$(cat "$d/serial" 2>/dev/null)" = data ] && disk=/dev/${d##*/}; done
if dd if="$disk" bs=4096 skip=$BOOT1_BLOCK count=1 iflag=direct 2>/dev/null | grep -q USER-BOOT-1; then
    echo 3 > /proc/sys/vm/drop_caches
    echo "BS-SECOND-BOOT $(dd if="$disk" bs=1M count=$MIB iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)"
    printf 'USER-DONE' | dd of="$disk" bs=4096 seek=$DONE_BLOCK oflag=direct conv=sync 2>/dev/null
    echo "BS-DONE rc=$?"
    # The driver VM powers off once it has hashed the data: from then on a read must fail, not hang.
    for i in $(seq 300); do
        dd if="$disk" of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null || { echo "BS-AFTER-DVM-STOP read failed after ${i} tries"; break; }
        sleep 1
    done
    exit 0
fi
G
for _ in $(seq 120); do dd if="$ro" bs=4096 count=1 iflag=direct 2>/dev/null | grep -q GOLDEN && break; sleep 1; done
echo "BS-RO-READ $(dd if="$ro" bs=16 count=1 iflag=direct 2>/dev/null)"
dd if=/dev/zero of="$ro" bs=4096 count=1 oflag=direct 2>/dev/null; echo "BS-RO-WRITE rc=$?"
echo "BS-OTHER-HITS $(dd if="$rw" bs=1M iflag=direct 2>/dev/null | grep -c OTHER-PARTITION-MARKER)"
printf 'USER-BOOT-1' | dd of="$rw" bs=4096 seek=$BOOT1_BLOCK oflag=direct conv=sync 2>/dev/null
echo "BS-REBOOT rc=$?"
reboot -f
G
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/driver.cpio.gz" --cmd-file "$T/driver-cmd" >/dev/null || fail_early "driver initrd"
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/user.cpio.gz" --cmd-file "$T/user-cmd" >/dev/null || fail_early "user initrd"

example_images "$EXAMPLE" "$BUILD/machine/Image" "$T/{vm}.cpio.gz" > "$T/system.yaml"
sel4_system "$SDK" "$CONFIG" "$T/system.yaml" "$T/out" "$T/build.log" || fail_early build "$T/build.log"
sel4_boot "$T/out" "$gic" "$T/log" "$TIMEOUT" 2

check "the driver VM's VMM serves two clients on its svmm-blk console port" \
    "$(has "svmm\[driver\]\|info: serve-disk: 2 clients for the agent on virtio-console port [0-9]+ 'svmm-blk'")"
check "the agent in the driver VM serves two partitions of its RAM disk" \
    "$(has "svmm-blk-agent: serving 2 partitions of /dev/vd[a-z] \($DISK bytes\)")"
check "the agent placed data at $((DATA_OFF >> 20)) MiB and golden (read-only) at $((RO_OFF >> 20)) MiB, from its own table" \
    "$(is [ "$(grep -aoE "svmm-blk-agent: client 0 'data': $DATA bytes at $DATA_OFF|svmm-blk-agent: client 1 'golden': $RO bytes at $RO_OFF, read-only" <<<"$LOG" | sort -u | wc -l)" = 2 ])"
blk_checks "the driver VM" "$DATA_MIB" "$RO_MIB" "$MIB"
dsum=$(log_hex 'DVM-SUM')
check "the driver VM finds the same SHA-256 at the partition's offset on its own disk" "$(is same_sha256 "$gsum" "$dsum")"
check "the read-only partition reads the driver VM's marker" "$(has 'BS-RO-READ GOLDEN-PARTITION')"
check "the read-only partition refuses a write" "$(has 'BS-RO-WRITE rc=1')"
check "no trace of the unserved partition's marker on the user VM's disk" "$(has 'BS-OTHER-HITS 0')"
check "the user VM reset itself after its first boot: its VMM restarted it" \
    "$(has 'svmm\[user\]\|info: VM user restarted \(restart 1\)')"
check "second boot read the data back through the driver VM: same SHA-256" "$(is same_sha256 "$gsum" "$(log_hex 'BS-SECOND-BOOT')")"
check "user VM powered off after its second boot" "$(has 'svmm\[user\]\|info: VM user stopped: guest powered off')"
check "driver VM powered off once the user VM was done" "$(has 'svmm\[driver\]\|info: VM driver stopped: guest powered off')"
check "the stopped driver VM's VMM fails its clients' requests from then on" \
    "$(has 'svmm\[driver\]\|warn: serve-disk: the driver VM stopped: [0-9]+ held requests? and every new one fail with I/O errors')"
check "the user VM's reads fail (I/O error) once the driver VM stopped, instead of hanging" "$(has 'BS-AFTER-DVM-STOP read failed')"
check "the agent was killed during the write: the relay kept its requests" \
    "$(has 'svmm\[driver\]\|info: serve-disk: the agent closed the port: [0-9]+ unanswered requests? kept')"
check "a new agent took over: its stream started afresh with the kept requests" \
    "$(has 'svmm\[driver\]\|info: serve-disk: an agent opened the port: [0-9]+ held requests? to send again')"
# The port closes once more when the driver VM powers off (its console is reset).
check "the relay answered every request once, no I/O error, no bad frame, kept requests sent again" \
    "$(is grep -aqE "svmm\[driver\]\|info: serve-disk: ([0-9]+) requests to the agent, \1 answers \(0 I/O errors\), 0 bad frames, the agent's port closed [12] times \([1-9][0-9]* requests sent again\)" <<<"$LOG")"
blk_rates "$MIB"
grep -aE 'BS-|DVM|serve-disk|svmm-blk-agent|block server link|idle vCPUs' <<<"$LOG" || true
finish "$T/log"
