#!/bin/bash
# make bench-blk (and the second half of make bench): hosted virtio-blk throughput and notifications
# per request, inside the QEMU test machine (docs/performance.md, "Hosted virtio-blk").
# Nothing here asserts a number: it measures and prints a table.
#
# One outer-machine boot runs svmm twice on a fresh raw image in the outer machine's RAM: once with
# the default features and once with --disk PATH,no-event-idx. Each time the guest (busybox, 2 vCPUs)
#   - writes BENCH_BLK_MIB MiB sequentially: dd if=/dev/zero bs=1M conv=fsync
#   - reads them back after dropping its page cache: dd of=/dev/null bs=1M
#   - does 4 KiB random reads, then writes, with O_DIRECT (tests/bench/blkrand.c, static arm64) at
#     queue depth 1 and BENCH_BLK_QD, each until BENCH_BLK_OPS operations or BENCH_BLK_SECONDS s
# and counts, per phase, its block-layer requests (/sys/block/vdX/stat) and the disk's interrupts
# (/proc/interrupts). At exit svmm logs the disk's totals: requests, notifies (QueueNotify writes,
# each one an MMIO exit) and interrupts injected, and the VM's MMIO exits by device.
#
# Knobs: BENCH_BLK_IMAGE_MIB (256), BENCH_BLK_MIB (256), BENCH_BLK_OPS (20000), BENCH_BLK_SECONDS (15),
#        BENCH_BLK_QD (8), BENCH_BLK_MODES ("on off"), BENCH_TIMEOUT (1800),
#        BENCH_BLK_PHASES (all: "seqwrite seqread randread1 randread8 randwrite1 randwrite8"; a subset
#        gives svmm's totals, notifies included, for just those workloads).
# Results: $BUILD/bench/blk-results.txt; the machine's log is $BUILD/bench/blk/log.
# shellcheck disable=SC2034,SC2154 # TAG is read by tests/e2e/lib.sh; wall, status and LOG come from hosted_boot
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
T=$BUILD/bench/blk
IMAGE_MIB=${BENCH_BLK_IMAGE_MIB:-256}
MIB=${BENCH_BLK_MIB:-256}
OPS=${BENCH_BLK_OPS:-20000}
SECS=${BENCH_BLK_SECONDS:-15}
QD=${BENCH_BLK_QD:-8}
MODES=${BENCH_BLK_MODES:-on off}
PHASES=${BENCH_BLK_PHASES:-seqwrite seqread randread1 randread${QD} randwrite1 randwrite${QD}}
TIMEOUT=${BENCH_TIMEOUT:-1800}
RES=$BUILD/bench/blk-results.txt
mkdir -p "$T/extra/bin"
[ "$MIB" -le "$IMAGE_MIB" ] || { echo "bench-blk: BENCH_BLK_MIB > BENCH_BLK_IMAGE_MIB"; exit 1; }

[ -x "$BUILD/aarch64/svmm" ] || { echo "bench-blk: no $BUILD/aarch64/svmm (make svmm)"; exit 1; }
aarch64-linux-gnu-gcc -O2 -static -Wall -Wextra -pthread "$ROOT/tests/bench/blkrand.c" \
    -o "$T/extra/bin/blkrand" || { echo "bench-blk: cannot build blkrand"; exit 1; }

# The guest side.
cat > "$T/guest-cmd" <<G
MIB=$MIB OPS=$OPS SECS=$SECS QD=$QD IMAGE_MIB=$IMAGE_MIB PHASES="$PHASES"
G
cat >> "$T/guest-cmd" <<'G'
mode=$(sed -n 's/.*bench_event_idx=\([a-z]*\).*/\1/p' /proc/cmdline)
now() { cut -d' ' -f1 /proc/uptime; }
disk=
for s in /sys/block/vd*; do
    [ "$(cat "$s/serial" 2>/dev/null)" = bench.img ] && disk=${s##*/}
done
[ -n "$disk" ] || { echo "BENCH-BLK no disk with serial bench.img"; exit 1; }
# The disk's interrupt line is named after its virtio device (virtioN).
irqname=$(basename "$(readlink -f /sys/block/$disk/device)")
ncpu=$(nproc)
irqs() { awk -v n="$irqname" -v c="$ncpu" '$NF == n { s = 0; for (i = 2; i <= c + 1; i++) s += $i; print s }' /proc/interrupts; }
# Completed requests: reads, writes, discards, flushes (fields 1, 5, 12, 16 of the stat file).
reqs() { awk '{ print $1 + $5 + $12 + $16 }' /sys/block/$disk/stat; }
echo "BENCH-BLK mode=$mode dev=$disk irq=$irqname cpus=$ncpu features=$(cat /sys/block/$disk/device/features)"
phase() {
    name=$1; shift
    case " $PHASES " in *" $name "*) ;; *) return ;; esac
    i0=$(irqs); r0=$(reqs); t0=$(now)
    out=$("$@" 2>&1); rc=$?
    t1=$(now); i1=$(irqs); r1=$(reqs)
    echo "BENCH-BLK phase=$name rc=$rc seconds=$(awk -v a=$t0 -v b=$t1 'BEGIN { print b - a }') requests=$((r1 - r0)) irqs=$((i1 - i0)) $(echo "$out" | grep BLKRAND | sed 's/^BLKRAND //')"
}
phase seqwrite dd if=/dev/zero of=/dev/$disk bs=1M count=$MIB conv=fsync
sync; echo 3 > /proc/sys/vm/drop_caches # (the read needs the data: seqread alone reads zeroes)
phase seqread dd if=/dev/$disk of=/dev/null bs=1M count=$MIB
phase randread1 /bin/blkrand /dev/$disk read $OPS 1 $IMAGE_MIB $SECS
phase randread$QD /bin/blkrand /dev/$disk read $OPS $QD $IMAGE_MIB $SECS
phase randwrite1 /bin/blkrand /dev/$disk write $OPS 1 $IMAGE_MIB $SECS
phase randwrite$QD /bin/blkrand /dev/$disk write $OPS $QD $IMAGE_MIB $SECS
echo "BENCH-BLK done"
G

