// The centred channel co-moment M += Σ (x − μ)(x − μ)ᵀ of NCHW float32 blocks in float64, and
// optionally the channel sums t += Σ (x − μ) (μ may be a shift rather than the mean: see the header).
//
// Vector paths (AVX-512 above DIRECT_MAX_C channels, AVX2 always): the samples' observations (sample
// after sample, position after position) are taken in chunks of positions. Each chunk is widened and
// centred once into a per-thread float64 scratch (row ch = channel ch, zero-padded to a multiple of the
// vector width; a row stride that is a multiple of 4 KiB gets one more cache line so a tile's rows do
// not share L1 sets), then a float64 Gram micro-kernel keeps an R × S tile of M as R·S vector
// accumulators whose lanes run over positions and reduces the lanes once per tile and chunk. Tiles
// cover the upper triangle in bands of R rows: a triangular tile on the diagonal, full-width tiles to
// its right and one narrower tile at the end of the row. AVX-512 packs inside the diagonal tiles: the
// bands go from the last to the first, each diagonal tile reads its rows from x, widens, centres,
// stores and sums them while it multiplies them, and the tiles to its right use rows stored by the
// bands before (so the conversions overlap the products). AVX2 packs each chunk in a pass of its own
// (memory order, summing on the way). While the tiles of a chunk run they prefetch the next chunk's
// input (or the caller's next block, `ahead`) into L2. With few channels (AVX-512) and on the portable
// path the kernels read x in place and widen and centre in registers, once per tile; their sums are a
// separate pass.
#include "CDelveKernels.h"
#include "kernel_scratch.h"
#include "prefetch_range.h"

#include <pthread.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define DELVE_X86 1
#endif

// Bytes of float64 scratch per chunk (half of a 1 MiB L2).
#define DELVE_SCRATCH_BYTES (512L * 1024)

static inline long minl(long a, long b) { return a < b ? a : b; }
static inline long clampl(long v, long hi) { return v < hi ? v : hi; }

// Up to this many channels the AVX-512 path skips the scratch (see comoment_avx512_direct).
enum { DIRECT_MAX_C = 16 };

// ---------------------------------------------------------------------------------------------------
// Per-thread scratch: at least the chunk budget plus one padding line per row for 128 rows (so one
// allocation serves every shape the engine sends), grown to a larger request, freed when the thread
// ends.
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static _Thread_local double *scratch_ptr;
static _Thread_local long scratch_len;

static void scratch_free(void *p) { free(p); }
static void scratch_make_key(void) { pthread_key_create(&scratch_key, scratch_free); }

double *delve_kernel_scratch(long doubles) {
    if (doubles <= scratch_len) return scratch_ptr;
    pthread_once(&scratch_once, scratch_make_key);
    free(scratch_ptr);
    const long least = DELVE_SCRATCH_BYTES / 8 + 128 * 8;
    if (doubles < least) doubles = least;
    scratch_ptr = aligned_alloc(64, (size_t)((doubles * 8 + 63) & ~63L));
    scratch_len = scratch_ptr ? doubles : 0;
    pthread_setspecific(scratch_key, scratch_ptr);
    return scratch_ptr;
}

// Chunk length in positions (a multiple of `width`) and the row stride of the scratch: the chunk of
// C rows fills about DELVE_SCRATCH_BYTES; a stride that is a multiple of 512 doubles (4 KiB) gets one
// more cache line so the R + S rows of a tile do not share L1 sets.
static void chunk_shape(long c, long total, long width, long *len, long *stride) {
    long l = DELVE_SCRATCH_BYTES / 8 / c;
    l -= l % width;
    if (l < width) l = width;
    long need = (total + width - 1) / width * width;
    if (l > need) l = need;
    long st = l;
    if (st % 512 == 0) st += 8;
    *len = l;
    *stride = st;
}

// Walks observations [g0, g0 + len) of the samples (g = b·s + p) as runs inside one sample.
#define FOR_RUNS(g0, len, s, RUN)                                                                      \
    do {                                                                                               \
        long g_ = (g0), end_ = (g0) + (len), off_ = 0;                                                 \
        while (g_ < end_) {                                                                            \
            long b_ = g_ / (s), p_ = g_ - b_ * (s), n_ = minl((s) - p_, end_ - g_);                    \
            RUN(b_, p_, n_, off_);                                                                     \
            g_ += n_;                                                                                  \
            off_ += n_;                                                                                \
        }                                                                                              \
    } while (0)

