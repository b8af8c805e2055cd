#!/bin/bash
# seL4 tier for a non-relocatable guest (issue 13 part 4): tests/guest/raw.S, a raw binary with no
# Linux Image header built for 0x48000000, booted by the seL4 VMM through kernel_addr: in the system
# description (the composer skips the header check, the VMM loads it there and enters it with x0 =
# DTB). At its address it says so on the UART and powers off (PSCI SYSTEM_OFF by SMC after the HVC
# the VMM answers NOT_SUPPORTED); loaded 2 MiB higher (kernel_addr: 0x48200000) it detects that.
# usage: sel4-raw.sh SDK_DIR [MICROKIT_CONFIG]   (prints "sel4-raw/<variant>/<config>: N passed, N failed")
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=$1 CONFIG=${2:-debug}
TIMEOUT=${SEL4_TIMEOUT:-300}
. "$ROOT/tests/e2e/lib.sh"
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
T=$BUILD/e2e/sel4-raw-$CONFIG-$variant
TAG="sel4-raw/$variant/$CONFIG"
rm -rf "$T" && mkdir -p "$T"
make -s -C "$ROOT" raw-guest BUILD="$BUILD" >/dev/null || fail_early "raw test guest"

for addr in 0x48000000 0x48200000; do
    cat > "$T/system-$addr.yaml" <<Y
board: qemu_virt_aarch64
vms:
  - name: raw
    kernel: $BUILD/guest/raw.bin
    kernel_addr: $addr
    ram: 256M
    vcpus: 1
Y
    make -s -C "$ROOT" sel4-system BUILD="$BUILD" MICROKIT_SDK="$SDK" MICROKIT_CONFIG="$CONFIG" \
        SYSTEM="$T/system-$addr.yaml" SYSTEM_OUT="$T/out-$addr" > "$T/build-$addr.log" 2>&1 ||
        fail_early "build ($addr)" "$T/build-$addr.log"
    sel4_boot "$T/out-$addr" "$gic" "$T/log-$addr" "$TIMEOUT" 1
    if [ $addr = 0x48000000 ]; then
        check "the VMM loaded the raw binary at 0x48000000" "$(has 'svmm\[raw\]\|info: kernel at 0x48000000 \(262 bytes\)|svmm\[raw\]\|info: kernel at 0x48000000 ')"
        check "at its linked address it runs (UART)" "$(has 'raw\| RAW-GUEST ok: running where it was linked')"
        check "it powered off through PSCI (SMC after the HVC)" "$(has 'VM raw stopped: guest powered off')"
    else
        check "2 MiB higher the same binary sees it is not where it was linked (the test can fail)" \
            "$(has 'raw\| RAW-GUEST BAD: loaded somewhere it was not linked for')"
    fi
done
echo "$TAG: wall ${wall}s"
finish "$T/log-0x48000000"
