// Well-formed UTF-8 (Unicode 15, table 3-7), shared by the JSON parser and serializer.
#pragma once

#include <cstddef>
#include <string_view>

namespace albert::io {

// Length of the well-formed UTF-8 sequence starting at text[pos], or 0 when it is not one
// (overlong forms, surrogates and code points past U+10FFFF are not well formed).
inline std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
  // Unicode 15, table 3-7 (well-formed UTF-8 byte sequences).
  auto byte = [&](std::size_t i) -> int {
    return pos + i < text.size() ? static_cast<unsigned char>(text[pos + i]) : -1;
  };
  auto in = [](int b, int lo, int hi) { return b >= lo && b <= hi; };
  const int b0 = byte(0);
  if (in(b0, 0x00, 0x7F)) return 1;
  if (in(b0, 0xC2, 0xDF)) return in(byte(1), 0x80, 0xBF) ? 2 : 0;
  if (in(b0, 0xE0, 0xEF)) {
    const int lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const int hi = b0 == 0xED ? 0x9F : 0xBF;  // ED A0..BF would encode a surrogate
    return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) ? 3 : 0;
  }
  if (in(b0, 0xF0, 0xF4)) {
    const int lo = b0 == 0xF0 ? 0x90 : 0x80;
    const int hi = b0 == 0xF4 ? 0x8F : 0xBF;  // F4 90.. would be past U+10FFFF
    return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) && in(byte(3), 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

}  // namespace albert::io
