// Reading safetensors files (the format is described in safetensors.h). The file is opened
// once. The 8-byte length and the JSON header are read, and every entry is checked (dtype,
// shape, offsets, byte count) before any tensor is allocated. The entries are then sorted by
// data offset, so truncation, overlaps, holes and trailing bytes all show up in one walk over
// the data section. Each tensor is allocated with at::empty (it owns its memory) and filled
// straight from the file with pread: the file is never held twice.
// A file whose content is wrong is ERR_SAFETENSORS, a file system failure ERR_IO; every
// message starts with the file path and names the tensor key or byte offset.
#include "io/safetensors_format.h"

namespace albert::io {
namespace {

using namespace safetensors_detail;

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

}  // namespace albert::io
