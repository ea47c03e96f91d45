/* Checks the C interface (include/delve.h) with no Swift and no Python: known spectra, exact merges,
 * serialization, the tracker and its error reporting. Built and run by scripts/c-interface-check.sh. */
#include "delve.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures = 0, checks = 0;

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        checks++;                                                            \
        if (!(cond)) {                                                       \
            failures++;                                                      \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);             \
            fprintf(stderr, __VA_ARGS__);                                    \
            fprintf(stderr, " (last error: %s)\n", delve_last_error());      \
        }                                                                    \
    } while (0)

#define OK(call) CHECK((call) == DELVE_OK, "%s", #call)

static int close_rel(double a, double b, double tol) {
    double scale = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) <= tol * (scale > 1e-300 ? scale : 1);
}

/* Rows ±a_i·e_i (+ offset): mean `offset`, population covariance diag(a_i²/4) over 8 rows (D = 4). */
static const double spectrum[4] = {95.0, 4.5, 0.3, 0.2};
static void known_rows(double *rows, double offset) {
    memset(rows, 0, sizeof(double) * 32);
    for (int i = 0; i < 4; i++) {
        double a = 2 * sqrt(spectrum[i]);
        for (int j = 0; j < 4; j++) rows[(2 * i) * 4 + j] = rows[(2 * i + 1) * 4 + j] = offset;
        rows[(2 * i) * 4 + i] += a;
        rows[(2 * i + 1) * 4 + i] -= a;
    }
}

static uint64_t lcg_state = 12345;
static double uniform(void) {
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(lcg_state >> 11) / 9007199254740992.0 - 0.5;
}

static void test_options_layout(void) {
    /* The Swift side mirrors this struct field by field. */
    CHECK(offsetof(delve_tracker_options, run_directory) == 8, "run_directory offset");
    CHECK(offsetof(delve_tracker_options, threshold) == 32, "threshold offset");
    CHECK(offsetof(delve_tracker_options, convention) == 64, "convention offset");
    CHECK(offsetof(delve_tracker_options, initial_epoch) == 96, "initial_epoch offset");
    CHECK(offsetof(delve_tracker_options, probes) == 112, "probes offset");
    CHECK(offsetof(delve_tracker_options, probe_ridge) == 120, "probe_ridge offset");
    CHECK(sizeof(delve_tracker_options) == 128, "sizeof options = %zu", sizeof(delve_tracker_options));
}

static void test_known_spectrum(void) {
    double rows[32];
    known_rows(rows, 1000.0);
    delve_accumulator *acc = NULL;
    OK(delve_accumulator_create(4, "known", DELVE_PRECISION_FLOAT64, &acc));
    OK(delve_accumulator_update(acc, rows, DELVE_FLOAT64, 8, 4));
    int64_t count = 0;
    OK(delve_accumulator_count(acc, &count));
    CHECK(count == 8, "count %lld", (long long)count);
    double eig[4];
    OK(delve_accumulator_eigenvalues(acc, eig, 4));
    for (int i = 0; i < 4; i++) CHECK(close_rel(eig[i], spectrum[i], 1e-12), "eigenvalue %d: %.17g", i, eig[i]);
    double v;
    OK(delve_accumulator_statistic(acc, "trc", 0.99, DELVE_CONVENTION_PAPER, &v));
    CHECK(close_rel(v, 100.0, 1e-12), "trc %.17g", v);
    OK(delve_accumulator_statistic(acc, "det", 0.99, DELVE_CONVENTION_PAPER, &v));
    CHECK(close_rel(v, 95.0 * 4.5 * 0.3 * 0.2, 1e-10), "det %.17g", v);
    OK(delve_accumulator_statistic(acc, "idim", 0.99, DELVE_CONVENTION_PAPER, &v));
    CHECK(v == 2, "idim paper %g", v);   /* shares 0.95, 0.995, 0.998, 1 */
    OK(delve_accumulator_statistic(acc, "idim", 0.99, DELVE_CONVENTION_DELVE, &v));
    CHECK(v == 1, "idim delve %g", v);
    OK(delve_accumulator_statistic(acc, "lsat", 0.99, DELVE_CONVENTION_PAPER, &v));
    CHECK(v == 0.5, "lsat %g", v);
    OK(delve_accumulator_statistic(acc, "srank", 0.99, DELVE_CONVENTION_PAPER, &v));
    CHECK(close_rel(v, 100.0 / 95.0, 1e-12), "srank %.17g", v);
    double values[4], vectors[16];
    OK(delve_accumulator_eigenvectors(acc, values, vectors, 16));
    for (int j = 0; j < 4; j++) {   /* the spectrum lies along the axes: column j is ±e_j */
        CHECK(close_rel(values[j], spectrum[j], 1e-12), "eigenvector value %d: %.17g", j, values[j]);
        CHECK(close_rel(fabs(vectors[j * 4 + j]), 1.0, 1e-12), "eigenvector %d: %.17g", j, vectors[j * 4 + j]);
    }
    CHECK(delve_accumulator_eigenvectors(acc, values, vectors, 15) == DELVE_ERR_BUFFER, "short vectors buffer");
    double mean[4];
    OK(delve_accumulator_mean(acc, mean, 4));
    CHECK(close_rel(mean[2], 1000.0, 1e-15), "mean %.17g", mean[2]);

    /* float32 rows of the same data */
    float rows32[32];
    for (int i = 0; i < 32; i++) rows32[i] = (float)(rows[i] - 1000.0);
    delve_accumulator *acc32 = NULL;
    OK(delve_accumulator_create(4, "known32", DELVE_PRECISION_FLOAT64, &acc32));
    OK(delve_accumulator_update(acc32, rows32, DELVE_FLOAT32, 8, 4));
    OK(delve_accumulator_statistic(acc32, "trc", 0.99, DELVE_CONVENTION_PAPER, &v));
    CHECK(close_rel(v, 100.0, 1e-6), "trc float32 %.17g", v);
    delve_accumulator_free(acc32);
    delve_accumulator_free(acc);
}

