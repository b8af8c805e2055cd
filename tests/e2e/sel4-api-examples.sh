#!/bin/bash
# seL4 tier for the high-level API's examples (issue 15 part 2): examples/api/mmio-device and
# examples/api/virtio-backend, each a Microkit PD whose main-sel4.c calls svmm/svmm.h alone and links
# libsvmm-sel4.a (make sel4-api-examples), booted in QEMU with the test Linux guest on 2 vCPUs.
#   mmio-device     the guest's devmem reads ID, writes and reads back SCRATCH, reads WRITES, and
#                   reads VCPU from vCPU 0 and vCPU 1 (taskset): the callback's vcpu parameter;
#   virtio-backend  the guest's /dev/hwrng bytes come from the counter device: each one more than
#                   the last (mod 256).
# Both: the guest prints its results and asks the test on its console (the board UART's input,
# which the library passes to the guest's UART) whether to reboot or power off; the first time it
# is told to reboot (`reboot -f`: PSCI SYSTEM_RESET, the library restarts the VM in place), so init
# is reached twice, and the second time to power off (PSCI SYSTEM_OFF), which stops the VM (the
# library's exit summary says boot=2). The harness then ends QEMU.
# Then the calls the examples do not make, from a test PD of its own (tests/e2e/api-lifecycle: its
# lifecycle.c is the one tests/e2e/hosted-api-examples.sh runs on KVM): what svmm.h refuses (a second
# VM, a misplaced or late device, run without images, restart before run, a second run), and
# svmm_restart(), svmm_stop() and svmm_boots() from inside a device callback. Where seL4 differs from
# KVM: svmm_run() returns once vCPU 0 runs, so svmm_boots() reads 1 after it (KVM: 2, after the stop).
# usage: sel4-api-examples.sh SDK_DIR [MICROKIT_CONFIG]   (GICv2 or GICv3 kernels)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=$1 CONFIG=${2:-debug}
TIMEOUT=${SEL4_TIMEOUT:-600}
. "$ROOT/tests/e2e/lib.sh"
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
T=$BUILD/e2e/sel4-api-examples-$CONFIG-$variant
TAG="sel4-api-examples/$variant/$CONFIG"
rm -rf "$T" && mkdir -p "$T"

# The default machine has no virtio console: guest-init's /dev/hvc0 leads nowhere, the UART is ttyS0.
tty='exec < /dev/ttyS0 > /dev/ttyS0 2>&1'
# What every example's guest does after its own checks: ask, then reboot or power off as told.
# shellcheck disable=SC2016 # expanded by the guest
ask='echo "E2E-API ready at uptime $(cut -d" " -f1 /proc/uptime): reboot or off?"
read -t 300 what
echo "E2E-API told: $what"
[ "$what" = reboot ] && reboot -f
poweroff -f'
cat > "$T/cmd-mmio-device" <<G
$tty
echo "E2E-API online=\$(cat /sys/devices/system/cpu/online)"
echo "E2E-API id=\$(devmem 0x0c000000 32)"
devmem 0x0c000004 32 0x1234abcd
echo "E2E-API scratch=\$(devmem 0x0c000004 32) writes=\$(devmem 0x0c000008 32)"
devmem 0x0c000010 32 0x55
echo "E2E-API unused=\$(devmem 0x0c000010 32) id-after-write=\$(devmem 0x0c000000 32)"
echo "E2E-API vcpu0=\$(taskset -c 0 devmem 0x0c00000c 32) vcpu1=\$(taskset -c 1 devmem 0x0c00000c 32)"
$ask
G
# The lifecycle test PD (tests/e2e/api-lifecycle): boot 1 has its device call svmm_restart(),
# boot 2 svmm_stop(), both from inside the guest's store (a device callback): the restart from vCPU 1.
cat > "$T/cmd-api-lifecycle" <<'G'
exec < /dev/ttyS0 > /dev/ttyS0 2>&1
b=$(devmem 0x0c000000 32)
echo "E2E-API boots=$b restart-rc=$(devmem 0x0c000008 32)"
sleep 1 # a restart or stop is a power cut: let the tty drain the line first
if [ $((b)) = 1 ]; then
    taskset -c 1 devmem 0x0c000004 32 1
    sleep 30; echo "E2E-API the restart did not happen"
fi
devmem 0x0c000004 32 2
sleep 30; echo "E2E-API the stop did not happen"
G
cat > "$T/cmd-virtio-backend" <<G
$tty
echo "E2E-API online=\$(cat /sys/devices/system/cpu/online)"
echo "E2E-API rng-current=\$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
echo "E2E-API rng=\$(head -c 64 /dev/hwrng | od -An -tu1 | tr -s ' \n' '  ')"
$ask
G

