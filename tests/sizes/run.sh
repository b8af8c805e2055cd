#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# build-sizes tier: compile-time features (include/svmm/features.h) make smaller builds, and what a
# build leaves out it refuses by name. No QEMU system boots: sizes and user-mode smoke checks only.
#  - hosted: svmm (static arm64) with every feature (make svmm) and with every feature a build can
#    leave out left out (FEATURES=$MIN); text/data/bss of each, minimal < full; the minimal binary
#    under qemu-aarch64 (user mode) prints its --help, and refuses --net, --disk, --vsock, --rng,
#    --watchdog, --control and the switch, up, ctl and blk-server commands naming the switch
#  - seL4 (a Microkit SDK: MICROKIT_SDK, else /opt/microkit-sdk-2.0.1, as the seL4 tiers find it):
#    the VMM of one Linux VM with a console and 1 vCPU, composed with every dynamic feature off
#    (minimal), as the composer makes it unasked (its description's features), and the VMM of a VM
#    with every seL4 device and every feature on (full); minimal < composed <= full. Booting a
#    composed VMM is the sel4-gicv2 tier's: linux-single's VMM is composed minimal for its VM too.
# The sizes go to docs/performance.md ("Build sizes"). Result line: "build-sizes: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=${MICROKIT_SDK:-/opt/microkit-sdk-2.0.1}
T=$BUILD/build-sizes
passed=0 failed=0 skipped=0
ok() { echo "ok   build-sizes: $1"; passed=$((passed + 1)); }
bad() { echo "FAIL build-sizes: $1"; failed=$((failed + 1)); }
skip() { echo "SKIP build-sizes: $1"; skipped=$((skipped + 1)); }
result() {
    echo "build-sizes: $passed passed, $failed failed$([ $skipped = 0 ] || echo ", $skipped skipped")"
    [ $failed = 0 ]
}
# size_of FILE: "text data bss" (aarch64-linux-gnu-size, Berkeley format)
size_of() { aarch64-linux-gnu-size "$1" | awk 'NR == 2 { print $1, $2, $3 }'; }
report() { # report LABEL FILE
    read -r text data bss <<<"$(size_of "$2")"
    echo "size: $1: text $text B, data $data B, bss $bss B"
}
text_of() { size_of "$1" | cut -d' ' -f1; }
rm -rf "$T" && mkdir -p "$T"
cd "$ROOT" || exit 1

# ---- hosted ----
# Every feature the hosted svmm can leave out (restart, admin, slots, passthrough, driver-vm, smp and
# stats are seL4's; the hosted console is the VM's first device and stays).
MIN="-blk -net -vsock -rng -up -switch -blk-server -ctl -watchdog"
full=$BUILD/aarch64/svmm
min=$BUILD/aarch64-no-blk_no-net_no-vsock_no-rng_no-up_no-switch_no-blk-server_no-ctl_no-watchdog/svmm
if make -s svmm BUILD="$BUILD" > "$T/full.log" 2>&1 && [ -x "$full" ]; then ok "hosted: full svmm built"; else
    bad "hosted: full svmm does not build"; tail -5 "$T/full.log"; fi
if make -s svmm BUILD="$BUILD" FEATURES="$MIN" > "$T/min.log" 2>&1 && [ -x "$min" ]; then
    ok "hosted: minimal svmm built (FEATURES=\"$MIN\")"
else
    bad "hosted: minimal svmm does not build"; tail -5 "$T/min.log"
fi
if [ -x "$full" ] && [ -x "$min" ]; then
    report "hosted svmm, full" "$full"
    report "hosted svmm, minimal ($MIN)" "$min"
    [ "$(text_of "$min")" -lt "$(text_of "$full")" ] && ok "hosted: minimal text < full text" ||
        bad "hosted: minimal text $(text_of "$min") not below full $(text_of "$full")"
    # Left-out objects are not linked: none of their functions is in the minimal binary.
    syms=$(aarch64-linux-gnu-nm "$min" | grep -cE ' T (net_tap_open|vsock_uds_open|switch_main|up_main|blk_server_main|vmm_control_open|kvm_watchdog_open|virtio_blk_init|virtio_rng_init)$')
    [ "$syms" = 0 ] && ok "hosted: no left-out feature's functions in the minimal binary" ||
        bad "hosted: $syms left-out functions linked into the minimal binary"
