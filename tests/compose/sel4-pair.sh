#!/bin/bash
# seL4 tier for the composer: examples/linux-pair (two Linux VMs, one svmm VMM protection domain
# each) built with `make sel4-system` and booted in QEMU. Both guests share the board UART, so both
# consoles must appear with their prefixes ("alpha| ", "beta| "), both reach init, and both power off,
# which each VMM reports. The two VMs share one physical core (uniprocessor SDK): allow time.
# Added to the example, because no other seL4 boot has them: a NIC with a mac: on beta (the guest
# must see that MAC), a native component beside the VMMs (tests/compose/component.c; it says so on
# the debug kernel's console), and a shared window (alpha's at 0x10000000, beta's at 0x20000000):
# alpha writes a marker there with devmem, beta waits until it reads it at its own address.
# usage: sel4-pair.sh SDK_DIR [MICROKIT_CONFIG]
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=$1 CONFIG=${2:-debug}
TIMEOUT=${SEL4_TIMEOUT:-900}
. "$ROOT/tests/e2e/lib.sh"
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
T=$BUILD/e2e/sel4-pair-$CONFIG-$variant
TAG="sel4-pair/$variant/$CONFIG"
rm -rf "$T" && mkdir -p "$T"

# The example as written, except that each guest runs a command and powers off, plus beta's NIC and
# the component.
MAC=52:54:00:5e:4c:02
for vm in alpha beta; do
    echo "echo \"PAIR-MARKER vm=$vm\"" > "$T/cmd-$vm"
    "$ROOT/tests/machine/mkguest-initrd.sh" "$T/$vm.cpio.gz" --cmd-file "$T/cmd-$vm" >/dev/null || exit 1
done
echo 'echo "PAIR-MAC $(cat /sys/class/net/eth0/address 2>/dev/null)"' >> "$T/cmd-beta"
cat >> "$T/cmd-alpha" <<'G'
devmem 0x10000000 32 0x57494E44 && echo "PAIR-WIN alpha wrote"
G
cat >> "$T/cmd-beta" <<'G'
for i in $(seq 120); do v=$(devmem 0x20000000 32); [ "$v" = 0x57494E44 ] && break; sleep 1; done
echo "PAIR-WIN beta read $v"
G
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/alpha.cpio.gz" --cmd-file "$T/cmd-alpha" >/dev/null || exit 1
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/beta.cpio.gz" --cmd-file "$T/cmd-beta" >/dev/null || exit 1
B=$SDK/board/qemu_virt_aarch64/$CONFIG
aarch64-linux-gnu-gcc -std=gnu11 -Wall -Wextra -Werror -Wno-unused-function -ffreestanding -nostdlib -O2 -mgeneral-regs-only \
    -I"$B/include" -c "$ROOT/tests/compose/component.c" -o "$T/component.o" &&
    aarch64-linux-gnu-ld -L"$B/lib" "$T/component.o" -lmicrokit -Tmicrokit.ld -o "$T/component.elf" || fail_early "native component"
awk -v t="$T" -v mac="$MAC" '/- name:/ { vm = $3 } /initrd:/ { sub(/initrd:.*/, "initrd: " t "/" vm ".cpio.gz") } { print }
     vm == "beta" && /- type: console/ { print "      - type: net"; print "        mac: \"" mac "\"" }
     END { print "components:"; print "  - name: helper"; print "    program: " t "/component.elf"
           print "shared_windows:"; print "  - name: pairwin"; print "    size: 64K"; print "    vms:"
           print "      - vm: alpha"; print "        base: 0x10000000"; print "      - vm: beta"; print "        base: 0x20000000" }' \
    "$ROOT/examples/linux-pair/system.yaml" > "$T/system.yaml"
make -s -C "$ROOT" sel4-system BUILD="$BUILD" MICROKIT_SDK="$SDK" MICROKIT_CONFIG="$CONFIG" SYSTEM="$T/system.yaml" \
    SYSTEM_OUT="$T/out" > "$T/build.log" 2>&1 || fail_early build "$T/build.log"

sel4_boot "$T/out" "$gic" "$T/log" "$TIMEOUT" 2
# Release kernels and monitors print nothing: there a VMM's first line shows the system is up (two
# VMMs starting at once can interleave characters of their first lines on the shared UART).
check "seL4 booted the system" "$(has 'MON\|INFO: completed system invocations|Booting all finished|VM (alpha|beta): 1 vCPU')"
for vm in alpha beta; do
    check "VM $vm's console appears, prefixed '$vm| '" "$(has "^$vm\| ")"
    # Two VMMs share the UART and each flushes its partial lines, so a line may carry both prefixes.
    check "VM $vm ran its command through its virtio console" "$(has "$vm\| .*PAIR-MARKER vm=$vm")"
done
# Partial UART lines of the two VMMs can split each other's lines, so count rather than attribute.
check "both guests reached init" "$(is [ "$(grep -o 'init reached at uptime' <<<"$LOG" | wc -l)" -ge 2 ])"
check "both VMs stopped (two VMM exit summaries)" "$(is [ $status = stopped ])"
for vm in alpha beta; do
    check "VMM of $vm reported its guest's power-off" "$(has "VM $vm stopped: guest powered off")"
done
check "beta's NIC has the MAC of its mac: ($MAC)" "$(has "beta\| .*PAIR-MAC $MAC")"
check "shared window: alpha wrote its marker at 0x10000000" "$(has 'alpha\| .*PAIR-WIN alpha wrote')"
check "shared window: in alpha's DT as svmm,shared-window labelled pairwin" \
    "$(dtc -q -I dtb -O dts "$T/out/alpha.dtb" | tr -d '\n\t' | grep -q 'shared-window@10000000 {compatible = "svmm,shared-window";reg = <0x00 0x10000000 0x00 0x10000>;label = "pairwin";'; rc)"
check "shared window: beta read it at 0x20000000" "$(has 'beta\| .*PAIR-WIN beta read 0x57494E44')"
if [ "$CONFIG" = debug ]; then # release kernels have no debug console for the component to print on
    check "the native component ran beside the VMMs" "$(has 'component helper: native component running')"
fi
echo "$TAG: wall ${wall}s"
finish "$T/log"
