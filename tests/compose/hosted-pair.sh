#!/bin/bash
# Hosted tier for the composer: inside the QEMU test machine (KVM), examples/linux-single and then
# examples/linux-pair run through the svmm-up.sh scripts svmm-compose generates — for the pair, two
# svmm processes at once. Each guest runs a command on its virtio console and powers off; the output
# lines carry the VM prefix ("alpha| ") and every svmm must exit 0.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
T=$BUILD/e2e/compose-hosted
TIMEOUT=${E2E_TIMEOUT:-1200}
COMPOSE=$BUILD/host/svmm-compose
rm -rf "$T" && mkdir -p "$T/extra/pair" "$T/stage/pair" "$T/stage/guest"
make -s -C "$ROOT" compose BUILD="$BUILD" >/dev/null # svmm itself comes from the build tier, as for hosted-boot.sh

# The examples as written, with each guest's initrd replaced by one that runs a command and powers
# off. Paths are generated against a staging root, then made absolute for the test machine's root.
vms="linux alpha beta"
for vm in $vms; do
    echo "echo \"PAIR-MARKER vm=$vm\"" > "$T/cmd-$vm"
    "$ROOT/tests/machine/mkguest-initrd.sh" "$T/extra/pair/$vm.cpio.gz" --cmd-file "$T/cmd-$vm" >/dev/null
    cp "$T/extra/pair/$vm.cpio.gz" "$T/stage/pair/"
done
cp "$BUILD/machine/Image" "$T/stage/guest/Image"
for ex in linux-single linux-pair; do
    awk '/- name:/ { vm = $3 } /initrd:/ { sub(/initrd:.*/, "initrd: pair/" vm ".cpio.gz") }
         /kernel:/ { sub(/kernel:.*/, "kernel: guest/Image") } { print }' \
        "$ROOT/examples/$ex/system.yaml" > "$T/$ex.yaml"
    "$COMPOSE" "$T/$ex.yaml" --root "$T/stage" --svmm /svmm --up-script "$T/$ex-up.sh"
    sed "s|$T/stage||g" "$T/$ex-up.sh" > "$T/extra/pair/$ex-up.sh"
done
rm -rf "$T/stage"
cat > "$T/outer-script" <<'O'
sh /pair/linux-single-up.sh && sh /pair/linux-pair-up.sh
O
"$ROOT/tests/machine/mkouter-initrd.sh" "$T/outer.cpio.gz" --svmm "$BUILD/aarch64/svmm" \
    --script "$T/outer-script" --extra "$T/extra" >/dev/null
start=$(date +%s)
set +e
"$ROOT/tests/machine/run.sh" --initrd "$T/outer.cpio.gz" --timeout "$TIMEOUT" --log "$T/log" > /dev/null
status=$?
set -e
wall=$(( $(date +%s) - start ))
LOG=$(tr -d '\r' < "$T/log")
TAG=compose-hosted
. "$ROOT/tests/e2e/lib.sh"

check "test machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
for vm in $vms; do
    check "VM $vm: guest output prefixed '$vm| '" "$(has "^$vm\| .*Booting Linux on physical CPU")"
    # The guest's UART (ttyS0) drains asynchronously, so hvc0 output may land mid-line of its own
    # log; what matters is that it is in this VM's prefixed stream.
    check "VM $vm: ran its command through hvc0" "$(has "^$vm\| .*PAIR-MARKER vm=$vm")"
    check "VM $vm: svmm exited 0" "$(has "svmm-up: VM $vm exited with status 0")"
done
check "both VMs of linux-pair ran at the same time" \
    "$(is awk '/^alpha\| .*Booting Linux/ { a = NR } /^beta\| .*Booting Linux/ { b = NR }
              /svmm-up: VM alpha exited/ { ea = NR } END { exit !(a && b && b < ea) }' <<<"$LOG")"
echo "$TAG: wall ${wall}s"
finish "$T/log"
