#!/bin/bash
# Hosted tier, virtio-vsock: svmm runs with --vsock cid=3,uds=/tmp/v.sock inside the QEMU test
# machine, and a stream echo works both ways through the Firecracker-style Unix socket bridge:
#   guest -> host: the guest connects to cid 2 port 1234/1235; svmm connects to /tmp/v.sock_1234/_1235
#                  where a host echo server (tests/e2e/vsock_helper.c) answers;
#   host -> guest: a host client connects to /tmp/v.sock, writes "CONNECT 5000\n" (and 5001),
#                  reads "OK <port>" and talks to the guest's vsock echo server.
# Each direction carries a short message and 4 MB of checksummed data (credit flow control).
# Prints one "ok"/"FAIL" line per check and "e2e-vsock: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
T=$BUILD/e2e/hosted-vsock
TIMEOUT=${E2E_TIMEOUT:-900}
BULK=${VSOCK_BULK:-4000000}
mkdir -p "$T/extra"

aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -o "$T/extra/vsock_helper" "$ROOT/tests/e2e/vsock_helper.c"

cat > "$T/guest-cmd" <<G
timeout 300 /vsock_helper vsock-echo 5000 &
timeout 300 /vsock_helper vsock-echo 5001 &
sleep 1
timeout 120 /vsock_helper vsock-send 2 1234 "hello from the guest"; echo "VSOCK-G2H status=\$?"
timeout 300 /vsock_helper vsock-send 2 1235 @$BULK; echo "VSOCK-G2H-BULK status=\$?"
wait
echo "VSOCK-GUEST-DONE"
G
cat > "$T/outer-script" <<O
/vsock_helper uds-echo /tmp/v.sock_1234 > /tmp/echo1234.log 2>&1 &
/vsock_helper uds-echo /tmp/v.sock_1235 > /tmp/echo1235.log 2>&1 &
/svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 512M \\
    --append "console=ttyS0" --vsock cid=3,uds=/tmp/v.sock &
svmm=\$!
sleep 2
/vsock_helper uds-send /tmp/v.sock 5000 "hello from the host"; echo "VSOCK-H2G status=\$?"
/vsock_helper uds-send /tmp/v.sock 5001 @$BULK; echo "VSOCK-H2G-BULK status=\$?"
wait \$svmm; st=\$?
echo "host echo 1234: \$(cat /tmp/echo1234.log)"
echo "host echo 1235: \$(cat /tmp/echo1235.log)"
exit \$st
O

TAG=e2e-vsock
. "$ROOT/tests/e2e/lib.sh"
hosted_boot "$T" "$TIMEOUT" --extra "$T/extra" || fail_early "test machine images"


check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "svmm listens on /tmp/v.sock for guest cid 3" "$(has 'svmm: virtio-vsock: guest cid 3, host sockets /tmp/v.sock')"
check "guest loaded the virtio vsock transport" "$(has '\[guest-init\] loaded vmw_vsock_virtio_transport')"
check "guest -> host echo (guest port -> /tmp/v.sock_1234)" "$(has 'vsock-send reply: hello from the guest')"
check "guest -> host 4 MB echo, checksum ok" "$(has "vsock-send reply: $BULK bytes echoed, checksum ok")"
check "host -> guest CONNECT handshake answered OK" "$(has 'uds-send: connected to guest port 5000 \(OK [0-9]+\)')"
check "host -> guest echo (CONNECT 5000)" "$(has 'uds-send reply: hello from the host')"
check "host -> guest 4 MB echo, checksum ok" "$(has "uds-send reply: $BULK bytes echoed, checksum ok")"
check "guest echo servers finished" "$(has 'VSOCK-GUEST-DONE')"
check "guest powered off, svmm exited 0" "$(is [ $status = 0 ])"

echo "e2e-vsock: wall ${wall}s"
grep -E 'bytes echoed|svmm: vsock:|svmm: exits:' <<<"$LOG" || true
finish "$T/log"
