// The weights-only pickle VM that io/torch_checkpoint.cpp runs over a torch.save archive's
// data.pkl (what it accepts and refuses: io/torch_checkpoint.h). It knows the opcodes torch.save
// emits (protocols 2-5) and a fixed list of globals, none of which it ever calls; storages are
// read from the archive through libtorch's reader when a persistent id names them.
// Pickle reference: Python's Lib/pickletools.py (opcode table) and Lib/pickle.py (semantics).
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace caffe2::serialize {
class PyTorchStreamReader;
}

namespace albert::io::pickle {

// A value on the pickle stack.
struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Value {
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kTuple, kList, kDict, kGlobal, kMark, kTensor };
  Kind kind = Kind::kNone;
  int64_t integer = 0;                             // kBool, kInt
  double number = 0;                               // kFloat
  std::string text;                                // kString; kGlobal: "module.name"
  std::vector<ValuePtr> items;                     // kTuple, kList
  std::vector<std::pair<ValuePtr, ValuePtr>> dict; // kDict, in insertion order
  at::Tensor tensor;                               // kTensor (a storage is a 1-D tensor too)
};

// The type's name as Python spells it ("dict", "tuple"), for messages.
const char* kind_name(Value::Kind kind);

// Runs `pickle` (the archive's data.pkl) and returns the one value it leaves; tensors own copies
// of their storages' bytes. Throws ERR_CHECKPOINT naming `path` for a malformed pickle, a
// forbidden global or a storage that does not match its record.
ValuePtr unpickle_weights_only(const std::string& path, caffe2::serialize::PyTorchStreamReader& reader, const std::string& pickle);

}  // namespace albert::io::pickle
