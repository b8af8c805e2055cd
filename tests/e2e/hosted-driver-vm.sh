#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Hosted tier, driver VM: in one QEMU test machine run, a user VM's disk is a partition of the
# driver VM's own disk. The driver VM's VMM (svmm run --disk dvm.img --serve-disk ...) relays the
# user VMM's blkq requests over the virtio-console port svmm-blk to svmm-blk-agent in the driver
# VM, which maps each client name to a range of /dev/vda (its table on its command line):
#   vm1    [8 MiB, 8 + PART MiB)        read-write
#   ro     the next 1 MiB               read-only (the VMM's --serve-disk ,ro and the agent's :ro)
#   other  the next 16 MiB              never connected; a marker at its start
#   boot 1: the user VM finds its disk (serial vm1, exactly PART MiB), writes 64 MiB from
#           /dev/urandom with conv=fsync, drops caches and reads it back (SHA-256 both times); the
#           read-only disk refuses a write; nothing of the other range is readable; then agent
#           restarts: 16 MiB more (O_DIRECT, at 64 MiB) while the driver VM stops its agent with
#           requests held, kill -9s it and starts another, and read back (O_DIRECT) across a stop,
#           SIGTERM and restart: the I/O completes, same SHA-256, the relay sent the held requests again;
#   then:   the outer machine hashes vm1's two ranges in dvm.img at their offsets, checks the ro and
#           other ranges are unchanged;
#   boot 2: a new user VM reads the data back through the driver VM.
#   bench (E2E_BLK_BASELINE=1, make bench-blkserver): E2E_BLK_PAIRS (3) pairs of user boots, each
#           on a file served directly (--disk FILE), then through the driver VM: 64 MiB written
#           (conv=fsync), read back with of=/dev/null, and read back into sha256sum (as boot 1), each
#           after dropping caches; a ratio per pair and their range (the machine's load drifts, a
#           pair shares it).
# Knobs for measuring: E2E_DVM_ICOUNT=shift=0,sleep=off (the test machine's clock counts
# instructions: timings are work, whatever loads the host), E2E_DVM_PROFILE=1 (per phase: CPU per
# svmm thread, KVM's exits per VM from debugfs, the driver VM's interrupts), E2E_DVM_AGENT_OPTS (the
# agent's options), E2E_DVM_CPUS (the driver VM's vCPUs, 1),
# E2E_DVM_HALT_POLL_NS (the test machine's KVM halt polling), E2E_DVM_RESTARTS=0 (no agent restarts:
# for code that cannot restart it).
# Prints one "ok"/"FAIL" line per check, throughput lines, and "e2e-driver-vm: N passed, N failed".
# make test runs it in one test machine run with tests/e2e/hosted-blkserver.sh (tier e2e-blkserver-dvm,
# tests/e2e/hosted-blkserver-dvm.sh; E2E_PART, tests/e2e/lib.sh's part_boot).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
T=$BUILD/e2e/hosted-driver-vm
TIMEOUT=${E2E_TIMEOUT:-1800}
MIB=${E2E_BLK_MIB:-64}
# The direct --disk FILE baseline (throughput comparison) runs only for the bench (make bench-blkserver).
BASELINE=${E2E_BLK_BASELINE:-0}
PART=$((MIB + 16))   # vm1's partition, MiB
BASE=8               # where vm1's partition starts on the driver VM's disk, MiB
mkdir -p "$T/extra/bin"
aarch64-linux-gnu-gcc -static -O2 -std=c11 -Wall -Wextra -Werror -I"$ROOT/include" -o "$T/extra/bin/svmm-blk-agent" \
    "$ROOT"/tools/blk-agent/*.c -lpthread || { echo "FAIL e2e-driver-vm: build svmm-blk-agent"; exit 1; }

# The guest side, for both VMs: which one and which boot come from the kernel command line (svmm_phase=...).
cat > "$T/guest-cmd" <<G
MIB=$MIB PART=$PART BASE=$BASE AGENT_OPTS="${E2E_DVM_AGENT_OPTS:-}" RESTARTS=${E2E_DVM_RESTARTS:-1}
G
cat >> "$T/guest-cmd" <<'G'
phase=$(sed -n 's/.*svmm_phase=\([a-z]*\).*/\1/p' /proc/cmdline)
if [ "$phase" = driver ]; then
    # The driver VM: serve until the outer machine writes a line on the console other than
    # "restart SIGNAL": stop the agent (the user VM's next requests wait at it), then kill it with
    # SIGNAL and start another.
    agent() {
        svmm-blk-agent --disk /dev/vda $AGENT_OPTS vm1=${BASE}M:${PART}M ro=$((BASE + PART))M:1M:ro \
            other=$((BASE + PART + 1))M:16M 2>&1 | sed 's/^/DVM /' &
    }
    agent
    while read -r line; do
        case $line in
        restart\ *)
            pid=$(pidof svmm-blk-agent)
            kill -STOP $pid
            sleep 4
            kill -${line#restart } $pid
            kill -CONT $pid
            echo "DVM agent killed with SIG${line#restart }"
            sleep 1
            agent ;;
        stat\ *)
            # E2E_DVM_PROFILE=1: this VM's CPU time and interrupts at the user VM's phase lines.
            echo "DVM stat ${line#stat } $(head -n1 /proc/stat)"
            awk -v p="${line#stat }" 'NR > 1 { n = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i
                                               print "DVM irq " p " " $1 $NF " " n }' /proc/interrupts ;;
        *) break ;;
        esac
    done
    echo "DVM stop requested: $line"
    kill $(pidof svmm-blk-agent) 2>/dev/null
    sync
    exit 0
