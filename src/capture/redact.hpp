#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

// --redact (docs/capture.md, "Privacy"): every literal value a capture writes is replaced.

namespace poolbench::capture {

/// A placeholder of the value's apparent type: 0, 0.0, f, 2000-01-01, a zero UUID, or
/// 'redacted' text.
std::string placeholder_for(std::string_view value);

/// `sql` with every string literal ('...', E'...', $$...$$) replaced by 'redacted' and every
/// numeric literal outside identifiers by 0. Parameters ($1), identifiers and quoted
/// identifiers are kept; a comment becomes `-- redacted` or `/* redacted */` (free text may
/// hold a value). An unterminated literal is redacted to the end: when in doubt, more is
/// replaced, never less.
std::string redact_sql_literals(std::string_view sql);

/// Draws a replacement for parameter `index` (0-based) of statement `sql`, or nullopt when it
/// knows nothing of that column (the placeholder is used then).
using ValueSource =
    std::function<std::optional<std::string>(const std::string& sql, std::size_t index)>;

}  // namespace poolbench::capture
