#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# svmm up, end to end (issue 12 part 2, hosted): examples/admin as written but for its images, its
# plan from svmm-compose --up-plan, supervised by `svmm up` in one QEMU test machine run:
#   vm1   writes 8 MiB to its disk (SHA-256 printed) and waits; the admin restarts it
#         (`svmm ctl restart vm1`) while vm2 pings vm3 through the switch; boot 2 reads the data
#         back, then its VMM is killed with SIGSEGV (a VMM that faults): svmm up restarts it by
#         vm1's policy (on_fault: restart); boot 3 reads the data back and panics (sysrq c): its
#         watchdog (sbsa_gwdt) stops being refreshed, its svmm exits 3, svmm up restarts it again;
#         boot 4 reads the data back and powers off
#   vm2   pings vm3 through switch "lan" across vm1's restart (at most one ping lost), powers off
#   vm3   answers until vm2 is gone, then powers off
#   scratch (dynamic slot) booted by the admin with its image "rescue", then stopped by the admin
# Also: list and status, refusals (an image or slot or VM outside the bounds, a start of a running
# VM), the control socket's mode, the switch detaching a port whose svmm ended, svmm up's exit status
# 0 once every VM is down.
# Prints "e2e-up: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(mkdir -p "${BUILD:-$ROOT/build}" && cd "${BUILD:-$ROOT/build}" && pwd)
T=$BUILD/e2e/hosted-up
TIMEOUT=${E2E_TIMEOUT:-1500}
COMPOSE=$BUILD/host/svmm-compose
TAG=e2e-up
. "$ROOT/tests/e2e/lib.sh"
rm -rf "$T" && mkdir -p "$T/stage/guest" "$T/stage/tmp" "$T/extra" "$T/gextra/lib"
make -s -C "$ROOT" compose BUILD="$BUILD" >/dev/null || fail_early "build svmm-compose"
[ -x "$BUILD/aarch64/svmm" ] || fail_early "no $BUILD/aarch64/svmm (make svmm BUILD=$BUILD)"
"$ROOT/tests/machine/fetch.sh" --quiet || fail_early "fetch the test machine's packages"
# vm1's watchdog driver: the guest kernel's sbsa_gwdt module (the shared guest image has none).
cp "$(ls "$BUILD"/machine/root-kernel/lib/modules/*/kernel/drivers/watchdog/sbsa_gwdt.ko* | head -n1)" "$T/gextra/lib/" ||
    fail_early "no sbsa_gwdt module in the guest kernel's package"

# One guest initramfs for every VM: its role from its devices (vm1: the disk vm1.img; vm2, vm3:
# their switch port's MAC; the slot: neither).
cat > "$T/guest-cmd" <<'G'
mac=$(cat /sys/class/net/eth0/address 2>/dev/null)
disk=
for s in /sys/block/vd*; do [ "$(cat $s/serial 2>/dev/null)" = vm1.img ] && disk=/dev/${s##*/}; done
case "$mac" in *:02) role=vm2 ;; *:03) role=vm3 ;; *) role=${disk:+vm1}; role=${role:-scratch} ;; esac
echo "UP role $role"
case $role in
vm1)
    ko=$(ls /lib/sbsa_gwdt.ko*)
    case $ko in *.xz) xz -dc "$ko" > /tmp/sbsa_gwdt.ko; ko=/tmp/sbsa_gwdt.ko ;; esac
    insmod "$ko" && echo "UP vm1 watchdog timeout $(cat /sys/class/watchdog/watchdog0/timeout)"
    n=$(dd if=$disk bs=512 count=1 2>/dev/null | tr -dc '0-9'); boot=$(( ${n:-0} + 1 ))
    if [ $boot = 1 ]; then
        dd if=/dev/urandom of=/tmp/data bs=1M count=8 2>/dev/null
        echo "UP data-sha256 $(sha256sum < /tmp/data | cut -d' ' -f1)"
        dd if=/tmp/data of=$disk bs=1M seek=1 conv=fsync 2>/dev/null
    else
        echo "UP readback-sha256 $(dd if=$disk bs=1M skip=1 count=8 2>/dev/null | sha256sum | cut -d' ' -f1)"
    fi
    echo $boot | dd of=$disk bs=512 count=1 conv=sync,fsync 2>/dev/null
    echo "UP vm1 boot $boot ready"
    [ $boot = 3 ] && { sleep 2; echo c > /proc/sysrq-trigger; }
    [ $boot -ge 4 ] && poweroff -f
    sleep 900 ;;
vm2)
    ip link set eth0 up; ip addr add 10.0.0.2/24 dev eth0
    for i in $(seq 120); do ping -c1 -W1 10.0.0.3 > /dev/null 2>&1 && break; sleep 1; done
    echo "UP vm2 ping-start"
    ping -c 150 -i 0.4 10.0.0.3 | tail -n 2 | sed 's/^/UP vm2 ping: /'
    poweroff -f ;;
