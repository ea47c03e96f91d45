// The centred channel co-moment M += Σ (x − μ)(x − μ)ᵀ of NCHW float32 blocks in float64.
//
// Per sample the block is a channels × spatial matrix with a long contiguous inner dimension; the
// kernels keep an R × S tile of M as R·S vector accumulators whose lanes run over positions p, widen
// and centre the R + S channel rows of each vector step in registers, and reduce the lanes once per
// tile at the end. Tiles cover the upper triangle only; edge tiles repeat the last channel (results
// for the repeated rows are not stored).
#include "CDelveKernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define DELVE_X86 1
#endif

static inline long clampl(long v, long hi) { return v < hi ? v : hi; }

// ---------------------------------------------------------------------------------------------------
// Portable: 4 × 4 tiles, scalar float64.
static void comoment_portable(const float *x, long samples, long c, long s, const double *mean,
                              double *m, long ldm) {
    for (long i0 = 0; i0 < c; i0 += 4) {
        for (long j0 = i0; j0 < c; j0 += 4) {
            long ri[4], cj[4];
            for (int t = 0; t < 4; t++) { ri[t] = clampl(i0 + t, c - 1); cj[t] = clampl(j0 + t, c - 1); }
            double acc[4][4] = {{0}};
            for (long b = 0; b < samples; b++) {
                const float *base = x + b * c * s;
                const float *a0 = base + ri[0] * s, *a1 = base + ri[1] * s, *a2 = base + ri[2] * s, *a3 = base + ri[3] * s;
                const float *b0 = base + cj[0] * s, *b1 = base + cj[1] * s, *b2 = base + cj[2] * s, *b3 = base + cj[3] * s;
                for (long p = 0; p < s; p++) {
                    double u[4] = {(double)a0[p] - mean[ri[0]], (double)a1[p] - mean[ri[1]],
                                   (double)a2[p] - mean[ri[2]], (double)a3[p] - mean[ri[3]]};
                    double v[4] = {(double)b0[p] - mean[cj[0]], (double)b1[p] - mean[cj[1]],
                                   (double)b2[p] - mean[cj[2]], (double)b3[p] - mean[cj[3]]};
                    for (int r = 0; r < 4; r++)
                        for (int q = 0; q < 4; q++) acc[r][q] += u[r] * v[q];
                }
            }
            for (int r = 0; r < 4; r++) {
                if (i0 + r >= c) break;
                for (int q = 0; q < 4; q++) {
                    long j = j0 + q;
                    if (j >= c) break;
                    if (j >= i0 + r) m[(i0 + r) * ldm + j] += acc[r][q];
                }
            }
        }
    }
}

#ifdef DELVE_X86
// ---------------------------------------------------------------------------------------------------
// AVX-512: 4 × 4 tiles of 8-lane float64 accumulators (diagonal tiles keep only their 10 upper
// accumulators and load 4 rows); tails of spatial with masked loads (zero lanes).
#define T512 __attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma")))

T512 static inline __m512d load512_tail(const float *p, __mmask8 k, double mu) {
    return _mm512_maskz_sub_pd(k, _mm512_cvtps_pd(_mm256_maskz_loadu_ps(k, p)), _mm512_set1_pd(mu));
}

// One R × S tile of M over all samples (R, S ≤ 6, compile-time constants after inlining): per vector
// step, widen and centre R row vectors, then each column vector in turn, multiply-adding it into the R
// accumulators of its column (R + 1 + R·S live registers). `tri`: a diagonal tile (rows == columns,
// only q ≥ r). Positions past the last multiple of 8 go through masked loads (zero lanes).
T512 static inline __attribute__((always_inline)) void
step512(const int R, const int S, const int tri, const float *base, long s, long p, __mmask8 k,
        const long *ri, const long *qi, const double *mean, __m512d acc[6][6]) {
    __m512d u[6];
    for (int r = 0; r < R; r++) u[r] = load512_tail(base + ri[r] * s + p, k, mean[ri[r]]);
    for (int q = 0; q < S; q++) {
        const __m512d v = tri ? u[q] : load512_tail(base + qi[q] * s + p, k, mean[qi[q]]);
        for (int r = 0; r < R; r++)
            if (!tri || q >= r) acc[r][q] = _mm512_fmadd_pd(u[r], v, acc[r][q]);
    }
}

T512 static inline __attribute__((always_inline)) void
tile512(const int R, const int S, const int tri, const float *x, long samples, long c, long s,
        const double *mean, double *m, long ldm, long i0, long j0) {
    const long body = s & ~7L;
    const __mmask8 tail = (__mmask8)((1u << (s & 7)) - 1u);
    long ri[6], qi[6];
    for (int r = 0; r < R; r++) ri[r] = clampl(i0 + r, c - 1);
    for (int q = 0; q < S; q++) qi[q] = clampl(j0 + q, c - 1);
    __m512d acc[6][6];
    for (int r = 0; r < R; r++)
        for (int q = 0; q < S; q++) acc[r][q] = _mm512_setzero_pd();
    for (long b = 0; b < samples; b++) {
        const float *base = x + b * c * s;
        long p = 0;
        for (; p < body; p += 8) step512(R, S, tri, base, s, p, (__mmask8)0xFF, ri, qi, mean, acc);
        if (tail) step512(R, S, tri, base, s, p, tail, ri, qi, mean, acc);
    }
    for (int r = 0; r < R && i0 + r < c; r++)
        for (int q = 0; q < S && j0 + q < c; q++)
            if (j0 + q >= i0 + r && (!tri || q >= r)) m[(i0 + r) * ldm + j0 + q] += _mm512_reduce_add_pd(acc[r][q]);
}

// Tile sizes: 4 × 4 (4 × 5 and 4 × 6 measured no faster; larger tiles spill).
enum { TR = 4, TS = 4 };