fi
now() { cut -d' ' -f1 /proc/uptime; }
secs() { awk -v a=$1 -v b=$2 'BEGIN { print b - a }'; }
disk=; rodisk=; via=
for s in /sys/block/vd*; do
    [ -e "$s" ] || continue
    serial=$(cat "$s/serial" 2>/dev/null)
    echo "BS dev=${s##*/} serial=$serial sectors=$(cat "$s/size") ro=$(cat "$s/ro")"
    case $serial in vm1|direct.img) disk=/dev/${s##*/} via=$serial ;; ro) rodisk=/dev/${s##*/} ;; esac
done
[ -n "$disk" ] || { echo "BS no disk"; exit 1; }
if [ "$phase" = write ]; then
    dd if=/dev/urandom of=/tmp/data bs=1M count=$MIB 2>/dev/null
    echo "BS guest-sha256 $(sha256sum /tmp/data | cut -d' ' -f1)"
    echo "BS phase write-$via"
    t0=$(now)
    dd if=/tmp/data of=$disk bs=1M conv=fsync 2>/tmp/dd.err; rc=$?
    t1=$(now)
    echo "BS write-status $rc seconds $(secs $t0 $t1)"
    rm /tmp/data
    echo 3 > /proc/sys/vm/drop_caches
    echo "BS phase read-$via"
    t0=$(now)
    sum=$(dd if=$disk bs=1M count=$MIB 2>/dev/null | sha256sum | cut -d' ' -f1)
    t1=$(now)
    echo "BS phase done"
    echo "BS read seconds $(secs $t0 $t1)"
    echo "BS reread-sha256 $sum"
    if [ -n "$rodisk" ]; then
        out=$(dd if=/dev/zero of=$rodisk bs=512 count=1 conv=fsync 2>&1); rc=$?
        echo "BS ro-write rc=$rc: $(echo "$out" | head -n1)"
        echo "BS ro-read $(dd if=$rodisk bs=512 count=1 2>/dev/null | head -c 16)"
    fi
    # Everything this VM can read of its disk: the other client's marker must be nowhere.
    echo "BS other-marker-hits $(dd if=$disk bs=1M 2>/dev/null | grep -c OTHER-CLIENT-MARKER)"
    echo "BS past-end-bytes $(dd if=$disk bs=512 skip=$(cat /sys/block/${disk#/dev/}/size) count=1 2>/dev/null | wc -c)"
    if [ "$via" = vm1 ] && [ "$RESTARTS" = 1 ]; then
        # Agent restarts: "BS restart-now SIGNAL" has the outer machine restart the driver VM's agent:
        # stopped at once, so the requests of the dd that starts 3 s later wait at it, killed 4 s
        # after it stopped (O_DIRECT: the requests go out as dd goes, not at the final fsync).
        dd if=/dev/urandom of=/tmp/data bs=1M count=16 2>/dev/null
        echo "BS restart-sha256 $(sha256sum /tmp/data | cut -d' ' -f1)"
        echo "BS restart-now KILL"
        sleep 3
        dd if=/tmp/data of=$disk bs=1M seek=$MIB oflag=direct conv=fsync 2>/tmp/dd.err
        echo "BS restart-write-status $? $(head -n1 /tmp/dd.err)"
        rm /tmp/data
        echo "BS restart-now TERM"
        sleep 3
        sum=$(dd if=$disk bs=1M skip=$MIB count=16 iflag=direct 2>/tmp/dd.err | sha256sum | cut -d' ' -f1)
        echo "BS restart-reread-sha256 $sum $(head -n1 /tmp/dd.err)"
    fi
elif [ "$phase" = bench ]; then
    # Throughput only (make bench-blkserver): the same write, and a read with nothing else in the pipe.
    dd if=/dev/urandom of=/tmp/data bs=1M count=$MIB 2>/dev/null
    echo "BS phase write-$via"
    t0=$(now)
    dd if=/tmp/data of=$disk bs=1M conv=fsync 2>/dev/null; rc=$?
    t1=$(now)
    echo "BS bench-write $via status $rc seconds $(secs $t0 $t1)"
    rm /tmp/data
    echo 3 > /proc/sys/vm/drop_caches
    echo "BS phase read-$via"
    t0=$(now)
    dd if=$disk of=/dev/null bs=1M count=$MIB 2>/dev/null; rc=$?
    t1=$(now)
    echo "BS phase done"
    echo "BS bench-read $via status $rc seconds $(secs $t0 $t1)"
    # And as boot 1 (and the earlier rounds) measured it: with the guest's SHA-256 in the pipe.
    echo 3 > /proc/sys/vm/drop_caches
    t0=$(now)
    dd if=$disk bs=1M count=$MIB 2>/dev/null | sha256sum > /dev/null; rc=$?
    t1=$(now)
    echo "BS bench-sharead $via status $rc seconds $(secs $t0 $t1)"
else
    echo 3 > /proc/sys/vm/drop_caches
    sum=$(dd if=$disk bs=1M count=$MIB 2>/dev/null | sha256sum | cut -d' ' -f1)
    echo "BS readback-sha256 $sum"
fi
G

# The outer machine: the driver VM's disk in its RAM; the driver VM, two user boots, the checks, the baseline.
cat > "$T/outer-script" <<O
MIB=$MIB PART=$PART BASE=$BASE BASELINE=$BASELINE PROFILE=${E2E_DVM_PROFILE:-0} PAIRS=${E2E_BLK_PAIRS:-3}
HALT_POLL_NS=${E2E_DVM_HALT_POLL_NS:-} DVM_CPUS=${E2E_DVM_CPUS:-1}
O
cat >> "$T/outer-script" <<'O'
cd /tmp
[ "$PROFILE" != 1 ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
[ -z "$HALT_POLL_NS" ] || echo "$HALT_POLL_NS" > /sys/module/kvm/parameters/halt_poll_ns
echo "[outer] kvm halt_poll_ns $(cat /sys/module/kvm/parameters/halt_poll_ns 2>/dev/null)"
RO=$((BASE + PART)) OTHER=$((BASE + PART + 1))
dd if=/dev/zero of=dvm.img bs=1M count=$((OTHER + 16)) 2>/dev/null
printf 'READ-ONLY-IMAGE!' | dd of=dvm.img bs=1M seek=$RO conv=notrunc 2>/dev/null
printf 'OTHER-CLIENT-MARKER' | dd of=dvm.img bs=1M seek=$OTHER conv=notrunc 2>/dev/null
range_sum() { dd if=dvm.img bs=1M skip=$1 count=$2 2>/dev/null | sha256sum | cut -d' ' -f1; }
echo "[outer] ro-sha256-before $(range_sum $RO 1) other-sha256-before $(range_sum $OTHER 16)"
# The driver VM: its console's input is a FIFO held open here, so one line stops it at the end.
mkfifo /tmp/dvm.in
/svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus $DVM_CPUS --mem 256M \
    --append "console=ttyS0 svmm_phase=driver" --disk /tmp/dvm.img \
    --serve-disk listen=/tmp/dvm.sock,client=vm1,size=${PART}M \
    --serve-disk listen=/tmp/dvm.sock,client=ro,size=1M,ro \
    --serve-disk listen=/tmp/dvm.sock,client=other,size=16M < /tmp/dvm.in > /tmp/dvm.out 2> /tmp/dvm.log &
dvm=$!
exec 3> /tmp/dvm.in
for i in $(seq 100); do [ -S /tmp/dvm.sock ] && break; sleep 0.1; done
# Clients may connect at once (their requests wait for the agent); waiting keeps the timings clean.
for i in $(seq 600); do grep -q 'svmm-blk-agent: serving' /tmp/dvm.out && break; sleep 0.5; done
echo "[outer] driver VM's agent up after $((i / 2)) s"
boot() {
    local phase=$1; shift
    local t0=$(date +%s)
    /svmm run --kernel /guest/Image --initrd /guest/initrd.cpio.gz --cpus 2 --mem 512M \
        --append "console=ttyS0 svmm_phase=$phase" "$@" < /dev/null
    echo "[outer] boot $phase exit $? after $(( $(date +%s) - t0 ))s"
}
# With E2E_DVM_PROFILE=1: every svmm thread's CPU time (utime stime, ticks) and current syscall,
# and the machine's /proc/stat line, at each "BS phase" line of the user VM.
snap() {
    [ "$PROFILE" = 1 ] || return 0
    # Phases repeat over boots: each snapshot's name starts with its number.
    local n=$(( $(cat /tmp/snaps 2>/dev/null || echo 0) + 1 ))
    echo $n > /tmp/snaps
    set -- "$n:$1"
    for p in $(pidof svmm); do
        for t in /proc/$p/task/*; do
            echo "[prof] $1 pid $p tid ${t##*/} $(cut -d' ' -f14,15,43 $t/stat) sys $(cut -d' ' -f1 $t/syscall)"
        done
    done
    echo "[prof] $1 $(head -n1 /proc/stat)"
    # KVM's counters per VM (debugfs: PID-FD), and the driver VM's own view (not while it is stopped).
    for d in /sys/kernel/debug/kvm/*-*; do
        [ -d "$d" ] || continue
        echo "[kvm] $1 ${d##*/} $(cat $d/exits) $(cat $d/mmio_exit_user) $(cat $d/mmio_exit_kernel)" \
            "$(cat $d/wfi_exit_stat) $(cat $d/halt_wakeup)"
    done
    case $1 in *direct*) ;; *) echo "stat $1" >&3 ;; esac
}
# The user VM's console, passed on; its "BS restart-now SIGNAL" lines restart the driver VM's agent.
restarts() {
    while IFS= read -r line; do
        printf '%s\n' "$line"
        case $line in
        *"BS restart-now "*) echo "restart ${line##*restart-now }" | tr -d '\r' >&3 ;;
        *"BS phase "*) snap "$(echo "${line##*BS phase }" | tr -d '\r')" ;;
        esac
    done
}
boot write --disk server=/tmp/dvm.sock,client=vm1 --disk server=/tmp/dvm.sock,client=ro | restarts
# A client the driver VM does not serve is refused with one line.
/svmm run --kernel /guest/Image --disk server=/tmp/dvm.sock,client=nobody 2>&1 < /dev/null | head -n2
boot read --disk server=/tmp/dvm.sock,client=vm1,ro
# The image as the driver VM left it (its agent writes with O_DIRECT and syncs at every flush).
echo "[outer] host-sha256 $(range_sum $BASE $MIB)"
echo "[outer] host-restart-sha256 $(range_sum $((BASE + MIB)) 16)"
echo "[outer] ro-sha256-after $(range_sum $RO 1) other-sha256-after $(range_sum $OTHER 16)"
# Bench only (E2E_BLK_BASELINE=1): PAIRS times the same guest work on a file served by the VMM
# itself, then through the driver VM, one after the other, so each pair sees the same machine load.
# The driver VM is frozen (SIGSTOP) while the direct run goes: idle, its vCPUs' timer ticks and KVM's
# halt polling would still take the test machine's CPUs from the baseline.
if [ "$BASELINE" = 1 ]; then
    dd if=/dev/zero of=direct.img bs=1M count=$PART 2>/dev/null
    for i in $(seq $PAIRS); do
        kill -STOP $dvm
        boot bench --disk /tmp/direct.img | restarts
        kill -CONT $dvm
        sleep 2
        boot bench --disk server=/tmp/dvm.sock,client=vm1 | restarts
    done
    rm -f direct.img
