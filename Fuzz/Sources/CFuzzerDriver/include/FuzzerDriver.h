// libFuzzer's driver entry point (compiler-rt, FuzzerInterface.h): runs the fuzzing loop with the
// command-line arguments, calling `callback` on every input. The fuzz executables call it from their
// own `main` because SwiftPM names an executable's entry point itself.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
