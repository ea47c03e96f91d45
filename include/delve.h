/*
 * delve.h — the C interface of Delve for Swift (library `DelveC`: libDelveC.so / libDelveC.dylib).
 *
 * Two objects, both opaque handles:
 *   - delve_accumulator: the online float64 covariance of a stream of batches (count, mean, co-moment),
 *     its statistics and eigenvalues; accumulators merge exactly and serialize to bytes.
 *   - delve_tracker: Delve's saturation tracker: batches of named layers per phase, user scalars, an
 *     epoch end that computes the statistics and writes them to a run directory.
 *
 * Conventions
 *   - Every function except delve_abi_version, delve_last_error and the *_free functions returns a
 *     delve_status; DELVE_OK is 0. On failure, delve_last_error() returns a message naming what was
 *     wrong (the layer, the argument, the expected shape). The message belongs to the calling thread
 *     and stays valid until that thread's next failing call. Success does not clear it.
 *   - Every argument is checked before use; no Swift error or trap crosses this interface. Pointers
 *     to data must be valid for the number of elements their shape states (that cannot be checked).
 *   - Sizes and counts are int64_t; data are float32 (DELVE_FLOAT32) or float64 (DELVE_FLOAT64),
 *     contiguous and row-major (C order). Strings are NUL-terminated UTF-8.
 *   - Handles may be used from several threads at once; calls on one handle are serialized inside.
 *   - Eigenvalues are returned largest first; statistics follow the Delve paper (Shenk et al., JOSS
 *     2022), with DELVE_CONVENTION_DELVE giving Delve 0.1.50's intrinsic dimensionality (one less).
 */
#ifndef DELVE_H
#define DELVE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this interface; a change that breaks existing callers increments it.
 * 2: delve_tracker_options gained probes and probe_ridge (a caller built against 1 has a smaller struct,
 *    which delve_tracker_options_init would overrun and delve_tracker_create refuses). */
#define DELVE_ABI_VERSION 2

typedef enum {
    DELVE_OK = 0,
    DELVE_ERR_ARGUMENT = 1,   /* a NULL pointer, a negative or inconsistent size, an unknown name or value */
    DELVE_ERR_BAD_BATCH = 2,  /* data rejected: NaN or ±inf, overflow, a changed width (state unchanged) */
    DELVE_ERR_STATE = 3,      /* corrupt or incompatible serialized state, or a failed eigendecomposition */
    DELVE_ERR_IO = 4,         /* a run directory or file could not be created or written */
    DELVE_ERR_WRITER = 5,     /* a writer failed at an epoch end (the statistics were still computed) */
    DELVE_ERR_BUFFER = 6      /* an output buffer is too small; the needed size was stored */
} delve_status;

typedef enum { DELVE_FLOAT32 = 0, DELVE_FLOAT64 = 1 } delve_dtype;
/* The arithmetic of each batch's co-moment; the state is float64 in both. */
typedef enum { DELVE_PRECISION_FLOAT64 = 0, DELVE_PRECISION_FLOAT32 = 1 } delve_precision;
/* Intrinsic dimensionality: the paper's (smallest k explaining >= threshold) or Delve 0.1.50's (one less). */
typedef enum { DELVE_CONVENTION_PAPER = 0, DELVE_CONVENTION_DELVE = 1 } delve_convention;
typedef enum { DELVE_PHASE_TRAIN = 0, DELVE_PHASE_EVAL = 1 } delve_phase;
/* How a layer's output is read: N×D; N×C×H×W; N×T×F; T×N×F. */
typedef enum {
    DELVE_KIND_DENSE = 0,
    DELVE_KIND_CONVOLUTION = 1,
    DELVE_KIND_SEQUENCE_BATCH_FIRST = 2,
    DELVE_KIND_SEQUENCE_TIME_FIRST = 3
} delve_kind;
typedef enum { DELVE_BAD_BATCH_FAIL = 0, DELVE_BAD_BATCH_SKIP = 1 } delve_bad_batch_policy;

typedef struct delve_accumulator delve_accumulator;
typedef struct delve_tracker delve_tracker;

/* DELVE_ABI_VERSION of the library actually loaded (compare with the header's). */
uint32_t delve_abi_version(void);

/* The message of this thread's last failed call ("" if none). */
const char *delve_last_error(void);

