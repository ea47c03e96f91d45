import Foundation
import Testing
@testable import DelveNN

/// A module whose parameters are found by reflection.
final class Affine: Module {
    let scale = Tensor(shape: [1], data: [2], requiresGrad: true)
    let shift = Tensor(shape: [1], data: [1], requiresGrad: true)
    let constant = Tensor(shape: [1], data: [0])
    override func forward(_ input: Tensor) -> Tensor { input * scale + shift + constant }
}

@Suite("Module queries and hook scopes")
struct ModuleQueryTests {
    @Test("namedModules() twice gives the same paths and modules and changes nothing observable")
    func namedModulesIsAQuery() {
        var rng = SeededGenerator(seed: 5)
        let net = TwoPartNet(rng: &rng)
        net.features.eval()
        let first = net.namedModules()
        let second = net.namedModules()
        #expect(first.map(\.path) == ["", "features", "features.0", "features.1", "features.2",
                                      "features.3", "classifier", "classifier.fc"])
        #expect(second.map(\.path) == first.map(\.path))
        #expect(zip(first, second).allSatisfy { $0.module === $1.module })
        // Modes, hooks and parameters are as before the queries.
        #expect(first.map(\.module.training) == [true, false, false, false, false, false, true, true])
        #expect(first.allSatisfy { $0.module.forwardHookCount == 0 })
        #expect(net.namedParameters().map(\.path) == ["features.0.weight", "features.0.bias", "features.2.weight",
                                                      "features.2.bias", "classifier.fc.weight", "classifier.fc.bias"])

        // A hook registered directly receives the name it was registered with, whatever was queried.
        let shared = Linear(2, 2, rng: &rng)
        let a = Sequential(named: [("left", shared)]), b = Sequential(named: [("right", shared)])
        var seen: [String] = []
        shared.registerForwardHook { _, path, _ in seen.append(path) }
        shared.registerForwardHook(name: "mine") { _, path, _ in seen.append(path) }
        _ = a.namedModules(); _ = b.namedModules()
        _ = a(Tensor.zeros([1, 2]))
        #expect(seen == ["", "mine"])
    }

    @Test("reflected children and parameters are computed once per instance and found again")
    func reflectionCached() {
        var rng = SeededGenerator(seed: 6)
        let net = TwoPartNet(rng: &rng)
        #expect(net.reflectionCache == nil)
        let children = net.children
        #expect(net.reflectionCache?.children.map(\.name) == ["features", "classifier"])
        #expect(net.children.map(\.name) == children.map(\.name))
        #expect(zip(net.children, children).allSatisfy { $0.module === $1.module })
        // Parameters found by reflection: one frozen after the first query is no longer listed
        // (requiresGrad is read at each query, only the reflection is cached).
        let affine = Affine()
        #expect(affine.localParameters.map(\.name) == ["scale", "shift"])
        #expect(affine.reflectionCache?.tensors.map(\.name) == ["scale", "shift", "constant"])
        affine.shift.requiresGrad = false
        #expect(affine.localParameters.map(\.name) == ["scale"])
    }

    @Test("Module.withoutHooks: no hook runs inside, scopes nest, other threads are unaffected")
    func withoutHooks() {
        var rng = SeededGenerator(seed: 7)
        let net = Sequential(Linear(3, 2, rng: &rng))
        final class Counter: @unchecked Sendable {
            let lock = NSLock()
            var count = 0
            func add() { lock.lock(); count += 1; lock.unlock() }
        }
        final class Box: @unchecked Sendable {
            let net: Sequential, x: Tensor
            init(_ net: Sequential, _ x: Tensor) { self.net = net; self.x = x }
        }
        let counter = Counter()
        net.registerForwardHooks(where: { _, m in m is Linear }) { _, _, _ in counter.add() }
        let x = Tensor.zeros([1, 3])
        _ = net(x)
        #expect(counter.count == 1)
        Module.withoutHooks {
            _ = net(x)
            Module.withoutHooks { _ = net(x) }
            #expect(!Module.hooksEnabled)
            _ = net(x)
            // Another thread still runs hooks.
            let done = DispatchSemaphore(value: 0)
            let box = Box(net, x)
            let other = Thread { _ = box.net(box.x); done.signal() }
            other.start()
            done.wait()
        }
        #expect(counter.count == 2)
        #expect(Module.hooksEnabled)
        _ = net(x)
        #expect(counter.count == 3)
    }
}
