#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Instructions per block request by component, from two tbprof profiles of runs that differ only in
# the requests the user VM makes (tests/bench/sel4-blk.sh): the user VM's disk is served by the
# driver VM's agent. usage:
#   sel4-blk-split.py A.prof A-report.txt B.prof B-report.txt USER_VM DRIVER_VM REQUESTS [LABEL]
# (each run's own Microkit report: the runs are separate builds)
# The two guests are told apart by the physical addresses of their RAM, and the protection domains,
# all linked at one base, by those of their ELF segments (both from Microkit's report.txt); in a
# guest, blocks at 0xffff... are its kernel's, the rest its user space's (the driver VM's: mostly
# svmm-blk-agent). Other blocks at 0x80_0000_0000 and up are the seL4 kernel's (hypervisor mode).
# Other protection domains (a block server, the idle timer) are listed by name. With no driver VM
# (a disk on a block server PD), its rows stay 0.
import collections, re, sys

a_prof, a_report, b_prof, b_report, user_vm, driver_vm, requests = sys.argv[1:8]
label = sys.argv[8] if len(sys.argv) > 8 else 'request'
requests = int(requests)

def layout(report):
    """PD name -> physical ranges of its ELF segments; VM name -> those of its guest RAM pages."""
    text = open(report).read()
    pds, ram = collections.defaultdict(list), collections.defaultdict(list)
    for m in re.finditer(r'PD-ELF (\S+)-\d+ addr=(0x[0-9a-f]+) size=(\d+)', text):
        lo = int(m.group(2), 16)
        pds[m.group(1)].append((lo, lo + int(m.group(3))))
    for m in re.finditer(r'Page\((\d+) (KiB|MiB)\): MR=guest_ram_(\S+) .*?phys_addr=([0-9a-f]+)', text):
        lo = int(m.group(4), 16)
        ram[m.group(3)].append((lo, lo + (int(m.group(1)) << (10 if m.group(2) == 'KiB' else 20))))
    return pds, ram

def inside(ranges, paddr):
    return any(lo <= paddr < hi for lo, hi in ranges)

def component(pds, ram, vaddr, paddr):
    # The guests first, by physical address: Linux user space reaches above 0x80_0000_0000 too.
    for vm, who in ((user_vm, 'user'), (driver_vm, 'driver')):
        if inside(ram[vm], paddr):
            return f'{who} guest kernel' if vaddr >= 0xffff000000000000 else f'{who} guest user'
    if vaddr >= 0x8000000000:
        return 'seL4 kernel'
    for pd, ranges in pds.items():
        if inside(ranges, paddr):
            return 'user VMM' if pd == f'vmm_{user_vm}' else 'driver VMM' if pd == f'vmm_{driver_vm}' else f'PD {pd}'
    return 'unknown'

def load(path, report):
    pds, ram = layout(report)
    c = collections.Counter()
    for line in open(path):
        f = line.split()
        vaddr, n, count = int(f[0], 16), int(f[1]), int(f[2])
        paddr = int(f[3], 16) if len(f) > 3 else 0
        c[component(pds, ram, vaddr, paddr)] += n * count
    return c

a, b = load(a_prof, a_report), load(b_prof, b_report)
order = ['user guest kernel', 'user guest user', 'seL4 kernel', 'user VMM', 'driver VMM', 'driver guest kernel',
         'driver guest user']
order += sorted(k for k in set(a) | set(b) if k not in order and k != 'unknown') + ['unknown']
total = sum(b.values()) - sum(a.values())
print(f'{requests} {label}s in B beyond A')
print(f'{"component":20} {"instructions":>16} {"per " + label:>14} {"share":>7}')
for k in order:
    d = b[k] - a[k]
    if k not in order[:7] and d == 0:
        continue
    print(f'{k:20} {d:16,} {d / requests if requests else 0:14,.0f} {100 * d / total if total else 0:6.1f}%')
print(f'{"all":20} {total:16,} {total / requests if requests else 0:14,.0f}')
