#!/bin/bash
# Hosted tier for the composer (compose-hosted): every system in examples/ boots, inside the QEMU test
# machine (KVM), through the svmm-up.sh script svmm-compose generates for it: each VM its own svmm
# process, all VMs of an example at once, the examples one after the other. Each guest runs a marker
# command on its virtio console (printing its example, name and CPU count, and reading the first MiB of
# each disk) and powers off; a driver VM serves until svmm-up.sh stops it. Per VM: its output lines
# carry its prefix ("<vm>| "), the marker is in that stream with the vCPU count the description
# gives, every disk was readable, its svmm exits 0 (a driver VM's 143: stopped after its clients). Per example: svmm-up.sh exits 0, and with several VMs, all ran
# at the same time. The test machine's memory (MEM) must hold the largest example's VMs at once.
# usage: tests/compose/hosted-examples.sh      (prints "compose-hosted: N passed, N failed")
#        COMPOSE_HOSTED_EXAMPLES='driver-vm ...' limits it to those examples (while developing)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(mkdir -p "${BUILD:-$ROOT/build}" && cd "${BUILD:-$ROOT/build}" && pwd) # absolute: staged paths are cut from it
T=$BUILD/e2e/compose-hosted
TIMEOUT=${E2E_TIMEOUT:-2400}
MEM_MIB=${COMPOSE_HOSTED_MEM_MIB:-2048}   # the test machine's RAM (tests/machine/run.sh --mem)
OUTER_MIB=512                             # what its own kernel, initramfs (guest images) and svmm need
COMPOSE=$BUILD/host/svmm-compose
TAG=compose-hosted
. "$ROOT/tests/e2e/lib.sh"
rm -rf "$T" && mkdir -p "$T/extra/ex" "$T/stage/guest"
make -s -C "$ROOT" compose BUILD="$BUILD" >/dev/null # svmm itself comes from the build tier, as for hosted-boot.sh
[ -x "$BUILD/aarch64/svmm" ] || fail_early "no $BUILD/aarch64/svmm (make svmm BUILD=$BUILD)"
"$ROOT/tests/machine/fetch.sh" --quiet || fail_early "fetch the test machine's packages"

# Every example as written, except that each guest's initrd runs a marker command and powers off.
# Paths are generated against a staging root, then made absolute for the test machine's root.
ln -s "$BUILD/machine/Image" "$T/stage/guest/Image"
ln -s "$T/extra/ex" "$T/stage/ex"
examples=""
for y in "$ROOT"/examples/*/system.yaml; do
    e=$(basename "$(dirname "$y")")
    case " ${COMPOSE_HOSTED_EXAMPLES:-$e} " in *" $e "*) ;; *) continue ;; esac # a subset, while developing
    # A fault policy or dynamic slots need a supervisor: such an example boots under svmm up
    # (tests/e2e/hosted-up.sh), and svmm-compose refuses it an svmm-up.sh; one with the seL4 admin
    # PD (admin:), cache colouring (cache:) or passthrough (board_dtb:) is seL4's alone (tests/e2e/sel4-admin.sh,
    # sel4-coloured.sh, sel4-passthrough.sh).
    grep -qE '^dynamic:|^    on_fault:|^admin:|^cache:|^board_dtb:' "$y" && continue
    examples="$examples $e"
    mkdir -p "$T/extra/ex/$e"
    example_vms "$y" > "$T/$e.vms" # tests/e2e/lib.sh
    for vm in $(cat "$T/$e.vms"); do
        cat > "$T/cmd-$e-$vm" <<C
echo "EXAMPLE-MARKER example=$e vm=$vm cpus=\$(grep -c ^processor /proc/cpuinfo)"
for s in /sys/block/vd*; do
    [ -e "\$s" ] || continue
    r=fail; dd if=/dev/\${s##*/} of=/dev/null bs=64k count=16 2>/dev/null && r=ok
    echo "EXAMPLE-DISK vm=$vm serial=\$(cat \$s/serial) sectors=\$(cat \$s/size) ro=\$(cat \$s/ro) read=\$r"
done
# A driver VM (its agent runs) serves until svmm-up.sh stops it after the VMs it serves.
while pidof svmm-blk-agent > /dev/null; do sleep 1; done
C
        "$ROOT/tests/machine/mkguest-initrd.sh" "$T/extra/ex/$e/$vm.cpio.gz" --cmd-file "$T/cmd-$e-$vm" >/dev/null 2>&1 ||
            fail_early "guest initrd for $e/$vm"
    done
    example_images "$y" guest/Image "ex/$e/{vm}.cpio.gz" > "$T/$e.yaml"
    "$COMPOSE" "$T/$e.yaml" --root "$T/stage" --svmm /svmm --up-script "$T/$e-up.sh" 2> "$T/$e.err" ||
        { cat "$T/$e.err"; fail_early "svmm-compose --up-script for $e"; }
    sed "s|$T/stage||g" "$T/$e-up.sh" > "$T/extra/ex/$e-up.sh"
