// Writing safetensors files (the format is described in safetensors.h). The header is built from
// shapes and dtypes alone, then one tensor at a time is moved to the CPU, contiguous, and
// written, so a GPU model is never copied to the host all at once. The bytes go to
// `<path>.tmp-<pid>-<random>` in the same folder, are fsync'd and renamed over `path`; a
// failure at any step removes the temporary file (TemporaryFile's destructor).
#include "io/safetensors_format.h"

namespace albert::io {
namespace {

using namespace safetensors_detail;

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
