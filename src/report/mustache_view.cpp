#include "report/mustache_view.hpp"

#include <kainjow/mustache.hpp>

#include "util/error.hpp"

namespace poolbench::report {
namespace {

namespace mustache = kainjow::mustache;

/// Where a JSON value sits: an empty string is false (a section skips it) except as a list
/// item, where it stays an item.
enum class Position { value, list_item };

mustache::data to_mustache(const nlohmann::json& value, Position position = Position::value) {
  if (value.is_object()) {
    mustache::data object{mustache::data::type::object};
    for (const auto& [key, item] : value.items()) object.set(key, to_mustache(item));
    return object;
  }
  if (value.is_array()) {
    mustache::data list{mustache::data::type::list};
    for (const auto& item : value) list.push_back(to_mustache(item, Position::list_item));
    return list;
  }
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    return text.empty() && position == Position::value ? mustache::data{false}
                                                       : mustache::data{text};
  }
  if (value.is_boolean()) return mustache::data{value.get<bool>()};
  if (value.is_number()) return mustache::data{value.dump()};
  return mustache::data{false};
}

std::string xml_escape(const std::string& text) {
  std::string kept;
  kept.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 && c != '\t' && c != '\n' && c != '\r') continue;
    kept += c;
  }
  return mustache::html_escape(kept);
}

}  // namespace

std::string render_template(std::string_view name, const std::string& text,
                            const nlohmann::json& view, Escaping escaping) {
  mustache::mustache page{text};
  if (!page.is_valid()) {
    throw RuntimeFailure(std::string(name) + " template: " + page.error_message());
  }
  if (escaping == Escaping::xml) page.set_custom_escape(xml_escape);
  return page.render(to_mustache(view));
}

}  // namespace poolbench::report