/* The number of threads the engine's BLAS (OpenBLAS) uses for one call, process-wide. */
delve_status delve_blas_threads(int32_t *out);

/* Sets it (count >= 1). Inside a framework that keeps its own worker threads busy (PyTorch's intra-op
 * threads), 1 avoids two thread pools spinning on the same cores. Set it before training: the epoch end
 * changes it for a while and restores it. */
delve_status delve_set_blas_threads(int32_t count);

/* ---- Accumulator ------------------------------------------------------------------------------- */

/* A new, empty accumulator of `features` features (0 ≤ features ≤ 65536); `name` (may be NULL) names
 * it in messages. Free it with delve_accumulator_free. */
delve_status delve_accumulator_create(int64_t features, const char *name, delve_precision precision,
                                      delve_accumulator **out);
void delve_accumulator_free(delve_accumulator *accumulator);

delve_status delve_accumulator_features(const delve_accumulator *accumulator, int64_t *features);
/* The number of observations accumulated so far. */
delve_status delve_accumulator_count(const delve_accumulator *accumulator, int64_t *count);

/* Adds `rows` observations, row-major rows × features (`features` must equal the accumulator's). */
delve_status delve_accumulator_update(delve_accumulator *accumulator, const void *data, delve_dtype dtype,
                                      int64_t rows, int64_t features);

/* Adds convolutional maps stored N×C×S (S = H·W): every sample's every position is one observation of
 * the C channels, (N·S) × C. float32 is read in place; float64 goes through a transposed copy. */
delve_status delve_accumulator_update_channelwise(delve_accumulator *accumulator, const void *data,
                                                  delve_dtype dtype, int64_t batch, int64_t channels,
                                                  int64_t spatial);

/* Adds every observation of `other` (exact; `other` is unchanged). */
delve_status delve_accumulator_merge(delve_accumulator *accumulator, const delve_accumulator *other);

/* Adds a batch given by its moments: `count` observations, their mean (D values) and their centred
 * co-moment Σ (x − mean)(x − mean)ᵀ (D×D row-major, the upper triangle is read). Exact. */
delve_status delve_accumulator_merge_moments(delve_accumulator *accumulator, int64_t count,
                                             const double *mean, const double *comoment);

/* Forgets every observation. */
delve_status delve_accumulator_reset(delve_accumulator *accumulator);

/* The mean (D values) and the population covariance (D×D row-major) into caller buffers of
 * `capacity` doubles. */
delve_status delve_accumulator_mean(const delve_accumulator *accumulator, double *out, int64_t capacity);
delve_status delve_accumulator_covariance(const delve_accumulator *accumulator, double *out, int64_t capacity);

/* The state as bytes (the format of `delve merge`'s .cov files). Call with out = NULL to get the size
 * in *size; then with a buffer of *size bytes (DELVE_ERR_BUFFER if `capacity` is smaller). */
delve_status delve_accumulator_serialize(const delve_accumulator *accumulator, uint8_t *out, size_t capacity,
                                         size_t *size);
/* A new accumulator from serialized bytes (checked: magic, version, sizes, CRC). */
delve_status delve_accumulator_deserialize(const uint8_t *bytes, size_t size, delve_accumulator **out);

/* One statistic by name — lsat, idim, det, logdet, trc, dtrc, erank, pr, srank — of the population
 * covariance, with threshold δ in (0, 1] for idim and lsat. */
delve_status delve_accumulator_statistic(const delve_accumulator *accumulator, const char *name,
                                         double threshold, delve_convention convention, double *value);

/* The D eigenvalues of the population covariance, largest first, clipped at 0, into `out`
 * (capacity ≥ D doubles). */
delve_status delve_accumulator_eigenvalues(const delve_accumulator *accumulator, double *out, int64_t capacity);

/* The eigendecomposition of the population covariance: the D eigenvalues, largest first, into `values`,
 * and the D×D eigenvectors row-major into `vectors`, column j the unit eigenvector of values[j]
 * (`capacity` ≥ D·D doubles). For D ≥ 1. */
delve_status delve_accumulator_eigenvectors(const delve_accumulator *accumulator, double *values, double *vectors,
                                            int64_t capacity);

/* ---- Tracker ----------------------------------------------------------------------------------- */

