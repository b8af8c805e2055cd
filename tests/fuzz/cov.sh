#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Source-based coverage of the fuzz corpora (make fuzz-cov, tests/fuzz/depth.mk).
#   cov.sh BUILD FILES_LIST
# FILES_LIST has one line per harness: "<harness> <file under test>...". Each coverage build
# BUILD/fuzz/cov/fuzz_<harness> runs (libFuzzer, -runs=0) over every corpus the harness has:
#   tests/fuzz/corpus/<harness>/          the committed seeds
#   BUILD/fuzz/corpus-<harness>/          what make fuzz kept, when present
#   BUILD/fuzz/afl-out/<harness>/default/queue/   what make fuzz-afl kept, when present
# then llvm-profdata merges the raw profiles and llvm-cov reports the files under test only:
#   BUILD/fuzz/cov/<harness>.txt          llvm-cov report (per file: regions, functions, lines, branches)
#   BUILD/fuzz/cov/html/<harness>/        llvm-cov show, line by line with branch counts
#   BUILD/fuzz/cov/summary.txt            one line per harness (its files together) and, below, one per
#                                         file over all harnesses together (the union of their corpora)
set -u
build=$1 list=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
cov=$build/fuzz/cov
LLVM_COV=${LLVM_COV:-llvm-cov} LLVM_PROFDATA=${LLVM_PROFDATA:-llvm-profdata}
mkdir -p "$cov/html" "$cov/prof"

# "Cover" columns of llvm-cov report's TOTAL (or a file's) row: regions, lines, branches, plus the counts.
row() { # row NAME REPORT-LINE
    awk -v n="$1" '{ printf "%-34s %7s %6s/%-6s %7s %6s/%-6s %7s %6s/%-6s\n", n,
        $4, $2 - $3, $2, $10, $8 - $9, $8, $13, $11 - $12, $11 }' <<<"$2"
}
header() {
    printf '%-34s %7s %13s %7s %13s %7s %13s\n' "$1" regions covered lines covered branches covered
}

objects=() files_all=() failed=0
: >"$cov/summary.txt"
{
    echo "fuzz-cov: per harness, the files under test together (llvm-cov $("$LLVM_COV" --version | grep -o 'version [0-9.]*'))"
    header harness
} | tee -a "$cov/summary.txt"
while read -r h files; do
    bin=$cov/fuzz_$h
    corpora=("tests/fuzz/corpus/$h")
    [ -d "$build/fuzz/corpus-$h" ] && corpora+=("$build/fuzz/corpus-$h")
    [ -d "$build/fuzz/afl-out/$h/default/queue" ] && corpora+=("$build/fuzz/afl-out/$h/default/queue")
    rm -rf "$cov/prof/$h"
    mkdir -p "$cov/prof/$h"
    # Every input once; one that crashes would lose its process's profile, hence the failure count below.
    LLVM_PROFILE_FILE="$cov/prof/$h/%p.profraw" "$bin" -runs=0 -timeout=10 -rss_limit_mb=2048 \
        "${corpora[@]}" >"$cov/$h.run.log" 2>&1 || {
        echo "FAIL fuzz-cov: $h: an input of its corpora fails: $cov/$h.run.log"
        failed=$((failed + 1))
    }
    "$LLVM_PROFDATA" merge -sparse "$cov/prof/$h"/*.profraw -o "$cov/$h.profdata" || {
        failed=$((failed + 1))
        continue
    }
    read -ra fl <<<"$files"
    "$LLVM_COV" report "$bin" -instr-profile="$cov/$h.profdata" "${fl[@]}" >"$cov/$h.txt"
    rm -rf "$cov/html/$h"
    "$LLVM_COV" show "$bin" -instr-profile="$cov/$h.profdata" -format=html -show-branches=count \
        -output-dir="$cov/html/$h" "${fl[@]}"
    inputs=$(grep -o 'INFO: seed corpus: files: [0-9]*' "$cov/$h.run.log" | awk '{print $5}')
    # With a single file llvm-cov prints no TOTAL row: the file's row is the total.
    total=$(grep '^TOTAL' "$cov/$h.txt" || awk 'NF == 13 && $1 != "Filename"' "$cov/$h.txt" | tail -n1)
    row "$h (${inputs:-?} inputs)" "$total" | tee -a "$cov/summary.txt"
    objects+=(-object "$bin")
    files_all+=("${fl[@]}")
done <"$list"

# All harnesses together: a file's coverage over every harness that compiles it.
if [ ${#objects[@]} -gt 2 ]; then
    "$LLVM_PROFDATA" merge -sparse "$cov"/prof/*/*.profraw -o "$cov/all.profdata" 2>"$cov/all.merge.log"
    mapfile -t uniq < <(printf '%s\n' "${files_all[@]}" | sort -u)
    "$LLVM_COV" report "${objects[@]:1}" -instr-profile="$cov/all.profdata" "${uniq[@]}" >"$cov/all.txt" 2>/dev/null
    {
        echo
        echo "fuzz-cov: per file, all harnesses above together"
        header file
        # llvm-cov names files relative to their common directory (src/).
        awk 'NF == 13 && $1 != "Filename" && $1 != "TOTAL"' "$cov/all.txt" | while read -r line; do
            row "${line%% *}" "$line"
        done
        row TOTAL "$(grep '^TOTAL' "$cov/all.txt")"
    } | tee -a "$cov/summary.txt"
fi
echo "fuzz-cov: reports in $cov/<harness>.txt, $cov/html/<harness>/index.html, $cov/summary.txt"
[ "$failed" = 0 ]
