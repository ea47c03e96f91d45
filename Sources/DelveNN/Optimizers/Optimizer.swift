/// Updates parameters from their gradients.
public protocol Optimizer: AnyObject {
    /// The step size; learning-rate schedules change it between epochs.
    var learningRate: Float { get set }
    /// Applies one update to every parameter that has a gradient.
    func step()
    /// Clears the gradients of the parameters.
    func zeroGrad()
}

/// Names parameters by their position ("0", "1", …), for optimizers created from a plain parameter list.
func positionallyNamed(_ parameters: [Tensor]) -> [(path: String, tensor: Tensor)] {
    parameters.enumerated().map { (String($0.offset), $0.element) }
}

/// Checks that every parameter name is used once; `optimizer` names the caller in the message.
func requireUniqueNames(_ parameters: [(path: String, tensor: Tensor)], optimizer: String) {
    var seen = Set<String>()
    for (path, _) in parameters {
        require(seen.insert(path).inserted, "\(optimizer): the parameter name '\(path)' is used twice")
    }
}
