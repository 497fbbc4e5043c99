// statcoder._statcoder: the pybind11 extension behind the Python package. It converts between
// Python objects and the C++ library and nothing more; docstrings, type hints and the pandas
// DataFrames users see live in the pure-Python facade (statcoder/__init__.py).
//
// Conventions:
//  - Tables come in as a dict {"name", "header", "num_rows", "columns": {name: list},
//    "row_name": callable}; every cell becomes the text a file would hold (data::Table), so
//    records are validated exactly as the CLI validates files.
//  - The GIL is released around everything that runs in C++ only (validation, training,
//    coding, model I/O), so other Python threads (a notebook's UI, Dask's worker threads) run.
//  - A failing Status is thrown as StatusError and raised as the Python class that the facade
//    registered for its code (register_errors); one table, in statcoder/__init__.py.
//  - Arrays handed back (probabilities, top-k) are NumPy views of C++ vectors, owned by a
//    capsule: no copy.
//
// Thread-safety: Model objects are immutable and may be used from several Python threads at
// once; each call builds its own Predictors.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/parallel.h"
#include "core/status.h"
#include "core/version.h"
#include "data/code_list.h"
#include "data/crosswalk.h"
#include "data/dataset.h"
#include "model/batch_coder.h"
#include "model/crosswalk_training.h"
#include "model/model.h"
#include "model/explainer.h"
#include "model/model_io.h"
#include "model/predictor.h"
#include "model/trainer.h"

namespace py = pybind11;

namespace statcoder::python {
namespace {

using core::Status;
using core::StatusCode;

// ---- Errors ----

// A failing Status on its way to Python (an immutable value).
class StatusError : public std::exception {
 public:
  explicit StatusError(Status status) : status_(std::move(status)) {}
  const Status& status() const { return status_; }
  const char* what() const noexcept override { return status_.message().c_str(); }

