#!/bin/bash
# seL4 tier for cache colouring (issue 13 part 6): examples/coloured as written but for its images.
# The placement svmm-compose generated is checked page by page (QEMU models no caches, so the frames
# are what can be checked): every frame of red's guest RAM has one of red's colours, every frame of
# blue's one of blue's, no frame is in both, each VM gets exactly its RAM; then both coloured guests
# boot to init, run a command and power off.
# usage: sel4-coloured.sh SDK_DIR [MICROKIT_CONFIG]   (prints "sel4-coloured/<variant>/<config>: N passed, N failed")
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=$1 CONFIG=${2:-debug}
TIMEOUT=${SEL4_TIMEOUT:-600}
. "$ROOT/tests/e2e/lib.sh"
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
T=$BUILD/e2e/sel4-coloured-$CONFIG-$variant
TAG="sel4-coloured/$variant/$CONFIG"
rm -rf "$T" && mkdir -p "$T"

for vm in red blue; do
    echo "echo \"COLOUR-MARKER vm=$vm mem=\$(sed -n 's/^MemTotal: *//p' /proc/meminfo)\"" > "$T/cmd-$vm"
    "$ROOT/tests/machine/mkguest-initrd.sh" "$T/$vm.cpio.gz" --cmd-file "$T/cmd-$vm" >/dev/null || fail_early "guest initramfs"
done
example_images "$ROOT/examples/coloured/system.yaml" "$BUILD/machine/Image" "$T/{vm}.cpio.gz" > "$T/system.yaml"
make -s -C "$ROOT" sel4-system BUILD="$BUILD" MICROKIT_SDK="$SDK" MICROKIT_CONFIG="$CONFIG" SYSTEM="$T/system.yaml" \
    SYSTEM_OUT="$T/out" > "$T/build.log" 2>&1 || fail_early build "$T/build.log"

# ---- the placement, frame by frame: colour = (paddr / 4 KiB) mod 256 for this cache ----
sed -n 's/.*<memory_region name="guest_ram_\([a-z]*\)_[0-9]*" size="\(0x[0-9a-f]*\)" phys_addr="\(0x[0-9a-f]*\)".*/\1 \2 \3/p' \
    "$T/out/svmm.system" > "$T/runs"
check_vm_frames() { # VM LOW HIGH RAM_MIB: prints "ok" or what is wrong
    local vm=$1 lo=$2 hi=$3 want=$(( $4 << 20 )) total=0 size phys p c
    while read -r name size phys; do
        [ "$name" = "$vm" ] || continue
        for (( p = phys; p < phys + size; p += 4096 )); do
            c=$(( (p >> 12) % 256 ))
            if [ $c -lt "$lo" ] || [ $c -gt "$hi" ]; then echo "frame $(printf 0x%x $p) has colour $c"; return; fi
        done
        total=$(( total + size ))
    done < "$T/runs"
    [ $total = $want ] && echo ok || echo "$total bytes of frames, want $want"
}
r=$(check_vm_frames red 0 127 96); check "red's $(grep -c '^red ' "$T/runs") runs: only colours 0-127, 96 MiB in all ($r)" "$(is [ "$r" = ok ])"
r=$(check_vm_frames blue 128 255 96); check "blue's $(grep -c '^blue ' "$T/runs") runs: only colours 128-255, 96 MiB in all ($r)" "$(is [ "$r" = ok ])"
overlap=$(while read -r _ size phys; do echo "$(( phys )) $(( phys + size ))"; done < "$T/runs" | sort -n |
          awk 'NR > 1 && $1 < end { n++ } { if ($2 > end) end = $2 } END { print n + 0 }')
check "no frame in two runs" "$(is [ "$overlap" = 0 ])"

sel4_boot "$T/out" "$gic" "$T/log" "$TIMEOUT" 2
for vm in red blue; do
    check "coloured VM $vm ran its command" "$(has "$vm\| .*COLOUR-MARKER vm=$vm mem=")"
    check "VMM of $vm reported its guest's power-off" "$(has "VM $vm stopped: guest powered off")"
done
echo "$TAG: wall ${wall}s"
finish "$T/log"
