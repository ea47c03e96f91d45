import ArgumentParser
import DelveTraining
import Delve
import DelveOutputs

// Command-line parsing of the library's option enums (their raw values are the accepted spellings).

extension ConvMethod: ExpressibleByArgument {}
extension TimeseriesMethod: ExpressibleByArgument {}
extension IntrinsicDimensionalityConvention: ExpressibleByArgument {}
extension AccumulationPrecision: ExpressibleByArgument {}
extension Phase: ExpressibleByArgument {}
