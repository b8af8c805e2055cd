# SPDX-License-Identifier: BSD-2-Clause
# Shared by tests/bench/sel4-*-split.py: reading a tbprof profile (tests/bench/tbprof.c: one line per
# translation block, "VADDR INSNS COUNT [PADDR]", hex addresses) and Microkit's report (report.txt)
# to tell the components apart. The seL4 kernel runs at 0x80_0000_0000 and up (hypervisor mode),
# Linux kernels at 0xffff...; the protection domains, all linked at one base, are told apart by the
# physical addresses the loader put their ELF segments at, and guests by those of their RAM.
import collections, re

GUEST_KERNEL = 0xffff000000000000  # a guest's Linux kernel: this and up
SEL4_KERNEL = 0x8000000000         # the seL4 kernel: this and up (below GUEST_KERNEL)


def pd_segments(report):
    """PD name -> physical ranges of its ELF segments (the report's "PD-ELF <pd>-<n> addr= size=")."""
    pds = collections.defaultdict(list)
    for m in re.finditer(r'PD-ELF (\S+)-\d+ addr=(0x[0-9a-f]+) size=(\d+)', open(report).read()):
        lo = int(m.group(2), 16)
        pds[m.group(1)].append((lo, lo + int(m.group(3))))
    return pds


def guest_ram(report):
    """VM name -> physical ranges of its guest RAM pages (memory region guest_ram_<vm>)."""
    ram = collections.defaultdict(list)
    for m in re.finditer(r'Page\((\d+) (KiB|MiB)\): MR=guest_ram_(\S+) .*?phys_addr=([0-9a-f]+)', open(report).read()):
        lo = int(m.group(4), 16)
        ram[m.group(3)].append((lo, lo + (int(m.group(1)) << (10 if m.group(2) == 'KiB' else 20))))
    return ram


def inside(ranges, paddr):
    return any(lo <= paddr < hi for lo, hi in ranges)


def pd_of(pds, paddr):
    """The PD whose ELF segments hold paddr, or None."""
    return next((pd for pd, ranges in pds.items() if inside(ranges, paddr)), None)


def load(prof, component):
    """Instructions per component(vaddr, paddr) over the profile's blocks (paddr 0 when absent)."""
    c = collections.Counter()
    for line in open(prof):
        f = line.split()
        c[component(int(f[0], 16), int(f[3], 16) if len(f) > 3 else 0)] += int(f[1]) * int(f[2])
    return c


def by_pd(pds, label):
    """component(vaddr, paddr) for runs whose guests need not be told apart: 'guest kernel', 'seL4
    kernel', label(pd) in a protection domain's code, else 'guest user'."""
    def component(vaddr, paddr):
        if vaddr >= GUEST_KERNEL:
            return 'guest kernel'
        if vaddr >= SEL4_KERNEL:
            return 'seL4 kernel'
        pd = pd_of(pds, paddr)
        return 'guest user' if pd is None else label(pd)
    return component