 private:
  Status status_;
};

void ThrowIfError(const Status& status) {
  if (!status.ok()) throw StatusError(status);
}

template <typename T>
T ValueOrThrow(core::Result<T> result) {
  if (!result.ok()) throw StatusError(result.status());
  return std::move(result).value();
}

constexpr StatusCode kAllCodes[] = {
    StatusCode::kInvalidArgument,    StatusCode::kInvalidInput,
    StatusCode::kNotFound,           StatusCode::kAlreadyExists,
    StatusCode::kFailedPrecondition, StatusCode::kDataLoss,
    StatusCode::kUnsupportedVersion, StatusCode::kIoError,
    StatusCode::kLimitExceeded,      StatusCode::kInternal,
};

// {code name: Python class}, set once by the facade at import. Deliberately leaked: it must
// outlive every exception raised during interpreter shutdown.
PyObject* g_error_classes = nullptr;

void RaiseStatus(const Status& status) {
  const std::string name(core::StatusCodeName(status.code()));
  PyObject* cls = g_error_classes != nullptr
                      ? PyDict_GetItemString(g_error_classes, name.c_str())  // borrowed
                      : nullptr;
  if (cls == nullptr) {
    // Only reachable when _statcoder is used without the facade.
    PyErr_SetString(PyExc_RuntimeError, (name + ": " + status.message()).c_str());
    return;
  }
  PyErr_SetString(cls, status.message().c_str());
}

// ---- Python values → text, as a file would hold it ----

// One DataFrame cell: None and NaN are missing (""), str is its UTF-8, bytes are kept as they
// are (and so rejected when not UTF-8), anything else is what str() writes ("12", "1.5").
void CellText(PyObject* cell, std::string* out) {
  out->clear();
  if (cell == Py_None) return;
  if (PyUnicode_Check(cell)) {
    Py_ssize_t size = 0;
    if (const char* data = PyUnicode_AsUTF8AndSize(cell, &size)) {
      out->assign(data, static_cast<size_t>(size));
      return;
    }
    // A lone surrogate has no UTF-8 form; keep its bytes so that validation rejects the row
    // (naming it) instead of failing the whole call here.
    PyErr_Clear();
    py::object bytes = py::reinterpret_steal<py::object>(
        PyUnicode_AsEncodedString(cell, "utf-8", "surrogatepass"));
    if (!bytes) throw py::error_already_set();
    out->assign(PyBytes_AS_STRING(bytes.ptr()), static_cast<size_t>(PyBytes_GET_SIZE(bytes.ptr())));
    return;
  }
  if (PyBytes_Check(cell)) {
    out->assign(PyBytes_AS_STRING(cell), static_cast<size_t>(PyBytes_GET_SIZE(cell)));
    return;
  }
  if (PyFloat_Check(cell) && std::isnan(PyFloat_AS_DOUBLE(cell))) return;
  py::str text = py::reinterpret_steal<py::str>(PyObject_Str(cell));
  if (!text) throw py::error_already_set();
  CellText(text.ptr(), out);
}

std::vector<std::string> ColumnTexts(const py::handle& values) {
  py::object seq =
      py::reinterpret_steal<py::object>(PySequence_Fast(values.ptr(), "a column must be a list"));
  if (!seq) throw py::error_already_set();
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.ptr());
  PyObject** items = PySequence_Fast_ITEMS(seq.ptr());
  std::vector<std::string> out(static_cast<size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) CellText(items[i], &out[static_cast<size_t>(i)]);
  return out;
}

// Builds a data::Table from the facade's dict. Only the columns the facade sent (those the
// schema uses) get values. REQUIRES the GIL.
data::Table MakeTable(const py::dict& spec) {
  data::Table table;
  table.name = spec["name"].cast<std::string>();
  table.header = spec["header"].cast<std::vector<std::string>>();
  table.num_rows = spec["num_rows"].cast<size_t>();
  table.values.resize(table.header.size());
  const py::dict columns = spec["columns"].cast<py::dict>();
  for (size_t c = 0; c < table.header.size(); ++c) {
    const py::str name(table.header[c]);
    if (columns.contains(name)) table.values[c] = ColumnTexts(columns[name]);
  }
  if (spec.contains("row_name") && !spec["row_name"].is_none()) {
    // Called from C++ with the GIL released, for rejected rows only.
    // The Table may be destroyed with the GIL released: the deleter takes it to drop the
    // reference.
    std::shared_ptr<py::object> fn(new py::object(spec["row_name"]), [](py::object* o) {
      py::gil_scoped_acquire gil;
      delete o;
    });
    table.row_name = [fn](size_t row) {
      py::gil_scoped_acquire gil;
      return (*fn)(row).cast<std::string>();
    };
  }
  return table;
}

// Fails on any rejected row when coding: every row of a DataFrame gets an output row, so
// there is no rejects file to put it in.
void ThrowIfAnyRejected(const data::Dataset& ds) {
  if (ds.rejections.empty()) return;
  throw StatusError(core::InvalidInput(
      ds.rejections.front().reason + " (" + std::to_string(ds.rejections.size()) + " of " +
      std::to_string(ds.records.size() + ds.rejections.size()) + " rows of " + ds.path +
      " cannot be coded; fix them first)"));
}

// The reject policy of training, in Python's words (max_reject_share=, no rejects file).
void CheckTrainingRejects(const data::Dataset& ds, double max_share) {
  if (!(max_share >= 0.0 && max_share <= 1.0)) {
    throw StatusError(core::InvalidArgument("max_reject_share must be between 0 and 1, got " +
                                            std::to_string(max_share)));
  }
  const size_t rejected = ds.rejections.size(), total = ds.records.size() + rejected;
  if (total == 0) {
    throw StatusError(core::InvalidInput(ds.path + " has no rows; nothing to train on"));
  }
  if (ds.records.empty() ||
      static_cast<double>(rejected) > max_share * static_cast<double>(total)) {
    throw StatusError(core::InvalidInput(
        ds.rejections.front().reason + " (" + std::to_string(rejected) + " of " +
        std::to_string(total) + " rows of " + ds.path + " rejected, more than max_reject_share=" +
        py::str(py::float_(max_share)).cast<std::string>() +
        "; fix them, or drop them by raising max_reject_share)"));
  }
}

// ---- Owning NumPy arrays over C++ vectors ----

template <typename T>
py::array_t<T> ToNumpy(std::vector<T> values, std::vector<py::ssize_t> shape) {
  if (values.empty()) values.reserve(1);  // a non-null data pointer, even for 0 rows
  auto owned = std::make_unique<std::vector<T>>(std::move(values));
  T* data = owned->data();
  py::capsule owner(owned.get(), [](void* p) { delete static_cast<std::vector<T>*>(p); });
  owned.release();
  return py::array_t<T>(std::move(shape), data, owner);
}

// ---- Training options: the option table's Python keywords (model/train_options.h) ----

py::object OptionToPython(const model::OptionValue& value) {
  return std::visit([](const auto& x) { return py::cast(x); }, value);
}

// A Python value as the option's type; a bool is not taken for a number, nor a number for a
// bool. nullopt when it cannot be one.
std::optional<model::OptionValue> OptionFromPython(model::OptionType type, const py::handle& v) {
  const bool is_bool = py::isinstance<py::bool_>(v);
  try {
    switch (type) {
      case model::OptionType::kBool:
        if (is_bool) return model::OptionValue{v.cast<bool>()};
        return std::nullopt;
      case model::OptionType::kInt:
        if (is_bool || !py::isinstance<py::int_>(v)) return std::nullopt;
        return model::OptionValue{v.cast<int64_t>()};
      case model::OptionType::kUnsigned:
        if (is_bool || !py::isinstance<py::int_>(v)) return std::nullopt;
        return model::OptionValue{v.cast<uint64_t>()};
      case model::OptionType::kDouble:
        if (is_bool || !(py::isinstance<py::float_>(v) || py::isinstance<py::int_>(v))) {
          return std::nullopt;
        }
        return model::OptionValue{v.cast<double>()};
      case model::OptionType::kString:
        if (!py::isinstance<py::str>(v)) return std::nullopt;
        return model::OptionValue{v.cast<std::string>()};
    }
  } catch (const py::cast_error&) {
    // out of the C++ type's range (a negative or huge integer)
  }
  return std::nullopt;
}

const model::TrainOptionSpec* PythonOption(std::string_view name) {
  const model::TrainOptionSpec* spec = model::FindTrainOption(name);
  return spec != nullptr && spec->python ? spec : nullptr;
}

py::dict TrainDefaults() {
  const model::TrainOptions defaults;
  py::dict out;
  for (const model::TrainOptionSpec& spec : model::TrainOptionTable()) {
    if (spec.python) out[py::str(std::string(spec.name))] = OptionToPython(spec.get(defaults));
  }
  return out;
}

// What each keyword does and the values it takes, for statcoder.train's docstring.
py::dict TrainOptionDocs() {
  py::dict out;
  for (const model::TrainOptionSpec& spec : model::TrainOptionTable()) {
    if (!spec.python) continue;
    std::string doc(spec.doc);
    if (spec.type != model::OptionType::kBool) doc += " Must be " + std::string(spec.rule) + ".";
    out[py::str(std::string(spec.name))] = doc;
  }
  return out;
}

model::TrainOptions ToTrainOptions(const py::dict& given) {
  model::TrainOptions options;
  for (const auto& [key, value] : given) {
    const std::string name = key.cast<std::string>();
    const model::TrainOptionSpec* spec = PythonOption(name);
    if (spec == nullptr) {
      throw StatusError(core::InvalidArgument("unknown training option '" + name + "'"));
    }
    const std::optional<model::OptionValue> typed = OptionFromPython(spec->type, value);
    if (!typed) {
      throw StatusError(core::InvalidArgument(
          "training option '" + name + "' cannot be " + py::repr(value).cast<std::string>() +
          " (a value of type " + py::str(py::type::of(value).attr("__name__")).cast<std::string>() +
          ")"));
    }
    const core::Status s = model::SetTrainOption(*spec, *typed, &options);
    if (!s.ok()) {
      throw StatusError(core::InvalidArgument("training option '" + name + "' " + s.message()));
    }
  }
  return options;
}

// ---- The model ----

// Python's view of one immutable model. Thread-safe.
class PyModel {
 public:
  explicit PyModel(std::shared_ptr<const model::Model> model) : model_(std::move(model)) {
    const model::Model& m = *model_;
    vocabulary_.assign(m.data().labels.begin(), m.data().labels.end());
    if (const data::CodeList* codes = m.code_list()) {
      for (size_t i = 0; i < codes->size(); ++i) {
        vocabulary_.push_back(codes->node(static_cast<int32_t>(i)).code);
      }
      for (int d = 1; d <= codes->max_depth(); ++d) level_names_.push_back(codes->LevelName(d));
    } else {
      level_names_.push_back("code");  // as the CLI's level_name column says
    }
  }

