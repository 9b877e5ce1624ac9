#pragma once

// The lexing primitives every reader of SQL text shares (the script scanner, capture's
// redaction and parameter analysis, the statement matcher): where a quoted text, a comment
// or a dollar quote that starts at a given index ends, by PostgreSQL's lexical rules
// (scan.l). Each returns positions only and never throws, so each caller keeps its own
// policy for what it found and for an unterminated construct (an error with a position, a
// redaction to the end, a token).

#include <cstddef>
#include <optional>
#include <string_view>

namespace poolbench::util {

/// Where a construct that starts at a known index ends.
struct LexEnd {
  std::size_t end = 0;     ///< one past its last byte; the text's size when unterminated
  bool terminated = true;  ///< false: the text ended before the construct's closing delimiter
};

/// Whether `c` may start an identifier: an ASCII letter, `_` or any byte >= 0x80 (a byte of
/// a multibyte character). Also the first character of a dollar quote's tag and of a
/// pgbench variable name.
bool is_identifier_start(char c) noexcept;

/// Whether `c` may continue an identifier: a start character, a digit or `$` (so `a$b` is
/// one identifier, not `a` and a dollar quote).
bool is_identifier_char(char c) noexcept;

/// Whether `c` may continue a dollar quote's tag: an identifier character other than `$`
/// (also a pgbench variable name's).
bool is_dollar_tag_char(char c) noexcept;

/// What a backslash is inside a quoted text: a character ('...' standard strings, "..."
/// identifiers) or an escape of the next byte (E'...' strings).
enum class Backslash { literal, escapes };

/// The end of the quoted text whose opening `quote` is at `start`: a doubled quote is one
/// character of the text, and with Backslash::escapes so is a backslash and the byte after
/// it. Serves '...', E'...' (start at the quote, after the E) and "..." alike.
LexEnd quoted_end(std::string_view sql, std::size_t start, char quote,
                  Backslash backslash = Backslash::literal) noexcept;

/// Whether the quote at index `quote` of `text` opens an escape string: it follows an E or
/// e that does not end a longer word (a letter, digit, `_` or non-ASCII byte before it).
/// `quote` may be text.size() (a caller that holds only the text before the quote).
bool escape_string_before(std::string_view text, std::size_t quote) noexcept;

/// The end of the block comment whose `/*` is at `start`. Block comments nest, as in
/// PostgreSQL: `/* a /* b */ c */` is one comment.
LexEnd block_comment_end(std::string_view sql, std::size_t start) noexcept;

/// The end of the `--` comment at `start`: the index of the newline that ends it (the
/// newline is not part of it), or sql.size().
std::size_t line_comment_end(std::string_view sql, std::size_t start) noexcept;

/// The opening delimiter of the dollar quote whose `$` is at `start`: `$$` or `$tag$`, the
/// tag an identifier without `$` that does not start with a digit (so `$1` is a
/// parameter); empty when the `$` there opens no dollar quote. Whether a `$` in the middle
/// of a word (`a$b`) may open one at all is the caller's to judge.
std::string_view dollar_quote_tag(std::string_view sql, std::size_t start) noexcept;

/// The end of the dollar quote whose `$` is at `start` (after the first closing delimiter
/// equal to the opening one), or nullopt when the `$` there opens none (dollar_quote_tag).
std::optional<LexEnd> dollar_quote_end(std::string_view sql, std::size_t start) noexcept;

}  // namespace poolbench::util