fi
# A switch the hosted svmm does not have is refused, not ignored.
out=$(make -s svmm BUILD="$BUILD" FEATURES="-net -stats" 2>&1)
grep -qF -- "FEATURES: -stats: the hosted svmm is always built with these" <<<"$out" &&
    ok "hosted: FEATURES=-stats (a switch of the seL4 VMMs only) is refused" || { bad "hosted: FEATURES=-stats"; echo "    $out"; }
QEMU_USER=$(command -v qemu-aarch64 || command -v qemu-aarch64-static || true)
if [ -z "$QEMU_USER" ]; then
    skip "hosted smoke checks: no qemu-aarch64 (user mode; Debian's qemu-user)"
elif [ -x "$min" ]; then
    out=$("$QEMU_USER" "$min" --help 2>&1) && grep -q '^usage: svmm' <<<"$out" &&
        ok "hosted: the minimal svmm prints its --help (qemu-aarch64 user mode)" || { bad "hosted: minimal --help"; echo "$out" | head -3; }
    # refuse WHAT ARGS...: the refusal must name the switch, and the exit status be 1.
    refuse() {
        local want=$1; shift
        out=$("$QEMU_USER" "$min" "$@" 2>&1); rc=$?
        [ $rc = 1 ] && grep -qF -- "$want" <<<"$out" && ok "hosted: minimal svmm $* -> $want" ||
            { bad "hosted: minimal svmm $* (exit $rc)"; echo "    $out"; }
    }
    refuse "svmm: error: --net: this svmm was built without virtio-net (FEATURES=-net)" run --kernel /dev/null --net tap=tap0
    refuse "--disk: this svmm was built without virtio-blk (FEATURES=-blk)" run --kernel /dev/null --disk /dev/null
    refuse "--vsock: this svmm was built without virtio-vsock (FEATURES=-vsock)" run --kernel /dev/null --vsock cid=3,uds=/tmp/v
    refuse "--rng: this svmm was built without virtio-rng (FEATURES=-rng)" run --kernel /dev/null --rng
    refuse "--watchdog: this svmm was built without the watchdog (FEATURES=-watchdog)" run --kernel /dev/null --watchdog 10
    refuse "--control: this svmm was built without the control socket (FEATURES=-ctl)" run --kernel /dev/null --control /tmp/c
    refuse "switch: this svmm was built without svmm switch (FEATURES=-switch)" switch --listen /tmp/s
    refuse "up: this svmm was built without svmm up (FEATURES=-up)" up plan
    refuse "ctl: this svmm was built without the control socket (FEATURES=-ctl)" ctl --socket /tmp/c status
    refuse "blk-server: this svmm was built without the block server (FEATURES=-blk-server)" blk-server --listen /tmp/b
    # The full binary takes the same option (it fails later, on the missing tap device, not on the build).
    out=$("$QEMU_USER" "$full" run --kernel /dev/null --net tap=tap0 2>&1)
    ! grep -q 'built without' <<<"$out" && ok "hosted: the full svmm does not refuse --net as left out" ||
        bad "hosted: the full svmm refuses --net: $out"
fi

# ---- seL4 ----
if [ ! -x "$SDK/bin/microkit" ]; then
    skip "seL4 sizes: no Microkit SDK at $SDK (MICROKIT_SDK)"
    result; exit
