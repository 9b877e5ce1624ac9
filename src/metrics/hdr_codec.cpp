#include "metrics/hdr_codec.hpp"

#include <algorithm>
#include <bit>
#include <limits>
#include <memory>
#include <span>

#include <fmt/format.h>
#include <zlib.h>

#include "metrics/base64.hpp"
#include "util/error.hpp"

namespace poolbench::metrics {

namespace {

constexpr std::uint32_t k_cookie_base_mask = ~std::uint32_t{0xf0};
constexpr std::uint32_t k_v2_base = 0x1c849303;
constexpr std::uint32_t k_v2_compressed_base = 0x1c849304;
constexpr std::size_t k_max_leb128_bytes = 9;

[[noreturn]] void fail(const std::string& what) {
  throw InputError("HdrHistogram V2: " + what);
}

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(value >> shift));
  }
}

void put_u64(std::vector<std::uint8_t>& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(value >> shift));
  }
}

std::uint32_t get_u32(std::span<const std::uint8_t> bytes, std::size_t offset) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    value = (value << 8) | bytes[offset + i];
  }
  return value;
}

std::uint64_t get_u64(std::span<const std::uint8_t> bytes, std::size_t offset) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    value = (value << 8) | bytes[offset + i];
  }
  return value;
}

// ZigZag, then LEB128 with 7 bits per byte for the first 8 bytes and all 8 bits of a 9th.
void put_zigzag(std::vector<std::uint8_t>& out, std::int64_t signed_value) {
  std::uint64_t value = (static_cast<std::uint64_t>(signed_value) << 1) ^
                        static_cast<std::uint64_t>(signed_value >> 63);
  for (std::size_t i = 0; i + 1 < k_max_leb128_bytes; ++i) {
    if (value < 0x80) {
      out.push_back(static_cast<std::uint8_t>(value));
      return;
    }
    out.push_back(static_cast<std::uint8_t>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

// Reads one value at `pos` (advanced past it); throws if the payload ends inside it.
std::int64_t get_zigzag(std::span<const std::uint8_t> payload, std::size_t& pos) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < k_max_leb128_bytes; ++i) {
    if (pos >= payload.size()) {
      fail(fmt::format("payload ends inside a LEB128 value (at byte {} of {})", pos,
                       payload.size()));
    }
    const std::uint8_t byte = payload[pos++];
    if (i + 1 == k_max_leb128_bytes) {
      value |= std::uint64_t{byte} << 56;
      break;
    }
    value |= std::uint64_t{byte & 0x7fu} << (7 * i);
    if ((byte & 0x80) == 0) {
      break;
    }
  }
  return static_cast<std::int64_t>((value >> 1) ^ (~(value & 1) + 1));
}

struct Header {
  HdrConfig config;
  std::size_t payload_bytes = 0;
  std::size_t counts_len = 0;
};

std::string describe_cookie(std::uint32_t cookie) {
  const std::uint32_t base = cookie & k_cookie_base_mask;
  if (base == 0x1c849301 || base == 0x1c849302 || base == 0x1c849308 || base == 0x1c849309) {
    return fmt::format("cookie {:#010x} is an older (V0/V1) encoding; only V2 is supported",
                       cookie);
  }
  return fmt::format(
      "cookie {:#010x} is not an HdrHistogram V2 cookie (expected {:#010x} or "
      "{:#010x})",
      cookie, k_hdr_v2_compressed_cookie, k_hdr_v2_cookie);
}

// Validates the 40-byte header and every length it announces.
Header parse_header(std::span<const std::uint8_t> bytes) {
  const std::uint32_t cookie = get_u32(bytes, 0);
  if ((cookie & k_cookie_base_mask) != k_v2_base) {
    fail("header " + describe_cookie(cookie));
  }
  const auto payload_bytes = static_cast<std::int32_t>(get_u32(bytes, 4));
  // Bytes 8..11 (normalizingIndexOffset) and 32..39 (conversion ratio) are ignored: see
  // decode_hdr_v2 in the header.
  Header header;
  header.config.significant_digits = static_cast<std::int32_t>(get_u32(bytes, 12));
  header.config.lowest_discernible_value_us = static_cast<std::int64_t>(get_u64(bytes, 16));
  header.config.highest_trackable_value_us = static_cast<std::int64_t>(get_u64(bytes, 24));
  if (const std::string problem = hdr_config_problem(header.config); !problem.empty()) {
    fail("header: " + problem);
  }
  header.counts_len = hdr_counts_len(header.config);
  if (header.counts_len > k_max_decoded_counts_len) {
    fail(fmt::format("header: geometry of {} counts is larger than the {} this decoder accepts",
                     header.counts_len, k_max_decoded_counts_len));
  }
  if (payload_bytes < 0) {
    fail(fmt::format("header: negative payload length {}", payload_bytes));
  }
  header.payload_bytes = static_cast<std::size_t>(payload_bytes);
  if (header.payload_bytes > header.counts_len * k_max_leb128_bytes) {
    fail(fmt::format("header: payload of {} bytes is longer than {} counts can encode",
                     header.payload_bytes, header.counts_len));
  }
  return header;
}

// Validates the whole payload before allocating the histogram, so garbage never costs
// more than the payload's own size.
HdrHistogram decode_payload(const Header& header, std::span<const std::uint8_t> payload) {
  struct Entry {
    std::size_t index;
    std::int64_t count;
  };
  std::vector<Entry> entries;
  const std::size_t counts_len = header.counts_len;
  std::size_t index = 0;
  std::size_t pos = 0;
  std::int64_t total = 0;
  while (pos < payload.size()) {
    const std::size_t value_offset = pos;
    const std::int64_t value = get_zigzag(payload, pos);
    if (value < 0) {
      const std::uint64_t zeros = ~static_cast<std::uint64_t>(value) + 1;  // no overflow
      if (zeros > counts_len - index) {
        fail(
            fmt::format("payload byte {}: a run of {} empty counts at index {} goes past the "
                        "{} counts of the geometry",
                        value_offset, zeros, index, counts_len));
      }
      index += static_cast<std::size_t>(zeros);
      continue;
    }
    if (index >= counts_len) {
      fail(
          fmt::format("payload byte {}: count for index {} is past the {} counts of the "
                      "geometry",
                      value_offset, index, counts_len));
    }
    if (__builtin_add_overflow(total, value, &total)) {
      fail(fmt::format("payload byte {}: the counts add up to more than 2^63 - 1", value_offset));
    }
    if (value > 0) {
      entries.push_back({index, value});
    }
    ++index;
  }
  HdrHistogram histogram(header.config);
  for (const Entry& entry : entries) {
    histogram.add_at_index(entry.index, entry.count);
  }
  return histogram;
}

// RAII owner of a zlib inflate stream.
class Inflater {
 public:
  Inflater() {
    if (inflateInit(&m_stream) != Z_OK) {
      throw RuntimeFailure("zlib: inflateInit failed");
    }
  }
  ~Inflater() { inflateEnd(&m_stream); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  z_stream& stream() { return m_stream; }

 private:
  z_stream m_stream{};
};

/// How much of a zlib stream inflate_bounded() reads.
enum class InflateExtent {
  prefix,  ///< the first `max_bytes` bytes (or all, if the stream is shorter)
  whole,   ///< the whole stream: it must end within `max_bytes` and consume all of its input
};

// Inflates `input` into at most `max_bytes`: its prefix, or the whole stream (InflateExtent).
// The output grows with what the stream really produces, so a header announcing a huge
// payload costs nothing unless the stream delivers it.
std::vector<std::uint8_t> inflate_bounded(std::span<const std::uint8_t> input,
                                          std::size_t max_bytes, InflateExtent extent) {
  const bool whole = extent == InflateExtent::whole;
  constexpr std::size_t k_initial_bytes = 64 * 1024;
  Inflater inflater;
  z_stream& stream = inflater.stream();
  const std::size_t limit = max_bytes + (whole ? 1 : 0);  // one more byte detects "too long"
  std::vector<std::uint8_t> out(std::min(limit, k_initial_bytes));
  // zlib never writes through next_in; its API is not const-correct.
  stream.next_in = const_cast<Bytef*>(input.data());
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  for (;;) {
    const int rc = inflate(&stream, Z_NO_FLUSH);
    const std::size_t produced = out.size() - stream.avail_out;
    if (rc == Z_STREAM_END) {
      if (whole && stream.avail_in != 0) {
        fail(fmt::format("{} bytes follow the end of the zlib stream", stream.avail_in));
      }
      out.resize(produced);
      return out;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      fail(fmt::format("zlib stream is corrupt ({})",
                       stream.msg != nullptr ? stream.msg : zError(rc)));
    }
    if (stream.avail_out == 0) {
      if (out.size() == limit) {
        if (!whole) {
          return out;
        }
        fail(fmt::format("zlib stream inflates to more than the {} bytes the header announces",
                         max_bytes));
      }
      out.resize(std::min(limit, out.size() * 2));
      stream.next_out = out.data() + produced;
      stream.avail_out = static_cast<uInt>(out.size() - produced);
    } else if (stream.avail_in == 0 || rc == Z_BUF_ERROR) {
      fail(fmt::format("zlib stream is truncated (inflated {} bytes, then the input ended)",
                       produced));
    }
  }
}

}  // namespace

std::vector<std::uint8_t> encode_hdr_v2(const HdrHistogram& histogram) {
  std::vector<std::uint8_t> payload;
  const std::span<const std::int64_t> counts = histogram.counts();
  const std::size_t limit = histogram.index_of(histogram.max_us()) + 1;
  std::size_t index = 0;
  while (index < limit) {
    const std::int64_t count = counts[index++];
    if (count != 0) {
      put_zigzag(payload, count);
      continue;
    }
    std::int64_t zeros = 1;
    while (index < limit && counts[index] == 0) {
      ++zeros;
      ++index;
    }
    put_zigzag(payload, zeros > 1 ? -zeros : 0);
  }
  const HdrConfig& config = histogram.config();
  std::vector<std::uint8_t> blob;
  blob.reserve(k_hdr_v2_header_bytes + payload.size());
  put_u32(blob, k_hdr_v2_cookie);
  put_u32(blob, static_cast<std::uint32_t>(payload.size()));
  put_u32(blob, 0);  // normalizingIndexOffset
  put_u32(blob, static_cast<std::uint32_t>(config.significant_digits));
  put_u64(blob, static_cast<std::uint64_t>(config.lowest_discernible_value_us));
  put_u64(blob, static_cast<std::uint64_t>(config.highest_trackable_value_us));
  put_u64(blob, std::bit_cast<std::uint64_t>(1.0));  // integerToDoubleValueConversionRatio
  blob.insert(blob.end(), payload.begin(), payload.end());
  return blob;
}

namespace {

/// zlib's fastest level, its 32 KiB window and a smaller hash table (memLevel 5: 4,096
/// entries instead of compress2()'s 32,768). A blob is a few KiB, and each second's histogram
/// is compressed on a load generator thread: compress2() (default level, a 64 KiB table to
/// zero) took about twice the instructions for output ~4% smaller.
constexpr int k_zlib_level = Z_BEST_SPEED;
constexpr int k_zlib_window_bits = 15;
constexpr int k_zlib_mem_level = 5;

/// Frees a z_stream set up by deflateInit2.
struct StreamEnd {
  void operator()(z_stream* stream) const noexcept { deflateEnd(stream); }
};

/// `input` deflated as one zlib stream, after `prefix_bytes` zero bytes.
std::vector<std::uint8_t> deflated(std::span<const std::uint8_t> input, std::size_t prefix_bytes) {
  z_stream stream{};
  int rc = deflateInit2(&stream, k_zlib_level, Z_DEFLATED, k_zlib_window_bits, k_zlib_mem_level,
                        Z_DEFAULT_STRATEGY);
  if (rc != Z_OK) throw RuntimeFailure(fmt::format("zlib: deflateInit2 failed ({})", zError(rc)));
  const std::unique_ptr<z_stream, StreamEnd> ending(&stream);
  std::vector<std::uint8_t> out(prefix_bytes +
                                deflateBound(&stream, static_cast<uLong>(input.size())));
  // zlib never writes through next_in; its API is not const-correct.
  stream.next_in = const_cast<Bytef*>(input.data());
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = out.data() + prefix_bytes;
  stream.avail_out = static_cast<uInt>(out.size() - prefix_bytes);
  rc = deflate(&stream, Z_FINISH);  // deflateBound() bytes of room: one call ends the stream
  out.resize(prefix_bytes + stream.total_out);
  if (rc != Z_STREAM_END) {
    throw RuntimeFailure(fmt::format("zlib: deflate failed ({})", zError(rc)));
  }
  return out;
}

}  // namespace

std::vector<std::uint8_t> encode_hdr_v2_compressed(const HdrHistogram& histogram) {
  const std::vector<std::uint8_t> blob = encode_hdr_v2(histogram);
  constexpr std::size_t k_prefix_bytes = 8;  // cookie and length
  std::vector<std::uint8_t> out = deflated(blob, k_prefix_bytes);
  const std::size_t compressed_size = out.size() - k_prefix_bytes;
  std::vector<std::uint8_t> prefix;
  put_u32(prefix, k_hdr_v2_compressed_cookie);
  put_u32(prefix, static_cast<std::uint32_t>(compressed_size));
  std::copy(prefix.begin(), prefix.end(), out.begin());
  return out;
}

std::string encode_hdr_v2_base64(const HdrHistogram& histogram) {
  return base64_encode(encode_hdr_v2_compressed(histogram));
}

HdrHistogram decode_hdr_v2(std::span<const std::uint8_t> blob) {
  if (blob.size() < k_hdr_v2_header_bytes) {
    fail(fmt::format("{} bytes, shorter than the {}-byte header", blob.size(),
                     k_hdr_v2_header_bytes));
  }
  const Header header = parse_header(blob.first(k_hdr_v2_header_bytes));
  const std::size_t payload_bytes = blob.size() - k_hdr_v2_header_bytes;
  if (payload_bytes != header.payload_bytes) {
    fail(fmt::format("header announces a payload of {} bytes, {} follow", header.payload_bytes,
                     payload_bytes));
  }
  return decode_payload(header, blob.subspan(k_hdr_v2_header_bytes));
}

HdrHistogram decode_hdr_v2_compressed(std::span<const std::uint8_t> blob) {
  if (blob.size() < 8) {
    fail(fmt::format("{} bytes, shorter than the 8-byte compressed header", blob.size()));
  }
  const std::uint32_t cookie = get_u32(blob, 0);
  if ((cookie & k_cookie_base_mask) == k_v2_base) {
    return decode_hdr_v2(blob);
  }
  if ((cookie & k_cookie_base_mask) != k_v2_compressed_base) {
    fail(describe_cookie(cookie));
  }
  const auto compressed_bytes = static_cast<std::int32_t>(get_u32(blob, 4));
  const std::span<const std::uint8_t> zlib_stream = blob.subspan(8);
  if (compressed_bytes < 0 || static_cast<std::size_t>(compressed_bytes) != zlib_stream.size()) {
    fail(fmt::format("compressed length field says {} bytes, {} follow", compressed_bytes,
                     zlib_stream.size()));
  }
  const std::vector<std::uint8_t> header_bytes =
      inflate_bounded(zlib_stream, k_hdr_v2_header_bytes, InflateExtent::prefix);
  if (header_bytes.size() < k_hdr_v2_header_bytes) {
    fail(fmt::format("zlib stream inflates to {} bytes, shorter than the {}-byte header",
                     header_bytes.size(), k_hdr_v2_header_bytes));
  }
  const Header header = parse_header(header_bytes);
  const std::size_t expected = k_hdr_v2_header_bytes + header.payload_bytes;
  const std::vector<std::uint8_t> bytes =
      inflate_bounded(zlib_stream, expected, InflateExtent::whole);
  if (bytes.size() != expected) {
    fail(fmt::format("zlib stream inflates to {} bytes, the header announces {}", bytes.size(),
                     expected));
  }
  return decode_payload(header, std::span(bytes).subspan(k_hdr_v2_header_bytes));
}

HdrHistogram decode_hdr_v2_base64(std::string_view text) {
  return decode_hdr_v2_compressed(base64_decode(text));
}

}  // namespace poolbench::metrics
