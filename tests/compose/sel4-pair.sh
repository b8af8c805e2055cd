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
. "$ROOT/tests/e2e/lib.sh"
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
T=$BUILD/e2e/sel4-pair-$CONFIG-$variant
TAG="sel4-pair/$variant/$CONFIG"
rm -rf "$T" && mkdir -p "$T"

# The example as written, except that each guest runs a command and powers off.
for vm in alpha beta; do
    echo "echo \"PAIR-MARKER vm=$vm\"" > "$T/cmd-$vm"
    "$ROOT/tests/machine/mkguest-initrd.sh" "$T/$vm.cpio.gz" --cmd-file "$T/cmd-$vm" >/dev/null || exit 1
done
awk -v t="$T" '/- name:/ { vm = $3 } /initrd:/ { sub(/initrd:.*/, "initrd: " t "/" vm ".cpio.gz") } { print }' \
    "$ROOT/examples/linux-pair/system.yaml" > "$T/system.yaml"
make -s -C "$ROOT" sel4-system BUILD="$BUILD" MICROKIT_SDK="$SDK" MICROKIT_CONFIG="$CONFIG" SYSTEM="$T/system.yaml" \
    SYSTEM_OUT="$T/out" > "$T/build.log" 2>&1 || fail_early build "$T/build.log"

sel4_boot "$T/out" "$gic" "$T/log" "$TIMEOUT" 2
# Release kernels and monitors print nothing: there a VMM's first line shows the system is up (two
# VMMs starting at once can interleave characters of their first lines on the shared UART).
check "seL4 booted the system" "$(has 'MON\|INFO: completed system invocations|Booting all finished|VM (alpha|beta): 1 vCPU')"
for vm in alpha beta; do
    check "VM $vm's console appears, prefixed '$vm| '" "$(has "^$vm\| ")"
    # Two VMMs share the UART and each flushes its partial lines, so a line may carry both prefixes.
    check "VM $vm ran its command through its virtio console" "$(has "$vm\| .*PAIR-MARKER vm=$vm")"
done
# Partial UART lines of the two VMMs can split each other's lines, so count rather than attribute.
check "both guests reached init" "$(is [ "$(grep -o 'init reached at uptime' <<<"$LOG" | wc -l)" -ge 2 ])"
check "both VMs stopped (two VMM exit summaries)" "$(is [ $status = stopped ])"
for vm in alpha beta; do
    check "VMM of $vm reported its guest's power-off" "$(has "VM $vm stopped: guest powered off")"
done
echo "$TAG: wall ${wall}s"
finish "$T/log"
