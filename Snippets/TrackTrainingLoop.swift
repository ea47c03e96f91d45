// Train a small MLP on the embedded digits and track the saturation of every layer.
import Delve            // SaturationTracker, TrackerOptions
import DelveData        // Digits, ChannelStatistics, DataLoader
import DelveNN          // the model, the optimizer, the loss
import DelveNNTracking  // tracker.watch(model)
import DelveOutputs     // RunDirectory, makeWriters

let (trainImages, testImages) = try Digits.split()           // 1442 + 355 images of 8×8, embedded
let normalization = ChannelStatistics(fitting: trainImages)
let train = try DataLoader(trainImages.standardized(normalization), batchSize: 64, seed: 0)
let test = try DataLoader(testImages.standardized(normalization), batchSize: 128, shuffle: false)

var rng = SeededGenerator(seed: 0)
let model = Sequential(Flatten(), Linear(64, 64, rng: &rng), ReLU(), Linear(64, 32, rng: &rng), ReLU(),
                       Linear(32, 10, rng: &rng))
let optimizer = SGD(parameters: model.parameters(), learningRate: 0.05, momentum: 0.9)

let run = try RunDirectory(path: "runs/my-run")
let writers = try makeWriters([.console, .csv, .jsonl, .plot, .report], run: run)
let tracker = try SaturationTracker(options: TrackerOptions(statistics: [.lsat, .idim]), writers: [writers])
tracker.watch(model)                          // Linear, Conv1d, Conv2d, ConvTranspose2d, LSTM, GRU

for epoch in 0..<5 {
    model.train()                             // outputs seen now go to the train-… statistics
    for batch in train.batches(epoch: epoch) {
        optimizer.zeroGrad()
        crossEntropy(logits: model(batch.inputs), labels: batch.labels).backward()
        optimizer.step()
    }
    model.eval()                              // … and now to the eval-… statistics
    var correct = 0
    for batch in test.batches(epoch: epoch) {
        let logits = GradMode.withoutGrad { model(batch.inputs) }   // recorded once, by the hooks
        correct += zip(logits.argmaxLastAxis(), batch.labels).filter { $0 == $1 }.count
    }
    tracker.addScalar("test-accuracy", Double(correct) / Double(testImages.count))
    try tracker.endEpoch()                    // statistics of every layer and phase → every writer
}
try tracker.close()                           // final report; runs/my-run/run.json says "closed"
