#include "agent/bootstrap/bootstrap_config.hpp"

#include "base/read_file.hpp"
#include "base/text/duration.hpp"
#include "base/text/scalars.hpp"
#include "base/text/size.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <set>

namespace sr::agent {

namespace json = boost::json;
using Result = base::Expected<Bootstrap>;

const std::vector<BootstrapKey>& bootstrap_keys() {
  static const std::vector<BootstrapKey> keys{
      {"gateway_addr", "SR_GATEWAY_ADDR", "agent-gateway host:port (required)"},
      {"cert_dir", "SR_CERT_DIR", "directory with agent.pem, agent.key, ca.pem"},
      {"cert_file", "SR_CERT_FILE", "client certificate chain (PEM)"},
      {"key_file", "SR_KEY_FILE", "client private key (PEM)"},
      {"ca_file", "SR_CA_FILE", "CA that signed the gateway's certificate (PEM)"},
      {"server_name", "SR_SERVER_NAME", "TLS name of the gateway, if not its host"},
      {"gateway_issuer_file", "SR_GATEWAY_ISSUER_FILE",
       "optional pin: the gateway's certificate must be signed by a CA in this file (PEM)"},
      {"agent_id", "SR_AGENT_ID", "informational: the certificate's is used (warned if different)"},
      {"partition", "SR_PARTITION", "informational: the certificate's is used (warned if different)"},
      {"state_dir", "SR_STATE_DIR", "where the agent keeps state"},
      {"log_level", "SR_LOG_LEVEL", "debug, info, warn or error"},
      {"log_format", "SR_LOG_FORMAT", "text or json"},
      {"metrics_addr", "SR_METRICS_ADDR", "host:port of /healthz, /readyz, /metrics (off if empty)"},
      {"threads", "SR_THREADS", "io threads, 1..64"},
      {"allow_insecure", "SR_ALLOW_INSECURE", "plaintext gRPC without certificates (testing only)"},
      {"min_poll_interval", "SR_MIN_POLL_INTERVAL", "lower bound of the config poll interval"},
      {"spool_memory", "SR_SPOOL_MEMORY", "chunk bytes kept in RAM before spilling to state_dir (8MiB)"},
      {"spool_disk_cap", "SR_SPOOL_DISK_CAP", "most disk the spool may use (2GiB)"},
      {"run_timeout", "SR_RUN_TIMEOUT", "time limit of one sync run (10m)"},
      {"min_sync_interval", "SR_MIN_SYNC_INTERVAL", "floor of source poll/discovery intervals (10s)"},
      {"config_cache", "SR_CONFIG_CACHE", "last config in state_dir: sealed (default), plain or off"},
      {"sync_runtime_enabled", "SR_SYNC_RUNTIME_ENABLED",
       "false: enrol and follow the config but run no source (default true)"},
      {"grpc_compression", "SR_GRPC_COMPRESSION",
       "StreamStatus message compression: none (default) or gzip"},
  };
  return keys;
}

Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

namespace {

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// true/false/1/0 in any case, nothing else.
std::optional<bool> parse_bool(const std::string& text) {
  return base::parse_bool_text(text, base::BoolSpelling::strict);
}

// A log level as this agent or the upstream one (zerolog) spells it, in any
// case. `exact`: nothing is lost in the mapping (warning is warn).
struct LevelChoice {
  std::string level;
  bool exact;
};
std::optional<LevelChoice> map_log_level(const std::string& text) {
  const auto t = lower(text);
  if (t == "debug" || t == "info" || t == "warn" || t == "error") return LevelChoice{t, true};
  if (t == "warning") return LevelChoice{"warn", true};
  if (t == "trace") return LevelChoice{"debug", false};
  if (t == "fatal" || t == "panic" || t == "disabled") return LevelChoice{"error", false};
  return std::nullopt;
}

// One setter for every source: a string (env, flag) or a JSON value (file).
struct Setter {
  BootstrapConfig& c;
  std::vector<std::string>& warnings;
  std::string cert_dir;
  std::string where;  // what is being set, for warnings: "<file>: key 'log_level'"

