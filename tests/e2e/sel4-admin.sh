#!/bin/bash
# seL4 tier for the admin PD (issue 12 parts 2 and 3 on seL4): examples/sel4-admin as written but for
# its images, booted in QEMU, with commands typed on the board UART (QEMU's stdin, a FIFO) as the log
# shows each step done:
#   1. both VMs up: help, list, status; refusals (a VM not under the admin, a test fault of a VM
#      without test_fault, an unknown command, extra words); `restart vm1` while vm2 prints a tick a
#      second on its console: vm1 boots again and vm2's ticks run on, none missing
#   2. `fault vm1`: vm1's VMM faults (a store to page 0); the admin, its parent, gets the fault and
#      restarts the VMM program by vm1's policy (on_fault: restart); vm1 boots again
#   3. `stop vm1`, `stop vm1` again (refused by its VMM: already stopped), `start vm1`: boots again
#   4. that boot (vm1's 4th, counted on its RAM disk) panics (sysrq c): its watchdog is no longer
#      refreshed, WS1 after 10 s, its VMM stops the VM as failed, and the admin starts it again by
#      policy: a 5th boot
#   5. the dynamic slot "scratch": refusals (an image or slot outside the bounds, start of a slot),
#      `boot scratch rescue` (its guest says which image it is), `stop scratch`, `boot scratch tools`
#   6. `stop vm1`, `stop vm2`, `stop scratch`: the VMMs print their exit summaries, QEMU is ended.
# usage: sel4-admin.sh SDK_DIR [MICROKIT_CONFIG]   (prints "sel4-admin/<variant>/<config>: N passed, N failed")
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=$1 CONFIG=${2:-debug}
TIMEOUT=${SEL4_TIMEOUT:-900}
. "$ROOT/tests/e2e/lib.sh"
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
T=$BUILD/e2e/sel4-admin-$CONFIG-$variant
TAG="sel4-admin/$variant/$CONFIG"
rm -rf "$T" && mkdir -p "$T"

# vm1 counts its boots on its RAM disk, loads the watchdog driver (the guest kernel's sbsa_gwdt
# module: the shared guest image has none), and panics in its 4th boot.
mkdir -p "$T/gextra/lib"
cp "$(ls "$BUILD"/machine/root-kernel/lib/modules/*/kernel/drivers/watchdog/sbsa_gwdt.ko* | head -n1)" "$T/gextra/lib/" ||
    fail_early "no sbsa_gwdt module in the guest kernel's package"
cat > "$T/cmd-vm1" <<'G'
ko=$(ls /lib/sbsa_gwdt.ko*)
case $ko in *.xz) xz -dc "$ko" > /tmp/sbsa_gwdt.ko; ko=/tmp/sbsa_gwdt.ko ;; esac
insmod "$ko" && echo "ADMIN-WDT timeout $(cat /sys/class/watchdog/watchdog0/timeout)"
n=$(dd if=/dev/vda bs=512 count=1 2>/dev/null | tr -dc '0-9'); boot=$(( ${n:-0} + 1 ))
echo $boot | dd of=/dev/vda bs=512 count=1 conv=sync,fsync 2>/dev/null
echo "ADMIN-UP vm1 boot $boot"
[ $boot = 4 ] && { sleep 1; echo c > /proc/sysrq-trigger; }
sleep 100000
G
echo 'echo "ADMIN-RAM $(grep "System RAM" /proc/iomem | tr -d " " | tr "\n" " ")"
i=0; while true; do i=$((i + 1)); echo "ADMIN-TICK $i"; sleep 1; done' > "$T/cmd-vm2"
for im in rescue tools; do echo "echo \"ADMIN-SLOT image $im\"; sleep 100000" > "$T/cmd-$im"; done
for vm in vm1 vm2 rescue tools; do
    "$ROOT/tests/machine/mkguest-initrd.sh" "$T/$vm.cpio.gz" --cmd-file "$T/cmd-$vm" --extra "$T/gextra" >/dev/null ||
        fail_early "guest initramfs"
done
# The VMs' images as example_images gives them; each slot image's kernel ours, its initrd its own.
example_images "$ROOT/examples/sel4-admin/system.yaml" "$BUILD/machine/Image" "$T/{vm}.cpio.gz" |
    awk -v k="$BUILD/machine/Image" -v t="$T" '/^dynamic:/ { dyn = 1 } dyn && /- name:/ { im = $3 }
        dyn && /^ *kernel:/ { sub(/kernel:.*/, "kernel: " k) } dyn && /^ *initrd:/ { sub(/initrd:.*/, "initrd: " t "/" im ".cpio.gz") }
        { print }' > "$T/system.yaml"
make -s -C "$ROOT" sel4-system BUILD="$BUILD" MICROKIT_SDK="$SDK" MICROKIT_CONFIG="$CONFIG" SYSTEM="$T/system.yaml" \
    SYSTEM_OUT="$T/out" > "$T/build.log" 2>&1 || fail_early build "$T/build.log"

