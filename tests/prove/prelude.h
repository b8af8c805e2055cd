/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Included first in every Frama-C run (make prove), never by the compiler: contracts for the
 * compiler builtins the proved files call, which Frama-C does not know.
 */
/*@ assigns \nothing; */
void __atomic_thread_fence(int order);

/*
 * Assumed contracts of functions outside the proved files (docs/proofs.md lists them): the
 * platform's vCPU affinity table is a pure lookup.
 */
#include <stdint.h>
/*@ assigns \nothing; */
uint64_t svmm_arch_vcpu_affinity(unsigned index);