  const model::Model& model() const { return *model_; }
  const std::vector<std::string>& vocabulary() const { return vocabulary_; }
  const std::vector<std::string>& level_names() const { return level_names_; }

  // Index of a decided code in vocabulary(): labels first, then code-list nodes; -1 if none.
  int32_t VocabularyIndex(const std::string& code) const {
    const int32_t label = model_->FindLabel(code);
    if (label >= 0) return label;
    const data::CodeList* codes = model_->code_list();
    const int32_t node = codes != nullptr ? codes->Find(code) : -1;
    return node >= 0 ? static_cast<int32_t>(model_->num_labels()) + node : -1;
  }

  // The table as the model reads it; `fields` may rename the model's columns positionally.
  data::Dataset ToDataset(const py::dict& table_spec, const py::dict& fields,
                          size_t max_field_bytes) const {
    data::Schema schema = model::SchemaFor(*model_, "", "");
    Rename(fields, "text", &schema.text_fields);
    Rename(fields, "categorical", &schema.categorical_fields);
    Rename(fields, "numeric", &schema.numeric_fields);
    data::Table table = MakeTable(table_spec);
    data::LoadOptions load;
    load.reader.max_field_bytes = max_field_bytes;
    std::optional<core::Result<data::Dataset>> ds;
    {
      py::gil_scoped_release release;
      ds.emplace(data::DatasetFromTable(std::move(table), schema, load, nullptr));
    }
    data::Dataset out = ValueOrThrow(std::move(*ds));
    ThrowIfAnyRejected(out);
    return out;
  }

