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
# then the VM -> VM runs: two VMs of the same VMM, the sink VM in the background, the sender in front:
#   svmm-v2v   (and svmm-base-v2v) both on /svmm switch, ports a and b
#   qemu-v2v   both QEMU-KVM as above, on tap1 and tap2 joined by a Linux bridge (br0)
# KVM's own exit counters (debugfs, all VMs) are read over each transfer, for every VMM alike.
# Each guest sends BENCH_NET_MIB MiB with tests/bench/tcpblast.c to its sink in the outer machine,
# which times it from the first byte to EOF (tests/e2e/vsock_helper.c would hash every byte, and
# under -icount the hashing, not the VMM, would set the rate; integrity is hosted-net.sh's job). The
# tap is created afresh for every run (a persistent tap keeps its last user's TUNSETOFFLOAD); its rx
# counters give the frames the VMM wrote, so bytes per frame shows whether TSO was used. After the
# transfer the guest pings the outer machine (average round trip: idle, 5 a second, and back to
# back with -A), for the latency a VMM's transmit path adds.
# QEMU's arm64 build and its libraries come from tests/machine/fetch.sh --qemu (Debian packages).
#
# Knobs: BENCH_NET_MIB (256), BENCH_NET_RUNS ("svmm qemu svmm-v2v qemu-v2v", plus svmm-base and
#        svmm-base-v2v when BENCH_NET_SVMM_BASE is set), BENCH_NET_ICOUNT (shift=0,sleep=off; empty:
#        no -icount, wall-clock time), BENCH_TIMEOUT (3600).
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
RUNS=${BENCH_NET_RUNS:-svmm ${BASE:+svmm-base} qemu svmm-v2v ${BASE:+svmm-base-v2v} qemu-v2v}
ICOUNT=${BENCH_NET_ICOUNT-shift=0,sleep=off}
TIMEOUT=${BENCH_TIMEOUT:-3600}
RES=$BUILD/bench/net-results.txt
rm -rf "$T/gextra" "$T/extra"
mkdir -p "$T/gextra" "$T/extra/qemu/lib"

[ -x "$BUILD/aarch64/svmm" ] || { echo "bench-net: no $BUILD/aarch64/svmm (make svmm)"; exit 1; }
[ -z "$BASE" ] || [ -x "$BASE" ] || { echo "bench-net: BENCH_NET_SVMM_BASE=$BASE is not an executable"; exit 1; }
aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -o "$T/gextra/tcpblast" "$ROOT/tests/bench/tcpblast.c" ||
    { echo "bench-net: cannot build tcpblast"; exit 1; }
cp "$T/gextra/tcpblast" "$T/extra/"
# The bridge (and what it needs) from the outer kernel's modules, for the QEMU VM -> VM runs.
KMOD=$BUILD/machine/root-kernel/lib/modules/$(cat "$BUILD/machine/kver")/kernel/net
mkdir -p "$T/extra/kmod"
cp "$KMOD/llc/llc.ko" "$KMOD/802/stp.ko" "$KMOD/bridge/bridge.ko" "$T/extra/kmod/" ||
    { echo "bench-net: no bridge modules under $KMOD"; exit 1; }
[ -z "$BASE" ] || cp "$BASE" "$T/extra/svmm-base"

# QEMU in the outer machine, in /qemu (tests/bench/stage-qemu.sh).
"$ROOT/tests/bench/stage-qemu.sh" "$T/extra/qemu" || { echo "bench-net: cannot stage the arm64 QEMU"; exit 1; }

