#pragma once

#include "cluster/settings.hpp"

namespace poolbench::cluster::testing {

/// A few rows shaped like PostgreSQL 15's pg_settings (same units, ranges and contexts).
inline SettingsCatalog small_catalog() {
  SettingsCatalog catalog;
  catalog.add({"shared_buffers", VarType::integer, "8kB", "postmaster", 16, 1073741823, {}});
  catalog.add({"work_mem", VarType::integer, "kB", "user", 64, 2147483647, {}});
  catalog.add({"max_wal_size", VarType::integer, "MB", "sighup", 2, 2147483647, {}});
  catalog.add({"wal_buffers", VarType::integer, "8kB", "postmaster", -1, 262143, {}});
  catalog.add({"statement_timeout", VarType::integer, "ms", "user", 0, 2147483647, {}});
  catalog.add({"checkpoint_timeout", VarType::integer, "s", "sighup", 30, 86400, {}});
  catalog.add({"random_page_cost", VarType::real, "", "user", 0, 1.79769e+308, {}});
  catalog.add({"max_connections", VarType::integer, "", "postmaster", 1, 262143, {}});
  catalog.add({"enable_seqscan", VarType::boolean, "", "user", std::nullopt, std::nullopt, {}});
  catalog.add({"wal_level",
               VarType::enumeration,
               "",
               "postmaster",
               std::nullopt,
               std::nullopt,
               {"minimal", "replica", "logical"}});
  catalog.add({"ssl_ciphers", VarType::string, "", "sighup", std::nullopt, std::nullopt, {}});
  catalog.add({"block_size", VarType::integer, "", "internal", 8192, 8192, {}});
  catalog.add({"DateStyle", VarType::string, "", "user", std::nullopt, std::nullopt, {}});
  return catalog;
}

}  // namespace poolbench::cluster::testing
