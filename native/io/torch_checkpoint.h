// pytorch_model.bin read weights-only, never running its pickle: what
// `torch.load(path, weights_only=True)` accepts for a state dict, and nothing more.
//
// The file is torch.save's zip format (torch >= 1.6): `<archive>/data.pkl` is a pickle of the
// state dict whose tensors point, through persistent ids, at raw storages `<archive>/data/<key>`.
// The zip is read with libtorch's own reader (caffe2::serialize::PyTorchStreamReader, the one
// torch.load uses). The pickle is read by a small VM (io/torch_pickle.h), not libtorch's
// unpickler: that one turns collections.OrderedDict into None (so it cannot read an HF state
// dict) and was not written to refuse hostile input. This VM knows the opcodes torch.save emits (protocols 2-5)
// and exactly these globals:
//   collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter,
//   torch.<Dtype>Storage (FloatStorage, HalfStorage, BFloat16Storage, ...).
// Any other global (os.system, builtins.eval, ...) ends the read with ERR_CHECKPOINT naming it;
// nothing is ever called. Every index, size, stride and storage bound is checked before use.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

namespace albert::io {

// The top-level dict's tensor entries in file order, each a contiguous CPU tensor that owns its
// memory. Throws albert::Error: ERR_IO when the file cannot be opened, ERR_CHECKPOINT for a file
// that is not a zip-format torch.save of tensors (a legacy pre-1.6 file, a forbidden global, a
// malformed pickle, a storage that does not match its record), naming the file.
std::vector<std::pair<std::string, at::Tensor>> read_torch_state_dict(const std::string& path);

// True when the file starts as a zip archive does ("PK\x03\x04"): torch.save's format.
bool looks_like_zip(const std::string& path);

}  // namespace albert::io
