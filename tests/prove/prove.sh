#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Frama-C WP proofs of the guest-facing parsers (docs/proofs.md). One check per proved function:
# "ok FILE:FUNCTION (N goals)" when every goal WP generates for it (its contract, the run-time-error
# assertions of -wp-rte, the preconditions of what it calls, loop invariants and variants) is
# discharged, else "FAIL ..."; ends with "prove: N passed, N failed".
# Usage: tests/prove/prove.sh [OUT_DIR]   (PROVE_STEPS, PROVE_TIMEOUT, PROVE_JOBS: see below)
# Each goal gets PROVE_STEPS of CVC4's resource units, so a verdict does not depend on how busy the
# machine is; PROVE_TIMEOUT (seconds) only stops a solver that hangs. OUT_DIR keeps WP's session,
# which also caches proved goals: a second run replays them (rm -rf OUT_DIR for a cold run).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/build/prove}
STEPS=${PROVE_STEPS:-3000000}
TIMEOUT=${PROVE_TIMEOUT:-1800}
JOBS=${PROVE_JOBS:-2}
mkdir -p "$OUT"
pass=0 fail=0

for tool in frama-c why3 cvc4; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "FAIL prove: $tool not found; install with: apt-get install --no-install-recommends frama-c-base why3 cvc4 (then: why3 config detect)"
        echo "prove: 0 passed, 1 failed"
        exit 1
    fi
done
# WP finds provers through why3's configuration: (re)create it when it does not list CVC4.
why3 config list-provers 2>/dev/null | grep -q '^CVC4' || why3 config detect >/dev/null 2>&1

# prove FILE FUNCTION...: run WP on FILE for the functions, one verdict per function.
prove() {
    file=$1; shift
    fcts=$(echo "$@" | tr ' ' ',')
    log="$OUT/$(basename "$file" .c).log"
    nice frama-c -c11 -no-warn-invalid-bool -warn-signed-downcast \
        -cpp-extra-args="-I$ROOT/include -I$ROOT/src/arch/aarch64 -include $ROOT/tests/prove/prelude.h" \
        "$ROOT/$file" -wp -wp-model Typed+cast -wp-rte -wp-fct "$fcts" -wp-prover cvc4 \
        -wp-steps "$STEPS" -wp-timeout "$TIMEOUT" -wp-par "$JOBS" -wp-session "$OUT/session-$(basename "$file" .c)" \
        >"$log" 2>&1
    rc=$?
    for f in "$@"; do
        # WP names goals typed_cast_<function>_<kind>...
        pat="Goal typed_cast_${f}_(ensures|assert|assigns|call|loop|requires|exits|terminates|variant|disjoint|complete)"
        total=$(grep -Ec "$pat" "$log")
        valid=$(grep -E "$pat" "$log" | grep -c ': Valid')
        if [ $rc = 0 ] && [ "$total" -gt 0 ] && [ "$valid" = "$total" ]; then
            echo "ok $file:$f ($total goals)"; pass=$((pass + 1))
        else
            echo "FAIL $file:$f ($valid of $total goals; frama-c exit $rc; log: $log)"; fail=$((fail + 1))
            grep -E "$pat" "$log" | grep -v ': Valid' | sed 's/^/    /'
        fi
    done
}

start=$(date +%s)
prove src/core/memmap.c range_last svmm_memmap_find svmm_gpa_to_host
prove src/virtio/virtqueue.c load_desc avail_idx_p avail_ring_p used_idx_p map_ring fail chain_add walk_table \
    walk_indirect walk_chain virtq_pop virtq_enable virtq_has_avail virtq_unpop virtq_push virtq_should_interrupt \
    virtq_arm_notify virtq_arm_notify_after used_event_p used_elem_p avail_event_p virtq_reset copy_span \
    virtq_chain_read virtq_chain_write
prove src/arch/aarch64/exits.c aarch64_decode_dabt aarch64_decode_sysreg extend_load esr_ec esr_insn_len \
    aarch64_gpr aarch64_set_gpr aarch64_sysreg_id
prove src/arch/aarch64/psci.c vcpu_of_affinity cpu_on affinity_info canonical_fid implemented psci_decide
prove src/virtio/mmio.c bad_access config_access_ok selected_queue read_reg features_acceptable configurable_queue set_low \
    set_high write_queue_reg
prove src/arch/aarch64/vgic_dist.c dist_frame dist_typer dist_ctlr target_byte targets_read targets_write irouter_irq \
    irouter_read irouter_write sgir_write dist_read dist_write_reg dist_write
echo "prove: $(( $(date +%s) - start ))s with cvc4 $(cvc4 --version 2>/dev/null | head -n1 | grep -Eo '[0-9]+\.[0-9.]+'), $STEPS steps per goal"
echo "prove: $pass passed, $fail failed"
[ $fail = 0 ]
