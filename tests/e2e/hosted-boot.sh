#!/bin/bash
# Hosted tier, end to end: an unmodified Debian arm64 kernel boots under svmm (Linux KVM) inside
# the QEMU test machine with 2 vCPUs; its boot log appears on the emulated UART, it reaches init,
# loads its virtio modules, reports 2 online CPUs through the virtio console (hvc0) and powers off
# with svmm exiting 0. Prints one "ok"/"FAIL" line per check and "e2e: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
T=$BUILD/e2e/hosted-boot
TIMEOUT=${E2E_TIMEOUT:-900}
mkdir -p "$T"

# The guest command runs with stdio on /dev/hvc0: the only path from it to svmm's stdout is the
# virtio console (the kernel console is ttyS0), so seeing the marker proves hvc0 works.
cat > "$T/guest-cmd" <<'G'
echo "E2E-MARKER online=$(cat /sys/devices/system/cpu/online) nproc=$(nproc)"
G
cat > "$T/outer-script" <<'O'
/svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 512M \
    --append "console=ttyS0 earlycon" --dtb-out /tmp/guest.dtb
O

TAG=e2e
. "$ROOT/tests/e2e/lib.sh"
hosted_boot "$T" "$TIMEOUT" || fail_early "test machine images"

check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "svmm started the VM with 2 vCPUs" "$(has 'svmm: starting VM: 2 vCPUs')"
check "guest boot log on the emulated UART" "$(has 'Booting Linux on physical CPU')"
check "guest brought up its second CPU (PSCI CPU_ON)" "$(has 'CPU1: Booted secondary processor|Brought up 1 node, 2 CPUs')"
check "guest reached init" "$(has '\[guest-init\] init reached')"
check "guest loaded virtio_mmio" "$(has '\[guest-init\] loaded virtio_mmio')"
check "guest loaded virtio_console" "$(has '\[guest-init\] loaded virtio_console')"
check "2 online CPUs reported through hvc0" "$(has 'E2E-MARKER online=0-1 nproc=2')"
check "guest powered off via PSCI SYSTEM_OFF" "$(has 'svmm: guest powered off')"
check "svmm exited 0" "$(is [ $status = 0 ])"

echo "e2e: wall ${wall}s, guest boot-to-init $(boot_to_init)s (guest kernel uptime), svmm $(stat -c %s "$BUILD/aarch64/svmm") bytes"
grep -E 'svmm: exits:' <<<"$LOG" | head -n1 || true
finish "$T/log"