  py::dict Code(const py::dict& table_spec, const py::dict& fields, int top_k, int threads,
                size_t max_field_bytes) const {
    CheckCodingArgs(top_k, threads);
    const data::Dataset ds = ToDataset(table_spec, fields, max_field_bytes);
    const size_t n = ds.records.size(), k = static_cast<size_t>(top_k);
    std::vector<int32_t> code(n), level(n), reason(n), top_label(n * k, -1);
    // Referral reasons are a handful of fixed strings: sent as indexes into reason_names.
    std::vector<std::string> reason_names = {""};
    std::vector<double> confidence(n);
    std::vector<uint8_t> is_auto(n);
    std::vector<float> top_prob(n * k, std::nanf(""));
    {
      py::gil_scoped_release release;
      std::vector<model::Prediction> preds =
          ValueOrThrow(model::PredictBatch(model_, ds, top_k, threads));
      for (size_t i = 0; i < n; ++i) {
        const model::Prediction& p = preds[i];
        code[i] = VocabularyIndex(p.code);
        confidence[i] = p.confidence;
        is_auto[i] = p.decision == model::Decision::kAuto;
        level[i] = p.level;
        size_t r = 0;
        while (r < reason_names.size() && reason_names[r] != p.reason) ++r;
        if (r == reason_names.size()) reason_names.emplace_back(p.reason);
        reason[i] = static_cast<int32_t>(r);
        for (size_t j = 0; j < p.top.size() && j < k; ++j) {
          top_label[i * k + j] = p.top[j].label;
          top_prob[i * k + j] = p.top[j].probability;
        }
      }
    }
    const auto rows = static_cast<py::ssize_t>(n), cols = static_cast<py::ssize_t>(k);
    py::dict out;
    out["code"] = ToNumpy(std::move(code), {rows});
    out["confidence"] = ToNumpy(std::move(confidence), {rows});
    out["auto"] = ToNumpy(std::move(is_auto), {rows});
    out["level"] = ToNumpy(std::move(level), {rows});
    out["reason"] = ToNumpy(std::move(reason), {rows});
    out["reason_names"] = reason_names;
    out["top_label"] = ToNumpy(std::move(top_label), {rows, cols});
    out["top_prob"] = ToNumpy(std::move(top_prob), {rows, cols});
    return out;
  }

