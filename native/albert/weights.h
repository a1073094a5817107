// Model weights <-> checkpoint files, with HF's names.
//
// Two ways to load, as HF has them:
// - strict (our own checkpoints, resume, eval and predict): every parameter from the file, no
//   key left over, as tch-rs and HF's strict mode load. A missing or unexpected key, a wrong
//   shape, or a non-float dtype is an error naming the key and the file.
// - pretrained (HF's from_pretrained into AlbertForSequenceClassification): a checkpoint of any
//   ALBERT architecture. Keys without the `albert.` prefix (an AlbertModel) get it, as HF's
//   base_model_prefix rule does; old LayerNorm names (gamma/beta) are renamed as HF renames
//   them. Weights the model lacks (other heads) are reported as unexpected; the classifier and
//   pooler, when missing, keep the model's seeded init and are reported as missing. A backbone
//   tensor missing or misshapen is still an error: never a silently random backbone.
// Either way nothing is copied unless everything fits.
#pragma once

#include "albert/model.h"

#include <map>
#include <string>
#include <vector>

namespace albert {

struct LoadOptions {
  bool pretrained = false;               // HF from_pretrained rules (above), else strict
  bool ignore_mismatched_sizes = false;  // pretrained: a classifier of another shape keeps its init
};

struct ShapeMismatch {
  std::string key;
  std::vector<int64_t> checkpoint_shape, model_shape;
};

// What a pretrained load did, in HF's terms (output_loading_info).
struct LoadingInfo {
  std::vector<std::string> missing;       // newly initialised (model order)
  std::vector<std::string> unexpected;    // in the file, not used (file order, after renaming)
  std::vector<ShapeMismatch> mismatched;  // re-initialised for their shape (ignore_mismatched_sizes)
};

// Reads every tensor of a checkpoint: safetensors, or a zip-format pytorch_model.bin read
// weights-only (io/torch_checkpoint.h), told apart by their first bytes.
NamedTensors read_checkpoint(const std::string& path);

// Loads F32, F16, BF16 (or F64) tensors into the model's fp32 parameters. HF's non-persistent
// buffers (albert.embeddings.position_ids, albert.embeddings.token_type_ids) are accepted and
// ignored. Throws albert::Error(ERR_CHECKPOINT) for a mismatch, ERR_SAFETENSORS for a broken
// safetensors file, ERR_CHECKPOINT for a broken or refused .bin.
LoadingInfo load_weights(AlbertForSequenceClassification& model, const std::string& path, const LoadOptions& options = {});

// Writes every parameter as F32, atomically, with {"format": "pt"} (which HF requires) plus `metadata`.
void save_weights(const AlbertForSequenceClassification& model, const std::string& path,
                  std::map<std::string, std::string> metadata);

}  // namespace albert
