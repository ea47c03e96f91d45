import DelveLinearAlgebra

/// The differentiable convolution operations shared by `Conv1d`, `Conv2d` and `ConvTranspose2d`.
///
/// Convolution, per chunk of samples: unfold into columns `[C·kh·kw, b·Ho·Wo]` (im2col), then for each
/// group one `sgemm` `W_g · col_g → [Cout_g, b·Ho·Wo]`, then reorder to `[b, Cout, Ho, Wo]` adding the bias.
/// Backward: dW_g += g_g · col_gᵀ, dcol_g = W_gᵀ · g_g, dx = col2im(dcol), db += Σ g.
enum Convolution {
    /// Dimensions of a 2-D convolution's input: batch, channels, height, width.
    struct Shape4 { var n: Int, c: Int, h: Int, w: Int }

    /// The batch is processed in chunks of samples whose column matrix takes about this many bytes, so that
    /// im2col, the gemms and col2im work on cache-resident data instead of streaming one matrix of the whole
    /// batch through memory (the columns are recomputed in the backward pass rather than kept).
    nonisolated(unsafe) static var chunkBytes = 2 << 20

    /// The number of samples per chunk of at most `bytes` (default ``chunkBytes``) for a column matrix of
    /// `floatsPerSample` floats per sample (at least one sample).
    static func samplesPerChunk(batch: Int, floatsPerSample: Int, bytes: Int? = nil) -> Int {
        max(1, min(batch, (bytes ?? chunkBytes) / max(1, floatsPerSample * MemoryLayout<Float>.stride)))
    }

    /// Runs `body(part, chunks, parallel)` for the chunks `0..<chunkCount` cut into `parts` contiguous ranges
    /// (``chunkParts(_:workers:)``: one per worker, at most one per chunk). With one part it runs inline, BLAS
    /// keeps its threads and DelveNN's loops inside may split (`parallel` true). With several, the parts
    /// run side by side, each with one BLAS thread and serial loops: a whole chunk — im2col, its gemms,
    /// the reorder — per thread, instead of every step split across both threads and joined again. The
    /// weight gradient's gemm in particular (`Cout × C·kh·kw` with the batch's positions as its long
    /// inner dimension, 32×27 for the first layer of a small CNN) is one OpenBLAS does not split well
    /// across its threads; split by chunks, each thread runs a whole product of its own.
    static func forEachChunkPart(_ chunkCount: Int, parts: Int,
                                 _ body: (_ part: Int, _ chunks: Range<Int>, _ parallel: Bool) -> Void) {
        guard parts > 1 else {
            body(0, 0..<chunkCount, true)
            return
        }
        BLAS.concurrentPerform(iterations: parts) { p in
            body(p, (chunkCount * p / parts)..<(chunkCount * (p + 1) / parts), false)
        }
    }

    /// The number of parts a convolution cuts `chunkCount` chunks into: one per worker (by default
    /// ``ComputeSettings/workerCount``), at most one per chunk.
    static func chunkParts(_ chunkCount: Int, workers: Int = Parallel.workerCount) -> Int {
        max(1, min(workers, chunkCount))
    }

