#!/bin/bash
# lint tier: project-wide rules that a reviewer would otherwise have to remember.
#  - every qemu-system-* invocation names its NIC on the same line (-nic none, or -nic/-netdev/-device
#    for a wanted one): QEMU's default NIC needs a ROM file (efi-virtio.rom from ipxe-qemu) that a
#    fresh machine does not have, which once failed every QEMU tier there;
#  - every tracked C, header, assembly, shell and make file carries the SPDX identifier of LICENSE.
# One check per file. Prints "lint: N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
passed=0 failed=0
# The rules apply to what is committed: without git there is nothing to check, which is a failure.
if ! git ls-files --error-unmatch LICENSE >/dev/null 2>&1; then
    echo "FAIL lint: cannot list the tracked files (git ls-files): lint needs git and a git checkout"
    echo "lint: 0 passed, 1 failed"
    exit 1
fi
ok() { echo "ok   lint: $1"; passed=$((passed + 1)); }
bad() { echo "FAIL lint: $1"; failed=$((failed + 1)); }

# Invocations: lines naming a qemu-system binary that are not comments, --version probes or package names.
while IFS= read -r f; do
    lines=$(grep -nE 'qemu-system-[a-z0-9_]+' "$f" | grep -vE '^[0-9]+:\s*#|--version|apt|PKGS|qemu-system-arm ' || true)
    [ -n "$lines" ] || continue
    missing=$(grep -vE -- '-nic |-netdev |-device virtio-net|-nic$' <<<"$lines" || true)
    if [ -z "$missing" ]; then ok "$f: every QEMU invocation names its NIC"; else
        bad "$f: QEMU invocation without -nic (QEMU's default NIC needs efi-virtio.rom):"; sed 's/^/    /' <<<"$missing"; fi
done < <(git ls-files -- '*.sh' '*.mk' 'Makefile' '*.py')

spdx=$(sed -n '1s/ License$//p' LICENSE | tr ' ' '-')
while IFS= read -r f; do
    if head -n 3 "$f" | grep -qE "SPDX-License-Identifier: $spdx( |$)"; then ok "$f: SPDX $spdx"; else
        bad "$f: no 'SPDX-License-Identifier: $spdx' in its first 3 lines (LICENSE)"; fi
done < <(git ls-files -- 'src/*.c' 'src/*.h' 'include/*.h' 'tests/*.c' 'tests/*.h' 'tests/*.S' 'tools/*.c' 'tools/*.h' |
         grep -v '^tests/compose/golden/')
# A check's "$(is A && B)" reports A alone (B's status is lost): a test that cannot fail. Several
# conditions end with rc instead: "$(A && B; rc)" (tests/e2e/lib.sh).
while IFS= read -r f; do
    bad_lines=$(grep -nE '\$\(is .*(&&|\|\|)|\$\(has ('"'"'[^'"'"']*'"'"'|"[^"]*") *(&&|\|\|)' "$f" | grep -vE '^[0-9]+:\s*#' || true)
    if [ -z "$bad_lines" ]; then ok "$f: no is/has with && or || (one condition each)"; else
        bad "$f: is/has with && or || reports the first condition only (use \"\$(A && B; rc)\"):"
        sed 's/^/    /' <<<"$bad_lines"; fi
done < <(git ls-files -- 'tests/*.sh')

# The seL4 tiers' log mender (tests/e2e/untangle-log.awk) with Debian's default awk (mawk) and gawk:
# untangle_case WHAT CUT MENDED: CUT comes out as MENDED, and MENDED (whole lines) as it is.
untangle_case() {
    local awk
    for awk in mawk gawk; do
        command -v $awk >/dev/null || continue
        if [ "$($awk -f tests/e2e/untangle-log.awk <<<"$2")" = "$3" ] &&
           [ "$($awk -f tests/e2e/untangle-log.awk <<<"$3")" = "$3" ]; then
            ok "tests/e2e/untangle-log.awk ($awk): $1"
        else bad "tests/e2e/untangle-log.awk ($awk): $1: $(diff <($awk -f tests/e2e/untangle-log.awk <<<"$2") <(echo "$3") | tr '\n' ' ')"; fi
    done
}
# A line cut by another PD's line is joined again, the intruder kept whole.
untangle_case "mends lines another PD cut, leaves whole ones alone" \
    $'svmm[vm]|info: VM vm\nsvmm[a]|info: start\nvm| boot\nsvmm[a]|info: serve-disk: 2 clients osvmm[b]|info: link 0: 72 MiB\nn port 3\nvm| x=1vm| y\n 2' \
    $'svmm[vm]|info: VM vm\nsvmm[a]|info: start\nvm| boot\nsvmm[b]|info: link 0: 72 MiB\nsvmm[a]|info: serve-disk: 2 clients on port 3\nvm| y\nvm| x=1 2'
# Three PDs starting at once: one line cut inside its prefix, two whole lines, then its tail.
untangle_case "mends a line cut inside its prefix, whole lines of other PDs before its tail" \
    $'svmm[vm]|info: VM vm\nvm| boot\nsvmm[swsvmm[b]|info: VM b\nsvmm[c]|info: VM c\nitch]|info: switch: 2 ports\nsvmm[b]|info: more' \
    $'svmm[vm]|info: VM vm\nvm| boot\nsvmm[b]|info: VM b\nsvmm[c]|info: VM c\nsvmm[switch]|info: switch: 2 ports\nsvmm[b]|info: more'
# SMP: two VMMs writing at once, one character of vm1's prefix inside vm0's line; the next line starts
# "m1| ", which must not become a guest name (else every later "vm1| " line would be cut after "v").
smp=$'svmm[vm0]|info: VM vm0\nsvmm[vm1]|info: VM vm1\nvm0| [ns16550a0]v enabled\nm1| Booting Linux\nvm1| init reached'
untangle_case "learns no guest name from a line that starts with a prefix's tail" "$smp" "$smp"
echo "lint: $passed passed, $failed failed"
[ $failed = 0 ]
