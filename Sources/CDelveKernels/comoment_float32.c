// Float32 mode's channel co-moment: M += Σ (x − s)(x − s)ᵀ with float32 products, and t += Σ (x − s) in
// float64, where s is the caller's shift rounded to float32 (so x − s is exact while x is within a
// factor of two of s, Sterbenz). No widening: the paths read x in place and centre each loaded vector
// with one float32 subtraction (AVX-512 with rows shorter than 128 centres chunks of samples into the
// per-thread scratch first, see comoment_f32_avx512_packed); an R × S tile of M is kept as R·S float32 vector
// accumulators whose lanes run over positions (AVX-512 16 lanes, 4 × 4; AVX2 8 lanes, 3 × 3; portable
// scalar 4 × 4). Each accumulator sums at most F32_TERMS products per lane before its lanes are added
// into float64 (the float32 rounding error stays that of a sum of F32_TERMS terms, like float32 mode's
// `ssyrk` over one pending block). The channel sums are a separate float64 pass over x (each value
// widened, then centred), run first: one sequential read that brings the block into cache for the
// tiles. Returns 0 when a float32 partial is not finite (an overflow, or a NaN/∞ in x): the caller
// redoes the block in float64.
#include "CDelveKernels.h"
#include "kernel_scratch.h"

#include <math.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define DELVE_X86 1
#endif

// Products per float32 accumulator (per lane) before it is added into float64.
enum { F32_TERMS = 256 };

static inline long minl(long a, long b) { return a < b ? a : b; }
static inline long clampl(long v, long hi) { return v < hi ? v : hi; }

// t[ch] += Σ (x − s[ch]) in float64 (widened, then centred), eight partial sums.
static void sums_portable(const float *x, long samples, long c, long s, const float *shift, double *sums) {
    for (long ch = 0; ch < c; ch++) {
        const double mu = (double)shift[ch];
        double lane[8] = {0};
        double tail = 0;
        for (long b = 0; b < samples; b++) {
            const float *row = x + (b * c + ch) * s;
            long p = 0;
            for (; p + 8 <= s; p += 8)
                for (int k = 0; k < 8; k++) lane[k] += (double)row[p + k] - mu;
            for (; p < s; p++) tail += (double)row[p] - mu;
        }
        sums[ch] += ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7])) + tail;
    }
}

// Portable: 4 × 4 tiles of scalar float32 accumulators, flushed into float64 every F32_TERMS positions.
static int comoment_f32_portable(const float *x, long samples, long c, long s, const float *mu, double *m,
                                 long ldm) {
    int ok = 1;
    for (long i0 = 0; i0 < c; i0 += 4) {
        for (long j0 = i0; j0 < c; j0 += 4) {
            long ri[4], cj[4];
            for (int t = 0; t < 4; t++) { ri[t] = clampl(i0 + t, c - 1); cj[t] = clampl(j0 + t, c - 1); }
            double tot[4][4] = {{0}};
            float acc[4][4] = {{0}};
            long terms = 0;
            for (long b = 0; b < samples; b++) {
                const float *base = x + b * c * s;
                for (long p = 0; p < s; p++) {
                    float u[4], v[4];
                    for (int t = 0; t < 4; t++) {
                        u[t] = base[ri[t] * s + p] - mu[ri[t]];
                        v[t] = base[cj[t] * s + p] - mu[cj[t]];
                    }
                    for (int r = 0; r < 4; r++)
                        for (int q = 0; q < 4; q++) acc[r][q] += u[r] * v[q];
                    if (++terms == F32_TERMS) {
                        for (int r = 0; r < 4; r++)
                            for (int q = 0; q < 4; q++) { tot[r][q] += (double)acc[r][q]; acc[r][q] = 0; }
                        terms = 0;
                    }
                }
            }
            for (int r = 0; r < 4; r++) {
                if (i0 + r >= c) break;
                for (int q = 0; q < 4; q++) {
                    const long j = j0 + q;
                    if (j >= c) break;
                    const double v = tot[r][q] + (double)acc[r][q];
                    if (!isfinite(v)) ok = 0;
                    if (j >= i0 + r) m[(i0 + r) * ldm + j] += v;
                }
            }
        }
    }
    return ok;
}

