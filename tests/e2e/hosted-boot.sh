#!/bin/bash
# Hosted tier, end to end: an unmodified Debian arm64 kernel boots under svmm (Linux KVM) inside
# the QEMU test machine with 4 vCPUs pinned to the machine's 2 CPUs (--cpu-affinity 0,1,0,1, each
# vCPU thread's affinity read from the host while it runs); its boot log appears on the emulated
# UART, it reaches init, loads its virtio modules, reports 4 online CPUs through the virtio console
# (hvc0) and powers off with svmm exiting 0. A second run: 2 vCPUs, one per CPU, under SCHED_FIFO
# (--rt-priority), checked from the host likewise, with a second RAM range above a hole
# (--mem-range 0x100000000,64M), which the guest must list in /proc/iomem. Both runs map a shared
# window (--shared-window, a file in /tmp): the first guest writes a marker there with devmem, the
# second reads it, the host finds it in the file. Then a raw binary built
# for 0x48000000 (tests/guest/raw.S: no Image header, absolute addresses) with --load-addr: it runs
# there, and loaded 2 MiB higher it detects it. Prints one "ok"/"FAIL" line per check and
# "e2e: N passed, N failed".
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
echo "E2E-RAM $(grep 'System RAM' /proc/iomem | tr -d ' ' | tr '\n' ' ')"
w=/proc/device-tree/shared-window@10000000
if [ -e $w ]; then
    v=$(devmem 0x10000000 32)
    if [ "$v" = 0x00000000 ]; then devmem 0x10000000 32 0x57494E44; echo "E2E-WIN $(tr -d '\000' < $w/label) wrote"
    else echo "E2E-WIN $(tr -d '\000' < $w/label) read $v"; fi
fi
G
cat > "$T/outer-script" <<'O'
# threads PID: each vCPU thread's name, allowed CPUs and scheduling policy (stat field 41: 1 = FIFO).
threads() {
    for t in /proc/$1/task/*; do
        case $(cat $t/comm) in "vcpu "*)
            echo "[outer] thread '$(cat $t/comm)' cpus=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' $t/status)" \
                 "policy=$(cut -d')' -f2 $t/stat | awk '{ print $39 }')" ;;
        esac
    done | sort
}
watch_vcpus() { # PID COUNT: once all COUNT vCPU threads exist, list them
    for i in $(seq 600); do
        [ "$(grep -l '^vcpu ' /proc/$1/task/*/comm 2>/dev/null | wc -l)" -ge $2 ] && { threads $1; return; }
        sleep 0.1
    done
}
rm -f /tmp/e2ewin
/svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 4 --cpu-affinity 0,1,0,1 --mem 512M \
    --shared-window 0x10000000,2M,/tmp/e2ewin \
    --append "console=ttyS0 earlycon" --dtb-out /tmp/guest.dtb &
pid=$!
watch_vcpus $pid 4
wait $pid
echo "[outer] svmm exit status (pinned): $?"
/svmm run -q --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --cpu-affinity 1,0 --rt-priority 5 \
    --mem 256M --mem-range 0x100000000,64M --shared-window 0x10000000,2M,/tmp/e2ewin \
    --append "console=ttyS0 earlycon" > /tmp/rt.out 2>&1 &
pid=$!
watch_vcpus $pid 2
wait $pid
echo "[outer] svmm exit status (rt): $?"
grep -o 'E2E-MARKER.*\|E2E-RAM.*\|E2E-WIN.*' /tmp/rt.out | sed 's/^/[outer] rt run: /'
echo "[outer] window file: $(stat -c '%s %a' /tmp/e2ewin) first word $(od -An -tx4 -N4 /tmp/e2ewin | tr -d ' ')"
for a in 0x48000000 0x48200000; do
    /svmm run -q --kernel /raw.bin --load-addr $a --mem 256M > /tmp/raw.out 2>&1
    echo "[outer] raw at $a: exit $?: $(tr -d '\r' < /tmp/raw.out | grep -o 'RAW-GUEST.*')"
