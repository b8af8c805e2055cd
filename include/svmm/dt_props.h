/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Device-tree property helpers (libfdt's sequential-write API), shared by the machine layer's
 * guest DT (src/machine/guest_dt.c) and each architecture's nodes (dt.c of each src/arch folder).
 */
#ifndef SVMM_DT_PROPS_H
#define SVMM_DT_PROPS_H

#include <stdint.h>

/* phandle of the interrupt controller node, referenced by interrupt-parent. */
#define SVMM_DT_PHANDLE_GIC 1u

/* A property of big-endian 32-bit cells (n <= 16); 0 or a negative libfdt error. */
int svmm_dt_prop_cells(void *fdt, const char *name, const uint32_t *cells, unsigned n);
/* A `reg` property of (address, size) pairs with 2 address and 2 size cells (n pairs <= 4). */
int svmm_dt_prop_reg(void *fdt, const uint64_t *pairs, unsigned n);

#endif
