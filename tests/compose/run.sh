#!/bin/bash
# compose tier: svmm-compose (tools/compose) against its documented behaviour.
#  - every validation rule: bad/*.yaml ends with the exact error lines expected ("# expect: ...")
#  - golden files for every example (examples/*/system.yaml): SDF, <vm>_config.c, qemu-images.args,
#    hosted command lines and DTBs (as dtc text), under tests/compose/golden/<example>/
#  - determinism: two runs give byte-identical output
#  - the Microkit tool accepts every example's SDF, with VMM images linked from the real svmm objects
#    (needs MICROKIT_SDK, default /opt/microkit-sdk-2.0.1; skipped with a reason otherwise)
# Kernel and initrd are tiny fake files made here, so sizes in the goldens do not depend on downloads.
# UPDATE_GOLDEN=1 rewrites the goldens instead of comparing.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
COMPOSE=$BUILD/host/svmm-compose
T=$BUILD/compose-test
SDK=${MICROKIT_SDK:-/opt/microkit-sdk-2.0.1}
passed=0 failed=0
ok() { echo "ok   compose: $1"; passed=$((passed + 1)); }
bad() { echo "FAIL compose: $1"; failed=$((failed + 1)); }

make -s -C "$ROOT" compose BUILD="$BUILD" >/dev/null || { bad "build svmm-compose"; echo "compose: $passed passed, $failed failed"; exit 1; }
rm -rf "$T" && mkdir -p "$T/build/machine"

# A fake arm64 Image: 1.5 MiB, header with image_size 2 MiB and the "ARM\x64" magic; a fake initrd.
head -c 1572864 /dev/zero > "$T/build/machine/Image"
printf '\000\000\040\000' | dd of="$T/build/machine/Image" bs=1 seek=16 conv=notrunc 2>/dev/null
printf 'ARM\144' | dd of="$T/build/machine/Image" bs=1 seek=56 conv=notrunc 2>/dev/null
head -c 300000 /dev/zero | tr '\0' 'i' > "$T/build/guest.cpio.gz"