// t[ch] += Σ (x − mean[ch]) over the samples (the direct and portable paths), eight partial sums.
static void shifted_sums(const float *x, long samples, long c, long s, const double *mean, double *sums) {
    for (long b = 0; b < samples; b++)
        for (long ch = 0; ch < c; ch++) {
            const float *row = x + (b * c + ch) * s;
            const double mu = mean[ch];
            double lane[8] = {0};
            long p = 0;
            for (; p + 8 <= s; p += 8)
                for (int k = 0; k < 8; k++) lane[k] += (double)row[p + k] - mu;
            double sum = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
            for (; p < s; p++) sum += (double)row[p] - mu;
            sums[ch] += sum;
        }
}

// ---------------------------------------------------------------------------------------------------
// Portable (and the vector paths' fallback when the scratch cannot be allocated): 4 × 4 tiles in
// scalar float64, widening and centring in place, no scratch.
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
// AVX-512: 8-lane vectors. Packed: 4 × 6 tiles (24 accumulators, 4 row vectors and one column
// vector live); for few channels, where packing costs more than it saves, the direct 4 × 4 kernel.
#define T512 __attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma")))

T512 static inline __m512d load512_tail(const float *p, __mmask8 k, double mu) {
    return _mm512_maskz_sub_pd(k, _mm512_cvtps_pd(_mm256_maskz_loadu_ps(k, p)), _mm512_set1_pd(mu));
}

// Direct: one R × S tile of M over all samples, read in place (R, S ≤ 6, compile-time constants after
// inlining; edge tiles repeat the last channel and do not store those rows): per vector step, widen
// and centre R row vectors, then each column vector in turn, multiply-adding it into the R accumulators
// of its column (R + 1 + R·S live registers). `tri`: a diagonal tile (rows == columns, only q ≥ r).
// Positions past the last multiple of 8 go through masked loads (zero lanes).
T512 static inline __attribute__((always_inline)) void
step512_direct(const int R, const int S, const int tri, const float *base, long s, long p, __mmask8 k,
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
tile512_direct(const int R, const int S, const int tri, const float *x, long samples, long c, long s,
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
        for (; p < body; p += 8) step512_direct(R, S, tri, base, s, p, (__mmask8)0xFF, ri, qi, mean, acc);
        if (tail) step512_direct(R, S, tri, base, s, p, tail, ri, qi, mean, acc);
    }
    for (int r = 0; r < R && i0 + r < c; r++)
        for (int q = 0; q < S && j0 + q < c; q++)
            if (j0 + q >= i0 + r && (!tri || q >= r)) m[(i0 + r) * ldm + j0 + q] += _mm512_reduce_add_pd(acc[r][q]);
}

// Few channels (C ≤ DIRECT_MAX_C): no scratch, 4 × 4 tiles widening and centring in registers.
enum { TR = 4, TS = 4 };

T512 static void comoment_avx512_direct(const float *x, long samples, long c, long s, const double *mean,
                                        double *m, long ldm) {
    for (long i0 = 0; i0 < c; i0 += TR) {
        tile512_direct(TR, TR, 1, x, samples, c, s, mean, m, ldm, i0, i0);
        for (long j0 = i0 + TR; j0 < c; j0 += TS) tile512_direct(TR, TS, 0, x, samples, c, s, mean, m, ldm, i0, j0);
    }
}