done
O

TAG=e2e
. "$ROOT/tests/e2e/lib.sh"
make -s -C "$ROOT" raw-guest BUILD="$BUILD" >/dev/null || fail_early "raw test guest"
mkdir -p "$T/extra" && cp "$BUILD/guest/raw.bin" "$T/extra/raw.bin"
machine_run "$T" "$TIMEOUT" "" "--extra $T/extra" "" || fail_early "test machine images"

check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "svmm started the VM with 4 vCPUs" "$(has 'svmm: starting VM: 4 vCPUs')"
check "svmm logged the pinning" "$(has 'svmm: vCPU threads pinned to host CPUs 0,1,0,1 \(vCPU 0 first\)')"
for v in 0 1 2 3; do
    check "vCPU $v's thread runs on host CPU $((v % 2)) only (from the host)" "$(has "\[outer\] thread 'vcpu $v' cpus=$((v % 2)) policy=0")"
done
check "guest boot log on the emulated UART" "$(has 'Booting Linux on physical CPU')"
check "guest brought up its other CPUs (PSCI CPU_ON)" "$(has 'CPU3: Booted secondary processor|Brought up 1 node, 4 CPUs')"
check "guest reached init" "$(has '\[guest-init\] init reached')"
check "guest loaded virtio_mmio" "$(has '\[guest-init\] loaded virtio_mmio')"
check "guest loaded virtio_console" "$(has '\[guest-init\] loaded virtio_console')"
check "4 online CPUs reported through hvc0" "$(has 'E2E-MARKER online=0-3 nproc=4')"
check "guest powered off via PSCI SYSTEM_OFF" "$(has 'svmm: guest powered off')"
check "svmm exited 0" "$(has '\[outer\] svmm exit status \(pinned\): 0')"
check "SCHED_FIFO run: vCPU 0 on CPU 1, vCPU 1 on CPU 0, both FIFO (from the host)" \
    "$([ "$(has "\[outer\] thread 'vcpu 0' cpus=1 policy=1")" = 0 ] && [ "$(has "\[outer\] thread 'vcpu 1' cpus=0 policy=1")" = 0 ]; rc)"
check "one RAM range without --mem-range (512 MiB at 0x40000000)" "$(has 'E2E-RAM 40000000-5fffffff:SystemRAM $')"
check "two RAM ranges with --mem-range, the hole between unmapped" \
    "$(has '\[outer\] rt run: E2E-RAM 40000000-4fffffff:SystemRAM 100000000-103ffffff:SystemRAM $')"
check "shared window: the first VM found it zeroed and wrote its marker" "$(has 'E2E-WIN e2ewin wrote')"
check "shared window: the second VM read the first one's marker" "$(has '\[outer\] rt run: E2E-WIN e2ewin read 0x57494E44')"
check "shared window: the host sees it in the file (2 MiB, mode 600)" "$(has '\[outer\] window file: 2097152 600 first word 57494e44')"
check "raw binary at its address (--load-addr 0x48000000): it runs, powers off, exit 0" \
    "$(has '\[outer\] raw at 0x48000000: exit 0: RAW-GUEST ok: running where it was linked')"
check "the same binary 2 MiB higher sees it is not where it was linked (the test can fail)" \
    "$(has '\[outer\] raw at 0x48200000: exit 0: RAW-GUEST BAD')"
check "SCHED_FIFO run: the guest ran (2 CPUs) and svmm exited 0" \
    "$([ "$(has '\[outer\] rt run: E2E-MARKER online=0-1 nproc=2')" = 0 ] && [ "$(has '\[outer\] svmm exit status \(rt\): 0')" = 0 ]; rc)"

echo "e2e: wall ${wall}s, guest boot-to-init $(boot_to_init)s (guest kernel uptime), svmm $(stat -c %s "$BUILD/aarch64/svmm") bytes"
grep -E 'svmm: exits:' <<<"$LOG" | head -n1 || true
finish "$T/log"
