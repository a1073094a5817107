// The weights-only pickle VM (torch_pickle.h).
#include "io/torch_pickle.h"

#include "common/error.h"

#include <caffe2/serialize/inline_container.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

namespace albert::io::pickle {
namespace {

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  fail(codes::kCheckpoint, path + ": " + what);
}

ValuePtr make(Value::Kind kind) {
  auto value = std::make_shared<Value>();
  value->kind = kind;
  return value;
}

// torch.<Name>Storage -> dtype, as torch/storage.py names the typed storages.
std::optional<at::ScalarType> storage_dtype(const std::string& global) {
  static const std::map<std::string, at::ScalarType> kStorages = {
      {"torch.FloatStorage", at::kFloat},   {"torch.DoubleStorage", at::kDouble}, {"torch.HalfStorage", at::kHalf},
      {"torch.BFloat16Storage", at::kBFloat16}, {"torch.LongStorage", at::kLong}, {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort},   {"torch.CharStorage", at::kChar},     {"torch.ByteStorage", at::kByte},
      {"torch.BoolStorage", at::kBool},
  };
  auto found = kStorages.find(global);
  if (found == kStorages.end()) return std::nullopt;
  return found->second;
}

const std::vector<std::string> kCallables = {"collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                                             "torch._utils._rebuild_parameter"};

// ---- the VM -------------------------------------------------------------------------------------

class WeightsOnlyUnpickler {
 public:
  WeightsOnlyUnpickler(const std::string& path, caffe2::serialize::PyTorchStreamReader& reader, const std::string& pickle)
      : path_(path), reader_(reader), data_(pickle) {}

  ValuePtr run() {
    while (true) {
      const uint8_t opcode = byte();
      if (opcode == '.') break;  // STOP
      step(opcode);
    }
    if (stack_.size() != 1) bad(path_, "data.pkl: malformed pickle (" + std::to_string(stack_.size()) + " values left at STOP)");
    return stack_.back();
  }

 private:
  // -- input
  [[noreturn]] void malformed(const std::string& what) const {
    bad(path_, "data.pkl: malformed pickle at byte " + std::to_string(pos_) + ": " + what);
  }
  const char* take(size_t n) {
    if (n > data_.size() - pos_) malformed("unexpected end of data");
    const char* at = data_.data() + pos_;
    pos_ += n;
    return at;
  }
  uint8_t byte() { return static_cast<uint8_t>(*take(1)); }
  uint64_t little(size_t n) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(take(n));
    uint64_t out = 0;
    for (size_t i = 0; i < n; ++i) out |= static_cast<uint64_t>(bytes[i]) << (8 * i);
    return out;
  }
  std::string line() {
    const size_t end = data_.find('\n', pos_);
    if (end == std::string::npos) malformed("unterminated GLOBAL");
    std::string out = data_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return out;
  }

  // -- stack
  ValuePtr pop() {
    if (stack_.empty()) malformed("pop from an empty stack");
    ValuePtr top = stack_.back();
    stack_.pop_back();
    return top;
  }
  ValuePtr& top() {
    if (stack_.empty()) malformed("empty stack");
    return stack_.back();
  }
  std::vector<ValuePtr> pop_to_mark() {
    if (marks_.empty()) malformed("no MARK");
    const size_t mark = marks_.back();
    marks_.pop_back();
    if (mark > stack_.size()) malformed("MARK beyond the stack");
    std::vector<ValuePtr> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }
  void push_tuple(std::vector<ValuePtr> items) {
    auto tuple = make(Value::Kind::kTuple);
    tuple->items = std::move(items);
    stack_.push_back(tuple);
  }
  void push_int(int64_t v) {
    auto value = make(Value::Kind::kInt);
    value->integer = v;
    stack_.push_back(value);
  }
  void push_string(size_t n) {
    auto value = make(Value::Kind::kString);
    value->text.assign(take(n), n);
    stack_.push_back(value);
  }
  void memo_put(uint64_t index) { memo_[index] = top(); }
  void memo_get(uint64_t index) {
    auto found = memo_.find(index);
    if (found == memo_.end()) malformed("memo " + std::to_string(index) + " was never stored");
    stack_.push_back(found->second);
  }
  void set_items(const ValuePtr& dict, const std::vector<ValuePtr>& pairs) {
    if (dict->kind != Value::Kind::kDict) malformed(std::string("SETITEM on a ") + kind_name(dict->kind));
    if (pairs.size() % 2) malformed("SETITEMS with an odd number of values");
    for (size_t i = 0; i < pairs.size(); i += 2) dict->dict.emplace_back(pairs[i], pairs[i + 1]);
  }
  void append(const ValuePtr& list, const std::vector<ValuePtr>& items) {
    if (list->kind != Value::Kind::kList) malformed(std::string("APPEND on a ") + kind_name(list->kind));
    list->items.insert(list->items.end(), items.begin(), items.end());
  }

  void global(const std::string& module, const std::string& name) {
    const std::string qualified = module + "." + name;
    const bool known = storage_dtype(qualified).has_value() ||
                       std::find(kCallables.begin(), kCallables.end(), qualified) != kCallables.end();
    if (!known) {
      bad(path_, "refused: its pickle asks for the global \"" + qualified +
                     "\", and a weights file may hold only tensors, storages and dicts "
                     "(read weights-only, as torch.load(weights_only=True) does; nothing in it was run)");
    }
    auto value = make(Value::Kind::kGlobal);
    value->text = qualified;
    stack_.push_back(value);
  }

  void step(uint8_t opcode) {
    switch (opcode) {
      case 0x80: byte(); break;                              // PROTO
      case 0x95: take(8); break;                             // FRAME
      case 'c': { std::string module = line(); global(module, line()); break; }  // GLOBAL
      case 0x93: {                                           // STACK_GLOBAL
        ValuePtr name = pop(), module = pop();
        if (name->kind != Value::Kind::kString || module->kind != Value::Kind::kString) malformed("STACK_GLOBAL needs two strings");
        global(module->text, name->text);
        break;
      }
      case '}': stack_.push_back(make(Value::Kind::kDict)); break;   // EMPTY_DICT
      case ']': stack_.push_back(make(Value::Kind::kList)); break;   // EMPTY_LIST
      case ')': push_tuple({}); break;                                // EMPTY_TUPLE
      case '(': marks_.push_back(stack_.size()); break;               // MARK
      case 'N': stack_.push_back(make(Value::Kind::kNone)); break;    // NONE
      case 0x88: case 0x89: {                                         // NEWTRUE, NEWFALSE
        auto value = make(Value::Kind::kBool);
        value->integer = opcode == 0x88;
        stack_.push_back(value);
        break;
      }
      case 'K': push_int(static_cast<int64_t>(little(1))); break;                       // BININT1
      case 'M': push_int(static_cast<int64_t>(little(2))); break;                       // BININT2
      case 'J': push_int(static_cast<int32_t>(static_cast<uint32_t>(little(4)))); break;  // BININT
      case 0x8a: {                                                                      // LONG1
        const size_t n = byte();
        if (n > 8) malformed("an integer wider than 64 bits");
        uint64_t raw = n ? little(n) : 0;
        if (n && n < 8 && (raw >> (8 * n - 1)) & 1) raw |= ~uint64_t{0} << (8 * n);  // sign-extend
        push_int(static_cast<int64_t>(raw));
        break;
      }
      case 'G': {                                                                       // BINFLOAT (big-endian)
        const auto* bytes = reinterpret_cast<const uint8_t*>(take(8));
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | bytes[i];
        auto value = make(Value::Kind::kFloat);
        std::memcpy(&value->number, &bits, 8);
        stack_.push_back(value);
        break;
      }
      case 'X': push_string(little(4)); break;     // BINUNICODE
      case 0x8c: push_string(byte()); break;       // SHORT_BINUNICODE
      case 0x8d: push_string(little(8)); break;    // BINUNICODE8
      case 'q': memo_put(byte()); break;           // BINPUT
      case 'r': memo_put(little(4)); break;        // LONG_BINPUT
      case 0x94: memo_put(memo_.size()); break;    // MEMOIZE
      case 'h': memo_get(byte()); break;           // BINGET
      case 'j': memo_get(little(4)); break;        // LONG_BINGET
      case 't': push_tuple(pop_to_mark()); break;  // TUPLE
      case 0x85: case 0x86: case 0x87: {          // TUPLE1..3
        const size_t n = opcode - 0x84;
        if (stack_.size() < n) malformed("TUPLE with too few values");
        std::vector<ValuePtr> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
        stack_.resize(stack_.size() - n);
        push_tuple(std::move(items));
        break;
      }
      case 'l': { auto list = make(Value::Kind::kList); list->items = pop_to_mark(); stack_.push_back(list); break; }  // LIST
      case 'd': { auto dict = make(Value::Kind::kDict); set_items(dict, pop_to_mark()); stack_.push_back(dict); break; }  // DICT
      case 'a': { ValuePtr item = pop(); append(top(), {item}); break; }   // APPEND
      case 'e': { auto items = pop_to_mark(); append(top(), items); break; }  // APPENDS
      case 's': { ValuePtr value = pop(), key = pop(); set_items(top(), {key, value}); break; }  // SETITEM
      case 'u': { auto pairs = pop_to_mark(); set_items(top(), pairs); break; }  // SETITEMS
      case 'R': { ValuePtr args = pop(), callable = pop(); stack_.push_back(call(callable, args)); break; }  // REDUCE
      case 'b': {                                  // BUILD: only an OrderedDict's attributes (_metadata), dropped
        ValuePtr state = pop();
        if (top()->kind != Value::Kind::kDict) malformed(std::string("BUILD on a ") + kind_name(top()->kind));
        (void)state;
        break;
      }
      case 'Q': stack_.push_back(persistent_load(pop())); break;  // BINPERSID
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", opcode);
        malformed(std::string("opcode ") + hex + " is not one torch.save writes for a state dict");
      }
    }
  }

