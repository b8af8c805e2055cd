#!/bin/bash
# Hosted tier, block server: in one QEMU test machine run, a user VM's disk is a partition of one
# image file served by `svmm blk-server` (its VMM started with --disk server=PATH,client=vm1):
#   boot 1: the guest finds its disk (serial vm1, exactly its partition's size), writes 64 MiB from
#           /dev/urandom with conv=fsync, drops caches and reads it back (SHA-256 both times); a
#           second disk (client ro, a read-only range) refuses a write; a discard works; the guest
#           cannot find the other client's marker anywhere on its disk;
#   then:   the outer machine hashes the partition's bytes in the image itself (the host side),
#           checks the ro range and the other client's range are unchanged;
#   boot 2: a new VM reads the data back through the server.
#   baseline: the same 64 MiB write/read on a file served directly (--disk FILE), for throughput.
# Prints one "ok"/"FAIL" line per check, throughput lines, and "e2e-blkserver: N passed, N failed".
# make test runs it in one test machine run with tests/e2e/hosted-driver-vm.sh (tier e2e-blkserver-dvm,
# tests/e2e/hosted-blkserver-dvm.sh; E2E_PART, tests/e2e/lib.sh's part_boot).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
T=$BUILD/e2e/hosted-blkserver
TIMEOUT=${E2E_TIMEOUT:-1500}
MIB=${E2E_BLK_MIB:-64}
# The direct --disk FILE baseline (throughput comparison) runs only for the bench (make bench-blkserver).
BASELINE=${E2E_BLK_BASELINE:-0}
PART=$((MIB + 16))   # vm1's partition, MiB
mkdir -p "$T"

# The guest side: which boot this is comes from the kernel command line (svmm_phase=...).
cat > "$T/guest-cmd" <<G
MIB=$MIB
G
cat >> "$T/guest-cmd" <<'G'
phase=$(sed -n 's/.*svmm_phase=\([a-z]*\).*/\1/p' /proc/cmdline)
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
    if command -v blkdiscard >/dev/null; then
        blkdiscard -o $((MIB << 20)) -l 1048576 $disk; echo "BS discard rc=$?"
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

# The outer machine: the image in its RAM; server, two boots, the host-side checks, the baseline.
cat > "$T/outer-script" <<O
MIB=$MIB PART=$PART BASELINE=$BASELINE
O
cat >> "$T/outer-script" <<'O'
cd /tmp
# vm1: [0, PART) MiB; ro: 1 MiB after it; other: 16 MiB after that, with a marker at its start.
dd if=/dev/zero of=disk.img bs=1M count=$((PART + 17)) 2>/dev/null
printf 'READ-ONLY-IMAGE!' | dd of=disk.img bs=1M seek=$PART conv=notrunc 2>/dev/null
printf 'OTHER-CLIENT-MARKER' | dd of=disk.img bs=1M seek=$((PART + 1)) conv=notrunc 2>/dev/null
range_sum() { dd if=disk.img bs=1M skip=$1 count=$2 2>/dev/null | sha256sum | cut -d' ' -f1; }
echo "[outer] ro-sha256-before $(range_sum $PART 1) other-sha256-before $(range_sum $((PART + 1)) 16)"
/svmm blk-server --listen /tmp/blk.sock --disk /tmp/disk.img --client vm1,offset=0,size=${PART}M \
    --client ro,offset=${PART}M,size=1M,ro --client other,offset=$((PART + 1))M,size=16M > /tmp/server.log 2>&1 &
srv=$!
for i in $(seq 100); do [ -S /tmp/blk.sock ] && break; sleep 0.1; done
boot() {
    local phase=$1; shift
    local t0=$(date +%s)
    /svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 512M \
        --append "console=ttyS0 svmm_phase=$phase" "$@"
    echo "[outer] boot $phase exit $? after $(( $(date +%s) - t0 ))s"
}
boot write --disk server=/tmp/blk.sock,client=vm1 --disk server=/tmp/blk.sock,client=ro
echo "[outer] host-sha256 $(range_sum 0 $MIB)"
echo "[outer] ro-sha256-after $(range_sum $PART 1) other-sha256-after $(range_sum $((PART + 1)) 16)"
# A client the server does not know, and one already in use, are refused with one line.
/svmm run --kernel /guest/Image --disk server=/tmp/blk.sock,client=nobody 2>&1 | head -n2
boot read --disk server=/tmp/blk.sock,client=vm1,ro
kill -TERM $srv; wait $srv
sed 's/^/[server] /' /tmp/server.log
# Baseline (bench only): the same guest work on a file served by the VMM itself.
if [ "$BASELINE" = 1 ]; then
    dd if=/dev/zero of=direct.img bs=1M count=$PART 2>/dev/null
    boot write --disk /tmp/direct.img
