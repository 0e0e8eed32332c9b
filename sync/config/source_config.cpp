#include "sync/config/source_config.hpp"

#include "base/text/duration.hpp"
#include "base/text/scalars.hpp"
#include "base/text/size.hpp"
#include "contract/source_keys.hpp"
#include "sync/adapters/registry.hpp"
#include "sync/device/address_text.hpp"

#include <arpa/inet.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace sr::sync {

namespace json = boost::json;

namespace {

struct SourceError {
  std::string key, why;
};

std::string scalar_text(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_double()) return fmt::format("{}", v.get_double());
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  return {};
}

bool is_scalar(const json::value& v) {
  return v.is_string() || v.is_number() || v.is_bool();
}

std::string kind(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "?";
}

std::string lower_trimmed(std::string_view text) {
  std::string out(trim_space(text));
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Reads one source object; `err` set means the source cannot run.
class SourceReader {
 public:
  SourceReader(SourceConfig& out, std::chrono::nanoseconds default_poll) : out_(out), default_poll_(default_poll) {}

  bool read(const json::object& obj) {
    for (const auto& kv : obj) {
      read_key(kv.key(), kv.value());
      if (!err.key.empty()) return false;
    }
    if (out_.type.empty()) {
      err = {"type", "is missing"};
      return false;
    }
    if (out_.poll_interval.count() == 0) out_.poll_interval = default_poll_;
    json::object fp = obj;
    fp["poll_interval"] = out_.poll_interval.count();
    out_.fingerprint = json::serialize(fp);
    return true;
  }

  SourceError err;

 private:
  void warn(std::string text) { out_.warnings.push_back(std::move(text)); }

  // A key's reader; the key is passed for the messages.
  using Read = void (SourceReader::*)(std::string_view key, const json::value& v);
  struct KeyReader {
    std::string_view key;
    Read read;
  };
  // Every key of the common schema (contract::common_source_keys) and how it reads.
  static const KeyReader kKeys[];

  void read_key(std::string_view key, const json::value& v);

  template <std::string SourceConfig::*field, bool required = false>
  void text(std::string_view key, const json::value& v) {
    read_text(key, v, out_.*field, required);
  }
  template <std::chrono::nanoseconds SourceConfig::*field>
  void duration(std::string_view key, const json::value& v) {
    read_duration(key, v, out_.*field);
  }

  // An adapter setting (checked per type once the type is known), as text.
  void read_option(std::string_view key, const json::value& v) {
    if (is_scalar(v)) out_.options[std::string(key)] = scalar_text(v);
    else if (!v.is_null()) warn(fmt::format("{} must be a number or text, not {}: ignored", key, kind(v)));
  }

  void read_type(std::string_view, const json::value& v) {
    if (!v.is_string()) {
      if (!v.is_null()) err = {"type", "must be a string, not " + kind(v)};
      return;
    }
    out_.type = lower_trimmed(v.get_string());
  }

  // Scalars are read as text; an array or object can only be skipped
  // (`required`: then nothing can save the source).
  void read_text(std::string_view key, const json::value& v, std::string& field, bool required = false) {
    if (v.is_null()) return;
    if (is_scalar(v)) {
      field = std::string(trim_space(scalar_text(v)));
      return;
    }
    if (required) err = {std::string(key), "must be a string, not " + kind(v)};
    else warn(fmt::format("{} must be a string, not {}: ignored", key, kind(v)));
  }

  // As Go's models.Duration reads JSON: a string in Go's syntax, or a number
  // of nanoseconds (fractions truncated). Unreadable: the default, warned.
  void read_duration(std::string_view key, const json::value& v, std::chrono::nanoseconds& field) {
    if (v.is_null()) return;
    std::string why;
    if (v.is_string()) {
      auto d = base::parse_duration(trim_space(v.get_string()));
      if (d.value) {
        field = *d.value;
        return;
      }
      why = d.error;
    } else if (v.is_int64() && v.get_int64() >= 0) {
      field = std::chrono::nanoseconds(v.get_int64());
      return;
    } else if (v.is_uint64()) {
      field = std::chrono::nanoseconds(static_cast<std::int64_t>(std::min<std::uint64_t>(v.get_uint64(), INT64_MAX)));
      return;
    } else if (v.is_double() && v.get_double() >= 0 && v.get_double() < 9.2e18) {
      field = std::chrono::nanoseconds(static_cast<std::int64_t>(v.get_double()));
      return;
    } else if (v.is_number()) {
      why = fmt::format("{} nanoseconds is not a duration", scalar_text(v));
    } else {
      why = "must be a duration (\"90s\", \"5m\") or nanoseconds, not " + kind(v);
    }
    warn(fmt::format("{}: {}: the default is used", key, why));
  }

  void read_credentials(std::string_view, const json::value& v) {
    if (v.is_null()) return;
    if (!v.is_object()) {
      warn("credentials must be an object of strings, not " + kind(v) + ": ignored");
      return;
    }
    for (const auto& c : v.get_object()) {
      // Never echo a credential's value; its key is safe to name.
      if (is_scalar(c.value())) out_.credentials[std::string(c.key())] = scalar_text(c.value());
      else if (!c.value().is_null())
        warn(fmt::format("credentials.{} must be a string, not {}: ignored", std::string_view(c.key()),
                         kind(c.value())));
    }
  }

  // Strict: a query list read wrongly would sync devices nobody asked for.
  void read_queries(std::string_view, const json::value& v) {
    if (v.is_null()) return;
    if (!v.is_array()) {
      err = {"queries", "must be an array, not " + kind(v)};
      return;
    }
    std::size_t i = 0;
    for (const auto& q : v.get_array()) {
      const std::string where = fmt::format("queries[{}]", i++);
      if (!q.is_object()) {
        err = {where, "must be an object, not " + kind(q)};
        return;
      }
      QueryConfig qc;
      for (const auto& f : q.get_object()) {
        if (f.key() == "label" || f.key() == "query") {
          if (!is_scalar(f.value()) && !f.value().is_null()) {
            err = {fmt::format("{}.{}", where, std::string_view(f.key())), "must be a string, not " + kind(f.value())};
            return;
          }
          (f.key() == "label" ? qc.label : qc.query) = scalar_text(f.value());
        } else if (f.key() == "sweep_modes" && f.value().is_array()) {
          for (const auto& m : f.value().get_array())
            if (m.is_string()) qc.sweep_modes.emplace_back(m.get_string());
        }
      }
      out_.queries.push_back(std::move(qc));
    }
  }

  // Like the upstream agent, a bad entry is skipped and the rest apply; a
  // bare IP is what an operator means by a single host.
  void read_blacklist(std::string_view, const json::value& v) {
    if (v.is_null()) return;
    if (v.is_string()) {  // one entry, or a list typed into one field
      std::size_t i = 0;
      for (auto item : split_list(v.get_string())) add_blacklist_entry(fmt::format("network_blacklist[{}]", i++), item);
      return;
    }
    if (!v.is_array()) {
      warn("network_blacklist must be an array of CIDRs, not " + kind(v) + ": ignored");
      return;
    }
    std::size_t i = 0;
    for (const auto& c : v.get_array()) {
      const std::string where = fmt::format("network_blacklist[{}]", i++);
      if (c.is_string()) add_blacklist_entry(where, c.get_string());
      else warn(fmt::format("{} must be a CIDR string, not {}: skipped", where, kind(c)));
    }
  }

  void add_blacklist_entry(const std::string& where, std::string_view raw) {
    const auto text = trim_space(raw);
    if (text.empty()) return;
    if (validate_cidr(text).empty()) {
      out_.network_blacklist.emplace_back(text);
      return;
    }
    if (auto ip = canonical_ip(text)) {
      const auto host = fmt::format("{}/{}", *ip, ip->find(':') == std::string::npos ? 32 : 128);
      warn(fmt::format("{}: \"{}\" is an address, not a CIDR: read as {}", where, text, host));
      out_.network_blacklist.push_back(host);
      return;
    }
    warn(fmt::format("{}: {}: skipped", where, validate_cidr(text)));
  }

  void read_batch_size(std::string_view, const json::value& v) {
    if (v.is_null()) return;
    auto n = is_scalar(v) ? base::parse_int_text(trim_space(scalar_text(v))) : std::nullopt;
    if (n && *n >= 0) out_.batch_size = *n;
    else warn(fmt::format("batch_size must be a whole number, not {}: ignored",
                          is_scalar(v) ? "\"" + scalar_text(v) + "\"" : kind(v)));
  }

  void read_insecure(std::string_view, const json::value& v) {
    if (v.is_null()) return;
    auto b = is_scalar(v) ? base::parse_bool_text(lower_trimmed(scalar_text(v))) : std::nullopt;
    if (b) out_.insecure_skip_verify = *b;
    else warn(fmt::format("insecure_skip_verify must be true or false, not {}: false (certificates are checked)",
                          is_scalar(v) ? "\"" + scalar_text(v) + "\"" : kind(v)));
  }

  SourceConfig& out_;
  std::chrono::nanoseconds default_poll_;
};

const SourceReader::KeyReader SourceReader::kKeys[] = {
    {"type", &SourceReader::read_type},
    {"endpoint", &SourceReader::text<&SourceConfig::endpoint, true>},
    {"prefix", &SourceReader::text<&SourceConfig::prefix>},
    {"agent_id", &SourceReader::text<&SourceConfig::agent_id>},
    {"gateway_id", &SourceReader::text<&SourceConfig::gateway_id>},
    {"partition", &SourceReader::text<&SourceConfig::partition>},
    {"custom_field", &SourceReader::text<&SourceConfig::custom_field>},
    {"sync_service_id", &SourceReader::text<&SourceConfig::sync_service_id>},
    {"ca_file", &SourceReader::text<&SourceConfig::ca_file>},
    {"poll_interval", &SourceReader::duration<&SourceConfig::poll_interval>},
    {"discovery_interval", &SourceReader::duration<&SourceConfig::discovery_interval>},
    {"sweep_interval", &SourceReader::duration<&SourceConfig::sweep_interval>},
    {"run_timeout", &SourceReader::duration<&SourceConfig::run_timeout>},
    {"credentials", &SourceReader::read_credentials},
    {"queries", &SourceReader::read_queries},
    {"network_blacklist", &SourceReader::read_blacklist},
    {"batch_size", &SourceReader::read_batch_size},
    {"insecure_skip_verify", &SourceReader::read_insecure},
};

void SourceReader::read_key(std::string_view key, const json::value& v) {
  for (const auto& k : kKeys)
    if (k.key == key) return (this->*k.read)(key, v);
  if (contract::is_option_key(key)) return read_option(key, v);
  warn(fmt::format("unknown key \"{}\" ignored", key));
}

std::optional<std::chrono::nanoseconds> top_level_duration(const json::value& v, std::string& why) {
  if (v.is_string()) {
    auto d = base::parse_duration(v.get_string());
    if (!d.value) why = d.error;
    return d.value;
  }
  if (v.is_int64() && v.get_int64() >= 0) return std::chrono::nanoseconds(v.get_int64());
  if (v.is_double() && v.get_double() >= 0 && v.get_double() < 9.2e18)
    return std::chrono::nanoseconds(static_cast<std::int64_t>(v.get_double()));
  why = "must be a duration or nanoseconds, not " + kind(v);
  return std::nullopt;
}

// A setting that does not read is dropped, so the adapter takes its default.
void drop_setting(SourceConfig& s, const std::string& key) {
  s.options.erase(key);
  s.credentials.erase(key);
}

void check_page_size(SourceConfig& s) {
  const auto text = s.setting("page_size");
  if (!text) return;
  const auto limits = page_size_limits(s.type);
  const auto n = base::parse_int_text(trim_space(*text));
  if (!n || *n < 1) {
    s.warnings.push_back(fmt::format("page_size \"{}\" is not a whole number of 1 or more: the default ({}) is used",
                                     *text, limits.default_size));
    drop_setting(s, "page_size");
  } else if (static_cast<std::uint64_t>(*n) > limits.max_size) {
    s.warnings.push_back(fmt::format("page_size {} is more than a {} source takes: {} is used", *n, s.type,
                                     limits.max_size));
    drop_setting(s, "page_size");
    s.options["page_size"] = std::to_string(limits.max_size);
  }
}

bool whole_number(const std::string& t) {
  auto n = base::parse_int_text(t);
  return n && *n >= 0;
}

bool fraction(const std::string& t) {
  char* end = nullptr;
  const double d = std::strtod(t.c_str(), &end);
  return !t.empty() && end == t.c_str() + t.size() && d >= 0 && d <= 1;
}

bool page_bytes(const std::string& t) {
  auto n = base::parse_size_text(t);
  return n && *n >= 4096;
}

bool concurrency(const std::string& t) {
  auto n = base::parse_int_text(t);
  return n && *n >= 1 && *n <= kMaxConcurrencyLimit;
}

bool timeout(const std::string& t) {
  auto d = base::parse_duration(t);
  return d.value && *d.value >= std::chrono::milliseconds(1);
}

// How the adapter settings read, checked for the types that take them (in
// this order: the order of the warnings).
struct SettingCheck {
  std::string_view key;
  const char* expected;
  bool (*valid)(const std::string& text);
};
constexpr SettingCheck kSettingChecks[] = {
    {"total_devices", "a whole number", whole_number},
    {"seed", "a whole number", whole_number},
    {"first_slot", "a whole number", whole_number},
    {"churn", "a number from 0 to 1", fraction},
    {"max_page_bytes", "a size of 4KiB or more", page_bytes},
    {"max_concurrency", "a whole number from 1 to 32", concurrency},
    {"request_timeout", "a duration of 1ms or more", timeout},
    {"body_idle_timeout", "a duration of 1ms or more", timeout},
    {"body_timeout", "a duration of 1ms or more", timeout},
};

// Each adapter setting that does not read falls back to its default, warned.
void check_settings(SourceConfig& s, const AdapterType& type) {
  check_page_size(s);
  const auto options = type.keys().options;
  for (const auto& check : kSettingChecks) {
    if (std::find(options.begin(), options.end(), check.key) == options.end()) continue;
    const std::string key(check.key);
    const auto text = s.setting(key);
    if (!text || check.valid(*text)) continue;
    s.warnings.push_back(fmt::format("{} \"{}\" is not {}: the default is used", key, *text, check.expected));
    drop_setting(s, key);
  }
}

// What the HTTPS sources cannot run without: an http(s) URL with a host.
std::string check_endpoint(SourceConfig& s) {
  if (s.endpoint.empty()) return "is required";
  auto url = boost::urls::parse_uri(s.endpoint);
  // The endpoint may hold userinfo: never echo it.
  if (!url || url->host().empty() || (url->scheme() != "https" && url->scheme() != "http"))
    return "must be an https:// URL with a host";
  if (url->scheme() == "http")
    s.warnings.push_back("endpoint is http://: the API credentials and the inventory travel unencrypted");
  return {};
}

}  // namespace

