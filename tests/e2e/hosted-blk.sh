#!/bin/bash
# Hosted virtio-blk and virtio-rng, end to end, in one QEMU test machine run:
#   boot 1: the guest finds its disk (serial "disk.img"), writes 64 MiB from /dev/urandom to it and
#           prints the data's SHA-256; a second disk given ",ro" is read-only in the guest and a
#           write to it fails; /dev/hwrng (virtio-rng) gives bytes; a discard works.
#   then:   the outer machine hashes the image file itself after svmm exited (the host side);
#   boot 2: a new VM reads the disk back and prints its SHA-256.
# All three hashes must match; the ro image must be unchanged. Prints "e2e-blk: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
T=$BUILD/e2e/hosted-blk
TIMEOUT=${E2E_TIMEOUT:-1200}
MIB=${E2E_BLK_MIB:-64}
mkdir -p "$T"

# The guest side. Which boot this is comes from the kernel command line (svmm_phase=...).
cat > "$T/guest-cmd" <<G
MIB=$MIB
G
cat >> "$T/guest-cmd" <<'G'
phase=$(sed -n 's/.*svmm_phase=\([a-z]*\).*/\1/p' /proc/cmdline)
now() { cut -d' ' -f1 /proc/uptime; }
disk=; rodisk=
for s in /sys/block/vd*; do
    [ -e "$s" ] || continue
    serial=$(cat "$s/serial" 2>/dev/null)
    echo "E2E-BLK dev=${s##*/} serial=$serial sectors=$(cat "$s/size") ro=$(cat "$s/ro")"
    case $serial in disk.img) disk=/dev/${s##*/} ;; ro.img) rodisk=/dev/${s##*/} ;; esac
done
[ -n "$disk" ] || { echo "E2E-BLK no disk with serial disk.img"; exit 1; }
if [ "$phase" = write ]; then
    dd if=/dev/urandom of=/tmp/data bs=1M count=$MIB 2>/dev/null
    echo "E2E-BLK guest-sha256 $(sha256sum /tmp/data | cut -d' ' -f1)"
    t0=$(now)
    dd if=/tmp/data of=$disk bs=1M conv=fsync 2>/tmp/dd.err; rc=$?
    t1=$(now)
    tail -n1 /tmp/dd.err
    echo "E2E-BLK write-status $rc seconds $(awk -v a=$t0 -v b=$t1 'BEGIN { print b - a }')"
    rm /tmp/data
    # Read-only disk: the guest sees it read-only and a write fails.
    if [ -n "$rodisk" ]; then
        out=$(dd if=/dev/zero of=$rodisk bs=512 count=1 conv=fsync 2>&1); rc=$?
        echo "E2E-BLK ro-write rc=$rc: $(echo "$out" | head -n1)"
        echo "E2E-BLK ro-read $(dd if=$rodisk bs=512 count=1 2>/dev/null | head -c 16)"
    fi
    # Discard a range past the data (the image is larger than $MIB MiB).
    if command -v blkdiscard >/dev/null; then
        blkdiscard -o $((MIB << 20)) -l 1048576 $disk; echo "E2E-BLK discard rc=$?"
    fi
    # virtio-rng: the kernel picks it as the current hwrng.
    echo "E2E-RNG current=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
    echo "E2E-RNG bytes=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | wc -c) hex=$(dd if=/dev/hwrng bs=16 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n')"
else
    echo 3 > /proc/sys/vm/drop_caches
    t0=$(now)
    dd if=$disk of=/dev/null bs=1M count=$MIB 2>/dev/null
    t1=$(now)
    echo "E2E-BLK read seconds $(awk -v a=$t0 -v b=$t1 'BEGIN { print b - a }')"
    sum=$(dd if=$disk bs=1M count=$MIB 2>/dev/null | sha256sum | cut -d' ' -f1)
    echo "E2E-BLK readback-sha256 $sum"
fi
G

# The outer machine: make the images in its RAM, boot twice, hash from the host side in between.
cat > "$T/outer-script" <<O
MIB=$MIB
O
cat >> "$T/outer-script" <<'O'
cd /tmp
dd if=/dev/zero of=disk.img bs=1M count=$((MIB + 16)) 2>/dev/null
printf 'READ-ONLY-IMAGE!' > ro.img
dd if=/dev/zero bs=1M count=1 2>/dev/null >> ro.img
echo "[outer] ro-sha256-before $(sha256sum ro.img | cut -d' ' -f1)"
t0=$(date +%s)
/svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 512M \
    --append "console=ttyS0 earlycon svmm_phase=write" --disk /tmp/disk.img --disk /tmp/ro.img,ro --rng
s1=$?
echo "[outer] boot 1 exit $s1 after $(( $(date +%s) - t0 ))s"
echo "[outer] host-sha256 $(dd if=disk.img bs=1M count=$MIB 2>/dev/null | sha256sum | cut -d' ' -f1)"
echo "[outer] ro-sha256-after $(sha256sum ro.img | cut -d' ' -f1)"
echo "[outer] image size $(stat -c %s disk.img) blocks $(stat -c %b disk.img)"
# Bad arguments fail with one line, before any VM exists.
/svmm run --kernel /guest/Image --disk /tmp 2>&1 | head -n2
/svmm run --kernel /guest/Image --disk /tmp/disk.img,rw 2>&1 | head -n2
/svmm run --kernel /guest/Image --disk /nonexistent.img 2>&1 | head -n2
t0=$(date +%s)
/svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 512M \
    --append "console=ttyS0 earlycon svmm_phase=read" --disk /tmp/disk.img,ro
s2=$?
echo "[outer] boot 2 exit $s2 after $(( $(date +%s) - t0 ))s"
[ $s1 = 0 ] && exit $s2
exit $s1
O

TAG=e2e-blk
. "$ROOT/tests/e2e/lib.sh"
hosted_boot "$T" "$TIMEOUT" || fail_early "test machine images"

field() { sed -n "s/.*$1 \([0-9a-f]*\).*/\1/p" <<<"$LOG" | head -n1; }
gsum=$(field 'E2E-BLK guest-sha256') hsum=$(field '\[outer\] host-sha256') rsum=$(field 'E2E-BLK readback-sha256')
ro_before=$(field '\[outer\] ro-sha256-before') ro_after=$(field '\[outer\] ro-sha256-after')

check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "guest loaded virtio_blk" "$(has '\[guest-init\] loaded virtio_blk')"
check "guest loaded virtio_rng" "$(has '\[guest-init\] loaded virtio_rng')"
check "guest found the disk (serial disk.img, $((MIB + 16)) MiB, writable)" \
    "$(has "E2E-BLK dev=vd[a-z] serial=disk.img sectors=$(( (MIB + 16) * 2048 )) ro=0")"
check "guest found the read-only disk (ro=1)" "$(has 'E2E-BLK dev=vd[a-z] serial=ro.img sectors=2048 ro=1')"
check "guest wrote $MIB MiB of random data (dd conv=fsync succeeded)" "$(has 'E2E-BLK write-status 0')"
check "guest printed the data's SHA-256" "$(is [ ${#gsum} = 64 ])"
check "host-side SHA-256 of the image after svmm exited matches the guest's" "$([ -n "$gsum" ] && [ "$gsum" = "$hsum" ]; rc)"
check "second boot reads back the same SHA-256" "$([ -n "$gsum" ] && [ "$gsum" = "$rsum" ]; rc)"
check "write to the read-only disk fails in the guest" "$(has 'E2E-BLK ro-write rc=[1-9]')"
check "read-only disk still readable" "$(has 'E2E-BLK ro-read READ-ONLY-IMAGE!')"
check "read-only image unchanged on the host" "$([ -n "$ro_before" ] && [ "$ro_before" = "$ro_after" ]; rc)"
check "discard succeeded" "$(has 'E2E-BLK discard rc=0')"
check "virtio-rng is the guest's current hwrng" "$(has 'E2E-RNG current=virtio_rng')"
check "/dev/hwrng gave 64 bytes" "$(has 'E2E-RNG bytes=64 hex=[0-9a-f]{32}')"
check "--disk on a directory: one-line error" "$(has "svmm: error: --disk: '/tmp' is a directory")"
check "--disk unknown option: one-line error" "$(has "svmm: error: --disk: unknown option 'rw'")"
check "--disk missing file: one-line error" "$(has "svmm: error: --disk: cannot open '/nonexistent.img' for writing: No such file")"
check "both boots powered off, svmm exited 0" "$(is [ $status = 0 ])"

wsec=$(sed -n 's/.*E2E-BLK write-status 0 seconds \([0-9.]*\).*/\1/p' <<<"$LOG" | head -n1)
rsec=$(sed -n 's/.*E2E-BLK read seconds \([0-9.]*\).*/\1/p' <<<"$LOG" | head -n1)
mbps() { awk -v m=$MIB -v s="$1" 'BEGIN { if (s > 0) printf "%.1f", m / s; else print "?" }'; }
echo "$TAG: wall ${wall}s; guest write $MIB MiB in ${wsec:-?}s ($(mbps "${wsec:-0}") MiB/s, dd conv=fsync)," \
     "read in ${rsec:-?}s ($(mbps "${rsec:-0}") MiB/s, dd to /dev/null, cold cache) (nested KVM in QEMU TCG)"
grep -E 'svmm: exits:|svmm: virtio-blk /' <<<"$LOG" || true
finish "$T/log"
