#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# c4-names tier: every box of the C4 diagrams (docs/c4/*.dot) names something that exists in the tree.
# Needs neither Graphviz nor Doxygen: it reads the .dot sources, written one statement per line
# (docs/c4/README.md), where every node and every cluster carries
#   tooltip="PATH[: NAME ...][; PATH[: NAME ...]]..."    or    tooltip="external: WHAT"
# PATH is a file or folder of the repository; each NAME must occur in it: `f()` as a call or
# definition `f(`, `'text'` as the string literal "text", anything else as a whole word. An
# external box (a person, the seL4 kernel, hardware, a Linux guest) names nothing in the tree.
# Besides: every file path or `name.c`/`name.h` in a box's label exists, every `f()` in a label is a
# NAME of that box, and every edge joins declared nodes (dot would draw an unchecked box otherwise).
# One check per box and per diagram, and one that the check itself rejects made-up boxes.
# Usage: tests/lint/c4-names.sh [DIR]   (default docs/c4). Prints "c4-names: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
passed=0 failed=0
ok() { echo "ok   c4-names: $1"; passed=$((passed + 1)); }
bad() { echo "FAIL c4-names: $1"; failed=$((failed + 1)); }

# check_name PATH NAME: does NAME occur in PATH (a file, or any file under a folder)?
check_name() {
    local path=$1 name=$2 re
    case $name in
        *"()") re="\\b${name%()}[[:space:]]*\\(" ;;
        "'"*"'") re="\"${name:1:${#name}-2}\"" ;;
        *) re="\\b${name}\\b" ;;
    esac
    grep -rqE -- "$re" "$path"
}

# check_box DIAGRAM ID LABEL TOOLTIP: prints nothing when the box is real, else the reasons.
check_box() {
    local diagram=$1 id=$2 label=$3 tip=$4 entry path names name problems="" t file
    [ -n "$tip" ] || { echo "no tooltip (the PATH: NAME list the box stands for)"; return; }
    case $tip in
        "external: "?*) ;;
        *)
            IFS=';' read -ra entries <<<"$tip"
            for entry in "${entries[@]}"; do
                entry=${entry# }
                path=${entry%%:*}
                names=""; [ "$path" != "$entry" ] && names=${entry#*:}
                if [ ! -e "$path" ]; then problems+="no $path; "; continue; fi
                for name in $names; do
                    check_name "$path" "$name" || problems+="$name not in $path; "
                done
            done ;;
    esac
    # Paths and file names in the label.
    for t in $(grep -oE '[A-Za-z0-9_./<>*-]+' <<<"${label//\\n/ }"); do
        t=${t%.}
        case $t in
            */*.c|*/*.h|*/*.md|*/*.mk|src/*|include/*|tools/*|tests/*|docs/*|examples/*)
                [[ $t == *"<"* || $t == *"*"* ]] && continue
                [ -e "$t" ] || problems+="label names $t, which does not exist; " ;;
            *.c|*.h)
                file=$(git ls-files -- "*/$t" "$t" 2>/dev/null | head -n1)
                [ -n "$file" ] || [ -n "$(find src include tools tests -name "$t" -print -quit 2>/dev/null)" ] ||
                    problems+="label names $t, which is nowhere in the tree; " ;;
        esac
    done
    for t in $(grep -oE '[A-Za-z_][A-Za-z0-9_]*\(\)' <<<"${label//\\n/ }"); do
        [[ " ${tip//[;:]/ } " == *" $t "* ]] || problems+="label names $t but the tooltip does not; "
    done
    echo -n "$problems"
}

shopt -s nullglob
DIR=${1:-docs/c4}
diagrams=("$DIR"/*.dot)
[ ${#diagrams[@]} -gt 0 ] || bad "no diagrams in $DIR/"
declare -A declared=()
for d in "${diagrams[@]}"; do
    edges_bad=""
    nboxes=0
    while IFS= read -r line; do
        s=${line#"${line%%[![:space:]]*}"}
        case $s in ""|"//"*|"#"*|"/*"*|"*"*) continue ;; esac
        tip=$(grep -oE 'tooltip="[^"]*"' <<<"$s" | head -n1 | sed 's/^tooltip="//; s/"$//')
        label=$(grep -oE '(^|[^a-z])label="[^"]*"' <<<"$s" | head -n1 | sed 's/^[^"]*"//; s/"$//')
        bare=$(sed -E 's/"[^"]*"/""/g' <<<"$s") # the statement without its strings
        if [[ $bare =~ ^subgraph[[:space:]]+(cluster_[A-Za-z0-9_]+) ]]; then
            id=${BASH_REMATCH[1]}
        elif [[ $bare == *"->"* || $bare == *" -- "* ]]; then
            for e in $(sed -E 's/\[.*//; s/(->|--)/ /g; s/[;{}]//g' <<<"$bare"); do
                [ -n "${declared[$d:$e]:-}" ] || edges_bad+="$e "
            done
            # functions an edge's label names exist somewhere in the tree
            for t in $(grep -oE '[A-Za-z_][A-Za-z0-9_]*\(\)' <<<"${label//\\n/ }"); do
                grep -rqE "\b${t%()}[[:space:]]*\(" src include tools || edges_bad+="(label: $t is nowhere in src, include, tools) "
            done
            continue
        elif [[ $bare =~ ^([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\[ ]]; then
            id=${BASH_REMATCH[1]}
            case $id in node|edge|graph) continue ;; esac
        else
            continue
        fi
        nboxes=$((nboxes + 1))
        declared[$d:$id]=1
        problems=$(check_box "$d" "$id" "$label" "$tip")
        if [ -z "$problems" ]; then ok "$d: $id (${tip:0:90})"; else bad "$d: $id: ${problems%; }"; fi
    done < "$d"
    if [ $nboxes = 0 ]; then bad "$d: no boxes found (one statement per line, docs/c4/README.md)"
    elif [ -z "$edges_bad" ]; then ok "$d: every edge joins declared boxes ($nboxes boxes)"
    else bad "$d: edges name undeclared boxes (declare them before the edges, with a tooltip): $edges_bad"; fi
done
# The check catches what it is for: a box whose file, function or label does not exist, an edge
# to an undeclared box, a box without a tooltip.
if [ -z "${1:-}" ]; then
    tmp=$(mktemp -d)
    cat > "$tmp/made-up.dot" <<'DOT'
digraph made_up {
    a [label="gone.c", tooltip="src/core/gone.c"];
    b [label="virtq_pop()", tooltip="src/virtio/virtqueue.c: virtq_pop() virtq_teleport()"];
    c [label="no tooltip"];
    d [label="mmio.c calls nothing()", tooltip="src/core/mmio.c"];
    a -> e;
}
DOT
    out=$("$0" "$tmp" 2>&1); rc=$?
    rm -rf "$tmp"
    if [ $rc != 0 ] && grep -q 'FAIL.*: a: no src/core/gone.c' <<<"$out" && grep -q 'FAIL.*: b: virtq_teleport() not in' <<<"$out" &&
       grep -q 'FAIL.*: c: no tooltip' <<<"$out" && grep -q 'FAIL.*: d: label names nothing()' <<<"$out" &&
       grep -q 'FAIL.*undeclared boxes.*: e' <<<"$out" && grep -q 'c4-names: 0 passed, 5 failed' <<<"$out"; then
        ok "made-up boxes are caught (missing file, function, tooltip, label function, undeclared edge end)"
    else bad "made-up boxes: the check did not catch them all: $(tr '\n' '|' <<<"$out")"; fi
fi
echo "c4-names: $passed passed, $failed failed"
[ $failed = 0 ]
