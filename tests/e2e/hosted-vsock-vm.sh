#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Hosted tier, VM-to-VM vsock: inside the QEMU test machine two svmm VMMs run guests with CIDs 3
# and 4, each with --vsock ...,peer=<other>:/tmp/vv.sock (the VMM of CID 3 listens there, the
# other connects; it is started first, so it has to retry). The guests (tests/e2e/vsock-vm-guest.sh)
# connect to each other both ways and echo 4 MiB each, SHA-256 compared on both ends; CID 3 also
# tries CID 9, which its VMM must refuse at once. The VMMs log each link's counters at exit.
# Prints one "ok"/"FAIL" line per check and "e2e-vsock-vm: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
T=$BUILD/e2e/hosted-vsock-vm
TIMEOUT=${E2E_TIMEOUT:-900}
BULK=4194304 # as in tests/e2e/vsock-vm-guest.sh
mkdir -p "$T/extra"
aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -o "$T/extra/vsock_helper" "$ROOT/tests/e2e/vsock_helper.c"

cp "$ROOT/tests/e2e/vsock-vm-guest.sh" "$T/guest-cmd"
cat > "$T/outer-script" <<'O'
run_vm() {
    /svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 1 --mem 256M \
        --append "console=ttyS0 vsockme=$1" --vsock cid=$1,uds=/tmp/host$1.sock,peer=$2:/tmp/vv.sock \
        < /dev/null > /tmp/vm$1.out 2> /tmp/vm$1.log
    echo "VM-EXIT $1 $?"
}
run_vm 4 3 &
vm4=$!
sleep 1
run_vm 3 4
wait $vm4
cat /tmp/vm3.out /tmp/vm4.out
sed 's/^/[vm3] /' /tmp/vm3.log; sed 's/^/[vm4] /' /tmp/vm4.log
O

TAG=e2e-vsock-vm
. "$ROOT/tests/e2e/lib.sh"
hosted_boot "$T" "$TIMEOUT" --extra "$T/extra" || fail_early "test machine images"

check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "the VMM of cid 3 listened, the VMM of cid 4 connected" \
    "$(is [ "$(grep -cE '\[vm3\] svmm: virtio-vsock: peer cid 4 via /tmp/vv.sock \(we listen\)|\[vm4\] svmm: virtio-vsock: peer cid 3 via /tmp/vv.sock \(we connect\)' <<<"$LOG")" = 2 ])"
check "both links up" "$(is [ "$(grep -cE '\[vm(3\] svmm: vsock: link to cid 4|4\] svmm: vsock: link to cid 3) up' <<<"$LOG")" = 2 ])"
check "both guests up" "$(is [ "$(grep -cE '^VV-[34] up' <<<"$LOG")" = 2 ])"
nobody=$(sed -n 's/^VV-3-NOBODY status=\([0-9]*\) after \([0-9]*\) s.*/\1 \2/p' <<<"$LOG")
refused() { set -- $1; [ $# = 2 ] && [ "$1" = 1 ] && [ "$2" -le 5 ]; }
check "cid 3 -> cid 9 (no link) refused at once (${nobody:-no result})" "$(is refused "$nobody")"
# digests SENDER: "sent received served" SHA-256s of SENDER's 4 MiB echo through the other guest.
digests() {
    local other=$(( 7 - $1 ))
    printf '%s %s\n' "$(sed -n "s/^VV-$1-SEND vsock-send reply: $BULK bytes echoed, sent sha256 \([0-9a-f]*\), received sha256 \([0-9a-f]*\),.*/\1 \2/p" <<<"$LOG" | tail -n1)" \
        "$(sed -n "s/^VV-$other-ECHO status=0 echo: served $BULK bytes, sha256 \([0-9a-f]*\).*/\1/p" <<<"$LOG" | tail -n1)"
}
same3() { set -- $1; [ $# = 3 ] && [ ${#1} = 64 ] && [ "$1" = "$2" ] && [ "$2" = "$3" ]; }
check "cid 3 -> cid 4: 4 MiB sent, echoed by guest 4 and received back bit for bit (SHA-256)" "$(is same3 "$(digests 3)")"
check "cid 4 -> cid 3: 4 MiB sent, echoed by guest 3 and received back bit for bit (SHA-256)" "$(is same3 "$(digests 4)")"
check "no peer packet refused by either VMM" "$(is [ "$(grep -cE 'svmm: vsock: link to cid [34]: .* 0 refused \(bad header\), 0 guest packets dropped' <<<"$LOG")" = 2 ])"
check "both guests powered off, both VMMs exited 0" "$(is [ "$(grep -cE '^VM-EXIT [34] 0' <<<"$LOG")" = 2 ])"

echo "e2e-vsock-vm: wall ${wall}s"
grep -E 'VV-[34]-(SEND|NOBODY)|svmm: vsock: link to' <<<"$LOG" || true
finish "$T/log"
