/* The channel co-moment kernel (Sources/CDelveKernels) against centring + OpenBLAS dsyrk, one thread,
 * the way the engine runs them (CovarianceAccumulator+Channelwise.swift): the batch in blocks of
 * channelwiseChunk samples (KCHUNK=N in the environment overrides the kernel's), each block read once by
 * the kernel centred on a shift with its sums (kernelBlock), or for dsyrk first summed for its mean (pass
 * 1, which brings it into cache), then centred into a C × (block·HW) float64 scratch and one dsyrk. The
 * float32-mode kernel (delve_channel_comoment_f32_fast: shift rounded to float32, the first block's
 * shift its mean, redone in float64 if a partial is not finite) runs the same way. The competitors
 * alternate within every repetition; prints medians in GFLOP/s (n·C² flops, n = samples·HW), the median
 * time ratio dsyrk / kernel (the figure ChannelComoment.accepts is set from) and kernel / float32 kernel.
 * The max rel diffs compare the co-moments with dsyrk's (the kernel side leaves out Chan's δ term, so
 * they are only small when the blocks' means agree, as they do for this data).
 *
 *   clang -O2 -march=native -ISources/CDelveKernels/include scripts/comoment-bench.c \
 *       Sources/CDelveKernels/comoment.c Sources/CDelveKernels/comoment_float32.c $(pkg-config --cflags --libs openblas) -o /tmp/comoment-bench
 *   /tmp/comoment-bench SAMPLES CHANNELS SPATIAL [REPS [PATH]]     (PATH: 0 portable, 1 AVX2, 2 AVX-512)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>
#include "CDelveKernels.h"

extern void openblas_set_num_threads(int);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Pass 1 as the engine does it: per channel, the float64 sum of x − shift (shift = the block's first value). */
static void block_mean(const float *x, long samples, long c, long s, double *mean, double *shift) {
    for (long ch = 0; ch < c; ch++) { mean[ch] = 0; shift[ch] = x[ch * s]; }
    for (long b = 0; b < samples; b++)
        for (long ch = 0; ch < c; ch++) {
            const float *row = x + (b * c + ch) * s;
            double lane[8] = {0};
            long p = 0;
            for (; p + 8 <= s; p += 8)
                for (int k = 0; k < 8; k++) lane[k] += (double)row[p + k] - shift[ch];
            double sum = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
            for (; p < s; p++) sum += (double)row[p] - shift[ch];
            mean[ch] += sum;
        }
    for (long ch = 0; ch < c; ch++) mean[ch] = shift[ch] + mean[ch] / (double)(samples * s);
}

/* The kernel path as the engine runs it (kernelBlock): one read of the block, centred on a shift known
 * beforehand (the running mean; for the first block the mean of its first sample), the sums t giving the
 * mean and the correction S − t tᵀ/n; the block co-moment is added to M (Chan's δ term, C² work, left out). */
