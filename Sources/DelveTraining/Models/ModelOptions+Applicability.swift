import DelveData
import DelveNN
import Foundation

extension ModelOptions {
    /// The option keys each model of the zoo reads (``ModelOptions/keys`` spells them; `bn` is an alias
    /// of `batchnorm`).
    public static let keysByModel: [String: [String]] = [
        "mlp": ["hidden"],
        "cnn": ["depth", "width", "batchnorm", "pool-every", "classifier-hidden"],
        "resnet": ["blocks", "width"],
        "lstm": ["lstm-hidden", "lstm-layers"],
        "autoencoder": ["width"],
    ]

    /// Checks that `text` (`key=value,…`, as for ``init(parsing:)``) sets only options that `model`
    /// takes: an option another model reads is ``ModelZooError/inapplicableOption(key:model:valid:)``,
    /// naming the option and the model's options, instead of being ignored. Unknown models and malformed
    /// pairs are left to ``ModelZoo/make(name:inputShape:classes:options:seed:)`` and ``init(parsing:)``.
    public static func checkApplicable(_ text: String, model: String) throws(ModelZooError) {
        guard let valid = keysByModel[model.lowercased()] else { return }
        for pair in text.split(separator: ",") {
            let key = pair.split(separator: "=", maxSplits: 1).first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            } ?? ""
            let canonical = key == "bn" ? "batchnorm" : key
            guard keys.contains(canonical), !valid.contains(canonical) else { continue }
            throw .inapplicableOption(key: key, model: model.lowercased(), valid: valid)
        }
    }
}