  py::array_t<float> Probabilities(const py::dict& table_spec, const py::dict& fields, int threads,
                                   size_t max_field_bytes) const {
    CheckCodingArgs(1, threads);
    const data::Dataset ds = ToDataset(table_spec, fields, max_field_bytes);
    const size_t n = ds.records.size(), labels = model_->num_labels();
    std::vector<float> probs(n * labels);
    Status error;
    {
      py::gil_scoped_release release;
      std::vector<Status> errors(static_cast<size_t>(threads));
      // Each row is written by one thread at its own offset: the result does not depend on
      // the thread count.
      core::ParallelFor(n, threads, [&](size_t begin, size_t end, int worker) {
        model::Predictor predictor(model_);
        model::Prediction p;
        std::vector<std::string_view> texts, cats;
        for (size_t i = begin; i < end; ++i) {
          const data::Record& r = ds.records[i];
          texts.assign(r.texts.begin(), r.texts.end());
          cats.assign(r.categoricals.begin(), r.categoricals.end());
          const text::RecordView view{texts, cats, r.numerics};
          Status s = predictor.Predict(view, 1, &p);
          if (!s.ok()) {
            errors[static_cast<size_t>(worker)] =
                s.WithContext(ds.path + " row " + std::to_string(r.line));
            return;
          }
          const std::span<const float> row = predictor.probabilities();
          std::copy(row.begin(), row.end(),
                    probs.begin() + static_cast<std::ptrdiff_t>(i * labels));
        }
      });
      for (const Status& e : errors) {
        if (!e.ok() && error.ok()) error = e;
      }
    }
    ThrowIfError(error);
    return ToNumpy(std::move(probs),
                   {static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(labels)});
  }

  // The exact explanation of one record's decision (model/explainer.h), as its JSON text: the
  // same object `statcoder explain --json` prints.
  std::string Explain(const py::dict& table_spec, const py::dict& fields, int top_k,
                      const std::string& versus, size_t max_field_bytes) const {
    const data::Dataset ds = ToDataset(table_spec, fields, max_field_bytes);
    if (ds.records.size() != 1) {
      ThrowIfError(core::InvalidArgument("explain takes one record, got " +
                                         std::to_string(ds.records.size())));
    }
    model::ExplainOptions options;
    options.top_k = top_k;
    options.versus = versus;
    std::string json;
    Status error;
    {
      py::gil_scoped_release release;
      const data::Record& r = ds.records[0];
      const std::vector<std::string_view> texts(r.texts.begin(), r.texts.end());
      const std::vector<std::string_view> cats(r.categoricals.begin(), r.categoricals.end());
      model::Explainer explainer(model_);
      core::Result<model::Explanation> e =
          explainer.Explain(text::RecordView{texts, cats, r.numerics}, options);
      if (e.ok()) {
        json = e->ToJson().dump();
      } else {
        error = e.status();
      }
    }
    ThrowIfError(error);
    return json;
  }

  std::string Save(const std::string& path) const {
    py::gil_scoped_release release;
    return ValueOrThrow(model::SaveModel(model_->data(), path));
  }

  py::bytes ToBytes() const {
    std::string bytes;
    {
      py::gil_scoped_release release;
      bytes = ValueOrThrow(model::SerializeModel(model_->data()));
    }
    return py::bytes(bytes);
  }

 private:
  static void CheckCodingArgs(int top_k, int threads) {
    // The same ranges as the CLI's --top-k and --threads.
    if (top_k < 1 || top_k > 100) {
      throw StatusError(
          core::InvalidArgument("top_k must be in 1..100, got " + std::to_string(top_k)));
    }
    if (threads < 1 || threads > 256) {
      throw StatusError(
          core::InvalidArgument("threads must be in 1..256, got " + std::to_string(threads)));
    }
  }

  // fields[role] (when given and not None) names the table's columns for the model's fields
  // of that role, in the model's order.
  static void Rename(const py::dict& fields, const char* role, std::vector<std::string>* names) {
    if (!fields.contains(role) || fields[role].is_none()) return;
    auto given = fields[role].cast<std::vector<std::string>>();
    if (given.size() != names->size()) {
      std::string expected;
      for (const auto& n : *names) expected += (expected.empty() ? "'" : ", '") + n + "'";
      throw StatusError(core::InvalidArgument(
          std::string(role) + "= names " + std::to_string(given.size()) +
          " column(s) but the model reads " + std::to_string(names->size()) + " " + role +
          " field(s) (" + (expected.empty() ? "none" : expected) +
          "); give one column per field, in that order"));
    }
    *names = std::move(given);
  }

