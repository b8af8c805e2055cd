# Shared by the end-to-end scripts (source it): result lines and log matching.
#   TAG=...; LOG=$(...); check "what" "$(has 'regex')"; ...; finish   (exits non-zero on failure)
passed=0 failed=0
E2E_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# check NAME RESULT: RESULT 0 is a pass; prints "ok   TAG: NAME" or "FAIL TAG: NAME".
check() {
    if [ "$2" = 0 ]; then echo "ok   $TAG: $1"; passed=$((passed + 1)); else echo "FAIL $TAG: $1"; failed=$((failed + 1)); fi
}

# has REGEX: 0 when the log ($LOG) matches the extended regex.
has() { grep -qE "$1" <<<"$LOG"; echo $?; }

# is COMMAND...: 0 when the test command succeeds, e.g. check "exit 0" "$(is [ $status = 0 ])".
# One command only: in "$(is A && B)" B's result is lost. For several, end the list with rc:
# check "..." "$([ -n "$a" ] && [ "$a" = "$b" ]; rc)" (the lint tier refuses is/has with && or ||).
is() { "$@"; echo $?; }

# rc: the status of the command before it, as check wants it.
rc() { echo $?; }

# The guest's kernel uptime when its init started (printed by tests/machine/guest-init.sh).
boot_to_init() { sed -n 's/.*\[guest-init\] init reached at uptime \([0-9.]*\) s.*/\1/p' <<<"$LOG" | tail -n1; }

# finish [LOGFILE]: the summary line the test runner adds up; exit status for the tier.
finish() {
    [ $failed = 0 ] || [ -z "${1:-}" ] || echo "$TAG: log in $1"
    echo "$TAG: $passed passed, $failed failed"
    [ $failed = 0 ]
}

# hosted_boot DIR TIMEOUT [--extra EXTRA_DIR]: the hosted test machine. Packs DIR/guest-cmd into the
# guest's initramfs and DIR/outer-script (which runs /svmm) into the outer machine's, boots it under
# QEMU and waits for it to power off. Sets status (svmm's exit status, 124 on timeout), wall and LOG.
hosted_boot() {
    local dir=$1 timeout=$2 start; shift 2
    "$ROOT/tests/machine/mkguest-initrd.sh" "$dir/guest.cpio.gz" --cmd-file "$dir/guest-cmd" "$@" >/dev/null || return 1
    "$ROOT/tests/machine/mkouter-initrd.sh" "$dir/outer.cpio.gz" --svmm "$BUILD/aarch64/svmm" \
        --guest-initrd "$dir/guest.cpio.gz" --script "$dir/outer-script" "$@" >/dev/null || return 1
    start=$(date +%s)
    status=0
    "$ROOT/tests/machine/run.sh" --initrd "$dir/outer.cpio.gz" --timeout "$timeout" --log "$dir/log" > /dev/null || status=$?
    wall=$(( $(date +%s) - start ))
    LOG=$(tr -d '\r' < "$dir/log")
}

# sel4_gic SDK CONFIG: 3 when the SDK's kernel was built for a GICv3, else 2.
sel4_gic() {
    grep -qs 'define CONFIG_ARM_GIC_V3_SUPPORT' "$1/board/qemu_virt_aarch64/$2/include/kernel/gen_config.h" && echo 3 || echo 2
}

# sel4_variant SDK CONFIG: how builds for this SDK are told apart (make's $(SEL4_BUILD) suffix):
# gicv2 or gicv3, then -fastpath when the kernel has seL4's exception fastpath (passive VMMs).
sel4_variant() {
    echo "gicv$(sel4_gic "$1" "$2")$(grep -qs 'define CONFIG_EXCEPTION_FASTPATH' \
        "$1/board/qemu_virt_aarch64/$2/include/kernel/gen_config.h" && echo -fastpath)"
}

# sel4_boot DIR GIC LOGFILE TIMEOUT VMS: boot the Microkit system built in DIR (loader.img and
# qemu-images.args) in QEMU (plus SEL4_QEMU_EXTRA's arguments, for benchmarks: -icount, -plugin). QEMU never exits by itself: end it once VMS VMMs have logged their exit
# summary (their VM stopped) or after TIMEOUT s. Sets status (stopped|timeout|qemu-exited), wall, LOG.
sel4_boot() {
    local dir=$1 gic=$2 logf=$3 timeout=$4 vms=$5 machine=virt,virtualization=on,highmem=off,secure=off start qemu
    [ "$gic" = 3 ] && machine=$machine,gic-version=3
    start=$(date +%s)
    # shellcheck disable=SC2046
    qemu-system-aarch64 -machine $machine -cpu cortex-a53 -nic none -m 2G -nographic -serial mon:stdio \
        -device loader,file="$dir/loader.img",addr=0x70000000,cpu-num=0 $(cat "$dir/qemu-images.args") ${SEL4_QEMU_EXTRA:-} \
        < /dev/null > "$logf" 2>&1 &
    qemu=$!
    status=timeout
    while [ $(( $(date +%s) - start )) -lt "$timeout" ]; do
        [ "$(grep -a -c 'svmm\[[a-z0-9_]*\]|info: exits: ' "$logf")" -ge "$vms" ] && { status=stopped; break; }
        kill -0 $qemu 2>/dev/null || { status=qemu-exited; break; }
        sleep 1
    done
    sleep 1
    kill $qemu 2>/dev/null; wait $qemu 2>/dev/null
    wall=$(( $(date +%s) - start ))
    # The VMMs share the board UART: mend lines that a higher-priority PD's line cut in two.
    LOG=$(tr -d '\r' < "$logf" | awk -f "$E2E_LIB/untangle-log.awk")
    [ $status != timeout ] || echo "[sel4] TIMEOUT: the system did not stop within $timeout s (log: $logf)"
}

# fail_early WHAT [LOGFILE]: a failure before any check could run (build, image): one result line.
fail_early() {
    [ -z "${2:-}" ] || cat "$2"
    echo "FAIL $TAG: $1"
    echo "$TAG: 0 passed, 1 failed"
    exit 1
}
