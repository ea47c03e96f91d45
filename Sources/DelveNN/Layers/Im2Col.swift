/// The geometry of a 2-D sliding window: input position = output position · stride − padding + tap · dilation
/// (per axis). Output size = ⌊(in + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1.
public struct WindowGeometry: Sendable, Equatable {
    /// Kernel height and width.
    public var kernel: (Int, Int)
    /// Stride along height and width.
    public var stride: (Int, Int)
    /// Zero padding along height and width.
    public var padding: (Int, Int)
    /// Dilation along height and width.
    public var dilation: (Int, Int)

    /// Creates a geometry; every value must be positive (padding non-negative).
    public init(kernel: (Int, Int), stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1)) {
        require(kernel.0 > 0 && kernel.1 > 0, "kernel size must be positive, got \(kernel)")
        require(stride.0 > 0 && stride.1 > 0, "stride must be positive, got \(stride)")
        require(padding.0 >= 0 && padding.1 >= 0, "padding must be non-negative, got \(padding)")
        require(dilation.0 > 0 && dilation.1 > 0, "dilation must be positive, got \(dilation)")
        self.kernel = kernel; self.stride = stride; self.padding = padding; self.dilation = dilation
    }

    public static func == (a: WindowGeometry, b: WindowGeometry) -> Bool {
        a.kernel == b.kernel && a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation
    }

    /// The number of window positions along one axis of size `size` (0 when the window does not fit).
    static func outputSize(_ size: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) -> Int {
        let span = size + 2 * padding - dilation * (kernel - 1) - 1
        return span < 0 ? 0 : span / stride + 1
    }

    /// Output height and width for an input of `height`×`width`.
    public func outputSize(height: Int, width: Int) -> (Int, Int) {
        (WindowGeometry.outputSize(height, kernel: kernel.0, stride: stride.0, padding: padding.0, dilation: dilation.0),
         WindowGeometry.outputSize(width, kernel: kernel.1, stride: stride.1, padding: padding.1, dilation: dilation.1))
    }
}

/// im2col / col2im: unfold sliding windows of a batch of images into one matrix, so a convolution becomes
/// one matrix product.
///
/// The image batch is `[N, C, H, W]`; the column matrix is `[C·kh·kw, N·Ho·Wo]` with row
/// `(c·kh + i)·kw + j` holding tap (i, j) of channel c for every sample and window position.
enum Im2Col {
    /// The range of output columns `o` (0..<outSize) whose input index `o·stride − padding + offset`
    /// lies in 0..<inSize.
    @inline(__always)
    static func validRange(outSize: Int, inSize: Int, stride: Int, shift: Int) -> Range<Int> {
        // input = o·stride + shift, shift = tap·dilation − padding
        var lo = 0
        if shift < 0 { lo = min(outSize, (-shift + stride - 1) / stride) }
        var hi = outSize
        let lastInput = inSize - 1 - shift
        if lastInput < 0 { hi = 0 } else { hi = min(outSize, lastInput / stride + 1) }
        return lo < hi ? lo..<hi : lo..<lo
    }

