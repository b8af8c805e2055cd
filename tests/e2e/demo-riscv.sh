#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# make demo ARCH=riscv64: boot Linux under svmm (Linux KVM, riscv64) inside qemu-system-riscv64
# (docs/riscv.md), with the svmm command line the composer makes of a riscv64 system description. Builds the riscv64 test machine first when it is not built (make riscv-machine:
# about 20 minutes on 2 CPUs, once).
#   DEMO_CMD='uname -a'  run that in the guest (on hvc0) and power off, non-interactively;
#   otherwise you get the guest's shell on hvc0 — `exit` (or poweroff) ends the demo, and QEMU's
#   Ctrl-A x kills everything.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
export BUILD
T=$BUILD/demo-riscv
mkdir -p "$T"

"$ROOT/tests/machine/riscv.sh" built || "$ROOT/tests/machine/riscv.sh" build --install
make -s -C "$ROOT" svmm ARCH=riscv64 BUILD="$BUILD"
if [ -z "${DEMO_CMD:-}" ] && [ ! -t 0 ]; then
    echo "[demo] stdin is not a terminal: running 'uname -a' in the guest (set DEMO_CMD to choose)"
    DEMO_CMD='uname -a'
fi
cmd_args=()
if [ -n "${DEMO_CMD:-}" ]; then
    printf '%s\n' "$DEMO_CMD" > "$T/guest-cmd"
    cmd_args=(--cmd-file "$T/guest-cmd")
fi
# The svmm command line comes from a system description, through the composer (board
# qemu_virt_riscv64: hosted outputs only), with the guest's files where the outer machine has them.
make -s -C "$ROOT" compose BUILD="$BUILD" >/dev/null
mkdir -p "$T/stage/guest"
ln -sf "${SVMM_RISCV_MACHINE:-$BUILD/machine-riscv64}/Image" "$T/stage/guest/Image"
ln -sf "$T/guest.cpio.gz" "$T/stage/guest/initrd.cpio.gz"
cat > "$T/system.yaml" <<'Y'
board: qemu_virt_riscv64
vms:
  - name: linux
    kernel: guest/Image
    initrd: guest/initrd.cpio.gz
    bootargs: console=ttyS0 earlycon=sbi
    ram: 256M
    vcpus: 2
    devices:
      - type: console
      - type: rng
Y
"$ROOT/tests/machine/riscv.sh" guest-initrd "$T/guest.cpio.gz" "${cmd_args[@]}"
{
    echo 'echo "[demo] starting: $(sed -n 2p /script)"'
    "$BUILD/host/svmm-compose" "$T/system.yaml" --hosted --svmm /svmm --root "$T/stage" | grep '^/svmm run' |
        sed "s|$T/stage||g"
} > "$T/outer-script"
grep -q '^/svmm run' "$T/outer-script" || { echo "[demo] svmm-compose gave no svmm run line"; exit 1; }
"$ROOT/tests/machine/riscv.sh" outer-initrd "$T/outer.cpio.gz" --svmm "$BUILD/riscv64/svmm" \
    --guest-initrd "$T/guest.cpio.gz" --script "$T/outer-script"
run_args=(--initrd "$T/outer.cpio.gz" --log "$T/log" --append quiet)
if [ -z "${DEMO_CMD:-}" ]; then
    echo "[demo] the guest's shell will appear on hvc0; type 'exit' to power it off"
    run_args+=(--interactive --timeout 86400)
fi
exec "$ROOT/tests/machine/riscv.sh" run "${run_args[@]}"