# The guest: the same for every VMM. bench_role= on its command line says what it does: send (to
# the outer machine, guest -> host), v2v-send or v2v-sink (VM -> VM; each VM knows its address by
# its role). A v2v guest says when its transfer begins and ends (BENCH-V2V-MARK) and idles a little
# after, so that the outer machine can read KVM's counters while both VMs still exist.
cat > "$T/guest-cmd" <<G
BYTES=$((MIB * 1048576))
G
cat >> "$T/guest-cmd" <<'G'
run=$(sed -n 's/.*bench_run=\([a-z0-9-]*\).*/\1/p' /proc/cmdline)
role=$(sed -n 's/.*bench_role=\([a-z0-9-]*\).*/\1/p' /proc/cmdline)
case $role in
    send) me=10.0.2.15 peer=10.0.2.1 ;;
    v2v-send) me=10.0.3.1 peer=10.0.3.2 ;;
    v2v-sink) me=10.0.3.2 peer=10.0.3.1 ;;
esac
ip link set eth0 up && ip addr add $me/24 dev eth0
for d in /sys/bus/virtio/devices/*; do
    [ -e "$d/net/eth0" ] && echo "BENCH-NET run=$run role=$role features=$(cat "$d/features")"
done
s=/sys/class/net/eth0/statistics
case $role in
    send)
        ping -c 2 -W 5 $peer > /dev/null || echo "BENCH-NET run=$run ping failed"
        /tcpblast send $peer 5001 $BYTES; rc=$?
        # Round trips through the tap, the link otherwise idle: 5 a second, then each request as soon
        # as the answer is in (-A), which is where transmit batching could add its delay.
        echo "BENCH-PING run=$run $(ping -c 20 -i 0.2 $peer | grep round-trip)"
        echo "BENCH-PINGA run=$run $(ping -A -c 500 -q $peer | grep round-trip)" ;;
    v2v-sink)
        /tcpblast sink 5001 > /sink.log 2>&1; rc=$?
        echo "BENCH-V2V-MARK end"
        echo "BENCH-V2V run=$run $(cat /sink.log)"
        sleep 3 ;;
    v2v-send)
        # The sink VM may still be booting: wait for its first answer, then for its listener.
        for i in $(seq 120); do ping -c 1 -W 2 $peer > /dev/null 2>&1 && break; done
        echo "BENCH-V2V-MARK begin"
        sleep 1
        for i in $(seq 30); do /tcpblast send $peer 5001 $BYTES > /send.log 2>&1 && break; sleep 1; done
        rc=$?
        cat /send.log
        sleep 5 ;;
esac
echo "BENCH-NET run=$run role=$role send_rc=$rc tx_packets=$(cat $s/tx_packets) rx_packets=$(cat $s/rx_packets)"
G

cat > "$T/outer-script" <<O
RUNS="$RUNS"
O
cat >> "$T/outer-script" <<'O'
modprobe tun
# The Linux bridge for the QEMU VM -> VM runs (modules from the outer kernel's package, in /kmod).
for m in llc stp bridge; do insmod /kmod/$m.ko; done
mount -t debugfs none /sys/kernel/debug 2>/dev/null
KVMDIR=/sys/kernel/debug/kvm
st=/sys/class/net/tap0/statistics
up() { cut -d' ' -f1 /proc/uptime; }
kvmstat() { echo "exits=$(cat $KVMDIR/exits) mmio_exit_user=$(cat $KVMDIR/mmio_exit_user) mmio_exit_kernel=$(cat $KVMDIR/mmio_exit_kernel)"; }
fresh_tap() { ip link del "$1" 2>/dev/null; ip tuntap add "$1" mode tap 2>/dev/null || tunctl -t "$1" >/dev/null; }
# svmm_vm RUN ROLE NETARG: one svmm VM; qemu_vm RUN ROLE TAP MAC CONSOLE: one QEMU-KVM VM (no vhost,
# the device on virtio-mmio like svmm's, the console on hvc0 as guest-init.sh expects).
svmm_vm() {
    bin=/${1%-v2v}
    $bin run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 512M \
        --append "console=ttyS0 quiet bench_run=$1 bench_role=$2" --net "$3"
}
qemu_vm() {
    /qemu/lib/ld-linux-aarch64.so.1 --library-path /qemu/lib /qemu/qemu \
        -netdev tap,id=n0,ifname=$3,script=no,downscript=no,vhost=off -device virtio-net-device,netdev=n0,mac=$4 \
        -M virt,gic-version=3 -enable-kvm -cpu host -smp 2 -m 512M -nodefaults -no-reboot \
        -display none -serial file:/tmp/qemu-$2-ttyAMA0.log \
        -chardev $5,id=con,signal=off -device virtio-serial-device -device virtconsole,chardev=con \
        -kernel /guest/Image -initrd /guest/initrd.cpio.gz -append "console=ttyAMA0 quiet bench_run=$1 bench_role=$2"
}
# mark_kvm FILE WORD OUT: when FILE shows "BENCH-V2V-MARK WORD", save KVM's counters in OUT.
mark_kvm() {
    for _ in $(seq 6000); do grep -q "BENCH-V2V-MARK $2" "$1" 2>/dev/null && break; sleep 0.1; done
    kvmstat > "$3"
}
# One guest -> host run on a fresh tap0, the sink in this machine.
host_run() {
    fresh_tap tap0
    ip addr add 10.0.2.1/24 dev tap0
    ip link set tap0 up
    rm -f /tmp/sink.log
    /tcpblast sink 5001 $KVMDIR > /tmp/sink.log 2>&1 &
    sink=$!
    p0=$(cat $st/rx_packets) b0=$(cat $st/rx_bytes)
    case $1 in
        qemu) qemu_vm qemu send tap0 52:54:00:12:34:56 stdio ;;
        *) svmm_vm "$1" send tap=tap0,mac=52:54:00:12:34:56 ;;
    esac
    s=$?
    # The sink prints once it has read to EOF, which may trail the VM's exit a little.
    for _ in $(seq 50); do [ -s /tmp/sink.log ] && break; sleep 0.1; done
    kill $sink 2>/dev/null
    echo "[outer] BENCH-TAP $1 frames=$(( $(cat $st/rx_packets) - p0 )) bytes=$(( $(cat $st/rx_bytes) - b0 ))"
    echo "[outer] BENCH-SINK $1 $(grep tcpblast-sink /tmp/sink.log)"
    echo "[outer] BENCH-KVM $1 $(grep tcpblast-kvm /tmp/sink.log)"
}
# One VM -> VM run: the sink VM in the background, the sender in the foreground, both consoles in
# files; svmm's VMs on an `svmm switch`, QEMU's on taps in a Linux bridge.
v2v_run() {
    rm -f /tmp/v2v-*.log /tmp/kvm-*
    case $1 in
        qemu-v2v)
            ip link del br0 2>/dev/null
            ip link add br0 type bridge && ip link set br0 up
            for t in tap1 tap2; do fresh_tap $t; ip link set $t master br0; ip link set $t up; done
            p0=$(cat /sys/class/net/tap1/statistics/rx_packets) b0=$(cat /sys/class/net/tap1/statistics/rx_bytes)
            qemu_vm $1 v2v-sink tap2 52:54:00:00:00:02 file,path=/tmp/v2v-sink.log < /dev/null > /dev/null 2>&1 &
            sinkvm=$!
            mark_kvm /tmp/v2v-send.log begin /tmp/kvm-begin & m1=$!
            mark_kvm /tmp/v2v-sink.log end /tmp/kvm-end & m2=$!
            qemu_vm $1 v2v-send tap1 52:54:00:00:00:01 file,path=/tmp/v2v-send.log < /dev/null > /dev/null 2>&1
            s=$? ;;
        *)
            rm -f /tmp/sw.sock
            /svmm switch --listen /tmp/sw.sock --port a,mac=52:54:00:00:00:01 --port b,mac=52:54:00:00:00:02 \
                > /tmp/v2v-switch.log 2>&1 &
            sw=$!
            for _ in $(seq 100); do [ -S /tmp/sw.sock ] && break; sleep 0.1; done
            svmm_vm $1 v2v-sink switch=/tmp/sw.sock,port=b < /dev/null > /tmp/v2v-sink.log 2>&1 &
            sinkvm=$!
            mark_kvm /tmp/v2v-send.log begin /tmp/kvm-begin & m1=$!
            mark_kvm /tmp/v2v-sink.log end /tmp/kvm-end & m2=$!
            svmm_vm $1 v2v-send switch=/tmp/sw.sock,port=a < /dev/null > /tmp/v2v-send.log 2>&1
            s=$? ;;
    esac
    wait $sinkvm || s=$?
    wait $m1 $m2
    if [ $1 = qemu-v2v ]; then
        echo "[outer] BENCH-TAP $1 frames=$(( $(cat /sys/class/net/tap1/statistics/rx_packets) - p0 )) bytes=$(( $(cat /sys/class/net/tap1/statistics/rx_bytes) - b0 ))"
        ip link del br0
    else
        kill $sw; wait $sw
        sed "s/^/[$1 switch] /" /tmp/v2v-switch.log
    fi
    sed "s/^/[$1 sink] /" /tmp/v2v-sink.log
    sed "s/^/[$1 send] /" /tmp/v2v-send.log
    echo "[outer] BENCH-KVM0 $1 $(cat /tmp/kvm-begin)"
    echo "[outer] BENCH-KVM1 $1 $(cat /tmp/kvm-end)"
}
rc=0
for run in $RUNS; do
    echo "[outer] BENCH-BEGIN $run"
    t0=$(up)
    case $run in
        *-v2v) v2v_run $run ;;
        *) host_run $run ;;
    esac
    echo "[outer] BENCH-END $run exit $s after $(awk -v a="$t0" -v b="$(up)" 'BEGIN { print b - a }') s"
    [ $s = 0 ] || rc=$s
done
exit $rc
O

TAG=bench-net
. "$ROOT/tests/e2e/lib.sh"
mkdir -p "$T"
machine_run "$T" "$TIMEOUT" "--extra $T/gextra" "--extra $T/extra" "$ICOUNT" ||
    { echo "bench-net: cannot build the test machine images"; exit 1; }

kv() { sed -n "s/.*[ ]$1=\([^ ;,]*\).*/\1/p" <<<"$2" | head -n1; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (a != "" && b != "" && b > 0) printf f, a / b; else print "?" }'; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "") print a - b; else print "" }'; }
# feature NAME BIT STRING: NAME when bit BIT is set in the guest's feature string.
feature() { [ "${3:$2:1}" = 1 ] && printf '%s ' "$1"; }
# avg_rtt PING|PINGA RUN: the average of that ping's round trips, in ms.
avg_rtt() { sed -n "s/.*BENCH-$1 run=$2 round-trip min\/avg\/max = [0-9.]*\/\([0-9.]*\)\/.*/\1/p" <<<"$LOG" | head -n1; }
# rate BYTES SECS: MiB/s when BYTES is the whole transfer, else empty.
rate() { [ "$1" = $((MIB * 1048576)) ] && div "$1" "$(awk -v s="$2" 'BEGIN { print s * 1048576 }')" %.1f; }

