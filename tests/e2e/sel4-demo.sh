#!/bin/bash
# make demo MICROKIT_SDK=/path: build the linux-single example (one svmm PD owning one Linux VM with
# 2 vCPUs) with that SDK and boot it in QEMU. The guest's console lines start with "linux| ", the
# VMM's with "svmm[linux]|". DEMO_CMD runs a command in the guest and ends the demo when the VM stops;
# otherwise the guest's shell is on hvc0 (type into this terminal) and Ctrl-A x quits QEMU.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=$MICROKIT_SDK CONFIG=${MICROKIT_CONFIG:-debug}
T=$BUILD/demo-sel4
mkdir -p "$T"
[ -x "$SDK/bin/microkit" ] || { echo "[demo] error: MICROKIT_SDK=$SDK has no bin/microkit"; exit 1; }
. "$ROOT/tests/e2e/lib.sh"
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
cmd_args=()
if [ -n "${DEMO_CMD:-}" ]; then
    printf '%s\n' "$DEMO_CMD" > "$T/guest-cmd"
    cmd_args=(--cmd-file "$T/guest-cmd")
fi
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/guest.cpio.gz" "${cmd_args[@]}"
make -s -C "$ROOT" sel4-example BUILD="$BUILD" MICROKIT_SDK="$SDK" MICROKIT_CONFIG="$CONFIG" \
    GUEST_KERNEL="$BUILD/machine/Image" GUEST_INITRD="$T/guest.cpio.gz"
ex=$BUILD/sel4/qemu_virt_aarch64-$CONFIG-$variant/linux-single
machine=virt,virtualization=on,highmem=off,secure=off
[ "$gic" = 3 ] && machine=$machine,gic-version=3
qemu=(qemu-system-aarch64 -machine "$machine" -cpu cortex-a53 -nic none -m 2G -nographic -serial mon:stdio
      -device loader,file="$ex/loader.img",addr=0x70000000,cpu-num=0)
# shellcheck disable=SC2207
qemu+=($(cat "$ex/qemu-images.args"))
echo "[demo] booting seL4 + svmm (GICv$gic, $CONFIG) in QEMU; Ctrl-A x quits"
if [ -n "${DEMO_CMD:-}" ] || [ ! -t 0 ]; then
    # QEMU does not exit when the VM stops: end it once the VMM says so.
    "${qemu[@]}" < /dev/null 2>&1 | tee "$T/log" | while IFS= read -r line; do
        printf '%s\n' "$line"
        case $line in *"]|info: exits:"*) pkill -f "file=$ex/loader.img" ;; esac
    done
else
    "${qemu[@]}"
fi