// One R × S tile (R ≤ 4, S ≤ 6, compile-time after inlining) over len8 positions; `tri`: a diagonal
// tile (S == R, only q ≥ r). Adds the lane sums of row r, column q to M[i0 + r][j0 + q].
T512 static inline __attribute__((always_inline)) void
tile512(const int R, const int S, const int tri, const double *buf, long stride, long len8, long i0, long j0,
        double *m, long ldm, prefetch_range *pf) {
    const char *next = pf->next, *const end = pf->end;
    const double *a[4], *b[6];
    for (int r = 0; r < R; r++) a[r] = buf + (i0 + r) * stride;
    for (int q = 0; q < S; q++) b[q] = buf + (j0 + q) * stride;
    __m512d acc[4][6];
    for (int r = 0; r < R; r++)
        for (int q = 0; q < S; q++) acc[r][q] = _mm512_setzero_pd();
    for (long p = 0; p < len8; p += 8) {
        if (next < end) { _mm_prefetch(next, _MM_HINT_T1); next += 64; }
        __m512d u[4];
        for (int r = 0; r < R; r++) u[r] = _mm512_load_pd(a[r] + p);
        for (int q = 0; q < S; q++) {
            const __m512d v = tri ? u[q] : _mm512_load_pd(b[q] + p);
            for (int r = 0; r < R; r++)
                if (!tri || q >= r) acc[r][q] = _mm512_fmadd_pd(u[r], v, acc[r][q]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int q = tri ? r : 0; q < S; q++) m[(i0 + r) * ldm + j0 + q] += _mm512_reduce_add_pd(acc[r][q]);
    pf->next = next;
}

// The diagonal tile of rows i0 … i0 + R − 1 fused with their pack: the chunk's observations [g0, g0 +
// len) read from x run by run, widened and centred in registers, stored into the scratch rows (zeros up
// to len8) for the tiles that use them as columns, summed into t, and multiplied (q ≥ r) — so the
// conversion work overlaps the products instead of being a pass of its own.
T512 static inline __attribute__((always_inline)) void
diag512_pack(const int R, const float *x, long c, long s, const double *mean, long g0, long len, long len8,
             double *buf, long stride, long i0, double *m, long ldm, double *sums) {
    __m512d acc[4][4], sum[4], mu[4];
    for (int r = 0; r < R; r++) {
        mu[r] = _mm512_set1_pd(mean[i0 + r]);
        sum[r] = _mm512_setzero_pd();
        for (int q = r; q < R; q++) acc[r][q] = _mm512_setzero_pd();
    }
#define RUN_DIAG(b, p, n, off)                                                                         \
    do {                                                                                               \
        const float *src[4];                                                                           \
        double *dst[4];                                                                                \
        for (int r = 0; r < R; r++) {                                                                  \
            src[r] = x + ((b) * c + i0 + r) * s + (p);                                                 \
            dst[r] = buf + (i0 + r) * stride + (off);                                                  \
        }                                                                                              \
        long t = 0;                                                                                    \
        for (; t + 8 <= (n); t += 8) {                                                                 \
            __m512d u[4];                                                                              \
            for (int r = 0; r < R; r++) {                                                              \
                u[r] = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(src[r] + t)), mu[r]);             \
                _mm512_storeu_pd(dst[r] + t, u[r]);                                                    \
                sum[r] = _mm512_add_pd(sum[r], u[r]);                                                  \
            }                                                                                          \
            for (int q = 0; q < R; q++)                                                                \
                for (int r = 0; r <= q; r++) acc[r][q] = _mm512_fmadd_pd(u[r], u[q], acc[r][q]);       \
        }                                                                                              \
        if (t < (n)) {                                                                                 \
            const __mmask8 k = (__mmask8)((1u << ((n) - t)) - 1u);                                     \
            __m512d u[4];                                                                              \
            for (int r = 0; r < R; r++) {                                                              \
                u[r] = _mm512_maskz_sub_pd(k, _mm512_cvtps_pd(_mm256_maskz_loadu_ps(k, src[r] + t)), mu[r]); \
                _mm512_mask_storeu_pd(dst[r] + t, k, u[r]);                                            \
                sum[r] = _mm512_add_pd(sum[r], u[r]);                                                  \
            }                                                                                          \
            for (int q = 0; q < R; q++)                                                                \
                for (int r = 0; r <= q; r++) acc[r][q] = _mm512_fmadd_pd(u[r], u[q], acc[r][q]);       \
        }                                                                                              \
    } while (0)
    FOR_RUNS(g0, len, s, RUN_DIAG);
#undef RUN_DIAG
    for (int r = 0; r < R; r++) {
        for (long t = len; t < len8; t++) buf[(i0 + r) * stride + t] = 0;
        for (int q = r; q < R; q++) m[(i0 + r) * ldm + i0 + q] += _mm512_reduce_add_pd(acc[r][q]);
        if (sums) sums[i0 + r] += _mm512_reduce_add_pd(sum[r]);
    }
}