# The outer machine: one fresh image per svmm run, in its RAM.
cat > "$T/outer-script" <<O
IMAGE_MIB=$IMAGE_MIB
MODES="$MODES"
O
cat >> "$T/outer-script" <<'O'
cd /tmp
rc=0
for m in $MODES; do
    rm -f bench.img
    dd if=/dev/zero of=bench.img bs=1M count=$IMAGE_MIB 2>/dev/null
    opt=; [ $m = off ] && opt=,no-event-idx
    echo "[outer] BENCH-BEGIN $m"
    t0=$(date +%s)
    /svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 512M \
        --append "console=ttyS0 quiet bench_event_idx=$m" --disk /tmp/bench.img$opt
    s=$?
    echo "[outer] BENCH-END $m exit $s after $(( $(date +%s) - t0 ))s"
    [ $s = 0 ] || rc=$s
done
exit $rc
O

TAG=bench-blk
. "$ROOT/tests/e2e/lib.sh"
hosted_boot "$T" "$TIMEOUT" --extra "$T/extra" || { echo "bench-blk: cannot build the test machine images"; exit 1; }

# One run's lines: from its BENCH-BEGIN to its BENCH-END.
seg() { awk -v m="$1" '$0 ~ "BENCH-BEGIN " m "$" { on = 1 } on { print } $0 ~ "BENCH-END " m " " { on = 0 }' <<<"$LOG"; }
kv() { sed -n "s/.*[ ]$1=\([^ ;]*\).*/\1/p" <<<"$2" | head -n1; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (a != "" && b != "" && b > 0) printf f, a / b; else print "?" }'; }

: > "$RES"
say() { echo "$*" | tee -a "$RES"; }
say "svmm hosted virtio-blk bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$ROOT" describe --always --dirty 2>/dev/null)," \
    "QEMU $(qemu-system-aarch64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p') TCG -cpu cortex-a57 (2 CPUs, 2G) > KVM > svmm (2 vCPUs, 512M)," \
    "image ${IMAGE_MIB} MiB in the outer machine's RAM; outer machine wall ${wall}s, status $status"
for m in $MODES; do
    S=$(seg "$m")
    say ""
    say "== EVENT_IDX $m ($(grep -o 'BENCH-END .*' <<<"$S" | head -n1)) features=$(kv features "$(grep 'BENCH-BLK mode=' <<<"$S")")"
    stats=$(grep -m1 'svmm: virtio-blk /tmp/bench.img:' <<<"$S")
    exits=$(grep -m1 'svmm: exits:' <<<"$S")
    req=$(sed -n 's/.*: \([0-9]*\) requests.*/\1/p' <<<"$stats")
    not=$(sed -n 's/.* \([0-9]*\) notifies.*/\1/p' <<<"$stats")
    irq=$(sed -n 's/.* \([0-9]*\) interrupts.*/\1/p' <<<"$stats")
    bexits=$(kv virtio-blk "$exits")
    say "svmm totals: $req requests, $not notifies ($(div "$not" "$req" %.3f)/request), $irq interrupts ($(div "$irq" "$req" %.3f)/request), $bexits MMIO exits on the disk ($(div "$bexits" "$req" %.3f)/request)"
    say "  ${exits#*svmm: }"
    printf '%-12s %8s %10s %9s %9s %8s %8s\n' phase seconds "MB/s|IOPS" requests irqs irq/req ops | tee -a "$RES"
    while read -r l; do
        [ -n "$l" ] || continue
        name=$(kv phase "$l") secs=$(kv seconds "$l") r=$(kv requests "$l") i=$(kv irqs "$l") ops=$(kv ops "$l")
        case $name in
            seq*) rate="$(div "$MIB" "$secs" %.1f) MiB/s" ;;
            *) rate="$(kv iops "$l") IOPS" ;;
        esac
        [ "$(kv rc "$l")" = 0 ] || rate="FAIL rc=$(kv rc "$l")"
        printf '%-12s %8s %10s %9s %9s %8s %8s\n' "$name" "$secs" "$rate" "$r" "$i" "$(div "$i" "$r" %.3f)" "${ops:--}" | tee -a "$RES"
    done <<<"$(grep 'BENCH-BLK phase=' <<<"$S")"
done
say ""
say "table: $RES (log: $T/log)"
[ "$status" = 0 ]
