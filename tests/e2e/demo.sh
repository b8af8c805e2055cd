#!/bin/bash
# make demo: boot a Debian arm64 guest under svmm (Linux KVM) inside the QEMU test machine, or,
# with MICROKIT_SDK set, under svmm as a seL4 Microkit protection domain (tests/e2e/sel4-demo.sh).
#   DEMO_CMD='uname -a'  run that in the guest (on hvc0) and power off, non-interactively;
#   otherwise you get the guest's shell on hvc0 — `exit` (or poweroff) ends the demo, and QEMU's
#   Ctrl-A x kills everything.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
T=$BUILD/demo
mkdir -p "$T"

if [ -n "${MICROKIT_SDK:-}" ]; then
    exec "$ROOT/tests/e2e/sel4-demo.sh"
fi
if [ -z "${DEMO_CMD:-}" ] && [ ! -t 0 ]; then
    echo "[demo] stdin is not a terminal: running 'uname -a' in the guest (set DEMO_CMD to choose)"
    DEMO_CMD='uname -a'
fi
cmd_args=()
if [ -n "${DEMO_CMD:-}" ]; then
    printf '%s\n' "$DEMO_CMD" > "$T/guest-cmd"
    cmd_args=(--cmd-file "$T/guest-cmd")
fi
# The svmm command line comes from the system description, through the composer: the demo is
# examples/linux-single/system.yaml with the guest's files where the test machine has them.
make -s -C "$ROOT" compose BUILD="$BUILD" >/dev/null
mkdir -p "$T/stage/guest"
ln -sf "$BUILD/machine/Image" "$T/stage/guest/Image"
ln -sf "$T/guest.cpio.gz" "$T/stage/guest/initrd.cpio.gz"
sed -e 's|^\( *kernel:\).*|\1 guest/Image|' -e 's|^\( *initrd:\).*|\1 guest/initrd.cpio.gz|' \
    "$ROOT/examples/linux-single/system.yaml" > "$T/system.yaml"
compose_run_line() {
    "$BUILD/host/svmm-compose" "$T/system.yaml" --hosted --svmm /svmm --root "$T/stage" | grep '^/svmm run' |
        sed "s|$T/stage||g"
}
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/guest.cpio.gz" "${cmd_args[@]}"
{ echo 'echo "[demo] starting: $(sed -n 2p /script)"'; compose_run_line; } > "$T/outer-script"
"$ROOT/tests/machine/mkouter-initrd.sh" "$T/outer.cpio.gz" --svmm "$BUILD/aarch64/svmm" \
    --guest-initrd "$T/guest.cpio.gz" --script "$T/outer-script"
run_args=(--initrd "$T/outer.cpio.gz" --log "$T/log" --append quiet)
if [ -z "${DEMO_CMD:-}" ]; then
    echo "[demo] the guest's shell will appear on hvc0; type 'exit' to power it off"
    run_args+=(--interactive --timeout 86400)
fi
exec "$ROOT/tests/machine/run.sh" "${run_args[@]}"
