#include "monitor/recommendation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/check.h"
#include "monitor/json_util.h"

namespace statcoder::monitor {
namespace {

std::string Fmt(const char* format, double a, double b = 0, double c = 0, double d = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, format, a, b, c, d);
  return buf;
}

bool IsCodeStatistic(const std::string& s) { return s.rfind("codes.level", 0) == 0; }

// First index of the run of batches ending at the last one for which `pred` holds; batches for
// which `applies` is false are skipped (neither extend nor break the run). -1 if the last
// applicable batch does not satisfy `pred`.
template <typename Applies, typename Pred>
int TrailingRunStart(std::span<const BatchSummary> h, Applies applies, Pred pred) {
  int start = -1;
  for (size_t k = h.size(); k-- > 0;) {
    if (!applies(h[k])) continue;
    if (!pred(h[k])) break;
    start = static_cast<int>(k);
  }
  return start;
}

int ConsecutiveAlarms(std::span<const BatchSummary> h, const std::string& statistic, int* start) {
  int run = 0;
  *start = -1;
  for (size_t k = h.size(); k-- > 0;) {
    const DriftTest* t = h[k].drift.Find(statistic);
    if (t == nullptr || !t->alarm) break;
    ++run;
    *start = static_cast<int>(k);
  }
  return run;
}

Evidence FromTest(const DriftTest& t, std::string rule, std::string severity, int since,
                  std::span<const BatchSummary> h) {
  Evidence e;
  e.rule = std::move(rule);
  e.severity = std::move(severity);
  e.statistic = t.statistic;
  e.since_batch = since;
  e.since_batch_id = since >= 0 ? h[static_cast<size_t>(since)].id : "";
  e.effect_name = t.effect_name;
  e.effect = t.effect;
  e.p_value = t.p_value;
  e.adjusted_p = t.adjusted_p;
  return e;
}

double MeasuredShare(const MeasuredCounts& m) {
  return m.n > 0 ? static_cast<double>(m.correct) / static_cast<double>(m.n)
                 : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

BatchSummary SummarizeBatch(std::string id, std::string time, const Reference& reference,
                            BatchStats stats, const DriftOptions& drift_options,
                            const EstimateOptions& estimate_options) {
  BatchSummary s;
  s.id = std::move(id);
  s.time = std::move(time);
  s.drift = TestDrift(reference, stats, drift_options);
  s.estimated_accuracy = EstimateAccuracy(reference, stats, estimate_options);
  s.stats = std::move(stats);
  return s;
}

core::Status RecommendationOptions::Validate() const {
  if (!(accuracy_tolerance >= 0 && accuracy_tolerance < 1)) {
    return core::InvalidArgument("recommendation accuracy_tolerance must be in [0, 1)");
  }
  if (consecutive_code_alarms < 1) {
    return core::InvalidArgument("recommendation consecutive_code_alarms must be >= 1");
  }
  if (!(large_unseen_increase >= 0)) {
    return core::InvalidArgument("recommendation large_unseen_increase must be >= 0");
  }
  RETURN_IF_ERROR(new_codes.Validate());
  RETURN_IF_ERROR(page_hinkley.Validate());
  return measured_page_hinkley.Validate();
}

nlohmann::json Evidence::ToJson() const {
  using json_util::OrNull;
  return {{"rule", rule},
          {"severity", severity},
          {"statistic", statistic},
          {"since_batch", since_batch},
          {"since_batch_id", since_batch_id},
          {"effect_name", effect_name},
          {"effect", effect},
          {"p_value", OrNull(p_value)},
          {"adjusted_p", OrNull(adjusted_p)},
          {"change_magnitude", OrNull(change_magnitude)},
          {"message", message}};
}

nlohmann::json Recommendation::ToJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const Evidence& e : evidence) list.push_back(e.ToJson());
  return {{"status", status}, {"since_batch_index", since_batch_index}, {"evidence", list}};
}

