#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace poolbench::util {

/// `text` without leading and trailing white space (isspace).
std::string_view trim(std::string_view text) noexcept;

/// ASCII lower case (PostgreSQL setting names, URL schemes, enum values).
std::string to_lower(std::string_view text);

/// Whether `a` and `b` are equal ignoring ASCII case (keywords, function and option names).
bool iequals(std::string_view a, std::string_view b) noexcept;

/// Edit distance for "did you mean": insertions, deletions, substitutions and swaps of two
/// adjacent characters, each one edit (optimal string alignment), so the commonest typo,
/// two letters swapped ("scael", "rnu"), is one edit away as it is for the typist.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` by edit distance if it is close enough to be a
/// plausible typo (distance <= max(1, word.size() / 3)); empty otherwise.
std::string closest_match(std::string_view word, std::span<const std::string> candidates);

/// Offset of the first byte of `text` that is not part of well-formed UTF-8 (RFC 3629: no
/// overlong forms, no surrogates, nothing above U+10FFFF), or nullopt when it all is. Input
/// must be checked with it before it can reach results.json: JSON is UTF-8 and nlohmann_json
/// throws when asked to write anything else.
std::optional<std::size_t> first_invalid_utf8(std::string_view text) noexcept;

/// 1-based line and column (in bytes) of `offset` in `text`, for messages.
std::pair<int, int> line_and_column(std::string_view text, std::size_t offset) noexcept;

}  // namespace poolbench::util