// The tiles of rows i0 … i0 + R − 1 right of the diagonal tile (columns already in the scratch).
#define TILE512_REST(R)                                                                                \
    do {                                                                                               \
        long j0 = i0 + R;                                                                              \
        for (; j0 + 6 <= c; j0 += 6) tile512(R, 6, 0, buf, stride, len8, i0, j0, m, ldm, &pf);         \
        switch (c - j0) {                                                                              \
        case 5: tile512(R, 5, 0, buf, stride, len8, i0, j0, m, ldm, &pf); break;                       \
        case 4: tile512(R, 4, 0, buf, stride, len8, i0, j0, m, ldm, &pf); break;                       \
        case 3: tile512(R, 3, 0, buf, stride, len8, i0, j0, m, ldm, &pf); break;                       \
        case 2: tile512(R, 2, 0, buf, stride, len8, i0, j0, m, ldm, &pf); break;                       \
        case 1: tile512(R, 1, 0, buf, stride, len8, i0, j0, m, ldm, &pf); break;                       \
        default: break;                                                                                \
        }                                                                                              \
    } while (0)

#define BAND512_FUSED(R)                                                                               \
    do {                                                                                               \
        diag512_pack(R, x, c, s, mean, g0, len, len8, buf, stride, i0, m, ldm, sums);                  \
        TILE512_REST(R);                                                                               \
    } while (0)


