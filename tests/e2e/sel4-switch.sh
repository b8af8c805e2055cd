#!/bin/bash
# seL4 tier, virtual switch: examples/switch-pair (two Linux VMs, each VMM a port of the switch PD
# "lan") built with `make sel4-system` and booted in QEMU. The guests run tests/e2e/switch-guest.sh,
# as in the hosted tier: alpha (vm1) pings beta (vm2), sends it 64 MiB over TCP (SHA-256 on both
# ends), then sends with beta's MAC, which its port was not given, which the switch must drop and report.
# usage: sel4-switch.sh SDK_DIR [MICROKIT_CONFIG]
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=$1 CONFIG=${2:-debug}
TIMEOUT=${SEL4_TIMEOUT:-1500}
BULK=67108864 # as in tests/e2e/switch-guest.sh
. "$ROOT/tests/e2e/lib.sh"
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
T=$BUILD/e2e/sel4-switch-$CONFIG-$variant
TAG="sel4-switch/$variant/$CONFIG"
rm -rf "$T" && mkdir -p "$T/extra"

aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -o "$T/extra/vsock_helper" "$ROOT/tests/e2e/vsock_helper.c" ||
    fail_early "vsock_helper"
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/guest.cpio.gz" --cmd-file "$ROOT/tests/e2e/switch-guest.sh" \
    --extra "$T/extra" >/dev/null || fail_early "guest initramfs"
sed -e "s|initrd:.*|initrd: $T/guest.cpio.gz|" -e "s|kernel:.*|kernel: $BUILD/machine/Image|" \
    "$ROOT/examples/switch-pair/system.yaml" > "$T/system.yaml"
make -s -C "$ROOT" sel4-system BUILD="$BUILD" MICROKIT_SDK="$SDK" MICROKIT_CONFIG="$CONFIG" SYSTEM="$T/system.yaml" \
    SYSTEM_OUT="$T/out" > "$T/build.log" 2>&1 || fail_early build "$T/build.log"

sel4_boot "$T/out" "$gic" "$T/log" "$TIMEOUT" 2
check "the switch PD started with two ports" "$(has 'svmm\[switch_lan\]\|info: switch switch_lan: 2 ports')"
# The two guests' consoles share the board UART, so their lines can run together: count and pick
# out occurrences (grep -o), not lines.
check "both guests up on the switch" "$(is [ "$(grep -oE 'SW-VM[12] up' <<<"$LOG" | sort -u | wc -l)" = 2 ])"
check "alpha pings beta through the switch (5/5)" "$(has 'SW-VM1-PING status=0 5 packets received')"
digest() { grep -oE "$1 $BULK bytes in [^,]*, [^,]*, sha256 [0-9a-f]{64}" <<<"$LOG" | tail -n1 | grep -oE '[0-9a-f]{64}$'; }
sent=$(digest 'SW-VM1-SEND tcp-send:') got=$(digest 'SW-VM2-SINK status=0 tcp-sink:')
same() { [ ${#1} = 64 ] && [ "$1" = "$2" ]; }
check "64 MiB TCP alpha -> beta, bit for bit (SHA-256 on both ends)" "$(is same "$sent" "$got")"
check "alpha sending with beta's MAC reaches nobody (0/3)" "$(has 'SW-VM1-SPOOF-PING status=1 0 packets received')"
check "the switch dropped and reported alpha's spoofed frames" \
    "$(has 'switch port alpha: dropped a frame with source MAC 52:54:00:00:00:02')"
check "alpha back on its own MAC is heard again (done handshake)" "$(has 'SW-VM2-DONE status=0')"
check "both VMs stopped (two VMM exit summaries)" "$(is [ $status = stopped ])"
for vm in alpha beta; do
    check "VMM of $vm reported its guest's power-off" "$(has "VM $vm stopped: guest powered off")"
done
echo "$TAG: wall ${wall}s"
grep -aE 'SW-VM1-SEND|SW-VM2-SINK|switch port' <<<"$LOG" || true
finish "$T/log"
