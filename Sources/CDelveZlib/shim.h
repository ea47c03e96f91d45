// zlib from Debian's zlib1g-dev, used for PNG compression.
#include <zlib.h>
