#include "sync/config/source_config.hpp"

#include "sync/config/duration.hpp"
#include "sync/device/address_text.hpp"

#include <arpa/inet.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <set>

namespace sr::sync {

namespace json = boost::json;

namespace {

// Keys of the common schema that this agent does not use, accepted quietly.
const std::set<std::string, std::less<>> kIgnoredKeys = {"sweep_interval"};
// Adapter settings that may stand beside the common keys (or in credentials,
// where the platform puts page_size); kept as text, checked per type below.
const std::set<std::string, std::less<>> kOptionKeys = {
    "total_devices", "seed",           "churn",           "first_slot",       "page_size",
    "max_page_bytes", "request_timeout", "body_idle_timeout", "body_timeout",
    "max_merged_devices", "max_seen_devices"};

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

  void read_key(std::string_view key, const json::value& v) {
    if (key == "type") return read_type(v);
    if (key == "endpoint") return read_text(key, v, out_.endpoint, true);
    if (key == "prefix") return read_text(key, v, out_.prefix);
    if (key == "agent_id") return read_text(key, v, out_.agent_id);
    if (key == "gateway_id") return read_text(key, v, out_.gateway_id);
    if (key == "partition") return read_text(key, v, out_.partition);
    if (key == "custom_field") return read_text(key, v, out_.custom_field);
    if (key == "sync_service_id") return read_text(key, v, out_.sync_service_id);
    if (key == "ca_file") return read_text(key, v, out_.ca_file);
    if (key == "poll_interval") return read_duration(key, v, out_.poll_interval);
    if (key == "discovery_interval") return read_duration(key, v, out_.discovery_interval);
    if (key == "sweep_interval") return read_duration(key, v, out_.sweep_interval);
    if (key == "run_timeout") return read_duration(key, v, out_.run_timeout);
    if (key == "credentials") return read_credentials(v);
    if (key == "queries") return read_queries(v);
    if (key == "network_blacklist") return read_blacklist(v);
    if (key == "batch_size") return read_batch_size(v);
    if (key == "insecure_skip_verify") return read_insecure(v);
    if (kOptionKeys.count(key)) {
      if (is_scalar(v)) out_.options[std::string(key)] = scalar_text(v);
      else if (!v.is_null()) warn(fmt::format("{} must be a number or text, not {}: ignored", key, kind(v)));
      return;
    }
    if (!kIgnoredKeys.count(key)) warn(fmt::format("unknown key \"{}\" ignored", key));
  }