vm3)
    ip link set eth0 up; ip addr add 10.0.0.3/24 dev eth0
    for i in $(seq 120); do ping -c1 -W1 10.0.0.2 > /dev/null 2>&1 && break; sleep 1; done
    echo "UP vm3 sees vm2"
    while ping -c1 -W3 10.0.0.2 > /dev/null 2>&1; do sleep 2; done # until vm2 is gone
    echo "UP vm3 vm2 gone"
    poweroff -f ;;
scratch)
    echo "UP scratch booted"
    sleep 900 ;;
esac
G

# The example's plan, for the test machine's paths: its images at /guest, vm1's disk in /tmp. The
# composer reads every image, so the guest initramfs is built first (machine_run builds it again).
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/guest.cpio.gz" --cmd-file "$T/guest-cmd" --extra "$T/gextra" >/dev/null ||
    fail_early "guest initramfs"
ln -s "$BUILD/machine/Image" "$T/stage/guest/Image"
ln -s "$T/guest.cpio.gz" "$T/stage/guest/initrd.cpio.gz"
: > "$T/stage/tmp/vm1.img"
# The watchdog's boot window is host time: five nested guests booting at once on a loaded 2-CPU
# machine have taken more than its 120 s to reach the guest's own driver (a CI run at load 11), so
# the test gives 600 s; the 10 s timeout after boot, which the panic check relies on, is as written.
sed 's|build/machine/Image|guest/Image|; s|build/guest.cpio.gz|guest/initrd.cpio.gz|; s|build/vm1.img|tmp/vm1.img|
     s|^\(    watchdog_boot:\) *120\b|\1 600|' "$ROOT/examples/admin/system.yaml" > "$T/system.yaml"
grep -q '^    watchdog_boot: 600' "$T/system.yaml" || fail_early "examples/admin: no watchdog_boot: 120 to widen"
"$COMPOSE" "$T/system.yaml" --root "$T/stage" --up-plan "$T/plan" 2> "$T/compose.err" ||
    { cat "$T/compose.err"; fail_early "svmm-compose --up-plan"; }
sed "s|$T/stage||g" "$T/plan" > "$T/extra/admin.plan"

cat > "$T/outer-script" <<'O'
cd /tmp
dd if=/dev/zero of=vm1.img bs=1M count=16 2>/dev/null
ctl() { r=$(/svmm ctl --socket /tmp/up.ctl "$@" 2>&1); rc=$?; echo "[outer] ctl $*: $(printf '%s' "$r" | tr '\n' '|') (exit $rc)"; }
mkfifo out
/svmm up /admin.plan --control /tmp/up.ctl --run-dir /tmp/run < /dev/null > out 2>&1 &
up=$!
vm1_ready=0 pinging=0 restarted=0
while IFS= read -r line; do
    printf '%s\n' "$line"
    case $line in
    *"svmm-up: VM vm3 started"*)
        echo "[outer] ctl mode $(stat -c %a /tmp/up.ctl)"
        ctl list
        ctl boot scratch rescue
        ctl boot scratch evil
        ctl boot nowhere rescue
        ctl status vm9
        ctl start vm2
        ctl restart scratch-x ;;
    *"scratch| "*"UP scratch booted"*)
        ctl status scratch
        ctl stop scratch ;;
    *"vm1| "*"UP vm1 boot 1 ready"*) vm1_ready=1 ;;
    *"vm2| "*"UP vm2 ping-start"*) pinging=1 ;;
    *"vm1| "*"UP vm1 boot 2 ready"*)
        ctl status vm1
        pid=$(/svmm ctl --socket /tmp/up.ctl status vm1 | sed -n 's/.* pid=\([0-9]*\) .*/\1/p')
        echo "[outer] SIGSEGV to vm1's svmm (pid $pid)"
        kill -SEGV "$pid" ;;
    esac
    if [ $vm1_ready = 1 ] && [ $pinging = 1 ] && [ $restarted = 0 ]; then
        restarted=1
        ctl restart vm1
    fi
done < out
wait $up
echo "[outer] svmm up exit $?"
echo "[outer] control socket removed: $([ -e /tmp/up.ctl ] && echo no || echo yes)"
O
machine_run "$T" "$TIMEOUT" "--extra $T/gextra" "--extra $T/extra" "" || fail_early "test machine images"

dsum=$(sed -n 's/.*UP data-sha256 \([0-9a-f]*\).*/\1/p' <<<"$LOG" | head -n1)
ping=$(sed -n 's/.*UP vm2 ping: \([0-9]*\) packets transmitted, \([0-9]*\) packets received.*/\1 \2/p' <<<"$LOG" | head -n1)
ping=($ping - -)
check "test machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "svmm up started switch lan, then vm1, vm2, vm3 (slot scratch not started)" \
    "$(grep -q 'svmm-up: server switch-lan started' <<<"$LOG" && grep -q 'svmm-up: VM vm1 started' <<<"$LOG" &&
       grep -q 'svmm-up: VM vm3 started' <<<"$LOG" && ! grep -q 'svmm-up: slot scratch started (pid' <<<"$LOG"; rc)"
