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
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
import sel4prof  # noqa: E402 (tests/bench/sel4prof.py)

a_prof, a_report, b_prof, b_report, user_vm, driver_vm, requests = sys.argv[1:8]
label = sys.argv[8] if len(sys.argv) > 8 else 'request'
requests = int(requests)

def load(prof, report):
    """Instructions per component, with the layout of this run's own build."""
    pds, ram = sel4prof.pd_segments(report), sel4prof.guest_ram(report)

    def component(vaddr, paddr):
        # The guests first, by physical address: Linux user space reaches above 0x80_0000_0000 too.
        for vm, who in ((user_vm, 'user'), (driver_vm, 'driver')):
            if sel4prof.inside(ram[vm], paddr):
                return f'{who} guest kernel' if vaddr >= sel4prof.GUEST_KERNEL else f'{who} guest user'
        if vaddr >= sel4prof.SEL4_KERNEL:
            return 'seL4 kernel'
        pd = sel4prof.pd_of(pds, paddr)
        if pd is None:
            return 'unknown'
        return 'user VMM' if pd == f'vmm_{user_vm}' else 'driver VMM' if pd == f'vmm_{driver_vm}' else f'PD {pd}'

    return sel4prof.load(prof, component)

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
