#include "albert/weights.h"

#include "common/error.h"
#include "io/safetensors.h"

#include <set>
#include <sstream>

namespace albert {

namespace {

const std::set<std::string> kIgnoredBuffers = {"albert.embeddings.position_ids", "albert.embeddings.token_type_ids"};

std::string shape_string(at::IntArrayRef shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

std::string join_keys(const std::vector<std::string>& keys) {
  std::string out;
  const size_t shown = std::min<size_t>(keys.size(), 8);
  for (size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + keys[i];
  if (keys.size() > shown) out += ", ... (" + std::to_string(keys.size()) + " in all)";
  return out;
}

}  // namespace

void load_weights(AlbertForSequenceClassification& model, const std::string& path) {
  io::SafetensorsFile file = io::read_safetensors(path);
  std::map<std::string, at::Tensor> stored;
  for (auto& [name, tensor] : file.tensors) stored.emplace(name, tensor);

  // 1. Every key must be known, every parameter present, every shape and dtype right.
  std::vector<std::string> unexpected, missing;
  std::set<std::string> expected;
  for (const auto& [name, parameter] : model.named_parameters()) expected.insert(name);
  for (const auto& [name, tensor] : file.tensors) {
    if (!expected.count(name) && !kIgnoredBuffers.count(name)) unexpected.push_back(name);
  }
  for (const auto& [name, parameter] : model.named_parameters()) {
    if (!stored.count(name)) missing.push_back(name);
  }
  if (!missing.empty()) {
    fail(codes::kCheckpoint, path + ": missing " + std::to_string(missing.size()) + " weight(s) the model needs: " + join_keys(missing));
  }
  if (!unexpected.empty()) {
    fail(codes::kCheckpoint, path + ": " + std::to_string(unexpected.size()) +
                                 " unexpected weight(s) this model does not have: " + join_keys(unexpected));
  }
  for (const auto& [name, parameter] : model.named_parameters()) {
    const at::Tensor& tensor = stored.at(name);
    if (tensor.sizes() != parameter.sizes()) {
      fail(codes::kCheckpoint, path + ": weight \"" + name + "\" has shape " + shape_string(tensor.sizes()) +
                                   " but the model's config needs " + shape_string(parameter.sizes()));
    }
    if (!at::isFloatingType(tensor.scalar_type())) {
      fail(codes::kCheckpoint, path + ": weight \"" + name + "\" has dtype " + std::string(c10::toString(tensor.scalar_type())) +
                                   "; expected a floating-point dtype (F32, F16 or BF16)");
    }
  }
  // 2. Only then copy, so a failed load leaves the model as it was.
  at::NoGradGuard no_grad;
  for (const auto& [name, parameter] : model.named_parameters()) {
    at::Tensor target = parameter;
    target.copy_(stored.at(name));
  }
}

void save_weights(const AlbertForSequenceClassification& model, const std::string& path,
                  std::map<std::string, std::string> metadata) {
  metadata["format"] = "pt";
  NamedTensors tensors;
  tensors.reserve(model.named_parameters().size());
  for (const auto& [name, parameter] : model.named_parameters()) {
    tensors.emplace_back(name, parameter.detach().to(at::kCPU, at::kFloat));
  }
  io::write_safetensors(path, tensors, metadata);
}

}  // namespace albert