  static int64_t as_int(const ValuePtr& v, const WeightsOnlyUnpickler& self, const char* what) {
    if (v->kind != Value::Kind::kInt) self.malformed(std::string(what) + " is a " + kind_name(v->kind) + ", not an int");
    return v->integer;
  }
  std::vector<int64_t> int_tuple(const ValuePtr& v, const char* what) const {
    if (v->kind != Value::Kind::kTuple) malformed(std::string(what) + " is a " + kind_name(v->kind) + ", not a tuple");
    std::vector<int64_t> out;
    for (const auto& item : v->items) {
      const int64_t n = as_int(item, *this, what);
      if (n < 0) malformed(std::string(what) + " holds a negative value");
      out.push_back(n);
    }
    return out;
  }

  ValuePtr call(const ValuePtr& callable, const ValuePtr& args) {
    if (callable->kind != Value::Kind::kGlobal || args->kind != Value::Kind::kTuple) malformed("REDUCE needs a global and a tuple");
    const auto& a = args->items;
    if (callable->text == "collections.OrderedDict") {
      if (!a.empty()) malformed("OrderedDict() with arguments");
      return make(Value::Kind::kDict);
    }
    if (callable->text == "torch._utils._rebuild_parameter") {  // (data, requires_grad, backward_hooks)
      if (a.empty() || a[0]->kind != Value::Kind::kTensor) malformed("_rebuild_parameter without a tensor");
      return a[0];
    }
    if (callable->text == "torch._utils._rebuild_tensor_v2") {  // (storage, offset, size, stride, requires_grad, hooks[, metadata])
      if (a.size() < 4 || a[0]->kind != Value::Kind::kTensor) malformed("_rebuild_tensor_v2 without a storage");
      return rebuild_tensor(a[0]->tensor, as_int(a[1], *this, "storage offset"), int_tuple(a[2], "size"), int_tuple(a[3], "stride"));
    }
    malformed("\"" + callable->text + "\" is not callable here");
  }

