// Does the certified auto-coding threshold keep its promise? A simulation of the guarantee of
// FitThresholds with a risk (Learn-then-Test, src/model/calibration.h): for new records
// exchangeable with the ones the thresholds were chosen on, P(precision of the auto-coded
// records >= target) >= 1 - risk.
//
// Per data set (NAICS 2022 index, ONS SOC 2020 index, from ../shared/data): a model is trained
// with the default options on a seeded half of the records; the other half (the pool) is coded
// once. Then, for each of --splits random splits of the pool into a calibration half and a
// fresh half, the thresholds are chosen on the calibration half (exactly as the trainer chooses
// them on its held-out part) and applied to the fresh half, whose realised precision is
// measured: over all auto-coded records (every level) and over those coded to the full code.
// The share of splits whose realised precision is below the target must be at most the risk.
// Beside it, in the same run: the old rule (Wilson lower bound at one standard error, no
// stated guarantee) and an oracle (the full-code threshold chosen on the fresh half itself).
//
// The guarantee is conditional on the model (it is trained on other records than the pool),
// which is how the trainer uses it: a model scores held-out records it did not learn from.
//
// Run from the repository root: build/bench/certification_bench [--splits 200] [--quick]
// [--datasets naics,soc] [--risk 0.05] [--target 0.95] [--threads 2]; writes
// bench/out/certification.json and prints a Markdown table (docs/benchmarks.md).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/random.h"
#include "core/result.h"
#include "data/code_list.h"
#include "data/dataset.h"
#include "model/batch_coder.h"
#include "model/calibration.h"
#include "model/model_io.h"
#include "model/policy_fitting.h"
#include "model/predictor.h"
#include "model/trainer.h"