# ---- boot, and type commands as the log shows each step done ----
: > "$T/log"
mkfifo "$T/in"
exec 3<>"$T/in"
sel4_qemu_start "$T/out" "$gic" "$T/log" "$T/in"
type_cmd() { echo "[test] > $*" >> "$T/typed"; printf '%s\r' "$*" >&3; sleep 1; }
count() { tr -d '\r' < "$T/log" | grep -a -c -E "$1"; }
step=0 status=timeout A='svmm\[admin\]\|'
while [ $(( $(date +%s) - start )) -lt "$TIMEOUT" ]; do
    kill -0 $qemu 2>/dev/null || { status=qemu-exited; break; }
    ups=$(count 'vm1\| .*ADMIN-UP vm1 boot')
    case $step in
    0) if [ "$ups" -ge 1 ] && [ "$(count 'vm2\| .*ADMIN-TICK 2$')" -ge 1 ]; then
           type_cmd help; type_cmd list; type_cmd status vm1
           type_cmd restart nosuch; type_cmd fault vm2; type_cmd reboot vm1; type_cmd status vm1 vm2
           type_cmd restart vm1; step=1
       fi ;;
    1) if [ "$ups" -ge 2 ]; then type_cmd status vm1; type_cmd fault vm1; step=2; fi ;;
    2) if [ "$ups" -ge 3 ]; then type_cmd status vm1; type_cmd list; type_cmd stop vm1; step=3; fi ;;
    3) if [ "$(count 'admin\]\|info: vm1: stopped by admin')" -ge 1 ]; then
           type_cmd stop vm1; type_cmd start vm1; step=4
       fi ;;
    4) if [ "$ups" -ge 5 ]; then
           type_cmd status vm1; type_cmd list; type_cmd boot scratch evil; type_cmd boot nowhere rescue
           type_cmd boot vm1 rescue; type_cmd start scratch; type_cmd boot scratch; type_cmd boot scratch rescue; step=5
       fi ;;
    5) if [ "$(count 'scratch\| .*ADMIN-SLOT image rescue')" -ge 1 ]; then
           type_cmd status scratch; type_cmd boot scratch tools; type_cmd stop scratch; step=6
       fi ;;
    6) if [ "$(count "${A}info: scratch: stopped by admin")" -ge 1 ]; then type_cmd boot scratch tools; step=7; fi ;;
    7) if [ "$(count 'scratch\| .*ADMIN-SLOT image tools')" -ge 1 ]; then
           type_cmd status scratch; type_cmd stop vm1; type_cmd stop vm2; type_cmd stop scratch; step=8
       fi ;;
    8) if [ "$(count 'svmm\[(vm[12]|scratch)\]\|info: exits: ')" -ge 6 ]; then status=stopped; break; fi ;;
    esac
    sleep 1
done
sel4_qemu_stop "$T/log"
exec 3>&-
[ $status != timeout ] || echo "[sel4] TIMEOUT at step $step: the system did not finish within $TIMEOUT s (log: $T/log)"

check "seL4 booted the system and the admin PD started" "$(has "${A}info: admin: 3 VMs; type help")"
check "vm1 reached init and ran its command" "$(has 'vm1\| .*ADMIN-UP vm1 boot 1')"
check "vm2 printed its ticks" "$(has 'vm2\| .*ADMIN-TICK 1$')"
check "vm2 sees its two RAM ranges, the hole between unmapped" "$(has 'vm2\| .*ADMIN-RAM 40000000-49ffffff:SystemRAM 100000000-101ffffff:SystemRAM $')"
check "help lists the commands" "$(has "${A}info: commands: list \| status VM")"
check "list: vm1 running" "$(has "${A}info: list: vm1 running boots=1 ")"
check "list: vm2 running" "$(has "${A}info: list: vm2 running")"
check "status vm1: running, its boot, restarts and policy" "$(has "${A}info: status vm1: running .*boot 1, restarts 0.*policy on fault: restart")"
check "refused: a VM not under the admin" "$(has "${A}warn: refused: restart nosuch: no such VM under this admin")"
check "refused: a test fault of a VM without test_fault" "$(has "${A}warn: refused: fault vm2: the system description gives vm2 no test_fault")"
check "refused: an unknown command" "$(has "${A}warn: refused: unknown command 'reboot'")"
check "refused: extra words" "$(has "${A}warn: refused: status takes one VM name")"
check "restart vm1: its VMM restarted the VM in place" "$(has 'svmm\[vm1\]\|info: VM vm1: the admin asked for a restart: restarting')"
check "restart vm1: the admin reports it done" "$(has "${A}info: vm1: done, the VM is running")"
check "restart vm1: the guest booted again" "$(is [ "$(grep -c 'vm1| .*ADMIN-UP vm1' <<<"$LOG")" -ge 2 ])"
# vm2's ticks from before the restart command to after vm1's next boot: consecutive, none lost.
ticks=$(grep -o 'vm2| .*ADMIN-TICK [0-9]*' <<<"$LOG" | awk '{ print $NF }')
gaps=$(awk 'NR > 1 && $1 != prev + 1 { n++ } { prev = $1 } END { print n + 0 }' <<<"$ticks")
check "vm2 kept printing through vm1's restarts ($(wc -l <<<"$ticks") ticks, $gaps out of sequence)" \
    "$([ "$(wc -l <<<"$ticks")" -ge 10 ] && [ "$gaps" = 0 ]; rc)"
