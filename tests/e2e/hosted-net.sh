#!/bin/bash
# Hosted tier, virtio-net: inside the QEMU test machine the outer system creates tap0
# (10.0.2.1/24), svmm gives the guest a virtio-net on it (--net tap=tap0,mac=...), and the guest
# configures eth0 as 10.0.2.15/24 and pings 10.0.2.1: small frames, then 8000-byte pings with a
# 9000-byte MTU on both ends, whose 9 KB frames need several mergeable receive buffers, then 64
# back-to-back jumbo pings. A second NIC on tap1 (default MAC) shows up as eth1.
# Offloads: the guest's negotiated feature bits (/sys/bus/virtio/devices/*/features, one character
# per bit from bit 0) must include CSUM, GUEST_CSUM, GUEST_TSO4/6 and HOST_TSO4/6, svmm must set the
# tap's TUNSETOFFLOAD to match, and TCP moves 16 MiB each way plus 64 MiB guest -> host, each
# checked by SHA-256 on both ends.
# Prints one "ok"/"FAIL" line per check and "e2e-net: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
T=$BUILD/e2e/hosted-net
TIMEOUT=${E2E_TIMEOUT:-900}
mkdir -p "$T/extra"
aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -o "$T/extra/vsock_helper" "$ROOT/tests/e2e/vsock_helper.c"

