// Training as a library: what `delve train --model cnn --dataset digits` does, from Swift.
import DelveTraining

var configuration = TrainingConfiguration()
configuration.model = "cnn"                               // mlp, cnn, resnet, lstm, autoencoder
configuration.modelOptions = "depth=2,width=8"
configuration.dataset = "digits"                          // embedded; mnist, fashion-mnist, cifar10, csv need dataPath
configuration.epochs = 2
configuration.writers = [.csv, .jsonl, .report]
configuration.output = "runs/cnn-digits"

let run = try TrainingRun(configuration)                  // data, model, tracker, writers, checkpoints
let last = try run.trainAll()                             // every epoch, then the tracker is closed
print("test accuracy", last.scalar(named: "test-accuracy")!)
if let pattern = run.tailPattern(in: last) {
    print(pattern.advice)
}