#ifdef DELVE_X86
// ---------------------------------------------------------------------------------------------------
// AVX-512: 16-lane float32 vectors, 4 × 4 tiles (16 accumulators, 4 row vectors, one column vector).
// Not wider: x's rows are read in place, and with HW a multiple of 1024 they lie a multiple of 4 KiB
// apart, all in one L1 set of 8 ways — a 4 × 6 tile's 10 rows miss where 4 × 4's 8 do not.
#define T512 __attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma")))

// The lanes of a float32 accumulator, widened and summed in float64.
T512 static inline double widen_sum512(__m512 a) {
    const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(a));
    const __m512d hi = _mm512_cvtps_pd(_mm512_extractf32x8_ps(a, 1));
    return _mm512_reduce_add_pd(_mm512_add_pd(lo, hi));
}

// One step of 16 positions (masked: zero lanes past the row's end): centre R row vectors, then each
// column vector in turn, multiply-adding it into the R accumulators of its column. `tri`: a diagonal
// tile (rows == columns, only q ≥ r).
T512 static inline __attribute__((always_inline)) void
step512f(const int R, const int S, const int tri, const float *base, long ld, long p, __mmask16 k,
         const long *ri, const long *qi, const float *mu, __m512 acc[6][6]) {
    __m512 u[6];
    for (int r = 0; r < R; r++)
        u[r] = _mm512_maskz_sub_ps(k, _mm512_maskz_loadu_ps(k, base + ri[r] * ld + p), _mm512_set1_ps(mu[ri[r]]));
    for (int q = 0; q < S; q++) {
        const __m512 v = tri ? u[q]
                             : _mm512_maskz_sub_ps(k, _mm512_maskz_loadu_ps(k, base + qi[q] * ld + p),
                                                   _mm512_set1_ps(mu[qi[q]]));
        for (int r = 0; r < R; r++)
            if (!tri || q >= r) acc[r][q] = _mm512_fmadd_ps(u[r], v, acc[r][q]);
    }
}

// The full-vector step (no mask, so plain loads and subtractions).
T512 static inline __attribute__((always_inline)) void
step512f_full(const int R, const int S, const int tri, const float *base, long ld, long p, const long *ri,
              const long *qi, const float *mu, __m512 acc[6][6]) {
    __m512 u[6];
    for (int r = 0; r < R; r++) u[r] = _mm512_sub_ps(_mm512_loadu_ps(base + ri[r] * ld + p), _mm512_set1_ps(mu[ri[r]]));
    for (int q = 0; q < S; q++) {
        const __m512 v = tri ? u[q] : _mm512_sub_ps(_mm512_loadu_ps(base + qi[q] * ld + p), _mm512_set1_ps(mu[qi[q]]));
        for (int r = 0; r < R; r++)
            if (!tri || q >= r) acc[r][q] = _mm512_fmadd_ps(u[r], v, acc[r][q]);
    }
}

// Adds the accumulators' widened lanes into tot and clears them.
T512 static inline __attribute__((always_inline)) void
flush512f(const int R, const int S, const int tri, __m512 acc[6][6], double tot[6][6]) {
    for (int r = 0; r < R; r++)
        for (int q = tri ? r : 0; q < S; q++) {
            tot[r][q] += widen_sum512(acc[r][q]);
            acc[r][q] = _mm512_setzero_ps();
        }
}

// One R × S tile of M over all samples (R, S ≤ 4, compile-time after inlining; edge tiles repeat the
// last channel and do not store it). Returns 0 if a partial was not finite.
T512 static inline __attribute__((always_inline)) int
tile512f(const int R, const int S, const int tri, const float *x, long samples, long c, long s, long ld,
         const float *mu, double *m, long ldm, long i0, long j0) {
    const long body = s & ~15L;
    const __mmask16 tail = (__mmask16)((1u << (s & 15)) - 1u);
    long ri[6], qi[6];
    for (int r = 0; r < R; r++) ri[r] = clampl(i0 + r, c - 1);
    for (int q = 0; q < S; q++) qi[q] = clampl(j0 + q, c - 1);
    __m512 acc[6][6];
    double tot[6][6];
    for (int r = 0; r < R; r++)
        for (int q = 0; q < S; q++) { acc[r][q] = _mm512_setzero_ps(); tot[r][q] = 0; }
    long terms = 0;   // products per lane since the last flush
    for (long b = 0; b < samples; b++) {
        const float *base = x + b * c * ld;
        long p = 0;
        while (p < body) {
            const long end = minl(body, p + (F32_TERMS - terms) * 16);
            terms += (end - p) / 16;
            for (; p < end; p += 16) step512f_full(R, S, tri, base, ld, p, ri, qi, mu, acc);
            if (terms == F32_TERMS) { flush512f(R, S, tri, acc, tot); terms = 0; }
        }
        if (tail) {
            step512f(R, S, tri, base, ld, p, tail, ri, qi, mu, acc);
            if (++terms == F32_TERMS) { flush512f(R, S, tri, acc, tot); terms = 0; }
        }
    }
    flush512f(R, S, tri, acc, tot);
    int ok = 1;
    for (int r = 0; r < R && i0 + r < c; r++)
        for (int q = tri ? r : 0; q < S && j0 + q < c; q++) {
            if (!isfinite(tot[r][q])) ok = 0;
            if (j0 + q >= i0 + r) m[(i0 + r) * ldm + j0 + q] += tot[r][q];
        }
    return ok;
}