cat > "$T/guest-cmd" <<'G'
echo "NET-MAC $(cat /sys/class/net/eth0/address)"
# The negotiated features of eth0's virtio device (bit 0 first): the offloads the driver took.
for d in /sys/bus/virtio/devices/*; do
    [ -e "$d/net/eth0" ] && echo "NET-FEATURES eth0 $(cat "$d/features")"
done
echo "NET-MAC1 $(cat /sys/class/net/eth1/address) carrier=$(ip link set eth1 up; sleep 0.2; cat /sys/class/net/eth1/carrier)"
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0
ping -c 3 -W 5 10.0.2.1 > /ping-small.log; echo "NET-PING-SMALL status=$? $(grep -o '[0-9]* packets received' /ping-small.log)"
ip link set eth0 mtu 9000
ping -c 3 -W 5 -s 8000 10.0.2.1 > /ping-jumbo.log; echo "NET-PING-JUMBO status=$? $(grep -o '[0-9]* packets received' /ping-jumbo.log)"
# 64 pings back to back, each the largest the MTU allows: a simple throughput/latency figure
start=$(cut -d' ' -f1 /proc/uptime)
ping -c 64 -A -w 120 -s 8972 -q 10.0.2.1 > /ping-flood.log; r=$?
end=$(cut -d' ' -f1 /proc/uptime)
echo "NET-PING-FLOOD status=$r $(grep -o '[0-9]* packets received' /ping-flood.log) seconds=$(awk -v a=$start -v b=$end 'BEGIN{print b-a}')"
# 16 MiB of TCP each way (tests/e2e/vsock_helper.c tcp-send/tcp-sink on both sides)
timeout 120 /vsock_helper tcp-send 10.0.2.1 5001 16777216; echo "NET-TCP-TX status=$?"
timeout 120 /vsock_helper tcp-sink 5002; echo "NET-TCP-RX status=$?"
# 64 MiB guest -> host: large TSO frames for longer than the 16 MiB run
timeout 300 /vsock_helper tcp-send 10.0.2.1 5003 67108864; echo "NET-TCP-TX64 status=$?"
echo "NET-STATS $(cat /sys/class/net/eth0/statistics/rx_packets) rx, $(cat /sys/class/net/eth0/statistics/tx_packets) tx, $(cat /sys/class/net/eth0/statistics/rx_errors) rx errors"
G
cat > "$T/outer-script" <<'O'
modprobe tun
ip tuntap add tap0 mode tap 2>/dev/null || tunctl -t tap0 >/dev/null
ip addr add 10.0.2.1/24 dev tap0
ip link set tap0 mtu 9000
ip link set tap0 up
ip tuntap add tap1 mode tap 2>/dev/null || tunctl -t tap1 >/dev/null
ip link set tap1 up
/vsock_helper tcp-sink 5001 > /tmp/tcp-sink.log 2>&1 &
/vsock_helper tcp-sink 5003 > /tmp/tcp-sink64.log 2>&1 &
(sleep 5; /vsock_helper tcp-send 10.0.2.15 5002 16777216 > /tmp/tcp-send.log 2>&1) &
/svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 512M \
    --append "console=ttyS0" --net tap=tap0,mac=52:54:00:12:34:56 --net tap=tap1
st=$?
echo "host tcp-sink: $(cat /tmp/tcp-sink.log)"
echo "host tcp-send: $(cat /tmp/tcp-send.log)"
echo "host tcp-sink64: $(cat /tmp/tcp-sink64.log)"
exit $st
O

TAG=e2e-net
. "$ROOT/tests/e2e/lib.sh"
hosted_boot "$T" "$TIMEOUT" --extra "$T/extra" || fail_early "test machine images"


check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "svmm opened tap0" "$(has 'svmm: virtio-net on tap tap0, MAC 52:54:00:12:34:56')"
# feature_bits: eth0's negotiated feature string; bit N is character N + 1.
feature_bits() { sed -n 's/^NET-FEATURES eth0 \([01]*\).*/\1/p' <<<"$LOG" | tail -n1; }
has_bits() {
    local f; f=$(feature_bits)
    for b in "$@"; do [ "${f:$b:1}" = 1 ] || return 1; done
}
check "guest negotiated CSUM, GUEST_CSUM, GUEST_TSO4/6, HOST_TSO4/6 (bits 0 1 7 8 11 12)" "$(is has_bits 0 1 7 8 11 12)"
check "svmm set tap0's TUNSETOFFLOAD to the guest's (CSUM|TSO4|TSO6|ECN)" "$(has 'svmm: tap0: receive offloads now 0x[0-9a-f]+ \(TUN_F 0xf\)')"
check "guest loaded virtio_net" "$(has '\[guest-init\] loaded virtio_net')"
check "guest eth0 has the configured MAC" "$(has 'NET-MAC 52:54:00:12:34:56')"
check "second NIC (tap1) is eth1 with the default MAC, link up" "$(has 'NET-MAC1 02:73:76:6d:00:01 carrier=1')"
# Each ping run reports its own count, so no check can be satisfied by another run's output.
check "guest pings the host over tap with small frames (3/3)" "$(has 'NET-PING-SMALL status=0 3 packets received')"
check "8000-byte pings with MTU 9000, mergeable rx buffers (3/3)" "$(has 'NET-PING-JUMBO status=0 3 packets received')"
check "64 back-to-back 9000-byte pings (64/64)" "$(has 'NET-PING-FLOOD status=0 64 packets received')"
# tcp_digests SENDER_TAG SINKER_TAG: the SHA-256 the sender computed and the one the receiver did.
tcp_digests() {
    local n=${3:-16777216}
    echo "$(sed -n "s/^$1: $n bytes in .*sha256 \([0-9a-f]*\).*/\1/p" <<<"$LOG" | tail -n1)" \
         "$(sed -n "s/^$2: $n bytes in .*sha256 \([0-9a-f]*\).*/\1/p" <<<"$LOG" | tail -n1)"
}
same2() { set -- $1; [ $# = 2 ] && [ ${#1} = 64 ] && [ "$1" = "$2" ]; }
check "16 MiB TCP guest -> host, bit for bit (SHA-256 on both ends)" "$(is same2 "$(tcp_digests 'tcp-send' 'host tcp-sink: tcp-sink')")"
check "16 MiB TCP host -> guest, bit for bit (SHA-256 on both ends)" "$(is same2 "$(tcp_digests 'host tcp-send: tcp-send' 'tcp-sink')")"
check "64 MiB TCP guest -> host, bit for bit (SHA-256 on both ends)" "$(is same2 "$(tcp_digests 'tcp-send' 'host tcp-sink64: tcp-sink' 67108864)")"
check "no rx errors in the guest" "$(has 'NET-STATS [0-9]+ rx, [0-9]+ tx, 0 rx errors')"
check "several buffers per jumbo frame (num_buffers > 1)" "$(awk '/svmm: tap0: tx/ { for (i = 1; i <= NF; i++) { if ($i == "rx") p = $(i+1); if ($i == "in") b = $(i+1) } } END { exit !(b > p) }' <<<"$LOG"; echo $?)"
check "guest powered off, svmm exited 0" "$(is [ $status = 0 ])"

echo "e2e-net: wall ${wall}s"
grep -E 'tcp-s(ink|end): |NET-PING-FLOOD|rtt min|svmm: tap0:|svmm: exits:' <<<"$LOG" || true
finish "$T/log"
