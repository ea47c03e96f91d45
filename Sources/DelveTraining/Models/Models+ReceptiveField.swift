import DelveNN
import DelveNNTracking

// How the zoo's models combine their children, for `ReceptiveField` (DelveNNTracking): each `forward`
// written as a graph.

extension ResidualBlock: ReceptiveFieldComposite {
    /// conv1 → bn1 → conv2 → bn2, merged (added) with the shortcut (the identity when there is none).
    public var receptiveFieldGraph: ReceptiveFieldGraph {
        .merge([.chain([.module(conv1), .module(bn1), .module(conv2), .module(bn2)]),
                shortcut.map { ReceptiveFieldGraph.module($0) } ?? .chain([])])
    }
}

extension ConvNet: ReceptiveFieldComposite {
    /// features → (flatten) → classifier.
    public var receptiveFieldGraph: ReceptiveFieldGraph { .chain([.module(features), .module(classifier)]) }
}

extension ResNet: ReceptiveFieldComposite {
    /// stem → blocks → pool → (flatten) → classifier.
    public var receptiveFieldGraph: ReceptiveFieldGraph {
        .chain([.module(stem), .module(blocks), .module(pool), .module(classifier)])
    }
}

extension ConvAutoencoder: ReceptiveFieldComposite {
    /// encoder → decoder.
    public var receptiveFieldGraph: ReceptiveFieldGraph { .chain([.module(encoder), .module(decoder)]) }
}

extension MLP: ReceptiveFieldComposite {
    /// (flatten) → features → classifier.
    public var receptiveFieldGraph: ReceptiveFieldGraph { .chain([.module(features), .module(classifier)]) }
}

extension RowLSTM: ReceptiveFieldComposite {
    /// lstm → classifier (the walk stops at the LSTM, which has no 2-D receptive field).
    public var receptiveFieldGraph: ReceptiveFieldGraph { .chain([.module(lstm), .module(classifier)]) }
}
