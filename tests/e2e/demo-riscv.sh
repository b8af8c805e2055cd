#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# make demo ARCH=riscv64: boot Linux under svmm (Linux KVM, riscv64) inside qemu-system-riscv64
# (docs/riscv.md). Builds the riscv64 test machine first when it is not built (make riscv-machine:
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
cat > "$T/outer-script" <<'O'
echo "[demo] starting: $(sed -n 3p /script)"
/svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 256M --rng
O
"$ROOT/tests/machine/riscv.sh" guest-initrd "$T/guest.cpio.gz" "${cmd_args[@]}"
"$ROOT/tests/machine/riscv.sh" outer-initrd "$T/outer.cpio.gz" --svmm "$BUILD/riscv64/svmm" \
    --guest-initrd "$T/guest.cpio.gz" --script "$T/outer-script"
run_args=(--initrd "$T/outer.cpio.gz" --log "$T/log" --append quiet)
if [ -z "${DEMO_CMD:-}" ]; then
    echo "[demo] the guest's shell will appear on hvc0; type 'exit' to power it off"
    run_args+=(--interactive --timeout 86400)
fi
exec "$ROOT/tests/machine/riscv.sh" run "${run_args[@]}"
