#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# Instructions per frame by component, from two tbprof profiles of runs that differ only in the
# frames sent (tests/bench/sel4-net.sh). usage: sel4-net-split.py A.prof B.prof report.txt FRAMES_A FRAMES_B
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
import sel4prof  # noqa: E402 (tests/bench/sel4prof.py)

a_prof, b_prof, report, frames_a, frames_b = sys.argv[1:6]
frames = int(frames_b) - int(frames_a)

component = sel4prof.by_pd(sel4prof.pd_segments(report), lambda pd:
                           'switch PD' if pd.startswith('switch_') else 'VMMs' if pd.startswith('vmm_') else 'other PDs')

a, b = sel4prof.load(a_prof, component), sel4prof.load(b_prof, component)
order = ['guest kernel', 'guest user', 'seL4 kernel', 'VMMs', 'switch PD', 'other PDs']
total = sum(b.values()) - sum(a.values())
print(f'data frames alpha sent in B beyond A: {frames} (A {frames_a}, B {frames_b})')
print(f'{"component":14} {"instructions":>16} {"per frame":>10} {"share":>7}')
for k in order:
    d = b[k] - a[k]
    print(f'{k:14} {d:16,} {d / frames if frames else 0:10,.0f} {100 * d / total if total else 0:6.1f}%')
print(f'{"all":14} {total:16,} {total / frames if frames else 0:10,.0f}')