static void test_merge_and_serialize(void) {
    enum { D = 6, N = 300, CUT = 117 };
    static double x[N * D];
    for (int i = 0; i < N * D; i++) x[i] = uniform() + (i % D) * 3.0;
    for (int r = 0; r < N; r++) x[r * D + 1] += 2 * x[r * D];   /* correlated features */

    delve_accumulator *whole = NULL, *a = NULL, *b = NULL, *m = NULL;
    OK(delve_accumulator_create(D, "whole", DELVE_PRECISION_FLOAT64, &whole));
    OK(delve_accumulator_create(D, "a", DELVE_PRECISION_FLOAT64, &a));
    OK(delve_accumulator_create(D, "b", DELVE_PRECISION_FLOAT64, &b));
    OK(delve_accumulator_create(D, "m", DELVE_PRECISION_FLOAT64, &m));
    OK(delve_accumulator_update(whole, x, DELVE_FLOAT64, N, D));
    OK(delve_accumulator_update(a, x, DELVE_FLOAT64, CUT, D));
    OK(delve_accumulator_update(b, x + CUT * D, DELVE_FLOAT64, N - CUT, D));
    OK(delve_accumulator_merge(a, b));

    /* moments of the second part, two-pass in double, merged into m after the first part */
    double mean[D] = {0}, com[D * D] = {0};
    for (int r = CUT; r < N; r++) for (int j = 0; j < D; j++) mean[j] += x[r * D + j];
    for (int j = 0; j < D; j++) mean[j] /= (N - CUT);
    for (int r = CUT; r < N; r++)
        for (int i = 0; i < D; i++)
            for (int j = 0; j < D; j++) com[i * D + j] += (x[r * D + i] - mean[i]) * (x[r * D + j] - mean[j]);
    OK(delve_accumulator_update(m, x, DELVE_FLOAT64, CUT, D));
    OK(delve_accumulator_merge_moments(m, N - CUT, mean, com));

    double cw[D * D], ca[D * D], cm[D * D];
    OK(delve_accumulator_covariance(whole, cw, D * D));
    OK(delve_accumulator_covariance(a, ca, D * D));
    OK(delve_accumulator_covariance(m, cm, D * D));
    double maxabs = 0, da = 0, dm = 0;
    for (int i = 0; i < D * D; i++) {
        if (fabs(cw[i]) > maxabs) maxabs = fabs(cw[i]);
        if (fabs(cw[i] - ca[i]) > da) da = fabs(cw[i] - ca[i]);
        if (fabs(cw[i] - cm[i]) > dm) dm = fabs(cw[i] - cm[i]);
    }
    CHECK(da <= 1e-13 * maxabs, "merge differs from whole by %g (max %g)", da, maxabs);
    CHECK(dm <= 1e-13 * maxabs, "merge_moments differs from whole by %g (max %g)", dm, maxabs);
    int64_t count = 0;
    OK(delve_accumulator_count(m, &count));
    CHECK(count == N, "merged count %lld", (long long)count);

    /* serialize → deserialize: the same state, bit for bit */
    size_t size = 0;
    OK(delve_accumulator_serialize(a, NULL, 0, &size));
    CHECK(size > 0, "serialized size %zu", size);
    uint8_t *bytes = malloc(size);
    CHECK(delve_accumulator_serialize(a, bytes, size - 1, &size) == DELVE_ERR_BUFFER, "short buffer");
    OK(delve_accumulator_serialize(a, bytes, size, &size));
    delve_accumulator *copy = NULL;
    OK(delve_accumulator_deserialize(bytes, size, &copy));
    double cc[D * D];
    OK(delve_accumulator_covariance(copy, cc, D * D));
    CHECK(memcmp(cc, ca, sizeof cc) == 0, "round trip changed the covariance");
    bytes[size / 2] ^= 0x40;   /* a flipped bit fails the CRC */
    delve_accumulator *broken = NULL;
    CHECK(delve_accumulator_deserialize(bytes, size, &broken) == DELVE_ERR_STATE, "corrupt state accepted");
    CHECK(strstr(delve_last_error(), "not a valid Delve covariance state") != NULL, "message: %s", delve_last_error());
    free(bytes);

    /* channelwise N×C×S equals the (N·S)×C rows */
    enum { NB = 3, C = 4, S = 5 };
    float maps[NB * C * S];
    double maps64[NB * C * S], cwrows[NB * S * C];
    for (int i = 0; i < NB * C * S; i++) maps64[i] = maps[i] = (float)uniform();
    for (int n = 0; n < NB; n++)
        for (int c = 0; c < C; c++)
            for (int s = 0; s < S; s++) cwrows[(n * S + s) * C + c] = maps64[(n * C + c) * S + s];
    delve_accumulator *ch = NULL, *ch64 = NULL, *rw = NULL;
    OK(delve_accumulator_create(C, "ch", DELVE_PRECISION_FLOAT64, &ch));
    OK(delve_accumulator_create(C, "ch64", DELVE_PRECISION_FLOAT64, &ch64));
    OK(delve_accumulator_create(C, "rows", DELVE_PRECISION_FLOAT64, &rw));
    OK(delve_accumulator_update_channelwise(ch, maps, DELVE_FLOAT32, NB, C, S));
    OK(delve_accumulator_update_channelwise(ch64, maps64, DELVE_FLOAT64, NB, C, S));
    OK(delve_accumulator_update(rw, cwrows, DELVE_FLOAT64, NB * S, C));
    double c1[C * C], c2[C * C], c3[C * C];
    OK(delve_accumulator_covariance(ch, c1, C * C));
    OK(delve_accumulator_covariance(ch64, c2, C * C));
    OK(delve_accumulator_covariance(rw, c3, C * C));
    for (int i = 0; i < C * C; i++) {
        CHECK(close_rel(c1[i], c3[i], 1e-12) || fabs(c1[i] - c3[i]) < 1e-15, "channelwise f32 [%d]", i);
        CHECK(close_rel(c2[i], c3[i], 1e-12) || fabs(c2[i] - c3[i]) < 1e-15, "channelwise f64 [%d]", i);
    }
    delve_accumulator_free(ch);
    delve_accumulator_free(ch64);
    delve_accumulator_free(rw);
    delve_accumulator_free(copy);
    delve_accumulator_free(whole);
    delve_accumulator_free(a);
    delve_accumulator_free(b);
    delve_accumulator_free(m);
}

