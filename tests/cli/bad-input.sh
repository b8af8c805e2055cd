#!/bin/bash
# The real svmm binary (arm64, run here under qemu-user) on bad input: every case must print one
# line "svmm: error: ..." naming the problem and exit 1 — never crash, never hang.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SVMM=$BUILD/aarch64/svmm
T=$BUILD/cli
mkdir -p "$T"
QEMU=qemu-aarch64-static
command -v $QEMU >/dev/null || QEMU=qemu-aarch64

# A file with a valid arm64 Image header claiming a 64 MiB kernel (too big for --mem 16M).
img=$T/fake-Image
{ printf '\0%.0s' $(seq 8); printf '\0\0\0\0\0\0\0\0'; printf '\0\0\0\4\0\0\0\0'; printf '\0%.0s' $(seq 32); printf 'ARM\x64'; printf '\0\0\0\0'; } > "$img"
head -c 4096 /dev/zero >> "$img"
# The same with a 1 MiB kernel, and a 20 MiB initrd that cannot fit beside it in 16 MiB.
small=$T/fake-Image-1M
{ head -c 16 "$img"; printf '\0\0\x10\0\0\0\0\0'; tail -c +25 "$img"; } > "$small"
head -c 20M /dev/zero > "$T/big-initrd"
head -c 5000 /dev/urandom > "$T/random.bin"
: > "$T/empty"
printf '\x1f\x8b\x08\x00rest' > "$T/vmlinuz.gz"

passed=0 failed=0
# expect NAME EXPECTED-SUBSTRING -- svmm args...
expect() {
    local name=$1 want=$2; shift 3
    local out rc lines
    out=$(timeout 30 $QEMU "$SVMM" "$@" 2>&1 </dev/null); rc=$?
    lines=$(printf '%s\n' "$out" | grep -c .)
    if [ $rc = 1 ] && [ "$lines" = 1 ] && grep -qF "svmm: error: " <<<"$out" && grep -qF -- "$want" <<<"$out"; then
        echo "ok   cli: $name"; passed=$((passed + 1))
    else
        echo "FAIL cli: $name (exit $rc, want one error line containing '$want'):"; printf '    %s\n' "$out"
        failed=$((failed + 1))
    fi
}

