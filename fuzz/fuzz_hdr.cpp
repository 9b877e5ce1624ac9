// HdrHistogram V2 input (results.json `histograms`, read by `poolbench report`, compare and
// merge) -> the three decoders: the base64 text, and the same bytes as a compressed and an
// uncompressed blob. A decoded histogram is queried and must survive an encode/decode round
// trip with the same counts. Bad input must be an InputError.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "metrics/hdr_codec.hpp"
#include "util/error.hpp"

namespace {

void exercise(const poolbench::metrics::HdrHistogram& histogram) {
  for (const double percentile : {0.0, 50.0, 99.0, 99.9, 100.0}) {
    (void)histogram.value_at_percentile_us(percentile);
  }
  (void)histogram.mean_us();
  (void)histogram.stddev_us();
  (void)histogram.min_nonzero_us();
  const auto again =
      poolbench::metrics::decode_hdr_v2_base64(poolbench::metrics::encode_hdr_v2_base64(histogram));
  if (!again.has_same_counts(histogram) || again.total_count() != histogram.total_count()) {
    std::abort();  // the round trip lost counts: a decoder or encoder bug
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace metrics = poolbench::metrics;
  const std::span<const std::uint8_t> bytes(data, size);
  try {
    exercise(
        metrics::decode_hdr_v2_base64(std::string_view(reinterpret_cast<const char*>(data), size)));
  } catch (const poolbench::InputError&) {
  }
  try {
    exercise(metrics::decode_hdr_v2_compressed(bytes));
  } catch (const poolbench::InputError&) {
  }
  try {
    exercise(metrics::decode_hdr_v2(bytes));
  } catch (const poolbench::InputError&) {
  }
  return 0;
}
