#include "tools/agent-gateway/admin/source_routes.hpp"

#include "net/tls/peer_identity.hpp"
#include "tools/agent-gateway/admin/admin_auth.hpp"
#include "tools/agent-gateway/admin/source_edits.hpp"
#include "base/log/logger.hpp"

#include <fmt/format.h>
#include "base/clock.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace sr::gateway {

namespace json = boost::json;
using sr::net::http::Request;
using sr::net::http::Response;

namespace {

constexpr std::string_view kPrefix = "/admin/tenants/";
constexpr const char* kOnboarding =
    "enrol an agent first: issue it a certificate from the tenant's CA (tools/gen-certs agent "
    "<tenant> <agent-id>), start it with this gateway's address, and wait for its Hello "
    "(GET /admin/tenants/<tenant>/agents lists it)";

Response answer(unsigned status, const json::value& body) {
  return {status, "application/json", json::serialize(body)};
}

// /admin/tenants/<tenant>/<collection>[/<name>[/<action>]]
struct Target {
  std::string tenant, collection, name, action;
};

std::optional<Target> parse_target(const std::string& target) {
  std::string path = target.substr(0, target.find('?'));
  if (path.rfind(kPrefix, 0) != 0) return std::nullopt;
  path.erase(0, kPrefix.size());
  std::vector<std::string> parts;
  for (std::size_t start = 0; start <= path.size();) {
    const auto slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (parts.size() < 2 || parts.size() > 4) return std::nullopt;
  Target t{parts[0], parts[1], parts.size() > 2 ? parts[2] : "", parts.size() > 3 ? parts[3] : ""};
  if (t.tenant.empty() || t.collection.empty() || (parts.size() > 2 && t.name.empty())) return std::nullopt;
  return t;
}

bool has_sync(const AgentRecord& r) {
  return std::find(r.capabilities.begin(), r.capabilities.end(), "sync") != r.capabilities.end();
}

json::value last_result(const std::string& name, const std::map<std::string, SourceRecord>& reports,
                        const std::map<AgentKey, AgentRecord>& agents) {
  auto it = reports.find(name);
  if (it == reports.end()) return nullptr;
  const auto& r = it->second.last;
  json::object out{{"agent_id", r.agent_id}, {"last_run", r.last_run}, {"result", r.result},
                   {"devices", r.devices},   {"error", r.error},       {"stage", r.stage},
                   {"retries", r.retries},   {"send_error", r.send_error}, {"reported_at", r.reported_at}};
  for (const auto& [key, agent] : agents) {
    if (key.agent_id != r.agent_id || agent.last_stream.at == 0) continue;
    const auto& s = agent.last_stream;
    out["last_stream"] = json::object{{"at", s.at}, {"result", s.result}, {"chunks", s.chunks}, {"devices", s.devices}};
  }
  return out;
}

class SourceApi {
 public:
  SourceApi(ControlHub& hub, const GatewayState& state) : hub_(hub), state_(state) {}

  Response handle(const Request& req) {
    auto target = parse_target(req.target);
    if (!target)
      return error(404, "no such admin resource " + req.target +
                            " (try /admin/tenants/<tenant>/agents or /admin/tenants/<tenant>/sources)");
    if (!net::tls::valid_tenant_slug(target->tenant))
      return error(400, "'" + target->tenant + "' is not a tenant slug (a-z, 0-9, '-')");
    const Target& t = *target;
    const bool read = req.method == "GET" || req.method == "HEAD";
    if (t.collection == "agents" && t.name.empty())
      return read ? list_agents(t.tenant) : not_allowed("GET");
    if (t.collection != "sources") return error(404, "no collection '" + t.collection + "' (agents, sources)");
    if (t.name.empty()) {
      if (read) return list_sources(t.tenant);
      if (req.method == "POST") return create(t.tenant, req.body);
      return not_allowed("GET, POST");
    }
    if (!t.action.empty()) {
      if (t.action != "enable" && t.action != "disable")
        return error(404, "no action '" + t.action + "' (enable, disable)");
      if (req.method != "POST") return not_allowed("POST");
      return update(t.tenant, t.name, json::object{{"enabled", t.action == "enable"}});
    }
    if (read) return get_source(t.tenant, t.name);
    if (req.method == "PATCH") {
      auto patch = parse_body(req.body, "PATCH");
      if (auto* e = std::get_if<Response>(&patch)) return *e;
      return update(t.tenant, t.name, std::get<json::object>(patch));
    }
    if (req.method == "DELETE") return remove(t.tenant, t.name);
    if (req.method == "PUT") return error(405, "use PATCH: credentials are write-only, a PUT would have to send them all again");
    return not_allowed("GET, PATCH, DELETE");
  }

 private:
  static Response error(unsigned status, const std::string& message) {
    return answer(status, json::object{{"error", message}});
  }
  static Response not_allowed(const std::string& allow) { return error(405, "only " + allow + " here"); }

  static std::variant<json::object, Response> parse_body(const std::string& body, const char* what) {
    boost::system::error_code ec;
    auto doc = json::parse(body, ec);
    if (ec) return error(400, std::string(what) + " body is not JSON: " + ec.message());
    if (!doc.is_object()) return error(400, std::string(what) + " body must be a JSON object");
    return std::move(doc.as_object());
  }

  Response list_agents(const std::string& tenant) const {
    const auto now = base::unix_now();
    json::array out;
    for (const auto& [key, r] : state_.agents_of(tenant))
      out.push_back(json::object{{"agent_id", key.agent_id},
                                 {"sync", has_sync(r)},
                                 {"online", GatewayState::online(r, now)},
                                 {"last_seen", r.last_seen},
                                 {"version", r.version},
                                 {"hostname", r.hostname},
                                 {"partition", r.partition},
                                 {"config_acked", r.config_acked}});
    return answer(200, json::object{{"tenant", tenant}, {"agents", std::move(out)}});
  }

  // What the agents reported, read once per request (copies, under the state's lock).
  struct Reports {
    std::map<std::string, SourceRecord> sources;
    std::map<AgentKey, AgentRecord> agents;
  };
  Reports reports_of(const std::string& tenant) const { return {state_.sources_of(tenant), state_.agents_of(tenant)}; }

  static json::object shown(const std::string& name, const json::object& source, const Reports& reports) {
    json::object out = redacted_source(source);
    out["name"] = name;
    if (!out.contains("enabled")) out["enabled"] = true;
    out["last_result"] = last_result(name, reports.sources, reports.agents);
    return out;
  }

  // The tenant's document under the store lock, or the answer refusing to touch it.
  template <class Edit>
  Response with_document(const std::string& tenant, Edit&& edit) {
    std::optional<Response> out;
    bool written = false;
    hub_.with_store([&](ConfigStore& store) {
      auto doc = store.document(tenant);
      if (!doc) {
        out = error(409, "the tenant's store file cannot be edited until it is fixed: " + doc.error());
        return;
      }
      auto result = edit(*doc);
      if (result.status >= 300 || !result.write) {
        out = std::move(result.response);
        return;
      }
      if (auto err = store.write_document(tenant, *doc); !err.empty()) {
        log::error({}, fmt::format("admin: {}", err));
        out = error(500, "the store could not be written (see the gateway log)");
        return;
      }
      written = true;
      out = std::move(result.response);
    });
    if (written) hub_.reload_store();  // pushes to the tenant's open ControlStreams
    return *out;
  }

  struct EditResult {
    unsigned status = 200;
    bool write = false;
    Response response;
  };
  static EditResult refuse(unsigned status, const std::string& message) {
    return {status, false, error(status, message)};
  }

  static json::object& sources_of(json::object& doc) {
    auto& s = doc["sources"];
    if (!s.is_object()) s = json::object{};
    return s.as_object();
  }

  Response list_sources(const std::string& tenant) {
    return with_document(tenant, [&](json::object& doc) {
      const auto reports = reports_of(tenant);
      json::array out;
      for (const auto& [name, source] : sources_of(doc))
        if (source.is_object()) out.push_back(shown(std::string(name), source.get_object(), reports));
      return EditResult{200, false, answer(200, json::object{{"tenant", tenant}, {"sources", std::move(out)}})};
    });
  }

  Response get_source(const std::string& tenant, const std::string& name) {
    return with_document(tenant, [&](json::object& doc) {
      auto* source = sources_of(doc).if_contains(name);
      if (!source || !source->is_object())
        return refuse(404, "tenant '" + tenant + "' has no source '" + name + "'");
      return EditResult{200, false, answer(200, shown(name, source->get_object(), reports_of(tenant)))};
    });
  }

  // "" when the tenant may have this source: an enrolled sync agent, and the
  // assigned one (if any) among them.
  std::string enrolment_problem(const std::string& tenant, const json::object& source) const {
    const auto agents = state_.agents_of(tenant);
    const bool any = std::any_of(agents.begin(), agents.end(), [](const auto& a) { return has_sync(a.second); });
    if (!any) return "tenant '" + tenant + "' has no enrolled agent with the sync capability: " + kOnboarding;
    if (const auto* id = source.if_contains("agent_id"); id && id->is_string()) {
      auto it = agents.find({tenant, std::string(id->get_string())});
      if (it == agents.end() || !has_sync(it->second))
        return "agent '" + std::string(id->get_string()) + "' has not enrolled in tenant '" + tenant +
               "' with the sync capability: " + kOnboarding;
    }
    return {};
  }

  Response create(const std::string& tenant, const std::string& body) {
    auto parsed = parse_body(body, "POST");
    if (auto* e = std::get_if<Response>(&parsed)) return *e;
    auto source = std::move(std::get<json::object>(parsed));
    const auto* name_v = source.if_contains("name");
    if (!name_v || !name_v->is_string()) return error(400, "\"name\" is missing (the source's name)");
    const std::string name(name_v->get_string());
    source.erase("name");
    std::vector<std::string> warnings;
    if (auto why = validate_source(name, source, warnings); !why.empty())
      return error(400, "source '" + name + "': " + why);
    if (auto why = enrolment_problem(tenant, source); !why.empty()) return error(409, why);
    return with_document(tenant, [&](json::object& doc) {
      auto& sources = sources_of(doc);
      if (sources.contains(name)) return refuse(409, "tenant '" + tenant + "' already has a source '" + name + "'");
      sources[name] = source;
      log::info({}, fmt::format("admin: source '{}' ({}) created for tenant '{}'", name, std::string(source.at("type").as_string()), tenant));
      auto shown_source = shown(name, source, reports_of(tenant));
      shown_source["warnings"] = to_array(warnings);
      return EditResult{201, true, answer(201, shown_source)};
    });
  }

  Response update(const std::string& tenant, const std::string& name, const json::object& patch) {
    if (const auto* id = patch.if_contains("agent_id"); id && !id->is_null()) {
      if (auto why = enrolment_problem(tenant, json::object{{"agent_id", *id}}); !why.empty())
        return error(409, why);
    }
    return with_document(tenant, [&](json::object& doc) {
      auto* found = sources_of(doc).if_contains(name);
      if (!found || !found->is_object()) return refuse(404, "tenant '" + tenant + "' has no source '" + name + "'");
      json::object changed = found->get_object();
      if (auto why = merge_patch(changed, patch); !why.empty()) return refuse(400, "source '" + name + "': " + why);
      std::vector<std::string> warnings;
      if (auto why = validate_source(name, changed, warnings); !why.empty())
        return refuse(400, "source '" + name + "': " + why);
      *found = changed;
      std::vector<std::string> keys;
      for (const auto& kv : patch) keys.emplace_back(kv.key());
      log::info({}, fmt::format("admin: source '{}' of tenant '{}' changed ({})", name, tenant, join(keys)));
      auto out = shown(name, changed, reports_of(tenant));
      out["warnings"] = to_array(warnings);
      return EditResult{200, true, answer(200, out)};
    });
  }

  Response remove(const std::string& tenant, const std::string& name) {
    return with_document(tenant, [&](json::object& doc) {
      if (!sources_of(doc).erase(name)) return refuse(404, "tenant '" + tenant + "' has no source '" + name + "'");
      log::info({}, fmt::format("admin: source '{}' of tenant '{}' deleted", name, tenant));
      return EditResult{200, true, answer(200, json::object{{"deleted", name}})};
    });
  }

  static json::array to_array(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
  }
  static std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
  }

  ControlHub& hub_;
  const GatewayState& state_;
};

}  // namespace

void add_source_routes(sr::net::http::Server& http, ControlHub& hub, const GatewayState& state,
                       const AdminToken& token) {
  auto api = std::make_shared<SourceApi>(hub, state);
  http.route_prefix(
      std::string(kPrefix),
      [api, &token](const Request& req) {
        if (auto refusal = refuse_unauthorised(token, req)) return *refusal;
        return api->handle(req);
      },
      sr::net::http::Server::Methods::resource, admin_gate(token));
}

}  // namespace sr::gateway
