// Model weights <-> safetensors files, with HF's names. Loading is strict, as tch-rs and HF's
// own strict mode are: a missing or unexpected key, a wrong shape, or a non-float dtype is an
// error naming the key and the file, and nothing is copied unless everything fits.
#pragma once

#include "albert/model.h"

#include <map>
#include <string>

namespace albert {

// Loads F32, F16, BF16 (or F64) tensors into the model's fp32 parameters. HF's non-persistent
// buffers (albert.embeddings.position_ids, albert.embeddings.token_type_ids) are accepted and
// ignored. Throws albert::Error(ERR_CHECKPOINT) for a mismatch, ERR_SAFETENSORS for a broken file.
void load_weights(AlbertForSequenceClassification& model, const std::string& path);

// Writes every parameter as F32, atomically, with {"format": "pt"} (which HF requires) plus `metadata`.
void save_weights(const AlbertForSequenceClassification& model, const std::string& path,
                  std::map<std::string, std::string> metadata);

}  // namespace albert