T512 static void comoment_avx512(const float *x, long samples, long c, long s, const double *mean,
                                 double *m, long ldm) {
    for (long i0 = 0; i0 < c; i0 += TR) {
        tile512(TR, TR, 1, x, samples, c, s, mean, m, ldm, i0, i0);
        for (long j0 = i0 + TR; j0 < c; j0 += TS) tile512(TR, TS, 0, x, samples, c, s, mean, m, ldm, i0, j0);
    }
}

// ---------------------------------------------------------------------------------------------------
// AVX2: 3 × 3 tiles of 4-lane float64 accumulators (16 vector registers); scalar tail of spatial.
#define T256 __attribute__((target("avx2,fma")))

T256 static inline __m256d load256(const float *p, double mu) {
    return _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(p)), _mm256_set1_pd(mu));
}

T256 static inline double hsum256(__m256d v) {
    __m128d lo = _mm256_castpd256_pd128(v), hi = _mm256_extractf128_pd(v, 1);
    lo = _mm_add_pd(lo, hi);
    return _mm_cvtsd_f64(_mm_add_sd(lo, _mm_unpackhi_pd(lo, lo)));
}

T256 static void comoment_avx2(const float *x, long samples, long c, long s, const double *mean,
                               double *m, long ldm) {
    const long body = s & ~3L;
    for (long i0 = 0; i0 < c; i0 += 3) {
        for (long j0 = i0; j0 < c; j0 += 3) {
            const long r[3] = {clampl(i0, c - 1), clampl(i0 + 1, c - 1), clampl(i0 + 2, c - 1)};
            const long q[3] = {clampl(j0, c - 1), clampl(j0 + 1, c - 1), clampl(j0 + 2, c - 1)};
            __m256d a00 = _mm256_setzero_pd(), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
            __m256d a20 = a00, a21 = a00, a22 = a00;
            double t[3][3] = {{0}};
            for (long b = 0; b < samples; b++) {
                const float *base = x + b * c * s;
                const float *pa0 = base + r[0] * s, *pa1 = base + r[1] * s, *pa2 = base + r[2] * s;
                const float *pb0 = base + q[0] * s, *pb1 = base + q[1] * s, *pb2 = base + q[2] * s;
                long p = 0;
                for (; p < body; p += 4) {
                    __m256d u0 = load256(pa0 + p, mean[r[0]]), u1 = load256(pa1 + p, mean[r[1]]);
                    __m256d u2 = load256(pa2 + p, mean[r[2]]);
                    __m256d v0 = load256(pb0 + p, mean[q[0]]), v1 = load256(pb1 + p, mean[q[1]]);
                    __m256d v2 = load256(pb2 + p, mean[q[2]]);
                    a00 = _mm256_fmadd_pd(u0, v0, a00); a01 = _mm256_fmadd_pd(u0, v1, a01); a02 = _mm256_fmadd_pd(u0, v2, a02);
                    a10 = _mm256_fmadd_pd(u1, v0, a10); a11 = _mm256_fmadd_pd(u1, v1, a11); a12 = _mm256_fmadd_pd(u1, v2, a12);
                    a20 = _mm256_fmadd_pd(u2, v0, a20); a21 = _mm256_fmadd_pd(u2, v1, a21); a22 = _mm256_fmadd_pd(u2, v2, a22);
                }
                for (; p < s; p++) {
                    double u[3] = {(double)pa0[p] - mean[r[0]], (double)pa1[p] - mean[r[1]], (double)pa2[p] - mean[r[2]]};
                    double v[3] = {(double)pb0[p] - mean[q[0]], (double)pb1[p] - mean[q[1]], (double)pb2[p] - mean[q[2]]};
                    for (int k = 0; k < 3; k++)
                        for (int l = 0; l < 3; l++) t[k][l] += u[k] * v[l];
                }
            }
            double acc[3][3] = {
                {hsum256(a00) + t[0][0], hsum256(a01) + t[0][1], hsum256(a02) + t[0][2]},
                {hsum256(a10) + t[1][0], hsum256(a11) + t[1][1], hsum256(a12) + t[1][2]},
                {hsum256(a20) + t[2][0], hsum256(a21) + t[2][1], hsum256(a22) + t[2][2]},
            };
            for (int k = 0; k < 3; k++) {
                if (i0 + k >= c) break;
                for (int l = 0; l < 3; l++) {
                    long j = j0 + l;
                    if (j >= c) break;
                    if (j >= i0 + k) m[(i0 + k) * ldm + j] += acc[k][l];
                }
            }
        }
    }
}
#endif

int delve_kernel_best_path(void) {
#ifdef DELVE_X86
    static int cached = -1;
    int path = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (path >= 0) return path;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        path = DELVE_KERNEL_AVX512;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        path = DELVE_KERNEL_AVX2;
    else
        path = DELVE_KERNEL_PORTABLE;
    __atomic_store_n(&cached, path, __ATOMIC_RELAXED);
    return path;
#else
    return DELVE_KERNEL_PORTABLE;
#endif
}

void delve_channel_comoment_f32(int path, const float *x, long samples, long channels, long spatial,
                                const double *mean, double *moment, long ldm) {
    if (samples <= 0 || channels <= 0 || spatial <= 0) return;
    int best = delve_kernel_best_path();
    if (path > best) path = best;
#ifdef DELVE_X86
    if (path == DELVE_KERNEL_AVX512) { comoment_avx512(x, samples, channels, spatial, mean, moment, ldm); return; }
    if (path == DELVE_KERNEL_AVX2) { comoment_avx2(x, samples, channels, spatial, mean, moment, ldm); return; }
#endif
    comoment_portable(x, samples, channels, spatial, mean, moment, ldm);
}