#define TILE512F_ROW(R)                                                                                \
    do {                                                                                               \
        ok &= tile512f(R, R, 1, x, samples, c, s, ld, mu, m, ldm, i0, i0);                                 \
        long j0 = i0 + R;                                                                              \
        for (; j0 + 4 <= c; j0 += 4) ok &= tile512f(R, 4, 0, x, samples, c, s, ld, mu, m, ldm, i0, j0);    \
        switch (c - j0) {                                                                              \
        case 3: ok &= tile512f(R, 3, 0, x, samples, c, s, ld, mu, m, ldm, i0, j0); break;                  \
        case 2: ok &= tile512f(R, 2, 0, x, samples, c, s, ld, mu, m, ldm, i0, j0); break;                  \
        case 1: ok &= tile512f(R, 1, 0, x, samples, c, s, ld, mu, m, ldm, i0, j0); break;                  \
        default: break;                                                                                \
        }                                                                                              \
    } while (0)

// Samples of C rows of s positions, row stride ld (x's own: ld = s; the packed scratch: one "sample").
T512 static int comoment_f32_avx512(const float *x, long samples, long c, long s, long ld, const float *mu,
                                    double *m, long ldm) {
    int ok = 1;
    for (long i0 = 0; i0 < c; i0 += 4) {
        switch (minl(c - i0, 4)) {
        case 4: TILE512F_ROW(4); break;
        case 3: TILE512F_ROW(3); break;
        case 2: TILE512F_ROW(2); break;
        default: TILE512F_ROW(1); break;
        }
    }
    return ok;
}

// Short rows (HW < F32_PACK_BELOW): a chunk of whole samples (about F32_CHUNK_FLOATS values) is centred
// in float32 into the per-thread scratch — row ch = channel ch of the chunk's observations, sample after
// sample, zeros up to a multiple of 16; a row stride that is a multiple of 1024 floats gets 16 more —
// and the tiles run over its contiguous rows as one sample with zero shifts (u − 0 = u). Direct reads
// instead when the scratch cannot be allocated.
enum { F32_PACK_BELOW = 128, F32_CHUNK_FLOATS = 65536 };

T512 static int comoment_f32_avx512_packed(const float *x, long samples, long c, long s, const float *mu,
                                           double *m, long ldm) {
    long per = F32_CHUNK_FLOATS / (c * s);
    if (per < 1) per = 1;
    if (per > samples) per = samples;
    long ld = (per * s + 15) & ~15L;
    if (ld % 1024 == 0) ld += 16;
    float *buf = (float *)delve_kernel_scratch((c * ld + c + 1) / 2);
    if (!buf) return comoment_f32_avx512(x, samples, c, s, s, mu, m, ldm);
    float *zero = buf + c * ld;
    for (long ch = 0; ch < c; ch++) zero[ch] = 0;
    const __mmask16 tail = (__mmask16)((1u << (s & 15)) - 1u);
    const long body = s & ~15L;
    int ok = 1;
    for (long b0 = 0; b0 < samples; b0 += per) {
        const long nb = minl(per, samples - b0), len = nb * s, len16 = (len + 15) & ~15L;
        for (long ch = 0; ch < c; ch++) {
            const __m512 shift = _mm512_set1_ps(mu[ch]);
            float *row = buf + ch * ld;
            for (long b = 0; b < nb; b++) {
                const float *src = x + ((b0 + b) * c + ch) * s;
                float *dst = row + b * s;
                for (long t = 0; t < body; t += 16) _mm512_storeu_ps(dst + t, _mm512_sub_ps(_mm512_loadu_ps(src + t), shift));
                if (tail)
                    _mm512_mask_storeu_ps(dst + body, tail,
                                          _mm512_maskz_sub_ps(tail, _mm512_maskz_loadu_ps(tail, src + body), shift));
            }
            for (long t = len; t < len16; t++) row[t] = 0;
        }
        ok &= comoment_f32_avx512(buf, 1, c, len16, ld, zero, m, ldm);
    }
    return ok;
}