fi
echo stop >&3
wait $dvm
echo "[outer] driver VM exit $?"
exec 3>&-
tr -d '\r' < /tmp/dvm.out | grep -E 'DVM|guest-init\] svmm-cmd' | sed 's/^/[dvm] /'
sed 's/^/[dvm-vmm] /' /tmp/dvm.log
rm -f dvm.img
O

TAG=e2e-driver-vm
. "$ROOT/tests/e2e/lib.sh"
if [ -n "${E2E_PART:-}" ] || [ -z "${E2E_DVM_ICOUNT:-}" ]; then
    part_boot "$T" "$TIMEOUT" --extra "$T/extra" || fail_early "test machine images"
else
    # E2E_DVM_ICOUNT=shift=0,sleep=off: the test machine's clock counts instructions (as make
    # bench-net), so the timings are work done, whatever else loads the host.
    "$ROOT/tests/machine/mkguest-initrd.sh" "$T/guest.cpio.gz" --cmd-file "$T/guest-cmd" --extra "$T/extra" \
        >/dev/null || fail_early "test machine images"
    "$ROOT/tests/machine/mkouter-initrd.sh" "$T/outer.cpio.gz" --svmm "$BUILD/aarch64/svmm" \
        --guest-initrd "$T/guest.cpio.gz" --script "$T/outer-script" --extra "$T/extra" >/dev/null ||
        fail_early "test machine images"
    start=$(date +%s) status=0
    "$ROOT/tests/machine/run.sh" --initrd "$T/outer.cpio.gz" --timeout "$TIMEOUT" --log "$T/log" \
        -- -icount "$E2E_DVM_ICOUNT" > /dev/null || status=$?
    wall=$(( $(date +%s) - start ))
    LOG=$(tr -d '\r' < "$T/log")
