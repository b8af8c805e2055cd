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
cmd_args=()
if [ -n "${DEMO_CMD:-}" ]; then
    printf '%s\n' "$DEMO_CMD" > "$T/guest-cmd"
    cmd_args=(--cmd-file "$T/guest-cmd")
fi
cat > "$T/outer-script" <<'O'
echo "[demo] starting: svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 512M"
/svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 512M --append "console=ttyS0 earlycon quiet"
O
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/guest.cpio.gz" "${cmd_args[@]}"
"$ROOT/tests/machine/mkouter-initrd.sh" "$T/outer.cpio.gz" --svmm "$BUILD/aarch64/svmm" \
    --guest-initrd "$T/guest.cpio.gz" --script "$T/outer-script"
run_args=(--initrd "$T/outer.cpio.gz" --log "$T/log" --append quiet)
if [ -z "${DEMO_CMD:-}" ] && [ -t 0 ]; then
    echo "[demo] the guest's shell will appear on hvc0; type 'exit' to power it off"
    run_args+=(--interactive --timeout 86400)
elif [ -z "${DEMO_CMD:-}" ]; then
    echo "[demo] stdin is not a terminal: set DEMO_CMD to run a command, e.g. make demo DEMO_CMD='uname -a'"
    printf 'uname -a\n' > "$T/guest-cmd"
    "$ROOT/tests/machine/mkguest-initrd.sh" "$T/guest.cpio.gz" --cmd-file "$T/guest-cmd"
    "$ROOT/tests/machine/mkouter-initrd.sh" "$T/outer.cpio.gz" --svmm "$BUILD/aarch64/svmm" \
        --guest-initrd "$T/guest.cpio.gz" --script "$T/outer-script"
fi
exec "$ROOT/tests/machine/run.sh" "${run_args[@]}"
