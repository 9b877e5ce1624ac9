#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Keeping passwords out of every output. Pure functions, thread-safe.

namespace poolbench::pg {

inline constexpr std::string_view k_mask = "****";

/// `dsn` with every secret replaced by "****": the password of a URI's user info
/// (`postgresql://appuser:****@host/db`), `password=` / `sslpassword=` query parameters of
/// a URI and keywords of a key=value string. Works without libpq and on malformed input
/// (over-masking rather than leaking); any scheme (`postgresql+asyncpg://`, `mysql://`).
std::string mask_dsn(std::string_view dsn);

/// `text` with every occurrence of `secret` (and of its percent-encoded form, as it appears
/// in a URI) replaced by "****". An empty secret leaves the text unchanged. For messages
/// from libpq or the server that might echo a password.
std::string mask_secret(std::string_view text, std::string_view secret);

/// The password a conninfo string or libpq URI carries, as libpq decodes it
/// (PQconninfoParse), or nullopt when there is none or libpq cannot parse the string.
std::optional<std::string> password_of(const std::string& conninfo);

/// What an error message about `conninfo` is passed through before anyone sees it: every
/// URI and `password=` keyword in it masked as mask_dsn() does, then every secret of
/// `conninfo` (password_of() and secrets_in_dsn()) masked wherever it appears.
std::string mask_message(std::string_view message, const std::string& conninfo);

/// The secrets a DSN carries as written (user-info password, `password=` values without
/// their quotes), each also percent-decoded when that differs. Structural, no libpq: works on
/// strings libpq rejects, so their parse errors can be masked too.
std::vector<std::string> secrets_in_dsn(std::string_view dsn);

/// Percent-decodes (%XX); malformed escapes are kept as written.
std::string percent_decode(std::string_view text);

/// Percent-encodes everything outside RFC 3986 "unreserved" (for building URIs).
std::string percent_encode(std::string_view text);

}  // namespace poolbench::pg
