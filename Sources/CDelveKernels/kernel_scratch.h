// Internal to CDelveKernels: the per-thread scratch the kernels share (comoment.c owns it; one kernel
// call at a time per thread uses it).
#ifndef CDELVE_KERNEL_SCRATCH_H
#define CDELVE_KERNEL_SCRATCH_H

// At least `doubles` float64 values, 64-byte aligned, grown once and kept for the thread's life (freed
// when it ends); NULL when the allocation fails.
double *delve_kernel_scratch(long doubles);

#endif
