#!/bin/bash
# seL4 SMP tier (issue 13 part 1): examples/multicore (direct-mapped: one single-vCPU VM per core)
# and examples/hybrid (a 2-vCPU VM spanning cores 0-1, two VMs sharing core 1 under MCS budgets),
# built as written (but for the test images) for a multi-core Microkit SDK and booted in QEMU with as
# many cores (make sel4-system passes the kernel's core count to svmm-compose, which puts -smp N in
# qemu-images.args and every VMM on its VM's first pCPU). Every guest reaches init, runs its command
# and powers off. On a debug kernel each VMM logs its core's thread table when its VM stops: together
# they must show every VM's vCPU threads on the pCPUs its pcpus: gives and every VMM on its VM's
# first pCPU. The spanning VM's guest sees 2 CPUs and counts IPIs (SGIs between its vCPUs, which
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
if [ "${cores:-1}" -lt 2 ]; then
    # The examples place VMs on pCPUs 0 and 1.
    echo "FAIL $TAG: the SDK's kernel has ${cores:-1} core; the examples need 2 (scripts/microkit-sdk.sh ... smp)"
    echo "$TAG: 0 passed, 1 failed"
    exit 1
fi

# pcpus_of YAML VM: the VM's pcpus list, space-separated (the examples write it as "pcpus: [a, b]").
pcpus_of() {
    awk -v want="$2" '/^  - name:/ { vm = $3 } vm == want && /^    pcpus:/ { gsub(/[^0-9,]/, ""); gsub(/,/, " "); print }' "$1"
}

# thread_cores NAME: the cores of the kernel threads named NAME, sorted and unique, from every thread
# table in the log (a debug SMP kernel's lists the threads of the core it runs on: name, state, IP,
# priority, core, tab-separated). Microkit names a VM's vCPU threads after the VM, a VMM's vmm_<vm>.
thread_cores() {
    awk -F'\t' -v n="$1" '/Dumping all tcbs/ { on = 1; next } on && /^(Name|---)/ { next } on && NF < 6 { on = 0 }
        on { name = $1; gsub(/ /, "", name); core = $5; gsub(/ /, "", core); if (name == n) print core }' <<<"$LOG" |
        sort -un | tr '\n' ' '
}

# run_example NAME VMS: build examples/NAME for the SDK with each VM's own command, boot it, check it.
run_example() {
    local ex=$1 yaml=$ROOT/examples/$1/system.yaml vm vms n p want
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
        "$ROOT/tests/machine/mkguest-initrd.sh" "$T/$ex-$vm.cpio.gz" --cmd-file "$T/$ex-$vm.cmd" >/dev/null 2>&1 ||
            fail_early "guest initrd of $ex/$vm"
    done
    # quiet: two VMMs on two cores write the one UART at once, character by character, so lines of
    # both interleave; the guests' kernel messages (most of their output) would only add to it.
    example_images "$yaml" "$BUILD/machine/Image" "$T/$ex-{vm}.cpio.gz" |
        awk '{ print } /^  - name:/ { print "    bootargs: console=ttyS0 earlycon quiet" }' > "$T/$ex.yaml"
    sel4_system "$SDK" "$CONFIG" "$T/$ex.yaml" "$T/$ex" "$T/$ex-build.log" || fail_early "build of $ex" "$T/$ex-build.log"
    check "$ex: QEMU gets -smp $cores with the boot images" "$(is grep -q -- "^-smp $cores " "$T/$ex/qemu-images.args")"
    sel4_boot "$T/$ex" "$gic" "$T/$ex.log" "$TIMEOUT" "$n"
    check "$ex: every VM stopped ($n VMM exit summaries)" "$(is [ $status = stopped ])"
    # Counted, not attributed: a line of one guest may carry characters of the other's.
    check "$ex: $n guests reached init" "$(is [ "$(grep -c 'init reached at uptime' <<<"$LOG")" -ge "$n" ])"
    for vm in $vms; do
        check "$ex: $vm powered off" "$(has "VM $vm stopped: guest powered off")"
        read -r -a p <<<"$(pcpus_of "$yaml" "$vm")"
        if [ "${CONFIG#smp-}" = debug ]; then
            want=$(printf '%s\n' "${p[@]}" | sort -un | tr '\n' ' ')
            check "$ex: $vm's vCPU threads run on pCPUs ${want% } (the kernel's thread tables: $(thread_cores "$vm"))" \
                "$(is [ "$(thread_cores "$vm")" = "$want" ])"
            check "$ex: $vm's VMM runs on pCPU ${p[0]} ($(thread_cores "vmm_$vm"))" "$(is [ "$(thread_cores "vmm_$vm")" = "${p[0]} " ])"
        fi
    done
    echo "$TAG: $ex: wall ${wall}s"
}

run_example multicore
for vm in vm0 vm1; do
    check "multicore: $vm ran its command" "$(has "SMP-MARKER vm=$vm cpus=1")"
done
run_example hybrid
check "hybrid: main sees both its vCPUs" "$(has 'SMP-MAIN online=0-1')"
ipi=$(sed -n 's/.*SMP-IPI cpu0=\([0-9]*\) cpu1=\([0-9]*\).*/\1 \2/p' <<<"$LOG" | tail -n1)
read -r ipi0 ipi1 <<<"${ipi:-0 0}"
check "hybrid: main's vCPUs took IPIs on both cores (cpu0 $ipi0, cpu1 $ipi1)" "$([ "$ipi0" -gt 0 ] && [ "$ipi1" -gt 0 ]; rc)"
for vm in rt0 rt1; do
    check "hybrid: $vm kept ticking on the shared pCPU 1" "$(is [ "$(grep -c "SMP-TICK $vm [123]" <<<"$LOG")" = 3 ])"
done
finish "$T/hybrid.log"
