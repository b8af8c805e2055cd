#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Hosted riscv64, end to end (docs/riscv.md): inside qemu-system-riscv64 (-M virt -cpu rv64 -nic none -smp 2:
# the H extension, so the outer Linux has KVM), svmm built for riscv64 boots the same Linux as its
# guest with 2 vCPUs. The guest's early console is SBI's (legacy putchar, forwarded by KVM to svmm's
# SBI decoder), then the 16550 UART; it reaches init with both harts online, talks on the virtio
# console (hvc0), takes its interrupts through svmm's PLIC model, reads a virtio-blk region the host
# filled and writes another with random data, both checked by SHA-256 against the host side after
# svmm exited, pings the outer machine over virtio-net (a tap), says hello over virtio-vsock to a
# Unix socket, and powers off (SBI SRST) with svmm exiting 0. Before all that, its first boot marks
# the disk and reboots (SBI SRST reboot): svmm restarts the VM (new KVM VM, PLIC reset) and the
# second boot finds the mark. Needs the riscv64 test machine (make riscv-machine). Prints one
# "ok"/"FAIL" line per check and "e2e-riscv: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
export BUILD
T=$BUILD/e2e/hosted-riscv
TIMEOUT=${E2E_TIMEOUT:-300} # a run takes 45-75 s; an outer machine that hangs (below) should not cost 15 minutes
MIB=${E2E_RISCV_MIB:-16}
mkdir -p "$T"
TAG=e2e-riscv
. "$ROOT/tests/e2e/lib.sh"

if ! "$ROOT/tests/machine/riscv.sh" built; then
    echo "SKIP $TAG: the riscv64 test machine is not built (Debian 12 has no riscv64 kernel): make riscv-machine"
    echo "$TAG: 0 passed, 0 failed, 1 skipped"
    exit 0
fi
make -s -C "$ROOT" svmm ARCH=riscv64 BUILD="$BUILD" > "$T/build.log" 2>&1 || fail_early "make svmm ARCH=riscv64" "$T/build.log"
mkdir -p "$T/extra"
riscv64-linux-gnu-gcc -static -O2 -Wall -Wextra -o "$T/extra/vsock_helper" "$ROOT/tests/e2e/vsock_helper.c" ||
    fail_early "vsock_helper for riscv64"

