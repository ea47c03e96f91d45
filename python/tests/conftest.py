import os
import sys

# The package is tested from the source tree (python/delve_swift); DELVE_SWIFT_LIBRARY names the library.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