  std::string set_level(const std::string& text) {
    auto m = map_log_level(text);
    if (!m) return "must be debug, info, warn or error, not '" + text + "'";
    if (!m->exact)
      warnings.push_back(fmt::format("{}: log level '{}' is taken as '{}' (this agent logs debug, info, "
                                     "warn and error)", where, text, m->level));
    c.log_level = m->level;
    return {};
  }

  static std::string set_bool(bool& field, const std::string& text) {
    auto b = parse_bool(text);
    if (!b) return "must be true or false, not '" + text + "'";
    field = *b;
    return {};
  }

  // "" on success, else what is wrong with the value.
  std::string set(const std::string& key, const std::string& text) {
    auto str = [&](std::string& field) {
      field = text;
      return std::string();
    };
    if (key == "gateway_addr") return str(c.gateway_addr);
    if (key == "cert_dir") return str(cert_dir);
    if (key == "cert_file") return str(c.cert_file);
    if (key == "key_file") return str(c.key_file);
    if (key == "ca_file") return str(c.ca_file);
    if (key == "server_name") return str(c.server_name);
    if (key == "gateway_issuer_file") return str(c.gateway_issuer_file);
    if (key == "agent_id") return str(c.agent_id);
    if (key == "partition") return str(c.partition);
    if (key == "state_dir") return str(c.state_dir);
    if (key == "metrics_addr") return str(c.metrics_addr);
    if (key == "log_level") return set_level(text);
    if (key == "config_cache") {
      if (text != "sealed" && text != "plain" && text != "off")
        return "must be sealed, plain or off, not '" + text + "'";
      return str(c.config_cache);
    }
    if (key == "grpc_compression") {
      if (text != "none" && text != "gzip") return "must be none or gzip, not '" + text + "'";
      return str(c.grpc_compression);
    }
    if (key == "log_format") {
      if (text != "text" && text != "json") return "must be text or json, not '" + text + "'";
      return str(c.log_format);
    }
    if (key == "threads") {
      char* end = nullptr;
      const long n = std::strtol(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || n < 1 || n > 64)
        return "must be a whole number from 1 to 64, not '" + text + "'";
      c.threads = static_cast<unsigned>(n);
      return {};
    }
    if (key == "allow_insecure") return set_bool(c.allow_insecure, text);
    if (key == "sync_runtime_enabled") return set_bool(c.sync_runtime_enabled, text);
    auto duration = [&](std::chrono::milliseconds& field) {
      auto d = base::parse_duration(text);
      if (!d.value) return d.error;
      field = std::chrono::duration_cast<std::chrono::milliseconds>(*d.value);
      return std::string();
    };
    auto size = [&](std::uint64_t& field) {
      auto n = base::parse_size_text(text);
      if (!n) return "must be a size such as 8MiB or 2GB, not '" + text + "'";
      field = *n;
      return std::string();
    };
    if (key == "min_poll_interval") return duration(c.min_poll_interval);
    if (key == "run_timeout") return duration(c.run_timeout);
    if (key == "min_sync_interval") return duration(c.min_sync_interval);
    if (key == "spool_memory") return size(c.spool_memory);
    if (key == "spool_disk_cap") return size(c.spool_disk_cap);
    return "unknown key";
  }

  std::string set(const std::string& key, const json::value& v) {
    const bool boolean = key == "allow_insecure" || key == "sync_runtime_enabled";
    if (v.is_string()) return set(key, std::string(v.get_string()));
    if ((key == "threads" || key == "spool_memory" || key == "spool_disk_cap") && v.is_int64())
      return set(key, std::to_string(v.get_int64()));
    if (boolean && v.is_bool()) return set(key, std::string(v.get_bool() ? "true" : "false"));
    if (key == "threads") return "must be a number";
    if (boolean) return "must be true or false";
    return "must be a string";
  }