/* Options of a tracker. Fill with delve_tracker_options_init, then change fields. Strings are copied
 * by delve_tracker_create. */
typedef struct {
    uint32_t struct_size;        /* sizeof(delve_tracker_options); set by delve_tracker_options_init */
    const char *run_directory;   /* where the writers write (created if missing); NULL: no writers */
    const char *writers;         /* comma list: csv, jsonl, console, plot, npy, tensorboard, report */
    const char *statistics;      /* comma list of statistic names (default "lsat") */
    double threshold;            /* δ in (0, 1] (default 0.99) */
    const char *conv_method;     /* channelwise (default), mean, max, median, flatten */
    const char *timeseries_method; /* last (default, N×F), timestep-observations (every step an observation,
                                      (N·T)×F) or flattened-sequence (Delve 0.1.50's timestepwise: each sequence
                                      one observation, N×(T·F)); "timestepwise" is read as the deprecated name of
                                      timestep-observations */
    int64_t downsample;          /* resize conv maps to at most this height and width; 0: never (default) */
    int32_t convention;          /* delve_convention (default paper) */
    int32_t precision;           /* delve_precision (default float64) */
    int64_t log_interval;        /* record every k-th forward pass of each layer and phase (default 1) */
    int64_t max_samples;         /* at most this many samples per layer, phase and epoch; 0: all (default) */
    int32_t reset_covariance;    /* 1: a fresh covariance every epoch (default); 0: over the whole run */
    int32_t average_saturation;  /* 1: report average-<phase>-sat (default) */
    int64_t initial_epoch;       /* the number of the first epoch (default 0) */
    int32_t bad_batch_policy;    /* delve_bad_batch_policy (default fail) */
    int32_t keep_spectra;        /* 1: keep eigenvalues in the records (default) */
    int32_t probes;              /* 1: a streaming linear probe per layer (default 0: off); every recorded batch
                                    then needs its labels (delve_tracker_set_labels); needs reset_covariance */
    double probe_ridge;          /* the probe's ridge λ when > 0; 0 or negative (default): 1e-3·tr Σ/D */
} delve_tracker_options;

/* Fills `options` with the defaults. */
delve_status delve_tracker_options_init(delve_tracker_options *options);

delve_status delve_tracker_create(const delve_tracker_options *options, delve_tracker **out);
/* Frees the tracker (closes its writers first if delve_tracker_close was not called). */
void delve_tracker_free(delve_tracker *tracker);

/* Records one batch of a layer's output. `shape` has 2 (dense), 4 (convolution) or 3 (sequence)
 * dimensions; the data are read in place for float32, converted to float32 for float64. With the
 * fail policy a bad batch returns DELVE_ERR_BAD_BATCH naming the layer, phase and batch; with the
 * skip policy it is counted and reported in the epoch's notes. */
delve_status delve_tracker_record(delve_tracker *tracker, const char *layer, delve_phase phase,
                                  const void *data, delve_dtype dtype, const int64_t *shape, int32_t rank,
                                  delve_kind kind);

/* The class labels (indices ≥ 0, one per sample) of the next batches in `phase`, for the linear probes:
 * every layer recorded in that phase takes them (the count must equal the batch's samples when it is
 * recorded, else DELVE_ERR_BAD_BATCH naming the layer) until the next call; labels = NULL with count 0
 * clears them. The labels are copied. With probes on, a batch without labels is rejected; with probes
 * off they are checked and ignored (as the Swift tracker's setLabels).
 *
 * The probe of a layer (Alain & Bengio 2016) is the ridge map from its per-sample rows x — dense as is, a
 * convolution's spatial mean per channel, a sequence's last step — to one-hot targets, solved from the
 * epoch's train rows in closed form: (Σ + λI) W = M, Σ their population covariance, M = (1/N) Σ_k
 * n_k (μ_k − μ) e_kᵀ; a sample's class is the arg-max of (x − μ)ᵀW + p (p the class shares). The epoch
 * reports train-probe-r2_<layer> (R² of the fit on the train rows) and eval-probe-accuracy_<layer> (the
 * share of eval samples classified correctly by the probe of the same epoch's train rows). */
delve_status delve_tracker_set_labels(delve_tracker *tracker, delve_phase phase, const int64_t *labels, int64_t count);

