#!/bin/bash
# seL4 tier for passthrough (issue 13 part 3): examples/passthrough, QEMU's virtio-blk-device on the
# virt board given to a guest that drives it with its own virtio driver (Debian's virtio_mmio and
# virtio_blk): its registers mapped 1:1, its INTID 79 forwarded by the VMM and acknowledged to seL4
# on the guest's EOI, its node copied from the board's DT, the guest's RAM mapped 1:1 so that the
# device's DMA lands in it. The disk is a file of random data: the guest reads its first 4 MiB and
# prints their SHA-256, then writes 4 MiB of a known pattern after them; both are checked from
# outside once QEMU has ended. Twice: the interrupt configured level-triggered (the example), then
# edge-triggered.
# usage: sel4-passthrough.sh SDK_DIR [MICROKIT_CONFIG]
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=$1 CONFIG=${2:-debug}
TIMEOUT=${SEL4_TIMEOUT:-600}
. "$ROOT/tests/e2e/lib.sh"
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
T=$BUILD/e2e/sel4-passthrough-$CONFIG-$variant
TAG="sel4-passthrough/$variant/$CONFIG"
rm -rf "$T" && mkdir -p "$T"
MIB4=4194304

# boot_with TRIGGER: the example with its interrupt configured TRIGGER (level: the example's default,
# as QEMU's virtio-mmio holds its line; edge: the GIC latches the rising edge), booted and checked.
boot_with() {
    local trig=$1 d=$T/$1 want_read want_write ram phys node n got
    mkdir -p "$d"
    head -c $((2 * MIB4)) /dev/urandom > "$d/disk.img"
    want_read=$(head -c $MIB4 "$d/disk.img" | sha256sum | cut -d' ' -f1)
    want_write=$(yes PASSTHROUGH | head -c $MIB4 | sha256sum | cut -d' ' -f1)
    awk -v d="$BUILD/qemu-virt.dtb" -v t="$trig" '{ sub(/^board_dtb:.*/, "board_dtb: " d) } { print }
         /^        irqs:/ && t == "edge" { print "        trigger: edge" }' "$ROOT/examples/passthrough/system.yaml" |
        example_images /dev/stdin "$BUILD/machine/Image" "$T/guest.cpio.gz" > "$d/system.yaml"
    sel4_system "$SDK" "$CONFIG" "$d/system.yaml" "$d/out" "$d/build.log" || { cat "$d/build.log"; check "$trig: build" 1; return; }
    check "$trig: the SDF maps the transport's page 1:1, uncached" \
        "$(is grep -q '<map mr="pt_direct_disk_0" vaddr="0xa003000" perms="rw" cached="false" />' "$d/out/svmm.system")"
    check "$trig: the SDF gives INTID 79 to the VMM, $trig-triggered" \
        "$(is grep -q "<irq irq=\"79\" id=\"46\" trigger=\"$trig\" />" "$d/out/svmm.system")"
    ram=$(sed -n 's/.*\.ram_base = \(0x[0-9a-f]*\),.*/\1/p' "$d/out/direct_config.c")
    phys=$(sed -n 's/.*name="guest_ram_direct" size="[^"]*" phys_addr="\([^"]*\)".*/\1/p' "$d/out/svmm.system")
    check "$trig: guest RAM at guest-physical = physical ($ram, $phys)" "$([ -n "$ram" ] && [ "$ram" = "$phys" ]; rc)"
    node=$(dtc -q -I dtb -O dts "$d/out/direct.dtb" | sed -n '/virtio_mmio@a003e00 {/,/};/p' | tr -d '\t' | sort | tr '\n' ' ')
    check "$trig: the guest's DT has the board's node, its interrupt to the guest's GIC" \
        "$(is [ "$node" = 'compatible = "virtio,mmio"; dma-coherent; interrupt-parent = <0x01>; interrupts = <0x00 0x2f 0x01>; reg = <0x00 0xa003e00 0x00 0x200>; virtio_mmio@a003e00 { }; ' ])"
    SEL4_QEMU_EXTRA="-global virtio-mmio.force-legacy=false -drive file=$d/disk.img,if=none,format=raw,id=pt -device virtio-blk-device,drive=pt ${SEL4_QEMU_EXTRA:-}" \
        sel4_boot "$d/out" "$gic" "$d/log" "$TIMEOUT" 1
    check "$trig: the VMM took its passthrough interrupt" "$(has 'svmm\[direct\]\|info: passthrough IRQ 79 on channel 46')"
    check "$trig: the guest found the disk (16384 sectors)" "$(has '^direct\| .*PT-DISK 16384 sectors')"
    check "$trig: the guest read the disk's first 4 MiB as they are (SHA-256)" "$(has "^direct\| .*PT-READ $want_read")"
    check "$trig: the guest wrote 4 MiB" "$(has '^direct\| .*PT-WROTE')"
    n=$(sed -n 's/^direct| .*PT-IRQ *[0-9]*: *\([0-9]*\) .*79 .*/\1/p' <<<"$LOG" | head -n1)
    check "$trig: the guest's virtio interrupt (INTID 79) came ${n:-0} times" "$(is [ "${n:-0}" -gt 0 ])"
    check "$trig: the guest powered off" "$(has 'VM direct stopped: guest powered off')"
    got=$(tail -c $MIB4 "$d/disk.img" | sha256sum | cut -d' ' -f1)
    check "$trig: the disk holds what the guest wrote (SHA-256 from outside)" "$(is [ "$got" = "$want_write" ])"
    echo "$TAG: $trig: wall ${wall}s"
}

cat > "$T/cmd" <<G
echo "PT-DISK \$(cat /sys/block/vda/size 2>/dev/null) sectors"
echo "PT-READ \$(dd if=/dev/vda bs=1M count=4 2>/dev/null | sha256sum | cut -d' ' -f1)"
yes PASSTHROUGH | head -c $MIB4 | dd of=/dev/vda bs=1M seek=4 conv=fsync 2>/dev/null && sync && echo "PT-WROTE"
grep -i virtio /proc/interrupts | sed 's/^/PT-IRQ /'
G
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/guest.cpio.gz" --cmd-file "$T/cmd" >/dev/null 2>&1 || fail_early "guest initrd"
make -s -C "$ROOT" board-dtb BUILD="$BUILD" >/dev/null 2>&1 || fail_early "the board's DTB (make board-dtb)"
boot_with level
boot_with edge
finish "$T/edge/log"
