// safetensors read/write over ATen (the format is described in safetensors.h). Design:
// - Reading opens the file once. The 8-byte length and the JSON header are read and every
//   entry is checked (dtype, shape, offsets, byte count) before any tensor is allocated; the
//   entries are then sorted by data offset, so truncation, overlaps, holes and trailing bytes
//   all show up in one walk over the data section. Each tensor is allocated with at::empty (it
//   owns its memory) and filled straight from the file with pread: the file is never held twice.
// - Writing builds the header from shapes and dtypes alone, then moves one tensor at a time to
//   the CPU, contiguous, and writes it, so a GPU model is never copied to the host all at once.
//   The bytes go to `<path>.tmp-<pid>-<random>` in the same folder, are fsync'd and renamed
//   over `path`; a failure at any step removes the temporary file (TemporaryFile's destructor).
// - Errors: a file whose content is wrong is ERR_SAFETENSORS, a file system failure ERR_IO;
//   every message starts with the file path and names the tensor key or byte offset.
#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "common/error.h"
#include "io/json.h"

namespace albert::io {
namespace {

// safetensors stores little-endian bytes; tensors are copied to and from memory as they are.
static_assert(std::endian::native == std::endian::little,
              "safetensors I/O copies raw bytes and assumes a little-endian host (x86-64, arm64)");

constexpr std::uint64_t kLengthPrefixBytes = 8;
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's limit
constexpr std::string_view kMetadataKey = "__metadata__";

struct Dtype {
  std::string_view name;  // as written in the header
  at::ScalarType scalar_type;
  std::int64_t itemsize;  // bytes per element
};

constexpr Dtype kDtypes[] = {
    {"F64", at::kDouble, 8}, {"F32", at::kFloat, 4}, {"F16", at::kHalf, 2}, {"BF16", at::kBFloat16, 2},
    {"I64", at::kLong, 8},   {"I32", at::kInt, 4},   {"I16", at::kShort, 2}, {"I8", at::kChar, 1},
    {"U8", at::kByte, 1},    {"BOOL", at::kBool, 1},
};

const Dtype* dtype_named(std::string_view name) {
  for (const Dtype& dtype : kDtypes) {
    if (dtype.name == name) return &dtype;
  }
  return nullptr;
}

const Dtype* dtype_of(at::ScalarType scalar_type) {
  for (const Dtype& dtype : kDtypes) {
    if (dtype.scalar_type == scalar_type) return &dtype;
  }
  return nullptr;
}

std::string supported_dtype_names() {
  std::string names;
  for (const Dtype& dtype : kDtypes) {
    if (!names.empty()) names += ", ";
    names += dtype.name;
  }
  return names;
}

// A key in double quotes for messages; control bytes are shown as \xNN.
std::string quote_key(std::string_view key) {
  std::string out = "\"";
  for (const char c : key) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\x%02X", static_cast<unsigned char>(c));
      out += escape;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string offsets_text(std::uint64_t begin, std::uint64_t end) {
  // Appends rather than "[" + std::string&&, on which g++ 12 gives a false -Wstringop-overflow.
  std::string text("[");
  text.append(std::to_string(begin)).append(", ").append(std::to_string(end)).append("]");
  return text;
}

[[noreturn]] void fail_content(const std::string& path, const std::string& message) {
  fail(codes::kSafetensors, path + ": " + message);
}

// Reads errno now: call it right after the failing system call.
[[noreturn]] void fail_io(const std::string& path, const std::string& action) {
  const int error = errno;
  fail(codes::kIo, path + ": " + action + ": " + std::strerror(error));
}

// A file descriptor that is closed when its owner goes away, thrown exceptions included.
class UniqueFd {
 public:
  // open(2), retried on EINTR; get() < 0 when it failed (errno is set).
  UniqueFd(const std::string& path, int flags, mode_t mode = 0) {
    do {
      fd_ = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    } while (fd_ < 0 && errno == EINTR);
  }
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

// ---- reading ------------------------------------------------------------------------------

class InputFile {
 public:
  explicit InputFile(const std::string& path) : path_(path), fd_(path, O_RDONLY) {
    if (fd_.get() < 0) fail_io(path, "cannot open for reading");
    struct stat info {};
    if (::fstat(fd_.get(), &info) != 0) fail_io(path, "cannot stat");
    if (!S_ISREG(info.st_mode)) fail(codes::kIo, path + ": not a regular file");
    size_ = static_cast<std::uint64_t>(info.st_size);
  }

  std::uint64_t size() const { return size_; }

  // Exactly `count` bytes at file offset `offset`, or an error (the file shrank, or I/O failed).
  void read_at(void* destination, std::uint64_t count, std::uint64_t offset) const {
    auto* bytes = static_cast<char*>(destination);
    while (count > 0) {
      const ssize_t got = ::pread(fd_.get(), bytes, count, static_cast<off_t>(offset));
      if (got < 0) {
        if (errno == EINTR) continue;
        fail_io(path_, "read failed at byte " + std::to_string(offset));
      }
      if (got == 0) {
        fail_content(path_, "unexpected end of file at byte " + std::to_string(offset) +
                                " (the file changed while it was read?)");
      }
      bytes += got;
      count -= static_cast<std::uint64_t>(got);
      offset += static_cast<std::uint64_t>(got);
    }
  }

 private:
  std::string path_;
  UniqueFd fd_;
  std::uint64_t size_ = 0;
};

// One header entry, checked: its bytes are [begin, end) of the data section.
struct TensorEntry {
  std::string name;
  const Dtype* dtype;
  std::vector<std::int64_t> shape;
  std::uint64_t begin;
  std::uint64_t end;
};

json::Value parse_header(const std::string& path, std::string_view header_text) {
  try {
    return json::parse(header_text);
  } catch (const json::ParseError& error) {
    fail_content(path, "the header is not valid JSON: " + error.reason() + " at header byte " +
                           std::to_string(error.offset()) + " (file byte " +
                           std::to_string(error.offset() + kLengthPrefixBytes) + ")");
  }
}

std::map<std::string, std::string> parse_metadata(const std::string& path, const json::Value& value) {
  if (!value.is_object()) {
    fail_content(path, "\"__metadata__\" must be an object of strings, found " + json::summarize(value));
  }
  std::map<std::string, std::string> metadata;
  for (const auto& [key, entry] : value.as_object()) {
    if (!entry.is_string()) {
      fail_content(path, "\"__metadata__\" " + quote_key(key) + " must be a string, found " + json::summarize(entry));
    }
    metadata.emplace(key, entry.as_string());
  }
  return metadata;
}

// A non-negative integer, else an error naming the tensor and the field (e.g. "shape[1]").
std::uint64_t non_negative_integer(const std::string& path, const std::string& name, const std::string& field,
                                   const json::Value& value) {
  if (!value.is_integer() || value.as_int64() < 0) {
    fail_content(path, "tensor " + quote_key(name) + ": " + field + " must be a non-negative integer, found " +
                           json::summarize(value));
  }
  return static_cast<std::uint64_t>(value.as_int64());
}

// Fields other than dtype, shape and data_offsets are ignored, as the reference reader does.
TensorEntry parse_entry(const std::string& path, const std::string& name, const json::Value& value) {
  const std::string where = "tensor " + quote_key(name);
  if (!value.is_object()) {
    fail_content(path, where + ": the entry must be an object, found " + json::summarize(value));
  }
  auto member = [&](const char* field) -> const json::Value& {
    const json::Value* found = value.find(field);
    if (found == nullptr) fail_content(path, where + ": the entry has no \"" + field + "\"");
    return *found;
  };

  const json::Value& dtype_value = member("dtype");
  if (!dtype_value.is_string()) {
    fail_content(path, where + ": \"dtype\" must be a string, found " + json::summarize(dtype_value));
  }
  const Dtype* dtype = dtype_named(dtype_value.as_string());
  if (dtype == nullptr) {
    fail_content(path, where + ": unsupported dtype " + quote_key(dtype_value.as_string()) +
                           " (supported: " + supported_dtype_names() + ")");
  }

  const json::Value& shape_value = member("shape");
  if (!shape_value.is_array()) {
    fail_content(path, where + ": \"shape\" must be an array, found " + json::summarize(shape_value));
  }
  std::vector<std::int64_t> shape;
  std::uint64_t byte_count = static_cast<std::uint64_t>(dtype->itemsize);
  bool overflow = false;
  for (const json::Value& dim_value : shape_value.as_array()) {
    const std::uint64_t dim = non_negative_integer(path, name, "shape[" + std::to_string(shape.size()) + "]", dim_value);
    overflow = overflow || __builtin_mul_overflow(byte_count, dim, &byte_count);
    shape.push_back(static_cast<std::int64_t>(dim));
  }
  if (overflow) {
    fail_content(path, where + ": shape " + json::summarize(shape_value) + " of " + std::string(dtype->name) +
                           " is too large to address");
  }

  const json::Value& offsets_value = member("data_offsets");
  if (!offsets_value.is_array() || offsets_value.as_array().size() != 2) {
    fail_content(path, where + ": \"data_offsets\" must be an array of two integers, found " +
                           json::summarize(offsets_value));
  }
  const std::uint64_t begin = non_negative_integer(path, name, "data_offsets[0]", offsets_value.as_array()[0]);
  const std::uint64_t end = non_negative_integer(path, name, "data_offsets[1]", offsets_value.as_array()[1]);
  if (end < begin) fail_content(path, where + ": data_offsets " + offsets_text(begin, end) + " are not ascending");
  if (end - begin != byte_count) {
    fail_content(path, where + ": data_offsets " + offsets_text(begin, end) + " hold " + std::to_string(end - begin) +
                           " bytes, but " + std::string(dtype->name) + " of shape " + json::summarize(shape_value) +
                           " takes " + std::to_string(byte_count));
  }
  return TensorEntry{name, dtype, std::move(shape), begin, end};
}

// Sorts the entries by data offset and checks that they tile [0, data_bytes) exactly.
void check_layout(const std::string& path, std::vector<TensorEntry>& entries, std::uint64_t data_start,
                  std::uint64_t file_bytes) {
  std::stable_sort(entries.begin(), entries.end(), [](const TensorEntry& a, const TensorEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const std::uint64_t data_bytes = file_bytes - data_start;

  // Truncation first: it is the likely cause of any other complaint.
  const auto furthest = std::max_element(entries.begin(), entries.end(),
                                         [](const TensorEntry& a, const TensorEntry& b) { return a.end < b.end; });
  if (furthest != entries.end() && furthest->end > data_bytes) {
    const auto first_past = std::find_if(entries.begin(), entries.end(),
                                         [&](const TensorEntry& entry) { return entry.end > data_bytes; });
    fail_content(path, "the file is truncated: it is " + std::to_string(file_bytes) + " bytes, the header expects " +
                           std::to_string(data_start + furthest->end) + "; tensor " + quote_key(first_past->name) +
                           " data_offsets " + offsets_text(first_past->begin, first_past->end) +
                           " run past the end of the " + std::to_string(data_bytes) + "-byte data section");
  }

  std::uint64_t covered = 0;  // data bytes [0, covered) belong to the entries seen so far
  const TensorEntry* previous = nullptr;
  for (const TensorEntry& entry : entries) {
    if (entry.begin < covered) {
      fail_content(path, "tensor " + quote_key(entry.name) + " data_offsets " + offsets_text(entry.begin, entry.end) +
                             " overlap tensor " + quote_key(previous->name) + " " +
                             offsets_text(previous->begin, previous->end));
    }
    if (entry.begin > covered) {
      fail_content(path, "data bytes " + offsets_text(covered, entry.begin) + " (file byte " +
                             std::to_string(data_start + covered) + ") belong to no tensor; the data section must be " +
                             "fully covered");
    }
    covered = entry.end;
    previous = &entry;
  }
  if (covered < data_bytes) {
    fail_content(path, std::to_string(data_bytes - covered) + " bytes after the last tensor, from data byte " +
                           std::to_string(covered) + " (file byte " + std::to_string(data_start + covered) +
                           "), belong to no tensor");
  }
}

at::Tensor read_tensor(const InputFile& file, const std::string& path, const TensorEntry& entry,
                       std::uint64_t data_start) {
  at::Tensor tensor = at::empty(entry.shape, at::TensorOptions().dtype(entry.dtype->scalar_type));
  const std::uint64_t byte_count = entry.end - entry.begin;
  if (byte_count == 0) return tensor;
  file.read_at(tensor.data_ptr(), byte_count, data_start + entry.begin);
  if (entry.dtype->scalar_type == at::kBool) {
    // Any byte but 0 and 1 is not a bool to ATen; refuse it rather than hand on undefined values.
    const auto* bytes = static_cast<const std::uint8_t*>(tensor.data_ptr());
    const auto* bad = std::find_if(bytes, bytes + byte_count, [](std::uint8_t b) { return b > 1; });
    if (bad != bytes + byte_count) {
      const auto index = static_cast<std::uint64_t>(bad - bytes);
      fail_content(path, "tensor " + quote_key(entry.name) + ": BOOL element " + std::to_string(index) + " (file byte " +
                             std::to_string(data_start + entry.begin + index) + ") is " + std::to_string(*bad) +
                             ", not 0 or 1");
    }
  }
  return tensor;
}

// ---- writing ------------------------------------------------------------------------------

// `<path>.tmp-<pid>-<random>` in the folder of `path`: written, then committed by renaming it
// over `path`. Until commit() succeeds, the destructor closes and removes it.
class TemporaryFile {
 public:
  explicit TemporaryFile(const std::string& path)
      : path_(path), temp_path_(temporary_path_for(path)), fd_(temp_path_, O_WRONLY | O_CREAT | O_EXCL, 0666) {
    if (fd_.get() < 0) fail_io(path_, "cannot create the temporary file " + temp_path_);
  }
  ~TemporaryFile() {
    if (!committed_) ::unlink(temp_path_.c_str());
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  void write(const void* data, std::uint64_t count) {
    const auto* bytes = static_cast<const char*>(data);
    while (count > 0) {
      const ssize_t wrote = ::write(fd_.get(), bytes, count);
      if (wrote < 0) {
        if (errno == EINTR) continue;
        fail_io(path_, "cannot write the temporary file " + temp_path_);
      }
      bytes += wrote;
      count -= static_cast<std::uint64_t>(wrote);
    }
  }

  void commit() {
    if (::fsync(fd_.get()) != 0) fail_io(path_, "cannot flush the temporary file " + temp_path_);
    if (::close(fd_.release()) != 0) fail_io(path_, "cannot close the temporary file " + temp_path_);
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
      fail_io(path_, "cannot rename the temporary file " + temp_path_ + " over it");
    }
    committed_ = true;
    sync_folder();
  }

 private:
  static std::string temporary_path_for(const std::string& path) {
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".tmp-%d-%08x", static_cast<int>(::getpid()),
                  static_cast<unsigned>(std::random_device{}()));
    return path + suffix;
  }

  // Makes the rename itself durable. Best effort: the new file is already in place, so a
  // failure here is not reported as a failed write.
  void sync_folder() const {
    const auto slash = path_.rfind('/');
    const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path_.substr(0, slash);
    const UniqueFd folder_fd(folder, O_RDONLY | O_DIRECTORY);
    if (folder_fd.get() >= 0) ::fsync(folder_fd.get());
  }

  std::string path_;
  std::string temp_path_;
  UniqueFd fd_;
  bool committed_ = false;
};

// The header text, padded with spaces so that the data section starts at a multiple of 8.
std::string header_for(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  json::Object header;
  if (!metadata.empty()) {
    json::Object metadata_object;
    for (const auto& [key, value] : metadata) metadata_object.emplace_back(key, json::Value::from_string(value));
    header.emplace_back(kMetadataKey, json::Value::from_object(std::move(metadata_object)));
  }
  std::unordered_set<std::string_view> names;
  std::uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == kMetadataKey) fail_content(path, "\"__metadata__\" is reserved and cannot name a tensor");
    if (!names.insert(name).second) fail_content(path, "duplicate tensor name " + quote_key(name));
    if (!tensor.defined()) fail_content(path, "tensor " + quote_key(name) + " is undefined");
    const Dtype* dtype = dtype_of(tensor.scalar_type());
    if (dtype == nullptr) {
      fail_content(path, "tensor " + quote_key(name) + " has dtype " + std::string(c10::toString(tensor.scalar_type())) +
                             ", which cannot be written (supported: " + supported_dtype_names() + ")");
    }
    json::Array shape;
    for (const std::int64_t dim : tensor.sizes()) shape.push_back(json::Value::from_int64(dim));
    const auto byte_count = static_cast<std::uint64_t>(tensor.numel() * dtype->itemsize);
    json::Object entry;
    entry.emplace_back("dtype", json::Value::from_string(std::string(dtype->name)));
    entry.emplace_back("shape", json::Value::from_array(std::move(shape)));
    entry.emplace_back("data_offsets", json::Value::from_array({json::Value::from_int64(static_cast<std::int64_t>(offset)),
                                                                json::Value::from_int64(static_cast<std::int64_t>(offset + byte_count))}));
    header.emplace_back(name, json::Value::from_object(std::move(entry)));
    offset += byte_count;
  }
  std::string text;
  try {
    text = json::serialize(json::Value::from_object(std::move(header)));
  } catch (const json::Error& error) {
    fail_content(path, std::string("cannot write the header: ") + error.what());
  }
  text.append((kLengthPrefixBytes - text.size() % kLengthPrefixBytes) % kLengthPrefixBytes, ' ');
  return text;
}

}  // namespace

SafetensorsFile read_safetensors(const std::string& path) {
  const InputFile file(path);
  const std::uint64_t file_bytes = file.size();
  if (file_bytes < kLengthPrefixBytes) {
    fail_content(path, "the file is " + std::to_string(file_bytes) + " bytes, shorter than the 8-byte header length");
  }
  std::uint64_t header_bytes = 0;
  file.read_at(&header_bytes, kLengthPrefixBytes, 0);
  if (header_bytes > file_bytes - kLengthPrefixBytes) {
    fail_content(path, "header length " + std::to_string(header_bytes) + " runs past the end of the file (" +
                           std::to_string(file_bytes) + " bytes)");
  }
  if (header_bytes > kMaxHeaderBytes) {
    fail_content(path, "header length " + std::to_string(header_bytes) + " is over the limit of " +
                           std::to_string(kMaxHeaderBytes) + " bytes");
  }
  std::string header_text(header_bytes, '\0');
  file.read_at(header_text.data(), header_bytes, kLengthPrefixBytes);
  const json::Value header = parse_header(path, header_text);
  if (!header.is_object()) fail_content(path, "the header is not a JSON object: " + json::summarize(header));

  SafetensorsFile result;
  std::vector<TensorEntry> entries;
  for (const auto& [key, value] : header.as_object()) {
    if (key == kMetadataKey) {
      result.metadata = parse_metadata(path, value);
    } else {
      entries.push_back(parse_entry(path, key, value));
    }
  }
  const std::uint64_t data_start = kLengthPrefixBytes + header_bytes;
  check_layout(path, entries, data_start, file_bytes);

  result.tensors.reserve(entries.size());
  for (const TensorEntry& entry : entries) {
    result.tensors.emplace_back(entry.name, read_tensor(file, path, entry, data_start));
  }
  return result;
}

void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const std::string header = header_for(path, tensors, metadata);
  TemporaryFile file(path);
  const std::uint64_t header_bytes = header.size();
  file.write(&header_bytes, kLengthPrefixBytes);
  file.write(header.data(), header.size());
  for (const auto& [name, tensor] : tensors) {
    const at::Tensor bytes = tensor.detach().to(at::kCPU).contiguous();
    if (bytes.numel() > 0) file.write(bytes.data_ptr(), bytes.nbytes());
  }
  file.commit();
}

}  // namespace albert::io
