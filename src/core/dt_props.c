/* SPDX-License-Identifier: BSD-2-Clause */
/* Device-tree property helpers: big-endian cell lists and 2+2-cell `reg` properties (svmm/dt_props.h). */
#include <libfdt.h>
#include <svmm/dt_props.h>

int svmm_dt_prop_cells(void *fdt, const char *name, const uint32_t *cells, unsigned n)
{
    fdt32_t be[16];

    if (n > 16)
        return -FDT_ERR_BADVALUE;
    for (unsigned i = 0; i < n; i++)
        be[i] = cpu_to_fdt32(cells[i]);
    return fdt_property(fdt, name, be, (int)(n * sizeof(be[0])));
}

int svmm_dt_prop_reg(void *fdt, const uint64_t *pairs, unsigned n)
{
    uint32_t cells[16];

    if (n > 4)
        return -FDT_ERR_BADVALUE;
    for (unsigned i = 0; i < 2 * n; i++) {
        cells[2 * i] = (uint32_t)(pairs[i] >> 32);
        cells[2 * i + 1] = (uint32_t)pairs[i];
    }
    return svmm_dt_prop_cells(fdt, "reg", cells, 4 * n);
}
