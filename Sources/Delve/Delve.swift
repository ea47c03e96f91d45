/// Delve: layer saturation and spectral statistics of neural network representations
/// (Shenk, Richter & Byttner, *Delve: Neural Network Feature Variance Analysis*, JOSS 2022).
public enum DelveInfo {
    /// The version of this package.
    public static let version = "0.1.0"
}