  // A view of `storage` (1-D, N elements), copied out: every element it reads must lie in [0, N),
  // and it may not have more elements than the storage (no stride-0 blow-up).
  ValuePtr rebuild_tensor(const at::Tensor& storage, int64_t offset, const std::vector<int64_t>& size, const std::vector<int64_t>& stride) {
    if (size.size() != stride.size()) malformed("size and stride differ in length");
    const int64_t n = storage.numel();
    if (offset < 0 || offset > n) malformed("storage offset " + std::to_string(offset) + " outside a storage of " + std::to_string(n));
    auto value = make(Value::Kind::kTensor);
    if (std::find(size.begin(), size.end(), 0) != size.end()) {
      value->tensor = at::empty(size, storage.options());
      return value;
    }
    int64_t elements = 1, last = offset;  // the element count, the highest index read
    for (size_t d = 0; d < size.size(); ++d) {
      if (size[d] > n / elements) malformed("a tensor with more elements than its storage");
      elements *= size[d];
      const int64_t reach = size[d] - 1;
      if (reach > 0 && stride[d] > (n - 1 - last) / reach) malformed("a tensor that reads past the end of its storage");
      last += reach * stride[d];
    }
    if (last >= n) malformed("a tensor that reads past the end of its storage");
    value->tensor = storage.as_strided(size, stride, offset).clone(at::MemoryFormat::Contiguous);
    return value;
  }