    /// Cross-correlation of `input` (laid out as `dims`) with `weight` (`[Cout, Cin/groups, kh, kw]` in
    /// memory); the result gets `outputShape` (same element count as `[N, Cout, Ho, Wo]`).
    ///
    /// Per chunk of `b` samples: col = im2col(x_chunk) `[C·kh·kw, b·Ho·Wo]`, per group `W_g · col_g`, then the
    /// channel-major result is reordered into `[b, Cout, Ho, Wo]` with the bias added. Backward per chunk:
    /// col is unfolded again, `dW_g += g_g · col_gᵀ`, `dcol_g = W_gᵀ · g_g`, `dx_chunk = col2im(dcol)`,
    /// `db += Σ g`. The chunks are shared out by ``forEachChunkPart(_:parts:_:)``; each part sums its chunks'
    /// weight and bias gradients in chunk order and the parts' sums are added in part order, so the
    /// results depend on the number of parts (the worker count, for batches of several chunks) but not on
    /// timing.
    /// `chunkBytes` and `parts` override ``chunkBytes`` and the worker count (tests, without touching
    /// the shared settings); the backward pass uses the same chunks and parts.
    static func forward(_ input: Tensor, dims: Shape4, weight: Tensor, bias: Tensor?, geometry: WindowGeometry,
                        groups: Int, outputShape: [Int], chunkBytes requestedBytes: Int? = nil,
                        parts requestedParts: Int? = nil) -> Tensor {
        let (kh, kw) = geometry.kernel
        let cout = weight.shape[0]
        let cinG = dims.c / groups, coutG = cout / groups
        let kG = cinG * kh * kw, rows = dims.c * kh * kw
        let (ho, wo) = geometry.outputSize(height: dims.h, width: dims.w)
        let plane = ho * wo, inputPlane = dims.c * dims.h * dims.w
        let chunk = samplesPerChunk(batch: dims.n, floatsPerSample: rows * plane, bytes: requestedBytes)
        let maxColumns = chunk * plane
        let chunkCount = (dims.n + chunk - 1) / chunk
        let parts = chunkParts(chunkCount, workers: requestedParts ?? Parallel.workerCount)
        let col = TensorStorage(uninitializedCount: parts * rows * maxColumns)
        let outT = TensorStorage(uninitializedCount: parts * cout * maxColumns)
        let out = TensorStorage(uninitializedCount: cout * dims.n * plane)
        let biasPointer = bias.map { UnsafePointer($0.storage.pointer) }
        forEachChunkPart(chunkCount, parts: parts) { part, chunks, parallel in
            let colP = col.pointer + part * rows * maxColumns, outP = outT.pointer + part * cout * maxColumns
            for index in chunks {
                let s0 = index * chunk, b = min(chunk, dims.n - s0), columns = b * plane
                Im2Col.unfold(image: input.storage.pointer + s0 * inputPlane, batch: b, channels: dims.c, height: dims.h,
                              width: dims.w, geometry: geometry, outHeight: ho, outWidth: wo, col: colP, parallel: parallel)
                for g in 0..<groups {
                    Tensor.gemm(false, false, m: coutG, n: columns, k: kG, a: weight.storage.pointer + g * coutG * kG, lda: kG,
                                b: colP + g * kG * columns, ldb: columns, beta: 0, c: outP + g * coutG * columns)
                }
                Im2Col.channelToBatchMajor(outP, batch: b, channels: cout, plane: plane, bias: biasPointer,
                                           into: out.pointer + s0 * cout * plane, parallel: parallel)
            }
        }
        let parents = bias.map { [input, weight, $0] } ?? [input, weight]
        return Tensor(shape: outputShape, storage: out, parents: parents) { grad in
            let needW = weight.requiresGrad, needX = input.requiresGrad, needB = bias?.requiresGrad ?? false
            let weightCount = weight.count
            let dx: Tensor? = needX ? Tensor.empty(input.shape) : nil
            // One weight/bias gradient per part (the first part's is the result), summed below.
            let dwParts: TensorStorage? = needW ? TensorStorage(count: parts * weightCount, repeating: 0) : nil
            let dbParts: TensorStorage? = needB ? TensorStorage(count: parts * cout, repeating: 0) : nil
            let gT = TensorStorage(uninitializedCount: parts * cout * maxColumns)
            let colB: TensorStorage? = needW ? TensorStorage(uninitializedCount: parts * rows * maxColumns) : nil
            let dcol: TensorStorage? = needX ? TensorStorage(uninitializedCount: parts * rows * maxColumns) : nil
            let ones: TensorStorage? = needB ? TensorStorage(count: maxColumns, repeating: 1) : nil
            forEachChunkPart(chunkCount, parts: parts) { part, chunks, parallel in
                let gP = gT.pointer + part * cout * maxColumns
                for index in chunks {
                    let s0 = index * chunk, b = min(chunk, dims.n - s0), columns = b * plane
                    Im2Col.batchToChannelMajor(grad.storage.pointer + s0 * cout * plane, batch: b, channels: cout,
                                               plane: plane, into: gP, parallel: parallel)
                    if let dwParts, let colB {
                        let colP = colB.pointer + part * rows * maxColumns, dwP = dwParts.pointer + part * weightCount
                        Im2Col.unfold(image: input.storage.pointer + s0 * inputPlane, batch: b, channels: dims.c,
                                      height: dims.h, width: dims.w, geometry: geometry, outHeight: ho, outWidth: wo,
                                      col: colP, parallel: parallel)
                        for g in 0..<groups {
                            Tensor.gemm(false, true, m: coutG, n: kG, k: columns, a: gP + g * coutG * columns,
                                        lda: columns, b: colP + g * kG * columns, ldb: columns,
                                        beta: index == chunks.lowerBound ? 0 : 1, c: dwP + g * coutG * kG)
                        }
                    }
                    if let dx, let dcol {
                        let dcolP = dcol.pointer + part * rows * maxColumns
                        for g in 0..<groups {
                            Tensor.gemm(true, false, m: kG, n: columns, k: coutG, a: weight.storage.pointer + g * coutG * kG,
                                        lda: kG, b: gP + g * coutG * columns, ldb: columns, beta: 0,
                                        c: dcolP + g * kG * columns)
                        }
                        Im2Col.fold(col: dcolP, batch: b, channels: dims.c, height: dims.h, width: dims.w,
                                    geometry: geometry, outHeight: ho, outWidth: wo,
                                    image: dx.storage.pointer + s0 * inputPlane, parallel: parallel)
                    }
                    if let dbParts, let ones {
                        BLAS.gemv(.none, m: cout, n: columns, alpha: 1, a: gP, lda: columns, x: ones.pointer,
                                  beta: 1, y: dbParts.pointer + part * cout)
                    }
                }
            }
            func total(_ partials: TensorStorage, count: Int, shape: [Int]) -> Tensor {
                if parts == 1 { return Tensor(shape: shape, storage: partials) }
                let result = Tensor(shape: shape, storage: TensorStorage(uninitializedCount: count))
                let r = result.storage.pointer, p = partials.pointer
                r.update(from: p, count: count)
                for part in 1..<parts { for i in 0..<count { r[i] += p[part * count + i] } }
                return result
            }
            let dw = dwParts.map { total($0, count: weightCount, shape: weight.shape) }
            let db = dbParts.map { total($0, count: cout, shape: [cout]) }
            return bias == nil ? [dx, dw] : [dx, dw, db]
        }
    }

