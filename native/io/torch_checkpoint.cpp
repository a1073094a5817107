// The weights-only pytorch_model.bin reader (see torch_checkpoint.h for what it accepts): the
// zip archive through libtorch's reader, its data.pkl through the VM in torch_pickle.cpp.
#include "io/torch_checkpoint.h"

#include "common/error.h"
#include "io/torch_pickle.h"

#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <fstream>
#include <memory>

namespace albert::io {
namespace {

using pickle::kind_name;
using pickle::Value;
using pickle::ValuePtr;

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  fail(codes::kCheckpoint, path + ": " + what);
}

}  // namespace

bool looks_like_zip(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::memcmp(magic, "PK\x03\x04", 4) == 0;
}

std::vector<std::pair<std::string, at::Tensor>> read_torch_state_dict(const std::string& path) {
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(codes::kIo, path + ": cannot open for reading");
    unsigned char head[2] = {};
    in.read(reinterpret_cast<char*>(head), 2);
    if (!looks_like_zip(path)) {
      bad(path, head[0] == 0x80 ? "a legacy (torch < 1.6) torch.save file, which is not read; re-save it with a current torch "
                                  "(torch.save(torch.load(f, weights_only=True), f)) or as safetensors (model.save_pretrained(dir))"
                                : "not a torch.save zip archive (nor safetensors)");
    }
  }
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  std::string data_pkl;
  try {
    reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
    if (reader->hasRecord("byteorder")) {
      auto [bytes, size] = reader->getRecord("byteorder");
      if (std::string(static_cast<const char*>(bytes.get()), size) != "little") bad(path, "the tensors are stored big-endian");
    }
    if (!reader->hasRecord("data.pkl")) bad(path, "the archive has no data.pkl: not a torch.save file");
    auto [bytes, size] = reader->getRecord("data.pkl");
    data_pkl.assign(static_cast<const char*>(bytes.get()), size);
  } catch (const c10::Error& error) {
    bad(path, std::string("not a readable torch.save archive (") + error.what_without_backtrace() + ")");
  }
  ValuePtr root;
  try {
    root = pickle::unpickle_weights_only(path, *reader, data_pkl);
  } catch (const c10::Error& error) {
    bad(path, std::string("cannot read a storage: ") + error.what_without_backtrace());
  }
  if (root->kind != Value::Kind::kDict) bad(path, std::string("holds a ") + kind_name(root->kind) + ", not a state dict");
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& [key, value] : root->dict) {
    if (key->kind != Value::Kind::kString) bad(path, std::string("a state dict key is a ") + kind_name(key->kind));
    if (value->kind != Value::Kind::kTensor) bad(path, "entry \"" + key->text + "\" is a " + kind_name(value->kind) + ", not a tensor");
    tensors.emplace_back(key->text, value->tensor);
  }
  return tensors;
}

}  // namespace albert::io