Recommendation Recommend(const Reference& reference, std::span<const BatchSummary> history,
                         const RecommendationOptions& options,
                         const ReviewedCodes* reviewed_earlier) {
  SC_CHECK(options.Validate().ok());
  Recommendation rec;
  if (history.empty()) return rec;
  const BatchSummary& last = history.back();
  const int last_index = static_cast<int>(history.size()) - 1;
  std::vector<Evidence> retrain, watch;
  const auto id_of = [&](int k) { return k >= 0 ? history[static_cast<size_t>(k)].id : ""; };
  const bool have_accuracy = reference.heldout_n > 0;
  const double ref_acc = reference.HeldoutAccuracy();
  const double floor_acc = ref_acc - options.accuracy_tolerance;

  // R1: the label-free estimate against the held-out accuracy.
  const auto est_high_below = [&](const BatchSummary& b) {
    return b.estimated_accuracy.interval.high && *b.estimated_accuracy.interval.high < floor_acc;
  };
  const auto has_estimate = [](const BatchSummary& b) {
    return b.estimated_accuracy.interval.value.has_value();
  };
  if (have_accuracy && has_estimate(last)) {
    const quality::Interval& iv = last.estimated_accuracy.interval;
    Evidence e;
    e.statistic = "estimated_accuracy";
    e.effect_name = "accuracy_difference";
    e.effect = *iv.value - ref_acc;
    if (est_high_below(last)) {
      e.rule = "estimated_accuracy_drop";
      e.severity = "retrain";
      e.since_batch = TrailingRunStart(history, has_estimate, est_high_below);
      e.since_batch_id = id_of(e.since_batch);
      e.message = Fmt("estimated accuracy %.3f (%.3f-%.3f) lies below the held-out accuracy %.3f",
                      *iv.value, *iv.low, *iv.high, ref_acc) +
                  " since batch '" + e.since_batch_id + "'";
      retrain.push_back(std::move(e));
    }
  }

  // R2: measured accuracy (Wilson) against the held-out accuracy.
  const auto has_measured = [](const BatchSummary& b) { return b.measured && b.measured->n > 0; };
  if (have_accuracy && has_measured(last)) {
    const auto measured_below = [&](const BatchSummary& b) {
      const quality::Interval w = quality::WilsonInterval(b.measured->correct, b.measured->n);
      return *w.high < floor_acc;
    };
    if (measured_below(last)) {
      const quality::Interval w = quality::WilsonInterval(last.measured->correct, last.measured->n);
      Evidence e;
      e.rule = "measured_accuracy_drop";
      e.severity = "retrain";
      e.statistic = "measured_accuracy";
      e.since_batch = TrailingRunStart(history, has_measured, measured_below);
      e.since_batch_id = id_of(e.since_batch);
      e.effect_name = "accuracy_difference";
      e.effect = *w.value - ref_acc;
      e.message = Fmt("measured accuracy %.3f (%.3f-%.3f) lies below the held-out accuracy %.3f",
                      *w.value, *w.low, *w.high, ref_acc) +
                  Fmt(" on %.0f reviewed records", static_cast<double>(last.measured->n));
      retrain.push_back(std::move(e));
    }
  }

  // R3 / W2: Page–Hinkley on the estimated and measured accuracy series.
  const auto page_hinkley = [&](const std::string& statistic, const std::vector<double>& series,
                                const PageHinkleyOptions& ph) {
    const ChangePoint cp = PageHinkleyDecrease(series, ph);
    if (!cp.detected && !cp.warning) return;
    Evidence e;
    e.rule = cp.detected ? "page_hinkley" : "page_hinkley_warning";
    e.severity = cp.detected ? "retrain" : "watch";
    e.statistic = statistic;
    e.since_batch = cp.start_index;
    e.since_batch_id = id_of(cp.start_index);
    e.effect_name = "accuracy_decrease";
    e.effect = cp.magnitude;
    e.change_magnitude = cp.magnitude;
    e.message = statistic +
                Fmt(cp.detected ? " fell by %.3f (Page-Hinkley %.3f > %.3f)"
                                : " may be falling: %.3f lower (Page-Hinkley %.3f >= "
                                  "warning %.3f)",
                    cp.magnitude, cp.statistic, cp.detected ? ph.lambda : ph.warning_lambda) +
                " since batch '" + e.since_batch_id + "'";
    (cp.detected ? retrain : watch).push_back(std::move(e));
  };
  std::vector<double> estimated, measured;
  bool any_measured = false;
  for (const BatchSummary& b : history) {
    const auto& v = b.estimated_accuracy.interval.value;
    estimated.push_back(v ? *v : std::numeric_limits<double>::quiet_NaN());
    measured.push_back(b.measured ? MeasuredShare(*b.measured)
                                  : std::numeric_limits<double>::quiet_NaN());
    any_measured = any_measured || has_measured(b);
  }
  page_hinkley("estimated_accuracy", estimated, options.page_hinkley);
  if (any_measured) page_hinkley("measured_accuracy", measured, options.measured_page_hinkley);

  // R4, R5, W1: drift alarms of the latest batch.
  for (const DriftTest& t : last.drift.tests) {
    if (!t.alarm) continue;
    int start = last_index;
    const int run = ConsecutiveAlarms(history, t.statistic, &start);
    if (IsCodeStatistic(t.statistic) && run >= options.consecutive_code_alarms) {
      Evidence e = FromTest(t, "code_drift", "retrain", start, history);
      e.message = t.statistic +
                  Fmt(" differs from the reference (Cohen's w %.3f, adjusted p "
                      "%.2g) in %.0f consecutive batches",
                      t.effect, t.adjusted_p, run) +
                  " since batch '" + e.since_batch_id + "'";
      retrain.push_back(std::move(e));
    } else if (t.statistic == "unseen_feature_share" && t.effect >= options.large_unseen_increase) {
      Evidence e = FromTest(t, "unseen_features", "retrain", start, history);
      e.message =
          Fmt("%.1f%% of a record's features are unseen in training on average, "
              "%.1f%% in the reference",
              100 * t.batch_value.value_or(0), 100 * t.reference_value.value_or(0));
      retrain.push_back(std::move(e));
    } else {
      Evidence e = FromTest(t, "drift_alarm", "watch", start, history);
      e.message = t.statistic + " differs from the reference (" + t.effect_name +
                  Fmt(" %.3f, adjusted p %.2g)", t.effect, t.adjusted_p);
      watch.push_back(std::move(e));
    }
  }

  // R6: codes new to the model among the coders' decisions, in any batch of the history.
  {
    int first = -1, latest = -1;
    NewCodeFinding latest_finding;
    for (size_t k = 0; k < history.size(); ++k) {
      if (!history[k].reviewed_codes) continue;
      NewCodeFinding f = TestNewCodes(reference, *history[k].reviewed_codes, options.new_codes);
      if (!f.alarm) continue;
      if (first < 0) first = static_cast<int>(k);
      latest = static_cast<int>(k);
      latest_finding = std::move(f);
    }
    std::string where = latest >= 0 ? "batch '" + id_of(latest) + "'" : "";
    if (reviewed_earlier != nullptr) {
      NewCodeFinding f = TestNewCodes(reference, *reviewed_earlier, options.new_codes);
      if (f.alarm) {
        first = 0;
        if (latest < 0) {
          latest_finding = std::move(f);
          where = "a batch coded by an earlier model";
          latest = 0;
        } else {
          where += ", and in a batch coded by an earlier model";
        }
      }
    }
    if (latest >= 0) {
      Evidence e;
      e.rule = "new_codes";
      e.severity = "retrain";
      e.statistic = "reviewed_codes";
      e.since_batch = first;
      e.since_batch_id = id_of(first);
      e.effect_name = "untrained_share_difference";
      e.effect = latest_finding.share - latest_finding.reference_share;
      e.message = latest_finding.message + " (" + where +
                  "): train on their decisions ('statcoder review export')";
      retrain.push_back(std::move(e));
    }
  }

  const std::vector<Evidence>& decisive = !retrain.empty() ? retrain : watch;
  rec.status = !retrain.empty() ? "retrain" : !watch.empty() ? "watch" : "ok";
  for (const Evidence& e : decisive) {
    if (e.since_batch >= 0 &&
        (rec.since_batch_index < 0 || e.since_batch < rec.since_batch_index)) {
      rec.since_batch_index = e.since_batch;
    }
  }
  if (rec.status != "ok" && rec.since_batch_index < 0) rec.since_batch_index = last_index;
  rec.evidence = std::move(retrain);
  for (Evidence& e : watch) rec.evidence.push_back(std::move(e));
  return rec;
}

}  // namespace statcoder::monitor