    /// Transposed convolution (the adjoint of `forward` with respect to its input): `weight` is
    /// `[Cin, Cout/groups, kh, kw]`; `input` is `[N, Cin, H, W]`; the output is `[N, Cout, Ho, Wo]`
    /// with Ho = (H − 1)·stride − 2·padding + dilation·(kh − 1) + outputPadding + 1.
    static func transposedForward(_ input: Tensor, dims: Shape4, weight: Tensor, bias: Tensor?, geometry: WindowGeometry,
                                  groups: Int, outHeight: Int, outWidth: Int) -> Tensor {
        let (kh, kw) = geometry.kernel
        let cin = dims.c, cinG = cin / groups
        let coutG = weight.shape[1], cout = coutG * groups
        let kG = coutG * kh * kw
        let columns = dims.n * dims.h * dims.w
        let xT = TensorStorage(uninitializedCount: cin * columns)
        Im2Col.batchToChannelMajor(input.storage.pointer, batch: dims.n, channels: cin, plane: dims.h * dims.w, into: xT.pointer)
        let col = TensorStorage(uninitializedCount: cout * kh * kw * columns)
        for g in 0..<groups {
            Tensor.gemm(true, false, m: kG, n: columns, k: cinG, a: weight.storage.pointer + g * cinG * kG, lda: kG,
                        b: xT.pointer + g * cinG * columns, ldb: columns, beta: 0, c: col.pointer + g * kG * columns)
        }
        let out = Tensor.empty([dims.n, cout, outHeight, outWidth])
        Im2Col.fold(col: col.pointer, batch: dims.n, channels: cout, height: outHeight, width: outWidth,
                    geometry: geometry, outHeight: dims.h, outWidth: dims.w, image: out.storage.pointer)
        if let bias {
            let po = out.storage.pointer, pb = bias.storage.pointer, plane = outHeight * outWidth
            for s in 0..<dims.n { for c in 0..<cout { let v = pb[c]; let row = po + (s * cout + c) * plane; for k in 0..<plane { row[k] += v } } }
        }
        let parents = bias.map { [input, weight, $0] } ?? [input, weight]
        return Tensor(shape: out.shape, storage: out.storage, parents: parents) { grad in
            let dcol = TensorStorage(uninitializedCount: cout * kh * kw * columns)
            Im2Col.unfold(image: grad.storage.pointer, batch: dims.n, channels: cout, height: outHeight, width: outWidth,
                          geometry: geometry, outHeight: dims.h, outWidth: dims.w, col: dcol.pointer)
            var dx: Tensor? = nil, dw: Tensor? = nil, db: Tensor? = nil
            if input.requiresGrad {
                let dxT = TensorStorage(uninitializedCount: cin * columns)
                for g in 0..<groups {
                    Tensor.gemm(false, false, m: cinG, n: columns, k: kG, a: weight.storage.pointer + g * cinG * kG, lda: kG,
                                b: dcol.pointer + g * kG * columns, ldb: columns, beta: 0, c: dxT.pointer + g * cinG * columns)
                }
                let t = Tensor.empty(input.shape)
                Im2Col.channelToBatchMajor(dxT.pointer, batch: dims.n, channels: cin, plane: dims.h * dims.w, bias: nil, into: t.storage.pointer)
                dx = t
            }
            if weight.requiresGrad {
                let t = Tensor.empty(weight.shape)
                for g in 0..<groups {
                    Tensor.gemm(false, true, m: cinG, n: kG, k: columns, a: xT.pointer + g * cinG * columns, lda: columns,
                                b: dcol.pointer + g * kG * columns, ldb: columns, beta: 0, c: t.storage.pointer + g * cinG * kG)
                }
                dw = t
            }
            if let bias, bias.requiresGrad {
                let t = Tensor.zeros([cout])
                let pt = t.storage.pointer, pg = grad.storage.pointer, plane = outHeight * outWidth
                for s in 0..<dims.n { for c in 0..<cout { var acc: Float = 0; let row = pg + (s * cout + c) * plane; for k in 0..<plane { acc += row[k] }; pt[c] += acc } }
                db = t
            }
            return bias == nil ? [dx, dw] : [dx, dw, db]
        }
    }

    /// PyTorch's default initialization for convolution weights and biases: U(−1/√fan_in, 1/√fan_in)
    /// with fan_in = (input channels / groups) · kernel area.
    static func initialize(weightShape: [Int], fanIn: Int, biasCount: Int?, rng: inout some RandomNumberGenerator) -> (Tensor, Tensor?) {
        let bound = 1 / Float(fanIn).squareRoot()
        let w = Tensor.uniform(weightShape, low: -bound, high: bound, using: &rng)
        w.requiresGrad = true
        var b: Tensor? = nil
        if let biasCount {
            b = Tensor.uniform([biasCount], low: -bound, high: bound, using: &rng)
            b!.requiresGrad = true
        }
        return (w, b)
    }
}
