#include "quality/metrics.h"

#include <algorithm>
#include <map>

namespace statcoder::quality {

double MacroF1(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted) {
  struct Counts {
    uint64_t tp = 0, fp = 0, fn = 0;
  };
  std::map<int64_t, Counts> by_class;  // ordered, so the sum is order-independent
  for (size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] == predicted[i]) {
      ++by_class[truth[i]].tp;
    } else {
      ++by_class[truth[i]].fn;
      ++by_class[predicted[i]].fp;
    }
  }
  if (by_class.empty()) return 0;
  double sum = 0;
  for (const auto& [cls, c] : by_class) {
    const double denom = static_cast<double>(2 * c.tp + c.fp + c.fn);
    sum += denom > 0 ? 2.0 * static_cast<double>(c.tp) / denom : 0.0;
  }
  return sum / static_cast<double>(by_class.size());
}

EvaluationSummary Evaluate(const model::Model& model, const std::vector<std::string>& truths,
                           const std::vector<model::Prediction>& predictions) {
  EvaluationSummary s;
  s.records = truths.size();
  if (!predictions.empty()) s.top_k = static_cast<int>(predictions[0].top.size());
  const data::CodeList* codes = model.code_list();
  if (codes) {
    int deepest = 1;
    for (size_t c = 0; c < model.num_labels(); ++c) deepest = std::max(deepest, model.LabelDepth(c));
    for (int d = 1; d <= deepest; ++d) s.levels.push_back({d, codes->LevelName(d)});
  }
  std::vector<uint64_t> level_auto_hits(s.levels.size());
  std::vector<int64_t> truth_ids, pred_ids;
  // Unseen true codes get ids past the label range so they never match a prediction.
  std::map<std::string, int64_t> unseen_ids;
  std::vector<uint64_t> level_hits(s.levels.size()), level_hits_k(s.levels.size());
  std::vector<std::vector<int64_t>> level_truth(s.levels.size()), level_pred(s.levels.size());
  uint64_t hits = 0, hits_k = 0, auto_hits = 0;
  for (size_t i = 0; i < truths.size(); ++i) {
    const model::Prediction& p = predictions[i];
    const int32_t truth = model.FindLabel(truths[i]);
    int64_t truth_id = truth;
    if (truth < 0) {
      ++s.unseen_labels;
      auto [it, added] = unseen_ids.emplace(
          truths[i], static_cast<int64_t>(model.num_labels() + unseen_ids.size()));
      truth_id = it->second;
    }
    const int32_t top1 = p.top[0].label;
    truth_ids.push_back(truth_id);
    pred_ids.push_back(top1);
    if (top1 == truth) ++hits;
    for (const auto& t : p.top) {
      if (t.label == truth) {
        ++hits_k;
        break;
      }
    }
    // Hierarchy: compare ancestors of the true code (which may be unseen but is in the list).
    const int32_t truth_node = codes ? codes->Find(truths[i]) : -1;
    const int32_t pred_node = codes ? model.LabelNode(static_cast<size_t>(top1)) : -1;
    for (size_t d = 0; d < s.levels.size(); ++d) {
      if (truth_node < 0) continue;
      const int depth = s.levels[d].depth;
      const int32_t a = codes->AncestorAtDepth(truth_node, depth);
      const int32_t b = codes->AncestorAtDepth(pred_node, depth);
      if (a < 0 || b < 0) continue;
      ++s.levels[d].records;
      if (a == b) ++level_hits[d];
      level_truth[d].push_back(a);
      level_pred[d].push_back(b);
      for (const auto& t : p.top) {
        if (codes->AncestorAtDepth(model.LabelNode(static_cast<size_t>(t.label)), depth) == a) {
          ++level_hits_k[d];
          break;
        }
      }
    }
    if (p.decision == model::Decision::kAuto) {
      ++s.auto_records;
      bool right = p.code == truths[i];
      if (!right && codes && truth_node >= 0) {
        const int32_t decided = codes->Find(p.code);
        right = decided >= 0 && codes->AncestorAtDepth(truth_node, p.level) == decided;
      }
      if (right) ++auto_hits;
      if (codes && p.level >= 1 && static_cast<size_t>(p.level) <= s.levels.size()) {
        ++s.levels[static_cast<size_t>(p.level - 1)].auto_records;
        if (right) ++level_auto_hits[static_cast<size_t>(p.level - 1)];
      }
    }
  }
  const auto share = [](uint64_t a, uint64_t b) {
    return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
  };
  s.accuracy = share(hits, s.records);
  s.top_k_accuracy = share(hits_k, s.records);
  s.macro_f1 = MacroF1(truth_ids, pred_ids);
  s.auto_rate = share(s.auto_records, s.records);
  s.auto_precision = share(auto_hits, s.auto_records);
  for (size_t d = 0; d < s.levels.size(); ++d) {
    s.levels[d].accuracy = share(level_hits[d], s.levels[d].records);
    s.levels[d].top_k_accuracy = share(level_hits_k[d], s.levels[d].records);
    s.levels[d].macro_f1 = MacroF1(level_truth[d], level_pred[d]);
    s.levels[d].auto_precision = share(level_auto_hits[d], s.levels[d].auto_records);
  }
  return s;
}

nlohmann::json EvaluationSummary::ToJson() const {
  nlohmann::json levels_json = nlohmann::json::array();
  for (const auto& l : levels) {
    levels_json.push_back({{"level", l.depth},
                           {"name", l.name},
                           {"records", l.records},
                           {"accuracy", l.accuracy},
                           {"top_k_accuracy", l.top_k_accuracy},
                           {"macro_f1", l.macro_f1},
                           {"auto_records", l.auto_records},
                           {"auto_precision", l.auto_precision}});
  }
  return {{"records", records},
          {"top_k", top_k},
          {"accuracy", accuracy},
          {"top_k_accuracy", top_k_accuracy},
          {"macro_f1", macro_f1},
          {"unseen_labels", unseen_labels},
          {"level_accuracy", levels_json},
          {"auto_rate", auto_rate},
          {"auto_precision", auto_precision},
          {"auto_records", auto_records}};
}

}  // namespace statcoder::quality
