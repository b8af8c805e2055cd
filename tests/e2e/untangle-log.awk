# SPDX-License-Identifier: BSD-2-Clause
# Mend the lines of a shared-UART log that another component's line cut in two.
#
# On seL4 every VMM writes its own whole lines to the one board UART, but a higher-priority PD can
# take the core in the middle of a line and write all of its own. The log then reads
#     svmm[driver]|info: serve-disk: 2 clients for the agent osvmm[user]|info: virtio-blk on ...
#     n virtio-console port 3 'svmm-blk'
# and a check that greps the cut line fails although the VMM said the right thing. This prints the
# intruding line on its own and the cut line joined with its tail (the next line, when that line
# starts with no known prefix). Prefixes: "svmm[<vm>]|<level>: " and "<name>| " for any guest
# prefix already seen at the start of a line. Lines nobody cut pass through unchanged.
function learn(s,   n) {
    if (match(s, /^[A-Za-z0-9_.-]+\| /)) {
        n = substr(s, 1, RLENGTH - 2)
        if (!(n in seen)) { seen[n] = 1; guests = guests (guests == "" ? "" : "|") n }
    }
}
function prefix_re() {
    return "svmm\\[[A-Za-z0-9_.-]+\\]\\|[a-z]+: " (guests == "" ? "" : "|(" guests ")\\| ")
}
function starts_with_prefix(s) { return match(s, "^(" prefix_re() ")") }
# Position (> 1) where another component's line starts inside s, or 0.
function cut_at(s) { return match(substr(s, 2), prefix_re()) ? RSTART + 1 : 0 }
function take(s,   c) {
    learn(s)
    c = cut_at(s)
    if (c == 0) { print s; return }
    head = substr(s, 1, c - 1)
    intruder = substr(s, c)
    learn(intruder)
}
{
    if (head == "") { take($0); next }
    if (starts_with_prefix($0) || $0 == "") {
        print head; print intruder; head = ""
        take($0)
        next
    }
    print intruder
    joined = head $0
    head = ""
    take(joined)
}
END { if (head != "") { print head; print intruder } }
