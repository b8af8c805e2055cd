#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Hosted VM restart, end to end (issue 12 part 1), in one QEMU test machine run. One `svmm run`:
#   boot 1    the guest writes 8 MiB of random data to its disk (SHA-256 printed), fills 64 MiB of
#             its RAM with a marker, reboots (`reboot -f`: PSCI SYSTEM_RESET);
#   boot 2..N the VM was restarted in the same svmm process (devices reset, RAM zeroed, images
#             loaded again): the guest reads the data back (same SHA-256), counts the boot on the
#             disk and reboots again; boot N waits for the admin.
# Then the admin: on boot N, `svmm ctl` asks the VMM's control socket for its status, is refused a
# start (the VM runs), restarts the VM (boot N+1 reads the data back too) and then stops it.
# The outer machine watches the svmm process: while boot 1's marker is in RAM it finds it in the
# guest RAM mapping (/proc/PID/mem), after the restart it must not; at boot 2 and boot N (both stand
# still) it records the process's open files, threads, mapped size and resident memory outside guest
# RAM, which must stay flat (no leak per restart). Also: --no-reboot turns a reset (a kernel panic
# with panic=-1) into exit status 2. E2E_RESTART_BOOTS=N (default 4; make e2e-restart-20: 21).
# Prints "e2e-restart: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
T=$BUILD/e2e/hosted-restart
TIMEOUT=${E2E_TIMEOUT:-1800}
BOOTS=${E2E_RESTART_BOOTS:-4} # the first boot and 3 restarts (make e2e-restart-20: 21)
RAM_MIB=256
mkdir -p "$T"

