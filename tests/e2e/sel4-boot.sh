#!/bin/bash
# seL4 tier, end to end: the linux-single example (one svmm protection domain owning one Linux VM)
# built with a Microkit SDK and booted in QEMU. The same unmodified Debian arm64 kernel as the
# hosted tier must reach init with 2 vCPUs online, answer through virtio-console (hvc0), and power
# off with PSCI SYSTEM_OFF, which the VMM reports; the harness then ends QEMU.
# usage: sel4-boot.sh SDK_DIR [MICROKIT_CONFIG]
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=$1 CONFIG=${2:-debug}
TIMEOUT=${SEL4_TIMEOUT:-900}
gic=$(grep -qs 'define CONFIG_ARM_GIC_V3_SUPPORT' "$SDK/board/qemu_virt_aarch64/$CONFIG/include/kernel/gen_config.h" && echo 3 || echo 2)
T=$BUILD/e2e/sel4-$CONFIG-gicv$gic
mkdir -p "$T"
tag="sel4/gicv$gic/$CONFIG"

cat > "$T/guest-cmd" <<'G'
echo "E2E-MARKER online=$(cat /sys/devices/system/cpu/online) nproc=$(nproc)"
G
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/guest.cpio.gz" --cmd-file "$T/guest-cmd" >/dev/null || exit 1
make -s -C "$ROOT" sel4-example BUILD="$BUILD" MICROKIT_SDK="$SDK" MICROKIT_CONFIG="$CONFIG" \
    GUEST_KERNEL="$BUILD/machine/Image" GUEST_INITRD="$T/guest.cpio.gz" > "$T/build.log" 2>&1 || {
    cat "$T/build.log"; echo "FAIL $tag: build"; echo "$tag: 0 passed, 1 failed"; exit 1; }
ex=$BUILD/sel4/qemu_virt_aarch64-$CONFIG-gicv$gic/linux-single
machine=virt,virtualization=on,highmem=off,secure=off
[ "$gic" = 3 ] && machine=$machine,gic-version=3

# QEMU never exits by itself: watch the log for the VMM's stop line, then end it.
start=$(date +%s)
# shellcheck disable=SC2046
qemu-system-aarch64 -machine $machine -cpu cortex-a53 -m 2G -nographic -serial mon:stdio \
    -device loader,file="$ex/loader.img",addr=0x70000000,cpu-num=0 $(cat "$ex/qemu-images.args") \
    < /dev/null > "$T/log" 2>&1 &
qemu=$!
status=timeout
while [ $(( $(date +%s) - start )) -lt "$TIMEOUT" ]; do
    if grep -q 'svmm|[a-z]*: VM linux stopped' "$T/log"; then status=stopped; break; fi
    kill -0 $qemu 2>/dev/null || { status=qemu-exited; break; }
    sleep 1
done
sleep 1
kill $qemu 2>/dev/null; wait $qemu 2>/dev/null
wall=$(( $(date +%s) - start ))
LOG=$(tr -d '\r' < "$T/log")
TAG=$tag
. "$ROOT/tests/e2e/lib.sh"
[ $status = timeout ] && echo "[sel4] TIMEOUT: the VM did not stop within $TIMEOUT s (log: $T/log)"

# Release kernels and monitors print nothing: there the VMM's first line shows the system is up.
check "seL4 booted the system" "$(has 'MON\|INFO: completed system invocations|Booting all finished|^svmm\|info: VM linux:')"
check "VMM started the VM" "$(has 'svmm\|info: starting vCPU 0')"
check "guest boot log, prefixed as guest output" "$(has '^linux\| .*Booting Linux on physical CPU')"
check "second vCPU brought up by PSCI CPU_ON" "$(has 'svmm\|info: vCPU 1 on at')"
check "guest reached init" "$(has '\[guest-init\] init reached')"
check "guest loaded virtio_console" "$(has '\[guest-init\] loaded virtio_console')"
check "2 online CPUs reported through hvc0" "$(has 'E2E-MARKER online=0-1 nproc=2')"
check "VMM handled PSCI SYSTEM_OFF" "$(has 'svmm\|info: VM linux stopped: guest powered off')"

echo "$tag: wall ${wall}s, guest boot-to-init $(boot_to_init)s (guest kernel uptime)"
grep -m1 'svmm|info: exits:' <<<"$LOG" || true
aarch64-linux-gnu-size "$ex/svmm.elf" | tail -n1 | awk -v t="$tag" '{print t ": VMM text " $1 " B, data " $2 " B, bss " $3 " B"}'
finish "$T/log"