  std::shared_ptr<const model::Model> model_;
  std::vector<std::string> vocabulary_;
  std::vector<std::string> level_names_;
};

PyModel Load(const std::string& path) {
  std::optional<core::Result<std::shared_ptr<const model::Model>>> loaded;
  {
    py::gil_scoped_release release;
    loaded.emplace(model::LoadModel(path));
  }
  return PyModel(ValueOrThrow(std::move(*loaded)));
}

PyModel FromBytes(const py::bytes& bytes, const std::string& source) {
  std::string data = bytes;
  std::optional<core::Result<std::shared_ptr<const model::Model>>> built;
  {
    py::gil_scoped_release release;
    auto model_data = model::DeserializeModel(data, source);
    if (!model_data.ok()) {
      built.emplace(model_data.status());
    } else {
      built.emplace(model::BuildModel(std::move(model_data).value()));
    }
  }
  return PyModel(ValueOrThrow(std::move(*built)));
}

// Mirrors `statcoder train` (tools/cli/train_command.cc) on a table instead of a file.
py::tuple Train(const py::dict& table_spec, const py::dict& schema_spec, const py::dict& options,
                const py::object& codelist, double max_reject_share, size_t max_field_bytes,
                const std::string& crosswalk_path) {
  data::Schema schema;
  schema.text_fields = schema_spec["text"].cast<std::vector<std::string>>();
  schema.categorical_fields = schema_spec["categorical"].cast<std::vector<std::string>>();
  schema.numeric_fields = schema_spec["numeric"].cast<std::vector<std::string>>();
  schema.label_field = schema_spec["label"].cast<std::string>();
  ThrowIfError(schema.Validate());

  model::TrainOptions opt = ToTrainOptions(options);
  opt.featurizer.text_fields = schema.text_fields;
  opt.featurizer.categorical_fields = schema.categorical_fields;
  for (const auto& n : schema.numeric_fields) opt.featurizer.numeric_fields.push_back({n, {}});
  ThrowIfError(opt.Validate());

  std::unique_ptr<data::CodeList> codes;
  data::CodeListOptions co;
  std::string codelist_path;
  if (!codelist.is_none()) {
    const py::dict spec = codelist.cast<py::dict>();
    codelist_path = spec["path"].cast<std::string>();
    const auto set = [&spec](const char* key, std::string* field) {
      if (spec.contains(key)) *field = spec[key].cast<std::string>();
    };
    set("code_column", &co.code_column);
    set("parent_column", &co.parent_column);
    set("level_column", &co.level_column);
    set("title_column", &co.title_column);
  }
  data::Table table = MakeTable(table_spec);
  data::LoadOptions load;
  load.reader.max_field_bytes = max_field_bytes;

  std::optional<core::Result<data::Dataset>> ds;
  {
    py::gil_scoped_release release;
    if (!codelist_path.empty()) {
      auto list = data::CodeList::Load(codelist_path, co);
      if (!list.ok()) {
        ds.emplace(list.status());
      } else {
        codes = std::make_unique<data::CodeList>(std::move(list).value());
      }
    }
    // Through a crosswalk the labels are old-version codes: not checked against the new list.
    if (!ds) {
      ds.emplace(data::DatasetFromTable(std::move(table), schema, load,
                                        crosswalk_path.empty() ? codes.get() : nullptr));
    }
  }
  data::Dataset dataset = ValueOrThrow(std::move(*ds));
  CheckTrainingRejects(dataset, max_reject_share);
  std::optional<data::Crosswalk> crosswalk;
  size_t unmapped = 0;
  if (!crosswalk_path.empty()) {
    // As `statcoder train --crosswalk`: rows whose old code the table does not map are left
    // out and listed in the rejections, without counting against max_reject_share.
    crosswalk.emplace(ValueOrThrow(data::Crosswalk::Load(crosswalk_path, {}, nullptr, codes.get())));
    unmapped = model::DropUnmappedRecords(*crosswalk, schema.label_field, &dataset);
    if (unmapped * 2 > dataset.records.size() + unmapped) {
      ThrowIfError(core::FailedPrecondition(
          "the crosswalk '" + crosswalk_path + "' maps only " +
          std::to_string(dataset.records.size()) + " of " +
          std::to_string(dataset.records.size() + unmapped) + " rows' '" + schema.label_field +
          "' codes; is it the table from this column's classification?"));
    }
  }

  std::optional<core::Result<std::shared_ptr<const model::Model>>> built;
  {
    py::gil_scoped_release release;
    auto trained = crosswalk ? model::TrainThroughCrosswalk(dataset, *crosswalk, opt, codes.get(),
                                                            unmapped)
                             : model::Train(dataset, opt, codes.get());
    if (!trained.ok()) {
      built.emplace(trained.status());
    } else {
      built.emplace(model::BuildModel(std::move(trained).value()));
    }
  }
  py::list rejections;
  for (const data::Rejection& r : dataset.rejections) {
    rejections.append(py::make_tuple(r.line, r.column, r.reason));
  }
  return py::make_tuple(PyModel(ValueOrThrow(std::move(*built))), rejections);
}

}  // namespace
}  // namespace statcoder::python

