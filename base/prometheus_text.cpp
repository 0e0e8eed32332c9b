#include "base/prometheus_text.hpp"

#include <fmt/format.h>

namespace sr::base::prometheus {

std::string escape_label_value(std::string_view value) {
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

std::string label(std::string_view name, std::string_view value) {
  std::string out(name);
  out += "=\"";
  out += escape_label_value(value);
  out += '"';
  return out;
}

Value Value::fixed(double v, int decimals) { return Value(fmt::format("{:.{}f}", v, decimals)); }

Writer& Writer::family(std::string_view name, Type type, std::string_view help) {
  name_ = name;
  out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                      type == Type::counter ? "counter" : "gauge");
  return *this;
}

Writer& Writer::sample(const Value& value) {
  out_ += fmt::format("{} {}\n", name_, value.text());
  return *this;
}

Writer& Writer::sample(std::initializer_list<Label> labels, const Value& value) {
  out_ += name_;
  char sep = '{';
  for (const auto& l : labels) {
    out_ += sep;
    out_ += label(l.name, l.value);
    sep = ',';
  }
  if (labels.size() > 0) out_ += '}';
  out_ += fmt::format(" {}\n", value.text());
  return *this;
}

Writer& Writer::single(std::string_view name, Type type, std::string_view help, const Value& value) {
  return family(name, type, help).sample(value);
}

}  // namespace sr::base::prometheus
