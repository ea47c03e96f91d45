/// 2-D max pooling over `[N, C, H, W]` (PyTorch `nn.MaxPool2d`); padding counts as −∞.
/// The stride defaults to the kernel size. The backward pass routes each gradient to the arg-max.
public final class MaxPool2d: Module {
    /// Kernel, stride, padding and dilation.
    public let geometry: WindowGeometry

    /// Creates the layer; `stride` defaults to `kernelSize`.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1) {
        require(padding * 2 <= kernelSize, "MaxPool2d: padding \(padding) must be at most half the kernel \(kernelSize)")
        let s = stride ?? kernelSize
        geometry = WindowGeometry(kernel: (kernelSize, kernelSize), stride: (s, s), padding: (padding, padding), dilation: (dilation, dilation))
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        require(input.rank == 4, "MaxPool2d: expected input [N, C, H, W], got \(input.shape)")
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (ho, wo) = geometry.outputSize(height: h, width: w)
        require(ho > 0 && wo > 0, "MaxPool2d: input \(input.shape) is smaller than the window")
        if geometry.kernel == (2, 2) && geometry.stride == (2, 2) && geometry.padding == (0, 0) && geometry.dilation == (1, 1) {
            return MaxPool2d.pool2x2(input, n: n, c: c, h: h, w: w, ho: ho, wo: wo)
        }
        let out = Tensor.empty([n, c, ho, wo])
        let planes = n * c
        let indices = UnsafeMutablePointer<Int32>.allocate(capacity: max(planes * ho * wo, 1))
        let arg = IndexBuffer(indices)
        let src = UncheckedBox(UnsafePointer(input.storage.pointer)), dst = UncheckedBox(out.storage.pointer)
        let g = geometry
        Parallel.forEachChunk(planes, costPerItem: ho * wo * g.kernel.0 * g.kernel.1) { range in
            for plane in range {
                let x = src.value + plane * h * w, y = dst.value + plane * ho * wo, idx = arg.pointer + plane * ho * wo
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        var best = -Float.infinity, at = -1
                        for i in 0..<g.kernel.0 {
                            let iy = oy * g.stride.0 - g.padding.0 + i * g.dilation.0
                            if iy < 0 || iy >= h { continue }
                            for j in 0..<g.kernel.1 {
                                let ix = ox * g.stride.1 - g.padding.1 + j * g.dilation.1
                                if ix < 0 || ix >= w { continue }
                                let v = x[iy * w + ix]
                                if v > best || at < 0 || v.isNaN { best = v; at = iy * w + ix }
                            }
                        }
                        y[oy * wo + ox] = best
                        idx[oy * wo + ox] = Int32(at)
                    }
                }
            }
        }
        return Tensor(shape: out.shape, storage: out.storage, parents: [input]) { grad in
            let dx = Tensor.zeros(input.shape)
            let pg = grad.storage.pointer, pd = dx.storage.pointer
            for plane in 0..<planes {
                let gRow = pg + plane * ho * wo, dRow = pd + plane * h * w, idx = arg.pointer + plane * ho * wo
                for k in 0..<(ho * wo) where idx[k] >= 0 { dRow[Int(idx[k])] += gRow[k] }
            }
            return [dx]
        }
    }
}

