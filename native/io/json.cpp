// The JSON value and serializer declared in json.h (the parser is json_parse.cpp).
#include "io/json.h"
#include "io/utf8.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace albert::io::json {

// ---- Value -------------------------------------------------------------------------------

Value Value::from_bool(bool value) {
  Value result;
  result.data_ = value;
  return result;
}

Value Value::from_int64(std::int64_t value) {
  Value result;
  result.data_ = value;
  return result;
}

Value Value::from_double(double value) {
  Value result;
  result.data_ = value;
  return result;
}

Value Value::from_string(std::string value) {
  Value result;
  result.data_ = std::move(value);
  return result;
}

Value Value::from_array(Array value) {
  Value result;
  result.data_ = std::move(value);
  return result;
}

Value Value::from_object(Object value) {
  Value result;
  result.data_ = std::move(value);
  return result;
}

namespace {

[[noreturn]] void fail_kind(const char* expected, const Value& found) {
  throw Error(std::string("expected ") + expected + ", found " + summarize(found));
}

}  // namespace

bool Value::as_bool() const {
  if (!is_bool()) fail_kind("a boolean", *this);
  return std::get<bool>(data_);
}

std::int64_t Value::as_int64() const {
  if (!is_integer()) fail_kind("an integer", *this);
  return std::get<std::int64_t>(data_);
}

double Value::as_double() const {
  if (is_integer()) return static_cast<double>(std::get<std::int64_t>(data_));
  if (!is_number()) fail_kind("a number", *this);
  return std::get<double>(data_);
}

const std::string& Value::as_string() const {
  if (!is_string()) fail_kind("a string", *this);
  return std::get<std::string>(data_);
}

const Array& Value::as_array() const {
  if (!is_array()) fail_kind("an array", *this);
  return std::get<Array>(data_);
}

const Object& Value::as_object() const {
  if (!is_object()) fail_kind("an object", *this);
  return std::get<Object>(data_);
}

const Value* Value::find(std::string_view key) const {
  for (const auto& [name, value] : as_object()) {
    if (name == key) return &value;
  }
  return nullptr;
}

namespace {

// ---- serializer ---------------------------------------------------------------------------

void write_string(const std::string& text, std::string& out) {
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04X", c);
          out += escape;
        } else {
          const std::size_t length = utf8_sequence_length(text, i);
          if (length == 0) {
            throw Error("cannot serialize a string with invalid UTF-8 at byte " + std::to_string(i));
          }
          out.append(text, i, length);
          i += length;
          continue;
        }
    }
    ++i;
  }
  out += '"';
}

void write_value(const Value& value, std::string& out) {
  switch (value.kind()) {
    case Value::Kind::kNull: out += "null"; return;
    case Value::Kind::kBool: out += value.as_bool() ? "true" : "false"; return;
    case Value::Kind::kInteger: out += std::to_string(value.as_int64()); return;
    case Value::Kind::kDouble: {
      const double number = value.as_double();
      if (!std::isfinite(number)) throw Error("cannot serialize a non-finite number in JSON");
      char digits[32];
      const auto end = std::to_chars(digits, digits + sizeof digits, number).ptr;  // shortest round trip
      const std::string_view text(digits, static_cast<std::size_t>(end - digits));
      out += text;
      // "2" would read back as an integer; keep the kind.
      if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
      return;
    }
    case Value::Kind::kString: write_string(value.as_string(), out); return;
    case Value::Kind::kArray: {
      out += '[';
      bool first = true;
      for (const Value& element : value.as_array()) {
        if (!first) out += ',';
        first = false;
        write_value(element, out);
      }
      out += ']';
      return;
    }
    case Value::Kind::kObject: {
      out += '{';
      bool first = true;
      for (const auto& [key, member] : value.as_object()) {
        if (!first) out += ',';
        first = false;
        write_string(key, out);
        out += ':';
        write_value(member, out);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string serialize(const Value& value) {
  std::string out;
  write_value(value, out);
  return out;
}

std::string summarize(const Value& value, std::size_t max_bytes) {
  std::string text = serialize(value);
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not mid-character
  text.resize(cut);
  return text + "...";
}

}  // namespace albert::io::json