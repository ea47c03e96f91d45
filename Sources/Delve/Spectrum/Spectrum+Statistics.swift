extension Spectrum {
    /// The statistics `options` ask for, with notes (see ``statistics(_:threshold:convention:covarianceTrace:)``).
    public func statistics(_ options: StatisticsOptions) -> LayerStatistics {
        statistics(options.statistics, threshold: options.threshold, convention: options.convention)
    }

    /// The requested scalar statistics with notes explaining edge cases.
    ///
    /// `trc` is `covarianceTrace` when given, otherwise ``trace``; `dtrc` is ``clippedTrace``; `idim`
    /// and `lsat` use `threshold` (δ) and `convention`. ``Statistic/cov`` is a matrix and is skipped.
    /// No samples → every statistic is NaN (no data, no number), with a note. All-zero variance from
    /// samples → idim, lsat, erank, rankme, pr, srank, det = 0 and logdet = −∞, with a note. alphareq is
    /// also NaN, with a note, when fewer than three eigenvalues are above λ₁·1e-12 (a line needs three
    /// points to be a fit).
    public func statistics(_ stats: [Statistic], threshold: Double = 0.99,
                           convention: IntrinsicDimensionalityConvention = .paper,
                           covarianceTrace: Double? = nil) -> LayerStatistics {
        var result = LayerStatistics()
        if samples == 0 {
            for stat in stats where stat.isScalar && stat.isSpectral { result.values[stat] = .nan }
            result.notes = notes(for: stats)
            return result
        }
        for stat in stats {
            switch stat {
            case .lsat: result.values[.lsat] = saturation(threshold: threshold, convention: convention)
            case .idim:
                result.values[.idim] = nonFiniteCount > 0 ? .nan
                    : Double(intrinsicDimensionality(threshold: threshold, convention: convention))
            case .cov: continue
            case .det: result.values[.det] = determinant
            case .logdet: result.values[.logdet] = logDeterminant
            case .trc: result.values[.trc] = covarianceTrace ?? trace
            case .dtrc: result.values[.dtrc] = nonFiniteCount > 0 ? .nan : clippedTrace
            case .erank: result.values[.erank] = effectiveRank
            case .pr: result.values[.pr] = participationRatio
            case .srank: result.values[.srank] = stableRank
            case .rankme: result.values[.rankme] = rankMe
            case .alphareq: result.values[.alphareq] = alphaReQ
            case .probeR2, .probeAccuracy: continue   // from labels (LinearProbe), not the spectrum
            }
        }
        result.notes = notes(for: stats)
        return result
    }

    /// The note of a layer without samples, whose statistics are all NaN.
    public static let noSamplesNote = "no samples were accumulated: no statistic (NaN)"

    /// Plain-words warnings about this spectrum that explain surprising values.
    public func notes(for stats: [Statistic] = Statistic.allCases) -> [String] {
        var notes: [String] = []
        if nonFiniteCount > 0 {
            notes.append("\(nonFiniteCount) eigenvalue(s) are NaN or infinite; every statistic is NaN")
            return notes
        }
        if samples == 0 {
            notes.append(Self.noSamplesNote)
            return notes
        } else if samples == 1 {
            notes.append("only one sample: the covariance is zero")
        }
        if features > 0 && clippedTrace == 0 {
            notes.append("all-zero variance: every eigenvalue is 0, so idim, lsat, erank, rankme, pr, srank and det "
                         + "are 0 and logdet is −∞")
        } else if samples > 1 && samples <= features {
            notes.append("only \(samples) samples for \(features) features: at most N−1 = \(samples - 1) of D = "
                         + "\(features) directions can carry variance, so lsat ≤ \(samples - 1)/\(features)")
        }
        if mostNegativeEigenvalue < -1e-8 * max(largestEigenvalue, Double.leastNormalMagnitude) {
            notes.append("negative eigenvalues down to \(mostNegativeEigenvalue) were clipped to 0 "
                         + "(the covariance is not numerically positive semi-definite)")
        }
        if stats.contains(.alphareq) {
            let ranks = alphaReQRanks
            if ranks < Self.alphaReQMinimumRanks {
                notes.append("alphareq is NaN: only \(ranks) eigenvalue(s) above λ₁·\(Self.alphaReQRelativeFloor), "
                             + "the fit log λₖ = c − α log k needs at least \(Self.alphaReQMinimumRanks)")
            }
        }
        if stats.contains(.det) && clippedTrace > 0 {
            let logdet = logDeterminant, det = determinant
            if logdet.isFinite && det == 0 {
                notes.append("det underflows float64 (logdet = \(logdet)); use logdet")
            } else if logdet.isFinite && !det.isFinite {
                notes.append("det overflows float64 (logdet = \(logdet)); use logdet")
            } else if logdet == -.infinity {
                notes.append("the covariance is singular (an eigenvalue is 0): det = 0, logdet = −∞")
            }
        } else if stats.contains(.logdet) && clippedTrace > 0 && logDeterminant == -.infinity {
            notes.append("the covariance is singular (an eigenvalue is 0): logdet = −∞")
        }
        return notes
    }
}
