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
    local dir=$1 timeout=$2; shift 2
    machine_run "$dir" "$timeout" "$*" "$*" ""
}

# part_boot DIR TIMEOUT [--extra EXTRA_DIR]: hosted_boot, or this script's part of one test machine run
# shared with other scripts (tests/e2e/hosted-blkserver-dvm.sh runs two, one after the other), as
# E2E_PART says:
#   prepare  DIR/guest-cmd and DIR/outer-script are written: stop here (exit 0); the caller boots them;
#   check    the shared run is over: LOG is this part's share of its log (the file E2E_PART_LOG),
#            status its outer script's exit status (E2E_PART_STATUS, 124 when the machine timed
#            out) and wall the part's seconds (E2E_PART_WALL); the checks follow as after hosted_boot.
part_boot() {
    case ${E2E_PART:-} in
    '') hosted_boot "$@" ;;
    prepare) exit 0 ;;
    check) LOG=$(cat "$E2E_PART_LOG") status=$E2E_PART_STATUS wall=$E2E_PART_WALL ;;
    *) echo "part_boot: E2E_PART=$E2E_PART is neither prepare nor check"; return 1 ;;
    esac
}

# machine_run DIR TIMEOUT GUEST_OPTS OUTER_OPTS ICOUNT: as hosted_boot, with the image builders'
# options apart (e.g. "--extra DIR" for one of them; words, split on spaces) and, when ICOUNT is not
# empty, the outer QEMU's clock counting instructions (-icount ICOUNT: the benches).
machine_run() {
    local dir=$1 timeout=$2 gopts=$3 oopts=$4 icount=$5 start
    # shellcheck disable=SC2086 # the options are words
    "$ROOT/tests/machine/mkguest-initrd.sh" "$dir/guest.cpio.gz" --cmd-file "$dir/guest-cmd" $gopts >/dev/null || return 1
    # shellcheck disable=SC2086
    "$ROOT/tests/machine/mkouter-initrd.sh" "$dir/outer.cpio.gz" --svmm "$BUILD/aarch64/svmm" \
        --guest-initrd "$dir/guest.cpio.gz" --script "$dir/outer-script" $oopts >/dev/null || return 1
    start=$(date +%s)
    status=0
    "$ROOT/tests/machine/run.sh" --initrd "$dir/outer.cpio.gz" --timeout "$timeout" --log "$dir/log" \
        -- ${icount:+-icount "$icount"} > /dev/null || status=$?
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
    local dir=$1 gic=$2 logf=$3 timeout=$4 vms=$5 n start qemu
    sel4_qemu_start "$dir" "$gic" "$logf" /dev/null
    status=timeout
    while [ $(( $(date +%s) - start )) -lt "$timeout" ]; do
        n=$(grep -a -c 'svmm\[[a-z0-9_]*\]|info: exits: ' "$logf" 2>/dev/null) # none yet before QEMU opens it
        [ "${n:-0}" -ge "$vms" ] && { status=stopped; break; }
        kill -0 $qemu 2>/dev/null || { status=qemu-exited; break; }
        sleep 1
    done
    sel4_qemu_stop "$logf"
    [ $status != timeout ] || echo "[sel4] TIMEOUT: the system did not stop within $timeout s (log: $logf)"
}

# sel4_qemu_start DIR GIC LOGFILE INPUT: start QEMU on the Microkit system built in DIR (loader.img,
# qemu-images.args, plus SEL4_QEMU_EXTRA's arguments), its board UART read from INPUT (/dev/null, or
# a FIFO a test types into) and written to LOGFILE. Sets qemu (its pid) and start (the time).
sel4_qemu_start() {
    local dir=$1 gic=$2 logf=$3 input=$4 machine=virt,virtualization=on,highmem=off,secure=off
    [ "$gic" = 3 ] && machine=$machine,gic-version=3
    start=$(date +%s)
    # shellcheck disable=SC2046
    qemu-system-aarch64 -machine $machine -cpu cortex-a53 -nic none -m 2G -nographic -serial mon:stdio \
        -device loader,file="$dir/loader.img",addr=0x70000000,cpu-num=0 $(cat "$dir/qemu-images.args") ${SEL4_QEMU_EXTRA:-} \
        < "$input" > "$logf" 2>&1 &
    qemu=$!
}

# sel4_qemu_stop LOGFILE: end sel4_qemu_start's QEMU (a second after the test is done with it) and read
# its log. Sets wall (seconds since start) and LOG.
sel4_qemu_stop() {
    sleep 1
    kill $qemu 2>/dev/null; wait $qemu 2>/dev/null
    wall=$(( $(date +%s) - start ))
    # The VMMs share the board UART: mend lines that a higher-priority PD's line cut in two.
    LOG=$(tr -d '\r' < "$1" | awk -f "$E2E_LIB/untangle-log.awk")
}