extension MaxPool2d {
    /// The common 2×2, stride-2 case: branch-free maxima; the backward pass finds each window's first
    /// maximum again by comparing with the output instead of storing indices.
    static func pool2x2(_ input: Tensor, n: Int, c: Int, h: Int, w: Int, ho: Int, wo: Int) -> Tensor {
        let out = Tensor.empty([n, c, ho, wo])
        let planes = n * c
        let src = UncheckedBox(UnsafePointer(input.storage.pointer)), dst = UncheckedBox(out.storage.pointer)
        Parallel.forEachChunk(planes, costPerItem: ho * wo * 4) { range in
            for plane in range {
                let x = src.value + plane &* h &* w, y = dst.value + plane &* ho &* wo
                for oy in 0..<ho {
                    let r0 = x + 2 &* oy &* w, r1 = r0 + w, yr = y + oy &* wo
                    // Eight outputs at a time: the even and odd lanes of 16 inputs are the window columns.
                    var ox = 0
                    while ox &+ 8 <= wo {
                        let a = UnsafeRawPointer(r0 + 2 &* ox).loadUnaligned(as: SIMD16<Float>.self)
                        let b = UnsafeRawPointer(r1 + 2 &* ox).loadUnaligned(as: SIMD16<Float>.self)
                        let m = maxLanes(maxLanes(a.evenHalf, a.oddHalf), maxLanes(b.evenHalf, b.oddHalf))
                        UnsafeMutableRawPointer(yr + ox).storeBytes(of: m, as: SIMD8<Float>.self)
                        ox &+= 8
                    }
                    while ox < wo {
                        let j = 2 &* ox
                        yr[ox] = Swift.max(Swift.max(r0[j], r0[j &+ 1]), Swift.max(r1[j], r1[j &+ 1]))
                        ox &+= 1
                    }
                }
            }
        }
        return Tensor(shape: out.shape, storage: out.storage, parents: [input]) { grad in
            let dx = Tensor.empty(input.shape)
            let gBox = UncheckedBox(UnsafePointer(grad.storage.pointer)), dBox = UncheckedBox(dx.storage.pointer)
            let yBox = UncheckedBox(UnsafePointer(out.storage.pointer))
            Parallel.forEachChunk(planes, costPerItem: ho * wo * 4) { range in
                for plane in range {
                    let x = src.value + plane &* h &* w, d = dBox.value + plane &* h &* w
                    let y = yBox.value + plane &* ho &* wo, g = gBox.value + plane &* ho &* wo
                    if h != 2 * ho || w != 2 * wo { d.update(repeating: 0, count: h * w) }
                    for oy in 0..<ho {
                        let r0 = 2 &* oy &* w, r1 = r0 &+ w
                        // Eight windows at a time, with the same first-maximum rule as the scalar loop below.
                        var ox = 0
                        while ox &+ 8 <= wo {
                            let j = 2 &* ox
                            let a = UnsafeRawPointer(x + (r0 &+ j)).loadUnaligned(as: SIMD16<Float>.self)
                            let b = UnsafeRawPointer(x + (r1 &+ j)).loadUnaligned(as: SIMD16<Float>.self)
                            let m = UnsafeRawPointer(y + (oy &* wo &+ ox)).loadUnaligned(as: SIMD8<Float>.self)
                            let gv = UnsafeRawPointer(g + (oy &* wo &+ ox)).loadUnaligned(as: SIMD8<Float>.self)
                            let k0 = a.evenHalf .== m
                            let k1 = (a.oddHalf .== m) .& .!k0
                            let k2 = (b.evenHalf .== m) .& .!(k0 .| k1)
                            let k3 = .!(k0 .| k1 .| k2)
                            let zero = SIMD8<Float>(repeating: 0)
                            var top = SIMD16<Float>(), bottom = SIMD16<Float>()
                            top.evenHalf = zero.replacing(with: gv, where: k0)
                            top.oddHalf = zero.replacing(with: gv, where: k1)
                            bottom.evenHalf = zero.replacing(with: gv, where: k2)
                            bottom.oddHalf = zero.replacing(with: gv, where: k3)
                            UnsafeMutableRawPointer(d + (r0 &+ j)).storeBytes(of: top, as: SIMD16<Float>.self)
                            UnsafeMutableRawPointer(d + (r1 &+ j)).storeBytes(of: bottom, as: SIMD16<Float>.self)
                            ox &+= 8
                        }
                        while ox < wo {
                            let j = 2 &* ox, m = y[oy &* wo &+ ox], gv = g[oy &* wo &+ ox]
                            // All loads first (no short-circuit on loads), then branch-free selects that
                            // route to the first maximum in row-major window order, like the forward scan.
                            let v0 = x[r0 &+ j], v1 = x[r0 &+ j &+ 1], v2 = x[r1 &+ j]
                            // Bit masks instead of float selects: the compiler emits no branches.
                            let k0: UInt32 = v0 == m ? .max : 0, k1: UInt32 = v1 == m ? .max : 0, k2: UInt32 = v2 == m ? .max : 0
                            let bits = gv.bitPattern
                            let t1 = ~k0, t2 = t1 & ~k1, t3 = t2 & ~k2
                            let g0 = Float(bitPattern: bits & k0)
                            let g1 = Float(bitPattern: bits & t1 & k1)
                            let g2 = Float(bitPattern: bits & t2 & k2)
                            let g3 = Float(bitPattern: bits & t3)
                            d[r0 &+ j] = g0
                            d[r0 &+ j &+ 1] = g1
                            d[r1 &+ j] = g2
                            d[r1 &+ j &+ 1] = g3
                            ox &+= 1
                        }
                    }
                }
            }
            return [dx]
        }
    }
}

/// `Swift.max(x, y)` lane by lane (`y >= x ? y : x`, so a NaN in `x` is kept), as vector compare and select.
@inline(__always)
func maxLanes(_ x: SIMD8<Float>, _ y: SIMD8<Float>) -> SIMD8<Float> {
    x.replacing(with: y, where: y .>= x)
}

/// Owns the arg-max indices of a max-pooling forward pass until its backward closure is released.
final class IndexBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Int32>
    init(_ pointer: UnsafeMutablePointer<Int32>) { self.pointer = pointer }
    deinit { pointer.deallocate() }
}

/// 2-D average pooling over `[N, C, H, W]` (PyTorch `nn.AvgPool2d`). With `countIncludePad` (the default)
/// every window is divided by the kernel area; otherwise by the number of input pixels it covers.
public final class AvgPool2d: Module {
    /// Kernel, stride and padding.
    public let geometry: WindowGeometry
    /// Whether padded zeros count in the divisor.
    public let countIncludePad: Bool

