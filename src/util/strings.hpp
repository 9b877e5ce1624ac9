#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace poolbench::util {

/// `text` without leading and trailing white space (isspace).
std::string_view trim(std::string_view text) noexcept;

/// ASCII lower case (PostgreSQL setting names, URL schemes, enum values).
std::string to_lower(std::string_view text);

/// Edit distance for "did you mean": insertions, deletions, substitutions and swaps of two
/// adjacent characters, each one edit (optimal string alignment), so the commonest typo,
/// two letters swapped ("scael", "rnu"), is one edit away as it is for the typist.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` by edit distance if it is close enough to be a
/// plausible typo (distance <= max(1, word.size() / 3)); empty otherwise.
std::string closest_match(std::string_view word, std::span<const std::string> candidates);

}  // namespace poolbench::util
