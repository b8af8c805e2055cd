#!/bin/bash
# seL4 SMP tier (issue 13 part 1): examples/multicore (direct-mapped: one single-vCPU VM per core)
# and examples/hybrid (a 2-vCPU VM spanning cores 0-1, two VMs sharing core 2 under MCS budgets),
# built as written (but for the test images) for a multi-core Microkit SDK and booted in QEMU with as
# many cores (make sel4-system passes the kernel's core count to svmm-compose, which puts -smp N in
# qemu-images.args and every VMM on its VM's first pCPU). Every guest reaches init, runs its command
# and powers off. On a debug kernel each VMM logs the kernel's thread table when its VM stops: the
# first such table must show every vCPU thread on the pCPU its pcpus: gives it and every VMM on its
# VM's first pCPU. The spanning VM's guest sees 2 CPUs and counts IPIs (SGIs between its vCPUs, which
# run on two cores) on both; the two VMs sharing a core both keep ticking.
# usage: sel4-smp.sh SDK_DIR [MICROKIT_CONFIG]   (default smp-debug)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
SDK=$1 CONFIG=${2:-smp-debug}
TIMEOUT=${SEL4_TIMEOUT:-900}
. "$ROOT/tests/e2e/lib.sh"
gic=$(sel4_gic "$SDK" "$CONFIG") variant=$(sel4_variant "$SDK" "$CONFIG")
T=$BUILD/e2e/sel4-smp-$CONFIG-$variant
TAG="sel4-smp/$variant/$CONFIG"
rm -rf "$T" && mkdir -p "$T"
cores=$(sed -n 's/^#define CONFIG_MAX_NUM_NODES *//p' "$SDK/board/qemu_virt_aarch64/$CONFIG/include/kernel/gen_config.h" 2>/dev/null)
if [ "${cores:-1}" -lt 4 ]; then
    # The examples place VMs on pCPUs 0..3, as the board has them.
    echo "FAIL $TAG: the SDK's kernel has ${cores:-1} core(s); the examples need 4 (scripts/microkit-sdk.sh --smp-cores 4 smp)"
    echo "$TAG: 0 passed, 1 failed"
    exit 1
fi

# pcpus_of YAML VM: the VM's pcpus list, space-separated (the examples write it as "pcpus: [a, b]").
pcpus_of() {
    awk -v want="$2" '/^  - name:/ { vm = $3 } vm == want && /^    pcpus:/ { gsub(/[^0-9,]/, ""); gsub(/,/, " "); print }' "$1"
}

# thread_core NAME: the core of the kernel thread NAME in the first thread table in the log (the
# debug kernel's table: name, state, IP, priority, core, tab-separated).
thread_core() {
    awk -v n="$1" '/Dumping all tcbs/ { on++ } on == 1 && $1 == n { print $NF; exit }' <<<"$LOG"
}

# run_example NAME VMS: build examples/NAME for the SDK with each VM's own command, boot it, check it.
run_example() {
    local ex=$1 yaml=$ROOT/examples/$1/system.yaml vm vms n i p
    vms=$(example_vms "$yaml")
    n=$(wc -w <<<"$vms")
    for vm in $vms; do
        case $ex/$vm in
        hybrid/main) cat > "$T/$ex-$vm.cmd" <<'G'
echo "SMP-MAIN online=$(cat /sys/devices/system/cpu/online)"
# Two busy shells and the scheduler moving work between the vCPUs make rescheduling and call IPIs.
for k in 1 2; do ( i=0; while [ $i -lt 3000 ]; do i=$((i + 1)); done ) & done; wait
awk '/^ *IPI[01]:/ { s0 += $2; s1 += $3 } END { print "SMP-IPI cpu0=" s0 " cpu1=" s1 }' /proc/interrupts
G
            ;;
        hybrid/*) printf 'for i in 1 2 3; do echo "SMP-TICK %s $i"; sleep 1; done\n' "$vm" > "$T/$ex-$vm.cmd" ;;
        *) printf 'echo "SMP-MARKER vm=%s cpus=$(nproc)"\n' "$vm" > "$T/$ex-$vm.cmd" ;;
        esac
        "$ROOT/tests/machine/mkguest-initrd.sh" "$T/$ex-$vm.cpio.gz" --cmd-file "$T/$ex-$vm.cmd" >/dev/null ||
            fail_early "guest initrd of $ex/$vm"
    done
    example_images "$yaml" "$BUILD/machine/Image" "$T/$ex-{vm}.cpio.gz" > "$T/$ex.yaml"
    sel4_system "$SDK" "$CONFIG" "$T/$ex.yaml" "$T/$ex" "$T/$ex-build.log" || fail_early "build of $ex" "$T/$ex-build.log"
    check "$ex: QEMU gets -smp $cores with the boot images" "$(is grep -q -- "^-smp $cores " "$T/$ex/qemu-images.args")"
    sel4_boot "$T/$ex" "$gic" "$T/$ex.log" "$TIMEOUT" "$n"
    check "$ex: every VM stopped ($n VMM exit summaries)" "$(is [ $status = stopped ])"
    for vm in $vms; do
        check "$ex: $vm reached init" "$(has "^$vm\| .*\[guest-init\] init reached")"
        check "$ex: $vm powered off" "$(has "VM $vm stopped: guest powered off")"
        read -r -a p <<<"$(pcpus_of "$yaml" "$vm")"
        if [ "${CONFIG#smp-}" = debug ]; then
            for i in "${!p[@]}"; do
                check "$ex: $vm's vCPU $i runs on pCPU ${p[$i]} (kernel's thread table)" \
                    "$(is [ "$(thread_core "tcb_${vm}_$i")" = "${p[$i]}" ])"
            done
            check "$ex: $vm's VMM runs on pCPU ${p[0]}" "$(is [ "$(thread_core "tcb_vmm_$vm")" = "${p[0]}" ])"
        fi
    done
    echo "$TAG: $ex: wall ${wall}s"
}

run_example multicore
for vm in vm0 vm1 vm2 vm3; do
    check "multicore: $vm ran its command" "$(has "^$vm\| .*SMP-MARKER vm=$vm cpus=1")"
done
run_example hybrid
check "hybrid: main sees both its vCPUs" "$(has '^main\| .*SMP-MAIN online=0-1')"
ipi=$(sed -n 's/^main| .*SMP-IPI cpu0=\([0-9]*\) cpu1=\([0-9]*\).*/\1 \2/p' <<<"$LOG" | tail -n1)
read -r ipi0 ipi1 <<<"${ipi:-0 0}"
check "hybrid: main's vCPUs took IPIs on both cores (cpu0 $ipi0, cpu1 $ipi1)" "$([ "$ipi0" -gt 0 ] && [ "$ipi1" -gt 0 ]; rc)"
for vm in rt0 rt1; do
    check "hybrid: $vm kept ticking on the shared pCPU 2" "$(is [ "$(grep -c "^$vm| .*SMP-TICK $vm [123]" <<<"$LOG")" = 3 ])"
done
finish "$T/hybrid.log"
