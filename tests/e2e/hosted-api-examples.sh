#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The high-level API's examples on Linux KVM, end to end (issue 15 part 2), in one QEMU test machine
# run: each example program (examples/api/mmio-device, examples/api/virtio-backend, built by make
# api-examples against libsvmm-kvm.a) boots the Linux test guest, which checks its device from the
# inside and reboots once (`reboot -f`: PSCI SYSTEM_RESET, the VM restarted in place), then powers
# off; the program must exit 0.
#   mmio-device     devmem reads ID ("SVMM"), writes SCRATCH and reads it back, reads WRITES (1 after
#                   one write), writes ID (ignored: read-only), and reads VCPU from vCPU 0 and from
#                   vCPU 1 (taskset): the callback's vcpu parameter.
#   virtio-backend  /dev/hwrng is the counter rng: 64 bytes read, each one more (mod 256) than the last.
# Then, in the same run, the API's lifecycle test (tests/e2e/api-lifecycle, the same lifecycle.c as
# the seL4 tier's PD): what svmm.h refuses (each logged "refused" with a reason), and a control
# device at 0x0c000000 through which the guest calls svmm_restart() from vCPU 1's store (boot 1) and
# svmm_stop() (boot 2) inside a device callback. Where KVM differs from seL4: svmm_run() blocks, so
# the calls after it see the VM stopped (svmm_boots() 2, not 1) and its status is the program's (0
# after svmm_stop()); KVM alone also refuses svmm_restart() of a stopped VM.
# The examples have no virtio console, so the guest's command runs on the UART (/dev/console); the outer
# machine answers its "API-DONE" on the UART (stdin): "reboot" the first time, "off" the second.
# Prints "api-examples: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
T=$BUILD/e2e/hosted-api-examples
TIMEOUT=${E2E_TIMEOUT:-900}
mkdir -p "$T/extra"

cat > "$T/guest-cmd" <<'G'
# No virtio console: guest-init's /dev/hvc0 is then the kernel's DCC console (ARM's debug channel,
# which KVM discards); the UART is /dev/console.
exec < /dev/console > /dev/console 2>&1
# mmio-device's ID register; the lifecycle test's BOOTS (1 or 2). The virtio example has no device there.
[ -d /proc/device-tree/virtio_mmio@a000000 ] || id=$(devmem 0x0c000000 32)
if [ -d /proc/device-tree/virtio_mmio@a000000 ]; then
    # The hwrng core's own thread takes bytes too: quality 0 stops it (kernels with rng_quality).
    echo 0 > /sys/class/misc/hw_random/rng_quality 2>/dev/null
    echo "API-RNG current $(cat /sys/class/misc/hw_random/rng_current)"
    echo "API-RNG bytes $(head -c 64 /dev/hwrng | od -An -tu1 -v | tr -s ' \n' '  ')"
elif [ "$id" != 0x4D4D5653 ]; then
    # The lifecycle test: restart from vCPU 1 on boot 1, stop on boot 2; neither store may return.
    echo "API-LC boots=$id restart-rc=$(devmem 0x0c000008 32)"
    # A restart or stop is a power cut: let the tty drain the line first (bytes still in the
    # kernel's buffer would be lost with the VM, as on hardware).
    sleep 1
    if [ $((id)) = 1 ]; then
        taskset -c 1 devmem 0x0c000004 32 1
        sleep 30; echo "API-LC the restart did not happen"
    fi
    devmem 0x0c000004 32 2
    sleep 30; echo "API-LC the stop did not happen"
    poweroff -f
else
    echo "API-MMIO id $id"
    devmem 0x0c000004 32 0x5eed1234
    echo "API-MMIO scratch $(devmem 0x0c000004 32) writes $(devmem 0x0c000008 32)"
    devmem 0x0c000000 32 0
    echo "API-MMIO id after a write $(devmem 0x0c000000 32) writes $(devmem 0x0c000008 32)"
    echo "API-MMIO vcpu $(taskset -c 0 devmem 0x0c00000c 32) $(taskset -c 1 devmem 0x0c00000c 32)"
fi
echo "API-DONE"
read -t 120 what
[ "$what" = reboot ] && reboot -f
echo "API-POWEROFF"
G
cat > "$T/outer-script" <<'O'
# run NAME: the example /NAME boots the guest; its console lines and log are prefixed with [NAME].
run() {
    rm -f /tmp/in /tmp/out; mkfifo /tmp/in /tmp/out
    exec 3<> /tmp/in
    /$1 /guest/Image /guest/initrd.cpio.gz <&3 > /tmp/out 2> /tmp/$1.err &
    pid=$! done=0
    while IFS= read -r line; do
        printf '[%s] %s\n' "$1" "$line"
        case $line in *API-DONE*)
            done=$((done + 1))
            if [ $done = 1 ]; then echo reboot >&3; else echo off >&3; fi ;;
        esac
    done < /tmp/out
    wait $pid
    echo "[outer] $1 exit status: $?"
    sed "s/^/[$1] /" /tmp/$1.err
    exec 3>&-
}
run mmio-device
run virtio-backend
run api-lifecycle
O

TAG=api-examples
. "$ROOT/tests/e2e/lib.sh"
make -s -C "$ROOT" api-examples BUILD="$BUILD" >/dev/null || fail_early "make api-examples"
for e in mmio-device virtio-backend; do cp "$BUILD/aarch64/examples/api/$e/$e" "$T/extra/$e"; done
cp "$BUILD/aarch64/tests/e2e/api-lifecycle/api-lifecycle" "$T/extra/"
machine_run "$T" "$TIMEOUT" "" "--extra $T/extra" "" || fail_early "test machine images"