expect "no command"            "no command given"            --
expect "unknown command"       "unknown command 'boot'"      -- boot
expect "unknown flag"          "unknown option '--frob'"     -- run --kernel "$img" --frob
expect "missing --kernel"      "--kernel IMAGE is required"  -- run
expect "flag without value"    "--mem needs a value"         -- run --kernel "$img" --mem
expect "missing kernel file"   "cannot read kernel '/nonexistent/Image': No such file" -- run --kernel /nonexistent/Image
expect "kernel is a directory" "is not a regular file"       -- run --kernel /tmp
expect "empty kernel file"     "is empty"                    -- run --kernel "$T/empty"
expect "kernel is a device"    "is not a regular file"       -- run --kernel /dev/null
expect "missing initrd file"   "cannot read initrd '/nonexistent/rd'" -- run --kernel "$img" --initrd /nonexistent/rd
expect "not an arm64 Image"    "not an arm64 Image"          -- run --kernel "$T/random.bin"
expect "compressed vmlinuz"    "decompress it first"         -- run --kernel "$T/vmlinuz.gz"
expect "memory too small"      "guest memory too small"      -- run --kernel "$img" --mem 16M
expect "initrd does not fit"   "guest memory too small"      -- run --kernel "$small" --mem 16M --initrd "$T/big-initrd"
expect "zero CPUs"             "--cpus: '0'"                 -- run --kernel "$img" --cpus 0
expect "too many CPUs"         "between 1 and 16"            -- run --kernel "$img" --cpus 64
expect "bad memory size"       "--mem: 'lots'"               -- run --kernel "$img" --mem lots
expect "unwritable --dtb-out"  "cannot write --dtb-out"      -- run -q --kernel "$img" --mem 256M --dtb-out /nonexistent/x.dtb
expect "net: missing tap name" "--net: missing tap=NAME"     -- run --kernel "$img" --net mac=52:54:00:00:00:01
expect "net: bad MAC"          "--net: bad MAC address 'zz'" -- run --kernel "$img" --net tap=tap0,mac=zz
expect "net: unknown option"   "unknown sub-option 'vhost'"  -- run --kernel "$img" --net tap=tap0,vhost=on
expect "net: switch= without port=" "--net switch=PATH needs port=NAME" -- run --kernel "$img" --net switch=/tmp/sw.sock
expect "net: no switch running" "cannot connect to the switch at /nonexistent/sw.sock" -- run -q --kernel "$img" --mem 256M --net switch=/nonexistent/sw.sock,port=a
expect "switch: no --listen"   "switch: --listen PATH is required" -- switch --port a
expect "switch: bad reach"     "reach= names 'c', which is not a port" -- switch --listen /tmp/x.sock --port a,reach=c
expect "switch: cannot listen" "switch: cannot listen on /nonexistent/s.sock" -- switch --listen /nonexistent/s.sock --port a
expect "disk: server= without client=" "needs a socket path of 1 to 107 characters and client=NAME" -- run --kernel "$img" --disk server=/tmp/b.sock
expect "disk: no block server running" "cannot connect to the block server at /nonexistent/b.sock" -- run -q --kernel "$img" --mem 256M --disk server=/nonexistent/b.sock,client=a
expect "blk-server: no --listen" "needs --listen PATH" -- blk-server --disk "$img" --client a,offset=0,size=512
expect "blk-server: bad client" "needs offset= and size=" -- blk-server --listen /tmp/b.sock --disk "$img" --client a,size=512
expect "blk-server: client past the disk" "lie outside the disk" -- blk-server --listen /tmp/b.sock --disk "$img" --client a,offset=0,size=1G
expect "blk-server: overlapping clients" "overlaps client 'a'" -- blk-server --listen /tmp/b.sock --disk "$img" --client a,offset=0,size=1K --client b,offset=512,size=1K
expect "blk-server: missing disk" "cannot use disk '/nonexistent.img'" -- blk-server --listen /tmp/b.sock --disk /nonexistent.img --client a,offset=0,size=512
expect "vsock: cid below 3"    "--vsock: cid '2'"            -- run --kernel "$img" --vsock cid=2,uds=/tmp/v.sock
expect "vsock: missing uds"    "--vsock: missing uds=PATH"   -- run --kernel "$img" --vsock cid=3
expect "vsock: unwritable uds" "--vsock: cannot listen on '/nonexistent/v.sock'" -- run -q --kernel "$img" --mem 256M --vsock cid=3,uds=/nonexistent/v.sock
expect "console: unknown backend" "--console: unknown backend 'serial'" -- run --kernel "$img" --console serial
expect "console: given twice"    "--console: given twice"      -- run --kernel "$img" --console pty --console stdio
expect "console-port: bad backend" "--console-port: unknown backend 'tcp:1'" -- run --kernel "$img" --console-port log=tcp:1
expect "console-port: no name"   "--console-port: 'pty' is not NAME=pty" -- run --kernel "$img" --console-port pty
expect "console-port: bad name"  "--console-port: bad port name 'a/b'" -- run --kernel "$img" --console-port a/b=pty
expect "console-port: duplicate" "--console-port: duplicate port name 'log'" -- run --kernel "$img" --console-port log=pty --console-port log=file:/tmp/x
expect "console-port: too many"  "--console-port: too many ports" -- run --kernel "$img" --console-port a=pty --console-port b=pty --console-port c=pty
expect "console-port: file path" "--console-port log: cannot open '/nonexistent/x' for appending" -- run -q --kernel "$img" --mem 256M --console-port log=file:/nonexistent/x
expect "ctl: no VMM there"       "cannot connect to the control socket $T/none.ctl" -- ctl --socket "$T/none.ctl" status
expect "ctl: boot without image" "ctl: boot takes 2..2 arguments, not 1" -- ctl --socket "$T/none.ctl" boot scratch
expect "up: no plan"             "up: no plan given" -- up
expect "up: missing plan"        "up: cannot open the plan /nonexistent.plan" -- up /nonexistent.plan
printf 'svmm-plan 1\nvm a\narg run\n' > "$T/bad.plan"
expect "up: a plan without end"  "up: $T/bad.plan: line 2: 'a' has no 'end'" -- up "$T/bad.plan"
printf 'name: x\n' > "$T/yaml.plan"
expect "up: a description, not a plan" "line 1: not an svmm up plan (the first line must be 'svmm-plan 1')" -- up "$T/yaml.plan"
# svmm up SYSTEM.yaml runs svmm-compose for the plan: without one, one line saying how to get it.
printf 'board: qemu_virt_aarch64\nvms:\n  - name: a\n    kernel: %s\n    ram: 64M\n    on_fault: stop\n' "$img" > "$T/up.yaml"
SVMM_COMPOSE=$T/no-such-compose expect "up: a description without svmm-compose" \
    "up: $T/up.yaml is a system description: making its plan needs svmm-compose" -- up "$T/up.yaml"