// t[ch] += Σ (x − s[ch]) in 2 × 8 float64 lanes (widened, then centred).
T512 static void sums_avx512(const float *x, long samples, long c, long s, const float *shift, double *sums) {
    const long body = s & ~15L;
    const __mmask16 tail = (__mmask16)((1u << (s & 15)) - 1u);
    const __mmask8 tail_lo = (__mmask8)(tail & 0xFF), tail_hi = (__mmask8)(tail >> 8);
    for (long ch = 0; ch < c; ch++) {
        const __m512d mu = _mm512_set1_pd((double)shift[ch]);
        __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
        for (long b = 0; b < samples; b++) {
            const float *row = x + (b * c + ch) * s;
            long p = 0;
            for (; p < body; p += 16) {
                const __m512 v = _mm512_loadu_ps(row + p);
                lo = _mm512_add_pd(lo, _mm512_sub_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(v)), mu));
                hi = _mm512_add_pd(hi, _mm512_sub_pd(_mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)), mu));
            }
            if (tail) {
                const __m512 v = _mm512_maskz_loadu_ps(tail, row + p);
                lo = _mm512_add_pd(lo, _mm512_maskz_sub_pd(tail_lo, _mm512_cvtps_pd(_mm512_castps512_ps256(v)), mu));
                hi = _mm512_add_pd(hi, _mm512_maskz_sub_pd(tail_hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)), mu));
            }
        }
        sums[ch] += _mm512_reduce_add_pd(_mm512_add_pd(lo, hi));
    }
}

// ---------------------------------------------------------------------------------------------------
// AVX2: 8-lane float32 vectors, 3 × 3 tiles (9 accumulators, 3 row vectors, one column vector and the
// shifts' broadcasts within the 16 vector registers).
#define T256 __attribute__((target("avx2,fma")))

T256 static inline double widen_sum256(__m256 a) {
    const __m256d v = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(a)), _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)));
    __m128d lo = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(lo, _mm_unpackhi_pd(lo, lo)));
}

T256 static inline __attribute__((always_inline)) void
step256f(const int R, const int S, const int tri, const float *base, long s, long p, const long *ri,
         const long *qi, const float *mu, __m256 acc[3][3]) {
    __m256 u[3];
    for (int r = 0; r < R; r++) u[r] = _mm256_sub_ps(_mm256_loadu_ps(base + ri[r] * s + p), _mm256_broadcast_ss(mu + ri[r]));
    for (int q = 0; q < S; q++) {
        const __m256 v = tri ? u[q] : _mm256_sub_ps(_mm256_loadu_ps(base + qi[q] * s + p), _mm256_broadcast_ss(mu + qi[q]));
        for (int r = 0; r < R; r++)
            if (!tri || q >= r) acc[r][q] = _mm256_fmadd_ps(u[r], v, acc[r][q]);
    }
}

