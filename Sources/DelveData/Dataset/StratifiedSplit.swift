extension LabeledImages {
    /// A deterministic stratified train/test split (no randomness).
    ///
    /// Within each class, samples are taken in dataset order and numbered i = 0, 1, 2, …; sample i goes
    /// to the test set when ⌊(i+1)·p⌋ > ⌊i·p⌋ with p = `testFraction` (computed in integers, per mille),
    /// so for p = 0.2 the 5th, 10th, 15th, … sample of every class is a test sample. Each class thus
    /// contributes exactly ⌊n_c·p⌋ test samples, spread evenly over the file, and both parts keep the
    /// dataset's order. Every sample lands in exactly one part.
    public func stratifiedSplit(testFraction: Double = 0.2) throws(DatasetError) -> (train: LabeledImages, test: LabeledImages) {
        guard testFraction > 0, testFraction < 1 else {
            throw .invalidArgument("stratifiedSplit: testFraction must lie strictly between 0 and 1, got \(testFraction)")
        }
        let perMille = Int((testFraction * 1000).rounded())
        var seen = [Int](repeating: 0, count: classCount)
        var trainIndices: [Int] = [], testIndices: [Int] = []
        for (index, label) in labels.enumerated() {
            let i = seen[label]
            seen[label] += 1
            if (i + 1) * perMille / 1000 > i * perMille / 1000 {
                testIndices.append(index)
            } else {
                trainIndices.append(index)
            }
        }
        return (subset(trainIndices), subset(testIndices))
    }
}
