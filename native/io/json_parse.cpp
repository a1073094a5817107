// The JSON parser declared in json.h: a recursive descent over a string_view with one cursor;
// each grammar rule is one method, and every failure goes through fail(), which throws a
// ParseError at the cursor (or at a given offset).
#include "io/json.h"
#include "io/utf8.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_set>

namespace albert::io::json {

ParseError::ParseError(std::size_t offset, std::string reason)
    : Error(reason + " at byte " + std::to_string(offset)), offset_(offset), reason_(std::move(reason)) {}

namespace {

void append_utf8(std::uint32_t code_point, std::string& out) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Value parse_document() {
    Value value = parse_value(0);
    skip_whitespace();
    if (pos_ != text_.size()) fail("unexpected " + describe_next() + " after the JSON value");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& reason) const { fail_at(pos_, reason); }
  [[noreturn]] void fail_at(std::size_t offset, const std::string& reason) const {
    throw ParseError(offset, reason);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  // "end of input", "'x'" or "byte 0x07", for messages.
  std::string describe_next() const {
    if (at_end()) return "end of input";
    const auto c = static_cast<unsigned char>(peek());
    if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
    char hex[16];
    std::snprintf(hex, sizeof hex, "byte 0x%02X", c);
    return hex;
  }

  void skip_whitespace() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
  }

  void expect(char c, const char* context) {
    if (at_end() || peek() != c) fail(std::string("expected '") + c + "' " + context + ", found " + describe_next());
    ++pos_;
  }

  Value parse_value(int depth) {
    skip_whitespace();
    if (at_end()) fail("unexpected end of input, expected a value");
    switch (peek()) {
      case '{': return parse_object(depth + 1);
      case '[': return parse_array(depth + 1);
      case '"': return Value::from_string(parse_string());
      case 't': return parse_literal("true", Value::from_bool(true));
      case 'f': return parse_literal("false", Value::from_bool(false));
      case 'n': return parse_literal("null", Value());
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return parse_number();
        fail("unexpected " + describe_next() + ", expected a value");
    }
  }

  void check_depth(int depth) const {
    if (depth > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
  }

  Value parse_object(int depth) {
    check_depth(depth);
    ++pos_;  // '{'
    Object members;
    std::unordered_set<std::string> keys;
    skip_whitespace();
    if (!at_end() && peek() == '}') {
      ++pos_;
      return Value::from_object(std::move(members));
    }
    while (true) {
      skip_whitespace();
      if (at_end() || peek() != '"') fail("expected a string key, found " + describe_next());
      const std::size_t key_offset = pos_;
      std::string key = parse_string();
      if (!keys.insert(key).second) fail_at(key_offset, "duplicate key " + serialize(Value::from_string(key)));
      skip_whitespace();
      expect(':', "after an object key");
      Value value = parse_value(depth);
      members.emplace_back(std::move(key), std::move(value));
      skip_whitespace();
      if (!at_end() && peek() == ',') {
        ++pos_;
        continue;
      }
      expect('}', "or ',' after an object member");
      return Value::from_object(std::move(members));
    }
  }

  Value parse_array(int depth) {
    check_depth(depth);
    ++pos_;  // '['
    Array elements;
    skip_whitespace();
    if (!at_end() && peek() == ']') {
      ++pos_;
      return Value::from_array(std::move(elements));
    }
    while (true) {
      elements.push_back(parse_value(depth));
      skip_whitespace();
      if (!at_end() && peek() == ',') {
        ++pos_;
        continue;
      }
      expect(']', "or ',' after an array element");
      return Value::from_array(std::move(elements));
    }
  }

  Value parse_literal(std::string_view word, Value value) {
    if (text_.substr(pos_, word.size()) != word) fail("unexpected " + describe_next() + ", expected a value");
    pos_ += word.size();
    return value;
  }

  void skip_digits() {
    while (!at_end() && peek() >= '0' && peek() <= '9') ++pos_;
  }

  void expect_digit(const char* context) {
    if (at_end() || peek() < '0' || peek() > '9') fail(std::string("expected a digit ") + context + ", found " + describe_next());
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  Value parse_number() {
    const std::size_t start = pos_;
    if (peek() == '-') ++pos_;
    expect_digit("in a number");
    if (peek() == '0') {
      ++pos_;
      if (!at_end() && peek() >= '0' && peek() <= '9') fail("leading zeros are not allowed in a number");
    } else {
      skip_digits();
    }
    bool integral = true;
    if (!at_end() && peek() == '.') {
      ++pos_;
      expect_digit("after the decimal point");
      skip_digits();
      integral = false;
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      ++pos_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
      expect_digit("in the exponent");
      skip_digits();
      integral = false;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (integral) {
      std::int64_t integer = 0;
      if (std::from_chars(first, last, integer).ec == std::errc()) return Value::from_int64(integer);
      // Out of int64 range: kept as a double, so as_int64() refuses it.
    }
    double number = 0;
    if (std::from_chars(first, last, number).ec != std::errc()) {
      fail_at(start, "number " + std::string(first, last) + " is out of the range of a double");
    }
    return Value::from_double(number);
  }

  std::uint32_t parse_hex4() {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      if (at_end()) fail("unexpected end of input in a \\u escape");
      const char c = peek();
      int digit;
      if (c >= '0' && c <= '9') digit = c - '0';
      else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
      else fail("expected a hex digit in a \\u escape, found " + describe_next());
      value = value * 16 + static_cast<std::uint32_t>(digit);
      ++pos_;
    }
    return value;
  }

  // After the backslash of a \u escape; a high surrogate must be followed by \u + low surrogate.
  std::uint32_t parse_unicode_escape(std::size_t escape_offset) {
    ++pos_;  // 'u'
    const std::uint32_t unit = parse_hex4();
    if (unit >= 0xDC00 && unit <= 0xDFFF) fail_at(escape_offset, "unpaired low surrogate in a \\u escape");
    if (unit < 0xD800 || unit > 0xDBFF) return unit;
    if (text_.substr(pos_, 2) != "\\u") fail_at(escape_offset, "unpaired high surrogate in a \\u escape");
    pos_ += 2;
    const std::uint32_t low = parse_hex4();
    if (low < 0xDC00 || low > 0xDFFF) fail_at(escape_offset, "unpaired high surrogate in a \\u escape");
    return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
  }

  std::string parse_string() {
    const std::size_t start = pos_;
    ++pos_;  // '"'
    std::string out;
    while (true) {
      if (at_end()) fail_at(start, "unterminated string");
      const auto c = static_cast<unsigned char>(peek());
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '\\') {
        const std::size_t escape_offset = pos_;
        ++pos_;
        if (at_end()) fail_at(start, "unterminated string");
        switch (peek()) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': append_utf8(parse_unicode_escape(escape_offset), out); continue;
          default: fail("invalid escape \\" + describe_next());
        }
        ++pos_;
      } else if (c < 0x20) {
        fail("unescaped control character (" + describe_next() + ") in a string");
      } else {
        const std::size_t length = utf8_sequence_length(text_, pos_);
        if (length == 0) fail("invalid UTF-8 (" + describe_next() + ") in a string");
        out.append(text_.substr(pos_, length));
        pos_ += length;
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

Value parse(std::string_view text) { return Parser(text).parse_document(); }

}  // namespace albert::io::json
