#!/bin/bash
# seL4 tier for the composer: examples/linux-pair (two Linux VMs, one svmm VMM protection domain
# each) built with `make sel4-system` and booted in QEMU. Both guests share the board UART, so both
# consoles must appear with their prefixes ("alpha| ", "beta| "), both reach init, and both power off,
# which each VMM reports. The two VMs share one physical core (uniprocessor SDK): allow time.
# usage: sel4-pair.sh SDK_DIR [MICROKIT_CONFIG]
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=$1 CONFIG=${2:-debug}
TIMEOUT=${SEL4_TIMEOUT:-900}
gic=$(grep -qs 'define CONFIG_ARM_GIC_V3_SUPPORT' "$SDK/board/qemu_virt_aarch64/$CONFIG/include/kernel/gen_config.h" && echo 3 || echo 2)
T=$BUILD/e2e/sel4-pair-$CONFIG-gicv$gic
tag="sel4-pair/gicv$gic/$CONFIG"
rm -rf "$T" && mkdir -p "$T"

# The example as written, except that each guest runs a command and powers off.
for vm in alpha beta; do
    echo "echo \"PAIR-MARKER vm=$vm\"" > "$T/cmd-$vm"
    "$ROOT/tests/machine/mkguest-initrd.sh" "$T/$vm.cpio.gz" --cmd-file "$T/cmd-$vm" >/dev/null || exit 1
done
awk -v t="$T" '/- name:/ { vm = $3 } /initrd:/ { sub(/initrd:.*/, "initrd: " t "/" vm ".cpio.gz") } { print }' \
    "$ROOT/examples/linux-pair/system.yaml" > "$T/system.yaml"
make -s -C "$ROOT" sel4-system BUILD="$BUILD" MICROKIT_SDK="$SDK" MICROKIT_CONFIG="$CONFIG" SYSTEM="$T/system.yaml" \
    SYSTEM_OUT="$T/out" > "$T/build.log" 2>&1 || { cat "$T/build.log"; echo "FAIL $tag: build"; echo "$tag: 0 passed, 1 failed"; exit 1; }

machine=virt,virtualization=on,highmem=off,secure=off
[ "$gic" = 3 ] && machine=$machine,gic-version=3
start=$(date +%s)
# shellcheck disable=SC2046
qemu-system-aarch64 -machine $machine -cpu cortex-a53 -m 2G -nographic -serial mon:stdio \
    -device loader,file="$T/out/loader.img",addr=0x70000000,cpu-num=0 $(cat "$T/out/qemu-images.args") \
    < /dev/null > "$T/log" 2>&1 &
qemu=$!
status=timeout
while [ $(( $(date +%s) - start )) -lt "$TIMEOUT" ]; do
    # Both VMMs print an exit summary when their VM stops.
    [ "$(grep -a -c 'exits: vm_fault=' "$T/log")" -ge 2 ] && { status=stopped; break; }
    kill -0 $qemu 2>/dev/null || { status=qemu-exited; break; }
    sleep 2
done
sleep 1
kill $qemu 2>/dev/null; wait $qemu 2>/dev/null
wall=$(( $(date +%s) - start ))
log=$(tr -d '\r' < "$T/log")
[ $status = timeout ] && echo "[sel4-pair] TIMEOUT: the VMs did not both stop within $TIMEOUT s (log: $T/log)"

passed=0 failed=0
check() {
    if [ "$2" = 0 ]; then echo "ok   $tag: $1"; passed=$((passed + 1)); else echo "FAIL $tag: $1"; failed=$((failed + 1)); fi
}
has() { grep -qaE "$1" <<<"$log"; echo $?; }
check "seL4 booted the system" "$(has 'MON\|INFO: completed system invocations|Booting all finished')"
for vm in alpha beta; do
    check "VM $vm's console appears, prefixed '$vm| '" "$(has "^$vm\| ")"
    check "VM $vm's guest reached init" "$(has "^$vm\| \[guest-init\] init reached")"
    check "VM $vm ran its command through its virtio console" "$(has "^$vm\| PAIR-MARKER vm=$vm")"
done
check "both VMs stopped (two VMM exit summaries)" "$([ $status = stopped ]; echo $?)"
for vm in alpha beta; do
    check "VMM of $vm reported its guest's power-off" "$(has "VM $vm stopped: guest powered off")"
done
echo "$tag: wall ${wall}s"
[ $failed = 0 ] || echo "$tag: log in $T/log"
echo "$tag: $passed passed, $failed failed"
[ $failed = 0 ]
