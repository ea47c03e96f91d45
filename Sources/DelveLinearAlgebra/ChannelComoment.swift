import CDelveKernels

/// The centred channel co-moment of NCHW float32 blocks, accumulated in float64 by a hand-written
/// kernel (CDelveKernels): M[i][j] += Σ_b Σ_p (x[b,i,p] − μ_i)(x[b,j,p] − μ_j) for i ≤ j.
///
/// Per sample the block is a C × HW matrix times its transpose — a long inner dimension, where BLAS
/// `syrk` is weakest. The vector paths widen and centre each float32 value once into a per-thread
/// float64 scratch (chunks of positions) and keep a tile of M in vector accumulators whose lanes run
/// over positions (AVX-512 4×6, AVX2 3×4); the portable C path (4×4) reads in place. Float32 mode has
/// its own kernel (``addInFloat32(_:samples:channels:spatial:shift:moment:ldm:sums:path:)``): float32
/// products read in place. The path is chosen at run time from the CPU's features.
public enum ChannelComoment {
    /// A kernel path; `.best` is the fastest one this CPU runs.
    public enum Path: Int32, CaseIterable, Sendable {
        case portable = 0, avx2 = 1, avx512 = 2

        /// The fastest path this CPU supports.
        public static var best: Path { Path(rawValue: delve_kernel_best_path()) ?? .portable }
    }

    /// Whether the engine sends a block of `channels` channels and `spatial` positions per sample to the
    /// kernel: 1 ≤ C ≤ 128 and HW ≥ 16, the shapes where it beats centring plus OpenBLAS `dsyrk` by
    /// 1.3× or more (docs/BENCHMARKS.md). The kernel itself takes any shape.
    public static func accepts(channels: Int, spatial: Int) -> Bool {
        channels >= 1 && channels <= 128 && spatial >= 16
    }

    /// Whether float32 mode sends a block the engine gives the kernel to the float32-product kernel
    /// (``addInFloat32(_:samples:channels:spatial:shift:moment:ldm:sums:path:)``) rather than the float64
    /// one, on `path`: HW ≥ 128 (rows read in place), and on AVX-512 also shorter rows with C·HW ≥ 2048
    /// (packed in float32 first). There it is faster on every measured shape (scripts/comoment-bench.c,
    /// 1.2–2.3×); with less, a batch is one or two blocks of the engine, whose first block's extra mean
    /// pass (float32 mode centres it on its mean) makes it about as fast or slower (0.83–1.03× at C = 8,
    /// 32 and 64, HW = 16…49), so float32 mode keeps the float64 kernel there.
    public static func prefersFloat32(channels: Int, spatial: Int, path: Path = .best) -> Bool {
        guard accepts(channels: channels, spatial: spatial) else { return false }
        return spatial >= 128 || (path == .avx512 && channels * spatial >= 2048)
    }

    /// Adds the centred co-moment of `samples` NCHW samples at `x` (each `channels` × `spatial`,
    /// centred on `mean`) to the upper triangle of `moment` (row-major, leading dimension `ldm`), and,
    /// when `sums` is given, each channel's Σ (x − mean) to `sums` (read in the same pass, so `mean`
    /// may be a shift: the centred co-moment is then M − t tᵀ/n). `ahead`: the values the caller passes
    /// next (the following block), brought into L2 by prefetch instructions while the last tiles run —
    /// never read otherwise. `path` is lowered to what the CPU supports.
    public static func add(_ x: UnsafePointer<Float>, samples: Int, channels: Int, spatial: Int,
                           mean: UnsafePointer<Double>, moment: UnsafeMutablePointer<Double>, ldm: Int,
                           sums: UnsafeMutablePointer<Double>? = nil, ahead: UnsafeBufferPointer<Float>? = nil,
                           path: Path = .best) {
        delve_channel_comoment_f32(path.rawValue, x, samples, channels, spatial, mean, moment, ldm, sums,
                                   ahead?.baseAddress, ahead?.count ?? 0)
    }

    /// Float32 mode's kernel: as ``add(_:samples:channels:spatial:mean:moment:ldm:sums:ahead:path:)``,
    /// but with the products in float32 (AVX-512 16 lanes, AVX2 8, no widening; read in place, on AVX-512
    /// with HW < 128 packed in float32 first), centred on
    /// s = `shift` rounded to float32: M[i][j] += Σ (x_i − s_i)(x_j − s_j), t[i] += Σ (x_i − s_i). Each float32
    /// accumulator lane sums at most 256 products before it is added into `moment` in float64; `sums` are
    /// summed in float64. Returns false when a float32 partial is not finite (an overflow, or a NaN/∞ in
    /// `x`) or the kernel could not run in float32 (a shift beyond float32, no memory for C > 256):
    /// `moment` and `sums` then hold partial sums and the block must be redone (in float64). Pass a
    /// float32-representable shift to have `sums` relative to exactly it.
    @discardableResult
    public static func addInFloat32(_ x: UnsafePointer<Float>, samples: Int, channels: Int, spatial: Int,
                                    shift: UnsafePointer<Double>, moment: UnsafeMutablePointer<Double>, ldm: Int,
                                    sums: UnsafeMutablePointer<Double>? = nil, path: Path = .best) -> Bool {
        delve_channel_comoment_f32_fast(path.rawValue, x, samples, channels, spatial, shift, moment, ldm, sums) != 0
    }
}
