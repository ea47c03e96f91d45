/// Updates parameters from their gradients.
public protocol Optimizer: AnyObject {
    /// The step size; learning-rate schedules change it between epochs.
    var learningRate: Float { get set }
    /// Applies one update to every parameter that has a gradient.
    func step()
    /// Clears the gradients of the parameters.
    func zeroGrad()
}
