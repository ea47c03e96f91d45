import DelveNN
import Testing
@testable import DelveData

@Suite("DataLoader")
struct DataLoaderTests {
    func ramp(_ n: Int) throws -> LabeledImages {
        try LabeledImages(sampleShape: [1, 1, 2], pixels: (0 ..< 2 * n).map(Float.init), labels: (0 ..< n).map { $0 % 3 }, classCount: 3)
    }

    @Test func batchesMatchTheOrderAndShapes() throws {
        let data = try ramp(10)
        let loader = try DataLoader(data, batchSize: 4, shuffle: true, seed: 5)
        let batches = Array(loader.batches(epoch: 0))
        #expect(batches.map { $0.inputs.shape } == [[4, 1, 1, 2], [4, 1, 1, 2], [2, 1, 1, 2]])
        let order = loader.order(epoch: 0)
        #expect(batches.flatMap(\.indices) == order)
        #expect(order.sorted() == Array(0 ..< 10))
        for batch in batches {
            #expect(batch.inputs.scalars == batch.indices.flatMap { [Float(2 * $0), Float(2 * $0 + 1)] })
            #expect(batch.labels == batch.indices.map { $0 % 3 })
        }
        let flat = try DataLoader(data, batchSize: 4, shuffle: false, dropLast: true, flatten: true)
        let flatBatches = Array(flat.batches(epoch: 3))
        #expect(flatBatches.count == 2 && flat.batchCount == 2 && flat.samplesPerEpoch == 8)
        #expect(flatBatches[1].inputs.shape == [4, 2])
        #expect(flatBatches.flatMap(\.indices) == Array(0 ..< 8))
        #expect(throws: DatasetError.self) { _ = try DataLoader(data, batchSize: 0) }
    }

    @Test func epochOrdersAreSeededAndResumable() throws {
        let data = try ramp(50)
        let a = try DataLoader(data, batchSize: 8, seed: 11)
        let b = try DataLoader(data, batchSize: 8, seed: 11)
        let c = try DataLoader(data, batchSize: 8, seed: 12)
        #expect(a.order(epoch: 0) != a.order(epoch: 1))
        // A fresh loader asked for epoch 3 (a resumed run) reproduces epoch 3 of an uninterrupted run.
        for epoch in 0 ..< 4 { #expect(a.order(epoch: epoch) == b.order(epoch: epoch)) }
        #expect(Array(a.batches(epoch: 3)).map(\.labels) == Array(b.batches(epoch: 3)).map(\.labels))
        #expect(a.order(epoch: 0) != c.order(epoch: 0))
        #expect(a.order(epoch: 2) == Shuffling.permutation(count: 50, seed: a.epochSeed(2)))
    }

    @Test func prefetchGivesIdenticalBatches() throws {
        let data = try Digits.load()
        let plain = try DataLoader(data, batchSize: 100, seed: 3, dropLast: false, prefetch: false)
        let prefetched = try DataLoader(data, batchSize: 100, seed: 3, dropLast: false, prefetch: true)
        for epoch in 0 ..< 2 {
            let x = Array(plain.batches(epoch: epoch)), y = Array(prefetched.batches(epoch: epoch))
            #expect(x.count == 18 && y.count == 18)
            for (p, q) in zip(x, y) {
                #expect(p.inputs.shape == q.inputs.shape)
                #expect(p.inputs.scalars == q.inputs.scalars)
                #expect(p.labels == q.labels)
            }
        }
        // Stopping early leaves no work behind that could disturb the next epoch.
        var iterator = prefetched.batches(epoch: 5).makeIterator()
        _ = iterator.next()
        let again = Array(prefetched.batches(epoch: 5))
        #expect(again.map(\.labels) == Array(plain.batches(epoch: 5)).map(\.labels))
    }
}