    /// Fills `col` from `image`.
    static func unfold(image: UnsafePointer<Float>, batch n: Int, channels c: Int, height h: Int, width w: Int,
                       geometry g: WindowGeometry, outHeight ho: Int, outWidth wo: Int, col: UnsafeMutablePointer<Float>,
                       parallel: Bool = true) {
        let (kh, kw) = g.kernel
        let rows = c * kh * kw
        let plane = ho * wo, rowLength = n * plane
        let imageBox = UncheckedBox(image), colBox = UncheckedBox(col)
        Parallel.forEachChunk(rows, costPerItem: rowLength, parallel: parallel) { range in
            let image = imageBox.value, col = colBox.value
            for r in range {
                let channel = r / (kh * kw), tap = r % (kh * kw)
                let i = tap / kw, j = tap % kw
                let shiftH = i * g.dilation.0 - g.padding.0, shiftW = j * g.dilation.1 - g.padding.1
                let validH = validRange(outSize: ho, inSize: h, stride: g.stride.0, shift: shiftH)
                let validW = validRange(outSize: wo, inSize: w, stride: g.stride.1, shift: shiftW)
                let sw = g.stride.1
                if let span = flatSpan(validH: validH, validW: validW, width: w, outWidth: wo, geometry: g) {
                    // One copy for all valid rows (see ``flatSpan``), then zeros where the window is in the padding.
                    let offset = shiftH * w + shiftW
                    for s in 0..<n {
                        let dest = col + r * rowLength + s * plane
                        let src = image + (s * c + channel) * h * w
                        if span.lowerBound > 0 { dest.update(repeating: 0, count: span.lowerBound) }
                        (dest + span.lowerBound).update(from: src + span.lowerBound + offset, count: span.count)
                        if span.upperBound < plane { (dest + span.upperBound).update(repeating: 0, count: plane - span.upperBound) }
                        zeroOutsideColumns(dest, rows: validH, validW: validW, outWidth: wo)
                    }
                    continue
                }
                for s in 0..<n {
                    let dest = col + r * rowLength + s * plane
                    let src = image + (s * c + channel) * h * w
                    for oy in 0..<ho {
                        let d = dest + oy * wo
                        guard validH.contains(oy) else { d.update(repeating: 0, count: wo); continue }
                        let srow = src + (oy * g.stride.0 + shiftH) * w
                        if validW.lowerBound > 0 { d.update(repeating: 0, count: validW.lowerBound) }
                        if sw == 1 {
                            (d + validW.lowerBound).update(from: srow + validW.lowerBound + shiftW, count: validW.count)
                        } else {
                            for ox in validW { d[ox] = srow[ox * sw + shiftW] }
                        }
                        if validW.upperBound < wo { (d + validW.upperBound).update(repeating: 0, count: wo - validW.upperBound) }
                    }
                }
            }
        }
    }