  // ('storage', torch.<Dtype>Storage, key, location, numel) -> a 1-D tensor over data/<key>.
  ValuePtr persistent_load(const ValuePtr& pid) {
    if (pid->kind != Value::Kind::kTuple || pid->items.size() != 5 || pid->items[0]->kind != Value::Kind::kString ||
        pid->items[0]->text != "storage" || pid->items[1]->kind != Value::Kind::kGlobal || pid->items[2]->kind != Value::Kind::kString) {
      malformed("a persistent id that is not ('storage', type, key, location, numel)");
    }
    const auto dtype = storage_dtype(pid->items[1]->text);
    if (!dtype) malformed("storage type \"" + pid->items[1]->text + "\"");
    const std::string& key = pid->items[2]->text;
    const int64_t numel = as_int(pid->items[4], *this, "storage size");
    auto cached = storages_.find(key);
    if (cached != storages_.end()) {
      if (cached->second->tensor.scalar_type() != *dtype || cached->second->tensor.numel() != numel) malformed("storage " + key + " read twice with two types");
      return cached->second;
    }
    const std::string record = "data/" + key;
    if (key.empty() || key.find('/') != std::string::npos || !reader_.hasRecord(record)) bad(path_, "storage \"" + key + "\" is not in the archive");
    const size_t bytes = reader_.getRecordSize(record);
    const size_t item = c10::elementSize(*dtype);
    if (numel < 0 || bytes % item != 0 || static_cast<uint64_t>(numel) != bytes / item) {
      bad(path_, "storage \"" + key + "\" holds " + std::to_string(bytes) + " bytes, not " + std::to_string(numel) + " x " +
                     std::to_string(item) + " (a truncated or inconsistent file)");
    }
    auto value = make(Value::Kind::kTensor);
    value->tensor = at::empty({numel}, at::TensorOptions().dtype(*dtype));
    if (bytes) reader_.getRecord(record, value->tensor.data_ptr(), bytes);
    storages_.emplace(key, value);
    return value;
  }

  const std::string& path_;
  caffe2::serialize::PyTorchStreamReader& reader_;
  const std::string& data_;
  size_t pos_ = 0;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, ValuePtr> memo_;
  std::map<std::string, ValuePtr> storages_;
};

}  // namespace

const char* kind_name(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::kNone: return "None";
    case Value::Kind::kBool: return "bool";
    case Value::Kind::kInt: return "int";
    case Value::Kind::kFloat: return "float";
    case Value::Kind::kString: return "str";
    case Value::Kind::kTuple: return "tuple";
    case Value::Kind::kList: return "list";
    case Value::Kind::kDict: return "dict";
    case Value::Kind::kGlobal: return "global";
    case Value::Kind::kMark: return "mark";
    case Value::Kind::kTensor: return "tensor";
  }
  return "?";
}

ValuePtr unpickle_weights_only(const std::string& path, caffe2::serialize::PyTorchStreamReader& reader, const std::string& pickle) {
  return WeightsOnlyUnpickler(path, reader, pickle).run();
}

}  // namespace albert::io::pickle
