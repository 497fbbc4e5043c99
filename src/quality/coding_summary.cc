#include "quality/coding_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/check.h"
#include "quality/intervals.h"
#include "quality/quality_report.h"

namespace statcoder::quality {
namespace {

using nlohmann::json;

// A share is "below the target" only by more than float noise: 19 / 20 must equal 0.95.
constexpr double kTolerance = 1e-12;

double Ratio(uint64_t a, uint64_t b) {
  return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
}
json ShareOrNull(uint64_t a, uint64_t b) { return b ? json(Ratio(a, b)) : json(nullptr); }

std::string Format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// "38.0%": one decimal, so that a rate of 0.4% does not read as 0%.
std::string Percent(double share) { return Format("%.1f%%", 100.0 * share); }

// "95%", "97.5%": a target as the user gave it (0.97 * 100 is 97.00000000000001).
std::string TargetPercent(double target) {
  return Format("%g%%", std::round(target * 100.0 * 1e4) / 1e4);
}

// "1,234".
std::string Count(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Percentage points, with a second decimal when the first would say 0.0.
std::string Points(double share_difference) {
  const double points = 100.0 * share_difference;
  const std::string one = Format("%.1f", points);
  return (one == "0.0" ? Format("%.2f", points) : one) + (one == "1.0" ? " point" : " points");
}

// "the broad level"; code lists without level names give "level 3", which needs no article.
std::string LevelPhrase(const std::string& name) {
  if (name.empty()) return "this level";
  if (name.rfind("level ", 0) == 0) return name;
  return "the " + name + " level";
}

std::string RateAndCount(uint64_t records, uint64_t of) {
  return Percent(Ratio(records, of)) + " (" + Count(records) + ")";
}

// "the major and minor levels", "the broad, minor and major levels".
std::string JoinLevels(const std::vector<const LevelOutcome*>& levels) {
  std::vector<std::string> names;
  bool all_named = true;
  for (const LevelOutcome* l : levels) {
    names.push_back(l->name);
    if (l->name.empty() || l->name.rfind("level ", 0) == 0) all_named = false;
  }
  if (!all_named || names.size() == 1) {
    std::string out;
    for (size_t i = 0; i < levels.size(); ++i) {
      if (i > 0) out += i + 1 == levels.size() ? " and " : ", ";
      out += LevelPhrase(levels[i]->name);
    }
    return out;
  }
  std::string out = "the ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
  return out + " levels";
}

std::string IntervalWords(uint64_t right, uint64_t records) {
  const Interval iv = WilsonInterval(right, records);
  if (!iv.low || !iv.high) return "";
  return "95% interval " + Percent(*iv.low) + "–" + Percent(*iv.high);
}

// One level's or the whole policy's precision against the target.
struct Check {
  const LevelOutcome* level = nullptr;  // null: overall
  uint64_t records = 0, right = 0;
};

struct Figures {
  const CodingOutcome* outcome = nullptr;
  uint64_t auto_records = 0, auto_right = 0;
  const LevelOutcome* full = nullptr;
  std::vector<const LevelOutcome*> coarser_used, coarser_never;
  uint64_t coarser_records = 0;
  std::vector<Check> shortfalls;               // overall first, then levels in policy order
  std::vector<const LevelOutcome*> unchecked;  // some auto-coded records, too few to check
};

bool Below(uint64_t right, uint64_t records, double target) {
  return records > 0 && Ratio(right, records) < target - kTolerance;
}

std::string CoverageSentence(const Figures& f) {
  const CodingOutcome& o = *f.outcome;
  const std::string target = TargetPercent(o.target_precision);
  if (o.records == 0) {
    return "No record was evaluated, so nothing can be said about automatic coding at the " +
           target + " target precision.";
  }
  if (f.auto_records == 0) {
    return "At the " + target + " target precision, none of the " + Count(o.records) +
           " evaluated records is coded automatically: all go to a coder.";
  }
  std::string s = "At the " + target + " target precision, " +
                  Percent(Ratio(f.auto_records, o.records)) + " of the " + Count(o.records) +
                  " evaluated records (" + Count(f.auto_records) + ") are coded automatically";
  if (f.full->auto_records == f.auto_records) return s + ", all to their full code.";
  if (f.full->auto_records == 0) return s + ", none to their full code.";
  return s + ", " + RateAndCount(f.full->auto_records, o.records) + " to their full code.";
}

std::string LevelsSentence(const Figures& f) {
  const CodingOutcome& o = *f.outcome;
  const uint64_t referred = o.records - f.auto_records;
  const std::string full_name =
      f.full->name.empty() ? "the full code" : "the full code (" + f.full->name + ")";
  if (o.records == 0) {
    return f.full->never() ? "The threshold for " + full_name + " is never reached." : "";
  }
  std::string s;
  if (o.levels.size() == 1) {
    // No code list: no coarser level to fall back on.
    s = f.full->never() ? "The full code is never coded automatically at this target "
                          "(threshold never), and without a code list there is no coarser "
                          "level to code to"
                        : "Without a code list every automatic code is a full code";
    return s + "; " + RateAndCount(referred, o.records) + " of the records go to a coder.";
  }
  if (f.full->never()) {
    s = "By level: no record is coded to " + full_name +
        ", whose threshold is never reached at this target; ";
    s += f.coarser_used.empty()
             ? "none is coded to a coarser level either"
             : RateAndCount(f.coarser_records, o.records) + " are coded to a coarser level: ";
  } else {
    s = "By level: " + RateAndCount(f.full->auto_records, o.records) + " are coded to " +
        full_name + ", ";
    s += f.coarser_used.empty()
             ? "none to a coarser level"
             : RateAndCount(f.coarser_records, o.records) + " to a coarser level: ";
  }
  if (!f.coarser_used.empty()) {
    for (size_t i = 0; i < f.coarser_used.size(); ++i) {
      const LevelOutcome& l = *f.coarser_used[i];
      if (i > 0) s += ", ";
      s += RateAndCount(l.auto_records, o.records) + " at " + LevelPhrase(l.name);
    }
  }
  if (!f.coarser_never.empty()) {
    s += " (threshold never at " + JoinLevels(f.coarser_never) + ": nothing is coded there)";
  }
  return s + "; " + RateAndCount(referred, o.records) + " go to a coder.";
}

std::string ShortfallWords(const Check& c, double target, bool first) {
  const double precision = Ratio(c.right, c.records);
  const Interval iv = WilsonInterval(c.right, c.records);
  std::string s = Percent(precision) + " of the " + Count(c.records) + " records coded " +
                  (c.level == nullptr   ? std::string("automatically")
                   : c.level->full_code ? std::string("automatically to the full code")
                                        : "at " + LevelPhrase(c.level->name)) +
                  " were right, " + Points(target - precision) + " below the " +
                  (first ? TargetPercent(target) + " " : "") + "target";
  if (iv.high) {
    s += *iv.high < target ? " (" + IntervalWords(c.right, c.records) + ", all below the target)"
                           : " (" + IntervalWords(c.right, c.records) +
                                 ": the target is inside it, so chance alone could explain it)";
  }
  return s;
}

std::string PrecisionSentence(const Figures& f, const SummaryOptions& options) {
  const CodingOutcome& o = *f.outcome;
  const std::string target = TargetPercent(o.target_precision);
  if (f.auto_records == 0) {
    return "Nothing was coded automatically, so there is no precision to check against the " +
           target + " target.";
  }
  if (f.shortfalls.empty()) {
    std::string s = "The promised precision held on these records: " +
                    Percent(Ratio(f.auto_right, f.auto_records)) + " of the " +
                    Count(f.auto_records) + " records coded automatically were right (target " +
                    target + ", " + IntervalWords(f.auto_right, f.auto_records) + ")";
    if (o.levels.size() > 1) {
      s += ", and it held at each level with at least " + Count(options.min_level_records) +
           " records coded automatically there";
      if (!f.unchecked.empty()) {
        s += " (" + JoinLevels(f.unchecked) + " had fewer and were not checked on their own)";
      }
    }
    return s + ".";
  }
  std::string s = "Warning: the promised precision did not hold on these records: ";
  const bool overall_failed = f.shortfalls.front().level == nullptr;
  if (!overall_failed) {
    s += "overall " + Percent(Ratio(f.auto_right, f.auto_records)) + " of the " +
         Count(f.auto_records) + " records coded automatically were right (target " + target +
         "), but at " + (f.shortfalls.size() == 1 ? "one level" : "some levels") +
         " it fell short: ";
  }
  for (size_t i = 0; i < f.shortfalls.size(); ++i) {
    if (i > 0) s += "; ";
    s += ShortfallWords(f.shortfalls[i], o.target_precision, i == 0);
  }
  return s + ".";
}

json LevelJson(const LevelOutcome& l, uint64_t records, uint64_t cumulative,
               uint64_t cumulative_right, const SummaryOptions& options, double target) {
  const bool checked = l.auto_records > 0 && l.auto_records >= options.min_level_records;
  const Interval iv = WilsonInterval(l.auto_right, l.auto_records);
  return {{"depth", l.depth},
          {"name", l.name},
          {"full_code", l.full_code},
          {"threshold", l.threshold},
          {"never", l.never()},
          {"auto_records", l.auto_records},
          {"auto_rate", ShareOrNull(l.auto_records, records)},
          {"precision", ShareOrNull(l.auto_right, l.auto_records)},
          {"precision_interval", iv.ToJson()},
          {"checked", checked},
          {"held", checked ? json(!Below(l.auto_right, l.auto_records, target)) : json(nullptr)},
          {"cumulative_auto_records", cumulative},
          {"cumulative_auto_rate", ShareOrNull(cumulative, records)},
          {"cumulative_precision", ShareOrNull(cumulative_right, cumulative)}};
}

}  // namespace

std::string ThresholdText(double threshold, int digits) {
  if (threshold > 1.0) return "never";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, threshold);
  return buf;
}

CodingOutcome MeasureCodingOutcome(const model::Model& m, const std::vector<std::string>& truths,
                                   const std::vector<model::Prediction>& predictions) {
  SC_CHECK(truths.size() == predictions.size());
  const model::DecisionPolicy& policy = m.data().policy;
  CodingOutcome o;
  o.target_precision = policy.target_precision;
  o.records = truths.size();
  const data::CodeList* codes = m.code_list();
  int deepest = 1;
  for (size_t c = 0; c < m.num_labels(); ++c) deepest = std::max(deepest, m.LabelDepth(c));
  LevelOutcome full;
  full.depth = deepest;
  full.name = codes ? codes->LevelName(deepest) : "";
  full.full_code = true;
  full.threshold = policy.label_threshold;
  o.levels.push_back(full);
  if (codes) {
    for (int d = deepest - 1; d >= 1; --d) {
      LevelOutcome l;
      l.depth = d;
      l.name = codes->LevelName(d);
      const auto i = static_cast<size_t>(d - 1);
      l.threshold =
          i < policy.level_thresholds.size() ? policy.level_thresholds[i] : model::kNeverAuto;
      o.levels.push_back(l);
    }
  }
  for (size_t r = 0; r < predictions.size(); ++r) {
    const model::Prediction& p = predictions[r];
    if (p.decision != model::Decision::kAuto) continue;
    const bool right = DecidedCodeIsRight(m, truths[r], p.code);
    LevelOutcome* at = &o.levels[0];
    // Auto-coded to its top label is the full code, whatever that label's depth.
    if (p.code != m.label(static_cast<size_t>(p.top[0].label))) {
      for (LevelOutcome& l : o.levels) {
        if (!l.full_code && l.depth == p.level) at = &l;
      }
    }
    ++at->auto_records;
    at->auto_right += right;
  }
  return o;
}

nlohmann::json CodingSummaryJson(const CodingOutcome& o, const SummaryOptions& options) {
  SC_CHECK(!o.levels.empty() && o.levels.front().full_code);
  Figures f;
  f.outcome = &o;
  f.full = &o.levels.front();
  json levels = json::array();
  for (const LevelOutcome& l : o.levels) {
    f.auto_records += l.auto_records;
    f.auto_right += l.auto_right;
    levels.push_back(
        LevelJson(l, o.records, f.auto_records, f.auto_right, options, o.target_precision));
    if (l.full_code) continue;
    f.coarser_records += l.auto_records;
    // A level that auto-codes nothing although it has a threshold is still "used" by the
    // policy: saying "0.0% at the sector level" is the honest figure.
    (l.never() ? f.coarser_never : f.coarser_used).push_back(&l);
  }
  if (Below(f.auto_right, f.auto_records, o.target_precision)) {
    f.shortfalls.push_back({nullptr, f.auto_records, f.auto_right});
  }
  // Without a code list the full code is the whole: checked once, above.
  if (o.levels.size() > 1) {
    for (const LevelOutcome& l : o.levels) {
      // A level that holds every auto-coded record says what the overall check said.
      if (l.auto_records == 0 || l.auto_records == f.auto_records) continue;
      if (l.auto_records < options.min_level_records) {
        f.unchecked.push_back(&l);
      } else if (Below(l.auto_right, l.auto_records, o.target_precision)) {
        f.shortfalls.push_back({&l, l.auto_records, l.auto_right});
      }
    }
  }
  json shortfalls = json::array();
  for (const Check& c : f.shortfalls) {
    shortfalls.push_back({{"scope", c.level ? "level" : "overall"},
                          {"depth", c.level ? json(c.level->depth) : json(nullptr)},
                          {"name", c.level ? json(c.level->name) : json(nullptr)},
                          {"records", c.records},
                          {"precision", Ratio(c.right, c.records)},
                          {"shortfall", o.target_precision - Ratio(c.right, c.records)},
                          {"interval", WilsonInterval(c.right, c.records).ToJson()}});
  }
  const bool held = f.shortfalls.empty();
  const std::string levels_text = LevelsSentence(f);
  json sentences = json::array();
  sentences.push_back({{"id", "coverage"}, {"text", CoverageSentence(f)}, {"warning", false}});
  if (!levels_text.empty()) {
    sentences.push_back({{"id", "levels"}, {"text", levels_text}, {"warning", false}});
  }
  sentences.push_back({{"id", "precision"},
                       {"text", PrecisionSentence(f, options)},
                       {"warning", f.auto_records > 0 && !held}});
  return {{"target_precision", o.target_precision},
          {"records", o.records},
          {"auto_records", f.auto_records},
          {"auto_rate", ShareOrNull(f.auto_records, o.records)},
          {"auto_precision", ShareOrNull(f.auto_right, f.auto_records)},
          {"full_code_auto_records", f.full->auto_records},
          {"full_code_auto_rate", ShareOrNull(f.full->auto_records, o.records)},
          {"coarser_auto_records", f.coarser_records},
          {"coarser_auto_rate", ShareOrNull(f.coarser_records, o.records)},
          {"referred_records", o.records - f.auto_records},
          {"referred_rate", ShareOrNull(o.records - f.auto_records, o.records)},
          {"min_level_records", options.min_level_records},
          {"precision_held", f.auto_records > 0 ? json(held) : json(nullptr)},
          {"shortfalls", shortfalls},
          {"levels", levels},
          {"sentences", sentences}};
}

}  // namespace statcoder::quality
