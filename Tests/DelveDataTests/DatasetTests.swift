import Testing
@testable import DelveData

@Suite("LabeledImages: normalization, shuffling, batching, split")
struct DatasetTests {
    /// 4 samples of 2 channels × 2 values, sample s channel c value k = 10c + s + k.
    func tiny() throws -> LabeledImages {
        var pixels: [Float] = []
        for s in 0 ..< 4 { for c in 0 ..< 2 { for k in 0 ..< 2 { pixels.append(Float(10 * c + s + k)) } } }
        return try LabeledImages(sampleShape: [2, 1, 2], pixels: pixels, labels: [0, 1, 0, 1], classCount: 2, valueRange: 0 ... 20)
    }

    @Test func initValidates() throws {
        #expect(throws: DatasetError.self) { _ = try LabeledImages(sampleShape: [2], pixels: [1, 2, 3], labels: [0, 1], classCount: 2) }
        #expect(throws: DatasetError.self) { _ = try LabeledImages(sampleShape: [1], pixels: [1, 2], labels: [0, 2], classCount: 2) }
        #expect(throws: DatasetError.self) { _ = try LabeledImages(sampleShape: [0], pixels: [], labels: [], classCount: 2) }
    }

    @Test func unitScalingAndStandardization() throws {
        let data = try tiny()
        let scaled = data.scaledToUnitInterval()
        #expect(zip(scaled.pixels, data.pixels).allSatisfy { abs($0 - $1 / 20) < 1e-6 })
        #expect(scaled.valueRange == 0 ... 1)
        let stats = ChannelStatistics(fitting: data)
        // Channel 0 values: s + k for s in 0..<4, k in 0..<2 → mean 2, population variance 1.5.
        #expect(abs(stats.mean[0] - 2) < 1e-6 && abs(stats.mean[1] - 12) < 1e-6)
        #expect(abs(stats.std[0] - Float(1.5).squareRoot()) < 1e-6)
        let standardized = try data.standardized(stats)
        let again = ChannelStatistics(fitting: standardized)
        #expect(again.mean.allSatisfy { abs($0) < 1e-6 })
        #expect(again.std.allSatisfy { abs($0 - 1) < 1e-5 })
        #expect(standardized.valueRange == nil)
        // A constant channel is centred, never divided by zero.
        let constant = try LabeledImages(sampleShape: [1], pixels: [3, 3, 3], labels: [0, 0, 0], classCount: 1)
        let c = ChannelStatistics(fitting: constant)
        #expect(c.std == [1])
        #expect(try constant.standardized(c).pixels == [0, 0, 0])
        #expect(throws: DatasetError.self) { _ = try data.standardized(c) }
    }

    @Test func seededShuffleIsAPermutationAndReproducible() throws {
        let p1 = Shuffling.permutation(count: 100, seed: 7)
        let p2 = Shuffling.permutation(count: 100, seed: 7)
        let p3 = Shuffling.permutation(count: 100, seed: 8)
        #expect(p1 == p2)
        #expect(p1 != p3)
        #expect(p1.sorted() == Array(0 ..< 100))
        #expect(p1 != Array(0 ..< 100))
        let data = try tiny()
        let shuffled = data.shuffled(seed: 3)
        let order = Shuffling.permutation(count: 4, seed: 3)
        #expect(shuffled == data.subset(order))
        // Every position receives every value about equally often (unbiased draw), over many seeds.
        var firstCounts = [Int](repeating: 0, count: 4)
        for seed in 0 ..< 4000 { firstCounts[Shuffling.permutation(count: 4, seed: UInt64(seed))[0]] += 1 }
        #expect(firstCounts.allSatisfy { abs($0 - 1000) < 150 })
    }

    @Test func batchesCoverTheOrder() throws {
        let data = try tiny()
        let batches = try data.batches(size: 3, order: [3, 1, 0, 2])
        #expect(batches.map(\.labels) == [[1, 1, 0], [0]])
        #expect(batches[0].shape == [3, 2, 1, 2])
        #expect(batches[0].pixels[0 ..< 4] == data.sample(3))
        #expect(try data.batches(size: 3, dropLast: true).count == 1)
        #expect(BatchPlan.ranges(count: 10, batchSize: 4, dropLast: false) == [0 ..< 4, 4 ..< 8, 8 ..< 10])
        #expect(throws: DatasetError.self) { _ = try data.batches(size: 0) }
        #expect(throws: DatasetError.self) { _ = try data.batches(size: 2, order: [4]) }
    }

    @Test func splitRuleForOtherFractions() throws {
        let labels = [Int](repeating: 0, count: 10) + [Int](repeating: 1, count: 4)
        let data = try LabeledImages(sampleShape: [1], pixels: labels.indices.map(Float.init), labels: labels, classCount: 2)
        let (train, test) = try data.stratifiedSplit(testFraction: 0.5)
        #expect(test.pixels == [1, 3, 5, 7, 9, 11, 13])
        #expect(train.pixels == [0, 2, 4, 6, 8, 10, 12])
        #expect(throws: DatasetError.self) { _ = try data.stratifiedSplit(testFraction: 1) }
    }
}
