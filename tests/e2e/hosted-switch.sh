#!/bin/bash
# Hosted tier, virtual switch and VM-to-VM vsock, in one QEMU test machine run (tier e2e-switch):
#   switch  `svmm switch` runs with two ports (vm1, vm2, each given a MAC) and two svmm VMMs each put
#           a guest on one port (--net switch=...). The guests (same initramfs; each knows who it is
#           by its MAC) ping each other, move 64 MiB over TCP vm1 -> vm2 with a SHA-256 on both
#           ends, then vm1 takes vm2's MAC, which its port was not given: its frames must be dropped
#           (no ping answer) and counted by the switch. The switch also has a tap uplink to the
#           outer machine (10.0.3.254), which vm1 pings. At the end the switch logs its counters
#           (SIGTERM).
#   vsock   the same two VMMs also link their guests' vsock devices, CIDs 3 (vm1) and 4 (vm2), each
#           with --vsock ...,peer=<other>:/tmp/vv.sock (the VMM of CID 3 listens there, the other
#           connects; it is started first, so it has to retry). Once the switch part is done, the
#           guests (tests/e2e/vsock-vm-guest.sh) connect to each other both ways and echo 4 MiB each,
#           SHA-256 compared on both ends; CID 3 also tries CID 9, which its VMM must refuse at
#           once. The VMMs log each link's counters at exit.
# The two parts were separate tiers (e2e-switch, e2e-vsock-vm), each booting its own test machine
# and its own pair of guests; their checks keep their names ("e2e-switch: ...", "e2e-vsock-vm: ...").
# `make e2e-switch` and `make e2e-vsock-vm` both run this script.
# Prints one "ok"/"FAIL" line per check and "e2e-switch: N passed, N failed" (both parts' checks).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
T=$BUILD/e2e/hosted-switch
TIMEOUT=${E2E_TIMEOUT:-900}
BULK=67108864   # as in tests/e2e/switch-guest.sh
VBULK=4194304   # as in tests/e2e/vsock-vm-guest.sh
mkdir -p "$T/extra"
aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -o "$T/extra/vsock_helper" "$ROOT/tests/e2e/vsock_helper.c"

# Both guests run the switch part, then the vsock part (vm1 is vsockme=3, vm2 vsockme=4).
cat "$ROOT/tests/e2e/switch-guest.sh" "$ROOT/tests/e2e/vsock-vm-guest.sh" > "$T/guest-cmd"
cat > "$T/outer-script" <<'O'
# The uplink: a tap whose other end is this (outer) machine, 10.0.3.254.
modprobe tun
ip tuntap add swup mode tap 2>/dev/null || tunctl -t swup >/dev/null
ip addr add 10.0.3.254/24 dev swup
ip link set swup up
/svmm switch --listen /tmp/sw.sock --port vm1,mac=52:54:00:00:00:01 --port vm2,mac=52:54:00:00:00:02 \
    --uplink tap=swup > /tmp/switch.log 2>&1 &
sw=$!
for i in $(seq 100); do [ -S /tmp/sw.sock ] && break; sleep 0.1; done
# run_vm NAME CID PEER_CID: a guest on switch port NAME whose vsock (CID) is linked to PEER_CID's.
run_vm() {
    /svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 1 --mem 256M \
        --append "console=ttyS0 sw_uplink=10.0.3.254 vsockme=$2" --net switch=/tmp/sw.sock,port=$1 \
        --vsock cid=$2,uds=/tmp/host$2.sock,peer=$3:/tmp/vv.sock < /dev/null > /tmp/$1.out 2> /tmp/$1.log
    echo "VM-EXIT $1 $?"
}
# vm2 (CID 4) connects to the vsock rendezvous that vm1's VMM (CID 3) listens on: started first, it retries.
run_vm vm2 4 3 &
vm2=$!
sleep 1
run_vm vm1 3 4
wait $vm2
kill -TERM $sw; wait $sw
# Each guest's console whole (two consoles on one terminal would interleave mid-line), then the logs.
cat /tmp/vm1.out /tmp/vm2.out
sed 's/^/[vm1] /' /tmp/vm1.log; sed 's/^/[vm2] /' /tmp/vm2.log; sed 's/^/[switch] /' /tmp/switch.log
O

TAG=e2e-switch
. "$ROOT/tests/e2e/lib.sh"
hosted_boot "$T" "$TIMEOUT" --extra "$T/extra" || fail_early "test machine images"