PYBIND11_MODULE(_statcoder, m) {
  using namespace statcoder::python;  // NOLINT: module definition only
  namespace model = statcoder::model;
  m.doc() = "statcoder's C++ core; use the statcoder package, which wraps it.";
  m.attr("__version__") = statcoder::core::kStatcoderVersion;
  m.attr("MODEL_FORMAT") = py::make_tuple(model::kModelFormatMajor, model::kModelFormatMinor);

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      RaiseStatus(e.status());
    }
  });

  m.def(
      "register_errors",
      [](const py::dict& classes) {
        for (StatusCode code : kAllCodes) {
          if (!classes.contains(py::str(std::string(statcoder::core::StatusCodeName(code))))) {
            throw std::invalid_argument("no exception class for status code '" +
                                        std::string(statcoder::core::StatusCodeName(code)) + "'");
          }
        }
        Py_XDECREF(g_error_classes);
        g_error_classes = classes.ptr();
        Py_INCREF(g_error_classes);
      },
      "Sets the exception class raised for each status code name.");
  m.def(
      "status_codes",
      [] {
        std::vector<std::string> names;
        for (StatusCode code : kAllCodes) {
          names.emplace_back(statcoder::core::StatusCodeName(code));
        }
        return names;
      },
      "Names of every failure status code of the C++ library.");
  m.def(
      "raise_status",
      [](const std::string& code, const std::string& message) {
        for (StatusCode c : kAllCodes) {
          if (statcoder::core::StatusCodeName(c) == code) throw StatusError(Status(c, message));
        }
        throw std::invalid_argument("unknown status code '" + code + "'");
      },
      "Raises the exception mapped to a status code (to test the mapping).");
  m.def("train_defaults", &TrainDefaults, "Default of every training option, by Python name.");
  m.def("train_option_docs", &TrainOptionDocs,
        "What every training option does and the values it takes, by Python name.");

  py::class_<PyModel>(m, "Model")
      .def_property_readonly("version", [](const PyModel& p) { return p.model().version_id(); })
      .def_property_readonly("labels", [](const PyModel& p) { return p.model().data().labels; })
      .def_property_readonly(
          "text_fields", [](const PyModel& p) { return p.model().data().featurizer.text_fields; })
      .def_property_readonly(
          "categorical_fields",
          [](const PyModel& p) { return p.model().data().featurizer.categorical_fields; })
      .def_property_readonly("numeric_fields",
                             [](const PyModel& p) {
                               std::vector<std::string> names;
                               for (const auto& f : p.model().data().featurizer.numeric_fields) {
                                 names.push_back(f.field);
                               }
                               return names;
                             })
      .def_property_readonly("has_code_list",
                             [](const PyModel& p) { return p.model().has_code_list(); })
      .def_property_readonly("vocabulary", &PyModel::vocabulary)
      .def_property_readonly("level_names", &PyModel::level_names)
      .def_property_readonly("num_features",
                             [](const PyModel& p) { return p.model().data().features.size(); })
      .def_property_readonly("metadata_json",
                             [](const PyModel& p) { return p.model().data().metadata.dump(); })
      .def("code", &PyModel::Code, py::arg("table"), py::arg("fields"), py::arg("top_k"),
           py::arg("threads"), py::arg("max_field_bytes"))
      .def("probabilities", &PyModel::Probabilities, py::arg("table"), py::arg("fields"),
           py::arg("threads"), py::arg("max_field_bytes"))
      .def("explain", &PyModel::Explain, py::arg("table"), py::arg("fields"), py::arg("top_k"),
           py::arg("versus"), py::arg("max_field_bytes"))
      .def("save", &PyModel::Save, py::arg("path"))
      .def("to_bytes", &PyModel::ToBytes);

  m.def("load", &Load, py::arg("path"));
  m.def("from_bytes", &FromBytes, py::arg("data"), py::arg("source") = "<bytes>");
  m.def("train", &Train, py::arg("table"), py::arg("schema"), py::arg("options"),
        py::arg("codelist"), py::arg("max_reject_share"), py::arg("max_field_bytes"),
        py::arg("crosswalk") = "");
}
