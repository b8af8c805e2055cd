#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Instructions per idle guest second by component, from two tbprof profiles of runs that differ only
# in how long the guests idle (tests/bench/sel4-idle.sh). Components as in sel4-net-split.py, with the
# idle timer PD on its own line. usage: sel4-idle-split.py A.prof B.prof report.txt GUEST_SECONDS
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
import sel4prof  # noqa: E402 (tests/bench/sel4prof.py)

a_prof, b_prof, report, secs = sys.argv[1:5]
secs = int(secs)

component = sel4prof.by_pd(sel4prof.pd_segments(report), lambda pd:
                           'VMMs' if pd.startswith('vmm_') else 'idle timer PD' if pd == 'idle-timer' else 'other PDs')

a, b = sel4prof.load(a_prof, component), sel4prof.load(b_prof, component)
order = ['guest kernel', 'guest user', 'seL4 kernel', 'VMMs', 'idle timer PD', 'other PDs']
print(f'  {"component":14} {"instructions":>16} {"per guest s":>12}')
for k in order:
    d = b[k] - a[k]
    print(f'  {k:14} {d:16,} {d / secs:12,.0f}')
host = sum(b[k] - a[k] for k in ('seL4 kernel', 'VMMs', 'idle timer PD'))
print(f'  {"kernel + VMMs + idle timer":26} {host / secs:16,.0f} per idle guest second')
