#!/bin/bash
# selftest.sh - prove the machine scripts work, without svmm:
#   a) the guest kernel + guest initrd boot directly under QEMU (virtio-mmio
#      console): modules load, /etc/svmm-cmd runs on hvc0, the guest powers off;
#      without --cmd-file an interactive shell runs on hvc0;
#   b) the outer machine has /dev/kvm and run.sh passes on the script's status
#      (a dummy /svmm exiting 0, then 7; a script that powers off without
#      reporting gives 125);
#   c) run.sh's timeout fires (a script that sleeps forever, --timeout 60).
# Usage: tests/machine/selftest.sh      (artefacts and logs in $BUILD/selftest)
set -eu
. "$(dirname "$0")/common.sh"

T=$BUILD/selftest
mkdir -p "$T"
need_fetch
pass=0 fail=0

# check NAME COMMAND... : run a check, time it, count it.
check() {
    local name=$1 t0 secs rc=0
    shift
    t0=$(date +%s.%N)
    "$@" || rc=$?
    secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    if [ $rc = 0 ]; then pass=$((pass + 1)); log "PASS $name (${secs}s)"
    else fail=$((fail + 1)); log "FAIL $name (${secs}s)"; fi
}

# expect FILE PATTERN... : every (grep -E) PATTERN occurs in FILE.
expect() {
    local f=$1 p
    shift
    for p in "$@"; do
        grep -aEq -- "$p" "$f" || { log "  missing in $f: $p"; return 1; }
    done
}

# --- a) guest directly under QEMU: kernel log on the PL011, hvc0 on stdio
# guest_direct NAME INITRD : boot it; stdin feeds hvc0, hvc0 goes to $T/NAME-hvc0.log
guest_direct() {
    timeout 300 qemu-system-aarch64 -M virt -cpu cortex-a57 -nic none -smp 2 -m 1G -display none -no-reboot \
        -kernel "$MBUILD/Image" -initrd "$2" -append "console=ttyAMA0 panic=-1" \
        -serial "file:$T/$1-console.log" \
        -device virtio-serial-device -chardev stdio,id=c0 -device virtconsole,chardev=c0 \
        > "$T/$1-hvc0.log" 2>&1
    grep -a 'guest-init' "$T/$1-console.log" | sed 's/^/  console| /'
    sed 's/^/  hvc0   | /' "$T/$1-hvc0.log"
}
printf '%s\n' 'echo SELFTEST-MARKER-hvc0' \
    'echo "online: $(cat /sys/devices/system/cpu/online)"' \
    'echo "modules: $(cut -d" " -f1 /proc/modules | sort | tr "\n" " ")"' > "$T/cmd-a.sh"
"$MACHINE_DIR/mkguest-initrd.sh" "$T/guest-a.cpio.gz" --cmd-file "$T/cmd-a.sh"
check "a) guest boots directly with --cmd-file" guest_direct a "$T/guest-a.cpio.gz" < /dev/null
check "a) modules load, cmd runs on hvc0, power off" expect "$T/a-console.log" 'init reached at uptime' \
    'loaded virtio_mmio' 'loaded vmw_vsock_virtio_transport' 'online cpus: 2' \
    'running /etc/svmm-cmd on /dev/hvc0' 'reboot: Power down'
check "a) marker and cpus on hvc0" expect "$T/a-hvc0.log" '^SELFTEST-MARKER-hvc0' '^online: 0-1' \
    'virtio_console' 'virtio_net' 'svmm-cmd exit status: 0'

# Without --cmd-file: an interactive shell on hvc0, fed from stdin.
"$MACHINE_DIR/mkguest-initrd.sh" "$T/guest-i.cpio.gz"
check "a) interactive shell on hvc0" guest_direct i "$T/guest-i.cpio.gz" \
    < <(printf '%s\n' 'echo SELFTEST-$((6 * 7))' 'exit 3')
check "a) interactive shell ran and exited" expect "$T/i-hvc0.log" '^SELFTEST-42' 'shell exited: 3'

# --- b) outer machine with a dummy svmm
printf '%s\n' '#!/bin/sh' 'ls -l /dev/kvm /guest' 'echo "dummy svmm: $*"' 'exit "${DUMMY_STATUS:-0}"' \
    > "$T/dummy-svmm"
chmod 755 "$T/dummy-svmm"
# outer NAME SCRIPT-TEXT EXPECTED-STATUS [run.sh args] : build + boot, compare
# run.sh's exit status; its output goes to $T/NAME.out, the machine log to NAME.log.
outer() {
    local name=$1 text=$2 want=$3 rc=0
    shift 3
    echo "$text" > "$T/script-$name.sh"
    "$MACHINE_DIR/mkouter-initrd.sh" "$T/outer-$name.cpio.gz" --svmm "$T/dummy-svmm" \
        --script "$T/script-$name.sh" --guest-initrd "$T/guest-a.cpio.gz"
    "$MACHINE_DIR/run.sh" --initrd "$T/outer-$name.cpio.gz" --log "$T/$name.log" "$@" > "$T/$name.out" 2>&1 || rc=$?
    tr -d '\r' < "$T/$name.out" | grep -a '^\[outer\]\|^\[machine\]\|/dev/kvm\|dummy svmm' | sed 's/^/  | /'
    [ "$rc" = "$want" ] || { log "  run.sh exited $rc, expected $want"; return 1; }
}
check "b) outer: status 0 parsed" \
    outer b0 '/svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2' 0 --timeout 300
check "b) outer: /dev/kvm present" expect "$T/b0.log" '^\[outer\] /dev/kvm present' '^crw.* /dev/kvm'
check "b) outer: status 7 parsed" outer b7 'DUMMY_STATUS=7 /svmm run' 7 --timeout 300
check "b) outer: no status line -> 125" outer b125 'poweroff -f' 125 --timeout 300

# --- c) timeout
check "c) timeout fires (60 s)" outer c 'sleep 100000' 124 --timeout 60
check "c) timeout line printed" expect "$T/c.out" \
    '^\[machine\] TIMEOUT: outer machine did not power off within 60 s'

echo "selftest: $pass passed, $fail failed"
[ $fail = 0 ]