static void kernel_block(int path, int fast, const float *x, long m, long c, long s, int running, double *mean,
                         double *shift, double *sums, double *mblock, double *mk, const float *ahead, long ahead_count) {
    for (long ch = 0; ch < c; ch++) {
        if (!running) {   /* eight lanes, as the engine's SIMD8 shiftedSum */
            const long head = fast ? m : 1;
            double lane[8] = {0}, sum = 0;
            for (long b = 0; b < head; b++) {
                const float *row = x + (b * c + ch) * s;
                long p = 0;
                for (; p + 8 <= s; p += 8)
                    for (int k = 0; k < 8; k++) lane[k] += row[p + k];
                for (; p < s; p++) sum += row[p];
            }
            sum += ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
            mean[ch] = sum / (double)(head * s);
        }
        shift[ch] = fast ? (double)(float)mean[ch] : mean[ch];
        sums[ch] = 0;
    }
    memset(mblock, 0, sizeof(double) * c * c);
    if (!fast || !delve_channel_comoment_f32_fast(path, x, m, c, s, shift, mblock, c, sums)) {
        memset(mblock, 0, sizeof(double) * c * c);
        memset(sums, 0, sizeof(double) * c);
        delve_channel_comoment_f32(path, x, m, c, s, shift, mblock, c, sums, ahead, ahead_count);
    }
    const double n = (double)(m * s);
    for (long i = 0; i < c; i++) {
        mean[i] = shift[i] + sums[i] / n;
        for (long j = i; j < c; j++) mk[i * c + j] += mblock[i * c + j] - sums[i] / n * sums[j];
    }
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s SAMPLES CHANNELS SPATIAL [REPS [PATH]]\n", argv[0]); return 64; }
    const long nb = atol(argv[1]), c = atol(argv[2]), s = atol(argv[3]);
    const int reps = argc > 4 ? atoi(argv[4]) : 7, path = argc > 5 ? atoi(argv[5]) : delve_kernel_best_path();
    if (nb < 1 || c < 1 || s < 1 || reps < 1 || reps > 99) { fprintf(stderr, "sizes must be positive, REPS 1...99\n"); return 64; }
    openblas_set_num_threads(1);
    long by_size = 65536 / (c * s), by_work = ((c > 256 ? c : 256) + s - 1) / s;   /* channelwiseChunk */
    long chunk = by_size > by_work ? by_size : by_work;
    if (chunk > nb) chunk = nb;
    if (chunk < 1) chunk = 1;
    const long kchunk = getenv("KCHUNK") ? atol(getenv("KCHUNK")) : chunk;
    const int noahead = getenv("NOAHEAD") != NULL;   /* no prefetch of the next block */

    float *x = malloc(sizeof(float) * nb * c * s);
    double *mean = malloc(sizeof(double) * c), *shift = malloc(sizeof(double) * c);
    double *mk = calloc(c * c, sizeof(double)), *mb = calloc(c * c, sizeof(double)), *mf = calloc(c * c, sizeof(double));
    double *a = malloc(sizeof(double) * c * chunk * s);
    double *sums = malloc(sizeof(double) * c), *mblock = malloc(sizeof(double) * c * c);
    if (!x || !mean || !shift || !mk || !mb || !mf || !a) { fprintf(stderr, "out of memory\n"); return 1; }
    unsigned long long state = 42;
    for (long i = 0; i < nb * c * s; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (float)(((i / s) % c) * 3.5 - 20 + 4 * ((double)(state >> 11) / 9007199254740992.0 - 0.5));
    }
    double tk[99], tb[99], tf[99];
    for (int r = 0; r < reps; r++) {
        for (int f32 = 0; f32 < 2; f32++) {   /* the float64 kernel into mk, then float32 mode's into mf */
            double t = now();
            for (long b0 = 0; b0 < nb; b0 += kchunk) {
                long m = kchunk < nb - b0 ? kchunk : nb - b0;
                const long next = kchunk < nb - b0 - m ? kchunk : nb - b0 - m;
                kernel_block(path, f32, x + b0 * c * s, m, c, s, b0 > 0, mean, shift, sums, mblock, f32 ? mf : mk,
                             noahead ? NULL : x + (b0 + m) * c * s, next * c * s);
            }
            (f32 ? tf : tk)[r] = now() - t;
        }
        double t = now();
        for (long b0 = 0; b0 < nb; b0 += chunk) {
            long m = chunk < nb - b0 ? chunk : nb - b0, cols = m * s;
            block_mean(x + b0 * c * s, m, c, s, mean, shift);
            for (long ch = 0; ch < c; ch++)
                for (long b = 0; b < m; b++) {
                    const float *row = x + ((b0 + b) * c + ch) * s;
                    double *out = a + ch * cols + b * s;
                    for (long p = 0; p < s; p++) out[p] = (double)row[p] - mean[ch];
                }
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)c, (int)cols, 1.0, a, (int)cols, 1.0, mb, (int)c);
        }
        tb[r] = now() - t;
    }
    double ratio[99], speedup[99];
    for (int r = 0; r < reps; r++) { ratio[r] = tb[r] / tk[r]; speedup[r] = tk[r] / tf[r]; }
    qsort(tk, reps, sizeof(double), by_value);
    qsort(tf, reps, sizeof(double), by_value);
    qsort(speedup, reps, sizeof(double), by_value);
    qsort(tb, reps, sizeof(double), by_value);
    qsort(ratio, reps, sizeof(double), by_value);
    const double flops = (double)nb * s * c * c;
    double worst = 0, worstf = 0;
    for (long i = 0; i < c; i++)
        for (long j = i; j < c; j++) {
            double d = (mk[i * c + j] - mb[i * c + j]) / (mb[i * c + i] > 0 ? mb[i * c + i] : 1);
            double e = (mf[i * c + j] - mb[i * c + j]) / (mb[i * c + i] > 0 ? mb[i * c + i] : 1);
            if (d < 0) d = -d;
            if (e < 0) e = -e;
            if (d > worst) worst = d;
            if (e > worstf) worstf = e;
        }
    printf("C=%ld HW=%ld samples=%ld block=%ld path=%d  kernel %.1f  f32 kernel %.1f  centre+dsyrk %.1f GFLOP/s  dsyrk/kernel %.2f  "
           "kernel/f32 %.2f  (max rel diff %.1e, f32 %.1e)\n",
           c, s, nb, chunk, path, flops / tk[reps / 2] / 1e9, flops / tf[reps / 2] / 1e9, flops / tb[reps / 2] / 1e9,
           ratio[reps / 2], speedup[reps / 2], worst, worstf);
    return 0;
}
