#pragma once

// Standard base64 (RFC 4648 §4: alphabet A-Z a-z 0-9 + /, '=' padding, no line breaks), the
// form HdrHistogram's tools use for compressed histograms.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace poolbench::metrics {

/// Encodes `bytes` as padded base64 without line breaks.
std::string base64_encode(std::span<const std::uint8_t> bytes);

/// Decodes padded base64. Leading and trailing ASCII whitespace is ignored (as
/// hdr-histogram-js's `trim()`); anything else outside the alphabet, a length that is not a
/// multiple of 4, or misplaced '=' throws poolbench::InputError naming the offset.
/// Non-zero bits in the unused tail of the last character are accepted (RFC 4648 §3.5 leaves
/// that to the decoder). Reads only within `text`.
std::vector<std::uint8_t> base64_decode(std::string_view text);

}  // namespace poolbench::metrics
