import DelveData
import DelveNN
import Delve
import DelveOutputs

extension TrainingConfiguration {
    /// The complete configuration as JSON, as the checkpoint manifest records it (every field that changes
    /// the results; not the run folder, which is wherever the checkpoint is). Values that must come back
    /// bit for bit (learning rate, seed, the schedule's numbers) are strings.
    public var jsonValue: JSONValue {
        func optional(_ value: Int?) -> JSONValue { value.map { .number(Double($0)) } ?? .null }
        return .object([
            ("model", .string(model)),
            ("model-options", .string(modelOptions)),
            ("dataset", .string(dataset)),
            ("data", dataPath.map(JSONValue.string) ?? .null),
            ("epochs", .number(Double(epochs))),
            ("batch-size", .number(Double(batchSize))),
            ("lr", .string(learningRate.description)),
            ("lr-schedule", .string(lrSchedule.description)),
            ("optimizer", .string(optimizer)),
            ("seed", .string(String(seed))),
            ("stats", .array(tracker.statistics.map { .string($0.rawValue) })),
            ("threshold", .string(String(tracker.threshold.bitPattern))),
            ("conv-method", .string(tracker.layout.convMethod.rawValue)),
            ("timeseries-method", .string(tracker.layout.timeseriesMethod.rawValue)),
            ("downsample", optional(tracker.layout.downsample)),
            ("compat", .string(tracker.convention.rawValue)),
            ("precision", .string(tracker.precision.rawValue)),
            ("log-interval", .number(Double(tracker.logInterval))),
            ("max-samples", optional(tracker.maxSamples)),
            ("reset-covariance", .bool(tracker.resetCovariance)),
            ("initial-epoch", .number(Double(tracker.initialEpoch))),
            ("average-saturation", .bool(tracker.averageSaturation)),
            ("keep-spectra", .bool(tracker.keepSpectra)),
            ("bad-batch-policy", .string(tracker.badBatchPolicy.rawValue)),
            ("writers", .array(writers.map { .string($0.rawValue) })),
        ] + similarityJSON + probeJSON)
    }

    /// Reads ``jsonValue`` back; `source` (the manifest's path) and the key name every error.
    public init(json: JSONValue, source: String) throws(TrainingError) {
        func fail(_ key: String, _ expected: String) -> TrainingError {
            .failed("\(source): configuration entry \"\(key)\" is missing or invalid (expected \(expected))")
        }
        func string(_ key: String) throws(TrainingError) -> String {
            guard let value = json[key]?.stringValue else { throw fail(key, "a string") }
            return value
        }
        func int(_ key: String) throws(TrainingError) -> Int {
            guard let value = json[key]?.doubleValue, value == value.rounded(), abs(value) < 1e15 else { throw fail(key, "an integer") }
            return Int(value)
        }
        func optionalInt(_ key: String) throws(TrainingError) -> Int? {
            if case .null? = json[key] { return nil }
            return try int(key)
        }
        func bool(_ key: String) throws(TrainingError) -> Bool {
            guard case .bool(let value)? = json[key] else { throw fail(key, "true or false") }
            return value
        }
        func strings(_ key: String) throws(TrainingError) -> [String] {
            guard let items = json[key]?.arrayValue else { throw fail(key, "an array of strings") }
            let values = items.compactMap(\.stringValue)
            guard values.count == items.count else { throw fail(key, "an array of strings") }
            return values
        }
        func value<T: RawRepresentable>(_ key: String, _ type: T.Type) throws(TrainingError) -> T where T.RawValue == String {
            guard let value = T(rawValue: try string(key)) else { throw fail(key, "a known \(key) name") }
            return value
        }
        self.init()
        model = try string("model")
        modelOptions = try string("model-options")
        dataset = try string("dataset")
        if case .null? = json["data"] { dataPath = nil } else { dataPath = try string("data") }
        epochs = try int("epochs")
        batchSize = try int("batch-size")
        guard let lr = Float(try string("lr")), lr.isFinite else { throw fail("lr", "a finite number") }
        learningRate = lr
        // Manifests written before schedules existed have no entry: a constant rate.
        if let value = json["lr-schedule"] {
            guard let text = value.stringValue, let schedule = try? LearningRateSchedule(parsing: text) else {
                throw fail("lr-schedule", "constant, step:<every>,<gamma> or cosine:<period>[,<minimum>]")
            }
            lrSchedule = schedule
        }
        optimizer = try string("optimizer")
        guard let seed = UInt64(try string("seed")) else { throw fail("seed", "an unsigned integer") }
        self.seed = seed
        var statistics: [Statistic] = []
        for name in try strings("stats") {
            guard let statistic = Statistic(rawValue: name) else { throw fail("stats", "statistic names") }
            statistics.append(statistic)
        }
        guard let bits = UInt64(try string("threshold")) else { throw fail("threshold", "a float64 bit pattern") }
        var options = TrackerOptions(statistics: statistics, threshold: Double(bitPattern: bits))
        options.layout = LayoutOptions(convMethod: try value("conv-method", ConvMethod.self),
                                       timeseriesMethod: try value("timeseries-method", TimeseriesMethod.self),
                                       downsample: try optionalInt("downsample"))
        options.convention = try value("compat", IntrinsicDimensionalityConvention.self)
        options.precision = try value("precision", AccumulationPrecision.self)
        options.logInterval = try int("log-interval")
        options.maxSamples = try optionalInt("max-samples")
        options.resetCovariance = try bool("reset-covariance")
        options.initialEpoch = try int("initial-epoch")
        options.averageSaturation = try bool("average-saturation")
        options.keepSpectra = try bool("keep-spectra")
        options.badBatchPolicy = try value("bad-batch-policy", BadBatchPolicy.self)
        try Self.readSimilarity(json, into: &options, source: source)
        try Self.readProbes(json, into: &options, source: source)
        tracker = options
        var kinds: [WriterKind] = []
        for name in try strings("writers") {
            guard let kind = WriterKind(rawValue: name) else { throw fail("writers", "writer names") }
            kinds.append(kind)
        }
        writers = kinds
    }

    /// The value of each `delve train` option as text, by option name, for comparing the options given
    /// with `--resume` against the recorded configuration.
    public var optionTexts: [String: String] {
        let texts: [String: String] = [
            "model": model, "model-options": modelOptions, "dataset": dataset, "data": dataPath.map(absolutePath) ?? "",
            "batch-size": String(batchSize), "lr": learningRate.description, "lr-schedule": lrSchedule.description,
            "optimizer": optimizer,
            "seed": String(seed), "stats": tracker.statistics.map(\.rawValue).joined(separator: ","),
            "threshold": String(tracker.threshold), "conv-method": tracker.layout.convMethod.rawValue,
            "timeseries-method": tracker.layout.timeseriesMethod.rawValue,
            "downsample": tracker.layout.downsample.map(String.init) ?? "",
            "compat": tracker.convention.rawValue, "precision": tracker.precision.rawValue,
            "log-interval": String(tracker.logInterval), "max-samples": tracker.maxSamples.map(String.init) ?? "",
            "writers": writers.map(\.rawValue).joined(separator: ","),
            "keep-covariance": tracker.resetCovariance ? "off" : "on",
        ]
        return texts.merging(similarityOptionTexts) { $1 }.merging(probeOptionTexts) { $1 }
    }
}