static void test_accumulator_errors(void) {
    delve_accumulator *acc = NULL;
    CHECK(delve_accumulator_create(-1, "x", DELVE_PRECISION_FLOAT64, &acc) == DELVE_ERR_ARGUMENT, "negative features");
    CHECK(strstr(delve_last_error(), "features") != NULL, "message names features: %s", delve_last_error());
    CHECK(delve_accumulator_create(3, "x", 7, &acc) == DELVE_ERR_ARGUMENT, "bad precision");
    CHECK(delve_accumulator_create(3, "x", DELVE_PRECISION_FLOAT64, NULL) == DELVE_ERR_ARGUMENT, "NULL out");
    OK(delve_accumulator_create(3, "fc9", DELVE_PRECISION_FLOAT64, &acc));
    double rows[6] = {1, 2, 3, 4, NAN, 6};
    CHECK(delve_accumulator_update(acc, rows, DELVE_FLOAT64, 2, 3) == DELVE_ERR_BAD_BATCH, "NaN accepted");
    CHECK(strstr(delve_last_error(), "fc9") && strstr(delve_last_error(), "non-finite"), "NaN message: %s",
          delve_last_error());
    int64_t count = -1;
    OK(delve_accumulator_count(acc, &count));
    CHECK(count == 0, "a rejected batch changed the count to %lld", (long long)count);
    CHECK(delve_accumulator_update(acc, rows, DELVE_FLOAT64, 2, 4) == DELVE_ERR_ARGUMENT, "wrong width");
    CHECK(delve_accumulator_update(acc, NULL, DELVE_FLOAT64, 2, 3) == DELVE_ERR_ARGUMENT, "NULL data");
    CHECK(delve_accumulator_update(acc, rows, 5, 2, 3) == DELVE_ERR_ARGUMENT, "bad dtype");
    CHECK(delve_accumulator_update(acc, rows, DELVE_FLOAT64, -2, 3) == DELVE_ERR_ARGUMENT, "negative rows");
    CHECK(delve_accumulator_update(NULL, rows, DELVE_FLOAT64, 2, 3) == DELVE_ERR_ARGUMENT, "NULL handle");
    double v;
    CHECK(delve_accumulator_statistic(acc, "saturation", 0.99, 0, &v) == DELVE_ERR_ARGUMENT, "unknown statistic");
    CHECK(strstr(delve_last_error(), "'saturation'") != NULL, "message names it: %s", delve_last_error());
    CHECK(delve_accumulator_statistic(acc, "lsat", 1.5, 0, &v) == DELVE_ERR_ARGUMENT, "threshold 1.5");
    double eig[2];
    CHECK(delve_accumulator_eigenvalues(acc, eig, 2) == DELVE_ERR_BUFFER, "short eigenvalue buffer");
    delve_accumulator *other = NULL;
    OK(delve_accumulator_create(2, "other", DELVE_PRECISION_FLOAT64, &other));
    CHECK(delve_accumulator_merge(acc, other) == DELVE_ERR_ARGUMENT, "merge of another width");
    uint8_t junk[64] = {1, 2, 3};
    CHECK(delve_accumulator_deserialize(junk, sizeof junk, &other) == DELVE_ERR_STATE, "junk deserialized");
    delve_accumulator_free(other);
    delve_accumulator_free(acc);
    delve_accumulator_free(NULL);
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void test_tracker(const char *dir) {
    delve_tracker_options options;
    OK(delve_tracker_options_init(&options));
    CHECK(options.threshold == 0.99 && options.log_interval == 1 && options.reset_covariance == 1, "defaults");
    char run[1024];
    snprintf(run, sizeof run, "%s/run", dir);
    options.run_directory = run;
    options.writers = "csv,jsonl";
    options.statistics = "lsat,idim,trc";

    delve_tracker *tracker = NULL;
    options.writers = "csv,parquet";
    CHECK(delve_tracker_create(&options, &tracker) == DELVE_ERR_ARGUMENT, "unknown writer accepted");
    CHECK(strstr(delve_last_error(), "parquet") != NULL, "message names the writer: %s", delve_last_error());
    options.writers = "csv,jsonl";
    options.statistics = "lsat,sharpness";
    CHECK(delve_tracker_create(&options, &tracker) == DELVE_ERR_ARGUMENT, "unknown statistic accepted");
    CHECK(strstr(delve_last_error(), "sharpness") != NULL, "message names the statistic: %s", delve_last_error());
    options.statistics = "lsat,idim,trc";
    options.struct_size = 8;
    CHECK(delve_tracker_create(&options, &tracker) == DELVE_ERR_ARGUMENT, "wrong struct_size accepted");
    options.struct_size = sizeof options;
    OK(delve_tracker_create(&options, &tracker));

    /* epoch 0: the known spectrum in two batches (4 + 4 rows), float64 and float32 */
    double rows[32];
    known_rows(rows, 0.0);
    float rows32[16];
    for (int i = 0; i < 16; i++) rows32[i] = (float)rows[16 + i];
    int64_t shape[2] = {4, 4};
    OK(delve_tracker_record(tracker, "fc1", DELVE_PHASE_TRAIN, rows, DELVE_FLOAT64, shape, 2, DELVE_KIND_DENSE));
    OK(delve_tracker_record(tracker, "fc1", DELVE_PHASE_TRAIN, rows32, DELVE_FLOAT32, shape, 2, DELVE_KIND_DENSE));
    /* a conv layer: N×C×H×W = 2×3×2×2 */
    float maps[24];
    for (int i = 0; i < 24; i++) maps[i] = (float)uniform();
    int64_t conv_shape[4] = {2, 3, 2, 2};
    OK(delve_tracker_record(tracker, "conv", DELVE_PHASE_EVAL, maps, DELVE_FLOAT32, conv_shape, 4, DELVE_KIND_CONVOLUTION));

    /* bad input names the layer, leaves the state unchanged */
    double bad[8] = {1, 2, 3, 4, 5, INFINITY, 7, 8};
    int64_t bad_shape[2] = {2, 4};
    CHECK(delve_tracker_record(tracker, "fc1", DELVE_PHASE_TRAIN, bad, DELVE_FLOAT64, bad_shape, 2, DELVE_KIND_DENSE)
              == DELVE_ERR_BAD_BATCH, "inf accepted");
    CHECK(strstr(delve_last_error(), "'fc1'") != NULL, "message names the layer: %s", delve_last_error());
    CHECK(delve_tracker_record(tracker, "fc1", DELVE_PHASE_TRAIN, bad, DELVE_FLOAT64, bad_shape, 3, DELVE_KIND_DENSE)
              == DELVE_ERR_ARGUMENT, "rank 3 for a dense layer");
    CHECK(delve_tracker_record(tracker, "fc1", 9, bad, DELVE_FLOAT64, bad_shape, 2, DELVE_KIND_DENSE)
              == DELVE_ERR_ARGUMENT, "phase 9");
    CHECK(delve_tracker_record(tracker, NULL, 0, bad, DELVE_FLOAT64, bad_shape, 2, DELVE_KIND_DENSE)
              == DELVE_ERR_ARGUMENT, "NULL layer");
    int64_t epoch = -1;
    CHECK(delve_tracker_last_epoch(tracker, &epoch) == DELVE_ERR_STATE, "last epoch before any");

    /* stop: ignored; resume */
    OK(delve_tracker_stop(tracker));
    int32_t recording = 1;
    OK(delve_tracker_is_recording(tracker, &recording));
    CHECK(recording == 0, "stopped");
    OK(delve_tracker_record(tracker, "fc1", DELVE_PHASE_TRAIN, bad, DELVE_FLOAT64, bad_shape, 2, DELVE_KIND_DENSE));
    OK(delve_tracker_resume(tracker));

    OK(delve_tracker_add_scalar(tracker, "train-accuracy", 0.75));
    OK(delve_tracker_end_epoch(tracker));
    OK(delve_tracker_last_epoch(tracker, &epoch));
    CHECK(epoch == 0, "epoch %lld", (long long)epoch);
    double v = -1;
    OK(delve_tracker_last_value_named(tracker, "train-saturation_fc1", &v));
    CHECK(v == 0.5, "lsat fc1 %g", v);
    OK(delve_tracker_last_value_named(tracker, "train-intrinsic-dimensionality_fc1", &v));
    CHECK(v == 2, "idim fc1 %g", v);
    OK(delve_tracker_last_value_named(tracker, "train-covariance-trace_fc1", &v));
    CHECK(close_rel(v, 100.0, 1e-6), "trc fc1 %.17g", v);
    OK(delve_tracker_last_value_named(tracker, "train-accuracy", &v));
    CHECK(v == 0.75, "scalar %g", v);
    CHECK(delve_tracker_last_value_named(tracker, "train-saturation_fc2", &v) == DELVE_ERR_ARGUMENT, "missing key");
    int64_t samples = 0;
    OK(delve_tracker_last_samples(tracker, "fc1", DELVE_PHASE_TRAIN, &samples));
    CHECK(samples == 8, "fc1 samples %lld", (long long)samples);
    OK(delve_tracker_last_samples(tracker, "conv", DELVE_PHASE_EVAL, &samples));
    CHECK(samples == 8, "conv samples (N·H·W) %lld", (long long)samples);
    int64_t n = 0;
    double eig[4];
    OK(delve_tracker_last_eigenvalues(tracker, "fc1", DELVE_PHASE_TRAIN, eig, 4, &n));
    CHECK(n == 4 && close_rel(eig[0], 95.0, 1e-6) && close_rel(eig[3], 0.2, 1e-5), "eigenvalues %g … %g", eig[0], eig[3]);
    int64_t count = 0;
    OK(delve_tracker_last_value_count(tracker, &count));
    CHECK(count >= 7, "value count %lld", (long long)count);
    char key[8];
    size_t key_size = 0;
    CHECK(delve_tracker_last_value(tracker, 0, key, sizeof key, &key_size, &v) == DELVE_ERR_BUFFER, "short key");
    char *long_key = malloc(key_size);
    OK(delve_tracker_last_value(tracker, 0, long_key, key_size, &key_size, &v));
    CHECK(strcmp(long_key, "train-saturation_fc1") == 0 && v == 0.5, "first key %s = %g", long_key, v);
    free(long_key);
    OK(delve_tracker_epoch(tracker, &epoch));
    CHECK(epoch == 1, "next epoch %lld", (long long)epoch);

    OK(delve_tracker_close(tracker));
    OK(delve_tracker_close(tracker));
    delve_tracker_free(tracker);
    char path[1100];
    snprintf(path, sizeof path, "%s/statistics.csv", run);
    CHECK(file_exists(path), "%s written", path);
    snprintf(path, sizeof path, "%s/statistics.jsonl", run);
    CHECK(file_exists(path), "%s written", path);

    /* skip policy: the bad batch is counted, the epoch still has the good one */
    OK(delve_tracker_options_init(&options));
    options.bad_batch_policy = DELVE_BAD_BATCH_SKIP;
    OK(delve_tracker_create(&options, &tracker));
    OK(delve_tracker_record(tracker, "fc1", DELVE_PHASE_TRAIN, bad, DELVE_FLOAT64, bad_shape, 2, DELVE_KIND_DENSE));
    OK(delve_tracker_record(tracker, "fc1", DELVE_PHASE_TRAIN, rows, DELVE_FLOAT64, shape, 2, DELVE_KIND_DENSE));
    OK(delve_tracker_end_epoch(tracker));
    OK(delve_tracker_last_samples(tracker, "fc1", DELVE_PHASE_TRAIN, &samples));
    CHECK(samples == 4, "samples after a skipped batch %lld", (long long)samples);
    delve_tracker_free(tracker);
}

/* Two trackers see half the batches each; their states merged into one equal one tracker that saw all,
 * and a batch given as moments equals the batch itself. */
static void test_tracker_exchange(void) {
    enum { D = 5, N = 64 };
    static double x[N * D];
    /* float32-representable: the tracker reads float64 batches through float32 */
    for (int i = 0; i < N * D; i++) x[i] = (float)(uniform() * (1 + i % D));
    delve_tracker_options options;
    OK(delve_tracker_options_init(&options));
    options.statistics = "lsat,idim,trc,erank";
    delve_tracker *all = NULL, *first = NULL, *second = NULL, *moments = NULL;
    OK(delve_tracker_create(&options, &all));
    OK(delve_tracker_create(&options, &first));
    OK(delve_tracker_create(&options, &second));
    OK(delve_tracker_create(&options, &moments));
    int64_t half[2] = {N / 2, D}, whole[2] = {N, D};
    OK(delve_tracker_record(all, "fc", DELVE_PHASE_TRAIN, x, DELVE_FLOAT64, whole, 2, DELVE_KIND_DENSE));
    OK(delve_tracker_record(first, "fc", DELVE_PHASE_TRAIN, x, DELVE_FLOAT64, half, 2, DELVE_KIND_DENSE));
    OK(delve_tracker_record(second, "fc", DELVE_PHASE_TRAIN, x + N / 2 * D, DELVE_FLOAT64, half, 2, DELVE_KIND_DENSE));

    int64_t count = 0;
    OK(delve_tracker_epoch_layer_count(second, &count));
    CHECK(count == 1, "epoch layers %lld", (long long)count);
    char name[16];
    size_t name_size = 0;
    int32_t phase = -1;
    OK(delve_tracker_epoch_layer(second, 0, name, sizeof name, &name_size, &phase));
    CHECK(strcmp(name, "fc") == 0 && phase == DELVE_PHASE_TRAIN, "epoch layer %s/%d", name, phase);

    /* rank order: first's state, then second's, merged, replaces first's */
    size_t size = 0;
    OK(delve_tracker_layer_state(first, "fc", DELVE_PHASE_TRAIN, NULL, 0, &size));
    uint8_t *a = malloc(size);
    OK(delve_tracker_layer_state(first, "fc", DELVE_PHASE_TRAIN, a, size, &size));
    delve_accumulator *merged = NULL, *other = NULL;
    OK(delve_accumulator_deserialize(a, size, &merged));
    OK(delve_tracker_layer_state(second, "fc", DELVE_PHASE_TRAIN, NULL, 0, &size));
    uint8_t *b = malloc(size);
    OK(delve_tracker_layer_state(second, "fc", DELVE_PHASE_TRAIN, b, size, &size));
    OK(delve_accumulator_deserialize(b, size, &other));
    OK(delve_accumulator_merge(merged, other));
    OK(delve_accumulator_serialize(merged, NULL, 0, &size));
    uint8_t *m = malloc(size);
    OK(delve_accumulator_serialize(merged, m, size, &size));
    OK(delve_tracker_replace_layer_state(first, "fc", DELVE_PHASE_TRAIN, m, size));
    CHECK(delve_tracker_replace_layer_state(first, "fc", DELVE_PHASE_TRAIN, m, size / 2) == DELVE_ERR_STATE,
          "a truncated state replaced the layer's");

    /* the second half as moments */
    double mean[D] = {0}, com[D * D] = {0};
    const double *h = x + N / 2 * D;
    for (int r = 0; r < N / 2; r++) for (int j = 0; j < D; j++) mean[j] += h[r * D + j] / (N / 2);
    for (int r = 0; r < N / 2; r++)
        for (int i = 0; i < D; i++)
            for (int j = 0; j < D; j++) com[i * D + j] += (h[r * D + i] - mean[i]) * (h[r * D + j] - mean[j]);
    OK(delve_tracker_record(moments, "fc", DELVE_PHASE_TRAIN, x, DELVE_FLOAT64, half, 2, DELVE_KIND_DENSE));
    OK(delve_tracker_record_moments(moments, "fc", DELVE_PHASE_TRAIN, N / 2, D, mean, com));
    static double wider[(D + 1) * (D + 1)];
    CHECK(delve_tracker_record_moments(moments, "fc", DELVE_PHASE_TRAIN, N / 2, D + 1, wider, wider) == DELVE_ERR_BAD_BATCH,
          "moments of another width accepted");

    OK(delve_tracker_end_epoch(all));
    OK(delve_tracker_end_epoch(first));
    OK(delve_tracker_end_epoch(moments));
    const char *keys[] = {"train-saturation_fc", "train-intrinsic-dimensionality_fc", "train-covariance-trace_fc",
                          "train-effective-rank_fc"};
    for (int k = 0; k < 4; k++) {
        double v_all, v_first, v_moments;
        OK(delve_tracker_last_value_named(all, keys[k], &v_all));
        OK(delve_tracker_last_value_named(first, keys[k], &v_first));
        OK(delve_tracker_last_value_named(moments, keys[k], &v_moments));
        CHECK(close_rel(v_all, v_first, 1e-12), "%s merged %.17g vs %.17g", keys[k], v_first, v_all);
        CHECK(close_rel(v_all, v_moments, 1e-12), "%s moments %.17g vs %.17g", keys[k], v_moments, v_all);
    }
    int64_t samples = 0;
    OK(delve_tracker_last_samples(first, "fc", DELVE_PHASE_TRAIN, &samples));
    CHECK(samples == N, "merged samples %lld", (long long)samples);
    free(a);
    free(b);
    free(m);
    delve_accumulator_free(merged);
    delve_accumulator_free(other);
    delve_tracker_free(all);
    delve_tracker_free(first);
    delve_tracker_free(second);
    delve_tracker_free(moments);
}

/* ---- linear probes ---------------------------------------------------------------------------- */

enum { PD = 4, PK = 3, PTRAIN = 24, PEVAL = 9 };

/* Separable rows: class i % 3 at 2·e_class plus noise of ±0.2 in every feature (D = 4, K = 3). */
static void probe_rows(float *rows, int64_t *labels, int n) {
    for (int i = 0; i < n; i++) {
        labels[i] = i % PK;
        for (int j = 0; j < PD; j++) rows[i * PD + j] = (float)(0.4 * uniform() + (j == labels[i] ? 2.0 : 0.0));
    }
}

/* Solves A X = B (A n×n, B n×k, row-major, both overwritten; X into B) by Gauss–Jordan with pivoting. */
static void solve(double *a, double *b, int n, int k) {
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int r = c + 1; r < n; r++) if (fabs(a[r * n + c]) > fabs(a[p * n + c])) p = r;
        for (int j = 0; j < n; j++) { double t = a[c * n + j]; a[c * n + j] = a[p * n + j]; a[p * n + j] = t; }
        for (int j = 0; j < k; j++) { double t = b[c * k + j]; b[c * k + j] = b[p * k + j]; b[p * k + j] = t; }
        for (int r = 0; r < n; r++) {
            if (r == c) continue;
            double f = a[r * n + c] / a[c * n + c];
            for (int j = 0; j < n; j++) a[r * n + j] -= f * a[c * n + j];
            for (int j = 0; j < k; j++) b[r * k + j] -= f * b[c * k + j];
        }
    }
    for (int r = 0; r < n; r++) for (int j = 0; j < k; j++) b[r * k + j] /= a[r * n + r];
}