T512 static void comoment_avx512(const float *x, long samples, long c, long s, const double *mean,
                                 double *m, long ldm, double *sums, const float *ahead, long ahead_count) {
    const long total = samples * s;
    long L, stride;
    chunk_shape(c, total, 8, &L, &stride);
    double *buf = delve_kernel_scratch(c * stride);
    if (!buf) {
        comoment_portable(x, samples, c, s, mean, m, ldm);
        if (sums) shifted_sums(x, samples, c, s, mean, sums);
        return;
    }
    for (long g0 = 0; g0 < total; g0 += L) {
        const long len = minl(L, total - g0), len8 = (len + 7) & ~7L;
        prefetch_range pf = g0 + L < total ? prefetch_chunk(x, c, s, g0 + L, minl(L, total - g0 - L))
                                           : prefetch_span(ahead, ahead_count);
        // Bands of 4 rows from the last to the first: each packs its own rows (fused with its diagonal
        // tile); the tiles to its right use rows packed by the bands before.
        for (long i0 = (c - 1) / 4 * 4; i0 >= 0; i0 -= 4) {
            switch (minl(c - i0, 4)) {
            case 4: BAND512_FUSED(4); break;
            case 3: BAND512_FUSED(3); break;
            case 2: BAND512_FUSED(2); break;
            default: BAND512_FUSED(1); break;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// AVX2: 4-lane vectors, 3 × 4 tiles (12 accumulators, 3 row vectors and one column vector: the 16
// vector registers).
#define T256 __attribute__((target("avx2,fma")))

T256 static inline double hsum256(__m256d v) {
    __m128d lo = _mm256_castpd256_pd128(v), hi = _mm256_extractf128_pd(v, 1);
    lo = _mm_add_pd(lo, hi);
    return _mm_cvtsd_f64(_mm_add_sd(lo, _mm_unpackhi_pd(lo, lo)));
}

T256 static void pack256(const float *x, long c, long s, const double *mean, long g0, long len, long len4,
                         double *buf, long stride, double *sums) {
#define RUN_256(b, p, n, off)                                                                          \
    for (long ch = 0; ch < c; ch++) {                                                                  \
        const float *src = x + ((b) * c + ch) * s + (p);                                               \
        double *dst = buf + ch * stride + (off);                                                       \
        const double mu1 = mean[ch];                                                                   \
        const __m256d mu = _mm256_set1_pd(mu1);                                                        \
        __m256d sum = _mm256_setzero_pd();                                                             \
        long t = 0;                                                                                    \
        for (; t + 4 <= (n); t += 4) {                                                                 \
            const __m256d v = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(src + t)), mu);               \
            _mm256_storeu_pd(dst + t, v);                                                              \
            sum = _mm256_add_pd(sum, v);                                                               \
        }                                                                                              \
        double tail = 0;                                                                               \
        for (; t < (n); t++) { dst[t] = (double)src[t] - mu1; tail += dst[t]; }                        \
        if (sums) sums[ch] += hsum256(sum) + tail;                                                     \
    }
    FOR_RUNS(g0, len, s, RUN_256);
#undef RUN_256
    for (long ch = 0; ch < c; ch++)
        for (long t = len; t < len4; t++) buf[ch * stride + t] = 0;
}

T256 static inline __attribute__((always_inline)) void
tile256(const int R, const int S, const int tri, const double *buf, long stride, long len4, long i0, long j0,
        double *m, long ldm, prefetch_range *pf) {
    const char *next = pf->next, *const end = pf->end;
    const double *a[3], *b[4];
    for (int r = 0; r < R; r++) a[r] = buf + (i0 + r) * stride;
    for (int q = 0; q < S; q++) b[q] = buf + (j0 + q) * stride;
    __m256d acc[3][4];
    for (int r = 0; r < R; r++)
        for (int q = 0; q < S; q++) acc[r][q] = _mm256_setzero_pd();
    for (long p = 0; p < len4; p += 4) {
        if (next < end && (p & 4)) { _mm_prefetch(next, _MM_HINT_T1); next += 64; }
        __m256d u[3];
        for (int r = 0; r < R; r++) u[r] = _mm256_load_pd(a[r] + p);
        for (int q = 0; q < S; q++) {
            const __m256d v = tri ? u[q] : _mm256_load_pd(b[q] + p);
            for (int r = 0; r < R; r++)
                if (!tri || q >= r) acc[r][q] = _mm256_fmadd_pd(u[r], v, acc[r][q]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int q = tri ? r : 0; q < S; q++) m[(i0 + r) * ldm + j0 + q] += hsum256(acc[r][q]);
    pf->next = next;
}

#define TILE256_ROW(R)                                                                                 \
    do {                                                                                               \
        tile256(R, R, 1, buf, stride, len4, i0, i0, m, ldm, &pf);                                           \
        long j0 = i0 + R;                                                                              \
        for (; j0 + 4 <= c; j0 += 4) tile256(R, 4, 0, buf, stride, len4, i0, j0, m, ldm, &pf);              \
        switch (c - j0) {                                                                              \
        case 3: tile256(R, 3, 0, buf, stride, len4, i0, j0, m, ldm, &pf); break;                            \
        case 2: tile256(R, 2, 0, buf, stride, len4, i0, j0, m, ldm, &pf); break;                            \
        case 1: tile256(R, 1, 0, buf, stride, len4, i0, j0, m, ldm, &pf); break;                            \
        default: break;                                                                                \
        }                                                                                              \
    } while (0)

T256 static void comoment_avx2(const float *x, long samples, long c, long s, const double *mean,
                               double *m, long ldm, double *sums, const float *ahead, long ahead_count) {
    const long total = samples * s;
    long L, stride;
    chunk_shape(c, total, 4, &L, &stride);
    double *buf = delve_kernel_scratch(c * stride);
    if (!buf) {
        comoment_portable(x, samples, c, s, mean, m, ldm);
        if (sums) shifted_sums(x, samples, c, s, mean, sums);
        return;
    }
    for (long g0 = 0; g0 < total; g0 += L) {
        const long len = minl(L, total - g0), len4 = (len + 3) & ~3L;
        pack256(x, c, s, mean, g0, len, len4, buf, stride, sums);
        prefetch_range pf = g0 + L < total ? prefetch_chunk(x, c, s, g0 + L, minl(L, total - g0 - L))
                                           : prefetch_span(ahead, ahead_count);
        for (long i0 = 0; i0 < c; i0 += 3) {
            switch (minl(c - i0, 3)) {
            case 3: TILE256_ROW(3); break;
            case 2: TILE256_ROW(2); break;
            default: TILE256_ROW(1); break;
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
                                const double *mean, double *moment, long ldm, double *sums, const float *ahead,
                                long ahead_count) {
    if (samples <= 0 || channels <= 0 || spatial <= 0) return;
    int best = delve_kernel_best_path();
    if (path > best) path = best;
#ifdef DELVE_X86
    if (path == DELVE_KERNEL_AVX512 && channels > DIRECT_MAX_C) {
        comoment_avx512(x, samples, channels, spatial, mean, moment, ldm, sums, ahead, ahead_count);
        return;
    }
    if (path == DELVE_KERNEL_AVX2) { comoment_avx2(x, samples, channels, spatial, mean, moment, ldm, sums, ahead, ahead_count); return; }
    if (path == DELVE_KERNEL_AVX512) comoment_avx512_direct(x, samples, channels, spatial, mean, moment, ldm);
    else
#endif
    comoment_portable(x, samples, channels, spatial, mean, moment, ldm);
    if (sums) shifted_sums(x, samples, channels, spatial, mean, sums);
}
