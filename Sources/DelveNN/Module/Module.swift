import Foundation

/// The base class of every layer and model: named children, named parameters, train/eval mode and
/// forward hooks (PyTorch `nn.Module` semantics).
///
/// Subclasses override `forward(_:)`. Children and parameters are found automatically from stored
/// properties (a property holding a `Module`, an array of modules — named `name.0`, `name.1`, … — or a
/// `Tensor` that requires a gradient), in declaration order, reflected once per instance at the first
/// query (so a module that replaces a child or parameter after that must override the lists); override
/// `children`, `localParameters` or `localBuffers` to list them explicitly instead. Call a module as a
/// function (`model(x)`) so its forward hooks run.
open class Module {
    /// `true` in training mode (the default), `false` after `eval()`.
    public private(set) var training = true

    struct Hook {
        let id: Int
        let name: String
        let body: (Module, String, Tensor) -> Void
    }
    var forwardHooks: [Hook] = []
    var nextHookID = 0
    /// Applied to `forward`'s result by `callAsFunction` (see ``setOutputTransform(_:)``); not reflected.
    var outputTransform: ((Tensor) -> Tensor)?

    /// The children and tensors found by reflection, computed at the first query.
    struct Reflection {
        var children: [(name: String, module: Module)] = []
        /// Every stored `Tensor`; the parameters are those that require a gradient at query time.
        var tensors: [(name: String, tensor: Tensor)] = []
    }
    private(set) var reflectionCache: Reflection?
    private let reflectionLock = NSLock()

    /// The reflected children and tensors of this instance (see ``forEachStoredProperty(_:)``), cached.
    var reflection: Reflection {
        reflectionLock.lock()
        defer { reflectionLock.unlock() }
        if let reflectionCache { return reflectionCache }
        var result = Reflection()
        forEachStoredProperty { label, value in
            if let m = value as? Module { result.children.append((label, m)) }
            else if let list = value as? [Module] {
                for (i, m) in list.enumerated() { result.children.append(("\(label).\(i)", m)) }
            }
            else if let t = value as? Tensor { result.tensors.append((label, t)) }
        }
        reflectionCache = result
        return result
    }

    /// Creates a module in training mode.
    public init() {}

    /// The ordered, named direct sub-modules.
    open var children: [(name: String, module: Module)] { reflection.children }

    /// The parameters owned directly by this module (not by its children), with their local names.
    open var localParameters: [(name: String, tensor: Tensor)] { reflection.tensors.filter { $0.tensor.requiresGrad } }

    /// Non-trainable state owned directly by this module (e.g. BatchNorm's `running_mean`).
    open var localBuffers: [(name: String, tensor: Tensor)] { [] }

    /// Stored properties of the concrete class and its superclasses below `Module`, in declaration order.
    func forEachStoredProperty(_ body: (String, Any) -> Void) {
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let m = mirror, m.subjectType != Module.self {
            mirrors.append(m)
            mirror = m.superclassMirror
        }
        for m in mirrors.reversed() {
            for child in m.children {
                guard let label = child.label else { continue }
                let name = label.hasPrefix("_") ? String(label.dropFirst()) : label
                body(name, child.value)
            }
        }
    }

    /// Computes the output. Subclasses override it; the base implementation is a programming error.
    open func forward(_ input: Tensor) -> Tensor {
        preconditionFailure("\(type(of: self)) does not override forward(_:)")
    }

