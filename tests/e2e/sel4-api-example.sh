#!/bin/bash
# seL4 tier for the low-level seL4 API (issue 15 part 2): examples/api/sel4-vmm, a Microkit VMM
# written by hand against include/svmm and include/svmm/sel4 alone (no composer, its own
# vmm.system), built by make sel4-api-example and booted in QEMU. The test Linux guest must reach
# init on its one vCPU, answer through virtio-console (hvc0) and power off (PSCI SYSTEM_OFF), which
# the example's VMM logs with its exit counts; the harness then ends QEMU.
# usage: sel4-api-example.sh SDK_DIR [MICROKIT_CONFIG]   (a GICv2 SDK: Microkit's 2.0.1 release)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=$1 CONFIG=${2:-debug}
TIMEOUT=${SEL4_TIMEOUT:-600}
. "$ROOT/tests/e2e/lib.sh"
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
T=$BUILD/e2e/sel4-api-example-$CONFIG-$variant
TAG="sel4-api-example/$variant/$CONFIG"
rm -rf "$T" && mkdir -p "$T"
[ "$gic" = 2 ] || fail_early "the example's vmm.system is for a GICv2 kernel, this SDK's is GICv$gic"

echo 'echo "E2E-MARKER api-example online=$(cat /sys/devices/system/cpu/online) nproc=$(nproc)"' > "$T/guest-cmd"
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/guest.cpio.gz" --cmd-file "$T/guest-cmd" >/dev/null || fail_early "guest initrd"
make -s -C "$ROOT" sel4-api-example BUILD="$BUILD" MICROKIT_SDK="$SDK" MICROKIT_CONFIG="$CONFIG" \
    GUEST_KERNEL="$BUILD/machine/Image" GUEST_INITRD="$T/guest.cpio.gz" > "$T/build.log" 2>&1 ||
    fail_early build "$T/build.log"
ex=$BUILD/sel4/qemu_virt_aarch64-$CONFIG-$variant/api-sel4-vmm
sel4_boot "$ex" "$gic" "$T/log" "$TIMEOUT" 1

check "the example is under 200 lines of C" "$(is [ "$(wc -l < "$ROOT/examples/api/sel4-vmm/vmm.c")" -lt 200 ])"
check "it includes only public headers (svmm/, svmm/sel4/, microkit.h)" \
    "$(! grep -E '^#include' "$ROOT/examples/api/sel4-vmm/vmm.c" | grep -vqE '^#include <(svmm/[a-z0-9_/]+|microkit|stdint|stdbool|stddef)\.h>$'; rc)"
syms=$(aarch64-linux-gnu-nm "$ex/vmm.elf" 2>/dev/null)
check "it links the API's modules, not the project's VMM (sel4_fault_decode, no restart_vm or svmm_sel4_vm)" \
    "$(grep -qw sel4_fault_decode <<<"$syms" && ! grep -qwE 'restart_vm|svmm_sel4_vm' <<<"$syms"; rc)"
check "the VMM started vCPU 0" "$(has '^svmm\[linux\]\|info: starting vCPU 0 at 0x')"
check "guest boot log, prefixed as guest output" "$(has '^linux\| .*Booting Linux on physical CPU')"
check "guest reached init" "$(has '\[guest-init\] init reached')"
check "guest loaded virtio_console" "$(has '\[guest-init\] loaded virtio_console')"
check "one online CPU reported through hvc0" "$(has 'E2E-MARKER api-example online=0 nproc=1')"
check "the VMM handled PSCI SYSTEM_OFF" "$(has 'svmm\[linux\]\|info: VM linux stopped: guest powered off')"
check "exits went through the API's fault decode (MMIO, SMC, vGIC)" \
    "$(has 'svmm\[linux\]\|info: exits: data_abort=[1-9][0-9]* smc=[1-9][0-9]* .*vgic_maintenance=[1-9]')"

echo "$TAG: wall ${wall}s, guest boot-to-init $(boot_to_init)s (guest kernel uptime)"
grep -m1 'svmm\[linux\]|info: exits:' <<<"$LOG" || true
aarch64-linux-gnu-size "$ex/vmm.elf" | tail -n1 | awk -v t="$TAG" '{print t ": VMM text " $1 " B, data " $2 " B, bss " $3 " B"}'
finish "$T/log"
