#include "model/model.h"

#include <algorithm>

namespace statcoder::model {

core::Result<std::shared_ptr<const Model>> Model::Create(ModelData data, std::string version_id) {
  const size_t labels = data.labels.size();
  const SparseLinear& lin = data.linear;
  if (labels == 0) return core::DataLoss("model has no labels");
  const OutputMap& map = data.label_outputs;
  if (map.identity() ? lin.num_outputs != labels : map.offsets.size() != labels + 1) {
    return core::DataLoss("model's linear layer does not match its label dictionary");
  }
  if (!map.identity()) {
    if (map.offsets.front() != 0 || map.offsets.back() != map.outputs.size()) {
      return core::DataLoss("model's output map is inconsistent");
    }
    for (size_t c = 0; c < labels; ++c) {
      if (map.offsets[c] > map.offsets[c + 1]) return core::DataLoss("model's output map is inconsistent");
    }
    for (uint32_t o : map.outputs) {
      if (o >= lin.num_outputs) return core::DataLoss("model's output map refers to a missing output");
    }
  }
  if (lin.bias.size() != lin.num_outputs) {
    return core::DataLoss("model's linear layer has the wrong number of biases");
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
    if (c >= lin.num_outputs) return core::DataLoss("model's linear layer refers to a missing output");
  }
  RETURN_IF_ERROR(data.label_outputs.Finalize(lin.num_outputs));
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
  if (core::Status s = model->data_.policy.Validate(model->code_list()); !s.ok()) {
    return core::DataLoss("model's decision policy: " + s.message());
  }
  model->policy_ = std::make_unique<CompiledPolicy>(model->data_.policy, model->data_.labels,
                                                    model->label_node_, model->code_list());
  return std::shared_ptr<const Model>(std::move(model));
}

core::Status OutputMap::Finalize(size_t num_outputs) {
  if (identity()) return core::Status::Ok();
  labels_ = offsets.size() - 1;
  parent_.assign(num_outputs, -1);
  std::vector<int> depth(num_outputs, -1);  // distance from the top of the tree
  for (size_t c = 0; c < labels_; ++c) {
    const uint32_t begin = offsets[c], end = offsets[c + 1];
    if (begin >= end || outputs[begin] != c) {
      return core::DataLoss("model's output map: label " + std::to_string(c) +
                            " does not start with its own output");
    }
    for (uint32_t k = begin; k < end; ++k) {
      const uint32_t o = outputs[k];
      if (o >= num_outputs || (k > begin && o < labels_)) {
        return core::DataLoss("model's output map has an invalid ancestor output");
      }
      const int32_t up = k + 1 < end ? static_cast<int32_t>(outputs[k + 1]) : -1;
      const int d = static_cast<int>(end - k - 1);
      if ((depth[o] >= 0 && (parent_[o] != up || depth[o] != d))) {
        return core::DataLoss("model's output map is not a tree");
      }
      parent_[o] = up;
      depth[o] = d;
    }
  }
  top_down_.clear();
  for (size_t o = labels_; o < num_outputs; ++o) {
    if (depth[o] >= 0) top_down_.push_back(static_cast<uint32_t>(o));
  }
  std::stable_sort(top_down_.begin(), top_down_.end(),
                   [&depth](uint32_t a, uint32_t b) { return depth[a] < depth[b]; });
  return core::Status::Ok();
}

void OutputMap::Fold(std::span<float> out, std::span<float> label_scores) const {
  if (identity()) {
    std::copy(out.begin(), out.begin() + static_cast<ptrdiff_t>(label_scores.size()),
              label_scores.begin());
    return;
  }
  for (uint32_t o : top_down_) {
    if (parent_[o] >= 0) out[o] += out[static_cast<size_t>(parent_[o])];
  }
  for (size_t c = 0; c < labels_; ++c) {
    label_scores[c] = out[c] + (parent_[c] >= 0 ? out[static_cast<size_t>(parent_[c])] : 0.0f);
  }
}

void OutputMap::Unfold(std::span<const float> label_grad, std::span<float> output_grad) const {
  if (identity()) {
    std::copy(label_grad.begin(), label_grad.end(), output_grad.begin());
    return;
  }
  std::fill(output_grad.begin() + static_cast<ptrdiff_t>(labels_), output_grad.end(), 0.0f);
  for (size_t c = 0; c < labels_; ++c) {
    output_grad[c] = label_grad[c];
    if (parent_[c] >= 0) output_grad[static_cast<size_t>(parent_[c])] += label_grad[c];
  }
  for (size_t k = top_down_.size(); k-- > 0;) {
    const uint32_t o = top_down_[k];
    if (parent_[o] >= 0) output_grad[static_cast<size_t>(parent_[o])] += output_grad[o];
  }
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