fi

field() { sed -n "s/.*$1 \([0-9a-f]*\).*/\1/p" <<<"$LOG" | sed -n "${2:-1}p"; }
gsum=$(field 'BS guest-sha256') hsum=$(field '\[outer\] host-sha256') rsum=$(field 'BS readback-sha256')
resum=$(field 'BS reread-sha256')
xsum=$(field 'BS restart-sha256') xresum=$(field 'BS restart-reread-sha256') xhsum=$(field '\[outer\] host-restart-sha256')
same() { [ ${#1} = 64 ] && [ "$1" = "$2" ]; }

check "outer machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "the driver VM's VMM listened with three clients on its svmm-blk port" \
    "$(has "\[dvm-vmm\] svmm: serve-disk: 3 clients for the agent on virtio-console port [0-9] 'svmm-blk', listening on /tmp/dvm.sock")"
check "the agent in the driver VM found its port and disk" "$(has '\[dvm\] DVM svmm-blk-agent: serving 3 partitions of /dev/vda')"
check "the agent placed vm1 at its own offset (the VMM never knew it)" \
    "$(has "DVM svmm-blk-agent: client 0 'vm1': $((PART << 20)) bytes at $((BASE << 20))")"
check "the user VM's disk is its partition: serial vm1, $PART MiB, writable" \
    "$(has "BS dev=vd[a-z] serial=vm1 sectors=$((PART * 2048)) ro=0")"
check "the read-only range is a read-only disk (serial ro, 1 MiB)" "$(has 'BS dev=vd[a-z] serial=ro sectors=2048 ro=1')"
check "guest wrote $MIB MiB through the driver VM (dd conv=fsync)" "$(has 'BS write-status 0')"
check "guest read it back after dropping caches, same SHA-256" "$(is same "$gsum" "$resum")"
check "SHA-256 of vm1's range in the driver VM's disk image (at ${BASE} MiB) matches the guest's" "$(is same "$gsum" "$hsum")"
check "second boot reads back the same SHA-256" "$(is same "$gsum" "$rsum")"
check "a write to the read-only range fails in the guest" "$(has 'BS ro-write rc=[1-9]')"
check "the read-only range is readable" "$(has 'BS ro-read READ-ONLY-IMAGE!')"
check "the read-only range is unchanged on the driver VM's disk" \
    "$(is same "$(field 'ro-sha256-before')" "$(field 'ro-sha256-after')")"
check "the other client's range is unchanged on the driver VM's disk" \
    "$(is same "$(field 'other-sha256-before')" "$(field 'other-sha256-after')")"
check "the user VM finds no trace of the other client's data on its disk" "$(has 'BS other-marker-hits 0')"
check "nothing is readable past the end of the partition" "$(has 'BS past-end-bytes 0')"
check "an unknown client is refused with one line" \
    "$(has "svmm: error: --disk server=/tmp/dvm.sock,client=nobody: .*no client named 'nobody'")"
check "the driver VM killed its agent with kill -9 and started another" "$(has 'DVM agent killed with SIGKILL')"
check "the driver VM stopped its agent with SIGTERM and started another" "$(has 'DVM agent killed with SIGTERM')"
check "the user VM's O_DIRECT write went on across the agent's kill -9 and restart" "$(has 'BS restart-write-status 0')"
check "its O_DIRECT read-back went on across the agent's SIGTERM and restart, same SHA-256" "$(is same "$xsum" "$xresum")"
check "that range on the driver VM's disk image has the same SHA-256" "$(is same "$xsum" "$xhsum")"
check "each new agent got the HELLOs (three agents placed vm1)" \
    "$(is [ "$(grep -c "DVM svmm-blk-agent: client 0 'vm1'" <<<"$LOG")" = 3 ])"
check "the relay kept what the killed agents held and sent it again to the new ones" \
    "$(has '\[dvm-vmm\] svmm: serve-disk: .* agent restarts \([1-9][0-9]* requests sent again\)')"
check "the relay saw no bad frame and no I/O error" \
    "$(has '\[dvm-vmm\] svmm: serve-disk: [1-9][0-9]* requests to the agent, [0-9]+ answers \(0 I/O errors\), 0 bad frames')"
nboots=$((2 + (BASELINE == 1 ? 2 * ${E2E_BLK_PAIRS:-3} : 0)))
check "every user boot ($nboots) powered off with exit 0" \
    "$(is [ "$(grep -cE '^\[outer\] boot (write|read|bench) exit 0' <<<"$LOG")" = $nboots ])"
check "the driver VM stopped when asked and exited 0" "$(has '\[outer\] driver VM exit 0')"

mbps() { awk -v m=$MIB -v s="$1" 'BEGIN { if (s > 0) printf "%.1f", m / s; else print "?" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "?" }'; }
w1=$(sed -n 's/.*BS write-status 0 seconds \([0-9.]*\).*/\1/p' <<<"$LOG" | head -n1)
r1=$(sed -n 's/.*BS read seconds \([0-9.]*\).*/\1/p' <<<"$LOG" | head -n1)
echo "$TAG: wall ${wall}s${E2E_DVM_ICOUNT:+ (-icount $E2E_DVM_ICOUNT: guest seconds are instructions)};" \
    "$MIB MiB, nested KVM in QEMU TCG:"
echo "$TAG:   boot 1 via the driver VM: write (conv=fsync) ${w1:-?}s ($(mbps "${w1:-0}") MiB/s)," \
    "read | sha256sum ${r1:-?}s ($(mbps "${r1:-0}") MiB/s)"
if [ "$BASELINE" = 1 ]; then
    # The bench pairs: "BS bench-{write,read} VIA status 0 seconds S", direct then driver VM each time.
    grep -E 'BS bench-(write|read|sharead) [^ ]+ status' <<<"$LOG" | awk -v tag="$TAG" -v mib="$MIB" '
        { kind = $2 == "BS" ? $3 : $2; via = $2 == "BS" ? $4 : $3; secs = $NF; ok = $(NF - 2) == 0
          sub(/^bench-/, "", kind); k = kind (via == "vm1" ? "-dvm" : "-direct"); n[k]++; s[k, n[k]] = ok ? secs : -1 }
        END {
            for (i = 1; i <= n["write-dvm"] && i <= n["write-direct"]; i++) {
                line = sprintf("%s:   pair %d:", tag, i)
                for (j = 0; j < 3; j++) {
                    kind = j == 0 ? "write" : j == 1 ? "read" : "sharead"; a = s[kind "-direct", i]; b = s[kind "-dvm", i]
                    r = a > 0 && b > 0 ? a / b : 0
                    line = line sprintf(" %s direct %.2fs, driver VM %.2fs (%.1f MiB/s): %.2fx;", kind, a, b,
                                        b > 0 ? mib / b : 0, r)
                    if (r > 0) { lo[kind] = lo[kind] == "" || r < lo[kind] ? r : lo[kind]; hi[kind] = r > hi[kind] ? r : hi[kind] }
                }
                print line
            }
            printf "%s:   driver VM / direct over %d pairs: write %.2f-%.2fx, read (of=/dev/null) %.2f-%.2fx," \
                   " read | sha256sum %.2f-%.2fx\n", tag, i - 1, lo["write"], hi["write"], lo["read"], hi["read"],
                   lo["sharead"], hi["sharead"]
        }'
fi
grep -E '\[dvm-vmm\] svmm: (serve-disk|exits)|svmm: blk-server client vm1:|\[dvm\] DVM' <<<"$LOG" || true
# E2E_DVM_PROFILE=1: per phase, the test machine's CPU use and each svmm thread's share (ticks of 10 ms:
# all, of which in its guest (a vCPU thread in KVM_RUN) and in the test machine's kernel).
grep '^\[prof\]' <<<"$LOG" | awk -v tag="$TAG" '
    $3 == "cpu" { n++; name[n] = $2; busy[n] = $4 + $5 + $6 + $9 + $10; idle[n] = $7 + $8; next }
    { k = $4 "/" $6; t[n + 1, k] = $7 + $8; st[n + 1, k] = $8; gt[n + 1, k] = $9; sys[n + 1, k] = $11; ids[k] = 1 }
    END {
        for (i = 1; i < n; i++) {
            if (name[i] ~ /done$/) continue
            db = busy[i + 1] - busy[i]; di = idle[i + 1] - idle[i]
            line = sprintf("%s: profile %s: machine busy %.0f%% of %d ticks;", tag, name[i],
                           100 * db / (db + di + 0.001), db + di)
            for (k in ids) if ((i + 1, k) in t && (i, k) in t && t[i + 1, k] - t[i, k] > 0)
                line = line sprintf(" %s=%d(guest %d, kernel %d; sys %s)", k, t[i + 1, k] - t[i, k],
                                    gt[i + 1, k] - gt[i, k], st[i + 1, k] - st[i, k], sys[i, k])
            print line
        }
    }' || true
# ... and per phase, KVM's exits for each VM (all, MMIO to the VMM, MMIO kept in KVM: ioeventfd, WFI,
# halt wake-ups), and the driver VM's interrupts by source.
grep -E '^\[kvm\] |\[dvm\] DVM irq ' <<<"$LOG" | awk -v tag="$TAG" '
    $1 == "[kvm]" { k = $3; if ((k, "p") in last) { ph = last[k, "p"]; if (!(ph in seen)) { seen[ph] = 1; order[++n] = ph }
                        line[ph] = line[ph] sprintf(" vm %s: %d exits (%d MMIO to the VMM, %d in KVM, %d WFI, %d wake-ups);", k,
                            $4 - last[k, 4], $5 - last[k, 5], $6 - last[k, 6], $7 - last[k, 7], $8 - last[k, 8]) }
                    last[k, "p"] = $2; for (i = 4; i <= 8; i++) last[k, i] = $i; next }
    { ph = $4; k = $5; if ((k, "p") in irq && $6 - irq[k] > 0) {
          p0 = irq[k, "p"]; if (!(p0 in seen)) { seen[p0] = 1; order[++n] = p0 }; dline[p0] = dline[p0] sprintf(" %s=%d", k, $6 - irq[k]) }
      irq[k, "p"] = ph; irq[k] = $6 }
    END { for (i = 1; i <= n; i++) if (order[i] !~ /done$/)
              printf "%s: exits %s:%s%s\n", tag, order[i], line[order[i]], dline[order[i]] != "" ? " driver VM interrupts:" dline[order[i]] : "" }' || true
finish "$T/log"
