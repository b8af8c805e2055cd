# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# Shared by the block tiers whose guest has two disks served to it, partitions "data" (writable) and
# "golden" (read-only), each with its partition's name as its serial: tests/e2e/sel4-blkserver.sh (a
# block server PD) and sel4-driver-vm.sh (a driver VM). Source it after lib.sh.

# blk_guest_rw MIB: the start of the guest's command (mkguest-initrd.sh --cmd-file). It lists its
# disks (BS-DISK <dev> serial= sectors= ro=), finds data ($rw) and golden ($ro) by their serials, and
# past data's end reads nothing (BS-PAST-END bytes=); writes MIB MiB from /dev/urandom to data with
# conv=fsync (BS-SUM guest <sha256>, BS-WRITE rc= seconds), drops its page cache and reads them back
# (BS-READBACK <sha256> seconds). What the caller appends can use $MIB, $rw, $ro, now and secs.
blk_guest_rw() {
    echo "MIB=$1"
    cat <<'G'
now() { cut -d' ' -f1 /proc/uptime; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }
rw= ro=
for d in /sys/block/vd*; do
    echo "BS-DISK $(basename "$d") serial=$(cat "$d/serial" 2>/dev/null) sectors=$(cat "$d/size") ro=$(cat "$d/ro")"
    case "$(cat "$d/serial" 2>/dev/null)" in data) rw=/dev/$(basename "$d") ;; golden) ro=/dev/$(basename "$d") ;; esac
done
echo "BS-PAST-END bytes=$(dd if="$rw" bs=512 skip=$(cat /sys/block/$(basename "$rw")/size) count=1 2>/dev/null | wc -c)"
dd if=/dev/urandom of=/tmp/data bs=1M count=$MIB 2>/dev/null
echo "BS-SUM guest $(sha256sum /tmp/data | cut -d' ' -f1)"
t0=$(now); dd if=/tmp/data of="$rw" bs=1M conv=fsync 2>/dev/null; rc=$?; t1=$(now)
echo "BS-WRITE rc=$rc seconds $(secs $t0 $t1)"
rm /tmp/data
sync; echo 3 > /proc/sys/vm/drop_caches
t0=$(now); sum=$(dd if="$rw" bs=1M count=$MIB 2>/dev/null | sha256sum | cut -d' ' -f1); t1=$(now)
echo "BS-READBACK $sum seconds $(secs $t0 $t1)"
G
}

# log_hex KEY: the hex word after KEY in the log ($LOG), its first occurrence.
log_hex() { grep -ao "$1 [0-9a-f]*" <<<"$LOG" | head -n1 | sed 's/.* //'; }

# same_sha256 A B: A is a SHA-256 (64 hex digits) and B the same.
same_sha256() { [ ${#1} = 64 ] && [ "$1" = "$2" ]; }

# blk_checks THROUGH DATA_MIB GOLDEN_MIB MIB: the checks of what blk_guest_rw MIB printed, through
# THROUGH ("the server"), with the disks' sizes in MiB; and that the VMM attached both block links.
# Sets gsum (the SHA-256 of the data the guest wrote) and rsum (of what it read back).
blk_checks() {
    local through=$1 data=$2 golden=$3 mib=$4
    gsum=$(log_hex 'BS-SUM guest') rsum=$(log_hex 'BS-READBACK')
    check "the VMM attached both block links (sizes from $through)" \
        "$(is [ "$(grep -aoE 'virtio-blk on block server link [01]: [0-9]+ MiB' <<<"$LOG" | sort -u | wc -l)" = 2 ])"
    check "guest sees partition data as a writable disk of $data MiB" "$(has "BS-DISK vd[a-z] serial=data sectors=$((data * 2048)) ro=0")"
    check "guest sees partition golden as a read-only disk of $golden MiB" "$(has "BS-DISK vd[a-z] serial=golden sectors=$((golden * 2048)) ro=1")"
    check "nothing past the partition's end is readable" "$(has 'BS-PAST-END bytes=0')"
    check "guest wrote $mib MiB through $through (dd conv=fsync)" "$(has 'BS-WRITE rc=0')"
    check "read back through $through (page cache dropped): same SHA-256" "$(is same_sha256 "$gsum" "$rsum")"
}

# blk_rates MIB: one line with the tier's wall time ($wall) and the guest's write and read-back rates.
blk_rates() {
    local wsec rsec
    wsec=$(sed -n 's/.*BS-WRITE rc=0 seconds \([0-9.]*\).*/\1/p' <<<"$LOG" | head -n1)
    rsec=$(sed -n 's/.*BS-READBACK [0-9a-f]* seconds \([0-9.]*\).*/\1/p' <<<"$LOG" | head -n1)
    echo "$TAG: wall ${wall}s; write $1 MiB ${wsec:-?}s ($(blk_mbps "$1" "${wsec:-0}") MiB/s)," \
        "read+sha256 ${rsec:-?}s ($(blk_mbps "$1" "${rsec:-0}") MiB/s) (QEMU TCG)"
}
blk_mbps() { awk -v m="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.2f", m / s; else print "?" }'; }