fi
O

TAG=e2e-blkserver
. "$ROOT/tests/e2e/lib.sh"
part_boot "$T" "$TIMEOUT" || fail_early "test machine images"

field() { sed -n "s/.*$1 \([0-9a-f]*\).*/\1/p" <<<"$LOG" | sed -n "${2:-1}p"; }
gsum=$(field 'BS guest-sha256') hsum=$(field '\[outer\] host-sha256') rsum=$(field 'BS readback-sha256')
resum=$(field 'BS reread-sha256')
same() { [ ${#1} = 64 ] && [ "$1" = "$2" ]; }

check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "the server listened with three clients" "$(has '\[server\] svmm: blk-server: 3 clients on /tmp/disk.img')"
check "the user VM's disk is its partition: serial vm1, $PART MiB, writable" \
    "$(has "BS dev=vd[a-z] serial=vm1 sectors=$((PART * 2048)) ro=0")"
check "the read-only range is a read-only disk (serial ro, 1 MiB)" "$(has 'BS dev=vd[a-z] serial=ro sectors=2048 ro=1')"
check "guest wrote $MIB MiB through the server (dd conv=fsync)" "$(has 'BS write-status 0')"
check "guest read it back after dropping caches, same SHA-256" "$(is same "$gsum" "$resum")"
check "host-side SHA-256 of the partition in the image matches the guest's" "$(is same "$gsum" "$hsum")"
check "second boot reads back the same SHA-256" "$(is same "$gsum" "$rsum")"
check "a write to the read-only range fails in the guest" "$(has 'BS ro-write rc=[1-9]')"
check "the read-only range is readable" "$(has 'BS ro-read READ-ONLY-IMAGE!')"
check "the read-only range is unchanged on the host" "$(is same "$(field 'ro-sha256-before')" "$(field 'ro-sha256-after')")"
check "the other client's range is unchanged on the host" \
    "$(is same "$(field 'other-sha256-before')" "$(field 'other-sha256-after')")"
check "the guest finds no trace of the other client's data on its disk" "$(has 'BS other-marker-hits 0')"
check "nothing is readable past the end of the partition" "$(has 'BS past-end-bytes 0')"
check "discard succeeded" "$(has 'BS discard rc=0')"
check "an unknown client is refused with one line" "$(has "svmm: error: --disk server=/tmp/blk.sock,client=nobody: .*no client named 'nobody'")"
check "the server counted writes and flushes for vm1" "$(has '\[server\] svmm: blk-server: client vm1: [0-9]+ reads .*[1-9][0-9]* writes .*[1-9][0-9]* flushes')"
check "the server refused no request (the VMM validated first)" "$(is [ -z "$(grep -E 'client (vm1|ro): .* [1-9][0-9]* refused' <<<"$LOG")" ])"
check "every boot powered off with exit 0" "$(is [ "$(grep -cE '^\[outer\] boot (write|read) exit 0' <<<"$LOG")" = $((2 + BASELINE)) ])"
check "the server stopped cleanly on SIGTERM" "$(has '\[server\] svmm: blk-server: stopped')"

mbps() { awk -v m=$MIB -v s="$1" 'BEGIN { if (s > 0) printf "%.1f", m / s; else print "?" }'; }
ws=$(sed -n 's/.*BS write-status 0 seconds \([0-9.]*\).*/\1/p' <<<"$LOG")
rs=$(sed -n 's/.*BS read seconds \([0-9.]*\).*/\1/p' <<<"$LOG")
w1=$(sed -n 1p <<<"$ws") w2=$(sed -n 2p <<<"$ws") r1=$(sed -n 1p <<<"$rs") r2=$(sed -n 2p <<<"$rs")
echo "$TAG: wall ${wall}s; $MIB MiB write (dd conv=fsync) / cold read, nested KVM in QEMU TCG:"
echo "$TAG:   via svmm blk-server: write ${w1:-?}s ($(mbps "${w1:-0}") MiB/s), read ${r1:-?}s ($(mbps "${r1:-0}") MiB/s)"
[ "$BASELINE" = 1 ] &&
    echo "$TAG:   direct --disk FILE:  write ${w2:-?}s ($(mbps "${w2:-0}") MiB/s), read ${r2:-?}s ($(mbps "${r2:-0}") MiB/s)"
grep -E '\[server\] svmm: blk-server: client|svmm: blk-server client vm1:' <<<"$LOG" || true
finish "$T/log"