: > "$RES"
say() { echo "$*" | tee -a "$RES"; }
say "svmm hosted virtio-net bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$ROOT" describe --always --dirty 2>/dev/null)," \
    "outer: QEMU $(qemu-system-aarch64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p') TCG -cpu cortex-a57 (2 CPUs, 2G)" \
    "${ICOUNT:+-icount $ICOUNT }> KVM > VMM (2 vCPUs, 512M), $MIB MiB over TCP, MTU 1500;" \
    "outer machine wall ${wall}s, status $status"
say "KVM's exits during the transfer (debugfs, all VMs), per frame: all / MMIO to the VMM / MMIO kept in KVM (ioeventfd)"
printf '%-14s %8s %8s %9s %8s %6s %6s %6s %7s %7s  %s\n' run MiB/s seconds frames B/frame exit/f user/f kern/f \
    "ping" "ping -A" "offloads negotiated" | tee -a "$RES"
declare -A rate
for run in $RUNS; do
    f=$(sed -n "s/.*BENCH-NET run=$run role=[a-z0-9-]* features=\([01]*\).*/\1/p" <<<"$LOG" | head -n1)
    tap=$(grep -m1 "BENCH-TAP $run " <<<"$LOG")
    case $run in
        *-v2v)
            sink=$(grep -m1 "BENCH-V2V run=$run " <<<"$LOG")
            k0=$(grep -m1 "BENCH-KVM0 $run " <<<"$LOG") k1=$(grep -m1 "BENCH-KVM1 $run " <<<"$LOG")
            # svmm: the frames port a sent into the switch; QEMU: what tap1 took into the bridge.
            if [ "$run" != qemu-v2v ]; then
                tx=$(grep -m1 "\[$run send\] svmm: switch port a: tx" <<<"$LOG")
                tap=" frames=$(sed -n 's/.*: tx \([0-9]*\) packets \([0-9]*\) bytes.*/\1/p' <<<"$tx")"
                tap="$tap bytes=$(sed -n 's/.*: tx \([0-9]*\) packets \([0-9]*\) bytes.*/\2/p' <<<"$tx")"
            fi
            ex=$(sub "$(kv exits "$k1")" "$(kv exits "$k0")")
            us=$(sub "$(kv mmio_exit_user "$k1")" "$(kv mmio_exit_user "$k0")")
            ke=$(sub "$(kv mmio_exit_kernel "$k1")" "$(kv mmio_exit_kernel "$k0")") ;;
        *)
            sink=$(grep -m1 "BENCH-SINK $run " <<<"$LOG")
            k=$(grep -m1 "BENCH-KVM $run " <<<"$LOG")
            ex=$(kv exits "$k") us=$(kv mmio_exit_user "$k") ke=$(kv mmio_exit_kernel "$k") ;;
    esac
    bytes=$(sed -n 's/.*tcpblast-sink: \([0-9]*\) bytes in \([0-9.]*\) s.*/\1/p' <<<"$sink")
    secs=$(sed -n 's/.*tcpblast-sink: \([0-9]*\) bytes in \([0-9.]*\) s.*/\2/p' <<<"$sink")
    rate[$run]=$(rate "$bytes" "$secs")
    fr=$(kv frames "$tap")
    offl="$(feature CSUM 0 "$f")$(feature GUEST_CSUM 1 "$f")$(feature GUEST_TSO4 7 "$f")$(feature GUEST_TSO6 8 "$f")"
    offl="$offl$(feature HOST_TSO4 11 "$f")$(feature HOST_TSO6 12 "$f")$(feature MRG_RXBUF 15 "$f")"
    # ping's average round trips in ms (guest -> host runs only).
    rtt=$(avg_rtt PING "$run") rtta=$(avg_rtt PINGA "$run")
    printf '%-14s %8s %8s %9s %8s %6s %6s %6s %7s %7s  %s\n' "$run" "${rate[$run]:-FAIL}" "${secs:-?}" "${fr:-?}" \
        "$(div "$(kv bytes "$tap")" "$fr" %.0f)" "$(div "$ex" "$fr")" "$(div "$us" "$fr")" "$(div "$ke" "$fr")" \
        "${rtt:--}" "${rtta:--}" "${offl:-none}" | tee -a "$RES"
done
for run in $RUNS; do
    case $run in qemu|qemu-v2v) continue ;; *-v2v) q=qemu-v2v ;; *) q=qemu ;; esac
    case " $RUNS " in *" $q "*) say "$run / $q: $(div "${rate[$run]}" "${rate[$q]:-}" %.2f)x" ;; esac
done
grep -E 'svmm: tap0: |svmm: exits:|svmm: switch port [ab]: |switch: port' <<<"$LOG" | sed 's/^/  /' | tee -a "$RES"
say "table: $RES (log: $T/log)"
[ "$status" = 0 ]
