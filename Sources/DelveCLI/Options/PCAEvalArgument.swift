import ArgumentParser
import Foundation

/// Parses `--pca-eval`: a comma-separated list of thresholds δ, each in (0, 1], at least one
/// (e.g. `0.9,0.99,0.999`); anything else is a usage error naming the bad item (ArgumentParser names
/// the option).
func parsePCAThresholds(_ text: String) throws -> [Double] {
    let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
        throw ValidationError("expected a comma-separated list of thresholds in (0, 1], e.g. 0.9,0.99,0.999; got an empty list")
    }
    var thresholds: [Double] = []
    for item in items {
        guard !item.isEmpty else {
            throw ValidationError("an empty item in the list (expected a comma-separated list of thresholds in (0, 1], e.g. 0.9,0.99,0.999)")
        }
        guard let delta = Double(item), delta.isFinite else {
            throw ValidationError("'\(item)' is not a number (expected a comma-separated list of thresholds in (0, 1], e.g. 0.9,0.99,0.999)")
        }
        guard delta > 0, delta <= 1 else {
            throw ValidationError("δ = \(item) is outside (0, 1]")
        }
        thresholds.append(delta)
    }
    return thresholds
}
