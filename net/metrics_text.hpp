// Prometheus text exposition (format 0.0.4): label values escaped as the
// format requires. Values such as a config version or a source name come
// from the gateway; unescaped, a quote or newline in one would break the
// whole /metrics page or forge other series.
#pragma once

#include <string>
#include <string_view>

namespace sr::net::metrics {

// The format knows three escapes in a label value: \\, \" and \n. Nothing
// else may be escaped (a JSON-style \t or \u0001 is a parse error).
inline std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

// name="value", the value escaped.
inline std::string label(std::string_view name, std::string_view value) {
  std::string out(name);
  out += "=\"";
  out += escape_label_value(value);
  out += '"';
  return out;
}

}  // namespace sr::net::metrics