# run EXAMPLE [DIR]: build it (examples/api/EXAMPLE, or DIR) with its guest, boot it, answer its
# questions (reboot the first time, off the second); sets LOG, wall, status, ELF.
run() {
    local x=$1 spec=${2:-$1} out=$BUILD/sel4/qemu_virt_aarch64-$CONFIG-$variant/api-$1
    local start asked=0 n qemu
    "$ROOT/tests/machine/mkguest-initrd.sh" "$T/$x.cpio.gz" --cmd-file "$T/cmd-$x" >/dev/null || return 1
    make -s -C "$ROOT" sel4-api-examples API_EXAMPLES="$spec" BUILD="$BUILD" MICROKIT_SDK="$SDK" \
        MICROKIT_CONFIG="$CONFIG" GUEST_KERNEL="$BUILD/machine/Image" GUEST_INITRD="$T/$x.cpio.gz" \
        > "$T/$x-build.log" 2>&1 || { cat "$T/$x-build.log"; return 1; }
    ELF=$out/vmm.elf
    rm -f "$T/$x.in" && mkfifo "$T/$x.in" && exec 3<>"$T/$x.in"
    : > "$T/$x.log"
    sel4_qemu_start "$out" "$gic" "$T/$x.log" "$T/$x.in"
    status=timeout
    while [ $(( $(date +%s) - start )) -lt "$TIMEOUT" ]; do
        kill -0 $qemu 2>/dev/null || { status='qemu-exited'; break; }
        n=$(tr -d '\r' < "$T/$x.log" | grep -a -c 'E2E-API ready')
        if [ "$n" -gt "$asked" ]; then
            asked=$n
            sleep 1 # the guest is in its read by now
            if [ "$n" = 1 ]; then printf 'reboot\r' >&3; else printf 'off\r' >&3; fi
        fi
        grep -aqs 'svmm\[vm\]|info: exits: ' "$T/$x.log" && { status=stopped; break; }
        sleep 1
    done
    sel4_qemu_stop "$T/$x.log"
    exec 3>&-
    [ $status != timeout ] || echo "[sel4] TIMEOUT: $x did not stop within $TIMEOUT s (log: $T/$x.log)"
}

