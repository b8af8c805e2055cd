#!/bin/bash
# make bench-sel4-blk: instructions per 4 KiB block request through a driver VM on seL4, split by
# where they run (the user VM's guest kernel and user space, the seL4 kernel, the user VM's VMM, the
# driver VM's VMM, the driver VM's guest kernel and user space: svmm-blk-agent). Not a test: it
# measures and prints a table (docs/performance.md, "seL4 driver VM: instructions per block request").
#
# A system like examples/driver-vm (release; one 64 MiB partition, 1-vCPU VMs, no switch), under
# QEMU -icount shift=0,sleep=off with the tbprof plugin (tests/bench/sel4-lib.sh), three times: run
# A, the user VM finds its disk and powers off; run R, the same after BENCH_BLK_REQUESTS reads of
# 4 KiB with O_DIRECT, one at a time (dd iflag=direct bs=4k); run W, the same with writes
# (oflag=direct). (R - A) / N and (W - A) / N are what one request costs, from the user VM's dd to
# its completion, everything the request makes anyone do included. Then the user VM
# marks the end of its disk and powers off; the driver VM sleeps 20 s of guest time (idle: its vCPU
# sleeps in WFI when the system has the idle timer), then looks for the mark and powers off too, so
# its VMM logs its exits and the relay's counters, and the runs differ only in the requests.
# Components are told apart as in tests/bench/sel4-blk-split.py. For comparison the same three runs
# follow with the disk on a native block server PD (block_servers:) instead of the driver VM.
# usage: tests/bench/sel4-blk.sh [SDK_DIR]   (default $MICROKIT_SDK or /opt/microkit-sdk-2.0.1)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${BENCH_BLK_REQUESTS:-1000}
. "$ROOT/tests/bench/sel4-lib.sh"
sel4_bench_setup sel4-blk "${1:-}"

# The driver VM (its /init started the agent from the command line) serves until the user VM is done.
DONE_BLOCK=$((64 * 256 - 1))
cat > "$T/driver-cmd" <<G
sleep 20; n=0
until dd if=/dev/vda bs=4096 skip=$DONE_BLOCK count=1 iflag=direct 2>/dev/null | grep -q USER-DONE; do n=\$((n + 1)); sleep 1; done
echo "BENCH-BLK driver polls=\$n"
G
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/driver.cpio.gz" --cmd-file "$T/driver-cmd" >/dev/null || exit 1

# The user VM's disk: a partition of the driver VM's RAM disk, or of a block server PD's.
dvm_system() {
    cat <<Y
vms:
  - name: driver
    kernel: $BUILD/machine/Image
    initrd: $T/driver.cpio.gz
    bootargs: console=ttyS0
    ram: 128M
    devices:
      - type: console
      - type: blk
        ramdisk: 64M
        partitions:
          - name: data
            size: 64M
Y
}
bsrv_system() {
    cat <<Y
block_servers:
  - name: store
    ramdisk: 64M
    partitions:
      - name: data
        size: 64M
vms:
Y
}

# run NAME SERVER COUNT DD_ARGS: build and boot the system whose user VM (its disk on SERVER: driver
# or store) makes COUNT requests with `dd bs=4k count=COUNT DD_ARGS` on its disk; leaves $T/NAME.{log,prof}.
run() {
    local name=$1 server=$2 count=$3 args=$4
    cat > "$T/cmd-$name" <<G
for d in /sys/block/vd*; do [ "\$(cat \$d/serial)" = data ] && disk=/dev/\${d##*/}; done
t0=\$(cut -d' ' -f1 /proc/uptime)
[ $count = 0 ] || dd $args bs=4k count=$count 2>/dev/null
t1=\$(cut -d' ' -f1 /proc/uptime)
echo "BENCH-BLK requests=$count seconds \$(awk -v a=\$t0 -v b=\$t1 'BEGIN { print b - a }')"
printf 'USER-DONE' | dd of=\$disk bs=4096 seek=$DONE_BLOCK oflag=direct conv=sync 2>/dev/null
G
    "$ROOT/tests/machine/mkguest-initrd.sh" "$T/$name.cpio.gz" --cmd-file "$T/cmd-$name" >/dev/null || return 1
    { echo "board: qemu_virt_aarch64"; if [ "$server" = driver ]; then dvm_system; else bsrv_system; fi; } > "$T/$name.yaml"
    cat >> "$T/$name.yaml" <<Y
  - name: user
    kernel: $BUILD/machine/Image
    initrd: $T/$name.cpio.gz
    bootargs: console=ttyS0
    ram: 128M
    devices:
      - type: console
      - type: blk
        server: $server
        disk: data
Y
    sel4_bench_run "$name" "$([ "$server" = driver ] && echo 2 || echo 1)" && grep -aq "BENCH-BLK requests=$count " "$T/$name.log"
}

# What a run's user VM and VMMs said: the guest's own time for its requests and the VMMs' exits.
summary() {
    local n=$1
    tr -d '\r' < "$T/$n.log" | grep -aoE 'BENCH-BLK (requests=[0-9]+ seconds [0-9.]+|driver polls=[0-9]+)'
    tr -d '\r' < "$T/$n.log" | grep -aoE 'svmm\[(user|driver)\]\|info: (exits: .*|idle: .*|serve-disk: [0-9]+ requests.*)' || true
}

for server in driver store; do
    p=${server:0:1} # d or s: the runs' names
    run ${p}a $server 0 "" || { echo "bench-sel4-blk: run ${p}a failed (see $T/${p}a.log)"; exit 1; }
    run ${p}r $server "$N" 'if=$disk of=/dev/null iflag=direct' || { echo "bench-sel4-blk: run ${p}r failed (see $T/${p}r.log)"; exit 1; }
    run ${p}w $server "$N" 'if=/dev/zero of=$disk oflag=direct' || { echo "bench-sel4-blk: run ${p}w failed (see $T/${p}w.log)"; exit 1; }
done
split() { python3 "$ROOT/tests/bench/sel4-blk-split.py" "$T/$1.prof" "$T/$1/report.txt" "$T/$2.prof" "$T/$2/report.txt" user driver "$N" "$3"; }
{
    echo "svmm seL4 block bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$ROOT" describe --always --dirty 2>/dev/null), $N requests of 4 KiB one at a time, $CONFIG, GICv$gic, -icount shift=0"
    for n in da dr dw sa sr sw; do echo "run $n:"; summary $n | sed 's/^/    /'; done
    echo "== through the driver VM"
    split da dr "4 KiB read"
    split da dw "4 KiB write"
    echo "== through the native block server PD"
    split sa sr "4 KiB read"
    split sa sw "4 KiB write"
} | tee "$RES"
