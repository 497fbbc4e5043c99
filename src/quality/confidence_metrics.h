// How well a model's stated confidence matches what it achieves: expected calibration error
// (ECE), the reliability diagram, and the coverage–precision curve behind auto-coding.
//
// Inputs are paired per record: `confidence` of the top-1 code in [0, 1] and whether that code
// was right (`correct`).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace statcoder::quality {

struct ReliabilityBin {
  double low = 0, high = 0;  // confidence range [low, high) ([low, 1] for the last bin)
  uint64_t records = 0;
  std::optional<double> mean_confidence, accuracy;  // empty for an empty bin
};

// `bins` equal-width bins over [0, 1]; a confidence of exactly 1 falls in the last bin.
std::vector<ReliabilityBin> ReliabilityDiagram(std::span<const double> confidence,
                                               std::span<const uint8_t> correct, int bins = 15);

// ECE = Σ_bins (records in bin / all records) × |accuracy − mean confidence|.
// Equal-width: bins of ReliabilityDiagram. Equal-mass: records sorted by confidence and cut
// into `bins` groups of (nearly) equal size; records of equal confidence never straddle a cut.
// 0 for empty input.
double ExpectedCalibrationError(std::span<const double> confidence,
                                std::span<const uint8_t> correct, int bins = 15);
double ExpectedCalibrationErrorEqualMass(std::span<const double> confidence,
                                         std::span<const uint8_t> correct, int bins = 15);

// The equal-width ECE that a perfectly calibrated model would still show on these confidences:
// every record's correctness drawn as a coin of its stated confidence, `replicates` times from
// `seed`, averaged. ECE is a biased estimate (|noise| is positive), so on a few thousand records
// even a perfect model shows about 0.01-0.02; a measured ECE near this floor is sampling noise.
double ExpectedCalibrationErrorIfCalibrated(std::span<const double> confidence, int bins = 15,
                                            int replicates = 200, uint64_t seed = 1);

struct CoveragePoint {
  double threshold = 0;  // auto-code every record with confidence >= threshold
  double coverage = 0;   // share of records auto-coded
  double precision = 0;  // share of those that are right
};

// The coverage–precision curve at up to `points` thresholds (quantiles of confidence, always
// including the highest-confidence cut and full coverage), coverage ascending. Ties in
// confidence are never split. Empty for empty input.
std::vector<CoveragePoint> CoverageCurve(std::span<const double> confidence,
                                         std::span<const uint8_t> correct, int points = 100);

// The point of the curve for one threshold (records with confidence >= threshold); coverage 0
// and precision empty when nothing is covered.
struct CoverageAt {
  double coverage = 0;
  std::optional<double> precision;
};
CoverageAt CoverageAtThreshold(std::span<const double> confidence, std::span<const uint8_t> correct,
                               double threshold);

}  // namespace statcoder::quality