# With svmm-compose (the build machine's): its errors, then svmm up's line; a valid description is
# composed and started (here its VM fails at once: under qemu-user svmm cannot even exec itself for
# the VM, and there is no KVM for it either).
make -s -C "$ROOT" compose BUILD="$BUILD" >/dev/null 2>&1
sed 's/on_fault: stop/on_fault: sometimes/' "$T/up.yaml" > "$T/up-bad.yaml"
out=$(cd "$T" && SVMM_COMPOSE=$BUILD/host/svmm-compose timeout 60 $QEMU "$SVMM" up "$T/up-bad.yaml" 2>&1); rc=$?
if [ $rc = 1 ] && grep -q "up-bad.yaml:6: vms.a.on_fault: 'sometimes' is not restart or stop" <<<"$out" &&
    grep -q "svmm: error: up: $BUILD/host/svmm-compose refused $T/up-bad.yaml (its errors above)" <<<"$out"; then
    echo "ok   cli: up: svmm-compose's errors for a bad description, then svmm up's"; passed=$((passed + 1))
else
    echo "FAIL cli: up: a bad description (exit $rc):"; printf '    %s\n' "$out"; failed=$((failed + 1))
fi
out=$(cd "$T" && SVMM_COMPOSE=$BUILD/host/svmm-compose timeout 60 $QEMU "$SVMM" up "$T/up.yaml" --run-dir "$T/up-run" 2>&1); rc=$?
if [ $rc = 1 ] && grep -q "svmm-up: VM a started" <<<"$out" &&
    grep -q "svmm-up: error: VM a failed (exit status [0-9]*: [a-z ]*): it stays stopped (policy: on_fault: stop)" <<<"$out" &&
    grep -q "svmm-up: every process stopped; a VM or server failed: exit status 1" <<<"$out"; then
    echo "ok   cli: up SYSTEM.yaml: composed, started, its failing VM left stopped by policy, exit 1"; passed=$((passed + 1))
else
    echo "FAIL cli: up SYSTEM.yaml (exit $rc):"; printf '    %s\n' "$out"; failed=$((failed + 1))
fi
expect "ctl: unknown command"    "ctl: unknown command 'reboot'" -- ctl --socket "$T/none.ctl" reboot
expect "ctl: no command"         "ctl: needs --socket PATH and a command" -- ctl --socket "$T/none.ctl"
expect "control: path too long"  "--control: socket path" -- run -q --kernel "$img" --mem 256M --control "$T/$(printf x%.0s $(seq 120))"
expect "watchdog: zero"          "--watchdog: '0' is not SECONDS[,boot=SECONDS]" -- run --kernel "$img" --watchdog 0
expect "watchdog: bad boot="     "--watchdog: '10,boot=x' is not SECONDS[,boot=SECONDS]" -- run --kernel "$img" --watchdog 10,boot=x
expect "name: bad characters"    "--name: 'a/b' is not 1 to 31 characters" -- run --kernel "$img" --name a/b
expect "cpu-affinity: count"     "--cpu-affinity: 1 host CPUs for 2 vCPUs" -- run --kernel "$img" --cpus 2 --cpu-affinity 0
expect "rt-priority: unpinned"   "--rt-priority: also give --cpu-affinity" -- run --kernel "$img" --rt-priority 5

# No /dev/kvm: hide it with a private, empty /dev (needs root for the mount namespace).
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
    out=$(timeout 30 unshare -m sh -c "mount -t tmpfs none /dev && exec $QEMU '$SVMM' run --kernel '$img' --mem 256M" 2>&1); rc=$?
    if [ $rc = 1 ] && grep -q "svmm: error: cannot open /dev/kvm: No such file or directory (svmm needs Linux KVM" <<<"$out"; then
        echo "ok   cli: no /dev/kvm"; passed=$((passed + 1))
    else
        echo "FAIL cli: no /dev/kvm (exit $rc):"; printf '    %s\n' "$out"; failed=$((failed + 1))
    fi
fi

for flag in --help --version; do
    if out=$($QEMU "$SVMM" $flag 2>&1) && [ -n "$out" ]; then
        echo "ok   cli: $flag"; passed=$((passed + 1))
    else
        echo "FAIL cli: $flag"; failed=$((failed + 1))
    fi
done
echo "cli: $passed passed, $failed failed"
[ $failed = 0 ]