/* Adds a user scalar (accuracy, loss) to the current epoch. */
delve_status delve_tracker_add_scalar(delve_tracker *tracker, const char *name, double value);

/* Ends the epoch: statistics of every layer and phase, record to the writers. The record can then be
 * read with the delve_tracker_last_* calls (also after DELVE_ERR_WRITER or rejected batches). */
delve_status delve_tracker_end_epoch(delve_tracker *tracker);

delve_status delve_tracker_stop(delve_tracker *tracker);
delve_status delve_tracker_resume(delve_tracker *tracker);
delve_status delve_tracker_is_recording(const delve_tracker *tracker, int32_t *recording);
/* The number of the epoch being recorded. */
delve_status delve_tracker_epoch(const delve_tracker *tracker, int64_t *epoch);
/* Closes the writers (once; later calls do nothing). */
delve_status delve_tracker_close(delve_tracker *tracker);

/* The last ended epoch: its number, and its values in output order under Delve's keys
 * (`train-saturation_fc1`, …, then the scalars). DELVE_ERR_STATE before the first epoch end. */
delve_status delve_tracker_last_epoch(const delve_tracker *tracker, int64_t *epoch);
delve_status delve_tracker_last_value_count(const delve_tracker *tracker, int64_t *count);
/* The key of value `index` into `key` (NUL-terminated; DELVE_ERR_BUFFER and the needed size in
 * *key_size, counting the NUL, if `key_capacity` is too small) and its value. */
delve_status delve_tracker_last_value(const delve_tracker *tracker, int64_t index, char *key,
                                      size_t key_capacity, size_t *key_size, double *value);
/* The value under `key`; DELVE_ERR_ARGUMENT if the last epoch has none. */
delve_status delve_tracker_last_value_named(const delve_tracker *tracker, const char *key, double *value);
/* The observations behind a layer's statistics in the last epoch (N, or N·H·W for channelwise). */
delve_status delve_tracker_last_samples(const delve_tracker *tracker, const char *layer, delve_phase phase,
                                        int64_t *samples);
/* A layer's eigenvalues in the last epoch (needs keep_spectra): the count in *count; copied into
 * `out` when `capacity` ≥ *count (else DELVE_ERR_BUFFER). */
delve_status delve_tracker_last_eigenvalues(const delve_tracker *tracker, const char *layer, delve_phase phase,
                                            double *out, int64_t capacity, int64_t *count);

/* ---- Tracker: moments and data-parallel exchange ------------------------------------------------ */

/* Records a batch of `layer` given by its moments: `count` observations, their mean (`features` values)
 * and centred co-moment Σ (x − mean)(x − mean)ᵀ (features × features row-major, upper triangle read),
 * merged exactly — for moments computed where the data live (an accelerator). log_interval and
 * max_samples do not apply; ignored while stopped. The linear probes do not see such batches (they need
 * the per-sample rows), nor are they part of the layer states below. */
delve_status delve_tracker_record_moments(delve_tracker *tracker, const char *layer, delve_phase phase,
                                          int64_t count, int64_t features, const double *mean,
                                          const double *comoment);

/* The layers and phases that saw batches in the current epoch: their number, then each one's name
 * (NUL-terminated into `layer`; DELVE_ERR_BUFFER and the needed size in *layer_size if too small) and
 * phase. */
delve_status delve_tracker_epoch_layer_count(const delve_tracker *tracker, int64_t *count);
delve_status delve_tracker_epoch_layer(const delve_tracker *tracker, int64_t index, char *layer,
                                       size_t layer_capacity, size_t *layer_size, int32_t *phase);

/* A layer's accumulated state as bytes (the accumulator's serialization): with out = NULL the size in
 * *size, then into a buffer of *size bytes. */
delve_status delve_tracker_layer_state(const delve_tracker *tracker, const char *layer, delve_phase phase,
                                       uint8_t *out, size_t capacity, size_t *size);
/* Replaces a layer's accumulated state for the current epoch by serialized bytes (e.g. the merge of
 * every process's state, in rank order); creates the layer if it is new. */
delve_status delve_tracker_replace_layer_state(delve_tracker *tracker, const char *layer, delve_phase phase,
                                               const uint8_t *bytes, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* DELVE_H */
