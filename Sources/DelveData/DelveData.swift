/// DelveData: datasets for DelveNN — the embedded UCI optical-digits set, MNIST/Fashion-MNIST IDX,
/// CIFAR-10 binary and CSV readers, and data loading.
public enum DelveDataInfo {
    /// The version of this package.
    public static let version = "0.1.0"
}
