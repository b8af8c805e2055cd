# SPDX-License-Identifier: BSD-2-Clause
# Mend the lines of a shared-UART log that another component's line cut in two.
#
# On seL4 every VMM writes its own whole lines to the one board UART, but a higher-priority PD can
# take the core in the middle of a line and write all of its own. The log then reads
#     svmm[driver]|info: serve-disk: 2 clients for the agent osvmm[user]|info: virtio-blk on ...
#     n virtio-console port 3 'svmm-blk'
# and a check that greps the cut line fails although the VMM said the right thing. This prints the
# intruding line on its own and the cut line joined with its tail (the next line, when that line
# starts with no known prefix). When the cut fell inside the prefix itself ("svmm[switch" then
# "_lan]|info: ..."), the cut line cannot be whole: then up to MAXQ whole lines of other components
# (several PDs starting at once) may come before its tail, and are printed on their own first.
# Prefixes: "svmm[<vm>]|<level>: " and "<vm>| " for every <vm> whose VMM has logged a line (each VMM
# logs before its guest prints, and its guest's console prefix is its name). Names are never learned
# from "<name>| " at the start of a line: on an SMP kernel two VMMs write at once, characters
# interleave, and a line can start with the tail of a prefix ("m1| " of "vm1| "), which would then
# match inside every whole "vm1| " line. Lines nobody cut pass through unchanged.
function learn(s,   n) {
    if (match(s, /^svmm\[[A-Za-z0-9_.-]+\]\|[a-z]+: /)) {
        n = substr(s, 6, index(s, "]") - 6)
        if (!(n in seen)) { seen[n] = 1; guests = guests (guests == "" ? "" : "|") n }
    }
}
function prefix_re() {
    return "svmm\\[[A-Za-z0-9_.-]+\\]\\|[a-z]+: " (guests == "" ? "" : "|(" guests ")\\| ")
}
function starts_with_prefix(s) { return match(s, "^(" prefix_re() ")") }
# Position (> 1) where another component's line starts inside s, or 0.
function cut_at(s) { return match(substr(s, 2), prefix_re()) ? RSTART + 1 : 0 }
# A VMM's prefix cut short: "s", "svmm[", "svmm[switch", "svmm[switch_lan]|inf", ...
function partial_prefix(s) { return s ~ /^s(v(m(m(\[([A-Za-z0-9_.-]+(\](\|([a-z]+:?)?)?)?)?)?)?)?)?$/ }
function take(s,   c) {
    learn(s)
    c = cut_at(s)
    if (c == 0) { print s; return }
    head = substr(s, 1, c - 1)
    intruder = substr(s, c)
    nq = 0
    learn(intruder)
}
function flush_queue(   i) { for (i = 1; i <= nq; i++) print q[i]; nq = 0 }
BEGIN { MAXQ = 8 }
{
    if (head == "") { take($0); next }
    # Another whole line before the tail of a line cut inside its prefix.
    if (partial_prefix(head) && starts_with_prefix($0) && !cut_at($0) && nq < MAXQ) { learn($0); q[++nq] = $0; next }
    if (starts_with_prefix($0) || $0 == "") {
        print head; print intruder; flush_queue(); head = ""
        take($0)
        next
    }
    print intruder
    flush_queue()
    joined = head $0
    head = ""
    take(joined)
}
END { if (head != "") { print head; print intruder; flush_queue() } }
