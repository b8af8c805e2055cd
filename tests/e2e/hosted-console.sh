#!/bin/bash
# Hosted tier, virtio-console multiport: svmm runs with --console pty (port 0, hvc0, on a new
# pseudo-terminal), --console-port log=file:/tmp/log.txt and --console-port shell=pty inside the
# QEMU test machine. The guest finds its named ports in /sys/class/virtio-ports, makes the
# /dev/virtio-ports/<name> links udev would make (the test initramfs has no udev), writes a line and
# 200000 random bytes to "log" and reads a line the host wrote to "shell"'s pty; the outer script
# writes a line to hvc0's pty for the guest to read, reads hvc0 from its pty and prints the log file after svmm exits.
# Prints one "ok"/"FAIL" line per check and "e2e-console: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
T=$BUILD/e2e/hosted-console
TIMEOUT=${E2E_TIMEOUT:-900}
mkdir -p "$T"

# Runs on hvc0, which is port 0 on a pty here: its output reaches the log only through that pty.
cat > "$T/guest-cmd" <<'G'
echo "CON-READY"
read -t 60 -r l0; echo "CON-HVC0-IN: $l0"
for p in /sys/class/virtio-ports/*; do echo "CON-PORT $(basename $p) name=$(cat $p/name 2>/dev/null)"; done
mkdir -p /dev/virtio-ports
for p in /sys/class/virtio-ports/*; do
    n=$(cat $p/name 2>/dev/null); [ -n "$n" ] && ln -sf ../$(basename $p) /dev/virtio-ports/$n
done
echo "CON-LINKS $(ls /dev/virtio-ports | tr '\n' ' ')"
echo "hello from the guest on port log" > /dev/virtio-ports/log; echo "CON-WRITE status=$?"
head -c 200000 /dev/urandom > /tmp/bulk
cat /tmp/bulk > /dev/virtio-ports/log; echo "CON-BULK status=$? sha=$(sha256sum < /tmp/bulk | cut -d' ' -f1)"
echo "CON-PTY-IN: $(timeout 60 head -n1 /dev/virtio-ports/shell)"
echo "CON-HVC0-DONE"
G
cat > "$T/outer-script" <<'O'
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
/svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 512M --append "console=ttyS0" \
    --console pty --console-port log=file:/tmp/log.txt --console-port shell=pty 2>/tmp/svmm.err &
svmm=$!
# svmm names its ptys once the VM is built; a loaded test machine can take well over 10 s for that.
for _ in $(seq 1200); do grep -q "port 2 'shell' on" /tmp/svmm.err && break; sleep 0.1; done
p0=$(sed -n 's/^svmm: virtio-console on //p' /tmp/svmm.err)
p2=$(sed -n "s/^svmm: virtio-console port 2 'shell' on //p" /tmp/svmm.err)
echo "outer: hvc0 on '$p0', shell on '$p2'"
[ -n "$p0" ] && [ -n "$p2" ] || echo "outer: svmm named no pty within 120 s: $(cat /tmp/svmm.err)"
(cat "$p0" > /tmp/hvc0.log 2>/tmp/hvc0-reader.err; echo "outer: hvc0 reader exited $?: $(cat /tmp/hvc0-reader.err)") &
reader=$!
# Input for hvc0 only once the guest's shell holds it open: a tty discards unread input at its last
# close, and guest-init opens and closes hvc0 while it waits for the port to come up.
for _ in $(seq 1200); do grep -q CON-READY /tmp/hvc0.log && break; sleep 0.1; done
echo "hello-hvc0" > "$p0"
echo "hello-from-host" > "$p2"
wait $svmm; st=$?
wait $reader # svmm's exit hangs the pty up: cat has read everything then
cat /tmp/svmm.err
echo "=== hvc0 through its pty:"; cat /tmp/hvc0.log | tr -d '\r'
echo "=== /tmp/log.txt, first line: $(head -n1 /tmp/log.txt)"
echo "HOST-BULK sha=$(tail -c 200000 /tmp/log.txt | sha256sum | cut -d' ' -f1) size=$(wc -c < /tmp/log.txt)"
exit $st
O

TAG=e2e-console
. "$ROOT/tests/e2e/lib.sh"
hosted_boot "$T" "$TIMEOUT" || fail_early "test machine images"

guest_sha=$(sed -n 's/.*CON-BULK status=0 sha=\([0-9a-f]*\).*/\1/p' <<<"$LOG" | head -n1)
host_sha=$(sed -n 's/.*HOST-BULK sha=\([0-9a-f]*\).*/\1/p' <<<"$LOG" | head -n1)
check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "svmm printed the pty of port 0" "$(has '^svmm: virtio-console on /dev/pts/[0-9]+')"
check "svmm printed the pty of port 'shell'" "$(has "^svmm: virtio-console port 2 'shell' on /dev/pts/[0-9]+")"
check "guest loaded virtio_console" "$(has '\[guest-init\] loaded virtio_console')"
check "guest ran its command on hvc0 (CONSOLE_PORT over the control queue)" "$(has '\[guest-init\] running /etc/svmm-cmd on /dev/hvc0')"
check "hvc0 output arrived through the pty" "$(has '^CON-HVC0-DONE')"
check "host -> guest through port 0's pty (hvc0 input)" "$(has '^CON-HVC0-IN: hello-hvc0')"
check "named port 'log' in /sys/class/virtio-ports" "$(has '^CON-PORT vport[0-9]+p1 name=log')"
check "named port 'shell' in /sys/class/virtio-ports" "$(has '^CON-PORT vport[0-9]+p2 name=shell')"
check "guest wrote to /dev/virtio-ports/log" "$(has '^CON-WRITE status=0')"
check "the text arrived in the host file" "$(has '^=== /tmp/log.txt, first line: hello from the guest on port log')"
check "200000 random bytes arrived intact (SHA-256)" "$([ -n "$guest_sha" ] && [ "$guest_sha" = "$host_sha" ]; rc)"
check "host -> guest through the 'shell' pty" "$(has '^CON-PTY-IN: hello-from-host')"
check "svmm exited 0" "$(is [ $status = 0 ])"

echo "e2e-console: wall ${wall}s"
grep -E 'svmm: virtio-console|CON-|HOST-BULK|^outer:' <<<"$LOG" || true
finish "$T/log"
