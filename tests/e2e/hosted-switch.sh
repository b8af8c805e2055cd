#!/bin/bash
# Hosted tier, virtual switch: inside the QEMU test machine, `svmm switch` runs with two ports (vm1,
# vm2, each given a MAC) and two svmm VMMs each put a guest on one port (--net switch=...). The
# guests (same initramfs; each knows who it is by its MAC) ping each other, move 64 MiB over TCP
# vm1 -> vm2 with a SHA-256 on both ends, then vm1 changes its MAC to one it was not given: its
# frames must be dropped (no ping answer) and counted by the switch. At the end the switch logs
# its counters (SIGTERM).
# Prints one "ok"/"FAIL" line per check and "e2e-switch: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
T=$BUILD/e2e/hosted-switch
TIMEOUT=${E2E_TIMEOUT:-900}
BULK=67108864
mkdir -p "$T/extra"
aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -o "$T/extra/vsock_helper" "$ROOT/tests/e2e/vsock_helper.c"

cat > "$T/guest-cmd" <<G
mac=\$(cat /sys/class/net/eth0/address)
case \$mac in
    52:54:00:00:00:01) me=1 ;;
    52:54:00:00:00:02) me=2 ;;
    *) echo "SW-UNKNOWN-MAC \$mac"; exit 1 ;;
esac
ip link set eth0 up && ip addr add 10.0.3.\$me/24 dev eth0
echo "SW-VM\$me up, MAC \$mac"
if [ \$me = 2 ]; then
    timeout 400 /vsock_helper tcp-sink 5001 > /sink.log 2>&1; echo "SW-VM2-SINK status=\$? \$(cat /sink.log)"
    # vm1 says it is done by connecting to 5002; until then vm2 answers pings.
    timeout 400 /vsock_helper tcp-sink 5002 > /done.log 2>&1; echo "SW-VM2-DONE status=\$?"
else
    # vm2 may still be booting: wait for its first answer (up to about 4 minutes).
    for i in \$(seq 120); do ping -c 1 -W 2 10.0.3.2 > /dev/null 2>&1 && break; done
    ping -c 5 -W 5 10.0.3.2 > /ping.log; echo "SW-VM1-PING status=\$? \$(grep -o '[0-9]* packets received' /ping.log)"
    for i in \$(seq 30); do
        timeout 400 /vsock_helper tcp-send 10.0.3.2 5001 $BULK > /send.log 2>&1 && break
        sleep 2
    done
    echo "SW-VM1-SEND \$(cat /send.log)"
    # A MAC this port was not given: the switch drops what vm1 sends now.
    ip link set eth0 down; ip link set eth0 address 52:54:00:00:00:66; ip link set eth0 up
    ip neigh flush dev eth0
    ping -c 3 -W 2 10.0.3.2 > /spoof.log; echo "SW-VM1-SPOOF-PING status=\$? \$(grep -o '[0-9]* packets received' /spoof.log)"
    ip link set eth0 down; ip link set eth0 address 52:54:00:00:00:01; ip link set eth0 up
    for i in \$(seq 30); do /vsock_helper tcp-send 10.0.3.2 5002 1 > /dev/null 2>&1 && break; sleep 1; done
    echo "SW-VM1-DONE"
fi
G
cat > "$T/outer-script" <<'O'
/svmm switch --listen /tmp/sw.sock --port vm1,mac=52:54:00:00:00:01 --port vm2,mac=52:54:00:00:00:02 \
    > /tmp/switch.log 2>&1 &
sw=$!
for i in $(seq 100); do [ -S /tmp/sw.sock ] && break; sleep 0.1; done
run_vm() {
    /svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 1 --mem 256M \
        --append "console=ttyS0" --net switch=/tmp/sw.sock,port=$1 < /dev/null > /tmp/$1.out 2> /tmp/$1.log
    echo "VM-EXIT $1 $?"
}
run_vm vm2 &
vm2=$!
run_vm vm1
wait $vm2
kill -TERM $sw; wait $sw
# Each guest's console whole (two consoles on one terminal would interleave mid-line), then the logs.
cat /tmp/vm1.out /tmp/vm2.out
sed 's/^/[vm1] /' /tmp/vm1.log; sed 's/^/[vm2] /' /tmp/vm2.log; sed 's/^/[switch] /' /tmp/switch.log
O

TAG=e2e-switch
. "$ROOT/tests/e2e/lib.sh"
hosted_boot "$T" "$TIMEOUT" --extra "$T/extra" || fail_early "test machine images"

check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "the switch listened with two ports" "$(has '\[switch\] svmm: switch: 2 ports, listening on /tmp/sw.sock')"
check "both VMMs connected to their ports" "$(is [ "$(grep -cE '\[switch\] svmm: switch: port vm[12] connected' <<<"$LOG")" = 2 ])"
check "vm1's NIC got its port's MAC" "$(has '\[vm1\] svmm: virtio-net on switch port vm1 .*MAC 52:54:00:00:00:01')"
check "both guests up on the switch" "$(is [ "$(grep -cE '^SW-VM[12] up' <<<"$LOG")" = 2 ])"
check "vm1 pings vm2 through the switch (5/5)" "$(has 'SW-VM1-PING status=0 5 packets received')"
digest() { sed -n "s/^$1.* $BULK bytes in .*sha256 \([0-9a-f]\{64\}\).*/\1/p" <<<"$LOG" | tail -n1; }
sent=$(digest 'SW-VM1-SEND tcp-send:') got=$(digest 'SW-VM2-SINK status=0 tcp-sink:')
same() { [ ${#1} = 64 ] && [ "$1" = "$2" ]; }
check "64 MiB TCP vm1 -> vm2, bit for bit (SHA-256 on both ends)" "$(is same "$sent" "$got")"
check "vm1 with a MAC it was not given reaches nobody (0/3)" "$(has 'SW-VM1-SPOOF-PING status=1 0 packets received')"
spoofed=$(sed -n 's/.*switch port vm1: .*spoofed source \([0-9]*\),.*/\1/p' <<<"$LOG" | tail -n1)
check "the switch dropped and counted vm1's spoofed frames (${spoofed:-none})" "$(is [ "${spoofed:-0}" -ge 3 ])"
check "vm1 back on its own MAC is heard again (done handshake)" "$(has 'SW-VM2-DONE status=0')"
check "both guests powered off, both VMMs exited 0" "$(is [ "$(grep -cE '^VM-EXIT vm[12] 0' <<<"$LOG")" = 2 ])"
check "the switch stopped cleanly on SIGTERM" "$(has '\[switch\] svmm: switch: stopped')"

echo "e2e-switch: wall ${wall}s"
grep -E 'SW-VM1-SEND|SW-VM2-SINK|switch port vm|\[vm[12]\] svmm: (switch port|exits)' <<<"$LOG" || true
finish "$T/log"