/* The ridge probe in plain C from the rows themselves: centred one-hot targets Y − p, W = (XcᵀXc/N + λI)⁻¹
 * XcᵀYc/N (λ = ridge, or 1e-3·tr Σ/D when ridge ≤ 0), R² = 1 − Σ‖y − ŷ‖² / Σ‖y − p‖² with ŷ = (x − μ)W + p
 * summed sample by sample; `correct` counts the eval rows whose arg-max ŷ is their label. */
static double reference_probe(const float *train, const int64_t *train_labels, int n, const float *eval,
                              const int64_t *eval_labels, int m, double ridge, int *correct) {
    double mu[PD] = {0}, p[PK] = {0}, sigma[PD * PD] = {0}, mm[PD * PK] = {0};
    for (int i = 0; i < n; i++) {
        p[train_labels[i]] += 1.0 / n;
        for (int j = 0; j < PD; j++) mu[j] += (double)train[i * PD + j] / n;
    }
    for (int i = 0; i < n; i++)
        for (int a = 0; a < PD; a++) {
            double xa = train[i * PD + a] - mu[a];
            for (int b = 0; b < PD; b++) sigma[a * PD + b] += xa * (train[i * PD + b] - mu[b]) / n;
            for (int c = 0; c < PK; c++) mm[a * PK + c] += xa * ((train_labels[i] == c) - p[c]) / n;
        }
    double trace = 0;
    for (int j = 0; j < PD; j++) trace += sigma[j * PD + j];
    double lambda = ridge > 0 ? ridge : 1e-3 * trace / PD;
    for (int j = 0; j < PD; j++) sigma[j * PD + j] += lambda;
    solve(sigma, mm, PD, PK);   /* mm is W now */
    double sse = 0, sst = 0;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < PK; c++) {
            double y = train_labels[i] == c, yhat = p[c];
            for (int j = 0; j < PD; j++) yhat += (train[i * PD + j] - mu[j]) * mm[j * PK + c];
            sse += (y - yhat) * (y - yhat);
            sst += (y - p[c]) * (y - p[c]);
        }
    *correct = 0;
    for (int i = 0; i < m; i++) {
        int best = 0;
        double top = -INFINITY;
        for (int c = 0; c < PK; c++) {
            double score = p[c];
            for (int j = 0; j < PD; j++) score += (eval[i * PD + j] - mu[j]) * mm[j * PK + c];
            if (score > top) { top = score; best = c; }
        }
        *correct += best == eval_labels[i];
    }
    return 1 - sse / sst;
}

