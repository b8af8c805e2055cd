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
. "$ROOT/tests/e2e/lib.sh"
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
T=$BUILD/e2e/sel4-$CONFIG-$variant
mkdir -p "$T"
TAG="sel4/$variant/$CONFIG"

cat > "$T/guest-cmd" <<'G'
echo "E2E-MARKER online=$(cat /sys/devices/system/cpu/online) nproc=$(nproc)"
# CPU hotplug: PSCI CPU_OFF from vCPU 1, AFFINITY_INFO polling, then CPU_ON for it again.
echo 0 > /sys/devices/system/cpu/cpu1/online && echo "E2E-HOTPLUG off online=$(cat /sys/devices/system/cpu/online)"
echo 1 > /sys/devices/system/cpu/cpu1/online && echo "E2E-HOTPLUG on online=$(cat /sys/devices/system/cpu/online)"
G
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/guest.cpio.gz" --cmd-file "$T/guest-cmd" >/dev/null || fail_early "guest initrd"
make -s -C "$ROOT" sel4-example BUILD="$BUILD" MICROKIT_SDK="$SDK" MICROKIT_CONFIG="$CONFIG" \
    GUEST_KERNEL="$BUILD/machine/Image" GUEST_INITRD="$T/guest.cpio.gz" > "$T/build.log" 2>&1 ||
    fail_early build "$T/build.log"
ex=$BUILD/sel4/qemu_virt_aarch64-$CONFIG-$variant/linux-single
sel4_boot "$ex" "$gic" "$T/log" "$TIMEOUT" 1

# Release kernels and monitors print nothing: there the VMM's first line shows the system is up.
check "seL4 booted the system" "$(has 'MON\|INFO: completed system invocations|Booting all finished|^svmm\[linux\]\|info: VM linux:')"
check "VMM started the VM" "$(has 'svmm\[linux\]\|info: starting vCPU 0')"
check "guest boot log, prefixed as guest output" "$(has '^linux\| .*Booting Linux on physical CPU')"
check "second vCPU brought up by PSCI CPU_ON" "$(has 'svmm\[linux\]\|info: vCPU 1 on at')"
check "guest reached init" "$(has '\[guest-init\] init reached')"
check "guest loaded virtio_console" "$(has '\[guest-init\] loaded virtio_console')"
check "2 online CPUs reported through hvc0" "$(has 'E2E-MARKER online=0-1 nproc=2')"
check "vCPU 1 taken offline (PSCI CPU_OFF)" "$(has 'E2E-HOTPLUG off online=0\s*$')"
check "vCPU 1 back online (PSCI CPU_ON after CPU_OFF)" "$(has 'E2E-HOTPLUG on online=0-1\s*$')"
check "VMM handled PSCI SYSTEM_OFF" "$(has 'svmm\[linux\]\|info: VM linux stopped: guest powered off')"

echo "$TAG: wall ${wall}s, guest boot-to-init $(boot_to_init)s (guest kernel uptime)"
grep -m1 'svmm\[[a-z0-9_]*\]|info: exits:' <<<"$LOG" || true
aarch64-linux-gnu-size "$ex/svmm.elf" | tail -n1 | awk -v t="$TAG" '{print t ": VMM text " $1 " B, data " $2 " B, bss " $3 " B"}'
finish "$T/log"
