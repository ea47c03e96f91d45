import CFuzzerDriver
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer's loop with this target's entry point; the arguments are libFuzzer's (-runs=N, corpus dirs…).
var arguments = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&arguments, &argv) { data, size in fuzzCheckpoint(data, size) })
