// Numeric features of a reported time series, derived from the column holding its values. A
// numeric field named "COLUMN:FEATURE" (e.g. "values:log_magnitude") is not read from a column
// of that name but computed from COLUMN, whose cell holds the observations separated by ';' or
// spaces ("102.1; 103.4;;104.0": an empty observation, "NA" or "." is missing). So a model
// trained with such fields computes them again from the same column when it codes.
//
//   double v;
//   std::string why;
//   ParseNumericInput("values:log_magnitude", "1200;1300", &v, &why);  // v = log10(1 + 1250)
//
// Features (each NaN, a missing value, when the series has too few observations):
//   log_magnitude   log10(1 + median |x|): domestic currency in millions vs a percent vs an index
//   negative_share  share of observations below 0: net balances, changes
//   variation       standard deviation over |mean|, capped at 10: levels vs rates
//   seasonality     largest autocorrelation of the first differences at lag 4 or 12: an
//                   unadjusted monthly or quarterly series repeats its pattern; an adjusted one
//                   does not (in [-1, 1])
//   min, max, median  of the observations, for plausibility rules (a percent above 100...)
// A cell holds at most kMaxObservations observations.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace statcoder::data {

inline constexpr size_t kMaxObservations = 10000;

// The features a "COLUMN:FEATURE" field may name.
const std::vector<std::string>& SeriesFeatureNames();

// The column a numeric field is read from: COLUMN for "COLUMN:FEATURE", else the name.
std::string NumericSourceColumn(const std::string& field);

// kInvalidArgument when `field` has the form COLUMN:FEATURE with an unknown FEATURE.
core::Status CheckNumericFieldName(const std::string& field);

// The observations of a series cell; false with `why` on a token that is not a number.
bool ParseSeries(std::string_view cell, std::vector<double>* values, std::string* why);

// One feature of parsed observations (NaN when undefined).
double SeriesFeature(const std::vector<double>& values, std::string_view feature);

// The value of numeric field `field` from its cell: a number (ParseNumericField) or, for a
// derived field, the feature of the series. False with `why` when the cell is malformed.
bool ParseNumericInput(const std::string& field, std::string_view cell, double* value,
                       std::string* why);

}  // namespace statcoder::data
