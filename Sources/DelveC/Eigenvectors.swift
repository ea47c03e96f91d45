import Delve
import DelveLinearAlgebra

@_cdecl("delve_accumulator_eigenvectors")
public func delve_accumulator_eigenvectors(_ handle: OpaquePointer?, _ values: UnsafeMutablePointer<Double>?,
                                           _ vectors: UnsafeMutablePointer<Double>?, _ capacity: Int64) -> Int32 {
    guarded {
        let a = try accumulator(handle)
        let d = a.features
        guard d >= 1 else { throw CFailure(.argument, "accumulator '\(a.name)': no features to decompose") }
        guard capacity >= Int64(d) * Int64(d) else {
            throw CFailure(.buffer, "the eigenvectors need \(d * d) doubles, the buffer holds \(capacity)")
        }
        let values = try required(values, "values"), vectors = try required(vectors, "vectors")
        do {
            let (eigenvalues, eigenvectors) = try SymmetricEigen.decompose(a.covariance(), dimension: d)
            for i in 0..<d { values[i] = max(eigenvalues[i], 0) }
            for i in 0..<(d * d) { vectors[i] = eigenvectors[i] }
        } catch {
            throw CFailure(.state, "accumulator '\(a.name)': \(error)")
        }
    }
}
