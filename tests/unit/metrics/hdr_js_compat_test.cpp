// Compatibility of our HdrHistogram V2 codec with an independent implementation,
// hdr-histogram-js 3.0.1 (tests/js/hdr_compat.js, installed by the compat_hdr_js_npm_ci
// fixture): JS decodes our encodings and must report the same total count, minimum,
// maximum and percentiles; we decode JS's encodings and must get the same counts as
// recording the same values ourselves.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "cli/run_binary.hpp"
#include "metrics/hdr_codec.hpp"

namespace poolbench::metrics {
namespace {

using nlohmann::json;

struct Case {
  std::string name;
  HdrHistogram histogram;
  std::vector<std::pair<std::int64_t, std::int64_t>> values;  // (value, count) recorded
};

const std::vector<double> k_percentiles = {0.0,     0.001, 1.0,  10.0, 12.5, 25.0,  33.3333, 50.0,
                                           66.6667, 75.0,  90.0, 99.0, 99.9, 99.99, 99.999,  100.0};

Case make_case(std::string name, const HdrConfig& config,
               std::vector<std::pair<std::int64_t, std::int64_t>> values) {
  Case c{std::move(name), HdrHistogram(config), std::move(values)};
  for (const auto& [value, count] : c.values) {
    c.histogram.record_n(value, count);
  }
  return c;
}

std::vector<std::pair<std::int64_t, std::int64_t>> random_values(std::size_t n, std::uint32_t seed,
                                                                 std::int64_t highest) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> body(std::log(3000.0), 1.8);
  std::vector<std::pair<std::int64_t, std::int64_t>> values;
  for (std::size_t i = 0; i < n; ++i) {
    values.emplace_back(std::min<std::int64_t>(static_cast<std::int64_t>(body(rng)), highest), 1);
  }
  return values;
}

std::vector<Case> make_cases() {
  std::vector<Case> cases;
  cases.push_back(make_case("empty", k_latency_config, {}));
  cases.push_back(make_case("single", k_latency_config, {{1000, 1}}));
  cases.push_back(make_case("zeros_and_one", k_latency_config, {{0, 3}, {17, 1}}));
  cases.push_back(
      make_case("extremes", k_latency_config, {{1, 2}, {2047, 1}, {2048, 1}, {3'600'000'000, 4}}));
  cases.push_back(make_case("spread", k_latency_config, [] {
    std::vector<std::pair<std::int64_t, std::int64_t>> v;
    for (std::int64_t i = 1; i <= 10'000; ++i) {
      v.emplace_back(i, 1);
    }
    v.emplace_back(1'000'000, 5);
    return v;
  }()));
  for (const std::size_t n : {2, 10, 1000, 100'000}) {
    cases.push_back(make_case("random_" + std::to_string(n), k_latency_config,
                              random_values(n, static_cast<std::uint32_t>(n), 3'600'000'000)));
  }
  cases.push_back(make_case("heavy_counts", k_latency_config,
                            {{250, 1'000'000'000}, {900, 3'000'000'000}, {5'000'000, 7}}));
  cases.push_back(make_case("digits2_lowest1000", {1000, 100'000'000'000, 2},
                            random_values(5000, 21, 100'000'000'000)));
  cases.push_back(
      make_case("digits5", {1, 1'000'000'000'000, 5}, random_values(5000, 22, 1'000'000'000'000)));
  // Coordinated-omission corrected recording produces many adjacent non-empty buckets.
  Case corrected = make_case("corrected", k_latency_config, {});
  corrected.histogram.record_corrected(2'000'000, 1000);
  corrected.histogram.record_corrected(450, 1000);
  cases.push_back(std::move(corrected));
  return cases;
}

json run_node(const json& input) {
  const std::filesystem::path input_path =
      std::filesystem::temp_directory_path() /
      ("poolbench-hdr-compat-" + std::to_string(::getpid()) + ".json");
  {
    std::ofstream out(input_path);
    out << input.dump();
  }
  const testing::ProcessResult result = testing::run_process(
      POOLBENCH_NODE_EXECUTABLE, {POOLBENCH_HDR_COMPAT_JS, input_path.string()});
  std::filesystem::remove(input_path);
  if (result.exit_code != 0) {
    ADD_FAILURE() << "node " << POOLBENCH_HDR_COMPAT_JS << " exited " << result.exit_code
                  << " (did the compat_hdr_js_npm_ci fixture run?):\n"
                  << result.err;
    return json::object();
  }
  return json::parse(result.out);
}

TEST(HdrJsCompat, HdrHistogramJsDecodesOurEncodingsToTheSameStatistics) {
  const std::vector<Case> cases = make_cases();
  json input = {{"decode", json::array()}};
  for (const Case& c : cases) {
    input["decode"].push_back({{"name", c.name},
                               {"base64", encode_hdr_v2_base64(c.histogram)},
                               {"percentiles", k_percentiles}});
  }
  const json output = run_node(input);
  ASSERT_TRUE(output.contains("decoded"));
  ASSERT_EQ(output["decoded"].size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const HdrHistogram& ours = cases[i].histogram;
    const json& js = output["decoded"][i];
    SCOPED_TRACE(cases[i].name);
    ASSERT_EQ(js["name"], cases[i].name);
    EXPECT_EQ(js["totalCount"].get<std::int64_t>(), ours.total_count());
    if (ours.min_nonzero_us() == 0) {
      EXPECT_TRUE(js["minNonZeroValue"].is_null() ||
                  js["minNonZeroValue"].get<double>() >= 9007199254740991.0)
          << js["minNonZeroValue"];
    } else {
      EXPECT_EQ(js["minNonZeroValue"].get<std::int64_t>(), ours.min_nonzero_us());
    }
    // hdr-histogram-js adds the unit-magnitude mask to a decoded maximum (a JS quirk), so its
    // maxValue is comparable only when lowest discernible value is 1; p100 is compared below.
    if (ours.config().lowest_discernible_value_us == 1) {
      EXPECT_EQ(js["maxValue"].get<std::int64_t>(), ours.max_us());
    }
    for (const json& pair : js["percentiles"]) {
      const double p = pair[0].get<double>();
      EXPECT_EQ(pair[1].get<std::int64_t>(), ours.value_at_percentile_us(p)) << "p" << p;
    }
  }
}

TEST(HdrJsCompat, WeDecodeHdrHistogramJsEncodingsToTheSameCounts) {
  const std::vector<Case> cases = make_cases();
  json input = {{"encode", json::array()}};
  for (const Case& c : cases) {
    if (c.values.empty() && c.histogram.total_count() != 0) {
      continue;  // recorded with record_corrected: no value list to hand to JS
    }
    const HdrConfig& config = c.histogram.config();
    input["encode"].push_back({{"name", c.name},
                               {"lowest", config.lowest_discernible_value_us},
                               {"highest", config.highest_trackable_value_us},
                               {"digits", config.significant_digits},
                               {"values", c.values}});
  }
  const json output = run_node(input);
  ASSERT_TRUE(output.contains("encoded"));
  ASSERT_EQ(output["encoded"].size(), input["encode"].size());
  for (const json& encoded : output["encoded"]) {
    const std::string name = encoded["name"].get<std::string>();
    SCOPED_TRACE(name);
    const auto it =
        std::find_if(cases.begin(), cases.end(), [&name](const Case& c) { return c.name == name; });
    ASSERT_NE(it, cases.end());
    const HdrHistogram decoded = decode_hdr_v2_base64(encoded["base64"].get<std::string>());
    EXPECT_TRUE(decoded.has_same_counts(it->histogram));
    EXPECT_EQ(decoded.total_count(), it->histogram.total_count());
    EXPECT_EQ(decoded.max_us(), it->histogram.max_us());
  }
}

}  // namespace
}  // namespace poolbench::metrics