/* One epoch of a tracker with probes on (ridge ≤ 0: the default λ) over the given rows in two train
 * batches and one eval batch; checks R² against the plain-C ridge and the eval accuracy. */
static void check_probe_epoch(double ridge, const float *train, const int64_t *train_labels, const float *eval,
                              const int64_t *eval_labels) {
    delve_tracker_options options;
    OK(delve_tracker_options_init(&options));
    CHECK(options.probes == 0 && options.probe_ridge == 0, "probe defaults %d %g", options.probes, options.probe_ridge);
    options.probes = 1;
    options.probe_ridge = ridge;
    delve_tracker *tracker = NULL;
    OK(delve_tracker_create(&options, &tracker));
    int64_t half[2] = {PTRAIN / 2, PD}, eval_shape[2] = {PEVAL, PD};

    /* errors before the good batches; none of them changes the state */
    CHECK(delve_tracker_record(tracker, "fc", DELVE_PHASE_TRAIN, train, DELVE_FLOAT32, half, 2, DELVE_KIND_DENSE)
              == DELVE_ERR_BAD_BATCH, "a batch without labels accepted");
    CHECK(strstr(delve_last_error(), "'fc'") && strstr(delve_last_error(), "no labels"), "message: %s", delve_last_error());
    OK(delve_tracker_set_labels(tracker, DELVE_PHASE_TRAIN, train_labels, 3));
    CHECK(delve_tracker_record(tracker, "fc", DELVE_PHASE_TRAIN, train, DELVE_FLOAT32, half, 2, DELVE_KIND_DENSE)
              == DELVE_ERR_BAD_BATCH, "3 labels for 12 samples accepted");
    CHECK(strstr(delve_last_error(), "'fc'") && strstr(delve_last_error(), "3 label(s) for a batch of 12 sample(s)"),
          "message: %s", delve_last_error());
    int64_t negative[3] = {0, -1, 2};
    CHECK(delve_tracker_set_labels(tracker, DELVE_PHASE_TRAIN, negative, 3) == DELVE_ERR_ARGUMENT, "negative label");
    CHECK(strstr(delve_last_error(), "labels[1] is -1") != NULL, "message: %s", delve_last_error());
    CHECK(delve_tracker_set_labels(tracker, DELVE_PHASE_TRAIN, train_labels, -2) == DELVE_ERR_ARGUMENT, "count -2");
    CHECK(strstr(delve_last_error(), "count must be ≥ 0, got -2") != NULL, "message: %s", delve_last_error());
    CHECK(delve_tracker_set_labels(tracker, DELVE_PHASE_TRAIN, NULL, 4) == DELVE_ERR_ARGUMENT, "NULL labels, count 4");
    CHECK(strstr(delve_last_error(), "labels must not be NULL") != NULL, "message: %s", delve_last_error());
    CHECK(delve_tracker_set_labels(tracker, 7, train_labels, 4) == DELVE_ERR_ARGUMENT, "phase 7");
    CHECK(delve_tracker_set_labels(NULL, DELVE_PHASE_TRAIN, train_labels, 4) == DELVE_ERR_ARGUMENT, "NULL tracker");

    for (int b = 0; b < 2; b++) {
        OK(delve_tracker_set_labels(tracker, DELVE_PHASE_TRAIN, train_labels + b * (PTRAIN / 2), PTRAIN / 2));
        OK(delve_tracker_record(tracker, "fc", DELVE_PHASE_TRAIN, train + b * (PTRAIN / 2) * PD, DELVE_FLOAT32, half, 2,
                                DELVE_KIND_DENSE));
    }
    OK(delve_tracker_set_labels(tracker, DELVE_PHASE_TRAIN, NULL, 0));   /* cleared: the next batch has none */
    CHECK(delve_tracker_record(tracker, "fc", DELVE_PHASE_TRAIN, train, DELVE_FLOAT32, half, 2, DELVE_KIND_DENSE)
              == DELVE_ERR_BAD_BATCH, "a batch after the labels were cleared accepted");
    OK(delve_tracker_set_labels(tracker, DELVE_PHASE_EVAL, eval_labels, PEVAL));
    OK(delve_tracker_record(tracker, "fc", DELVE_PHASE_EVAL, eval, DELVE_FLOAT32, eval_shape, 2, DELVE_KIND_DENSE));
    OK(delve_tracker_end_epoch(tracker));

    int correct = -1;
    double expected = reference_probe(train, train_labels, PTRAIN, eval, eval_labels, PEVAL, ridge, &correct);
    double r2 = NAN, accuracy = NAN;
    OK(delve_tracker_last_value_named(tracker, "train-probe-r2_fc", &r2));
    CHECK(close_rel(r2, expected, 1e-9), "probe R² (ridge %g) %.17g, plain C %.17g", ridge, r2, expected);
    CHECK(expected > 0.8 && expected < 1, "reference R² %g", expected);
    OK(delve_tracker_last_value_named(tracker, "eval-probe-accuracy_fc", &accuracy));
    CHECK(accuracy == 1.0 && correct == PEVAL, "probe accuracy %g, plain C %d of %d", accuracy, correct, PEVAL);
    CHECK(delve_tracker_last_value_named(tracker, "eval-probe-r2_fc", &r2) == DELVE_ERR_ARGUMENT, "no R² on eval");
    CHECK(delve_tracker_last_value_named(tracker, "train-probe-accuracy_fc", &r2) == DELVE_ERR_ARGUMENT,
          "no accuracy on train");
    int64_t samples = 0;
    OK(delve_tracker_last_samples(tracker, "fc", DELVE_PHASE_TRAIN, &samples));
    CHECK(samples == PTRAIN, "train samples %lld (rejected batches left out)", (long long)samples);
    delve_tracker_free(tracker);
}

