#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# make bench-restart (and part of make bench): hosted VM restart latency, from the admin's command to
# the guest's init, svmm against killing and relaunching a QEMU-KVM guest, side by side in one outer
# test machine (docs/performance.md, "Hosted: VM restart against QEMU"). Asserts nothing.
#
# One outer-machine boot (QEMU TCG with -icount shift=0,sleep=off: the outer clock counts
# instructions, so the host's load does not move the figures; BENCH_RESTART_ICOUNT= for wall-clock
# time) boots the same guest kernel and initramfs (2 vCPUs, 256 MiB, a virtio console) under
#   svmm   /svmm run --control: after the first boot, BENCH_RESTART_N times `svmm ctl restart`, each
#          timed from the command to the guest's marker (its /etc/svmm-cmd, run by init)
#   qemu   Debian's arm64 qemu-system-aarch64 -M virt -enable-kvm -cpu host, the console on a
#          virtconsole: BENCH_RESTART_N times SIGKILL, wait, start it again, timed the same way
# The guest's marker line also carries its own uptime at init (kernel boot-to-init), which separates
# the VMM's part from the kernel's.
# Results: $BUILD/bench/restart-results.txt; the machine's log is $BUILD/bench/restart/log.
# shellcheck disable=SC2034,SC2154 # TAG is read by tests/e2e/lib.sh; wall, status and LOG come from below
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
export BUILD
T=$BUILD/bench/restart
N=${BENCH_RESTART_N:-3}
ICOUNT=${BENCH_RESTART_ICOUNT-shift=0,sleep=off}
TIMEOUT=${BENCH_TIMEOUT:-3600}
RES=$BUILD/bench/restart-results.txt
rm -rf "$T" && mkdir -p "$T/extra"
[ -x "$BUILD/aarch64/svmm" ] || { echo "bench-restart: no $BUILD/aarch64/svmm (make svmm)"; exit 1; }
"$ROOT/tests/bench/stage-qemu.sh" "$T/extra/qemu" || { echo "bench-restart: cannot stage the arm64 QEMU"; exit 1; }

cat > "$T/guest-cmd" <<'G'
echo "RB-UP uptime $(cut -d' ' -f1 /proc/uptime)"
sleep 3600 # until the next restart or kill (guest-init powers off after this command)
G

cat > "$T/outer-script" <<O
N=$N
O
cat >> "$T/outer-script" <<'O'
now() { cut -d' ' -f1 /proc/uptime; }
# wait_marker FILE COUNT: until FILE holds COUNT marker lines (at most 600 s of the outer clock).
wait_marker() {
    local t=$(now) n
    while :; do
        n=$(grep -c 'RB-UP uptime' "$1" 2>/dev/null) # nothing while the file does not exist yet
        [ "${n:-0}" -lt "$2" ] || break
        awk -v a="$t" -v b="$(now)" 'BEGIN { exit !(b - a > 600) }' && { echo "[outer] marker $2 never came"; return 1; }
        sleep 0.05
    done
}
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
last_uptime() { grep 'RB-UP uptime' "$1" | tail -n1 | sed 's/.*RB-UP uptime \([0-9.]*\).*/\1/'; }
qemu_vm() {
    /qemu/lib/ld-linux-aarch64.so.1 --library-path /qemu/lib /qemu/qemu \
        -M virt,gic-version=3 -enable-kvm -cpu host -smp 2 -m 256M -nodefaults -no-reboot -nic none \
        -display none -serial file:/tmp/qemu-ttyAMA0.log \
        -chardev file,id=con,path=/tmp/qemu-con.log -device virtio-serial-device -device virtconsole,chardev=con \
        -kernel /guest/Image -initrd /guest/initrd.cpio.gz -append "console=ttyAMA0 quiet" < /dev/null > /tmp/qemu.err 2>&1 &
    q=$!
}

echo "[outer] BENCH-BEGIN svmm"
/svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 256M --append "console=ttyS0 quiet" \
    --control /tmp/vm.ctl < /dev/null > /tmp/svmm.log 2> /tmp/svmm.err &
pid=$!
t=$(now); wait_marker /tmp/svmm.log 1 && echo "[outer] RB svmm start $(since $t) init $(last_uptime /tmp/svmm.log)"
for i in $(seq $N); do
    t=$(now)
    /svmm ctl --socket /tmp/vm.ctl restart > /dev/null || echo "[outer] ctl restart failed"
    wait_marker /tmp/svmm.log $((i + 1)) && echo "[outer] RB svmm restart $i $(since $t) init $(last_uptime /tmp/svmm.log)"
done
/svmm ctl --socket /tmp/vm.ctl stop > /dev/null
wait $pid
grep -E 'restarted|restart' /tmp/svmm.err | sed 's/^/[svmm] /' | head -n 10

echo "[outer] BENCH-BEGIN qemu"
t=$(now); : > /tmp/qemu-con.log; qemu_vm
wait_marker /tmp/qemu-con.log 1 && echo "[outer] RB qemu start $(since $t) init $(last_uptime /tmp/qemu-con.log)"
for i in $(seq $N); do
    t=$(now)
    kill -KILL $q; wait $q 2>/dev/null
    mv /tmp/qemu-con.log /tmp/qemu-con.$i.log
    qemu_vm
    wait_marker /tmp/qemu-con.log 1 && echo "[outer] RB qemu restart $i $(since $t) init $(last_uptime /tmp/qemu-con.log)"
done
kill -KILL $q; wait $q 2>/dev/null
cat /tmp/qemu.err | head -n 5
O

TAG=bench-restart
. "$ROOT/tests/e2e/lib.sh"
machine_run "$T" "$TIMEOUT" "" "--extra $T/extra" "$ICOUNT" || { echo "bench-restart: cannot build the test machine images"; exit 1; }

# avg VMM KIND: the mean seconds (outer clock) of VMM's restarts, and of their guests' boot-to-init.
avg() { sed -n "s/.*\[outer\] RB $1 restart [0-9]* \([0-9.]*\) init \([0-9.]*\).*/\1 \2/p" <<<"$LOG" |
        awk '{ t += $1; k += $2; n++ } END { if (n) printf "%.3f %.3f %d", t / n, k / n, n; else print "? ? 0" }'; }
s=($(avg svmm)) q=($(avg qemu))
: > "$RES"
say() { echo "$*" | tee -a "$RES"; }
say "svmm hosted restart bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$ROOT" describe --always --dirty 2>/dev/null)," \
    "outer: QEMU TCG -cpu cortex-a57 (2 CPUs) ${ICOUNT:+-icount $ICOUNT }> KVM > guest (2 vCPUs, 256M);" \
    "outer machine wall ${wall}s, status $status"
grep -E '^\[outer\] RB ' <<<"$LOG" | tee -a "$RES"
say "mean of ${s[2]} restarts: svmm ctl restart -> init ${s[0]} s (guest kernel boot-to-init ${s[1]} s);" \
    "QEMU kill + relaunch -> init ${q[0]} s (${q[1]} s) over ${q[2]}"
say "ratio svmm / QEMU: $(awk -v a="${s[0]}" -v b="${q[0]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }')x (target <= 0.5x)"
[ "${s[2]}" = "$N" ] && [ "${q[2]}" = "$N" ]