cat > "$T/guest-cmd" <<G
BOOTS=$BOOTS
G
cat >> "$T/guest-cmd" <<'G'
disk=
for s in /sys/block/vd*; do [ "$(cat $s/serial 2>/dev/null)" = disk.img ] && disk=/dev/${s##*/}; done
[ -n "$disk" ] || { echo "RS no disk with serial disk.img"; exit 1; }
n=$(dd if=$disk bs=512 count=1 2>/dev/null | tr -dc '0-9')
boot=$(( ${n:-0} + 1 ))
if [ $boot = 1 ]; then
    dd if=/dev/urandom of=/tmp/data bs=1M count=8 2>/dev/null
    echo "RS data-sha256 $(sha256sum < /tmp/data | cut -d' ' -f1)"
    dd if=/tmp/data of=$disk bs=1M seek=1 conv=fsync 2>/dev/null
    rm /tmp/data
    # RAM the next boot must find zeroed: page cache of a tmpfs file, 64 MiB of one marker line.
    m=SVMM-RESTART-SCRUB # the whole marker is never in the script, which the initramfs brings back
    yes "$m-MARKER-7f3a" | head -c 67108864 > /tmp/marker
    echo "RS marker-in-ram"
    read -t 60 ack # the outer machine looks for the marker, then answers on the UART
else
    echo 3 > /proc/sys/vm/drop_caches
    echo "RS readback-sha256 $(dd if=$disk bs=1M skip=1 count=8 2>/dev/null | sha256sum | cut -d' ' -f1)"
fi
echo $boot | dd of=$disk bs=512 count=1 conv=sync,fsync 2>/dev/null
echo "RS boot $boot uptime $(cut -d' ' -f1 /proc/uptime)"
[ $boot = 2 ] && read -t 120 ack # the outer machine measures the VMM while this boot stands still
[ $boot -lt $BOOTS ] && reboot -f
echo "RS waiting-for-admin boot $boot" # the outer machine restarts, then stops the VM with svmm ctl
sleep 600
G

cat > "$T/outer-script" <<O
RAM_MIB=$RAM_MIB BOOTS=$BOOTS
O
cat >> "$T/outer-script" <<'O'
cd /tmp
dd if=/dev/zero of=disk.img bs=1M count=16 2>/dev/null
# The guest RAM mapping: the anonymous one of exactly RAM_MIB MiB, as "first-page pages".
ram_range() {
    while read -r range perms off dev inode path; do
        s=$((0x${range%-*})) e=$((0x${range#*-}))
        [ $((e - s)) = $((RAM_MIB << 20)) ] && [ -z "$path" ] && { echo $((s >> 12)) $(((e - s) >> 12)); return; }
    done < /proc/$1/maps
}
markers() {
    set -- $1 $(ram_range $1)
    [ $# = 3 ] || { echo "none (no $RAM_MIB MiB mapping)"; return; }
    # Lines holding the marker once every NUL run is a line break: busybox's regex grep finds a
    # marker after a NUL in its line too, but matched 256 MiB in about a minute each time (most of
    # the tier's time); a fixed string (strstr, which stops at a NUL) over these lines is ~10x faster.
    n=$(dd if=/proc/$1/mem bs=4096 skip=$2 count=$3 2>/tmp/dd.err | tr -s '\0' '\n' | grep -cF SVMM-RESTART-SCRUB-MARKER-7f3a)
    echo "$n (read: $(head -n1 /tmp/dd.err))"
}
# KiB resident outside guest RAM (whose pages come and go with what the guest touches).
vmm_rss() {
    skip=0 total=0
    while read -r a b c; do
        case $a in
        *-*) s=$((0x${a%-*})) e=$((0x${a#*-})); [ $((e - s)) = $((RAM_MIB << 20)) ] && skip=1 || skip=0 ;;
        Rss:) [ $skip = 1 ] || total=$((total + b)) ;;
        esac
    done < /proc/$1/smaps
    echo $total
}
usage() { echo "fds $(ls /proc/$1/fd | wc -l) threads $(ls /proc/$1/task | wc -l)" \
    "vmsize $(awk '/^VmSize/ { print $2 }' /proc/$1/status) rss $(vmm_rss $1)" \
    "files: $(for f in /proc/$1/fd/*; do readlink $f; done | sed 's/:\[[0-9]*\]//' | sort | uniq -c | tr -s ' \n' ' ')" \
    "threads: $(cat /proc/$1/task/*/stat | cut -d' ' -f3 | sort | uniq -c | tr -s ' \n' ' ')"; }
mkfifo in console
exec 3<> in # the guest's console input: "ack" once the marker was looked for
t0=$(date +%s)
/svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem ${RAM_MIB}M \
    --append "console=ttyS0" --disk /tmp/disk.img --control /tmp/vm.ctl <&3 > console 2> err &
pid=$!
while IFS= read -r line; do
    printf '%s\n' "$line"
    case $line in
    *"RS marker-in-ram"*)
        echo "[outer] markers before restart $(markers $pid)"
        echo ack >&3 ;;
    *"RS boot 2 "*)
        echo "[outer] usage boot 2 $(usage $pid)"
        echo "[outer] markers after restart $(markers $pid)"
        echo ack >&3 ;;
    *"RS waiting-for-admin boot "*)
        echo "[outer] usage boot $(echo ${line##*admin boot } | tr -d "\r") $(usage $pid)"
        echo "[outer] ctl mode $(stat -c %a /tmp/vm.ctl)"
        echo "[outer] ctl status: $(/svmm ctl --socket /tmp/vm.ctl status)"
        if grep -q "RS waiting-for-admin boot $BOOTS\b" <<EOT
$line
EOT
        then
            r=$(/svmm ctl --socket /tmp/vm.ctl start); echo "[outer] ctl start: $r (exit $?)"
            r=$(/svmm ctl --socket /tmp/vm.ctl restart); echo "[outer] ctl restart: $r (exit $?)"
        else
            r=$(/svmm ctl --socket /tmp/vm.ctl stop); echo "[outer] ctl stop: $r (exit $?)"
        fi ;;
    esac
done < console
wait $pid
echo $? > status
echo "[outer] svmm exit $(cat status) after $(( $(date +%s) - t0 ))s"
grep -E 'restart|reset|error|warn' err | head -n 60
echo "[outer] control socket removed at exit: $([ -e /tmp/vm.ctl ] && echo no || echo yes)"
# --no-reboot: the guest's reset ends svmm with status 2. The quickest reset: a kernel without an
# init panics, and panic=-1 reboots at once.
/svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --mem ${RAM_MIB}M \
    --append "console=ttyS0 rdinit=/none-such panic=-1" --no-reboot < /dev/null > out2 2> err2
echo "[outer] no-reboot exit $?"
grep -hE 'Kernel panic|reset' out2 err2 | head | sed 's/^/[no-reboot] /'
O

TAG=e2e-restart
. "$ROOT/tests/e2e/lib.sh"
hosted_boot "$T" "$TIMEOUT" || fail_early "test machine images"

field() { sed -n "s/.*$1 \([0-9a-f]*\).*/\1/p" <<<"$LOG" | head -n1; }
dsum=$(field 'RS data-sha256')
# "[outer] usage boot K fds F threads T vmsize V rss R": boot 2 and boot N stand still while measured.
usage_of() { sed -n "s/.*\[outer\] usage boot $1 fds \([0-9]*\) threads \([0-9]*\) vmsize \([0-9]*\) rss \([0-9]*\).*/\1 \2 \3 \4/p" <<<"$LOG" | head -n1; }
u2=($(usage_of 2) - - - -) uN=($(usage_of $BOOTS) - - - -) # "-": not measured (fails below)
nboots=$(grep -c '^RS boot [0-9]* uptime' <<<"$LOG")
nsums=$(grep -c "^RS readback-sha256 $dsum" <<<"$LOG")

check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "boot 1 wrote 8 MiB to the disk (SHA-256 printed)" "$(is [ ${#dsum} = 64 ])"
check "svmm logged the guest's reset and restarted the VM $((BOOTS - 1)) times" \
    "$(has "VM restarted \(restart $((BOOTS - 1))\)")"
check "the guest came back every time: $BOOTS boots, then one more from the admin" \
    "$([ "$nboots" = $((BOOTS + 1)) ] && grep -q "^RS boot $BOOTS uptime" <<<"$LOG"; rc)"
check "every later boot read the data back intact (SHA-256 x $BOOTS)" "$(is [ "$nsums" = $BOOTS ])"
check "boot 1's marker was in the guest RAM mapping (the probe works)" "$(has '\[outer\] markers before restart [1-9]')"
check "after the restart guest RAM held none of it (scrubbed)" "$(has "\\[outer\\] markers after restart 0 \\(read: $((RAM_MIB * 256))\\+0 records in")"
check "open files and threads the same at boot 2 and boot $BOOTS (${u2[*]:0:2} / ${uN[*]:0:2})" \
    "$([ "${u2[0]}" != - ] && [ "${u2[0]}" = "${uN[0]}" ] && [ "${u2[1]}" = "${uN[1]}" ]; rc)"
check "mapped size flat, VMM's resident memory outside guest RAM within 2 MiB (${u2[*]:2:2} / ${uN[*]:2:2} KiB)" \
    "$([ "${u2[3]}" != - ] && [ "${uN[3]}" != - ] && [ "${u2[2]}" = "${uN[2]}" ] && [ "${uN[3]}" -le $(( ${u2[3]} + 2048 )) ]; rc)"
check "svmm ctl status: running, $BOOTS boots, $((BOOTS - 1)) restarts; socket mode 600" \
    "$(grep -q "\[outer\] ctl status: ok state running boots $BOOTS restarts $((BOOTS - 1)) uptime [0-9.]* exits mmio=[0-9]*" <<<"$LOG" && grep -q '\[outer\] ctl mode 600' <<<"$LOG"; rc)"
check "svmm ctl start on a running VM: refused with the lifecycle's reason, exit 1" \
    "$(has '\[outer\] ctl start: error: cannot start a VM that is running \(exit 1\)')"
check "svmm ctl restart: the VM booted again and read the data back" \
    "$(grep -q '\[outer\] ctl restart: ok restart (exit 0)' <<<"$LOG" && grep -q "RS boot $((BOOTS + 1)) uptime" <<<"$LOG"; rc)"
check "svmm ctl stop: svmm stopped the VM and exited 0, control socket removed" \
    "$(grep -q '\[outer\] ctl stop: ok stop (exit 0)' <<<"$LOG" && grep -q '\[outer\] svmm exit 0 after' <<<"$LOG" && grep -q 'control socket removed at exit: yes' <<<"$LOG"; rc)"
check "--no-reboot: the guest's reset ends svmm with status 2" \
    "$(grep -q '\[outer\] no-reboot exit 2' <<<"$LOG" && grep -q '\[no-reboot\] .*(--no-reboot, exit status 2)' <<<"$LOG"; rc)"
grep -E '^\[outer\]' <<<"$LOG"
finish "$T/log"
