#!/bin/bash
# make bench-sel4-net: instructions per 1,500-byte frame VM -> VM through the seL4 virtual switch,
# split by where they run (guest kernel, guest user, seL4 kernel, VMMs, switch PD). Not a test: it
# measures and prints a table (docs/performance.md, "seL4 switch: instructions per frame").
#
# examples/switch-pair (release), under QEMU -icount shift=0,sleep=off with the tbprof plugin, twice:
# run A, alpha pings beta and both power off; run B, the same and then alpha sends BENCH_NET_MIB MiB
# over TCP to beta. The difference B - A, divided by the data frames alpha sent in B beyond A, is
# what a frame costs (its share of beta's ACKs included). tbprof keys each block by virtual and
# physical address: seL4's kernel runs at 0x80_0000_0000 and up, Linux kernels at 0xffff..., and
# the protection domains, all linked at one base, are told apart by the physical addresses the
# loader put their ELF segments at (Microkit's report).
# usage: tests/bench/sel4-net.sh [SDK_DIR]   (default $MICROKIT_SDK or /opt/microkit-sdk-2.0.1)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MIB=${BENCH_NET_MIB:-8}
. "$ROOT/tests/bench/sel4-lib.sh"
sel4_bench_setup sel4-net "${1:-}"
mkdir -p "$T/extra"
# tcpblast (not vsock_helper): no hashing in the guests, so their user-level share is small.
aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -o "$T/extra/tcpblast" "$ROOT/tests/bench/tcpblast.c" || exit 1
aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -o "$T/extra/vsock_helper" "$ROOT/tests/e2e/vsock_helper.c" || exit 1

# run NAME BYTES: build and boot the system whose alpha sends BYTES to beta; leaves $T/NAME.{log,prof}.
run() {
    local name=$1 bytes=$2
    cat > "$T/cmd-$name" <<G
mac=\$(cat /sys/class/net/eth0/address)
me=\${mac##*:}; me=\${me#0}
ip link set eth0 up && ip addr add 10.0.3.\$me/24 dev eth0
if [ \$me = 2 ]; then
    [ $bytes = 0 ] || /tcpblast sink 5001 > /dev/null
    /vsock_helper tcp-sink 5002 > /dev/null
else
    for i in \$(seq 120); do ping -c 1 -W 2 10.0.3.2 > /dev/null 2>&1 && break; done
    before=\$(cat /sys/class/net/eth0/statistics/tx_packets)
    [ $bytes = 0 ] || /tcpblast send 10.0.3.2 5001 $bytes > /dev/null
    echo "BENCH-NET frames=\$((\$(cat /sys/class/net/eth0/statistics/tx_packets) - before))"
    for i in \$(seq 30); do /vsock_helper tcp-send 10.0.3.2 5002 1 > /dev/null 2>&1 && break; sleep 1; done
fi
G
    "$ROOT/tests/machine/mkguest-initrd.sh" "$T/$name.cpio.gz" --cmd-file "$T/cmd-$name" --extra "$T/extra" \
        >/dev/null || return 1
    example_images "$ROOT/examples/switch-pair/system.yaml" "$BUILD/machine/Image" "$T/$name.cpio.gz" > "$T/$name.yaml"
    sel4_bench_run "$name" 2
}

run a 0 || { echo "bench-sel4-net: run A failed (see $T/a.log)"; exit 1; }
run b $((MIB << 20)) || { echo "bench-sel4-net: run B failed (see $T/b.log)"; exit 1; }
{
    echo "svmm seL4 switch bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$ROOT" describe --always --dirty 2>/dev/null), $MIB MiB alpha -> beta, $CONFIG, GICv$gic, -icount shift=0"
    python3 "$ROOT/tests/bench/sel4-net-split.py" "$T/a.prof" "$T/b.prof" "$T/b/report.txt" \
        "$(sed -n 's/.*BENCH-NET frames=\([0-9]*\).*/\1/p' "$T/a.log" | head -n1)" \
        "$(sed -n 's/.*BENCH-NET frames=\([0-9]*\).*/\1/p' "$T/b.log" | head -n1)"
} | tee "$RES"