done
rm -rf "$T/stage"

# Guest RAM of each example, all its VMs at once, from the generated svmm run lines.
largest=0 largest_ex=
for e in $examples; do
    mib=$(grep -o -- '--mem [0-9]*M' "$T/extra/ex/$e-up.sh" | awk '{ s += $2 } END { print s + 0 }')
    [ "$mib" -gt "$largest" ] && largest=$mib largest_ex=$e
done

cat > "$T/outer-script" <<O
status=0
for e in $examples; do
    echo "[examples] begin \$e"
    sh /ex/\$e-up.sh; rc=\$?
    echo "[examples] end \$e status \$rc"
    [ \$rc = 0 ] || status=1
done
exit \$status
O
"$ROOT/tests/machine/mkouter-initrd.sh" "$T/outer.cpio.gz" --svmm "$BUILD/aarch64/svmm" \
    --script "$T/outer-script" --extra "$T/extra" >/dev/null 2>&1 || fail_early "outer initrd"
start=$(date +%s)
set +e
"$ROOT/tests/machine/run.sh" --initrd "$T/outer.cpio.gz" --mem "${MEM_MIB}M" --timeout "$TIMEOUT" --log "$T/log" > /dev/null 2>&1
status=$?
set -e
wall=$(( $(date +%s) - start ))
LOG=$(tr -d '\r' < "$T/log")

check "the largest example ($largest_ex, ${largest} MiB of guest RAM at once) fits the test machine's ${MEM_MIB} MiB with ${OUTER_MIB} MiB to spare" \
    "$(is [ $((largest + OUTER_MIB)) -le "$MEM_MIB" ])"
check "test machine powered off in time (not a timeout)" "$(is [ $status != 124 ])"
check "no out-of-memory kill in the test machine" "$(is test -z "$(grep -i 'out of memory' <<<"$LOG")")"
for e in $examples; do
    S=$(awk -v b="[examples] begin $e" -v x="[examples] end $e " 'index($0, b) == 1 { on = 1 } on { print } index($0, x) == 1 { on = 0 }' <<<"$LOG")
    check "$e: svmm-up.sh exited 0" "$(is grep -q "^\[examples\] end $e status 0$" <<<"$S")"
    for vm in $(cat "$T/$e.vms"); do
        cpus=$(grep -- "| prefix $vm &\$" "$T/extra/ex/$e-up.sh" | sed -n 's/.* --cpus \([0-9]*\) .*/\1/p')
        check "$e/$vm: guest output prefixed '$vm| '" "$(is grep -qE "^$vm\| .*Booting Linux on physical CPU" <<<"$S")"
        # The guest's UART (ttyS0) drains asynchronously, so hvc0 output may land mid-line of its own
        # log; what matters is that it is in this VM's prefixed stream.
        check "$e/$vm: ran its command through hvc0, with its $cpus vCPU(s)" \
            "$(is grep -qE "^$vm\| .*EXAMPLE-MARKER example=$e vm=$vm cpus=$cpus([^0-9]|$)" <<<"$S")"
        line=$(grep -- "| prefix $vm &\$" "$T/extra/ex/$e-up.sh")
        if grep -q -- "--serve-disk" <<<"$line"; then
            check "$e/$vm: driver VM stopped by svmm-up.sh after its clients (SIGTERM: status 143)" \
                "$(is grep -q "^svmm-up: driver VM $vm exited with status 143$" <<<"$S")"
        else
            check "$e/$vm: svmm exited 0" "$(is grep -q "^svmm-up: VM $vm exited with status 0$" <<<"$S")"
        fi
        ndisks=$(grep -o -- " --disk " <<<"$line" | wc -l)
        if [ "$ndisks" -gt 0 ]; then
            check "$e/$vm: the guest read the first MiB of each of its $ndisks disk(s)" \
                "$(is [ "$(grep -cE "^$vm\| .*EXAMPLE-DISK vm=$vm .* read=ok" <<<"$S")" = "$ndisks" ])"
        fi
    done
    if [ "$(wc -l < "$T/$e.vms")" -gt 1 ]; then
        # At the same time: every VM printed its first line before any VM printed its last.
        check "$e: all $(wc -l < "$T/$e.vms") VMs ran at the same time" "$(is awk -v vms="$(tr '\n' ' ' < "$T/$e.vms")" '
            BEGIN { n = split(vms, v, " ") }
            { for (i = 1; i <= n; i++) if (index($0, v[i] "| ") == 1) { if (!(i in first)) first[i] = NR; last[i] = NR } }
            END { maxfirst = 0; minlast = NR + 1
                  for (i = 1; i <= n; i++) { if (!(i in first)) exit 1; if (first[i] > maxfirst) maxfirst = first[i]
                                             if (last[i] < minlast) minlast = last[i] }
                  exit !(maxfirst < minlast) }' <<<"$S")"
    fi
done
echo "$TAG: wall ${wall}s for$examples"
finish "$T/log"
