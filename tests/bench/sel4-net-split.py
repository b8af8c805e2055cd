#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Instructions per frame by component, from two tbprof profiles of runs that differ only in the
# frames sent (tests/bench/sel4-net.sh). usage: sel4-net-split.py A.prof B.prof report.txt FRAMES_A FRAMES_B
import collections, re, sys

a_prof, b_prof, report, frames_a, frames_b = sys.argv[1:6]
frames = int(frames_b) - int(frames_a)

# Protection-domain ELF segments: name -> physical ranges (Microkit's report, "PD-ELF <pd>-<n>").
pds = collections.defaultdict(list)
for m in re.finditer(r'PD-ELF (\S+)-\d+ addr=(0x[0-9a-f]+) size=(\d+)', open(report).read()):
    pds[m.group(1)].append((int(m.group(2), 16), int(m.group(2), 16) + int(m.group(3))))

def component(vaddr, paddr):
    if vaddr >= 0xffff000000000000:
        return 'guest kernel'
    if vaddr >= 0x8000000000:
        return 'seL4 kernel'
    for pd, ranges in pds.items():
        if any(lo <= paddr < hi for lo, hi in ranges):
            return 'switch PD' if pd.startswith('switch_') else 'VMMs' if pd.startswith('vmm_') else 'other PDs'
    return 'guest user'

def load(path):
    c = collections.Counter()
    for line in open(path):
        f = line.split()
        vaddr, n, count = int(f[0], 16), int(f[1]), int(f[2])
        paddr = int(f[3], 16) if len(f) > 3 else 0
        c[component(vaddr, paddr)] += n * count
    return c

a, b = load(a_prof), load(b_prof)
order = ['guest kernel', 'guest user', 'seL4 kernel', 'VMMs', 'switch PD', 'other PDs']
total = sum(b.values()) - sum(a.values())
print(f'data frames alpha sent in B beyond A: {frames} (A {frames_a}, B {frames_b})')
print(f'{"component":14} {"instructions":>16} {"per frame":>10} {"share":>7}')
for k in order:
    d = b[k] - a[k]
    print(f'{k:14} {d:16,} {d / frames if frames else 0:10,.0f} {100 * d / total if total else 0:6.1f}%')
print(f'{"all":14} {total:16,} {total / frames if frames else 0:10,.0f}')
