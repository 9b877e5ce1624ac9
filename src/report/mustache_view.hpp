#pragma once

// Mustache templates rendered over a plain JSON view (kainjow Mustache). Every value goes
// through the engine's escaping (`{{x}}`); only triple braces (`{{{x}}}`) insert raw text.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace poolbench::report {

enum class Escaping {
  html,  ///< the engine's HTML escaping (& < > " ')
  xml,   ///< the same entities, and characters XML 1.0 forbids (controls but tab, CR, LF) dropped
};

/// Renders `text` (the template named `name` in messages) over `view`. In the view an
/// object's empty strings, nulls and false become false, so that {{#key}}...{{/key}}
/// sections skip them (list items stay strings, for {{.}}); numbers become their JSON text.
/// Throws RuntimeFailure if the template does not parse (a build defect).
std::string render_template(std::string_view name, const std::string& text,
                            const nlohmann::json& view, Escaping escaping = Escaping::html);

}  // namespace poolbench::report
