// Only the declaration in include/FuzzerDriver.h matters; libFuzzer (linked by -sanitize=fuzzer) defines it.
#include "FuzzerDriver.h"
