#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Instructions per idle guest second by component, from two tbprof profiles of runs that differ only
# in how long the guests idle (tests/bench/sel4-idle.sh). Components as in sel4-net-split.py, with the
# idle timer PD on its own line. usage: sel4-idle-split.py A.prof B.prof report.txt GUEST_SECONDS
import collections, re, sys

a_prof, b_prof, report, secs = sys.argv[1:5]
secs = int(secs)

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
            return 'VMMs' if pd.startswith('vmm_') else 'idle timer PD' if pd == 'idle-timer' else 'other PDs'
    return 'guest user'

def load(path):
    c = collections.Counter()
    for line in open(path):
        f = line.split()
        c[component(int(f[0], 16), int(f[3], 16) if len(f) > 3 else 0)] += int(f[1]) * int(f[2])
    return c

a, b = load(a_prof), load(b_prof)
order = ['guest kernel', 'guest user', 'seL4 kernel', 'VMMs', 'idle timer PD', 'other PDs']
print(f'  {"component":14} {"instructions":>16} {"per guest s":>12}')
for k in order:
    d = b[k] - a[k]
    print(f'  {k:14} {d:16,} {d / secs:12,.0f}')
host = sum(b[k] - a[k] for k in ('seL4 kernel', 'VMMs', 'idle timer PD'))
print(f'  {"kernel + VMMs + idle timer":26} {host / secs:16,.0f} per idle guest second')