    /// Creates the layer; `stride` defaults to `kernelSize`.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, countIncludePad: Bool = true) {
        require(padding * 2 <= kernelSize, "AvgPool2d: padding \(padding) must be at most half the kernel \(kernelSize)")
        let s = stride ?? kernelSize
        geometry = WindowGeometry(kernel: (kernelSize, kernelSize), stride: (s, s), padding: (padding, padding))
        self.countIncludePad = countIncludePad
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        require(input.rank == 4, "AvgPool2d: expected input [N, C, H, W], got \(input.shape)")
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (ho, wo) = geometry.outputSize(height: h, width: w)
        require(ho > 0 && wo > 0, "AvgPool2d: input \(input.shape) is smaller than the window")
        let g = geometry, includePad = countIncludePad
        // Window bounds per output row/column: [start, end) clipped to the input, and the divisor.
        func windows(_ outSize: Int, _ inSize: Int, _ k: Int, _ s: Int, _ p: Int) -> [(Int, Int, Int)] {
            (0..<outSize).map { o in
                let start = o * s - p, end = min(start + k, inSize + p)
                let padded = end - start
                return (max(start, 0), min(end, inSize), padded)
            }
        }
        let rows = windows(ho, h, g.kernel.0, g.stride.0, g.padding.0)
        let cols = windows(wo, w, g.kernel.1, g.stride.1, g.padding.1)
        func divisor(_ r: (Int, Int, Int), _ q: (Int, Int, Int)) -> Float {
            Float(includePad ? r.2 * q.2 : (r.1 - r.0) * (q.1 - q.0))
        }
        let out = Tensor.empty([n, c, ho, wo])
        let px = input.storage.pointer, po = out.storage.pointer
        for plane in 0..<(n * c) {
            let x = px + plane * h * w, y = po + plane * ho * wo
            for (oy, r) in rows.enumerated() {
                for (ox, q) in cols.enumerated() {
                    var s: Float = 0
                    for iy in r.0..<r.1 { for ix in q.0..<q.1 { s += x[iy * w + ix] } }
                    y[oy * wo + ox] = s / divisor(r, q)
                }
            }
        }
        return Tensor(shape: out.shape, storage: out.storage, parents: [input]) { grad in
            let dx = Tensor.zeros(input.shape)
            let pg = grad.storage.pointer, pd = dx.storage.pointer
            for plane in 0..<(n * c) {
                let gy = pg + plane * ho * wo, d = pd + plane * h * w
                for (oy, r) in rows.enumerated() {
                    for (ox, q) in cols.enumerated() {
                        let v = gy[oy * wo + ox] / divisor(r, q)
                        for iy in r.0..<r.1 { for ix in q.0..<q.1 { d[iy * w + ix] += v } }
                    }
                }
            }
            return [dx]
        }
    }
}

/// Adaptive 2-D average pooling to a fixed output size (PyTorch `nn.AdaptiveAvgPool2d`): output cell i
/// averages input rows ⌊i·H/Ho⌋ ..< ⌈(i+1)·H/Ho⌉ (and likewise for columns).
public final class AdaptiveAvgPool2d: Module {
    /// Output height and width.
    public let outputSize: (Int, Int)

    /// Creates the layer.
    public init(outputSize: (Int, Int)) {
        require(outputSize.0 > 0 && outputSize.1 > 0, "AdaptiveAvgPool2d: output size must be positive, got \(outputSize)")
        self.outputSize = outputSize
        super.init()
    }

    /// Creates the layer with a square output.
    public convenience init(outputSize: Int) { self.init(outputSize: (outputSize, outputSize)) }

    public override func forward(_ input: Tensor) -> Tensor {
        require(input.rank == 4, "AdaptiveAvgPool2d: expected input [N, C, H, W], got \(input.shape)")
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (ho, wo) = outputSize
        let rows = (0..<ho).map { i in (i * h / ho, ((i + 1) * h + ho - 1) / ho) }
        let cols = (0..<wo).map { j in (j * w / wo, ((j + 1) * w + wo - 1) / wo) }
        let out = Tensor.empty([n, c, ho, wo])
        let px = input.storage.pointer, po = out.storage.pointer
        for plane in 0..<(n * c) {
            let x = px + plane * h * w, y = po + plane * ho * wo
            for (oy, r) in rows.enumerated() {
                for (ox, q) in cols.enumerated() {
                    var s: Float = 0
                    for iy in r.0..<r.1 { for ix in q.0..<q.1 { s += x[iy * w + ix] } }
                    y[oy * wo + ox] = s / Float((r.1 - r.0) * (q.1 - q.0))
                }
            }
        }
        return Tensor(shape: out.shape, storage: out.storage, parents: [input]) { grad in
            let dx = Tensor.zeros(input.shape)
            let pg = grad.storage.pointer, pd = dx.storage.pointer
            for plane in 0..<(n * c) {
                let gy = pg + plane * ho * wo, d = pd + plane * h * w
                for (oy, r) in rows.enumerated() {
                    for (ox, q) in cols.enumerated() {
                        let v = gy[oy * wo + ox] / Float((r.1 - r.0) * (q.1 - q.0))
                        for iy in r.0..<r.1 { for ix in q.0..<q.1 { d[iy * w + ix] += v } }
                    }
                }
            }
            return [dx]
        }
    }
}
