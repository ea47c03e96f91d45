import Foundation

extension Module {
    /// The state saved to and loaded from weight files: every parameter and buffer (e.g. BatchNorm's
    /// `running_mean`) with its dotted PyTorch-style path ("features.0.weight", "lstm.weight_ih_l0").
    public func stateArrays() -> Safetensors.NamedArrays {
        var result: Safetensors.NamedArrays = [:]
        for (path, tensor) in namedStateTensors() {
            result[path] = (shape: tensor.shape, values: tensor.scalars)
        }
        return result
    }

    /// Writes every parameter and buffer to a safetensors file (`F32`, names from ``namedStateTensors()``),
    /// atomically. PyTorch reads it with `model.load_state_dict(safetensors.torch.load_file(path))`
    /// when the two models name their tensors alike.
    public func saveSafetensors(to url: URL, metadata: [String: String] = ["format": "pt"]) throws(SafetensorsError) {
        try Safetensors.write(stateArrays(), metadata: metadata, to: url)
    }

    /// Loads every parameter and buffer from a safetensors file (any dtype in ``SafetensorsError/supportedDTypes``).
    ///
    /// The file must hold exactly the model's tensor names with the model's shapes; otherwise the error
    /// ``SafetensorsError/modelMismatch(file:missing:unexpected:shapeMismatches:)`` lists every missing,
    /// unexpected and mis-shaped name, and the model is left unchanged (validation happens before any write).
    public func loadSafetensors(from url: URL) throws(SafetensorsError) {
        let (tensors, _) = try Safetensors.read(contentsOf: url)
        try loadState(tensors, file: url.path)
    }

    /// Loads named arrays into the parameters and buffers, all or nothing (see ``loadSafetensors(from:)``);
    /// `file` names the source in errors. PyTorch's BatchNorm counter `*.num_batches_tracked` is ignored when
    /// the model has no tensor of that name.
    public func loadState(_ arrays: Safetensors.NamedArrays, file: String = "<memory>") throws(SafetensorsError) {
        let state = namedStateTensors()
        let modelNames = Set(state.map(\.path))
        let missing = state.map(\.path).filter { arrays[$0] == nil }
        let unexpected = arrays.keys.filter {
            !modelNames.contains($0) && $0 != "num_batches_tracked" && !$0.hasSuffix(".num_batches_tracked")
        }.sorted()
        var shapeMismatches: [String] = []
        for (path, tensor) in state {
            if let stored = arrays[path], stored.shape != tensor.shape {
                shapeMismatches.append("\(path): model \(tensor.shape), file \(stored.shape)")
            }
        }
        guard missing.isEmpty, unexpected.isEmpty, shapeMismatches.isEmpty else {
            throw .modelMismatch(file: file, missing: missing, unexpected: unexpected, shapeMismatches: shapeMismatches)
        }
        for (path, tensor) in state {
            let values = arrays[path]!.values
            tensor.withUnsafeMutableBufferPointer { destination in
                _ = destination.update(from: values)
            }
        }
    }
}
