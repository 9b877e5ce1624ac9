#pragma once

// HdrHistogram's V2 serialization ("HISTF..." strings), docs/references.md §3:
//   compressed blob = int32 cookie 0x1c849314, int32 length, zlib stream (RFC 1950) of the
//   uncompressed blob;
//   uncompressed blob = 40-byte big-endian header (int32 cookie 0x1c849313, int32 payload
//   bytes, int32 normalizingIndexOffset, int32 significant digits, int64 lowest discernible
//   value, int64 highest trackable value, float64 integerToDoubleValueConversionRatio)
//   followed by the payload: the counts of indices 0..index(max) as ZigZag LEB128 (at most
//   9 bytes each), a run of k >= 2 empty counts written as -k (Java's form; a lone empty
//   count is written as 0; decoders also accept -1).
// The base64 form is standard padded base64 of the compressed blob. These strings are what
// results.json stores under `histograms` and what HdrHistogram's tools (Java, C, JS and
// the HdrHistogram plotter) read.
//
// Decoding is for untrusted input: every length is bounded before it is used, nothing is
// read outside the given bytes, memory is bounded by k_max_decoded_counts_len, and every
// malformed input throws poolbench::InputError with a message saying what is wrong.
// Thread safety: all functions are reentrant (no shared state).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/hdr_histogram.hpp"

namespace poolbench::metrics {

inline constexpr std::uint32_t k_hdr_v2_cookie = 0x1c849313;
inline constexpr std::uint32_t k_hdr_v2_compressed_cookie = 0x1c849314;
inline constexpr std::size_t k_hdr_v2_header_bytes = 40;

/// Largest geometry a decoder accepts, in counts (32 MiB of int64): enough for 5
/// significant digits up to 2^48 and 3 digits over the whole int64 range; bigger headers
/// are rejected rather than allocated.
inline constexpr std::size_t k_max_decoded_counts_len = std::size_t{1} << 22;

/// The uncompressed V2 blob (header + payload).
std::vector<std::uint8_t> encode_hdr_v2(const HdrHistogram& histogram);
/// The compressed V2 blob (zlib, fastest level: each second's histogram is compressed on a
/// load generator thread).
std::vector<std::uint8_t> encode_hdr_v2_compressed(const HdrHistogram& histogram);
/// Base64 of the compressed V2 blob: "HISTF..." (no line breaks).
std::string encode_hdr_v2_base64(const HdrHistogram& histogram);

/// Decodes an uncompressed V2 blob (no trailing bytes allowed). The result has the header's
/// geometry and the blob's counts; min/max come from the counts (bucket bounds), the
/// saturated/negative counters are 0. The header's normalizingIndexOffset and conversion
/// ratio are read but ignored, as hdr-histogram-js does (it writes 1 and the int64 1 there
/// itself): they only matter for shifted or double histograms, which poolbench never makes.
HdrHistogram decode_hdr_v2(std::span<const std::uint8_t> blob);
/// Decodes a compressed V2 blob (or, if its cookie says so, an uncompressed one). The zlib
/// stream must end exactly at the end of the blob and inflate to exactly header + payload.
HdrHistogram decode_hdr_v2_compressed(std::span<const std::uint8_t> blob);
/// Decodes the base64 form produced by encode_hdr_v2_base64 or by HdrHistogram's tools
/// (surrounding whitespace ignored).
HdrHistogram decode_hdr_v2_base64(std::string_view text);

}  // namespace poolbench::metrics
