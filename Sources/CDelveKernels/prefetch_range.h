// Internal to CDelveKernels: a range of memory to bring into L2 while a kernel's tiles run (the next
// chunk's or the caller's next block's input), one cache line per tile step until it is covered.
#ifndef CDELVE_PREFETCH_RANGE_H
#define CDELVE_PREFETCH_RANGE_H

typedef struct { const char *next, *end; } prefetch_range;

// count floats from p (an empty range for NULL or count ≤ 0).
static inline prefetch_range prefetch_span(const float *p, long count) {
    prefetch_range r = {0, 0};
    if (p && count > 0) { r.next = (const char *)p; r.end = (const char *)(p + count); }
    return r;
}

// The input of observations [g0, g0 + len) of NCHW x (g = b·s + p): whole samples b0 … b1, a contiguous
// range of x.
static inline prefetch_range prefetch_chunk(const float *x, long c, long s, long g0, long len) {
    const long b0 = g0 / s, b1 = (g0 + len - 1) / s;
    return prefetch_span(x + b0 * c * s, (b1 - b0 + 1) * c * s);
}

#endif
