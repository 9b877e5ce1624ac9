#include "metrics/hdr_codec.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include "metrics/base64.hpp"
#include "util/error.hpp"

namespace poolbench::metrics {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Bytes = std::vector<std::uint8_t>;

HdrHistogram random_histogram(const HdrConfig& config, std::size_t n, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> dist(std::log(20'000.0), 2.0);
  HdrHistogram h(config);
  for (std::size_t i = 0; i < n; ++i) {
    h.record(static_cast<std::int64_t>(dist(rng)));
  }
  return h;
}

void expect_same_histogram(const HdrHistogram& decoded, const HdrHistogram& original) {
  EXPECT_TRUE(decoded.has_same_counts(original));
  EXPECT_EQ(decoded.config(), original.config());
  EXPECT_EQ(decoded.total_count(), original.total_count());
  EXPECT_EQ(decoded.min_us(), original.min_us());
  EXPECT_EQ(decoded.min_nonzero_us(), original.min_nonzero_us());
  EXPECT_EQ(decoded.max_us(), original.max_us());
  EXPECT_DOUBLE_EQ(decoded.mean_us(), original.mean_us());
  for (const double p : {0.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(decoded.value_at_percentile_us(p), original.value_at_percentile_us(p)) << p;
  }
}

// The 40-byte header as bytes, big-endian, for hand-built blobs.
Bytes header(std::uint32_t cookie, std::int32_t payload_bytes, std::int32_t digits,
             std::int64_t lowest, std::int64_t highest) {
  Bytes out;
  const auto put = [&out](std::uint64_t value, int bytes) {
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
      out.push_back(static_cast<std::uint8_t>(value >> shift));
    }
  };
  put(cookie, 4);
  put(static_cast<std::uint32_t>(payload_bytes), 4);
  put(0, 4);
  put(static_cast<std::uint32_t>(digits), 4);
  put(static_cast<std::uint64_t>(lowest), 8);
  put(static_cast<std::uint64_t>(highest), 8);
  put(0x3ff0000000000000, 8);
  return out;
}

Bytes with_payload(Bytes blob, const Bytes& payload) {
  blob.insert(blob.end(), payload.begin(), payload.end());
  return blob;
}

// Wraps any bytes in the compressed V2 envelope (cookie, length, zlib stream).
Bytes compressed(const Bytes& inner) {
  uLongf size = compressBound(static_cast<uLong>(inner.size()));
  Bytes z(size);
  EXPECT_EQ(compress2(z.data(), &size, inner.data(), static_cast<uLong>(inner.size()), 6), Z_OK);
  z.resize(size);
  Bytes out = {0x1c, 0x84, 0x93, 0x14};
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(size >> shift));
  }
  out.insert(out.end(), z.begin(), z.end());
  return out;
}

// Overwrites the compressed blob's length field.
void set_length(Bytes& blob, std::uint32_t length) {
  for (std::size_t i = 0; i < 4; ++i) {
    blob[4 + i] = static_cast<std::uint8_t>(length >> (24 - 8 * i));
  }
}

std::string decode_error(const Bytes& compressed_blob) {
  try {
    decode_hdr_v2_compressed(compressed_blob);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(decoded without error)";
}

std::string decode_base64_error(const std::string& text) {
  try {
    decode_hdr_v2_base64(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(decoded without error)";
}

TEST(HdrCodec, AnEmptyHistogramEncodesToTheKnownV2Bytes) {
  const Bytes expected = {
      0x1c, 0x84, 0x93, 0x13,                          // V2 cookie
      0x00, 0x00, 0x00, 0x01,                          // payload: 1 byte
      0x00, 0x00, 0x00, 0x00,                          // normalizingIndexOffset
      0x00, 0x00, 0x00, 0x03,                          // 3 significant digits
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // lowest 1
      0x00, 0x00, 0x00, 0x00, 0xd6, 0x93, 0xa4, 0x00,  // highest 3.6e9
      0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // ratio 1.0
      0x00,                                            // counts[0] = 0
  };
  EXPECT_THAT(encode_hdr_v2(HdrHistogram{}), ElementsAreArray(expected));
}

TEST(HdrCodec, ASingleValueEncodesAsAZeroRunAndACount) {
  HdrHistogram h;
  h.record(1000);
  const Bytes blob = encode_hdr_v2(h);
  ASSERT_EQ(blob.size(), 43u);
  EXPECT_EQ(blob[7], 3);  // payload length
  // -1000 (1000 empty counts) zigzags to 1999 = LEB128 cf 0f; the count 1 zigzags to 2.
  EXPECT_THAT(Bytes(blob.begin() + 40, blob.end()), ElementsAreArray({0xcf, 0x0f, 0x02}));
  EXPECT_THAT(encode_hdr_v2_base64(h), StartsWith("HISTF"));
}

TEST(HdrCodec, LargeCountsUseUpToNineBytes) {
  HdrHistogram h;
  h.record_n(0, std::int64_t{1} << 62);
  const Bytes blob = encode_hdr_v2(h);
  // zigzag(2^62) = 2^63: eight 7-bit groups of zero, then the 9th byte carries the top bit.
  EXPECT_THAT(Bytes(blob.begin() + 40, blob.end()),
              ElementsAreArray({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80}));
  expect_same_histogram(decode_hdr_v2(blob), h);
}

TEST(HdrCodec, RoundTripGivesIdenticalCounts) {
  for (const HdrConfig& config : {k_latency_config, HdrConfig{1000, 100'000'000'000, 2},
                                  HdrConfig{1, 1'000'000'000'000, 5}}) {
    const HdrHistogram original = random_histogram(config, 50'000, 5);
    expect_same_histogram(decode_hdr_v2_base64(encode_hdr_v2_base64(original)), original);
    expect_same_histogram(decode_hdr_v2(encode_hdr_v2(original)), original);
    expect_same_histogram(decode_hdr_v2_compressed(encode_hdr_v2(original)), original);
  }
}

TEST(HdrCodec, PayloadsLargerThanTheFirstInflateBufferRoundTrip) {
  HdrHistogram h({1, 1'000'000'000'000, 5});
  for (std::int64_t v = 3; v <= 300'000; v += 3) {  // 100,000 separate 1 µs buckets
    h.record(v);
  }
  ASSERT_GT(encode_hdr_v2(h).size(), 64u * 1024u);  // the decoder starts with 64 KiB
  expect_same_histogram(decode_hdr_v2_base64(encode_hdr_v2_base64(h)), h);
}

TEST(HdrCodec, EdgeHistogramsRoundTrip) {
  HdrHistogram empty;
  expect_same_histogram(decode_hdr_v2_base64(encode_hdr_v2_base64(empty)), empty);
  HdrHistogram zeros;
  zeros.record_n(0, 3);
  expect_same_histogram(decode_hdr_v2_base64(encode_hdr_v2_base64(zeros)), zeros);
  HdrHistogram extremes;
  extremes.record(1);
  extremes.record(4'000'000'000);  // saturated: decodes at 1 h; the counter is not encoded
  const HdrHistogram decoded = decode_hdr_v2_base64(encode_hdr_v2_base64(extremes));
  expect_same_histogram(decoded, extremes);
  EXPECT_EQ(decoded.saturated_count(), 0);
  HdrHistogram lone_zero_between;  // one empty count between two counts: written as 0
  lone_zero_between.record(10);
  lone_zero_between.record(12);
  expect_same_histogram(decode_hdr_v2(encode_hdr_v2(lone_zero_between)), lone_zero_between);
}

TEST(HdrCodec, DecodesHdrHistogramJsEncodings) {
  // Produced by hdr-histogram-js 3.0.1 (encodeIntoCompressedBase64; 1 .. 3.6e9, 3 digits).
  // JS writes normalizingIndexOffset 1 and the conversion ratio as the int64 1.
  const HdrHistogram single =
      decode_hdr_v2_base64("HISTFAAAACJ4nJNpmSzMwMDAzMDAwAilGaBshmuTlzDA+Of5mQBVdwQ9");
  EXPECT_EQ(single.config(), k_latency_config);
  EXPECT_EQ(single.total_count(), 1);
  EXPECT_EQ(single.min_nonzero_us(), 1000);
  EXPECT_EQ(single.max_us(), 1000);

  const HdrHistogram empty =
      decode_hdr_v2_base64("HISTFAAAAB54nJNpmSzMwMDACMXMDBAAYjNcm7yEAc4HAEvsA1s=");
  EXPECT_EQ(empty.total_count(), 0);
  EXPECT_EQ(empty.max_us(), 0);

  // 1..10000 µs once each plus 5 x 1e6 µs; JS reports p50 5003, p99 9911, p99.9 9999.
  const HdrHistogram spread = decode_hdr_v2_base64(
      "HISTFAAAAEZ4nO3HMQ2AMBQA0WvLQJiasKIQHTioBTQhARMshDSpCP696W472gr1BhJQ6L7maifjsyRJimaSFNYsKa"
      "z6e/nZlxdieFPf");
  HdrHistogram expected;
  for (std::int64_t v = 1; v <= 10'000; ++v) {
    expected.record(v);
  }
  expected.record_n(1'000'000, 5);
  EXPECT_TRUE(spread.has_same_counts(expected));
  EXPECT_EQ(spread.total_count(), 10'005);
  EXPECT_EQ(spread.value_at_percentile_us(50.0), 5003);
  EXPECT_EQ(spread.value_at_percentile_us(99.0), 9911);
  EXPECT_EQ(spread.value_at_percentile_us(99.9), 9999);
  EXPECT_EQ(spread.max_us(), 1'000'447);
}

TEST(HdrCodec, MalformedEnvelopesAreRejectedWithTheReason) {
  EXPECT_THAT(decode_base64_error(""), HasSubstr("0 bytes, shorter than the 8-byte"));
  EXPECT_THAT(decode_base64_error("HISTF"), HasSubstr("not a multiple of 4"));
  EXPECT_THAT(decode_base64_error("HIST*AAA"), HasSubstr("invalid character"));
  EXPECT_THAT(decode_error({0x1c, 0x84, 0x93, 0x12, 0, 0, 0, 0}), HasSubstr("older (V0/V1)"));
  EXPECT_THAT(decode_error({0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0}),
              HasSubstr("is not an HdrHistogram V2 cookie"));
  Bytes good = encode_hdr_v2_compressed(random_histogram(k_latency_config, 100, 1));
  const auto length = static_cast<std::uint32_t>(good.size() - 8);
  Bytes longer_length = good;
  set_length(longer_length, length + 1);
  EXPECT_THAT(decode_error(longer_length), HasSubstr("compressed length field says"));
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_THAT(decode_error(trailing), HasSubstr("compressed length field says"));
  Bytes trailing_in_stream = good;  // the length field covers a byte after the zlib stream
  trailing_in_stream.push_back(0);
  set_length(trailing_in_stream, length + 1);
  EXPECT_THAT(decode_error(trailing_in_stream), HasSubstr("follow the end of the zlib stream"));
  Bytes truncated(good.begin(), good.end() - 5);
  set_length(truncated, length - 5);
  EXPECT_THAT(decode_error(truncated), HasSubstr("truncated"));
  Bytes corrupt = good;
  corrupt[8] ^= 0xff;  // the zlib header byte
  EXPECT_THAT(decode_error(corrupt), HasSubstr("zlib stream is corrupt"));
  EXPECT_THAT(decode_error(compressed({1, 2, 3})), HasSubstr("shorter than the 40-byte header"));
}

TEST(HdrCodec, MalformedHeadersAreRejectedWithTheReason) {
  const auto blob = [](std::int32_t digits, std::int64_t lowest, std::int64_t highest) {
    return compressed(with_payload(header(k_hdr_v2_cookie, 1, digits, lowest, highest), {0}));
  };
  EXPECT_THAT(decode_error(blob(0, 1, 1000)), HasSubstr("significant digits must be 1..5"));
  EXPECT_THAT(decode_error(blob(6, 1, 1000)), HasSubstr("significant digits must be 1..5"));
  EXPECT_THAT(decode_error(blob(3, 0, 1000)), HasSubstr("lowest discernible value must be >= 1"));
  EXPECT_THAT(decode_error(blob(3, -7, 1000)), HasSubstr("lowest discernible value must be >= 1"));
  EXPECT_THAT(decode_error(blob(3, 600, 1000)), HasSubstr("must be >= 2 x lowest"));
  EXPECT_THAT(decode_error(blob(5, 1, std::numeric_limits<std::int64_t>::max())),
              HasSubstr("larger than the"));
  EXPECT_THAT(decode_error(compressed(header(0x1c849305, 1, 3, 1, 1000))),
              HasSubstr("is not an HdrHistogram V2 cookie"));
  EXPECT_THAT(decode_error(compressed(header(k_hdr_v2_cookie, -1, 3, 1, 1000))),
              HasSubstr("negative payload length"));
  EXPECT_THAT(decode_error(compressed(header(k_hdr_v2_cookie, 1'000'000, 3, 1, 1000))),
              HasSubstr("longer than"));
  // The header announces 2 payload bytes, the stream holds 1 or 3.
  EXPECT_THAT(decode_error(compressed(with_payload(header(k_hdr_v2_cookie, 2, 3, 1, 1000), {2}))),
              HasSubstr("inflates to 41 bytes, the header announces 42"));
  EXPECT_THAT(
      decode_error(compressed(with_payload(header(k_hdr_v2_cookie, 2, 3, 1, 1000), {2, 2, 2}))),
      HasSubstr("the header announces"));
  EXPECT_THAT([] { decode_hdr_v2(with_payload(header(k_hdr_v2_cookie, 2, 3, 1, 1000), {2})); },
              ::testing::ThrowsMessage<InputError>(HasSubstr("payload of 2 bytes, 1 follow")));
}

TEST(HdrCodec, MalformedPayloadsAreRejectedWithTheReason) {
  // 1 .. 1000 with 3 digits: 2048 counts.
  const auto blob = [](const Bytes& payload) {
    return compressed(with_payload(
        header(k_hdr_v2_cookie, static_cast<std::int32_t>(payload.size()), 3, 1, 1000), payload));
  };
  EXPECT_THAT(decode_error(blob({0x80})), HasSubstr("ends inside a LEB128 value"));
  EXPECT_THAT(decode_error(blob({0x02, 0xff, 0xff})), HasSubstr("ends inside a LEB128 value"));
  // -2048 empty counts reach exactly the end; one more count is past it.
  EXPECT_EQ(decode_error(blob({0xff, 0x1f})), "(decoded without error)");
  EXPECT_THAT(decode_error(blob({0xff, 0x1f, 0x02})), HasSubstr("count for index 2048 is past"));
  EXPECT_THAT(decode_error(blob({0x81, 0x20})), HasSubstr("a run of 2049 empty counts"));
  // The most negative int64 as a zero run (zigzag all ones): no overflow, rejected.
  EXPECT_THAT(decode_error(blob({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})),
              HasSubstr("empty counts"));
  // Two counts of 2^63 - 1 overflow the total.
  const Bytes max_count = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};  // 2^63 - 1
  Bytes two_max = max_count;
  two_max.insert(two_max.end(), max_count.begin(), max_count.end());
  EXPECT_THAT(decode_error(blob(two_max)), HasSubstr("add up to more than 2^63 - 1"));
  // A lone empty count written as -1 (HdrHistogram_c's form) is accepted.
  const HdrHistogram c_style = decode_hdr_v2_compressed(blob({0x01, 0x02}));
  EXPECT_EQ(c_style.total_count(), 1);
  EXPECT_EQ(c_style.min_us(), 1);
}

TEST(HdrCodec, EveryTruncationOfAValidBlobIsRejected) {
  const Bytes good = encode_hdr_v2_compressed(random_histogram(k_latency_config, 1000, 9));
  for (std::size_t size = 0; size < good.size(); ++size) {
    Bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_THROW(decode_hdr_v2_compressed(cut), InputError) << size;
    if (size >= 8) {  // with a consistent length field too, so the zlib stream is cut
      set_length(cut, static_cast<std::uint32_t>(size - 8));
      EXPECT_THROW(decode_hdr_v2_compressed(cut), InputError) << size;
    }
  }
  const Bytes plain = encode_hdr_v2(random_histogram(k_latency_config, 1000, 9));
  for (std::size_t size = 0; size < plain.size(); ++size) {
    EXPECT_THROW(decode_hdr_v2(std::span(plain).first(size)), InputError) << size;
  }
}

TEST(HdrCodec, CorruptedBlobsEitherDecodeOrThrowInputError) {
  // Every single-bit flip, in the compressed and the uncompressed form: no crash, no
  // over-read (run under ASan in CI), only InputError.
  const HdrHistogram original = random_histogram(k_latency_config, 300, 13);
  for (const Bytes& good : {encode_hdr_v2_compressed(original), encode_hdr_v2(original)}) {
    for (std::size_t byte = 0; byte < good.size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        Bytes bad = good;
        bad[byte] ^= static_cast<std::uint8_t>(1u << bit);
        try {
          const HdrHistogram decoded = decode_hdr_v2_compressed(bad);
          EXPECT_LE(decoded.counts_len(), k_max_decoded_counts_len);
        } catch (const InputError&) {
        }
      }
    }
  }
  std::mt19937 rng(17);
  std::uniform_int_distribution<int> byte_dist(0, 255);
  for (int i = 0; i < 2000; ++i) {
    Bytes noise(static_cast<std::size_t>(i % 97));
    for (auto& b : noise) {
      b = static_cast<std::uint8_t>(byte_dist(rng));
    }
    EXPECT_THROW(decode_hdr_v2_compressed(noise), InputError);
  }
}

TEST(Base64, EncodesAndDecodesTheRfc4648Vectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {{"", ""},
                                                                    {"f", "Zg=="},
                                                                    {"fo", "Zm8="},
                                                                    {"foo", "Zm9v"},
                                                                    {"foob", "Zm9vYg=="},
                                                                    {"fooba", "Zm9vYmE="},
                                                                    {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    const Bytes bytes(plain.begin(), plain.end());
    EXPECT_EQ(base64_encode(bytes), encoded);
    EXPECT_EQ(base64_decode(encoded), bytes) << encoded;
  }
  const Bytes all = [] {
    Bytes b;
    for (int i = 0; i < 256; ++i) {
      b.push_back(static_cast<std::uint8_t>(i));
    }
    return b;
  }();
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
  EXPECT_EQ(base64_decode("  Zm9v\n"), Bytes({'f', 'o', 'o'}));
}

TEST(Base64, MalformedTextIsRejectedWithTheOffset) {
  EXPECT_THAT([] { base64_decode("Zm9"); },
              ::testing::ThrowsMessage<InputError>(HasSubstr("length 3 is not a multiple of 4")));
  EXPECT_THAT([] { base64_decode("Zm 9v"); },
              ::testing::ThrowsMessage<InputError>(HasSubstr("length 5")));
  EXPECT_THAT([] { base64_decode("Zm-v"); }, ::testing::ThrowsMessage<InputError>(
                                                 HasSubstr("invalid character \"-\" at offset 2")));
  EXPECT_THAT([] { base64_decode("Z==="); },
              ::testing::ThrowsMessage<InputError>(HasSubstr("at offset 1")));
  EXPECT_THAT([] { base64_decode("Zg==Zg=="); },
              ::testing::ThrowsMessage<InputError>(HasSubstr("at offset 2")));
}

}  // namespace
}  // namespace poolbench::metrics