# fail_early WHAT [LOGFILE]: a failure before any check could run (build, image): one result line.
fail_early() {
    [ -z "${2:-}" ] || cat "$2"
    echo "FAIL $TAG: $1"
    echo "$TAG: 0 passed, 1 failed"
    exit 1
}

# sel4_system SDK CONFIG YAML OUT LOGFILE: build the whole seL4 system of description YAML into OUT
# (make sel4-system: svmm-compose, the VMM and server images, Microkit's loader.img); its output in LOGFILE.
sel4_system() {
    make -s -C "$ROOT" sel4-system BUILD="$BUILD" MICROKIT_SDK="$1" MICROKIT_CONFIG="$2" SYSTEM="$3" \
        SYSTEM_OUT="$4" > "$5" 2>&1
}

# ---- an example's own description, booted with test images ----
# The tests boot examples/<x>/system.yaml as written, but for each VM's kernel and initrd. These read
# it with awk, relying on the examples' layout: top-level keys at column 0, the VMs "  - name:" items
# of vms:, their fields four spaces in (kernel:, initrd:), nested fields further in.

# example_vms YAML: the names of the description's VMs, one a line, in order.
example_vms() { awk '/^[a-z_]+:/ { invms = ($1 == "vms:") } invms && /^  - name:/ { print $3 }' "$1"; }

# example_images YAML KERNEL INITRD: the description with every VM's kernel KERNEL and its initrd
# INITRD, where "{vm}" stands for the VM's name (DIR/{vm}.cpio.gz: each VM runs its own test command).
example_images() {
    awk -v k="$2" -v d="$3" '/^[a-z_]+:/ { invms = ($1 == "vms:") } invms && /^  - name:/ { vm = $3 }
         invms && /^    initrd:/ { p = d; while ((i = index(p, "{vm}")) > 0) p = substr(p, 1, i - 1) vm substr(p, i + 4)
                                   sub(/initrd:.*/, "initrd: " p) }
         invms && /^    kernel:/ { sub(/kernel:.*/, "kernel: " k) } { print }' "$1"
}

# example_partitions YAML VM: the partitions of VM's disk (a blk device's partitions:, a driver VM's),
# in bytes: first "disk SIZE" (the device's ramdisk:, 0 without), then "NAME OFFSET SIZE rw|ro" for
# each, back to back from offset 0 as svmm-compose places them. Sizes as svmm-compose reads them:
# decimal or 0x hex, with K, M or G (KiB, MiB, GiB). Block style only (no {name: ..., size: ...}).
# Prints nothing when VM has no partitions.
example_partitions() {
    awk -v want="$2" '
    function bytes(v,   n, i, c, sh) {
        sh = 0
        if (v ~ /[KMG](i?B)?$/) { c = v; sub(/^[0-9a-fA-Fx]+/, "", c); c = substr(c, 1, 1)
            sh = c == "K" ? 1024 : c == "M" ? 1048576 : 1073741824; sub(/[KMG](i?B)?$/, "", v) }
        if (v ~ /^0[xX][0-9a-fA-F]+$/) { n = 0
            for (i = 3; i <= length(v); i++) n = n * 16 + index("0123456789abcdef", tolower(substr(v, i, 1))) - 1 }
        else if (v ~ /^[0-9]+$/) n = v + 0
        else { print "example_partitions: size " v " of VM " want " is not understood" > "/dev/stderr"; bad = 1 }
        return sh ? n * sh : n
    }
    function device_end() {
        if (parts != "") { printf "disk %.0f\n%s", disk, parts }
        parts = ""; disk = 0; inparts = 0
    }
    function part_end() {
        if (pname != "") { parts = parts sprintf("%s %.0f %.0f %s\n", pname, off, psize, pro ? "ro" : "rw"); off += psize }
        pname = ""; psize = 0; pro = 0
    }
    {
        line = $0; sub(/[ \t]+#.*/, "", line); if (line ~ /^[ \t]*(#|$)/) next
        ind = match(line, /[^ ]/) - 1; item = line ~ /^ *- /
        t = line; sub(/^ *(- )?/, "", t); key = t; sub(/:.*/, "", key); val = t; sub(/^[^:]*:[ \t]*/, "", val); gsub(/["\047]/, "", val)
    }
    ind == 0 { if (mine) { part_end(); device_end() } invms = key == "vms"; mine = 0 }
    invms && ind == 2 && item { if (mine) { part_end(); device_end() } mine = key == "name" && val == want; off = 0; next }
    !mine { next }
    inparts && ind <= pind { part_end(); inparts = 0 }
    inparts && item { part_end() }
    inparts && key == "name" { pname = val }
    inparts && key == "size" { psize = bytes(val) }
    inparts && key == "readonly" { pro = val == "true" || val == "yes" }
    inparts { next }
    item && key == "type" { device_end() }
    key == "ramdisk" { disk = bytes(val) }
    key == "partitions" { inparts = 1; pind = ind; off = 0 }
    END { if (mine) { part_end(); device_end() } exit bad }' "$1"
}
