import DelveLinearAlgebra

@_cdecl("delve_blas_threads")
public func delve_blas_threads(_ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded {
        try required(out, "threads").pointee = Int32(BLAS.threadCount)
    }
}

@_cdecl("delve_set_blas_threads")
public func delve_set_blas_threads(_ count: Int32) -> Int32 {
    guarded {
        guard count >= 1 else { throw CFailure(.argument, "threads must be at least 1, got \(count)") }
        BLAS.setThreadCount(Int(count))
    }
}