fi
# Fake boot images (the VMM's size does not depend on them): an arm64 Image header and an initrd.
mkdir -p "$T/img"
head -c 1572864 /dev/zero > "$T/img/Image"
printf '\000\000\040\000' | dd of="$T/img/Image" bs=1 seek=16 conv=notrunc 2>/dev/null
printf 'ARM\144' | dd of="$T/img/Image" bs=1 seek=56 conv=notrunc 2>/dev/null
head -c 300000 /dev/zero > "$T/img/initrd"
vm_head() { # vm_head NAME VCPUS: a VM's fields before its devices
    printf '%s\n' 'board: qemu_virt_aarch64' 'vms:' "  - name: $1" "    kernel: $T/img/Image" "    initrd: $T/img/initrd" \
        '    ram: 256M' "    vcpus: $2"
}
{ vm_head linux 1; printf '%s\n' '    devices:' '      - type: console'; } > "$T/min.yaml"
{ vm_head linux 2; printf '%s\n' '    watchdog: 30' '    devices:' '      - type: console' '      - type: blk' \
    '        ramdisk: 16M' '      - type: net' '      - type: rng' '      - type: vsock' '        cid: 3' \
    '  - name: peer' "    kernel: $T/img/Image" '    ram: 64M' '    devices:' '      - type: vsock' '        cid: 4'; } > "$T/full.yaml"
# sel4 NAME SYSTEM FEATURES: build it into $T/sel4-NAME; its VMM is svmm-linux.elf
sel4() {
    make -s sel4-system BUILD="$BUILD" MICROKIT_SDK="$SDK" SYSTEM="$2" SYSTEM_OUT="$T/sel4-$1" FEATURES="$3" \
        > "$T/sel4-$1.log" 2>&1 && [ -f "$T/sel4-$1/svmm-linux.elf" ] && [ -f "$T/sel4-$1/loader.img" ]
}
ALL_ON="+watchdog +restart +admin +slots +passthrough +driver-vm +smp +stats"
for b in "min:$T/min.yaml:-restart -stats" "composed:$T/min.yaml:" "full:$T/full.yaml:$ALL_ON"; do
    IFS=: read -r name sys feats <<<"$b"
    if sel4 "$name" "$sys" "$feats"; then
        ok "seL4: $name VMM built and packed by Microkit (FEATURES=\"$feats\")"
        report "seL4 VMM, $name (FEATURES=\"$feats\")" "$T/sel4-$name/svmm-linux.elf"
    else
        bad "seL4: $name VMM does not build"; tail -5 "$T/sel4-$name.log" | sed 's/^/    /'
    fi
done
m=$T/sel4-min/svmm-linux.elf c=$T/sel4-composed/svmm-linux.elf f=$T/sel4-full/svmm-linux.elf
if [ -f "$m" ] && [ -f "$c" ] && [ -f "$f" ]; then
    [ "$(text_of "$m")" -lt "$(text_of "$c")" ] && [ "$(text_of "$c")" -le "$(text_of "$f")" ] &&
        ok "seL4: text minimal $(text_of "$m") < composed $(text_of "$c") <= full $(text_of "$f")" ||
        bad "seL4: text minimal $(text_of "$m"), composed $(text_of "$c"), full $(text_of "$f")"
    grep -q 'define SVMM_FEATURE_WATCHDOG 0' "$T/sel4-composed/linux_features.h" &&
        grep -q 'define SVMM_FEATURE_SMP 0' "$T/sel4-composed/linux_features.h" &&
        grep -q 'define SVMM_FEATURE_ADMIN 0' "$T/sel4-composed/linux_features.h" &&
        ok "seL4: the composer left out, unasked, what the VM does not use (watchdog, smp, admin)" ||
        bad "seL4: composed linux_features.h: $(grep ' 1$' "$T/sel4-composed/linux_features.h" | tr '\n' ' ')"
fi
# Asked for what the build leaves out: refused by the composer, naming the switch, nothing built.
out=$(make -s sel4-system BUILD="$BUILD" MICROKIT_SDK="$SDK" SYSTEM="$T/full.yaml" SYSTEM_OUT="$T/sel4-refused" \
    FEATURES="-watchdog" 2>&1)
grep -q "vms.linux: this VM needs the watchdog feature, which FEATURES=-watchdog leaves out of the build" <<<"$out" &&
    [ ! -e "$T/sel4-refused/svmm-linux.elf" ] && ok "seL4: a VM's watchdog with FEATURES=-watchdog is refused by the composer" ||
    { bad "seL4: FEATURES=-watchdog with a watchdog: not refused"; echo "$out" | tail -3; }
result
