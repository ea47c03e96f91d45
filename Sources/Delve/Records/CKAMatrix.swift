/// Linear CKA between layers for one phase of one epoch: a symmetric L × L matrix, rows and columns in
/// ``layers`` order (Kornblith et al., ICML 2019).
public struct CKAMatrix: Sendable, Equatable {
    /// The phase whose outputs were compared.
    public var phase: Phase
    /// The layer names, in the order of the rows (network order, or file order for `delve analyze`).
    public var layers: [String]
    /// Each layer's per-sample feature count (dense: D; convolution: C; sequence: F).
    public var features: [Int]
    /// N, the samples (rows) behind every entry.
    public var samples: Int
    /// The row-major L × L values; NaN where a layer has no variance.
    public var values: [Double]
    /// Remarks for the user (a constant layer, skipped passes).
    public var notes: [String]

    /// A matrix with the given parts.
    public init(phase: Phase, layers: [String], features: [Int], samples: Int, values: [Double], notes: [String] = []) {
        self.phase = phase
        self.layers = layers
        self.features = features
        self.samples = samples
        self.values = values
        self.notes = notes
    }

    /// The CKA of layers `i` and `j` (indices into ``layers``).
    public subscript(i: Int, j: Int) -> Double { values[i * layers.count + j] }

    /// The CKA of two layers by name, if both are in the matrix.
    public func value(_ a: String, _ b: String) -> Double? {
        guard let i = layers.firstIndex(of: a), let j = layers.firstIndex(of: b) else { return nil }
        return self[i, j]
    }
}