# The checks every example shares: the library ran the VM, restarted it once and stopped it.
common_checks() {
    local x=$1 lines
    lines=$(cat "$ROOT/examples/api/$x"/*.c "$ROOT/examples/api/$x"/*.h 2>/dev/null | wc -l)
    check "$x: under 200 lines of C in all ($lines)" "$(is [ "$lines" -lt 200 ])"
    check "$x: main-sel4.c and the device include only public headers (svmm/, microkit.h, its own device.h)" \
        "$(! grep -hE '^#include' "$ROOT/examples/api/$x"/main-sel4.c "$ROOT/examples/api/$x"/device.[ch] |
            grep -vqE '^#include (<(svmm/[a-z0-9_]+|microkit|stdint|stdbool|stddef|string)\.h>|"device\.h")$'; rc)"
    syms=$(aarch64-linux-gnu-nm "$ELF" 2>/dev/null)
    check "$x: the library provides fault() and notified(), the example init() (no composer's VMM: no svmm_sel4_vm)" \
        "$(grep -qw fault <<<"$syms" && grep -qw notified <<<"$syms" && grep -qw svmm_create <<<"$syms" &&
           ! grep -qw svmm_sel4_vm <<<"$syms"; rc)"
    check "$x: the system stopped by itself (status $status)" "$(is [ "$status" = stopped ])"
    check "$x: the library started vCPU 0" "$(has '^svmm\[vm\]\|info: starting vCPU 0 at 0x')"
    check "$x: guest boot log, prefixed as guest output" "$(has '^vm\| .*Booting Linux on physical CPU')"
    check "$x: both vCPUs online (PSCI CPU_ON)" "$(has '^vm\| E2E-API online=0-1')"
    check "$x: the guest reached init twice (a restart in between)" \
        "$(is [ "$(grep -c '\[guest-init\] init reached' <<<"$LOG")" = 2 ])"
    check "$x: the console's input reached the guest (told: reboot, then off)" \
        "$(grep -q 'E2E-API told: reboot' <<<"$LOG" && grep -q 'E2E-API told: off' <<<"$LOG"; rc)"
    check "$x: reboot -f restarted the VM in place (PSCI SYSTEM_RESET, restart 1)" \
        "$(has 'svmm\[vm\]\|info: VM vm restarted \(restart 1\)')"
    check "$x: power-off stopped the VM after its second boot" \
        "$(grep -q 'svmm\[vm\]|info: VM vm stopped: guest powered off' <<<"$LOG" &&
           grep -qE 'svmm\[vm\]\|info: exits: vm_fault=[1-9].*; boot=2$' <<<"$LOG"; rc)"
    echo "$TAG: $x: wall ${wall}s, guest boot-to-init $(boot_to_init)s (guest kernel uptime)"
    aarch64-linux-gnu-size "$ELF" | tail -n1 | awk -v t="$TAG" -v x="$x" '{print t ": " x ": PD text " $1 " B, data " $2 " B, bss " $3 " B"}'
}

# first FIELD: the value of "FIELD=value" in the first boot's E2E-API lines.
first() { grep -m1 -oE "E2E-API .*$1=[^ ]*" <<<"$LOG" | sed "s/.*$1=//"; }

if run mmio-device; then
    common_checks mmio-device
    check "mmio-device: ID reads 0x4d4d5653 (\"SVMM\")" "$(is [ "$(first id | tr A-F a-f)" = 0x4d4d5653 ])"
    check "mmio-device: SCRATCH reads back what was written, WRITES counts the one write" \
        "$(is [ "$(first scratch | tr A-F a-f) $(first writes)" = "0x1234abcd 0x00000001" ])"
    check "mmio-device: an unused offset reads 0 and ignores the write; ID unchanged" \
        "$(is [ "$(first unused) $(first id-after-write | tr A-F a-f)" = "0x00000000 0x4d4d5653" ])"
    check "mmio-device: WRITES is 1 again on the second boot (its reset hook ran at the restart)" \
        "$(is [ "$(grep -c 'E2E-API scratch=0x1234[aA][bB][cC][dD] writes=0x00000001' <<<"$LOG")" = 2 ])"
    check "mmio-device: VCPU reads 0 from vCPU 0 and 1 from vCPU 1 (the callback's vcpu)" \
        "$(is [ "$(first vcpu0) $(first vcpu1)" = "0x00000000 0x00000001" ])"
else
    check "mmio-device: built and booted" 1
fi

if run virtio-backend; then
    common_checks virtio-backend
    rng=$(grep -m1 -oE 'E2E-API rng=[0-9 ]*' <<<"$LOG" | sed 's/.*rng=//')
    # shellcheck disable=SC2086 # the bytes are words
    inc=$(set -- $rng; n=$# ok=0 prev=${1:-0}; [ $n = 0 ] || shift
          for b in "$@"; do [ "$b" = $(( (prev + 1) % 256 )) ] && ok=$((ok + 1)); prev=$b; done; echo "$n $ok")
    check "virtio-backend: the guest uses the counter device as its hwrng" "$(has 'E2E-API rng-current=virtio_rng')"
    check "virtio-backend: 64 bytes from /dev/hwrng, each one more than the last (mod 256) (count, increments: $inc)" \
        "$(is [ "$inc" = "64 63" ])"
else
    check "virtio-backend: built and booted" 1
fi
# The calls the examples do not make: refusals, and svmm_restart / svmm_stop / svmm_boots from a device.
if run api-lifecycle tests/e2e/api-lifecycle; then
    x=lifecycle
    check "$x: the system stopped by itself (status $status)" "$(is [ "$status" = stopped ])"
    for what in "a second VM" "a device at a page's middle" "a device on the UART" "a device in RAM" \
        "svmm_run before svmm_load_linux" "svmm_restart before svmm_run" "a device after svmm_run" \
        "a second svmm_run" "svmm_load_linux after svmm_run"; do
        check "$x: svmm.h refuses $what (with a reason)" "$(has "svmm\[vm\]\|info: api-test: $what: refused \([^-]")"
    done
    check "$x: no call that should be refused was accepted" "$(is [ "$(has 'info: api-test: .*ACCEPTED')" = 1 ])"
    check "$x: svmm_boots() is 1 once svmm_run() returned (seL4: at once, the VM running)" "$(has 'info: api-test: boots after svmm_run: 1$')"
    check "$x: boot 1: the device reads svmm_boots() 1, no restart yet" \
        "$(has '^vm\| E2E-API boots=0x00000001 restart-rc=0x00000001$')"
    check "$x: svmm_restart() from the device callback (vCPU 1's store) restarted the VM once the access was done" \
        "$(grep -q 'info: api-test: vCPU 1 asks for a restart' <<<"$LOG" &&
           grep -q 'info: VM vm: the application asked for a restart: restarting' <<<"$LOG" &&
           grep -q 'info: VM vm restarted (restart 1)' <<<"$LOG"; rc)"
    check "$x: boot 2: svmm_boots() 2, svmm_restart() had returned 0" \
        "$(has '^vm\| E2E-API boots=0x00000002 restart-rc=0x00000000$')"
    check "$x: svmm_stop() from the device callback stopped the VM (boot 2)" \
        "$(grep -q 'info: VM vm stopped: the guest asked the test device to stop it' <<<"$LOG" &&
           grep -qE 'info: exits: .*; boot=2$' <<<"$LOG"; rc)"
    check "$x: the guest never went on past either call" "$(is [ "$(has 'did not happen')" = 1 ])"
    echo "$TAG: $x: wall ${wall}s"
else
    check "lifecycle: built and booted" 1
fi
finish "$T/mmio-device.log"
