// Prometheus text exposition (format 0.0.4): a small writer for the
// /metrics pages (HELP and TYPE once per family, then its series) and label
// values escaped as the format requires. Values such as a config version or
// a source name come from the gateway; unescaped, a quote or newline in one
// would break the whole page or forge other series.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace sr::base::prometheus {

// The format knows three escapes in a label value: \\, \" and \n. Nothing
// else may be escaped (a JSON-style \t or \u0001 is a parse error).
std::string escape_label_value(std::string_view value);

// name="value", the value escaped.
std::string label(std::string_view name, std::string_view value);

enum class Type { counter, gauge };

struct Label {
  std::string_view name, value;  // the value is escaped when written
};

// A sample's value as text: integers as they are (a bool as 1 or 0),
// doubles with a fixed number of decimals (fixed(0.5, 3) is "0.500").
class Value {
 public:
  template <std::integral T>
  Value(T v) : text_(integer_text(v)) {}  // NOLINT: implicit on purpose

  static Value fixed(double v, int decimals);

  const std::string& text() const { return text_; }

 private:
  explicit Value(std::string text) : text_(std::move(text)) {}
  template <std::integral T>
  static std::string integer_text(T v) {
    if constexpr (std::same_as<T, bool>) return v ? "1" : "0";
    else return std::to_string(v);
  }
  std::string text_;
};

// Appends to a page: family() writes "# HELP name help\n# TYPE name type\n",
// sample() one "name{labels} value\n" line of the family opened last.
class Writer {
 public:
  Writer& family(std::string_view name, Type type, std::string_view help);
  Writer& sample(const Value& value);
  Writer& sample(std::initializer_list<Label> labels, const Value& value);

  // A family of one unlabelled sample: the most common shape.
  Writer& single(std::string_view name, Type type, std::string_view help, const Value& value);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  std::string name_;  // the family opened last
};

}  // namespace sr::base::prometheus