// One R × S tile (R, S ≤ 3); the products of the positions past each sample's last multiple of 8 (in
// float32 too) are added into float64 one by one.
T256 static inline __attribute__((always_inline)) int
tile256f(const int R, const int S, const int tri, const float *x, long samples, long c, long s, const float *mu,
         double *m, long ldm, long i0, long j0) {
    const long body = s & ~7L;
    long ri[3], qi[3];
    for (int r = 0; r < R; r++) ri[r] = clampl(i0 + r, c - 1);
    for (int q = 0; q < S; q++) qi[q] = clampl(j0 + q, c - 1);
    __m256 acc[3][3];
    double tot[3][3];
    for (int r = 0; r < R; r++)
        for (int q = 0; q < S; q++) { acc[r][q] = _mm256_setzero_ps(); tot[r][q] = 0; }
    long terms = 0;
    for (long b = 0; b < samples; b++) {
        const float *base = x + b * c * s;
        long p = 0;
        while (p < body) {
            const long end = minl(body, p + (F32_TERMS - terms) * 8);
            terms += (end - p) / 8;
            for (; p < end; p += 8) step256f(R, S, tri, base, s, p, ri, qi, mu, acc);
            if (terms == F32_TERMS) {
                for (int r = 0; r < R; r++)
                    for (int q = tri ? r : 0; q < S; q++) { tot[r][q] += widen_sum256(acc[r][q]); acc[r][q] = _mm256_setzero_ps(); }
                terms = 0;
            }
        }
        for (; p < s; p++)
            for (int r = 0; r < R; r++) {
                const float ur = base[ri[r] * s + p] - mu[ri[r]];
                for (int q = tri ? r : 0; q < S; q++) tot[r][q] += (double)(ur * (base[qi[q] * s + p] - mu[qi[q]]));
            }
    }
    int ok = 1;
    for (int r = 0; r < R && i0 + r < c; r++)
        for (int q = tri ? r : 0; q < S && j0 + q < c; q++) {
            const double v = tot[r][q] + widen_sum256(acc[r][q]);
            if (!isfinite(v)) ok = 0;
            if (j0 + q >= i0 + r) m[(i0 + r) * ldm + j0 + q] += v;
        }
    return ok;
}

#define TILE256F_ROW(R)                                                                                \
    do {                                                                                               \
        ok &= tile256f(R, R, 1, x, samples, c, s, mu, m, ldm, i0, i0);                                 \
        long j0 = i0 + R;                                                                              \
        for (; j0 + 3 <= c; j0 += 3) ok &= tile256f(R, 3, 0, x, samples, c, s, mu, m, ldm, i0, j0);    \
        switch (c - j0) {                                                                              \
        case 2: ok &= tile256f(R, 2, 0, x, samples, c, s, mu, m, ldm, i0, j0); break;                  \
        case 1: ok &= tile256f(R, 1, 0, x, samples, c, s, mu, m, ldm, i0, j0); break;                  \
        default: break;                                                                                \
        }                                                                                              \
    } while (0)

T256 static int comoment_f32_avx2(const float *x, long samples, long c, long s, const float *mu, double *m,
                                  long ldm) {
    int ok = 1;
    for (long i0 = 0; i0 < c; i0 += 3) {
        switch (minl(c - i0, 3)) {
        case 3: TILE256F_ROW(3); break;
        case 2: TILE256F_ROW(2); break;
        default: TILE256F_ROW(1); break;
        }
    }
    return ok;
}
#endif

// Runs the chosen path (clamped to the CPU's) and the sums pass.
static int comoment_f32_dispatch(int path, const float *x, long samples, long c, long s, const float *mu,
                                 double *m, long ldm, double *sums) {
    int best = delve_kernel_best_path();
    if (path > best) path = best;
    // The sums pass first: one sequential read that brings the block into cache for the tiles.
#ifdef DELVE_X86
    if (path == DELVE_KERNEL_AVX512) {
        if (sums) sums_avx512(x, samples, c, s, mu, sums);
        return s < F32_PACK_BELOW ? comoment_f32_avx512_packed(x, samples, c, s, mu, m, ldm)
                                  : comoment_f32_avx512(x, samples, c, s, s, mu, m, ldm);
    }
#endif
    if (sums) sums_portable(x, samples, c, s, mu, sums);
#ifdef DELVE_X86
    if (path == DELVE_KERNEL_AVX2) return comoment_f32_avx2(x, samples, c, s, mu, m, ldm);
#endif
    return comoment_f32_portable(x, samples, c, s, mu, m, ldm);
}

int delve_channel_comoment_f32_fast(int path, const float *x, long samples, long channels, long spatial,
                                    const double *shift, double *moment, long ldm, double *sums) {
    if (samples <= 0 || channels <= 0 || spatial <= 0) return 1;
    // The shift in float32 (on the stack for the engine's C ≤ 256).
    float local[256];
    float *mu = channels <= 256 ? local : malloc(sizeof(float) * (size_t)channels);
    if (!mu) return 0;
    int finite = 1;
    for (long ch = 0; ch < channels; ch++) {
        mu[ch] = (float)shift[ch];
        if (!isfinite(mu[ch])) finite = 0;
    }
    const int ok = finite ? comoment_f32_dispatch(path, x, samples, channels, spatial, mu, moment, ldm, sums) : 0;
    if (mu != local) free(mu);
    return ok;
}
