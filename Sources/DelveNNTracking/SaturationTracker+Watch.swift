import Delve
import DelveNN

/// What ``Delve/SaturationTracker/watch(_:where:ignoring:)`` attached to, and what it left alone and why.
public struct WatchReport: Sendable, CustomStringConvertible {
    /// The tracked layers: path name and layer type, in network order.
    public var tracked: [(name: String, type: String)] = []
    /// Every module that is not tracked, with the reason.
    public var skipped: [(name: String, reason: String)] = []
    /// What each module of ``skipped`` is, in the same order: its type, "container" or "ignored by name".
    public var skippedKinds: [String] = []

    /// The tracked layers, then the modules not tracked as a count per kind:
    /// `not tracked: 8 ReLU, 8 BatchNorm2d, 3 MaxPool2d, 3 containers (--verbose lists them)`.
    public var description: String {
        var lines = [trackedLine]
        if !skipped.isEmpty {
            var counts: [(kind: String, count: Int)] = []
            // Layer types in order of first appearance, then containers and modules ignored by name.
            let groups = ["container", "ignored by name"]
            for kind in skippedKinds.filter({ !groups.contains($0) }) + skippedKinds.filter(groups.contains) {
                if let i = counts.firstIndex(where: { $0.kind == kind }) { counts[i].count += 1 } else { counts.append((kind, 1)) }
            }
            let parts = counts.map { entry -> String in
                switch entry.kind {
                case "container": return "\(entry.count) container\(entry.count == 1 ? "" : "s")"
                case "ignored by name": return "\(entry.count) ignored by name"
                default: return "\(entry.count) \(entry.kind)"
                }
            }
            lines.append("not tracked: " + parts.joined(separator: ", ") + " (--verbose lists them)")
        }
        return lines.joined(separator: "\n")
    }

    /// The tracked layers, then every module not tracked with the reason.
    public var detailedDescription: String {
        var lines = [trackedLine]
        if !skipped.isEmpty {
            lines.append("not tracked: " + skipped.map { "\($0.name) — \($0.reason)" }.joined(separator: "; "))
        }
        return lines.joined(separator: "\n")
    }

    private var trackedLine: String {
        "tracking \(tracked.count) layer\(tracked.count == 1 ? "" : "s"): " + tracked.map { "\($0.name) (\($0.type))" }.joined(separator: ", ")
    }
}

/// The hooks that connect a tracker to a model; ``remove()`` detaches them.
public final class WatchHandle: @unchecked Sendable {
    /// What is tracked and what is not.
    public let report: WatchReport
    private var hooks: [HookHandle]

    init(report: WatchReport, hooks: [HookHandle]) {
        self.report = report
        self.hooks = hooks
    }

    /// Removes every hook; the model runs as if it had never been watched.
    public func remove() {
        for hook in hooks { hook.remove() }
        hooks.removeAll()
    }
}

extension SaturationTracker {
    /// The layer types tracked by default: `Linear`, `Conv2d`, `ConvTranspose2d`, `Conv1d`,
    /// `LSTM` and `GRU` (Delve tracks no `ConvTranspose2d`, its issue #43).
    public static func isTrackedByDefault(_ module: Module) -> Bool {
        activationKind(of: module) != nil
    }

    /// How a layer's output is read, or `nil` for a layer type the tracker does not know.
    static func activationKind(of module: Module) -> ActivationKind? {
        switch module {
        case is Linear: return .dense
        case is Conv2d, is ConvTranspose2d: return .convolution
        case is Conv1d: return .convolution
        case let recurrent as RecurrentNetwork: return .sequence(batchFirst: recurrent.batchFirst)   // LSTM, GRU
        default: return nil
        }
    }

    /// Attaches the tracker to every layer of `model` that it can read, through forward hooks.
    ///
    /// - Parameters:
    ///   - model: the model whose layers are tracked (every module of `namedModules()`).
    ///   - include: chooses the layers to track by path name and module; default: the types of
    ///     ``isTrackedByDefault(_:)``. A chosen module of a type the tracker cannot read is
    ///     skipped with that reason.
    ///   - ignoring: path names never tracked (Delve's `ignore_layer_names`).
    /// - Returns: a handle whose ``WatchHandle/report`` lists every tracked and every skipped
    ///   module with the reason, and whose ``WatchHandle/remove()`` detaches the hooks.
    ///
    /// Outputs seen while a module is in `train()` mode go to the train statistics, in `eval()`
    /// mode to the eval statistics. A rejected batch (NaN, changed width) is reported by the
    /// next `endEpoch()`.
    @discardableResult
    public func watch(_ model: Module, where include: ((String, Module) -> Bool)? = nil,
                      ignoring: Set<String> = []) -> WatchHandle {
        var report = WatchReport()
        var hooks: [HookHandle] = []
        for (path, module) in model.namedModules() {
            let name = path.isEmpty ? String(describing: type(of: module)) : path
            let typeName = String(describing: type(of: module))
            if ignoring.contains(name) {
                report.skipped.append((name, "ignored by name"))
                report.skippedKinds.append("ignored by name")
                continue
            }
            let chosen = include?(name, module) ?? Self.isTrackedByDefault(module)
            guard chosen else {
                let reason = module.children.isEmpty ? "\(typeName) is not a tracked layer type" : "container (\(typeName))"
                report.skipped.append((name, reason))
                report.skippedKinds.append(module.children.isEmpty ? typeName : "container")
                continue
            }
            guard let kind = Self.activationKind(of: module) else {
                report.skipped.append((name, "\(typeName): the tracker cannot read its output (tracked types: Linear, Conv1d, Conv2d, ConvTranspose2d, LSTM, GRU)"))
                report.skippedKinds.append(typeName)
                continue
            }
            report.tracked.append((name, typeName))
            let hook = module.registerForwardHook(name: name) { [weak self] module, _, output in
                guard let self else { return }
                let phase: Phase = module.training ? .train : .eval
                self.recordReportingLater(layer: name, phase: phase, batch: TensorActivationBatch(output, kind: kind))
            }
            hooks.append(hook)
        }
        return WatchHandle(report: report, hooks: hooks)
    }
}