check "fault vm1: its VMM faulted on purpose" "$(has 'svmm\[vm1\]\|warn: VMM of vm1 faulting on purpose')"
check "fault vm1: the admin received the VMM's fault" "$(has "${A}error: VMM of vm1 faulted: memory fault at 0x8 ")"
check "fault vm1: the admin restarted the VMM by policy" "$(has "${A}info: VMM of vm1 restarted by policy \(restart 1 by the admin\)")"
check "fault vm1: the VMM program started again, as loaded" "$(has 'svmm\[vm1\]\|info: VMM of vm1 started again by its parent \(start 2\)')"
check "fault vm1: the guest booted again" "$(is [ "$(grep -c 'vm1| .*ADMIN-UP vm1' <<<"$LOG")" -ge 3 ])"
check "status vm1 after the fault: VMM started twice, faulted once" "$(has "${A}info: status vm1: running .*VMM program started 2 times, faulted 1, restarted by the admin 1")"
check "stop vm1: stopped by the admin" "$(has "${A}info: vm1: stopped by admin")"
check "stop vm1 again: refused by its VMM with the lifecycle's reason" "$(has "${A}warn: vm1: refused by its VMM: cannot stop a VM that is stopped")"
check "start vm1: the guest booted again" "$(is [ "$(grep -c 'vm1| .*ADMIN-UP vm1' <<<"$LOG")" -ge 4 ])"
check "vm1's boots counted on its RAM disk, which outlives restarts (boot 5 seen)" "$(has 'vm1\| .*ADMIN-UP vm1 boot 5')"
check "the guest's watchdog driver took the VMM's SBSA watchdog (timeout 10 s)" "$(has 'vm1\| .*ADMIN-WDT timeout 10')"
check "panic: WS1, the VMM stopped the VM as failed" "$(has 'svmm\[vm1\]\|error: VM vm1: guest stopped refreshing its watchdog \(WS1 after 1[0-9] s\)')"
check "panic: the admin started vm1 again by policy" "$(has "${A}info: vm1: its VMM stopped it on a fault: starting it again by policy")"
check "status vm1 at the end: guest restarts by policy 1" "$(has "${A}info: status vm1: running .*guest restarts by policy 1")"
check "slot: started empty, waiting for the admin" "$(has 'svmm\[scratch\]\|info: slot scratch: 2 images, waiting for the admin')"
check "slot: list shows it created" "$(has "${A}info: list: scratch created boots=0 .*\(dynamic slot\)")"
check "slot: an image outside its bounds refused" "$(has "${A}warn: refused: boot scratch evil: slot scratch may not boot image 'evil' \(its images: rescue, tools\)")"
check "slot: a slot that does not exist refused" "$(has "${A}warn: refused: boot nowhere rescue: no dynamic slot 'nowhere' \(slots: scratch\)")"
check "slot: a VM that is not a slot refused" "$(has "${A}warn: refused: boot vm1 rescue: no dynamic slot 'vm1'")"
check "slot: start of a slot refused" "$(has "${A}warn: refused: start scratch: a dynamic slot: boot it with boot scratch IMAGE")"
check "slot: boot without an image refused" "$(has "${A}warn: refused: boot takes a slot and an image")"
check "slot: boot scratch rescue: its VMM loaded that image" "$(has 'svmm\[scratch\]\|info: slot scratch: booting image rescue')"
check "slot: the guest of image rescue ran" "$(has 'scratch\| .*ADMIN-SLOT image rescue')"
check "slot: status names the image" "$(has "${A}info: status scratch: running, image rescue ")"
check "slot: boot of a running slot refused by its VMM" "$(has "${A}warn: scratch: refused by its VMM: cannot start a VM that is running")"
check "slot: stopped, then booted with its other image" "$(has 'scratch\| .*ADMIN-SLOT image tools')"
check "slot: status names the new image" "$(has "${A}info: status scratch: running, image tools ")"
check "all VMs stopped at the end (their VMMs' exit summaries)" "$(is [ $status = stopped ])"
echo "$TAG: wall ${wall}s, steps done $step of 8"
grep -o 'ADMIN-UP vm1 boot [0-9]*' <<<"$LOG" | tr '\n' ' '; echo
finish "$T/log"