std::optional<std::string> SourceConfig::setting(const std::string& key) const {
  if (auto it = options.find(key); it != options.end()) return it->second;
  if (auto it = credentials.find(key); it != credentials.end()) return it->second;
  return std::nullopt;
}

std::string validate_cidr(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return fmt::format("\"{}\" is not a CIDR (no /prefix)", text);
  const std::string addr(text.substr(0, slash));
  const auto bits = base::parse_int_text(text.substr(slash + 1));
  unsigned char buf[16];
  int max = 0;
  if (::inet_pton(AF_INET, addr.c_str(), buf) == 1) max = 32;
  else if (::inet_pton(AF_INET6, addr.c_str(), buf) == 1) max = 128;
  else return fmt::format("\"{}\" is not a CIDR (bad address)", text);
  if (!bits || *bits < 0 || *bits > max)
    return fmt::format("\"{}\" is not a CIDR (prefix length must be 0..{})", text, max);
  return {};
}

namespace {

// The sources object of a parsed config_json, and the top-level default poll
// interval; null when there are none or the document is unusable (`fatal`).
const json::object* sources_object(const json::value& doc, SourcesConfig& out,
                                   std::chrono::nanoseconds& default_poll) {
  if (!doc.is_object()) {
    out.fatal = "config_json must be a JSON object, not " + kind(doc);
    return nullptr;
  }
  const auto& root = doc.get_object();
  if (const auto* p = root.if_contains("poll_interval"); p && !p->is_null()) {
    std::string why;
    if (auto d = top_level_duration(*p, why)) default_poll = *d;
    else out.warnings.push_back("config_json: poll_interval " + why + ": sources without one keep their default");
  }
  const auto* sources = root.if_contains("sources");
  if (!sources || sources->is_null()) return nullptr;
  if (!sources->is_object()) {
    out.fatal = "config_json: sources must be an object, not " + kind(*sources);
    return nullptr;
  }
  return &sources->get_object();
}

// One source: read, run by a type this agent has, its settings checked;
// else an error or a warning saying why not.
void add_source(SourcesConfig& out, const std::string& name, const json::value& v,
                std::chrono::nanoseconds default_poll) {
  if (!v.is_object()) {
    out.errors.push_back(fmt::format("source \"{}\" skipped: must be an object, not {}", name, kind(v)));
    return;
  }
  SourceConfig source;
  source.name = name;
  SourceReader reader(source, default_poll);
  if (!reader.read(v.get_object())) {
    out.errors.push_back(fmt::format("source \"{}\" skipped: {} {}", name, reader.err.key, reader.err.why));
    return;
  }
  const auto* type = find_adapter_type(source.type);
  if (!type) {
    out.warnings.push_back(fmt::format("source \"{}\" not run: type \"{}\" is not one this agent runs ({})", name,
                                       source.type, adapter_type_list()));
    return;
  }
  check_settings(source, *type);
  if (type->keys().endpoint) {
    if (auto why = check_endpoint(source); !why.empty()) {
      out.errors.push_back(fmt::format("source \"{}\" skipped: endpoint {}", name, why));
      return;
    }
  }
  out.sources.push_back(std::move(source));
}

}  // namespace

SourcesConfig parse_sources(std::string_view config_json) {
  SourcesConfig out;
  if (config_json.empty()) return out;
  boost::system::error_code ec;
  auto doc = json::parse(config_json, ec);
  if (ec) {
    out.fatal = "config_json is not valid JSON: " + ec.message();
    return out;
  }
  std::chrono::nanoseconds default_poll{0};
  if (const auto* sources = sources_object(doc, out, default_poll))
    for (const auto& kv : *sources) add_source(out, std::string(kv.key()), kv.value(), default_poll);
  return out;
}

}  // namespace sr::sync
