#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Difference of two tbprof.so profiles (runs that differ only in the bench guest's N), per exit, by
# region and symbol. usage: tbprof-diff.py SMALL.txt BIG.txt sel4.elf svmm.elf EXITS_IN_DIFFERENCE [TOP]
import sys, subprocess, bisect, collections
def syms(elf):
    out = subprocess.run(['aarch64-linux-gnu-nm', '-n', elf], capture_output=True, text=True).stdout
    s = []
    for l in out.splitlines():
        p = l.split()
        if len(p) == 3 and p[1] in 'tTwW':
            s.append((int(p[0], 16), p[2]))
    s.sort()
    return s
def load(f):
    d = collections.Counter()
    for l in open(f):
        a, n, c = l.split()[:3]  # a fourth column (paddr) is not used here
        d[int(a, 16)] += int(n) * int(c)
    return d
a, b, kelf, velf, exits = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
da, db = load(a), load(b)
ks, vs = syms(kelf), syms(velf)
def name(addr):
    for tab, tag in ((ks, 'kernel'), (vs, 'vmm')):
        if tab and tab[0][0] <= addr and (tag == 'vmm' and addr < 0x1000000 or tag == 'kernel' and addr >= ks[0][0]):
            i = bisect.bisect_right([x[0] for x in tab], addr) - 1
            return tag, tab[i][1]
    if 0x40000000 <= addr < 0x50000000: return 'guest', 'guest'
    return 'other', hex(addr)
region = collections.Counter(); fn = collections.Counter()
for addr in set(da) | set(db):
    d = db[addr] - da[addr]
    t, n = name(addr)
    region[t] += d; fn[(t, n)] += d
tot = sum(region.values())
print('per exit: %.0f instructions over %d exits' % (tot / exits, exits))
for t, v in region.most_common(): print('  %-7s %7.0f' % (t, v / exits))
for (t, n), v in fn.most_common(int(sys.argv[6]) if len(sys.argv) > 6 else 40):
    print('  %-7s %-40s %7.1f' % (t, n, v / exits))
