/// How a convolutional layer's N×C×H×W output becomes rows of features (Delve's `conv_method`).
public enum ConvMethod: String, CaseIterable, Sendable {
    /// Every spatial position is an observation of the C channels: (N·H·W)×C. The default.
    case channelwise
    /// Global average pooling over H·W: N×C.
    case mean
    /// Global max pooling over H·W: N×C.
    case max
    /// Global median pooling over H·W, the lower median for an even count (as `torch.median`): N×C.
    case median
    /// Every value is a feature: N×(C·H·W).
    case flatten
}