  // The current value of a key the upstream shape can also set.
  std::string current(const std::string& key) const {
    if (key == "cert_dir") return cert_dir;
    if (key == "cert_file") return c.cert_file;
    if (key == "key_file") return c.key_file;
    if (key == "ca_file") return c.ca_file;
    if (key == "server_name") return c.server_name;
    if (key == "log_level") return c.log_level;
    return {};
  }
};

// Sets `key` and records where its value came from.
template <class Value>
std::string assign(Setter& s, Bootstrap& out, const std::string& key, const Value& value,
                   const std::string& from, std::string where) {
  s.where = std::move(where);
  auto bad = s.set(key, value);
  if (bad.empty()) out.origin[key] = from;
  return bad;
}

bool known(const std::string& key) {
  for (const auto& k : bootstrap_keys())
    if (key == k.key) return true;
  return false;
}

// A key of the upstream agent's nested shape that sets one of ours.
struct Nested {
  std::string key;   // ours: cert_file, log_level, ...
  std::string name;  // as written: gateway_security.tls.cert_file
  std::string value;
};

// What one pass over the file found.
struct FileScan {
  std::string path;
  std::vector<Nested> nested;
  std::vector<std::string> ignored;  // keys of features this agent does not have
  std::vector<std::string> notes;    // warnings
  std::set<std::string> flat;        // our keys the file set

