#!/bin/bash
# Hosted tier, virtio-vsock: svmm runs with --vsock cid=3,uds=/tmp/v.sock inside the QEMU test
# machine, and a stream echo works both ways through the Firecracker-style Unix socket bridge:
#   guest -> host: the guest connects to cid 2 port 1234/1235; svmm connects to /tmp/v.sock_1234/_1235
#                  where a host echo server (tests/e2e/vsock_helper.c) answers;
#   host -> guest: a host client connects to /tmp/v.sock, writes "CONNECT 5000\n" (and 5001),
#                  reads "OK <port>" and talks to the guest's vsock echo server.
# Each direction carries a short message and 4 MB of checksummed data (credit flow control).
# Prints one "ok"/"FAIL" line per check and "e2e-vsock: N passed, N failed".
set -eu
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

"$ROOT/tests/machine/mkguest-initrd.sh" "$T/guest.cpio.gz" --cmd-file "$T/guest-cmd" --extra "$T/extra" >/dev/null
"$ROOT/tests/machine/mkouter-initrd.sh" "$T/outer.cpio.gz" --svmm "$BUILD/aarch64/svmm" \
    --guest-initrd "$T/guest.cpio.gz" --script "$T/outer-script" --extra "$T/extra" >/dev/null
start=$(date +%s)
set +e
"$ROOT/tests/machine/run.sh" --initrd "$T/outer.cpio.gz" --timeout "$TIMEOUT" --log "$T/log" > /dev/null
status=$?
set -e
wall=$(( $(date +%s) - start ))
log=$(tr -d '\r' < "$T/log")

passed=0 failed=0
check() {
    if [ "$2" = 0 ]; then echo "ok   e2e-vsock: $1"; passed=$((passed + 1)); else echo "FAIL e2e-vsock: $1"; failed=$((failed + 1)); fi
}
has() { grep -qE "$1" <<<"$log"; echo $?; }

check "outer machine powered off in time (not a timeout)" "$([ $status != 124 ]; echo $?)"
check "svmm listens on /tmp/v.sock for guest cid 3" "$(has 'svmm: virtio-vsock: guest cid 3, host sockets /tmp/v.sock')"
check "guest loaded the virtio vsock transport" "$(has '\[guest-init\] loaded vmw_vsock_virtio_transport')"
check "guest -> host echo (guest port -> /tmp/v.sock_1234)" "$(has 'vsock-send reply: hello from the guest')"
check "guest -> host 4 MB echo, checksum ok" "$(has "vsock-send reply: $BULK bytes echoed, checksum ok")"
check "host -> guest CONNECT handshake answered OK" "$(has 'uds-send: connected to guest port 5000 \(OK [0-9]+\)')"
check "host -> guest echo (CONNECT 5000)" "$(has 'uds-send reply: hello from the host')"
check "host -> guest 4 MB echo, checksum ok" "$(has "uds-send reply: $BULK bytes echoed, checksum ok")"
check "guest echo servers finished" "$(has 'VSOCK-GUEST-DONE')"
check "guest powered off, svmm exited 0" "$([ $status = 0 ]; echo $?)"

echo "e2e-vsock: wall ${wall}s"
grep -E 'bytes echoed|svmm: vsock:|svmm: exits:' <<<"$log" || true
[ $failed = 0 ] || echo "e2e-vsock: log in $T/log"
echo "e2e-vsock: $passed passed, $failed failed"
[ $failed = 0 ]
