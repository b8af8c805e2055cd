#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# make bench-net (and part of make bench): hosted virtio-net throughput, guest -> host TCP over a tap,
# svmm against QEMU-KVM without vhost, side by side in one outer test machine (docs/performance.md,
# "Hosted virtio-net"). Nothing here asserts a number: it measures and prints a table.
#
# One outer-machine boot (QEMU TCG with -icount, so the outer machine's clock counts instructions and
# host load does not move the figures) creates tap0 (10.0.2.1/24) and then, one after the other on
# that same tap, boots the same guest kernel and initramfs (2 vCPUs, 512 MiB, MTU 1500) under
#   svmm       /svmm run --net tap=tap0
#   svmm-base  (only with BENCH_NET_SVMM_BASE=PATH: another svmm binary, e.g. one before a change)
#   qemu       Debian's arm64 qemu-system-aarch64 -M virt -enable-kvm -cpu host, -netdev tap,vhost=off
#              + virtio-net-device (virtio-mmio, as svmm), console on virtio-console
# Each guest sends BENCH_NET_MIB MiB with tests/bench/tcpblast.c to its sink in the outer machine,
# which times it from the first byte to EOF (tests/e2e/vsock_helper.c would hash every byte, and
# under -icount the hashing, not the VMM, would set the rate; integrity is hosted-net.sh's job). The
# tap is created afresh for every run (a persistent tap keeps its last user's TUNSETOFFLOAD); its rx
# counters give the frames the VMM wrote, so bytes per frame shows whether TSO was used.
# QEMU's arm64 build and its libraries come from tests/machine/fetch.sh --qemu (Debian packages).
#
# Knobs: BENCH_NET_MIB (256), BENCH_NET_RUNS ("svmm qemu", plus svmm-base when BENCH_NET_SVMM_BASE is
#        set), BENCH_NET_ICOUNT (shift=0,sleep=off; empty: no -icount, wall-clock time),
#        BENCH_TIMEOUT (3600).
# Results: $BUILD/bench/net-results.txt; the machine's log is $BUILD/bench/net/log.
# shellcheck disable=SC2034,SC2154 # TAG is read by tests/e2e/lib.sh; wall, status and LOG come from below
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
export BUILD
T=$BUILD/bench/net
MIB=${BENCH_NET_MIB:-256}
BASE=${BENCH_NET_SVMM_BASE:-}
RUNS=${BENCH_NET_RUNS:-svmm ${BASE:+svmm-base} qemu}
ICOUNT=${BENCH_NET_ICOUNT-shift=0,sleep=off}
TIMEOUT=${BENCH_TIMEOUT:-3600}
RES=$BUILD/bench/net-results.txt
QROOT=$BUILD/machine/qemu-arm64
rm -rf "$T/gextra" "$T/extra"
mkdir -p "$T/gextra" "$T/extra/qemu/lib"

[ -x "$BUILD/aarch64/svmm" ] || { echo "bench-net: no $BUILD/aarch64/svmm (make svmm)"; exit 1; }
[ -z "$BASE" ] || [ -x "$BASE" ] || { echo "bench-net: BENCH_NET_SVMM_BASE=$BASE is not an executable"; exit 1; }
"$ROOT/tests/machine/fetch.sh" --qemu --quiet || { echo "bench-net: cannot fetch the arm64 QEMU"; exit 1; }
aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -o "$T/gextra/tcpblast" "$ROOT/tests/bench/tcpblast.c" ||
    { echo "bench-net: cannot build tcpblast"; exit 1; }
cp "$T/gextra/tcpblast" "$T/extra/"
[ -z "$BASE" ] || cp "$BASE" "$T/extra/svmm-base"

