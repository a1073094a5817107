// safetensors read/write, written by us (https://github.com/huggingface/safetensors#format):
// an 8-byte little-endian u64 header length N, N bytes of JSON header
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}},
// then the raw little-endian tensor bytes; offsets are relative to the end of the header.
//
// Reading is strict: any header that is not valid JSON, a dtype we do not know, offsets that
// overlap, leave gaps, run past the end of the file or disagree with shape x dtype size, a
// truncated file: each throws albert::Error(ERR_SAFETENSORS) naming the file and the key or
// byte offset. Writing is atomic (a temporary file in the same folder, then rename).
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace albert::io {

// Tensors in file order. Each tensor is a CPU tensor of the stored dtype
// (F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL), contiguous, owning its memory.
struct SafetensorsFile {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  std::map<std::string, std::string> metadata;  // the optional "__metadata__" object
};

SafetensorsFile read_safetensors(const std::string& path);

// Writes the tensors (any device, any supported dtype; non-contiguous is fine) in the order
// given, with the metadata object when not empty. Names must be unique. Throws
// albert::Error(ERR_IO) when the file cannot be written; nothing is left behind then.
// A duplicate name, the reserved name "__metadata__", an undefined tensor, a dtype outside
// the list above or a name that is not valid UTF-8 throw ERR_SAFETENSORS before any file is created.
void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace albert::io
