#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Hosted tier e2e-blkserver-dvm: the block server's test (tests/e2e/hosted-blkserver.sh) and the
# driver VM's (tests/e2e/hosted-driver-vm.sh) in one QEMU test machine run, one after the other,
# instead of a test machine boot each. Each script, run with E2E_PART=prepare, writes its guest
# command and outer script and stops (part_boot, tests/e2e/lib.sh); this one packs both guest
# initramfs images and both outer scripts into one outer machine, whose script runs the parts in turn
# (each with its own guest initramfs as /guest/initrd.cpio.gz) between "[outer] ==== part" lines.
# Then each script, run with E2E_PART=check, makes its checks on its part of the log: the same
# checks, with the same names ("e2e-blkserver: ...", "e2e-driver-vm: ..."), as when run alone.
# Prints both parts' lines and "e2e-blkserver-dvm: N passed, N failed" (both parts' checks).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export BUILD=${BUILD:-$ROOT/build}
T=$BUILD/e2e/hosted-blkserver-dvm
TIMEOUT=${E2E_TIMEOUT:-3300} # the parts' own timeouts added up (1500 s and 1800 s)
PARTS="blkserver driver-vm"
TAG=e2e-blkserver-dvm
. "$ROOT/tests/e2e/lib.sh"
rm -rf "$T" && mkdir -p "$T/extra/parts"

for p in $PARTS; do
    d=$BUILD/e2e/hosted-$p
    E2E_PART=prepare "$ROOT/tests/e2e/hosted-$p.sh" || fail_early "$p: guest command and outer script"
    extra=()
    [ ! -d "$d/extra" ] || extra=(--extra "$d/extra")
    "$ROOT/tests/machine/mkguest-initrd.sh" "$T/extra/parts/$p.cpio.gz" --cmd-file "$d/guest-cmd" "${extra[@]}" \
        >/dev/null || fail_early "$p: guest initramfs"
    cp "$d/outer-script" "$T/extra/parts/$p.sh"
done
cat > "$T/outer-script" <<O
PARTS="$PARTS"
O
cat >> "$T/outer-script" <<'O'
status=0
for p in $PARTS; do
    t0=$(date +%s)
    echo "[outer] ==== part $p"
    ln -sf /parts/$p.cpio.gz /guest/initrd.cpio.gz
    (cd /tmp && sh /parts/$p.sh); rc=$?
    echo "[outer] ==== part $p exit $rc after $(( $(date +%s) - t0 ))s"
    [ $rc = 0 ] || status=$rc
    rm -f /tmp/disk.img /tmp/direct.img # the block server's images (the driver VM's removes its own)
done
exit $status
O
"$ROOT/tests/machine/mkouter-initrd.sh" "$T/outer.cpio.gz" --svmm "$BUILD/aarch64/svmm" \
    --script "$T/outer-script" --extra "$T/extra" >/dev/null || fail_early "test machine images"
start=$(date +%s) status=0
"$ROOT/tests/machine/run.sh" --initrd "$T/outer.cpio.gz" --timeout "$TIMEOUT" --log "$T/log" > /dev/null || status=$?
wall=$(( $(date +%s) - start ))

# Each part's checks on its share of the log.
for p in $PARTS; do
    tr -d '\r' < "$T/log" | awk -v b="[outer] ==== part $p" '$0 == b { on = 1; next }
        index($0, b " exit ") == 1 { on = 0 } on' > "$T/log-$p"
    pst=$(tr -d '\r' < "$T/log" | sed -n "s/^\[outer\] ==== part $p exit \([0-9]*\) after \([0-9]*\)s$/\1 \2/p")
    pstatus=${pst% *} pwall=${pst#* }
    [ -n "$pst" ] || pstatus=125 pwall=$wall # the part never ended (its check "powered off in time" says why)
    [ $status != 124 ] || pstatus=124
    out=$(E2E_PART=check E2E_PART_LOG="$T/log-$p" E2E_PART_STATUS=$pstatus E2E_PART_WALL=$pwall \
        "$ROOT/tests/e2e/hosted-$p.sh" 2>&1)
    echo "$out"
    counts=$(grep -Eo '[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -n1)
    if [ -z "$counts" ]; then
        check "$p: its checks ran" 1
    else
        passed=$((passed + $(awk '{ print $1 }' <<<"$counts"))) failed=$((failed + $(awk '{ print $3 }' <<<"$counts")))
    fi
done
echo "$TAG: wall ${wall}s"
finish "$T/log"
