#include "metrics/base64.hpp"

#include <array>

#include <fmt/format.h>

#include "util/error.hpp"

namespace poolbench::metrics {

namespace {

constexpr std::string_view k_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t k_invalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  table.fill(k_invalid);
  for (std::size_t i = 0; i < k_alphabet.size(); ++i) {
    table[static_cast<unsigned char>(k_alphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

constexpr std::array<std::uint8_t, 256> k_decode_table = make_decode_table();

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t triple =
        (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += k_alphabet[(triple >> 18) & 0x3f];
    out += k_alphabet[(triple >> 12) & 0x3f];
    out += k_alphabet[(triple >> 6) & 0x3f];
    out += k_alphabet[triple & 0x3f];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t triple = std::uint32_t{bytes[i]} << 16;
    if (rest == 2) {
      triple |= std::uint32_t{bytes[i + 1]} << 8;
    }
    out += k_alphabet[(triple >> 18) & 0x3f];
    out += k_alphabet[(triple >> 12) & 0x3f];
    out += rest == 2 ? k_alphabet[(triple >> 6) & 0x3f] : '=';
    out += '=';
  }
  return out;
}

std::vector<std::uint8_t> base64_decode(std::string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_ascii_space(text[begin])) {
    ++begin;
  }
  while (end > begin && is_ascii_space(text[end - 1])) {
    --end;
  }
  const std::string_view body = text.substr(begin, end - begin);
  if (body.size() % 4 != 0) {
    throw InputError(
        fmt::format("base64: length {} is not a multiple of 4 (truncated?)", body.size()));
  }
  std::size_t padding = 0;
  if (!body.empty() && body.back() == '=') {
    padding = body[body.size() - 2] == '=' ? 2 : 1;
  }
  std::vector<std::uint8_t> out;
  out.reserve(body.size() / 4 * 3);
  for (std::size_t i = 0; i < body.size(); i += 4) {
    const bool last_group = i + 4 == body.size();
    const std::size_t data_chars = last_group ? 4 - padding : 4;
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = body[i + j];
      std::uint8_t sextet = 0;
      if (j < data_chars) {
        sextet = k_decode_table[static_cast<unsigned char>(c)];
        if (sextet == k_invalid) {
          throw InputError(fmt::format("base64: invalid character {:?} at offset {}",
                                       std::string(1, c), begin + i + j));
        }
      }
      group = (group << 6) | sextet;
    }
    out.push_back(static_cast<std::uint8_t>(group >> 16));
    if (data_chars >= 3) {
      out.push_back(static_cast<std::uint8_t>((group >> 8) & 0xff));
    }
    if (data_chars == 4) {
      out.push_back(static_cast<std::uint8_t>(group & 0xff));
    }
  }
  return out;
}

}  // namespace poolbench::metrics