static void test_probes(void) {
    float train[PTRAIN * PD], eval[PEVAL * PD];
    int64_t train_labels[PTRAIN], eval_labels[PEVAL];
    probe_rows(train, train_labels, PTRAIN);
    probe_rows(eval, eval_labels, PEVAL);
    check_probe_epoch(0, train, train_labels, eval, eval_labels);
    check_probe_epoch(-1, train, train_labels, eval, eval_labels);
    check_probe_epoch(0.5, train, train_labels, eval, eval_labels);

    /* options: a NaN ridge, probes without the covariance reset, a struct of interface version 1 */
    delve_tracker_options options;
    delve_tracker *tracker = NULL;
    OK(delve_tracker_options_init(&options));
    options.probes = 1;
    options.probe_ridge = NAN;
    CHECK(delve_tracker_create(&options, &tracker) == DELVE_ERR_ARGUMENT, "NaN ridge accepted");
    CHECK(strstr(delve_last_error(), "probe_ridge must be a finite number") != NULL, "message: %s", delve_last_error());
    options.probe_ridge = 0;
    options.reset_covariance = 0;
    CHECK(delve_tracker_create(&options, &tracker) == DELVE_ERR_ARGUMENT, "probes without reset accepted");
    CHECK(strstr(delve_last_error(), "probes need reset_covariance") != NULL, "message: %s", delve_last_error());
    options.reset_covariance = 1;
    options.struct_size = offsetof(delve_tracker_options, probes);
    CHECK(delve_tracker_create(&options, &tracker) == DELVE_ERR_ARGUMENT, "version-1 struct accepted");
    CHECK(strstr(delve_last_error(), "options.struct_size is 112") && strstr(delve_last_error(), "has 128 bytes"),
          "message: %s", delve_last_error());

    /* probes off: labels are checked, then ignored (no probe values) */
    OK(delve_tracker_options_init(&options));
    OK(delve_tracker_create(&options, &tracker));
    int64_t shape[2] = {PTRAIN, PD};
    OK(delve_tracker_set_labels(tracker, DELVE_PHASE_TRAIN, train_labels, 5));
    OK(delve_tracker_record(tracker, "fc", DELVE_PHASE_TRAIN, train, DELVE_FLOAT32, shape, 2, DELVE_KIND_DENSE));
    int64_t negative[1] = {-4};
    CHECK(delve_tracker_set_labels(tracker, DELVE_PHASE_TRAIN, negative, 1) == DELVE_ERR_ARGUMENT, "negative label, probes off");
    OK(delve_tracker_end_epoch(tracker));
    double v = 0;
    OK(delve_tracker_last_value_named(tracker, "train-saturation_fc", &v));
    CHECK(delve_tracker_last_value_named(tracker, "train-probe-r2_fc", &v) == DELVE_ERR_ARGUMENT, "probe value with probes off");
    delve_tracker_free(tracker);
}

