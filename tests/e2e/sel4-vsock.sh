#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# seL4 tier, VM-to-VM vsock: examples/vsock-pair (VMs left, cid 3, and right, cid 4; their VMMs
# share a vsock link and a channel) built with `make sel4-system` and booted in QEMU. The guests run
# tests/e2e/vsock-vm-guest.sh, as in the hosted tier: each connects to the other's echo server and
# moves 4 MiB through it (SHA-256 on both ends), and left tries a CID no link leads to.
# usage: sel4-vsock.sh SDK_DIR [MICROKIT_CONFIG]
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=$1 CONFIG=${2:-debug}
TIMEOUT=${SEL4_TIMEOUT:-1500}
BULK=4194304 # as in tests/e2e/vsock-vm-guest.sh
. "$ROOT/tests/e2e/lib.sh"
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
T=$BUILD/e2e/sel4-vsock-$CONFIG-$variant
TAG="sel4-vsock/$variant/$CONFIG"
rm -rf "$T" && mkdir -p "$T/extra"

aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -o "$T/extra/vsock_helper" "$ROOT/tests/e2e/vsock_helper.c" ||
    fail_early "vsock_helper"
"$ROOT/tests/machine/mkguest-initrd.sh" "$T/guest.cpio.gz" --cmd-file "$ROOT/tests/e2e/vsock-vm-guest.sh" \
    --extra "$T/extra" >/dev/null || fail_early "guest initramfs"
sed -e "s|initrd:.*|initrd: $T/guest.cpio.gz|" -e "s|kernel:.*|kernel: $BUILD/machine/Image|" \
    "$ROOT/examples/vsock-pair/system.yaml" > "$T/system.yaml"
make -s -C "$ROOT" sel4-system BUILD="$BUILD" MICROKIT_SDK="$SDK" MICROKIT_CONFIG="$CONFIG" SYSTEM="$T/system.yaml" \
    SYSTEM_OUT="$T/out" > "$T/build.log" 2>&1 || fail_early build "$T/build.log"

sel4_boot "$T/out" "$gic" "$T/log" "$TIMEOUT" 2
# The two VMMs log at once on the shared UART, so one line can split the other's: match each VMM's
# words without its prefix.
check "both VMMs attached their vsock link" \
    "$(is [ "$(grep -oE 'cid 3, link 0 to cid 4 on channel 10|cid 4, link 0 to cid 3 on channel 10' <<<"$LOG" | sort -u | wc -l)" = 2 ])"
check "both guests up" "$(is [ "$(grep -oE 'VV-[34] up' <<<"$LOG" | sort -u | wc -l)" = 2 ])"
nobody=$(sed -n 's/.*VV-3-NOBODY status=\([0-9]*\) after \([0-9]*\) s.*/\1 \2/p' <<<"$LOG")
refused() { set -- $1; [ $# = 2 ] && [ "$1" = 1 ] && [ "$2" -le 10 ]; }
check "left -> cid 9 (no link) refused at once (${nobody:-no result})" "$(is refused "$nobody")"
digests() {
    local other=$(( 7 - $1 ))
    printf '%s %s\n' "$(sed -n "s/.*VV-$1-SEND vsock-send reply: $BULK bytes echoed, sent sha256 \([0-9a-f]*\), received sha256 \([0-9a-f]*\),.*/\1 \2/p" <<<"$LOG" | tail -n1)" \
        "$(sed -n "s/.*VV-$other-ECHO status=0 echo: served $BULK bytes, sha256 \([0-9a-f]*\).*/\1/p" <<<"$LOG" | tail -n1)"
}
same3() { set -- $1; [ $# = 3 ] && [ ${#1} = 64 ] && [ "$1" = "$2" ] && [ "$2" = "$3" ]; }
check "left (3) -> right (4): 4 MiB sent, echoed and received back bit for bit (SHA-256)" "$(is same3 "$(digests 3)")"
check "right (4) -> left (3): 4 MiB sent, echoed and received back bit for bit (SHA-256)" "$(is same3 "$(digests 4)")"
check "both VMs stopped (two VMM exit summaries)" "$(is [ $status = stopped ])"
for vm in left right; do
    check "VMM of $vm reported its guest's power-off" "$(has "VM $vm stopped: guest powered off")"
done
echo "$TAG: wall ${wall}s"
grep -aE 'VV-[34]-(SEND|NOBODY)|virtio-vsock: guest cid' <<<"$LOG" || true
finish "$T/log"
