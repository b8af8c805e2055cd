#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Hosted tier, driver VM: in one QEMU test machine run, a user VM's disk is a partition of the
# driver VM's own disk. The driver VM's VMM (svmm run --disk dvm.img --serve-disk ...) relays the
# user VMM's blkq requests over the virtio-console port svmm-blk to svmm-blk-agent in the driver
# VM, which maps each client name to a range of /dev/vda (its table on its command line):
#   vm1    [8 MiB, 8 + PART MiB)        read-write
#   ro     the next 1 MiB               read-only (the VMM's --serve-disk ,ro and the agent's :ro)
#   other  the next 16 MiB              never connected; a marker at its start
#   boot 1: the user VM finds its disk (serial vm1, exactly PART MiB), writes 64 MiB from
#           /dev/urandom with conv=fsync, drops caches and reads it back (SHA-256 both times); the
#           read-only disk refuses a write; nothing of the other range is readable;
#   then:   the outer machine hashes vm1's range in dvm.img at its offset, checks the ro and other
#           ranges are unchanged;
#   boot 2: a new user VM reads the data back through the driver VM.
#   baseline: the same 64 MiB write/read on a file served directly (--disk FILE), for throughput.
# Prints one "ok"/"FAIL" line per check, throughput lines, and "e2e-driver-vm: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
T=$BUILD/e2e/hosted-driver-vm
TIMEOUT=${E2E_TIMEOUT:-1800}
MIB=${E2E_BLK_MIB:-64}
# The direct --disk FILE baseline (throughput comparison) runs only for the bench (make bench-blkserver).
BASELINE=${E2E_BLK_BASELINE:-0}
PART=$((MIB + 16))   # vm1's partition, MiB
BASE=8               # where vm1's partition starts on the driver VM's disk, MiB
mkdir -p "$T/extra/bin"
aarch64-linux-gnu-gcc -static -O2 -std=c11 -Wall -Wextra -Werror -I"$ROOT/include" -o "$T/extra/bin/svmm-blk-agent" \
    "$ROOT/tools/blk-agent/blk_agent.c" || { echo "FAIL e2e-driver-vm: build svmm-blk-agent"; exit 1; }

# The guest side, for both VMs: which one and which boot come from the kernel command line (svmm_phase=...).
cat > "$T/guest-cmd" <<G
MIB=$MIB PART=$PART BASE=$BASE
G
cat >> "$T/guest-cmd" <<'G'
phase=$(sed -n 's/.*svmm_phase=\([a-z]*\).*/\1/p' /proc/cmdline)
if [ "$phase" = driver ]; then
    # The driver VM: serve until the outer machine writes a line on the console.
    svmm-blk-agent --disk /dev/vda vm1=${BASE}M:${PART}M ro=$((BASE + PART))M:1M:ro \
        other=$((BASE + PART + 1))M:16M 2>&1 | sed 's/^/DVM /' &
    read -r line
    echo "DVM stop requested: $line"
    kill $(pidof svmm-blk-agent) 2>/dev/null
    sync
    exit 0