# ---- validation: exact messages ----
cd "$ROOT/tests/compose"
for f in bad/*.yaml; do
    out=$("$COMPOSE" --check --root "$T" "$f" 2>&1); rc=$?
    if grep -q '^# expect-prefix: ' "$f"; then
        want=$(sed -n 's/^# expect-prefix: //p' "$f")
        [ $rc = 1 ] && [ "${out:0:${#want}}" = "$want" ] && ok "rejects $f" || { bad "rejects $f (exit $rc)"; echo "$out"; }
    else
        want=$(sed -n 's/^# expect: //p' "$f")
        if [ $rc = 1 ] && [ "$out" = "$want" ]; then ok "rejects $f"; else
            bad "rejects $f (exit $rc)"; diff <(echo "$want") <(echo "$out") | sed 's/^/    /'; fi
    fi
done

# ---- golden files ----
gen() { # gen EXAMPLE OUTDIR: every output, DTBs decompiled
    local e=$1 o=$2
    (cd "$T" && "$COMPOSE" "$ROOT/examples/$e/system.yaml" -o "$o" --dtb --up-script "$o/svmm-up.sh" && \
        "$COMPOSE" "$ROOT/examples/$e/system.yaml" --hosted > "$o/hosted.txt") || return 1
    for d in "$o"/*.dtb; do dtc -q -I dtb -O dts "$d" > "${d%.dtb}.dts" || return 1; done
}
for ex in "$ROOT"/examples/*/system.yaml; do
    e=$(basename "$(dirname "$ex")")
    if ! gen "$e" "$T/out/$e" 2> "$T/$e.err"; then bad "$e: generate"; cat "$T/$e.err"; continue; fi
    g=$ROOT/tests/compose/golden/$e
    if [ -n "${UPDATE_GOLDEN:-}" ]; then
        rm -rf "$g" && mkdir -p "$g" && (cd "$T/out/$e" && cp svmm.system ./*_config.c qemu-images.args hosted.txt svmm-up.sh ./*.dts "$g/")
        ok "$e: golden files written"
        continue
    fi
    for f in "$g"/*; do
        n=$(basename "$f")
        if cmp -s "$f" "$T/out/$e/$n"; then ok "$e: $n matches the golden file"; else
            bad "$e: $n differs from the golden file"; diff "$f" "$T/out/$e/$n" | head -20 | sed 's/^/    /'; fi
    done
    # ---- determinism ----
    gen "$e" "$T/again/$e" 2>/dev/null
    diff -r "$T/out/$e" "$T/again/$e" >/dev/null && ok "$e: two runs are byte-identical" || bad "$e: output differs between runs"
done

# ---- pCPU placement as cpu attributes (SMP SDKs) ----
(cd "$T" && "$COMPOSE" "$ROOT/examples/multicore/system.yaml" -o "$T/sdf-cpu" --sdf-cpu) &&
    [ "$(grep -c '<vcpu id="0" cpu="[0-3]" />' "$T/sdf-cpu/svmm.system")" = 4 ] &&
    grep -q '<vcpu id="0" cpu="3" />' "$T/sdf-cpu/svmm.system" &&
    ok "multicore --sdf-cpu: one vCPU on each of pCPUs 0..3 as cpu attributes" || bad "multicore --sdf-cpu"

# ---- passive VMMs: the default follows --exception-fastpath, vmm_passive overrides it per VM ----
sed 's/^  - name: beta$/  - name: beta\n    vmm_passive: false/' "$ROOT/examples/linux-pair/system.yaml" > "$T/passive.yaml"
sed 's/^  - name: alpha$/  - name: alpha\n    vmm_passive: true/' "$ROOT/examples/linux-pair/system.yaml" > "$T/passive-one.yaml"
(cd "$T" && "$COMPOSE" "$T/passive.yaml" -o "$T/passive" --exception-fastpath && "$COMPOSE" "$T/passive-one.yaml" -o "$T/passive-one") &&
    grep -q '<protection_domain name="vmm_alpha" priority="254" passive="true"' "$T/passive/svmm.system" &&
    grep -q '<protection_domain name="vmm_beta" priority="254" stack_size' "$T/passive/svmm.system" &&
    grep -q '\.passive = true' "$T/passive/alpha_config.c" && ! grep -q '\.passive' "$T/passive/beta_config.c" &&
    grep -q '<protection_domain name="vmm_alpha" priority="254" passive="true"' "$T/passive-one/svmm.system" &&
    ! grep -q 'vmm_beta[^>]*passive' "$T/passive-one/svmm.system" &&
    ok "vmm_passive: --exception-fastpath makes VMMs passive, vmm_passive overrides either way" || bad "vmm_passive"
sed 's/^  - name: beta$/  - name: beta\n    vmm_passive: sometimes/' "$ROOT/examples/linux-pair/system.yaml" > "$T/passive-bad.yaml"
out=$(cd "$T" && "$COMPOSE" --check "$T/passive-bad.yaml" 2>&1); rc=$?
[ $rc = 1 ] && grep -q 'vms.beta.vmm_passive: ' <<<"$out" && ok "vmm_passive: rejects a non-boolean" ||
    { bad "vmm_passive: rejects a non-boolean (exit $rc)"; echo "$out"; }

# ---- the Microkit tool accepts every SDF (with real VMM images, one per VM) ----
if [ ! -x "$SDK/bin/microkit" ]; then
    echo "skip compose: Microkit acceptance: no SDK at $SDK (set MICROKIT_SDK)"
else
    for ex in "$ROOT"/examples/*/system.yaml; do
        e=$(basename "$(dirname "$ex")")
        if make -s -C "$ROOT" sel4-system BUILD="$BUILD" MICROKIT_SDK="$SDK" SYSTEM="$ex" SYSTEM_OUT="$T/sel4/$e" \
            COMPOSE_ROOT="$T" > "$T/sel4-$e.log" 2>&1 && [ -f "$T/sel4/$e/loader.img" ]; then
            ok "$e: Microkit $(cat "$SDK/VERSION" 2>/dev/null) accepts the SDF ($(ls "$T/sel4/$e"/svmm-*.elf | wc -l) VMM images)"
        else
            bad "$e: Microkit rejects the system"; tail -n 5 "$T/sel4-$e.log" | sed 's/^/    /'
        fi
    done
fi
echo "compose: $passed passed, $failed failed"
[ $failed = 0 ]