/* The BLAS thread count: set, read back, restored; 0 is an argument error with a message. */
static void test_blas_threads(void) {
    int32_t before = 0, now = 0;
    CHECK(delve_blas_threads(&before) == DELVE_OK && before >= 1, "threads %d", before);
    CHECK(delve_set_blas_threads(1) == DELVE_OK, "set 1");
    CHECK(delve_blas_threads(&now) == DELVE_OK && now == 1, "read back %d", now);
    CHECK(delve_set_blas_threads(0) == DELVE_ERR_ARGUMENT, "0 threads refused");
    CHECK(strstr(delve_last_error(), "threads must be at least 1, got 0") != NULL, "message: %s", delve_last_error());
    CHECK(delve_blas_threads(NULL) == DELVE_ERR_ARGUMENT, "NULL out refused");
    CHECK(delve_set_blas_threads(before) == DELVE_OK, "restore");
    CHECK(delve_blas_threads(&now) == DELVE_OK && now == before, "restored %d", now);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s <scratch directory>\n", argv[0]);
        return 2;
    }
    CHECK(delve_abi_version() == DELVE_ABI_VERSION, "ABI version %u", delve_abi_version());
    test_options_layout();
    test_known_spectrum();
    test_merge_and_serialize();
    test_accumulator_errors();
    test_tracker(argv[1]);
    test_tracker_exchange();
    test_probes();
    test_blas_threads();
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}