  std::string key(const std::string& name) const { return fmt::format("{}: key '{}'", path, name); }
  std::string error(const std::string& name, const std::string& problem) const {
    return key(name) + " " + problem;
  }
};

// A string, or "" for null; nullopt for anything else.
std::optional<std::string> text_of(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_null()) return std::string();
  return std::nullopt;
}

// Relative file names of gateway_security.tls are under its cert_dir, as upstream.
std::string under(const std::string& dir, const std::string& file) {
  if (dir.empty() || file.empty() || std::filesystem::path(file).is_absolute()) return file;
  return (std::filesystem::path(dir) / file).lexically_normal().string();
}

std::string security_mode_problem(const json::value& v) {
  auto text = text_of(v);
  if (!text) return "must be a string";
  const auto mode = lower(*text);
  if (mode.empty() || mode == "mtls") return {};
  if (mode == "none")
    return "is 'none' (plaintext): this agent connects with mTLS only; set allow_insecure: true "
           "for a plaintext test setup";
  if (mode == "spiffe")
    return "is 'spiffe', which this agent does not support: use mode mtls with tls.cert_file, "
           "tls.key_file and tls.ca_file";
  return "must be mtls, not '" + *text + "'";
}

std::string scan_tls(const json::value& v, const std::string& dir, FileScan& scan) {
  if (!v.is_object()) return scan.error("gateway_security.tls", "must be an object");
  for (const auto& kv : v.get_object()) {
    const std::string key(kv.key());
    const std::string name = "gateway_security.tls." + key;
    if (key == "client_ca_file") continue;  // verifies clients of a server: none here
    if (key != "cert_file" && key != "key_file" && key != "ca_file") {
      scan.ignored.push_back(name);
      continue;
    }
    auto text = text_of(kv.value());
    if (!text) return scan.error(name, "must be a string");
    if (!text->empty()) scan.nested.push_back({key, name, under(dir, *text)});
  }
  return {};
}

std::string scan_gateway_security(const json::value& v, FileScan& scan) {
  if (!v.is_object()) return scan.error("gateway_security", "must be an object");
  const auto& obj = v.get_object();
  std::string dir;
  if (const auto* d = obj.if_contains("cert_dir")) {
    auto text = text_of(*d);
    if (!text) return scan.error("gateway_security.cert_dir", "must be a string");
    dir = *text;
  }
  for (const auto& kv : obj) {
    const std::string key(kv.key());
    const std::string name = "gateway_security." + key;
    if (key == "role") continue;  // the upstream's own mTLS role; this agent is a client
    if (key == "mode") {
      if (auto bad = security_mode_problem(kv.value()); !bad.empty()) return scan.error(name, bad);
    } else if (key == "tls") {
      if (kv.value().is_null()) continue;
      if (auto bad = scan_tls(kv.value(), dir, scan); !bad.empty()) return bad;
    } else if (key == "cert_dir" || key == "server_name") {
      auto text = text_of(kv.value());
      if (!text) return scan.error(name, "must be a string");
      if (!text->empty()) scan.nested.push_back({key, name, *text});
    } else {
      scan.ignored.push_back(name);
    }
  }
  return {};
}

// logging.otel counts as ignored only when it is enabled.
bool otel_enabled(const json::value& v) {
  if (v.is_null()) return false;
  const auto* obj = v.if_object();
  if (!obj) return true;
  const auto* enabled = obj->if_contains("enabled");
  if (!enabled) return false;
  if (enabled->is_bool()) return enabled->get_bool();
  return enabled->is_string() && parse_bool(std::string(enabled->get_string())).value_or(true);
}

std::string scan_logging_key(const std::string& key, const json::value& v, FileScan& scan, bool& debug) {
  const std::string name = "logging." + key;
  if (key == "level" || key == "output") {
    auto text = text_of(v);
    if (!text) return scan.error(name, "must be a string");
    const auto out = lower(*text);
    if (key == "level" && !text->empty()) scan.nested.push_back({"log_level", name, *text});
    if (key == "output" && !out.empty() && out != "stdout" && out != "stderr")
      scan.notes.push_back(fmt::format("{}: logging.output '{}' is not supported: the agent logs to stderr",
                                       scan.path, *text));
  } else if (key == "debug") {
    std::optional<bool> b;
    if (v.is_bool()) b = v.get_bool();
    else if (v.is_string()) b = parse_bool(std::string(v.get_string()));
    if (!b) return scan.error(name, "must be true or false");
    debug = *b;
  } else if (key == "time_format") {
    if (auto text = text_of(v); !text || !text->empty()) scan.ignored.push_back(name);
  } else if (key == "otel") {
    if (otel_enabled(v)) scan.ignored.push_back(name);
  } else {
    scan.ignored.push_back(name);
  }
  return {};
}

std::string scan_logging(const json::value& v, FileScan& scan) {
  if (!v.is_object()) return scan.error("logging", "must be an object");
  bool debug = false;
  for (const auto& kv : v.get_object())
    if (auto bad = scan_logging_key(std::string(kv.key()), kv.value(), scan, debug); !bad.empty()) return bad;
  // As upstream: debug: true wins over level.
  if (debug) {
    std::erase_if(scan.nested, [](const Nested& n) { return n.key == "log_level"; });
    scan.nested.push_back({"log_level", "logging.debug", "debug"});
  }
  return {};
}

// Two spellings of one value: paths compare normalised, levels mapped.
std::string comparable(const std::string& key, const std::string& value) {
  if (key == "log_level") {
    auto m = map_log_level(value);
    return m ? m->level : value;
  }
  if (key == "server_name") return value;
  auto p = std::filesystem::path(value).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// Our flat keys win over the upstream ones in the same file; they are
// warned about when they say something else.
std::string merge_nested(Setter& s, Bootstrap& out, const FileScan& scan) {
  for (const auto& n : scan.nested) {
    if (scan.flat.count(n.key)) {
      const auto flat = s.current(n.key);
      if (comparable(n.key, flat) != comparable(n.key, n.value))
        out.warnings.push_back(fmt::format("{}: {} '{}' and {} '{}' differ: {} is used", scan.path, n.key,
                                           flat, n.name, n.value, n.key));
      continue;
    }
    if (auto bad = assign(s, out, n.key, n.value, scan.path, scan.key(n.name)); !bad.empty())
      return scan.error(n.name, bad);
  }
  return {};
}

std::string scan_key(const std::string& key, const json::value& v, Setter& s, Bootstrap& out,
                     FileScan& scan) {
  if ((key == "gateway_security" || key == "logging") && v.is_null()) return {};  // as absent, like upstream
  if (key == "gateway_security") return scan_gateway_security(v, scan);
  if (key == "logging") return scan_logging(v, scan);
  if (!known(key)) {
    scan.ignored.push_back(key);
    return {};
  }
  scan.flat.insert(key);
  if (auto bad = assign(s, out, key, v, scan.path, scan.key(key)); !bad.empty())
    return scan.error(key, bad);
  return {};
}

std::string ignored_warning(const FileScan& scan) {
  auto keys = scan.ignored;
  std::sort(keys.begin(), keys.end());
  std::string list;
  for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
  return fmt::format("{}: keys ignored (features this agent does not have): {}", scan.path, list);
}

std::string apply_file(Setter& s, Bootstrap& out, const std::string& path) {
  auto text = base::read_small_file(path);
  if (!text) return text.error();
  boost::system::error_code ec;
  auto doc = json::parse(*text, ec);
  if (ec) return fmt::format("{}: not JSON: {}", path, ec.message());
  if (!doc.is_object()) return path + ": must be a JSON object";
  FileScan scan{path, {}, {}, {}, {}};
  for (const auto& kv : doc.as_object())
    if (auto bad = scan_key(std::string(kv.key()), kv.value(), s, out, scan); !bad.empty()) return bad;
  if (auto bad = merge_nested(s, out, scan); !bad.empty()) return bad;
  out.warnings.insert(out.warnings.end(), scan.notes.begin(), scan.notes.end());
  if (!scan.ignored.empty()) out.warnings.push_back(ignored_warning(scan));
  return {};
}

std::string validate(BootstrapConfig& c, const std::string& cert_dir,
                     std::vector<std::string>& warnings) {
  if (!cert_dir.empty()) {
    if (c.cert_file.empty()) c.cert_file = cert_dir + "/agent.pem";
    if (c.key_file.empty()) c.key_file = cert_dir + "/agent.key";
    if (c.ca_file.empty()) c.ca_file = cert_dir + "/ca.pem";
  }
  if (c.gateway_addr.empty())
    return "gateway_addr is required (file key gateway_addr, SR_GATEWAY_ADDR or --gateway-addr)";
  if (c.allow_insecure) {
    warnings.push_back("allow_insecure is set: gRPC to the gateway is PLAINTEXT, without identity");
    return {};
  }
  for (auto [name, value] : {std::pair{"cert_file", &c.cert_file}, {"key_file", &c.key_file},
                             {"ca_file", &c.ca_file}}) {
    if (value->empty())
      return fmt::format("{} is required (or cert_dir, or allow_insecure for plaintext)", name);
  }
  return {};
}

}  // namespace

Result load_bootstrap(const std::string& file, bool file_required, const Environment& env,
                      const std::map<std::string, std::string>& flags) {
  Bootstrap out;
  Setter setter{out.config, out.warnings, {}, {}};
  if (!file.empty()) {
    if (!std::filesystem::exists(file)) {
      if (file_required) return Result::failure(file + ": cannot read the bootstrap file");
    } else if (auto bad = apply_file(setter, out, file); !bad.empty()) {
      return Result::failure(bad);
    }
  }
  for (const auto& k : bootstrap_keys()) {
    if (auto v = env(k.env)) {
      const std::string from = std::string("environment ") + k.env;
      if (auto bad = assign(setter, out, k.key, *v, from, from); !bad.empty())
        return Result::failure(fmt::format("{}: {}", from, bad));
    }
  }
  for (const auto& [key, value] : flags) {
    std::string flag = key;
    std::replace(flag.begin(), flag.end(), '_', '-');
    const std::string from = "flag --" + flag;
    if (auto bad = assign(setter, out, key, value, from, from); !bad.empty())
      return Result::failure(fmt::format("{}: {}", from, bad));
  }
  if (auto bad = validate(out.config, setter.cert_dir, out.warnings); !bad.empty())
    return Result::failure(bad);
  return out;
}

}  // namespace sr::agent