cat > "$T/guest-cmd" <<G
MIB=$MIB
G
cat >> "$T/guest-cmd" <<'G'
echo "E2E-RV online=$(cat /sys/devices/system/cpu/online) nproc=$(nproc)"
echo "E2E-RV isa $(grep -m1 '^isa' /proc/cpuinfo | tr -d '\t ')"
disk=
for s in /sys/block/vd*; do
    [ "$(cat "$s/serial" 2>/dev/null)" = disk.img ] && disk=/dev/${s##*/}
done
[ -n "$disk" ] || { echo "E2E-RV no disk with serial disk.img"; exit 1; }
# The first boot marks the disk past both data regions and reboots; svmm restarts the VM.
mark=$((MIB * 2 * 2048))
if [ "$(dd if=$disk bs=512 skip=$mark count=1 2>/dev/null | head -c 8)" != REBOOTED ]; then
    printf REBOOTED | dd of=$disk bs=512 seek=$mark conv=fsync 2>/dev/null
    echo "E2E-RV first boot: marked the disk, rebooting"
    reboot -f
    sleep 30
fi
echo "E2E-RV second boot found the mark"
echo "E2E-RV read-sha256 $(dd if=$disk bs=1M count=$MIB 2>/dev/null | sha256sum | cut -d' ' -f1)"
dd if=/dev/urandom of=/tmp/data bs=1M count=$MIB 2>/dev/null
echo "E2E-RV write-sha256 $(sha256sum /tmp/data | cut -d' ' -f1)"
dd if=/tmp/data of=$disk bs=1M seek=$MIB conv=fsync 2>/dev/null
echo "E2E-RV write-status $?"
echo "E2E-RV rng bytes=$(dd if=/dev/hwrng bs=32 count=1 2>/dev/null | wc -c)"
ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up
ping -c 3 -W 5 10.0.2.1 > /tmp/ping 2>&1; echo "E2E-RV ping status=$? $(grep -o '[0-9]* packets received' /tmp/ping)"
timeout 60 /vsock_helper vsock-send 2 1234 "hello from riscv64"; echo "E2E-RV vsock status=$?"
grep -E 'PLIC|INTC' /proc/interrupts | sed 's/^/E2E-RV irq /'
G

cat > "$T/outer-script" <<O
MIB=$MIB
O
cat >> "$T/outer-script" <<'O'
cd /tmp
# The first MIB MiB: a pattern the guest reads; the next MIB MiB: where it writes.
i=0; while [ $i -lt $MIB ]; do printf 'svmm-riscv64-%08d' $i; i=$((i + 1)); done > pattern
dd if=pattern of=disk.img bs=1M count=$MIB conv=sync 2>/dev/null
dd if=/dev/zero of=disk.img bs=1M seek=$MIB count=$((MIB + 1)) 2>/dev/null
echo "[outer] pattern-sha256 $(dd if=disk.img bs=1M count=$MIB 2>/dev/null | sha256sum | cut -d' ' -f1)"
echo "[outer] host $(grep -m1 '^isa' /proc/cpuinfo | tr -d '\t ')"
# An arm64 Image (or anything but a riscv64 Image) is refused before any VM exists.
/svmm run --kernel /svmm 2>&1 | head -n1
tunctl -t tap0 >/dev/null && ip addr add 10.0.2.1/24 dev tap0 && ip link set tap0 up
/vsock_helper uds-echo /tmp/v.sock_1234 > /tmp/echo1234.log 2>&1 &
t0=$(date +%s)
/svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 256M \
    --append "console=ttyS0 earlycon=sbi" --disk /tmp/disk.img --rng --net tap=tap0 --vsock cid=3,uds=/tmp/v.sock
s=$?
echo "[outer] host echo 1234: $(cat /tmp/echo1234.log)"
echo "[outer] svmm exit $s after $(( $(date +%s) - t0 ))s"
echo "[outer] host-sha256 $(dd if=disk.img bs=1M skip=$MIB count=$MIB 2>/dev/null | sha256sum | cut -d' ' -f1)"
exit $s
O

"$ROOT/tests/machine/riscv.sh" guest-initrd "$T/guest.cpio.gz" --cmd-file "$T/guest-cmd" --extra "$T/extra" >/dev/null 2>&1 ||
    fail_early "guest initramfs"
"$ROOT/tests/machine/riscv.sh" outer-initrd "$T/outer.cpio.gz" --svmm "$BUILD/riscv64/svmm" \
    --script "$T/outer-script" --guest-initrd "$T/guest.cpio.gz" --extra "$T/extra" >/dev/null 2>&1 ||
    fail_early "outer initramfs"
start=$(date +%s)
status=0
"$ROOT/tests/machine/riscv.sh" run --initrd "$T/outer.cpio.gz" --timeout "$TIMEOUT" --log "$T/log" >/dev/null 2>&1 ||
    status=$?
wall=$(( $(date +%s) - start ))
LOG=$(tr -d '\r' < "$T/log")

field() { sed -n "s/.*$1 \([0-9a-f]*\).*/\1/p" <<<"$LOG" | head -n1; }
psum=$(field '\[outer\] pattern-sha256') rsum=$(field 'E2E-RV read-sha256')
wsum=$(field 'E2E-RV write-sha256') hsum=$(field '\[outer\] host-sha256')

check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "outer machine has KVM (/dev/kvm)" "$(has '\[outer\] /dev/kvm present')"
check "svmm refuses a kernel that is not a riscv64 Image" "$(has 'svmm: error: .*not a riscv64 Image')"
check "guest's early console through SBI (legacy putchar, forwarded to svmm)" "$(has 'earlycon: sbi0')"
check "guest kernel log on the 16550 UART (ttyS0)" "$(has 'printk: console \[ttyS0\] enabled')"
check "guest's DT: riscv,isa from KVM, PLIC, both harts" "$(has 'riscv: base ISA extensions')"
check "guest reached init" "$(has '\[guest-init\] init reached')"
check "2 vCPUs online (the second started by SBI HSM)" "$(has 'E2E-RV online=0-1 nproc=2')"
# The kernel's only hvc driver is virtio's (no hvc_riscv_sbi, which would take hvc0 and reach svmm by SBI).
check "virtio console (hvc0) carries the guest's command output" \
    "$(has 'E2E-RV online=' | grep -q 0 && ! grep -qs hvc_sbi "${SVMM_RISCV_MACHINE:-$BUILD/machine-riscv64}/linux-obj/System.map"; rc)"
check "device interrupts through svmm's PLIC model" "$(has 'E2E-RV irq .*SiFive PLIC.*virtio')"
check "guest read the host's pattern: SHA-256 matches" "$([ ${#psum} = 64 ] && [ "$psum" = "$rsum" ]; rc)"
check "guest wrote $MIB MiB (dd conv=fsync succeeded)" "$(has 'E2E-RV write-status 0')"
check "host-side SHA-256 after svmm exited matches the guest's data" "$([ ${#wsum} = 64 ] && [ "$wsum" = "$hsum" ]; rc)"
check "virtio-rng gave bytes" "$(has 'E2E-RV rng bytes=32')"
check "first boot rebooted (SBI SRST reboot): svmm restarted the VM" "$(has 'svmm: VM restarted \(restart 1\)')"
check "second boot found the first boot's mark on the disk" "$(has 'E2E-RV second boot found the mark')"
check "virtio-net: the guest pings the outer machine over a tap" "$(has 'E2E-RV ping status=0 3 packets received')"
check "virtio-vsock: guest -> host Unix socket echo" "$(has 'vsock-send reply: hello from riscv64')"
check "guest powered off (SBI SRST), svmm exited 0" "$(has '\[outer\] svmm exit 0 ')"
check "outer script's status 0" "$(is [ $status = 0 ])"
echo "$TAG: wall ${wall}s; guest boot-to-init $(boot_to_init)s (nested KVM in QEMU TCG)"
grep -E 'svmm: exits:' <<<"$LOG" || true
finish "$T/log"