# ---- the switch ----
check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "the switch listened with two ports" "$(has '\[switch\] svmm: switch: 2 ports, listening on /tmp/sw.sock')"
check "both VMMs connected to their ports" "$(is [ "$(grep -cE '\[switch\] svmm: switch: port vm[12] connected' <<<"$LOG")" = 2 ])"
check "vm1's NIC got its port's MAC" "$(has '\[vm1\] svmm: virtio-net on switch port vm1 .*MAC 52:54:00:00:00:01')"
check "both guests up on the switch" "$(is [ "$(grep -cE '^SW-VM[12] up' <<<"$LOG")" = 2 ])"
check "vm1 pings vm2 through the switch (5/5)" "$(has 'SW-VM1-PING status=0 5 packets received')"
check "the switch opened its tap uplink" "$(has '\[switch\] svmm: switch: uplink port swup \(tap\)')"
check "vm1 pings the host behind the uplink (3/3)" "$(has 'SW-VM1-UPLINK-PING status=0 3 packets received')"
digest() { sed -n "s/^$1.* $BULK bytes in .*sha256 \([0-9a-f]\{64\}\).*/\1/p" <<<"$LOG" | tail -n1; }
sent=$(digest 'SW-VM1-SEND tcp-send:') got=$(digest 'SW-VM2-SINK status=0 tcp-sink:')
same() { [ ${#1} = 64 ] && [ "$1" = "$2" ]; }
check "64 MiB TCP vm1 -> vm2, bit for bit (SHA-256 on both ends)" "$(is same "$sent" "$got")"
check "vm1 sending with vm2's MAC reaches nobody (0/3)" "$(has 'SW-VM1-SPOOF-PING status=1 0 packets received')"
spoofed=$(sed -n 's/.*switch port vm1: .*spoofed source \([0-9]*\),.*/\1/p' <<<"$LOG" | tail -n1)
check "the switch dropped and counted vm1's spoofed frames (${spoofed:-none})" "$(is [ "${spoofed:-0}" -ge 3 ])"
check "vm1 back on its own MAC is heard again (done handshake)" "$(has 'SW-VM2-DONE status=0')"
check "both guests powered off, both VMMs exited 0" "$(is [ "$(grep -cE '^VM-EXIT vm[12] 0' <<<"$LOG")" = 2 ])"
check "the switch stopped cleanly on SIGTERM" "$(has '\[switch\] svmm: switch: stopped')"

# ---- VM-to-VM vsock: vm1 is CID 3, vm2 CID 4 ----
TAG=e2e-vsock-vm
check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "the VMM of cid 3 listened, the VMM of cid 4 connected" \
    "$(is [ "$(grep -cE '\[vm1\] svmm: virtio-vsock: peer cid 4 via /tmp/vv.sock \(we listen\)|\[vm2\] svmm: virtio-vsock: peer cid 3 via /tmp/vv.sock \(we connect\)' <<<"$LOG")" = 2 ])"
check "both links up" "$(is [ "$(grep -cE '\[vm(1\] svmm: vsock: link to cid 4|2\] svmm: vsock: link to cid 3) up' <<<"$LOG")" = 2 ])"
check "both guests up" "$(is [ "$(grep -cE '^VV-[34] up' <<<"$LOG")" = 2 ])"
nobody=$(sed -n 's/^VV-3-NOBODY status=\([0-9]*\) after \([0-9]*\) s.*/\1 \2/p' <<<"$LOG")
refused() { set -- $1; [ $# = 2 ] && [ "$1" = 1 ] && [ "$2" -le 5 ]; }
check "cid 3 -> cid 9 (no link) refused at once (${nobody:-no result})" "$(is refused "$nobody")"
# digests SENDER: "sent received served" SHA-256s of SENDER's 4 MiB echo through the other guest.
digests() {
    local other=$(( 7 - $1 ))
    printf '%s %s\n' "$(sed -n "s/^VV-$1-SEND vsock-send reply: $VBULK bytes echoed, sent sha256 \([0-9a-f]*\), received sha256 \([0-9a-f]*\),.*/\1 \2/p" <<<"$LOG" | tail -n1)" \
        "$(sed -n "s/^VV-$other-ECHO status=0 echo: served $VBULK bytes, sha256 \([0-9a-f]*\).*/\1/p" <<<"$LOG" | tail -n1)"
}
same3() { set -- $1; [ $# = 3 ] && [ ${#1} = 64 ] && [ "$1" = "$2" ] && [ "$2" = "$3" ]; }
check "cid 3 -> cid 4: 4 MiB sent, echoed by guest 4 and received back bit for bit (SHA-256)" "$(is same3 "$(digests 3)")"
check "cid 4 -> cid 3: 4 MiB sent, echoed by guest 3 and received back bit for bit (SHA-256)" "$(is same3 "$(digests 4)")"
check "no peer packet refused by either VMM" "$(is [ "$(grep -cE 'svmm: vsock: link to cid [34]: .* 0 refused \(bad header\), 0 guest packets dropped' <<<"$LOG")" = 2 ])"
check "both guests powered off, both VMMs exited 0" "$(is [ "$(grep -cE '^VM-EXIT vm[12] 0' <<<"$LOG")" = 2 ])"

TAG=e2e-switch
echo "e2e-switch: wall ${wall}s"
grep -E 'SW-VM1-SEND|SW-VM2-SINK|switch port vm|\[vm[12]\] svmm: (switch port|exits)|VV-[34]-(SEND|NOBODY)|svmm: vsock: link to' <<<"$LOG" || true
finish "$T/log"