    /// Sets `image` to the sum of the column entries that unfold would read from each pixel (the adjoint
    /// of `unfold`). `image` is overwritten; the entries of `col` for window positions in the padding
    /// (which belong to no pixel) may be set to zero.
    static func fold(col: UnsafeMutablePointer<Float>, batch n: Int, channels c: Int, height h: Int, width w: Int,
                     geometry g: WindowGeometry, outHeight ho: Int, outWidth wo: Int, image: UnsafeMutablePointer<Float>,
                     parallel: Bool = true) {
        let (kh, kw) = g.kernel
        let plane = ho * wo, rowLength = n * plane
        let imageBox = UncheckedBox(image), colBox = UncheckedBox(col)
        Parallel.forEachChunk(c, costPerItem: kh * kw * rowLength, parallel: parallel) { range in
            let image = imageBox.value, col = colBox.value
            for channel in range {
                for s in 0..<n { (image + (s * c + channel) * h * w).update(repeating: 0, count: h * w) }
                for tap in 0..<(kh * kw) {
                    let r = channel * kh * kw + tap
                    let i = tap / kw, j = tap % kw
                    let shiftH = i * g.dilation.0 - g.padding.0, shiftW = j * g.dilation.1 - g.padding.1
                    let validH = validRange(outSize: ho, inSize: h, stride: g.stride.0, shift: shiftH)
                    let validW = validRange(outSize: wo, inSize: w, stride: g.stride.1, shift: shiftW)
                    let sw = g.stride.1
                    if let span = flatSpan(validH: validH, validW: validW, width: w, outWidth: wo, geometry: g) {
                        // One vectorizable loop over all valid rows (see ``flatSpan``); the padding entries
                        // inside the span are zeroed first, so they add nothing to the pixels they wrap onto.
                        let offset = shiftH * w + shiftW
                        for s in 0..<n {
                            let source = col + r * rowLength + s * plane
                            let dest = image + (s * c + channel) * h * w + offset
                            zeroOutsideColumns(source, rows: validH, validW: validW, outWidth: wo)
                            for p in span { dest[p] += source[p] }
                        }
                        continue
                    }
                    for s in 0..<n {
                        let source = col + r * rowLength + s * plane
                        let dest = image + (s * c + channel) * h * w
                        for oy in validH {
                            let srow = source + oy * wo
                            let drow = dest + (oy * g.stride.0 + shiftH) * w + shiftW
                            if sw == 1 {
                                for ox in validW { drow[ox] += srow[ox] }
                            } else {
                                for ox in validW { drow[ox * sw] += srow[ox] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// For stride 1 and an output as wide as the input ("same" width), the column entry of output
    /// position (oy, ox) for one tap reads pixel (oy + shiftH, ox + shiftW): flat index `oy·w + ox` of the
    /// column row reads flat index `oy·w + ox + shiftH·w + shiftW` of the image plane — one constant offset.
    /// So the valid rows can be copied (or added) as one span instead of one short run per row (a 3×3
    /// layer on 8×8 maps makes 590 thousand 8-float copies per batch of 128 otherwise). The span runs from
    /// the first valid entry to the last, so every image index it touches lies inside the plane; inside
    /// it, only the entries of columns outside `validW` are wrong (they wrap onto the neighbouring row)
    /// and are handled by ``zeroOutsideColumns``. Nil when the layout does not allow it.
    @inline(__always)
    static func flatSpan(validH: Range<Int>, validW: Range<Int>, width w: Int, outWidth wo: Int,
                         geometry g: WindowGeometry) -> Range<Int>? {
        guard g.stride.0 == 1, g.stride.1 == 1, wo == w, !validH.isEmpty, !validW.isEmpty else { return nil }
        return (validH.lowerBound * wo + validW.lowerBound)..<((validH.upperBound - 1) * wo + validW.upperBound)
    }

    /// Zeroes the entries of `rows` whose column lies outside `validW` (window positions in the padding).
    @inline(__always)
    static func zeroOutsideColumns(_ plane: UnsafeMutablePointer<Float>, rows: Range<Int>, validW: Range<Int>, outWidth wo: Int) {
        guard validW.count < wo else { return }
        for oy in rows {
            let row = plane + oy * wo
            for ox in 0..<validW.lowerBound { row[ox] = 0 }
            for ox in validW.upperBound..<wo { row[ox] = 0 }
        }
    }

    /// `[N, C, P]` → `[C, N·P]` (batch-major to channel-major), optionally adding nothing.
    static func batchToChannelMajor(_ source: UnsafePointer<Float>, batch n: Int, channels c: Int, plane p: Int,
                                    into dest: UnsafeMutablePointer<Float>, parallel: Bool = true) {
        let s = UncheckedBox(source), d = UncheckedBox(dest)
        Parallel.forEachChunk(c, costPerItem: n * p, parallel: parallel) { range in
            for ch in range { for b in 0..<n { (d.value + ch * n * p + b * p).update(from: s.value + (b * c + ch) * p, count: p) } }
        }
    }

    /// `[C, N·P]` → `[N, C, P]`, adding `bias[c]` when given.
    static func channelToBatchMajor(_ source: UnsafePointer<Float>, batch n: Int, channels c: Int, plane p: Int,
                                    bias: UnsafePointer<Float>?, into dest: UnsafeMutablePointer<Float>,
                                    parallel: Bool = true) {
        let s = UncheckedBox(source), d = UncheckedBox(dest), bb = UncheckedBox(bias)
        Parallel.forEachChunk(c, costPerItem: n * p, parallel: parallel) { range in
            for ch in range {
                for b in 0..<n {
                    let out = d.value + (b * c + ch) * p, inp = s.value + ch * n * p + b * p
                    if let bias = bb.value {
                        let v = bias[ch]
                        for k in 0..<p { out[k] = inp[k] + v }
                    } else {
                        out.update(from: inp, count: p)
                    }
                }
            }
        }
    }
}
