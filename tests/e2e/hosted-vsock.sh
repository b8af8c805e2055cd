#!/bin/bash
# Hosted tier, virtio-vsock: svmm runs with --vsock cid=3,uds=/tmp/v.sock inside the QEMU test
# machine, and a stream echo works both ways through the Firecracker-style Unix socket bridge:
#   guest -> host: the guest connects to cid 2 port 1234/1235; svmm connects to /tmp/v.sock_1234/_1235
#                  where a host echo server (tests/e2e/vsock_helper.c) answers;
#   host -> guest: a host client connects to /tmp/v.sock, writes "CONNECT 5000\n" (and 5001),
#                  reads "OK <port>" and talks to the guest's vsock echo server.
# Each direction carries a short message and 4 MB of pseudo-random data (credit flow control), compared
# exactly: the SHA-256 of what the sender sent, of what the echo server received and of what came back.
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
timeout 300 /vsock_helper vsock-echo 5000 > /echo5000.log 2>&1 & e0=\$!
timeout 300 /vsock_helper vsock-echo 5001 > /echo5001.log 2>&1 & e1=\$!
sleep 1
timeout 120 /vsock_helper vsock-send 2 1234 "hello from the guest"; echo "VSOCK-G2H status=\$?"
timeout 300 /vsock_helper vsock-send 2 1235 @$BULK; echo "VSOCK-G2H-BULK status=\$?"
# timeout(1) exits 124 when it had to kill the server: only 0 means the echo ran to EOF.
wait \$e0; echo "VSOCK-ECHO-5000 status=\$? \$(grep served /echo5000.log)"
wait \$e1; echo "VSOCK-ECHO-5001 status=\$? \$(grep served /echo5001.log)"
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
# digests DIRECTION_TAG ECHO_TAG: "sent received echo-server" SHA-256s of one bulk transfer, from the log.
digests() {
    printf '%s %s\n' "$(sed -n "s/.*$1: $BULK bytes echoed, sent sha256 \([0-9a-f]*\), received sha256 \([0-9a-f]*\),.*/\1 \2/p" <<<"$LOG" | tail -n1)" \
        "$(sed -n "s/.*$2.*served $BULK bytes, sha256 \([0-9a-f]*\).*/\1/p" <<<"$LOG" | tail -n1)"
}
# same3 "A B C": three identical 64-digit digests.
same3() { set -- $1; [ $# = 3 ] && [ ${#1} = 64 ] && [ "$1" = "$2" ] && [ "$2" = "$3" ]; }
check "guest -> host 4 MB echo: sent, echoed by the host and received back bit for bit (SHA-256)" \
    "$(is same3 "$(digests 'vsock-send reply' 'host echo 1235:')")"
check "host -> guest CONNECT handshake answered OK" "$(has 'uds-send: connected to guest port 5000 \(OK [0-9]+\)')"
check "host -> guest echo (CONNECT 5000)" "$(has 'uds-send reply: hello from the host')"
check "host -> guest 4 MB echo: sent, echoed by the guest and received back bit for bit (SHA-256)" \
    "$(is same3 "$(digests 'uds-send reply' 'VSOCK-ECHO-5001 status=0')")"
check "guest echo server 5000 ran to EOF (exit 0, not killed by timeout)" "$(has 'VSOCK-ECHO-5000 status=0 echo: served')"
check "guest echo server 5001 ran to EOF (exit 0, not killed by timeout)" "$(has 'VSOCK-ECHO-5001 status=0 echo: served')"
check "guest powered off, svmm exited 0" "$(is [ $status = 0 ])"

echo "e2e-vsock: wall ${wall}s"
grep -E 'bytes echoed|svmm: vsock:|svmm: exits:' <<<"$LOG" || true
finish "$T/log"
