/// The choices that decide how convolutional and sequence outputs become rows of features.
public struct LayoutOptions: Sendable, Equatable {
    /// How N×C×H×W outputs are reduced (default ``ConvMethod/channelwise``).
    public var convMethod: ConvMethod
    /// How sequence outputs are reduced (default ``TimeseriesMethod/last``).
    public var timeseriesMethod: TimeseriesMethod
    /// When set, convolutional outputs whose height or width exceeds it are first resized bilinearly
    /// (`align_corners=False`) to at most this many rows and columns each; `nil` turns it off.
    public var downsample: Int?

    /// Creates layout options; the defaults are Delve's.
    public init(convMethod: ConvMethod = .channelwise, timeseriesMethod: TimeseriesMethod = .last, downsample: Int? = nil) {
        self.convMethod = convMethod
        self.timeseriesMethod = timeseriesMethod
        self.downsample = downsample
    }
}
