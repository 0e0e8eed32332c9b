#include "agent/bootstrap/bootstrap_config.hpp"

#include "net/read_file.hpp"
#include "sync/config/duration.hpp"
#include "sync/config/source_config.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace sr::agent {

namespace json = boost::json;
using Result = net::Expected<Bootstrap>;

const std::vector<BootstrapKey>& bootstrap_keys() {
  static const std::vector<BootstrapKey> keys{
      {"gateway_addr", "SR_GATEWAY_ADDR", "agent-gateway host:port (required)"},
      {"cert_dir", "SR_CERT_DIR", "directory with agent.pem, agent.key, ca.pem"},
      {"cert_file", "SR_CERT_FILE", "client certificate chain (PEM)"},
      {"key_file", "SR_KEY_FILE", "client private key (PEM)"},
      {"ca_file", "SR_CA_FILE", "CA that signed the gateway's certificate (PEM)"},
      {"server_name", "SR_SERVER_NAME", "TLS name of the gateway, if not its host"},
      {"agent_id", "SR_AGENT_ID", "must equal the certificate's (default: from it)"},
      {"partition", "SR_PARTITION", "must equal the certificate's (default: from it)"},
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

// One setter for every source: a string (env, flag) or a JSON value (file).
struct Setter {
  BootstrapConfig& c;
  std::string cert_dir;

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
    if (key == "agent_id") return str(c.agent_id);
    if (key == "partition") return str(c.partition);
    if (key == "state_dir") return str(c.state_dir);
    if (key == "metrics_addr") return str(c.metrics_addr);
    if (key == "log_level") {
      if (text != "debug" && text != "info" && text != "warn" && text != "error")
        return "must be debug, info, warn or error, not '" + text + "'";
      return str(c.log_level);
    }
    if (key == "config_cache") {
      if (text != "sealed" && text != "plain" && text != "off")
        return "must be sealed, plain or off, not '" + text + "'";
      return str(c.config_cache);
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
    if (key == "allow_insecure") {
      if (text == "true" || text == "1") c.allow_insecure = true;
      else if (text == "false" || text == "0") c.allow_insecure = false;
      else return "must be true or false, not '" + text + "'";
      return {};
    }
    auto duration = [&](std::chrono::milliseconds& field) {
      auto d = sync::parse_duration(text);
      if (!d.value) return d.error;
      field = std::chrono::duration_cast<std::chrono::milliseconds>(*d.value);
      return std::string();
    };
    auto size = [&](std::uint64_t& field) {
      auto n = sync::parse_size_text(text);
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
    if (v.is_string()) return set(key, std::string(v.get_string()));
    if ((key == "threads" || key == "spool_memory" || key == "spool_disk_cap") && v.is_int64())
      return set(key, std::to_string(v.get_int64()));
    if (key == "allow_insecure" && v.is_bool()) return set(key, std::string(v.get_bool() ? "true" : "false"));
    if (key == "threads") return "must be a number";
    if (key == "allow_insecure") return "must be true or false";
    return "must be a string";
  }
};

bool known(const std::string& key) {
  for (const auto& k : bootstrap_keys())
    if (key == k.key) return true;
  return false;
}

std::string apply_file(Setter& s, const std::string& path, std::vector<std::string>& warnings) {
  auto text = net::read_small_file(path);
  if (!text) return text.error();
  boost::system::error_code ec;
  auto doc = json::parse(*text, ec);
  if (ec) return fmt::format("{}: not JSON: {}", path, ec.message());
  if (!doc.is_object()) return path + ": must be a JSON object";
  for (const auto& kv : doc.as_object()) {
    const std::string key(kv.key());
    if (!known(key)) {
      warnings.push_back(fmt::format("{}: unknown key '{}' ignored", path, key));
      continue;
    }
    if (auto bad = s.set(key, kv.value()); !bad.empty())
      return fmt::format("{}: key '{}' {}", path, key, bad);
  }
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
  Setter setter{out.config, {}};
  if (!file.empty()) {
    if (!std::filesystem::exists(file)) {
      if (file_required) return Result::failure(file + ": cannot read the bootstrap file");
    } else if (auto bad = apply_file(setter, file, out.warnings); !bad.empty()) {
      return Result::failure(bad);
    }
  }
  for (const auto& k : bootstrap_keys()) {
    if (auto v = env(k.env)) {
      if (auto bad = setter.set(k.key, *v); !bad.empty())
        return Result::failure(fmt::format("environment {}: {}", k.env, bad));
    }
  }
  for (const auto& [key, value] : flags) {
    if (auto bad = setter.set(key, value); !bad.empty()) {
      std::string flag = key;
      std::replace(flag.begin(), flag.end(), '_', '-');
      return Result::failure(fmt::format("flag --{}: {}", flag, bad));
    }
  }
  if (auto bad = validate(out.config, setter.cert_dir, out.warnings); !bad.empty())
    return Result::failure(bad);
  return out;
}

}  // namespace sr::agent