  void read_type(const json::value& v) {
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
      auto d = parse_duration(trim_space(v.get_string()));
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

  void read_credentials(const json::value& v) {
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
  void read_queries(const json::value& v) {
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
  void read_blacklist(const json::value& v) {
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

  void read_batch_size(const json::value& v) {
    if (v.is_null()) return;
    auto n = is_scalar(v) ? parse_int_text(trim_space(scalar_text(v))) : std::nullopt;
    if (n && *n >= 0) out_.batch_size = *n;
    else warn(fmt::format("batch_size must be a whole number, not {}: ignored",
                          is_scalar(v) ? "\"" + scalar_text(v) + "\"" : kind(v)));
  }

  void read_insecure(const json::value& v) {
    if (v.is_null()) return;
    auto b = is_scalar(v) ? parse_bool_text(lower_trimmed(scalar_text(v))) : std::nullopt;
    if (b) out_.insecure_skip_verify = *b;
    else warn(fmt::format("insecure_skip_verify must be true or false, not {}: false (certificates are checked)",
                          is_scalar(v) ? "\"" + scalar_text(v) + "\"" : kind(v)));
  }

  SourceConfig& out_;
  std::chrono::nanoseconds default_poll_;
};

std::optional<std::chrono::nanoseconds> top_level_duration(const json::value& v, std::string& why) {
  if (v.is_string()) {
    auto d = parse_duration(v.get_string());
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
  const auto n = parse_int_text(trim_space(*text));
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

// Each adapter setting that does not read falls back to its default, warned.
void check_settings(SourceConfig& s) {
  check_page_size(s);
  auto check = [&](const char* key, const char* expected, auto valid) {
    const auto text = s.setting(key);
    if (!text || valid(*text)) return;
    s.warnings.push_back(fmt::format("{} \"{}\" is not {}: the default is used", key, *text, expected));
    drop_setting(s, key);
  };
  const auto whole = [](const std::string& t) {
    auto n = parse_int_text(t);
    return n && *n >= 0;
  };
  const auto duration = [](const std::string& t) {
    auto d = parse_duration(t);
    return d.value && *d.value >= std::chrono::milliseconds(1);
  };
  if (s.type == "faker") {
    check("total_devices", "a whole number", whole);
    check("seed", "a whole number", whole);
    check("first_slot", "a whole number", whole);
    check("churn", "a number from 0 to 1", [](const std::string& t) {
      char* end = nullptr;
      const double d = std::strtod(t.c_str(), &end);
      return !t.empty() && end == t.c_str() + t.size() && d >= 0 && d <= 1;
    });
    return;
  }
  check("max_page_bytes", "a size of 4KiB or more", [](const std::string& t) {
    auto n = parse_size_text(t);
    return n && *n >= 4096;
  });
  for (const char* key : {"request_timeout", "body_idle_timeout", "body_timeout"})
    check(key, "a duration of 1ms or more", duration);
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

bool is_known_source_type(std::string_view type) {
  return type == "armis" || type == "netbox" || type == "faker";
}

PageSizeLimits page_size_limits(std::string_view type) {
  if (type == "netbox") return {100, 10'000};  // NetBox caps at its MAX_PAGE_SIZE (1000) by default
  if (type == "faker") return {1000, 100'000};
  return {100, 100'000};                       // Armis
}

std::optional<std::string> SourceConfig::setting(const std::string& key) const {
  if (auto it = options.find(key); it != options.end()) return it->second;
  if (auto it = credentials.find(key); it != credentials.end()) return it->second;
  return std::nullopt;
}

std::optional<bool> parse_bool_text(std::string_view t) {
  if (t == "true" || t == "TRUE" || t == "True" || t == "1" || t == "yes") return true;
  if (t == "false" || t == "FALSE" || t == "False" || t == "0" || t == "no" || t.empty()) return false;
  return std::nullopt;
}

std::optional<std::int64_t> parse_int_text(std::string_view t) {
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (ec != std::errc() || p != t.data() + t.size() || t.empty()) return std::nullopt;
  return n;
}

std::optional<std::uint64_t> parse_size_text(std::string_view text) {
  std::uint64_t value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || p == text.data()) return std::nullopt;
  std::string unit(p, text.data() + text.size());
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::uint64_t mult = 0;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib") mult = 1ull << 10;
  else if (unit == "m" || unit == "mb" || unit == "mib") mult = 1ull << 20;
  else if (unit == "g" || unit == "gb" || unit == "gib") mult = 1ull << 30;
  else return std::nullopt;
  if (value > UINT64_MAX / mult) return std::nullopt;
  return value * mult;
}

std::string validate_cidr(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return fmt::format("\"{}\" is not a CIDR (no /prefix)", text);
  const std::string addr(text.substr(0, slash));
  const auto bits = parse_int_text(text.substr(slash + 1));
  unsigned char buf[16];
  int max = 0;
  if (::inet_pton(AF_INET, addr.c_str(), buf) == 1) max = 32;
  else if (::inet_pton(AF_INET6, addr.c_str(), buf) == 1) max = 128;
  else return fmt::format("\"{}\" is not a CIDR (bad address)", text);
  if (!bits || *bits < 0 || *bits > max)
    return fmt::format("\"{}\" is not a CIDR (prefix length must be 0..{})", text, max);
  return {};
}

SourcesConfig parse_sources(std::string_view config_json) {
  SourcesConfig out;
  if (config_json.empty()) return out;
  boost::system::error_code ec;
  auto doc = json::parse(config_json, ec);
  if (ec) {
    out.fatal = "config_json is not valid JSON: " + ec.message();
    return out;
  }
  if (!doc.is_object()) {
    out.fatal = "config_json must be a JSON object, not " + kind(doc);
    return out;
  }
  const auto& root = doc.get_object();
  std::chrono::nanoseconds default_poll{0};
  if (const auto* p = root.if_contains("poll_interval"); p && !p->is_null()) {
    std::string why;
    if (auto d = top_level_duration(*p, why)) default_poll = *d;
    else out.warnings.push_back("config_json: poll_interval " + why + ": sources without one keep their default");
  }
  const auto* sources = root.if_contains("sources");
  if (!sources || sources->is_null()) return out;
  if (!sources->is_object()) {
    out.fatal = "config_json: sources must be an object, not " + kind(*sources);
    return out;
  }
  for (const auto& kv : sources->get_object()) {
    const std::string name(kv.key());
    if (!kv.value().is_object()) {
      out.errors.push_back(fmt::format("source \"{}\" skipped: must be an object, not {}", name, kind(kv.value())));
      continue;
    }
    SourceConfig source;
    source.name = name;
    SourceReader reader(source, default_poll);
    if (!reader.read(kv.value().get_object())) {
      out.errors.push_back(fmt::format("source \"{}\" skipped: {} {}", name, reader.err.key, reader.err.why));
      continue;
    }
    if (!is_known_source_type(source.type)) {
      out.warnings.push_back(fmt::format("source \"{}\" not run: type \"{}\" is not one this agent runs "
                                         "(armis, netbox, faker)", name, source.type));
      continue;
    }
    check_settings(source);
    if (source.type != "faker") {
      if (auto why = check_endpoint(source); !why.empty()) {
        out.errors.push_back(fmt::format("source \"{}\" skipped: endpoint {}", name, why));
        continue;
      }
    }
    out.sources.push_back(std::move(source));
  }
  return out;
}

}  // namespace sr::sync
