/// Dropout (PyTorch `nn.Dropout`): in training, each element is zeroed with probability `p` and the
/// survivors are scaled by 1/(1 − p); in evaluation mode the input passes through unchanged.
/// Each layer draws from its own seeded generator, so seeded runs are reproducible; the generator is
/// part of a training checkpoint (``RandomizedModule``), so a resumed run draws the same masks.
public final class Dropout: Module, RandomizedModule {
    /// The probability of zeroing an element.
    public let p: Float
    /// The generator the masks are drawn from (read to save its state, assign to restore it).
    public var generator: SeededGenerator

    /// Creates the layer with its own generator seeded by `seed` (default: drawn from `RandomState`).
    public init(p: Float = 0.5, seed: UInt64? = nil) {
        require(p >= 0 && p <= 1, "Dropout: p must be in [0, 1], got \(p)")
        self.p = p
        generator = SeededGenerator(seed: seed ?? RandomState.nextSeed())
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        guard training, p > 0 else { return input }
        let mask = Tensor.empty(input.shape)
        let pm = mask.storage.pointer
        let scale: Float = p < 1 ? 1 / (1 - p) : 0
        for i in 0..<input.count { pm[i] = generator.nextUnitFloat() < p ? 0 : scale }
        let out = Tensor.empty(input.shape)
        let px = input.storage.pointer, po = out.storage.pointer
        for i in 0..<input.count { po[i] = px[i] * pm[i] }
        return Tensor(shape: input.shape, storage: out.storage, parents: [input]) { [mask] g in
            let d = Tensor.empty(g.shape)
            let pg = g.storage.pointer, pd = d.storage.pointer, pm = mask.storage.pointer
            for i in 0..<d.count { pd[i] = pg[i] * pm[i] }
            return [d]
        }
    }
}