fi
now() { cut -d' ' -f1 /proc/uptime; }
secs() { awk -v a=$1 -v b=$2 'BEGIN { print b - a }'; }
disk=; rodisk=
for s in /sys/block/vd*; do
    [ -e "$s" ] || continue
    serial=$(cat "$s/serial" 2>/dev/null)
    echo "BS dev=${s##*/} serial=$serial sectors=$(cat "$s/size") ro=$(cat "$s/ro")"
    case $serial in vm1|direct.img) disk=/dev/${s##*/} ;; ro) rodisk=/dev/${s##*/} ;; esac
done
[ -n "$disk" ] || { echo "BS no disk"; exit 1; }
if [ "$phase" = write ]; then
    dd if=/dev/urandom of=/tmp/data bs=1M count=$MIB 2>/dev/null
    echo "BS guest-sha256 $(sha256sum /tmp/data | cut -d' ' -f1)"
    t0=$(now)
    dd if=/tmp/data of=$disk bs=1M conv=fsync 2>/tmp/dd.err; rc=$?
    t1=$(now)
    echo "BS write-status $rc seconds $(secs $t0 $t1)"
    rm /tmp/data
    echo 3 > /proc/sys/vm/drop_caches
    t0=$(now)
    sum=$(dd if=$disk bs=1M count=$MIB 2>/dev/null | sha256sum | cut -d' ' -f1)
    t1=$(now)
    echo "BS read seconds $(secs $t0 $t1)"
    echo "BS reread-sha256 $sum"
    if [ -n "$rodisk" ]; then
        out=$(dd if=/dev/zero of=$rodisk bs=512 count=1 conv=fsync 2>&1); rc=$?
        echo "BS ro-write rc=$rc: $(echo "$out" | head -n1)"
        echo "BS ro-read $(dd if=$rodisk bs=512 count=1 2>/dev/null | head -c 16)"
    fi
    # Everything this VM can read of its disk: the other client's marker must be nowhere.
    echo "BS other-marker-hits $(dd if=$disk bs=1M 2>/dev/null | grep -c OTHER-CLIENT-MARKER)"
    echo "BS past-end-bytes $(dd if=$disk bs=512 skip=$(cat /sys/block/${disk#/dev/}/size) count=1 2>/dev/null | wc -c)"
else
    echo 3 > /proc/sys/vm/drop_caches
    sum=$(dd if=$disk bs=1M count=$MIB 2>/dev/null | sha256sum | cut -d' ' -f1)
    echo "BS readback-sha256 $sum"
fi
G

# The outer machine: the driver VM's disk in its RAM; the driver VM, two user boots, the checks, the baseline.
cat > "$T/outer-script" <<O
MIB=$MIB PART=$PART BASE=$BASE BASELINE=$BASELINE
O
cat >> "$T/outer-script" <<'O'
cd /tmp
RO=$((BASE + PART)) OTHER=$((BASE + PART + 1))
dd if=/dev/zero of=dvm.img bs=1M count=$((OTHER + 16)) 2>/dev/null
printf 'READ-ONLY-IMAGE!' | dd of=dvm.img bs=1M seek=$RO conv=notrunc 2>/dev/null
printf 'OTHER-CLIENT-MARKER' | dd of=dvm.img bs=1M seek=$OTHER conv=notrunc 2>/dev/null
range_sum() { dd if=dvm.img bs=1M skip=$1 count=$2 2>/dev/null | sha256sum | cut -d' ' -f1; }
echo "[outer] ro-sha256-before $(range_sum $RO 1) other-sha256-before $(range_sum $OTHER 16)"
# The driver VM: its console's input is a FIFO held open here, so one line stops it at the end.
mkfifo /tmp/dvm.in
/svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 1 --mem 256M \
    --append "console=ttyS0 svmm_phase=driver" --disk /tmp/dvm.img \
    --serve-disk listen=/tmp/dvm.sock,client=vm1,size=${PART}M \
    --serve-disk listen=/tmp/dvm.sock,client=ro,size=1M,ro \
    --serve-disk listen=/tmp/dvm.sock,client=other,size=16M < /tmp/dvm.in > /tmp/dvm.out 2> /tmp/dvm.log &
dvm=$!
exec 3> /tmp/dvm.in
for i in $(seq 100); do [ -S /tmp/dvm.sock ] && break; sleep 0.1; done
# Clients may connect at once (their requests wait for the agent); waiting keeps the timings clean.
for i in $(seq 600); do grep -q 'svmm-blk-agent: serving' /tmp/dvm.out && break; sleep 0.5; done
echo "[outer] driver VM's agent up after $((i / 2)) s"
boot() {
    local phase=$1; shift
    local t0=$(date +%s)
    /svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 512M \
        --append "console=ttyS0 svmm_phase=$phase" "$@" < /dev/null
    echo "[outer] boot $phase exit $? after $(( $(date +%s) - t0 ))s"
}
boot write --disk server=/tmp/dvm.sock,client=vm1 --disk server=/tmp/dvm.sock,client=ro
# A client the driver VM does not serve is refused with one line.
/svmm run --kernel /guest/Image --disk server=/tmp/dvm.sock,client=nobody 2>&1 < /dev/null | head -n2
boot read --disk server=/tmp/dvm.sock,client=vm1,ro
echo stop >&3
wait $dvm
echo "[outer] driver VM exit $?"
exec 3>&-
echo "[outer] host-sha256 $(range_sum $BASE $MIB)"
echo "[outer] ro-sha256-after $(range_sum $RO 1) other-sha256-after $(range_sum $OTHER 16)"
tr -d '\r' < /tmp/dvm.out | grep -E 'DVM|guest-init\] svmm-cmd' | sed 's/^/[dvm] /'
sed 's/^/[dvm-vmm] /' /tmp/dvm.log
rm -f dvm.img
# Baseline (bench only): the same guest work on a file served by the VMM itself.
if [ "$BASELINE" = 1 ]; then
    dd if=/dev/zero of=direct.img bs=1M count=$PART 2>/dev/null
    boot write --disk /tmp/direct.img
fi
O

TAG=e2e-driver-vm
. "$ROOT/tests/e2e/lib.sh"
hosted_boot "$T" "$TIMEOUT" --extra "$T/extra" || fail_early "test machine images"

field() { sed -n "s/.*$1 \([0-9a-f]*\).*/\1/p" <<<"$LOG" | sed -n "${2:-1}p"; }
gsum=$(field 'BS guest-sha256') hsum=$(field '\[outer\] host-sha256') rsum=$(field 'BS readback-sha256')
resum=$(field 'BS reread-sha256')
same() { [ ${#1} = 64 ] && [ "$1" = "$2" ]; }

check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "the driver VM's VMM listened with three clients on its svmm-blk port" \
    "$(has "\[dvm-vmm\] svmm: serve-disk: 3 clients for the agent on virtio-console port [0-9] 'svmm-blk', listening on /tmp/dvm.sock")"
check "the agent in the driver VM found its port and disk" "$(has '\[dvm\] DVM svmm-blk-agent: serving 3 partitions of /dev/vda')"
check "the agent placed vm1 at its own offset (the VMM never knew it)" \
    "$(has "DVM svmm-blk-agent: client 0 'vm1': $((PART << 20)) bytes at $((BASE << 20))")"
check "the user VM's disk is its partition: serial vm1, $PART MiB, writable" \
    "$(has "BS dev=vd[a-z] serial=vm1 sectors=$((PART * 2048)) ro=0")"
check "the read-only range is a read-only disk (serial ro, 1 MiB)" "$(has 'BS dev=vd[a-z] serial=ro sectors=2048 ro=1')"
check "guest wrote $MIB MiB through the driver VM (dd conv=fsync)" "$(has 'BS write-status 0')"
check "guest read it back after dropping caches, same SHA-256" "$(is same "$gsum" "$resum")"
check "SHA-256 of vm1's range in the driver VM's disk image (at ${BASE} MiB) matches the guest's" "$(is same "$gsum" "$hsum")"
check "second boot reads back the same SHA-256" "$(is same "$gsum" "$rsum")"
check "a write to the read-only range fails in the guest" "$(has 'BS ro-write rc=[1-9]')"
check "the read-only range is readable" "$(has 'BS ro-read READ-ONLY-IMAGE!')"
check "the read-only range is unchanged on the driver VM's disk" \
    "$(is same "$(field 'ro-sha256-before')" "$(field 'ro-sha256-after')")"
check "the other client's range is unchanged on the driver VM's disk" \
    "$(is same "$(field 'other-sha256-before')" "$(field 'other-sha256-after')")"
check "the user VM finds no trace of the other client's data on its disk" "$(has 'BS other-marker-hits 0')"
check "nothing is readable past the end of the partition" "$(has 'BS past-end-bytes 0')"
check "an unknown client is refused with one line" \
    "$(has "svmm: error: --disk server=/tmp/dvm.sock,client=nobody: .*no client named 'nobody'")"
check "the relay saw no bad frame and no I/O error" \
    "$(has '\[dvm-vmm\] svmm: serve-disk: [1-9][0-9]* requests to the agent, [0-9]+ answers \(0 I/O errors\), 0 bad frames')"
check "every user boot powered off with exit 0" "$(is [ "$(grep -cE '^\[outer\] boot (write|read) exit 0' <<<"$LOG")" = $((2 + BASELINE)) ])"
check "the driver VM stopped when asked and exited 0" "$(has '\[outer\] driver VM exit 0')"

mbps() { awk -v m=$MIB -v s="$1" 'BEGIN { if (s > 0) printf "%.1f", m / s; else print "?" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "?" }'; }
ws=$(sed -n 's/.*BS write-status 0 seconds \([0-9.]*\).*/\1/p' <<<"$LOG")
rs=$(sed -n 's/.*BS read seconds \([0-9.]*\).*/\1/p' <<<"$LOG")
w1=$(sed -n 1p <<<"$ws") w2=$(sed -n 2p <<<"$ws") r1=$(sed -n 1p <<<"$rs") r2=$(sed -n 2p <<<"$rs")
echo "$TAG: wall ${wall}s; $MIB MiB write (dd conv=fsync) / cold read, nested KVM in QEMU TCG:"
echo "$TAG:   via the driver VM: write ${w1:-?}s ($(mbps "${w1:-0}") MiB/s), read ${r1:-?}s ($(mbps "${r1:-0}") MiB/s)"
if [ "$BASELINE" = 1 ]; then
    echo "$TAG:   direct --disk FILE: write ${w2:-?}s ($(mbps "${w2:-0}") MiB/s), read ${r2:-?}s ($(mbps "${r2:-0}") MiB/s)"
    echo "$TAG:   driver VM / direct: write $(ratio "${w1:-0}" "${w2:-0}")x, read $(ratio "${r1:-0}" "${r2:-0}")x"
fi
grep -E '\[dvm-vmm\] svmm: (serve-disk|exits)|svmm: blk-server client vm1:|\[dvm\] DVM' <<<"$LOG" || true
finish "$T/log"
