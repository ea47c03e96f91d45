/// Mean squared error (1/N) Σ (predictionᵢ − targetᵢ)² over all elements (PyTorch `F.mse_loss`).
/// Both tensors must have the same shape.
public func mseLoss(_ prediction: Tensor, _ target: Tensor) -> Tensor {
    require(prediction.shape == target.shape, "mseLoss: prediction \(prediction.shape) and target \(target.shape) differ")
    let diff = prediction - target
    return (diff * diff).mean()
}
