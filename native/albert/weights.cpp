#include "albert/weights.h"

#include "common/error.h"
#include "io/safetensors.h"
#include "io/torch_checkpoint.h"

#include <algorithm>

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

// HF's from_pretrained key fixes, in its order: old LayerNorm names (TF-era gamma/beta), then
// the base_model_prefix rule: a file with no `albert`-prefixed key is a base model (AlbertModel),
// whose submodules (embeddings, encoder, pooler) are the classification model's without `albert.`.
NamedTensors hf_key_names(NamedTensors file) {
  for (auto& [name, tensor] : file) {
    for (const auto& [old_suffix, new_suffix] : {std::pair{"LayerNorm.gamma", "LayerNorm.weight"}, std::pair{"LayerNorm.beta", "LayerNorm.bias"}}) {
      const std::string old_name(old_suffix);
      if (name.size() >= old_name.size() && name.compare(name.size() - old_name.size(), old_name.size(), old_name) == 0) {
        name = name.substr(0, name.size() - old_name.size()) + new_suffix;
      }
    }
  }
  const bool has_prefix = std::any_of(file.begin(), file.end(), [](const auto& entry) { return entry.first.rfind("albert", 0) == 0; });
  if (!has_prefix) {
    for (auto& [name, tensor] : file) {
      for (const char* module : {"embeddings.", "encoder.", "pooler."}) {
        if (name.rfind(module, 0) == 0) name = "albert." + name;
      }
    }
  }
  return file;
}

// The weights a pretrained load may lack: the classification head and the pooler (an
// AlbertForMaskedLM has no pooler).
bool is_head(const std::string& name) {
  return name.rfind("classifier.", 0) == 0 || name.rfind("albert.pooler.", 0) == 0;
}

std::vector<std::string> first_keys(const NamedTensors& file, size_t count) {
  std::vector<std::string> out;
  for (size_t i = 0; i < std::min(count, file.size()); ++i) out.push_back(file[i].first);
  return out;
}

}  // namespace

NamedTensors read_checkpoint(const std::string& path) {
  const bool bin = path.size() >= 4 && path.compare(path.size() - 4, 4, ".bin") == 0;
  if (bin || io::looks_like_zip(path)) return io::read_torch_state_dict(path);
  return io::read_safetensors(path).tensors;
}

LoadingInfo load_weights(AlbertForSequenceClassification& model, const std::string& path, const LoadOptions& options) {
  NamedTensors file = read_checkpoint(path);
  const std::vector<std::string> first_stored = first_keys(file, 3);  // as written, for messages
  if (options.pretrained) file = hf_key_names(std::move(file));
  std::map<std::string, at::Tensor> stored;
  for (auto& [name, tensor] : file) {
    if (!stored.emplace(name, tensor).second) fail(codes::kCheckpoint, path + ": weight \"" + name + "\" appears twice");
  }
  LoadingInfo info;
  // 1. Every key known (or reported), every parameter present (or a head keeping its init),
  //    every shape and dtype right.
  std::set<std::string> expected;
  for (const auto& [name, parameter] : model.named_parameters()) expected.insert(name);
  for (const auto& [name, tensor] : file) {
    if (!expected.count(name) && !kIgnoredBuffers.count(name)) info.unexpected.push_back(name);
  }
  std::vector<std::string> missing_backbone;
  for (const auto& [name, parameter] : model.named_parameters()) {
    if (stored.count(name)) continue;
    (is_head(name) ? info.missing : missing_backbone).push_back(name);
  }
  if (options.pretrained) {
    if (file.empty()) fail(codes::kCheckpoint, path + ": holds no tensors");
    const auto& parameters = model.named_parameters();
    const bool has_encoder = std::any_of(parameters.begin(), parameters.end(), [&](const auto& p) {
      return p.first.rfind("albert.encoder.", 0) == 0 && stored.count(p.first);
    });
    if (!has_encoder) {
      fail(codes::kCheckpoint, path + ": not an ALBERT checkpoint: none of its " + std::to_string(file.size()) +
                                   " tensors is an ALBERT encoder weight (its keys begin " + join_keys(first_stored) + ")");
    }
    if (!missing_backbone.empty()) {
      fail(codes::kCheckpoint, path + ": missing " + std::to_string(missing_backbone.size()) +
                                   " backbone weight(s) the model needs: " + join_keys(missing_backbone));
    }
  } else {
    if (!info.missing.empty() && missing_backbone.empty() && !stored.count("classifier.weight")) {
      fail(codes::kCheckpoint, path + ": has no trained classification head (missing " + join_keys(info.missing) +
                                   "): it holds a base model; fine-tune it first (albert-train train), then use the output folder");
    }
    missing_backbone.insert(missing_backbone.end(), info.missing.begin(), info.missing.end());
    if (!missing_backbone.empty()) {
      fail(codes::kCheckpoint, path + ": missing " + std::to_string(missing_backbone.size()) +
                                   " weight(s) the model needs: " + join_keys(missing_backbone));
    }
    if (!info.unexpected.empty()) {
      fail(codes::kCheckpoint, path + ": " + std::to_string(info.unexpected.size()) +
                                   " unexpected weight(s) this model does not have: " + join_keys(info.unexpected));
    }
  }
  std::set<std::string> reinitialised;
  for (const auto& [name, parameter] : model.named_parameters()) {
    auto found = stored.find(name);
    if (found == stored.end()) continue;
    const at::Tensor& tensor = found->second;
    if (!at::isFloatingType(tensor.scalar_type())) {
      fail(codes::kCheckpoint, path + ": weight \"" + name + "\" has dtype " + std::string(c10::toString(tensor.scalar_type())) +
                                   "; expected a floating-point dtype (F32, F16 or BF16)");
    }
    if (tensor.sizes() == parameter.sizes()) continue;
    const bool classifier = name.rfind("classifier.", 0) == 0;
    if (options.pretrained && classifier && options.ignore_mismatched_sizes) {
      info.mismatched.push_back({name, tensor.sizes().vec(), parameter.sizes().vec()});
      reinitialised.insert(name);
      continue;
    }
    std::string message = path + ": weight \"" + name + "\" has shape " + shape_string(tensor.sizes()) +
                          " but the model's config needs " + shape_string(parameter.sizes());
    if (options.pretrained && classifier) {
      message += " (num_labels " + std::to_string(model.config.num_labels) +
                 "); pass --ignore-mismatched-sizes (API: ignoreMismatchedSizes) to re-initialise the classifier";
    }
    fail(codes::kCheckpoint, message);
  }
  // 2. Only then copy, so a failed load leaves the model as it was.
  at::NoGradGuard no_grad;
  for (const auto& [name, parameter] : model.named_parameters()) {
    auto found = stored.find(name);
    if (found == stored.end() || reinitialised.count(name)) continue;
    at::Tensor target = parameter;
    target.copy_(found->second);
  }
  return info;
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