# QEMU in the outer machine: the binary, the dynamic loader and every library it needs under its
# soname in /qemu/lib (the initramfs packer dereferences symlinks; one copy per soname keeps it small).
# (fetch.sh keeps exactly one binary in usr/bin, the aarch64 system emulator.)
cp "$QROOT"/usr/bin/qemu-system-* "$T/extra/qemu/qemu"
cp -L "$QROOT/lib/ld-linux-aarch64.so.1" "$T/extra/qemu/lib/"
needed() { aarch64-linux-gnu-readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
todo=$(needed "$T/extra/qemu/qemu")
while [ -n "$todo" ]; do
    set -- $todo
    so=$1; shift; todo="$*"
    [ -e "$T/extra/qemu/lib/$so" ] && continue
    f=$(find "$QROOT/lib" "$QROOT/usr/lib" -name "$so" | head -n1)
    [ -n "$f" ] || { echo "bench-net: $so (needed by QEMU) is in none of the fetched packages"; exit 1; }
    cp -L "$f" "$T/extra/qemu/lib/$so"
    todo="$todo $(needed "$T/extra/qemu/lib/$so")"
done

# The guest: the same for every VMM.
cat > "$T/guest-cmd" <<G
BYTES=$((MIB * 1048576))
G
cat >> "$T/guest-cmd" <<'G'
run=$(sed -n 's/.*bench_run=\([a-z-]*\).*/\1/p' /proc/cmdline)
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0
for d in /sys/bus/virtio/devices/*; do
    [ -e "$d/net/eth0" ] && echo "BENCH-NET run=$run features=$(cat "$d/features")"
done
ping -c 2 -W 5 10.0.2.1 > /dev/null || echo "BENCH-NET run=$run ping failed"
/tcpblast send 10.0.2.1 5001 $BYTES; rc=$?
s=/sys/class/net/eth0/statistics
echo "BENCH-NET run=$run send_rc=$rc tx_packets=$(cat $s/tx_packets) rx_packets=$(cat $s/rx_packets)"
G

cat > "$T/outer-script" <<O
RUNS="$RUNS"
O
cat >> "$T/outer-script" <<'O'
modprobe tun
st=/sys/class/net/tap0/statistics
up() { cut -d' ' -f1 /proc/uptime; }
rc=0
for run in $RUNS; do
    ip link del tap0 2>/dev/null
    ip tuntap add tap0 mode tap 2>/dev/null || tunctl -t tap0 >/dev/null
    ip addr add 10.0.2.1/24 dev tap0
    ip link set tap0 up
    rm -f /tmp/sink.log
    /tcpblast sink 5001 > /tmp/sink.log 2>&1 &
    sink=$!
    p0=$(cat $st/rx_packets) b0=$(cat $st/rx_bytes)
    echo "[outer] BENCH-BEGIN $run"
    t0=$(up)
    case $run in
        svmm|svmm-base)
            /$run run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 512M \
                --append "console=ttyS0 quiet bench_run=$run" --net tap=tap0,mac=52:54:00:12:34:56 ;;
        qemu)
            # No vhost, the device on virtio-mmio like svmm's, the console on hvc0 (guest-init.sh).
            /qemu/lib/ld-linux-aarch64.so.1 --library-path /qemu/lib /qemu/qemu \
                -netdev tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=off \
                -device virtio-net-device,netdev=n0,mac=52:54:00:12:34:56 \
                -M virt,gic-version=3 -enable-kvm -cpu host -smp 2 -m 512M -nodefaults -no-reboot \
                -display none -serial file:/tmp/qemu-ttyAMA0.log \
                -chardev stdio,id=con,signal=off -device virtio-serial-device -device virtconsole,chardev=con \
                -kernel /guest/Image -initrd /guest/initrd.cpio.gz -append "console=ttyAMA0 quiet bench_run=$run" ;;
    esac
    s=$?
    # The sink prints once it has read to EOF, which may trail the VM's exit a little.
    for _ in $(seq 50); do [ -s /tmp/sink.log ] && break; sleep 0.1; done
    kill $sink 2>/dev/null
    echo "[outer] BENCH-TAP $run frames=$(( $(cat $st/rx_packets) - p0 )) bytes=$(( $(cat $st/rx_bytes) - b0 ))"
    echo "[outer] BENCH-SINK $run $(cat /tmp/sink.log)"
    echo "[outer] BENCH-END $run exit $s after $(awk -v a="$t0" -v b="$(up)" 'BEGIN { print b - a }') s"
    [ $s = 0 ] || rc=$s
done
exit $rc
O

TAG=bench-net
mkdir -p "$T"
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/guest.cpio.gz" --cmd-file "$T/guest-cmd" --extra "$T/gextra" >/dev/null &&
"$ROOT/tests/machine/mkouter-initrd.sh" "$T/outer.cpio.gz" --svmm "$BUILD/aarch64/svmm" \
    --guest-initrd "$T/guest.cpio.gz" --script "$T/outer-script" --extra "$T/extra" >/dev/null ||
    { echo "bench-net: cannot build the test machine images"; exit 1; }
start=$(date +%s)
status=0
"$ROOT/tests/machine/run.sh" --initrd "$T/outer.cpio.gz" --timeout "$TIMEOUT" --log "$T/log" \
    -- ${ICOUNT:+-icount "$ICOUNT"} > /dev/null || status=$?
wall=$(( $(date +%s) - start ))
LOG=$(tr -d '\r' < "$T/log")

kv() { sed -n "s/.*[ ]$1=\([^ ;,]*\).*/\1/p" <<<"$2" | head -n1; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (a != "" && b != "" && b > 0) printf f, a / b; else print "?" }'; }
# feature NAME BIT STRING: NAME when bit BIT is set in the guest's feature string.
feature() { [ "${3:$2:1}" = 1 ] && printf '%s ' "$1"; }

: > "$RES"
say() { echo "$*" | tee -a "$RES"; }
say "svmm hosted virtio-net bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$ROOT" describe --always --dirty 2>/dev/null)," \
    "outer: QEMU $(qemu-system-aarch64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p') TCG -cpu cortex-a57 (2 CPUs, 2G)" \
    "${ICOUNT:+-icount $ICOUNT }> KVM > VMM (2 vCPUs, 512M), guest -> host TCP, $MIB MiB, MTU 1500;" \
    "outer machine wall ${wall}s, status $status"
printf '%-10s %10s %9s %12s %8s  %s\n' run MiB/s seconds frames B/frame "offloads negotiated" | tee -a "$RES"
declare -A rate
for run in $RUNS; do
    sink=$(grep -m1 "BENCH-SINK $run " <<<"$LOG")
    tap=$(grep -m1 "BENCH-TAP $run " <<<"$LOG")
    f=$(sed -n "s/^BENCH-NET run=$run features=\([01]*\).*/\1/p" <<<"$LOG" | head -n1)
    bytes=$(sed -n 's/.*tcpblast-sink: \([0-9]*\) bytes in \([0-9.]*\) s.*/\1/p' <<<"$sink")
    secs=$(sed -n 's/.*tcpblast-sink: \([0-9]*\) bytes in \([0-9.]*\) s.*/\2/p' <<<"$sink")
    if [ "$bytes" = $((MIB * 1048576)) ]; then
        rate[$run]=$(div "$bytes" "$(awk -v s="$secs" 'BEGIN { print s * 1048576 }')" %.1f)
    else
        rate[$run]=
    fi
    offl="$(feature CSUM 0 "$f")$(feature GUEST_CSUM 1 "$f")$(feature GUEST_TSO4 7 "$f")$(feature GUEST_TSO6 8 "$f")"
    offl="$offl$(feature HOST_TSO4 11 "$f")$(feature HOST_TSO6 12 "$f")$(feature MRG_RXBUF 15 "$f")"
    printf '%-10s %10s %9s %12s %8s  %s\n' "$run" "${rate[$run]:-FAIL}" "${secs:-?}" "$(kv frames "$tap")" \
        "$(div "$(kv bytes "$tap")" "$(kv frames "$tap")" %.0f)" "${offl:-none}" | tee -a "$RES"
done
for run in $RUNS; do
    [ "$run" = qemu ] && continue
    case " $RUNS " in *" qemu "*) say "$run / qemu: $(div "${rate[$run]}" "${rate[qemu]:-}" %.2f)x" ;; esac
done
grep -E 'svmm: tap0: tx|svmm: exits:' <<<"$LOG" | sed 's/^/  /' | tee -a "$RES"
say "table: $RES (log: $T/log)"
[ "$status" = 0 ]
