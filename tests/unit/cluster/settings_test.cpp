#include "cluster/settings.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "unit/cluster/test_catalog.hpp"

namespace poolbench::cluster {
namespace {

const SettingsCatalog k_catalog = testing::small_catalog();

double base_units(const char* name, const char* text) {
  const auto parsed = parse_value(*k_catalog.find(name), text);
  EXPECT_TRUE(parsed.value) << name << " = " << text << ": " << parsed.error;
  return parsed.value ? parsed.value->number : -12345;
}

TEST(SettingValues, MemoryUnitsNormalizeToTheSettingsBaseUnit) {
  EXPECT_EQ(base_units("shared_buffers", "512MB"), 65536);  // 512MB == 65536 x 8kB
  EXPECT_EQ(base_units("shared_buffers", "65536"), 65536);  // no unit: the base unit
  EXPECT_EQ(base_units("shared_buffers", "1GB"), 131072);
  EXPECT_EQ(base_units("work_mem", "4MB"), 4096);
  EXPECT_EQ(base_units("work_mem", "1.5MB"), 1536);
  EXPECT_EQ(base_units("max_wal_size", "2GB"), 2048);
  EXPECT_EQ(base_units("wal_buffers", "-1"), -1);
}

TEST(SettingValues, TimeUnitsNormalizeToTheSettingsBaseUnit) {
  EXPECT_EQ(base_units("statement_timeout", "30s"), 30000);
  EXPECT_EQ(base_units("statement_timeout", "2min"), 120000);
  EXPECT_EQ(base_units("checkpoint_timeout", "5min"), 300);
  EXPECT_EQ(base_units("checkpoint_timeout", "1h"), 3600);
}

TEST(SettingValues, EqualAmountsInDifferentUnitsAreTheSameValue) {
  const SettingInfo& info = *k_catalog.find("shared_buffers");
  EXPECT_TRUE(
      same_value(info, *parse_value(info, "1GB").value, *parse_value(info, "1024MB").value));
  EXPECT_FALSE(
      same_value(info, *parse_value(info, "1GB").value, *parse_value(info, "1000MB").value));
  const SettingInfo& real = *k_catalog.find("random_page_cost");
  EXPECT_TRUE(same_value(real, *parse_value(real, "1.1").value, *parse_value(real, "1.10").value));
  EXPECT_FALSE(same_value(real, *parse_value(real, "1.1").value, *parse_value(real, "4").value));
}

TEST(SettingValues, WrongUnitsTypesRangesAndEnumValuesAreRejectedWithAReason) {
  auto error_of = [](const char* name, const char* text) {
    return parse_value(*k_catalog.find(name), text).error;
  };
  EXPECT_NE(error_of("work_mem", "12XB").find("invalid unit 'XB'"), std::string::npos);
  EXPECT_NE(error_of("work_mem", "5s").find("invalid unit"), std::string::npos);
  EXPECT_NE(error_of("statement_timeout", "5MB").find("invalid unit"), std::string::npos);
  EXPECT_NE(error_of("max_connections", "10MB").find("no unit"), std::string::npos);
  EXPECT_NE(error_of("work_mem", "10").find("outside the valid range"), std::string::npos);
  EXPECT_NE(error_of("max_connections", "lots").find("expects an integer"), std::string::npos);
  EXPECT_NE(error_of("enable_seqscan", "maybe").find("boolean"), std::string::npos);
  EXPECT_NE(error_of("wal_level", "bogus").find("minimal, replica, logical"), std::string::npos);
}

TEST(SettingValues, BooleansAcceptEveryPostgresSpelling) {
  const SettingInfo& info = *k_catalog.find("enable_seqscan");
  for (const char* on : {"on", "ON", "true", "t", "yes", "y", "1"}) {
    EXPECT_EQ(parse_value(info, on).value->text, "on") << on;
  }
  for (const char* off : {"off", "false", "f", "no", "n", "0", "of"}) {
    EXPECT_EQ(parse_value(info, off).value->text, "off") << off;
  }
  EXPECT_FALSE(parse_value(info, "o").value);  // ambiguous, as in PostgreSQL
}

TEST(SettingValues, EnumValuesAreCaseInsensitive) {
  EXPECT_EQ(parse_value(*k_catalog.find("wal_level"), "Replica").value->text, "replica");
}

TEST(SettingValues, DisplayUsesTheLargestExactUnit) {
  const SettingInfo& buffers = *k_catalog.find("shared_buffers");
  EXPECT_EQ(display_value(buffers, {65536, {}}), "512MB");
  EXPECT_EQ(display_value(buffers, {196608, {}}), "1536MB");
  EXPECT_EQ(display_value(*k_catalog.find("statement_timeout"), {30000, {}}), "30s");
  EXPECT_EQ(display_value(*k_catalog.find("max_connections"), {200, {}}), "200");
  EXPECT_EQ(display_value(*k_catalog.find("wal_buffers"), {-1, {}}), "-1");
}

TEST(SettingsCatalog, LookupIsCaseInsensitive) {
  EXPECT_NE(k_catalog.find("datestyle"), nullptr);
  EXPECT_NE(k_catalog.find("SHARED_BUFFERS"), nullptr);
  EXPECT_EQ(k_catalog.find("shared_bufers"), nullptr);
}

TEST(SettingsCatalog, JsonRoundTripKeepsTypesUnitsRangesAndEnums) {
  const auto copy = SettingsCatalog::from_json(k_catalog.to_json());
  ASSERT_EQ(copy.size(), k_catalog.size());
  const SettingInfo* info = copy.find("shared_buffers");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->unit, "8kB");
  EXPECT_EQ(info->context, "postmaster");
  EXPECT_EQ(*info->min, 16);
  EXPECT_EQ(copy.find("wal_level")->enum_values.size(), 3U);
  EXPECT_EQ(copy.find("random_page_cost")->type, VarType::real);
}

TEST(SettingsCatalog, RowsFromPgSettingsAreRead) {
  const std::vector<std::vector<std::optional<std::string>>> rows = {
      {"work_mem", "integer", "kB", "user", "64", "2147483647", std::nullopt},
      {"wal_level", "enum", "", "postmaster", std::nullopt, std::nullopt,
       "minimal,replica,logical"}};
  const auto catalog = SettingsCatalog::from_rows(rows);
  EXPECT_EQ(catalog.find("work_mem")->min, 64);
  EXPECT_EQ(catalog.find("wal_level")->enum_values,
            (std::vector<std::string>{"minimal", "replica", "logical"}));
}

TEST(SettingValues, BytesPerUnitKnowsPostgresBaseUnits) {
  EXPECT_EQ(bytes_per_unit("8kB"), 8192);
  EXPECT_EQ(bytes_per_unit("kB"), 1024);
  EXPECT_EQ(bytes_per_unit("MB"), 1048576);
  EXPECT_FALSE(bytes_per_unit("ms"));
}

}  // namespace
}  // namespace poolbench::cluster