check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
for e in mmio-device virtio-backend; do
    check "$e: started the VM with 2 vCPUs" "$(has "^\[$e\] svmm: starting VM: 2 vCPUs")"
    check "$e: the guest reached init twice (a restart by reboot -f)" \
        "$(is [ "$(grep -c "^\[$e\] .*\[guest-init\] init reached" <<<"$LOG")" = 2 ])"
    check "$e: the VM was restarted in place" "$(has "^\[$e\] svmm: VM restarted \(restart 1\)")"
    check "$e: the guest powered off after the second boot" "$(has "^\[$e\] .*API-POWEROFF")"
    check "$e: exit status 0" "$(has "^\[outer\] $e exit status: 0$")"
done
check "mmio-device: ID reads 'SVMM' (both boots)" "$(is [ "$(grep -c '^\[mmio-device\] API-MMIO id 0x4D4D5653$' <<<"$LOG")" = 2 ])"
check "mmio-device: SCRATCH reads back what was written" "$(has '^\[mmio-device\] API-MMIO scratch 0x5EED1234 ')"
check "mmio-device: WRITES is 1 after one write, on both boots (its reset hook ran at the restart)" \
    "$(is [ "$(grep -c '^\[mmio-device\] API-MMIO scratch 0x5EED1234 writes 0x00000001$' <<<"$LOG")" = 2 ])"
check "mmio-device: a write to ID changes neither ID nor WRITES" \
    "$(has '^\[mmio-device\] API-MMIO id after a write 0x4D4D5653 writes 0x00000001$')"
check "mmio-device: VCPU reads 0 on vCPU 0 and 1 on vCPU 1" \
    "$(has '^\[mmio-device\] API-MMIO vcpu 0x00000000 0x00000001$')"
check "virtio-backend: the guest's hwrng is the virtio-rng" "$(has '^\[virtio-backend\] API-RNG current virtio_rng')"
for boot in 1 2; do
    bytes=$(grep '^\[virtio-backend\] API-RNG bytes' <<<"$LOG" | sed -n "${boot}s/.*API-RNG bytes //p")
    check "virtio-backend: 64 bytes from /dev/hwrng, each one more than the last (boot $boot)" \
        "$(awk -v want=64 '{ for (i = 2; i <= NF; i++) if ($i != ($(i - 1) + 1) % 256) bad = 1 }
                         END { exit !(NF == want && !bad) }' <<<"$bytes"; rc)"
done
x=api-lifecycle
for what in "a second VM" "a device at a page's middle" "a device on the UART" "a device in RAM" \
    "svmm_run before svmm_load_linux" "svmm_restart before svmm_run" "a device after svmm_run" "a second svmm_run" \
    "svmm_load_linux after svmm_run"; do
    check "$x: svmm.h refuses $what (with a reason)" "$(has "^\[$x\] svmm: api-test: $what: refused \([^-]")"
done
check "$x: no call that should be refused was accepted" "$(is [ "$(has "^\[$x\] svmm: api-test: .*ACCEPTED")" = 1 ])"
check "$x: boot 1: the device reads svmm_boots() 1, no restart yet" \
    "$(has "^\[$x\] API-LC boots=0x00000001 restart-rc=0x00000001$")"
check "$x: svmm_restart() from the device callback (vCPU 1's store) restarted the VM once the access was done" \
    "$(grep -q "^\[$x\] svmm: api-test: vCPU 1 asks for a restart$" <<<"$LOG" &&
       grep -q "^\[$x\] svmm: admin: restart$" <<<"$LOG" &&
       grep -q "^\[$x\] svmm: VM restarted (restart 1)$" <<<"$LOG"; rc)"
check "$x: the guest reached init twice" \
    "$(is [ "$(grep -c "^\[$x\] .*\[guest-init\] init reached" <<<"$LOG")" = 2 ])"
check "$x: boot 2: svmm_boots() 2, svmm_restart() had returned 0" \
    "$(has "^\[$x\] API-LC boots=0x00000002 restart-rc=0x00000000$")"
check "$x: svmm_stop() from the device callback stopped the VM: svmm_run() returned 0" \
    "$(grep -q "^\[$x\] svmm: stopping the VM: the guest asked the test device to stop it$" <<<"$LOG" &&
       grep -q "^\[$x\] svmm: api-test: svmm_run returned 0$" <<<"$LOG"; rc)"
check "$x: the guest never went on past either call" "$(is [ "$(has "^\[$x\] API-LC .*did not happen")" = 1 ])"
# KVM: svmm_run() returned after the stop, so the VM has booted twice by then (seL4: 1, it returns at once).
check "$x: svmm_boots() is 2 once svmm_run() returned (KVM: after the stop)" \
    "$(has "^\[$x\] svmm: api-test: boots after svmm_run: 2$")"
check "$x: svmm_restart() of the stopped VM refused (KVM)" \
    "$(has "^\[$x\] svmm: api-test: svmm_restart of a stopped VM: refused$")"
check "$x: a refused svmm_run() leaves SIGTERM unblocked (KVM)" \
    "$(has "^\[$x\] svmm: api-test: SIGTERM blocked after a refused svmm_run: no$")"
check "$x: exit status 0 (svmm_stop)" "$(has "^\[outer\] $x exit status: 0$")"
echo "api-examples: wall ${wall}s; bytes seen: $(grep -m1 'API-RNG bytes' <<<"$LOG" | cut -c1-100)"
finish "$T/log"