check "control socket mode 600" "$(has '\[outer\] ctl mode 600')"
check "list: the switch, three VMs and the idle slot" \
    "$(grep '\[outer\] ctl list: ok' <<<"$LOG" | grep -q 'switch-lan server state=running.*vm1 vm state=running.*on_fault=restart(3/60s).*vm3 vm state=running.*scratch slot state=idle'; rc)"
check "boot scratch rescue: the slot booted its image" \
    "$(grep -q '\[outer\] ctl boot scratch rescue: ok starting scratch' <<<"$LOG" && grep -q 'scratch| .*UP scratch booted' <<<"$LOG"; rc)"
check "an image outside the slot's list is refused with the allowed ones" \
    "$(has "\[outer\] ctl boot scratch evil: error: slot scratch may not boot image 'evil' \(its images: rescue\) \(exit 1\)")"
check "a slot, a VM that are not in the system are refused, naming those that are" \
    "$(grep -q "\[outer\] ctl boot nowhere rescue: error: no dynamic slot 'nowhere' in this system (slots: scratch)" <<<"$LOG" &&
       grep -q "\[outer\] ctl status vm9: error: no VM or slot 'vm9' in this system (VMs: vm1, vm2, vm3; slots: scratch)" <<<"$LOG"; rc)"
check "start of a running VM refused" "$(has '\[outer\] ctl start vm2: error: VM vm2 is running \(exit 1\)')"
check "status scratch: running image rescue, with its VMM's own status" \
    "$(has '\[outer\] ctl status scratch: ok scratch slot state=running pid=[0-9]* .*image=rescue; vmm: state running boots 1')"
check "stop scratch: its svmm stopped the VM (exit 0), logged as the admin's stop" \
    "$(grep -q '\[outer\] ctl stop scratch: ok stopping scratch' <<<"$LOG" &&
       grep -q 'svmm-up: slot scratch ended (exit status 0: powered off), stopped by the admin' <<<"$LOG"; rc)"
check "vm1 wrote 8 MiB (SHA-256 printed)" "$(is [ ${#dsum} = 64 ])"
check "restart vm1 while vm2 pings: forwarded to its VMM, which restarted the VM" \
    "$(grep -q '\[outer\] ctl restart vm1: ok restarting vm1' <<<"$LOG" && grep -q 'vm1| .*VM restarted (restart 1)' <<<"$LOG"; rc)"
check "vm1's boots 2, 3 and 4 read the data back intact (SHA-256 x 3)" \
    "$(is [ "$(grep -c "UP readback-sha256 $dsum" <<<"$LOG")" = 3 ])"
check "a faulting VMM (SIGSEGV) is detected and vm1 restarted by its policy, logged" \
    "$(has 'svmm-up: VM vm1 failed \(killed by signal 11 \([A-Za-z ]*\)\): restarting it by policy \(restart 1; at most 3 within 60 s\)')"
check "vm1's guest drives its watchdog (sbsa_gwdt, 10 s)" "$(has 'vm1\| UP vm1 watchdog timeout 10')"
check "a guest that panics (boot 3, sysrq c) stops refreshing it: its svmm exits 3, restarted by policy, logged" \
    "$(grep -q 'vm1| .*VM vm1: guest stopped refreshing its watchdog' <<<"$LOG" &&
       grep -q 'svmm-up: VM vm1 failed (exit status 3: guest crashed): restarting it by policy (restart 2; at most 3 within 60 s)' <<<"$LOG"; rc)"
check "vm1's boot 4 ran in a third svmm and powered off" \
    "$(grep -q 'UP vm1 boot 4 ready' <<<"$LOG" && grep -q 'svmm-up: VM vm1 powered off' <<<"$LOG"; rc)"
check "vm2 pinged vm3 through the switch across vm1's restarts, at most one ping lost (${ping[0]} sent, ${ping[1]} received)" \
    "$([ "${ping[0]}" != - ] && [ "${ping[0]}" -ge 100 ] && [ $(( ${ping[0]} - ${ping[1]} )) -le 1 ]; rc)"
check "vm2 and vm3 powered off on their own" \
    "$(grep -q 'svmm-up: VM vm2 powered off' <<<"$LOG" && grep -q 'svmm-up: VM vm3 powered off' <<<"$LOG"; rc)"
check "the switch detached each VM's port when its svmm ended (no writer left in its buffers)" \
    "$(grep -q 'switch-lan| .*port vm2 disconnected' <<<"$LOG" && grep -q 'switch-lan| .*port vm3 disconnected' <<<"$LOG"; rc)"
check "svmm up stopped the switch and exited 0, its control socket removed" \
    "$(grep -q 'svmm-up: server switch-lan ended' <<<"$LOG" && grep -q '\[outer\] svmm up exit 0' <<<"$LOG" &&
       grep -q '\[outer\] control socket removed: yes' <<<"$LOG"; rc)"
grep -E '^\[outer\]|svmm-up:' <<<"$LOG" | head -n 60
echo "$TAG: wall ${wall}s"
finish "$T/log"
