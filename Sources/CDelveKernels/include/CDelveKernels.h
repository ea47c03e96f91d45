// Hand-written kernels that beat the BLAS we ship on the shapes they take (see DelveLinearAlgebra's
// ChannelComoment for the Swift entry point and the shapes). Plain C, no unsafe compiler flags: the
// vector paths are compiled with per-function target attributes and chosen at run time.
#ifndef CDELVE_KERNELS_H
#define CDELVE_KERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// The kernel paths: 0 portable C, 1 AVX2 + FMA, 2 AVX-512 (F, VL, DQ).
enum { DELVE_KERNEL_PORTABLE = 0, DELVE_KERNEL_AVX2 = 1, DELVE_KERNEL_AVX512 = 2 };

/// The best path this CPU runs (checked once with __builtin_cpu_supports; portable off x86-64).
int delve_kernel_best_path(void);

/// Centred channel co-moment of NCHW float32 samples, accumulated in float64:
///
///     M[i][j] += Σ_{b < samples} Σ_{p < spatial} (x[b][i][p] − μ_i)·(x[b][j][p] − μ_j)   for i ≤ j,
///     t[i]    += Σ_{b < samples} Σ_{p < spatial} (x[b][i][p] − μ_i)                      (if sums ≠ NULL),
///
/// where x[b][i][p] = x[(b·channels + i)·spatial + p] and μ = mean (float64; a shift when the caller
/// corrects with t: Σ (x − x̄)(x − x̄)ᵀ = M − t tᵀ/n). The vector paths widen and centre each value once
/// into a per-thread float64 scratch (chunks of positions, grown once and kept for the thread's life;
/// on AVX-512 inside the diagonal tiles), summing t on the way, and sum the products in float64
/// register tiles. Only the upper triangle of M
/// (row-major, leading dimension ldm) is written. `path` is clamped to what the CPU supports.
/// `ahead` (may be NULL): the ahead_count floats the caller passes next, brought into L2 while the
/// tiles of the last chunk run (only read by prefetch instructions, never dereferenced).
void delve_channel_comoment_f32(int path, const float *x, long samples, long channels, long spatial,
                                const double *mean, double *moment, long ldm, double *sums, const float *ahead,
                                long ahead_count);

/// Float32 mode's channel co-moment: as delve_channel_comoment_f32, but centred on s = the shift rounded
/// to float32 (x − s in float32, exact while x is within a factor of two of s) with float32 products:
///
///     M[i][j] += Σ (x[b][i][p] − s_i)·(x[b][j][p] − s_j)   for i ≤ j,   t[i] += Σ (x[b][i][p] − s_i)
///
/// Each float32 accumulator lane sums at most 256 products before it is added into M in float64; t is
/// summed in float64. x is read in place (AVX-512 with HW < 128: chunks of samples centred into the
/// per-thread scratch first). Returns 1, or 0 when a float32 partial (or a shift in float32) is not
/// finite — an overflow or a NaN/∞ in x — or, for C > 256, the float32 shifts could not be allocated;
/// M and t then hold partial sums and the caller redoes the block
/// (e.g. with delve_channel_comoment_f32 on zeroed M and t). Pass a float32-representable shift to have
/// t relative to exactly that shift. (No prefetch of the next block: the tiles read x from L2 at twice
/// the float64 rate, and prefetch traffic beside them slowed them in scripts/comoment-bench.c.)
int delve_channel_comoment_f32_fast(int path, const float *x, long samples, long channels, long spatial,
                                    const double *shift, double *moment, long ldm, double *sums);

#ifdef __cplusplus
}
#endif
#endif
