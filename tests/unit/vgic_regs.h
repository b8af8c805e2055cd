/* SPDX-License-Identifier: BSD-2-Clause */
/* GIC register offsets the vgic tests use (GICD, and the same layout in the GICR SGI frame). */
#ifndef SVMM_TEST_VGIC_REGS_H
#define SVMM_TEST_VGIC_REGS_H

#define CTLR 0x0000u
#define TYPER 0x0004u
#define IIDR 0x0008u
#define IGROUPR 0x0080u
#define ISENABLER 0x0100u
#define ICENABLER 0x0180u
#define ISPENDR 0x0200u
#define ICPENDR 0x0280u
#define ISACTIVER 0x0300u
#define ICACTIVER 0x0380u
#define IPRIORITYR 0x0400u
#define ITARGETSR 0x0800u
#define ICFGR 0x0c00u
#define SGIR 0x0f00u
#define IROUTER(n) (0x6000u + 8u * (n))
#define PIDR2 0xffe8u
#define PIDR2_V2 0x0fe8u

/* GICR RD_base */
#define GICR_CTLR 0x0000u
#define GICR_IIDR 0x0004u
#define GICR_TYPER 0x0008u
#define GICR_WAKER 0x0014u

/* The register word and bit of `intid` in a one-bit-per-INTID array. */
#define REG32(base, intid) ((base) + (intid) / 32u * 4u)
#define BIT32(intid) (1u << ((intid) % 32u))

#endif