    /// Runs `forward` (and the output transform, if one is set), then every forward hook with
    /// (module, the hook's path name, output).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        let computed = forward(input)
        let output = outputTransform.map { $0(computed) } ?? computed
        runForwardHooks(output)
        return output
    }

    /// Calls the forward hooks with `output` (for modules with a richer call than `forward`), unless the
    /// current thread is inside ``withoutHooks(_:)``.
    public func runForwardHooks(_ output: Tensor) {
        guard !forwardHooks.isEmpty, HookMode.isEnabled else { return }
        for hook in forwardHooks { hook.body(self, hook.name, output) }
    }

    /// Runs `body` with the forward hooks of every module off on the current thread (other threads
    /// are unaffected): forward passes inside it, e.g. an extra evaluation of a watched model, reach
    /// no hook. Scopes nest.
    public static func withoutHooks<R>(_ body: () throws -> R) rethrows -> R {
        try HookMode.withoutHooks(body)
    }

    /// `false` while the current thread is inside ``withoutHooks(_:)``.
    public static var hooksEnabled: Bool { HookMode.isEnabled }

    // MARK: Hierarchy

    /// This module ("") and all descendants with their dotted paths, depth first, in order. A query:
    /// it changes nothing.
    public func namedModules() -> [(path: String, module: Module)] {
        var result: [(path: String, module: Module)] = []
        func visit(_ module: Module, _ path: String) {
            result.append((path, module))
            for (name, child) in module.children { visit(child, path.isEmpty ? name : path + "." + name) }
        }
        visit(self, "")
        return result
    }

    /// Every parameter with its dotted path ("features.0.weight"), each tensor once.
    public func namedParameters() -> [(path: String, tensor: Tensor)] {
        collect { $0.localParameters }
    }

    /// Every buffer with its dotted path ("bn.running_mean").
    public func namedBuffers() -> [(path: String, tensor: Tensor)] {
        collect { $0.localBuffers }
    }

    /// Parameters and buffers together (what a PyTorch `state_dict` holds, minus integer counters).
    public func namedStateTensors() -> [(path: String, tensor: Tensor)] {
        collect { $0.localParameters + $0.localBuffers }
    }

    private func collect(_ local: (Module) -> [(name: String, tensor: Tensor)]) -> [(path: String, tensor: Tensor)] {
        var seen = Set<ObjectIdentifier>()
        var result: [(path: String, tensor: Tensor)] = []
        for (path, module) in namedModules() {
            for (name, tensor) in local(module) where seen.insert(ObjectIdentifier(tensor)).inserted {
                result.append((path.isEmpty ? name : path + "." + name, tensor))
            }
        }
        return result
    }

    /// Every parameter, each once.
    public func parameters() -> [Tensor] { namedParameters().map(\.tensor) }

    /// The total number of parameter elements.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    /// Sets training mode (`true`) or evaluation mode (`false`) on this module and all descendants.
    public func train(_ mode: Bool = true) {
        training = mode
        for (_, child) in children { child.train(mode) }
    }

    /// Evaluation mode: Dropout passes values through, BatchNorm uses its running statistics.
    public func eval() { train(false) }

    /// Clears the gradients of every parameter.
    public func zeroGrad() { for p in parameters() { p.grad = nil } }

    // MARK: Hooks

    /// Adds a hook called after every forward pass of this module with (module, path name, output);
    /// the path name is `name` (the module's path when registered through
    /// ``registerForwardHooks(where:_:)``).
    @discardableResult
    public func registerForwardHook(name: String = "", _ hook: @escaping (Module, String, Tensor) -> Void) -> HookHandle {
        let id = nextHookID
        nextHookID += 1
        forwardHooks.append(Hook(id: id, name: name, body: hook))
        return HookHandle(module: self, id: id)
    }

    /// Registers `hook` on every module (this one included, path "") for which `predicate(path, module)`
    /// holds; the hook receives that module's path.
    @discardableResult
    public func registerForwardHooks(where predicate: (String, Module) -> Bool,
                                     _ hook: @escaping (Module, String, Tensor) -> Void) -> [HookHandle] {
        namedModules().filter { predicate($0.path, $0.module) }.map { $0.module.registerForwardHook(name: $0.path, hook) }
    }

    /// The number of forward hooks currently registered on this module.
    public var forwardHookCount: Int { forwardHooks.count }

    func removeHook(id: Int) { forwardHooks.removeAll { $0.id == id } }
}

/// A registration of a forward hook; `remove()` unregisters it (idempotent).
public final class HookHandle {
    weak var module: Module?
    let id: Int

    init(module: Module, id: Int) {
        self.module = module
        self.id = id
    }

    /// Unregisters the hook.
    public func remove() {
        module?.removeHook(id: id)
        module = nil
    }
}
