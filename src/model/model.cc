#include "model/model.h"

namespace statcoder::model {

core::Result<std::shared_ptr<const Model>> Model::Create(ModelData data, std::string version_id) {
  const size_t labels = data.labels.size();
  const SparseLinear& lin = data.linear;
  if (labels == 0) return core::DataLoss("model has no labels");
  if (lin.num_labels != labels || lin.bias.size() != labels) {
    return core::DataLoss("model's linear layer does not match its label dictionary");
  }
  if (lin.row_scale.size() != data.features.size() ||
      lin.row_offsets.size() != data.features.size() + 1 ||
      lin.row_offsets.back() != lin.columns.size() || lin.columns.size() != lin.values.size()) {
    return core::DataLoss("model's linear layer does not match its feature index");
  }
  for (size_t f = 0; f + 1 < lin.row_offsets.size(); ++f) {
    if (lin.row_offsets[f] > lin.row_offsets[f + 1]) {
      return core::DataLoss("model's linear layer has decreasing row offsets");
    }
  }
  for (uint32_t c : lin.columns) {
    if (c >= labels) return core::DataLoss("model's linear layer refers to a missing label");
  }
  ASSIGN_OR_RETURN(text::Featurizer featurizer, text::Featurizer::Create(data.featurizer));
  auto model = std::shared_ptr<Model>(
      new Model(std::move(data), std::move(featurizer), std::move(version_id)));
  model->label_node_.assign(labels, -1);
  for (size_t i = 0; i < labels; ++i) {
    const std::string& code = model->data_.labels[i];
    if (!model->label_index_.emplace(code, static_cast<int32_t>(i)).second) {
      return core::DataLoss("model's label dictionary repeats '" + code + "'");
    }
    if (model->data_.code_list) {
      model->label_node_[i] = model->data_.code_list->Find(code);
      if (model->label_node_[i] < 0) {
        return core::DataLoss("model label '" + code + "' is missing from its code list");
      }
    }
  }
  return std::shared_ptr<const Model>(std::move(model));
}

int32_t Model::FindLabel(std::string_view code) const {
  auto it = label_index_.find(std::string(code));
  return it == label_index_.end() ? -1 : it->second;
}

int Model::LabelDepth(size_t i) const {
  if (!data_.code_list) return 1;
  return data_.code_list->node(label_node_[i]).depth;
}

}  // namespace statcoder::model
