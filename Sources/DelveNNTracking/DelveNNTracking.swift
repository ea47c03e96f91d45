/// DelveNNTracking: attaches Delve's `SaturationTracker` to DelveNN models through forward hooks.
public enum DelveNNTrackingInfo {
    /// The version of this package.
    public static let version = "0.1.0"
}