namespace statcoder {
namespace {

struct Options {
  std::string data_dir = "../shared/data";
  std::string out = "bench/out/certification.json";
  std::vector<std::string> datasets = {"naics", "soc"};
  int splits = 200;
  int threads = 2;
  double risk = 0.05;
  double target = 0.95;
  bool quick = false;
};

struct DatasetSpec {
  std::string name, file, structure, level_column, label;
  std::vector<std::string> text;
};

const std::map<std::string, DatasetSpec>& Specs() {
  static const std::map<std::string, DatasetSpec> specs = {
      {"naics",
       {"naics", "/naics2022_index/naics2022_index.train.tsv",
        "/naics2022_index/naics2022_structure.tsv", "digits", "naics2022", {"text"}}},
      {"soc",
       {"soc", "/ons_soc2020_index/soc2020_index.train.tsv",
        "/ons_soc2020_index/soc2020_structure.tsv", "level", "soc2020",
        {"text", "add_qualifier", "industry_qualifier"}}},
  };
  return specs;
}

// Realised figures of one policy on some records.
struct Outcome {
  size_t records = 0, autos = 0, right = 0, full = 0, full_right = 0;
  double Precision() const { return autos ? double(right) / double(autos) : 1.0; }
  double FullPrecision() const { return full ? double(full_right) / double(full) : 1.0; }
  double AutoRate() const { return records ? double(autos) / double(records) : 0.0; }
  double FullRate() const { return records ? double(full) / double(records) : 0.0; }
};

bool IsSameOrAncestor(const data::CodeList& codes, const std::string& decided,
                      const std::string& truth) {
  if (decided == truth) return true;
  const int32_t d = codes.Find(decided), t = codes.Find(truth);
  if (d < 0 || t < 0) return false;
  return codes.AncestorAtDepth(t, codes.node(d).depth) == d;
}

Outcome Apply(const model::Model& m, const model::DecisionPolicy& policy,
              const std::vector<model::DecisionEvidence>& evidence,
              const std::vector<std::string>& truths, const std::vector<size_t>& rows) {
  const model::CompiledPolicy compiled(policy, m.data().labels, m.label_nodes(), m.code_list());
  Outcome o;
  model::Prediction pred;
  for (size_t i : rows) {
    ++o.records;
    model::DecideFromEvidence(m, compiled, evidence[i], &pred);
    if (pred.decision != model::Decision::kAuto) continue;
    const bool right = IsSameOrAncestor(*m.code_list(), pred.code, truths[i]);
    ++o.autos;
    o.right += right;
    if (pred.code == m.label(static_cast<size_t>(evidence[i].top_label))) {
      ++o.full;
      o.full_right += right;
    }
  }
  return o;
}

// The largest full-code share of `rows` with precision >= target, the cut chosen on `rows`.
double OracleFullRate(const model::Model& m, const std::vector<model::DecisionEvidence>& evidence,
                      const std::vector<std::string>& truths, const std::vector<size_t>& rows,
                      double target) {
  std::vector<double> conf;
  std::vector<uint8_t> correct;
  for (size_t i : rows) {
    conf.push_back(evidence[i].top_probability);
    correct.push_back(m.label(static_cast<size_t>(evidence[i].top_label)) == truths[i]);
  }
  const double cut = model::ChooseThreshold(conf, correct, target, 1, 0);
  size_t covered = 0;
  for (double c : conf) covered += c >= cut;
  return rows.empty() ? 0 : double(covered) / double(rows.size());
}

struct Summary {
  std::string method;
  int splits = 0, violations = 0, full_violations = 0;
  double auto_rate = 0, full_rate = 0, precision = 0, full_precision = 0, min_precision = 1;
};

core::Result<nlohmann::json> RunDataset(const Options& opt, const DatasetSpec& spec) {
  data::CodeListOptions code_options;
  code_options.level_column = spec.level_column;
  ASSIGN_OR_RETURN(data::CodeList codes,
                   data::CodeList::Load(opt.data_dir + spec.structure, code_options));
  data::Schema schema;
  schema.id_field = "row_id";
  schema.text_fields = spec.text;
  schema.label_field = spec.label;
  ASSIGN_OR_RETURN(data::Dataset all,
                   data::LoadDataset(opt.data_dir + spec.file, schema, {}, &codes));
  RETURN_IF_ERROR(data::CheckRejectShare(all, 0.0));

  // Half trains the model, half is the pool the simulation draws from.
  std::vector<size_t> order(all.records.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  core::Random rng(core::DeriveSeed(1, 1));
  rng.Shuffle(order);
  if (opt.quick) order.resize(std::min<size_t>(order.size(), 4000));
  const size_t n_train = order.size() / 2;
  data::Dataset train, pool;
  train.path = all.path + " (model half)";
  pool.path = all.path + " (pool half)";
  train.header = pool.header = all.header;
  train.content_hash = all.content_hash;
  for (size_t k = 0; k < order.size(); ++k) {
    (k < n_train ? train : pool).records.push_back(all.records[order[k]]);
  }

  model::TrainOptions train_options;
  train_options.featurizer.text_fields = spec.text;
  train_options.threads = opt.threads;
  train_options.target_precision = opt.target;
  train_options.risk = opt.risk;
  if (opt.quick) train_options.epochs = 5;
  RETURN_IF_ERROR(train_options.Validate());
  const auto t0 = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(model::ModelData trained, model::Train(train, train_options, &codes));
  ASSIGN_OR_RETURN(std::shared_ptr<const model::Model> m, model::BuildModel(std::move(trained)));
  const double train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  model::BatchEvidence batch;
  ASSIGN_OR_RETURN(std::vector<model::Prediction> preds,
                   model::PredictBatch(m, pool, /*top_k=*/1, opt.threads, nullptr, &batch));
  std::vector<std::string> truths;
  std::vector<int32_t> truth_ids;
  for (const auto& r : pool.records) {
    truths.push_back(r.label);
    truth_ids.push_back(m->FindLabel(r.label));
  }

  model::DecisionPolicy rules = m->data().policy;  // margin and codes as trained
  Summary certified{"learn_then_test"}, wilson{"wilson_1se"};
  double oracle_full = 0;
  std::vector<size_t> pool_rows(pool.records.size());
  for (size_t i = 0; i < pool_rows.size(); ++i) pool_rows[i] = i;
  core::Random split_rng(core::DeriveSeed(7, 1));
  for (int s = 0; s < opt.splits; ++s) {
    split_rng.Shuffle(pool_rows);
    const size_t half = pool_rows.size() / 2;
    std::vector<size_t> calib(pool_rows.begin(), pool_rows.begin() + static_cast<ptrdiff_t>(half));
    std::vector<size_t> fresh(pool_rows.begin() + static_cast<ptrdiff_t>(half), pool_rows.end());
    std::vector<model::DecisionEvidence> calib_evidence;
    std::vector<int32_t> calib_truths;
    for (size_t i : calib) {
      calib_evidence.push_back(batch.evidence[i]);
      calib_truths.push_back(truth_ids[i]);
    }
    for (Summary* sum : {&certified, &wilson}) {
      model::FitOptions fit;
      fit.min_support = 10;
      fit.risk = sum == &certified ? opt.risk : 0.0;
      model::DecisionPolicy policy =
          model::FitPolicy(rules, m->data().labels, m->code_list(), m->label_nodes(),
                           calib_evidence, calib_truths, fit);
      const Outcome o = Apply(*m, policy, batch.evidence, truths, fresh);
      ++sum->splits;
      sum->violations += o.autos > 0 && o.Precision() < opt.target;
      sum->full_violations += o.full > 0 && o.FullPrecision() < opt.target;
      sum->auto_rate += o.AutoRate();
      sum->full_rate += o.FullRate();
      sum->precision += o.Precision();
      sum->full_precision += o.FullPrecision();
      sum->min_precision = std::min(sum->min_precision, o.Precision());
    }
    oracle_full += OracleFullRate(*m, batch.evidence, truths, fresh, opt.target);
  }
  nlohmann::json out = {{"dataset", spec.name},
                        {"model_records", train.records.size()},
                        {"pool_records", pool.records.size()},
                        {"train_seconds", train_seconds},
                        {"splits", opt.splits},
                        {"target", opt.target},
                        {"risk", opt.risk},
                        {"oracle_full_code_auto_rate", oracle_full / opt.splits}};
  for (const Summary* sum : {&certified, &wilson}) {
    const double k = sum->splits;
    out["methods"][sum->method] = {
        {"violation_share", sum->violations / k},
        {"full_code_violation_share", sum->full_violations / k},
        {"auto_rate", sum->auto_rate / k},
        {"full_code_auto_rate", sum->full_rate / k},
        {"precision", sum->precision / k},
        {"full_code_precision", sum->full_precision / k},
        {"min_precision", sum->min_precision}};
  }
  return out;
}

int Main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "certification_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--splits") opt.splits = std::atoi(next().c_str());
    else if (a == "--threads") opt.threads = std::atoi(next().c_str());
    else if (a == "--risk") opt.risk = std::atof(next().c_str());
    else if (a == "--target") opt.target = std::atof(next().c_str());
    else if (a == "--data-dir") opt.data_dir = next();
    else if (a == "--out") opt.out = next();
    else if (a == "--quick") opt.quick = true;
    else if (a == "--datasets") {
      opt.datasets.clear();
      std::string list = next();
      for (size_t p = 0; p <= list.size();) {
        const size_t c = std::min(list.find(',', p), list.size());
        if (c > p) opt.datasets.push_back(list.substr(p, c - p));
        p = c + 1;
      }
    } else {
      std::fprintf(stderr, "certification_bench: unknown option '%s'\n", a.c_str());
      return 2;
    }
  }
  if (opt.splits < 1 || !(opt.risk > 0 && opt.risk <= 0.5) ||
      !(opt.target > 0 && opt.target < 1)) {
    std::fprintf(stderr, "certification_bench: --splits >= 1, --risk in (0, 0.5], --target in "
                         "(0, 1)\n");
    return 2;
  }
  nlohmann::json results = nlohmann::json::array();
  std::printf("| data set | method | splits with precision < %.2f | auto-coded (any level) | "
              "precision | full code auto-coded | full-code precision | full code, splits < "
              "%.2f | oracle full code |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
              opt.target, opt.target);
  for (const std::string& name : opt.datasets) {
    const auto it = Specs().find(name);
    if (it == Specs().end()) {
      std::fprintf(stderr, "certification_bench: unknown data set '%s' (naics, soc)\n",
                   name.c_str());
      return 2;
    }
    core::Result<nlohmann::json> r = RunDataset(opt, it->second);
    if (!r.ok()) {
      std::fprintf(stderr, "certification_bench: %s: %s\n", name.c_str(),
                   r.status().ToString().c_str());
      return 1;
    }
    for (const auto& [method, m] : (*r)["methods"].items()) {
      std::printf("| %s | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", name.c_str(),
                  method.c_str(), m["violation_share"].get<double>(),
                  m["auto_rate"].get<double>(), m["precision"].get<double>(),
                  m["full_code_auto_rate"].get<double>(),
                  m["full_code_precision"].get<double>(),
                  m["full_code_violation_share"].get<double>(),
                  (*r)["oracle_full_code_auto_rate"].get<double>());
    }
    std::fflush(stdout);
    results.push_back(*r);
  }
  std::filesystem::create_directories(std::filesystem::path(opt.out).parent_path());
  const core::Status s = core::WriteFileAtomic(opt.out, results.dump(2) + "\n");
  if (!s.ok()) {
    std::fprintf(stderr, "certification_bench: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace statcoder

int main(int argc, char** argv) { return statcoder::Main(argc, argv); }
