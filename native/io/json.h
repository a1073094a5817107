// A minimal, strict JSON value, parser and serializer, written for safetensors headers (the
// core has no third-party JSON library). Design:
// - Value is a tagged union (std::variant) of null, bool, int64, double, string, array and
//   object. Objects keep their members in document order (a vector of pairs): safetensors
//   headers are written in a chosen order, and lookup over a handful of keys is cheap linearly.
// - A number written without fraction or exponent that fits int64 is an integer; every other
//   number is a double. as_int64() on a double throws instead of truncating 1.5 to 1.
// - parse() follows RFC 8259 strictly: no comments, trailing commas, leading zeros, NaN or
//   Infinity, unescaped control characters, invalid UTF-8, unpaired surrogates or duplicate
//   object keys; nesting is capped (kMaxDepth) so a hostile input cannot exhaust the stack.
//   \uXXXX escapes (surrogate pairs included) become UTF-8. A ParseError carries the byte offset.
// - serialize() writes compact JSON (no whitespace), escaping only what JSON requires;
//   non-ASCII text is written as UTF-8. It rejects what JSON cannot hold (invalid UTF-8,
//   NaN, infinities) rather than write a file no reader accepts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace albert::io::json {

class Value;
using Array = std::vector<Value>;
using Object = std::vector<std::pair<std::string, Value>>;  // members in document order

// A value of another kind than the one asked for, or one that cannot be serialized.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Input that is not JSON. what() is "<reason> at byte <offset>".
class ParseError : public Error {
 public:
  ParseError(std::size_t offset, std::string reason);
  std::size_t offset() const noexcept { return offset_; }  // byte offset into the parsed text
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::size_t offset_;
  std::string reason_;
};

class Value {
 public:
  enum class Kind { kNull, kBool, kInteger, kDouble, kString, kArray, kObject };

  Value() = default;  // null
  static Value from_bool(bool value);
  static Value from_int64(std::int64_t value);
  static Value from_double(double value);
  static Value from_string(std::string value);
  static Value from_array(Array value);
  static Value from_object(Object value);

  Kind kind() const noexcept { return static_cast<Kind>(data_.index()); }
  bool is_null() const noexcept { return kind() == Kind::kNull; }
  bool is_bool() const noexcept { return kind() == Kind::kBool; }
  bool is_integer() const noexcept { return kind() == Kind::kInteger; }
  bool is_number() const noexcept { return is_integer() || kind() == Kind::kDouble; }
  bool is_string() const noexcept { return kind() == Kind::kString; }
  bool is_array() const noexcept { return kind() == Kind::kArray; }
  bool is_object() const noexcept { return kind() == Kind::kObject; }

  // Each throws json::Error naming the expected kind and the value found.
  bool as_bool() const;
  std::int64_t as_int64() const;  // integers only
  double as_double() const;       // any number
  const std::string& as_string() const;
  const Array& as_array() const;
  const Object& as_object() const;

  // The member named `key` of an object, or nullptr when absent. Throws when not an object.
  const Value* find(std::string_view key) const;

 private:
  // Alternatives in the order of Kind.
  std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, Array, Object> data_;
};

inline constexpr int kMaxDepth = 64;  // arrays and objects nested deeper are a ParseError

// Parses one JSON value; only whitespace may follow it. Throws ParseError.
Value parse(std::string_view text);

// Compact JSON text. Throws json::Error for invalid UTF-8 in a string or a non-finite double.
std::string serialize(const Value& value);

// serialize(value) cut to about max_bytes with "..." appended: for error messages.
std::string summarize(const Value& value, std::size_t max_bytes = 60);

}  // namespace albert::io::json
